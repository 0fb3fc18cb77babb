/* Softmax cross-entropy (loss and gradient) for neon: the generic body over this ISA's vectors. */
#include "nnsimd_internal.h"
#include "vec.h"
#include "../generic/cross_entropy.h"
