/* The linear layer for AVX-512: a 6 x 64 register tile (24 zmm
 * accumulators, 4 for B, 1 broadcast of A: 29 of 32 registers). Against
 * the 14 x 32 tile it replaced, on the Xeon (intel-xeon-f06-mcf), one core,
 * medians of 3 interleaved runs: 16 loads (2 of B, 14 broadcasts) per 28
 * FMAs become 10 per 24, six rows of A read in place keep their pointers
 * in registers and clear of L1's 4 KiB set aliasing, and 64 columns divide
 * the models' widths (128, 384, 512); 1024^3 forward 125 -> 133 GFLOP/s,
 * transformer shapes 107-124 -> 136-144, MLP backward 107-115 -> 117-128.
 * 8 x 48 and 4 x 96 came close, 4 x 96 lost on the 128-wide shapes. */
#include "vec.h"
#define GEMM_MR 6
#define GEMM_NV 4
#include "../generic/gemm.h"
