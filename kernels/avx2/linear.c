/* The linear layer for AVX2+FMA: a 6 x 16 register tile (12 ymm
 * accumulators, 2 for B, 1 broadcast of A: 15 of 16 registers). 16
 * columns divide the models' widths (128, 384, 512), so edge tiles are
 * rare; a 4 x 24 tile ran its microkernel faster alone but lost overall
 * to edge tiles on those widths. */
#include "vec.h"
#define GEMM_MR 6
#define GEMM_NV 2
#include "../generic/gemm.h"
