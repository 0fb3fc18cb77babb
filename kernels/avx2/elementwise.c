/* Elementwise helpers (add, mean pooling, sum of squares, scale) for avx2: the generic body over this ISA's vectors. */
#include "nnsimd_internal.h"
#include "vec.h"
#include "../generic/elementwise.h"
