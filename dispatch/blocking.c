/* GEMM cache blocking per ISA, from the register tile and the cache sizes
 * hwloc reports, computed once (BLIS's analytical model, simplified):
 *   KC: a KC x NR micro-panel of B fills an eighth of L2 (the tile's
 *       FMAs stream it from L2 while A's rows stream past; each depth block
 *       loads and stores the C tile once more, and a deeper block saves
 *       those: on Zen 3 KC = 512 beat KC = 256 by 5-15% at 1024^3 and on
 *       the transformer shapes; on the Xeon intel-xeon-f06-ma7, AVX-512
 *       (NR = 64) against OpenBLAS at 1024^3, forward/backward time ratio
 *       0.85/0.86 with KC = 192 (L1's worth), 1.05/1.02 with 512, 1.11/1.04
 *       with 768, 1.09/1.04 with 1024; 2048^3 0.98 -> 1.05 from 512 to
 *       1024; AVX2 (NR = 16) 1024^3 forward 0.95 at 512, 1.04 at 1024),
 *   MC: an MC x KC panel of A fills half of L2,
 *   NC: a KC x NC panel of B fills half of this core's share of L3,
 * each rounded down to the tile and clamped to sane limits. */
#include "nnsimd_internal.h"

#include <pthread.h>

static nns_gemm_blocking blockings[NNS_ISA_COUNT];
static pthread_once_t once = PTHREAD_ONCE_INIT;

static size_t clamp(size_t x, size_t lo, size_t hi) { return x < lo ? lo : x > hi ? hi : x; }

static nns_gemm_blocking derive(nns_gemm_tile t, const nns_cpu_info *c)
{
    size_t l2 = c->l2_bytes ? c->l2_bytes : 512 << 10;
    size_t l3 = c->l3_bytes ? c->l3_bytes / (size_t)(c->cores > 0 ? c->cores : 1) : 2 << 20;
    nns_gemm_blocking b;
    b.kc = clamp(l2 / 8 / (t.nr * sizeof(float)) / 8 * 8, 64, 1024);
    b.mc = clamp(l2 / 2 / (b.kc * sizeof(float)) / t.mr * t.mr, t.mr, 1024 / t.mr * t.mr);
    b.nc = clamp(l3 / 2 / (b.kc * sizeof(float)) / t.nr * t.nr, t.nr, 4096 / t.nr * t.nr);
    return b;
}

static void init(void)
{
    const nns_cpu_info *c = nns_cpu();
    const nns_gemm_tile generic = {8, 16};
    for (int i = 0; i < NNS_ISA_COUNT; i++) blockings[i] = derive(generic, c);
#if defined(__x86_64__)
    blockings[NNS_ISA_AVX2] = derive(nns_gemm_tile__avx2, c);
    blockings[NNS_ISA_AVX512] = derive(nns_gemm_tile__avx512, c);
#elif defined(__aarch64__)
    blockings[NNS_ISA_NEON] = derive(nns_gemm_tile__neon, c);
#endif
}

const nns_gemm_blocking *nns_gemm_blocking_for(nns_isa isa)
{
    pthread_once(&once, init);
    return &blockings[(unsigned)isa < NNS_ISA_COUNT ? isa : NNS_ISA_SCALAR];
}
