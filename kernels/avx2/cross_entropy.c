/* Softmax cross-entropy (loss and gradient) for avx2: the generic body over this ISA's vectors. */
#include "nnsimd_internal.h"
#include "vec.h"
#include "../generic/cross_entropy.h"
