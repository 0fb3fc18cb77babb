/* The linear layer for AVX2+FMA: a 6 x 16 register tile (12 ymm
 * accumulators, 2 for B, 1 broadcast of A: 15 of 16 registers). 16
 * columns divide the models' widths (128, 384, 512), so edge tiles are
 * rare; a 4 x 24 tile ran its microkernel faster alone but lost overall
 * to edge tiles on those widths (and again on intel-xeon-f06-ma7: 4 x 24,
 * 5 x 16 and 3 x 32 all lost to 6 x 16 against OpenBLAS). */
#include "vec.h"
#define GEMM_MR 6
#define GEMM_NV 2
/* dweight's g^T is packed, not read by columns in place, unless it has at
 * most two row tiles: on intel-xeon-f06-ma7, a whole backward (din, dweight
 * and dbias in one call) at N128 512 -> 512 took 1.51 ms in place against
 * 1.39 packed, 784 -> 512 2.19 against 1.94, N8192 128 -> 512 23.4 against
 * 22.6 ms (OpenBLAS's Haswell kernels: 1.32, 1.94-2.08, 21.1-22.5). */
#define GEMM_A_SPAN_MAX 0
/* The shallow blocking's B micro-panel fills half of L1d (KC 384 with a
 * 48 KiB L1d, not 512: the 6 x 16 tile's A sliver is 24 bytes a k beside
 * B's 64, so B and A together overfilled L1d). On intel-xeon-f06-ma7,
 * paired rounds against OpenBLAS (Haswell): the transformer's backwards
 * 0.98-1.02 -> 1.01-1.05, 512^3 backward 0.93 -> 0.97; its forwards
 * 1.19-1.21 -> 1.15-1.17. (AVX-512, whose A sliver is 24 bytes a k beside
 * B's 256, keeps all of L1d.) */
#define GEMM_B_L1_PARTS 2
/* The deep blocking's A panel fills a quarter of L2, not half (MC 126
 * rows, not 252, at KC 1024 with a 2 MiB L2). On intel-xeon-f06-ma7,
 * paired rounds against OpenBLAS (Haswell), two alternations each:
 * 2048^3 forward 0.98-1.00 -> 1.01-1.02, backward 0.95-0.96 -> 0.98-1.00;
 * 1024^3 forward 1.00-1.04 -> 1.00-1.01, backward 0.94-0.97 -> 0.97.
 * (AVX-512 lost at 1024^3 with a smaller panel: 1.13 -> 1.07.) */
#define GEMM_DEEP_A_L2_PARTS 4
#include "../generic/gemm.h"
