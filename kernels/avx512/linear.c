/* The linear layer for AVX-512: a 14 x 32 register tile (28 zmm
 * accumulators, 2 for B, 1 broadcast of A: 31 of 32 registers). */
#include "vec.h"
#define GEMM_MR 14
#define GEMM_NV 2
#include "../generic/gemm.h"
