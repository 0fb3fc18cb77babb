/* The linear layer for NEON: an 8 x 12 register tile (24 q-register
 * accumulators, 3 for B, A broadcasts: within the 32 registers). */
#include "vec.h"
#define GEMM_MR 8
#define GEMM_NV 3
#include "../generic/gemm.h"
