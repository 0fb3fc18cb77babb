/* Elementwise helpers (add, mean pooling, sum of squares, scale) for neon: the generic body over this ISA's vectors. */
#include "nnsimd_internal.h"
#include "vec.h"
#include "../generic/elementwise.h"
