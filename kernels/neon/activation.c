/* ReLU and GELU (erf and tanh forms) for neon: the generic body over this ISA's vectors. */
#include "nnsimd_internal.h"
#include "vec.h"
#include "../generic/activation.h"
