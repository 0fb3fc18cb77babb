/* GEMM cache blocking per ISA, from the register tile and the cache sizes
 * hwloc reports, computed once (BLIS's analytical model, simplified), in
 * two forms chosen by where C lives:
 *   KC, C within half of L2 (shallow): a KC x NR micro-panel of B fills
 *       L1d (or the part of it the ISA's tile says: half on AVX2), so the
 *       tile's FMAs read B from L1 while A streams past;
 *   KC, C larger (deep): the micro-panel fills an eighth of L2. Each
 *       depth block loads and stores all of C once more, and a C out of
 *       L2 costs more to reload than B costs to stream from L2.
 *       Measured on the Xeon intel-xeon-f06-ma7, AVX-512 (NR = 64), one
 *       core: 1024^3 (C 4 MiB) against OpenBLAS, forward/backward time
 *       ratio 0.85/0.86 with KC = 192 (L1's worth), 1.05/1.02 with 512,
 *       1.09/1.04 with 1024; but dweight of the transformer's 128 -> 512
 *       layer (C 256 KiB, depth 8192) 6.7-7.2 ms with KC = 192, 9.8 ms
 *       with 1024, and the MLP's 784 -> 512 din (C 400 KiB) 706 against
 *       754 us. (Zen 3: KC = 512 beat 256 by 5-15% at 1024^3.)
 *   MC: an MC x KC panel of A fills half of L2 (in the deep blocking,
 *       the part the ISA's tile says: a quarter on AVX2),
 *   NC: a KC x NC panel of B fills half of this core's share of the L3
 *       it counts on (nns_cpu_info's l3_usable_bytes),
 * each rounded down to the tile and clamped to sane limits; and where
 * B's panel is packed (kernels/generic/gemm.h): all of it ahead of the
 * tiles when it and C fit half of L2 together, or C alone does not (the
 * deep blocking, whose C streams from L3 anyway); otherwise each sliver
 * just before its first tile, which then reads it from L1, rather than
 * from L3 after the rest of the panel went by. */
#include "nnsimd_internal.h"

#include <pthread.h>
#include <stdint.h>

static nns_gemm_blocking shallow[NNS_ISA_COUNT], deep[NNS_ISA_COUNT];
static size_t l2_bytes;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static size_t clamp(size_t x, size_t lo, size_t hi) { return x < lo ? lo : x > hi ? hi : x; }

/* MC and NC for a given KC, the A panel filling a_bytes of L2. */
static nns_gemm_blocking around(size_t kc, nns_gemm_tile t, size_t a_bytes, size_t l3)
{
    nns_gemm_blocking b;
    b.kc = kc;
    b.mc = clamp(a_bytes / (kc * sizeof(float)) / t.mr * t.mr, t.mr, 1024 / t.mr * t.mr);
    b.nc = clamp(l3 / 2 / (kc * sizeof(float)) / t.nr * t.nr, t.nr, 4096 / t.nr * t.nr);
    return b;
}

static void derive(nns_isa isa, nns_gemm_tile t, const nns_cpu_info *c)
{
    size_t l1 = c->l1d_bytes ? c->l1d_bytes : 32 << 10;
    size_t l2 = c->l2_bytes ? c->l2_bytes : 512 << 10;
    size_t l3 = c->l3_usable_bytes / (size_t)(c->cores > 0 ? c->cores : 1);
    size_t panel = t.nr * sizeof(float); /* bytes of B per k */
    shallow[isa] = around(clamp(l1 / t.l1_parts / panel / 8 * 8, 64, 512), t, l2 / 2, l3);
    shallow[isa].ahead_bytes = l2 / 2;
    deep[isa] = around(clamp(l2 / 8 / panel / 8 * 8, 64, 1024), t, l2 / t.deep_a_l2_parts, l3);
    deep[isa].ahead_bytes = SIZE_MAX;
}

static void init(void)
{
    const nns_cpu_info *c = nns_cpu();
    const nns_gemm_tile generic = {8, 16, 1, 2};
    l2_bytes = c->l2_bytes ? c->l2_bytes : 512 << 10;
    for (int i = 0; i < NNS_ISA_COUNT; i++) derive((nns_isa)i, generic, c);
#if defined(__x86_64__)
    derive(NNS_ISA_AVX2, nns_gemm_tile__avx2, c);
    derive(NNS_ISA_AVX512, nns_gemm_tile__avx512, c);
#elif defined(__aarch64__)
    derive(NNS_ISA_NEON, nns_gemm_tile__neon, c);
#endif
}

const nns_gemm_blocking *nns_gemm_blocking_for(nns_isa isa, size_t c_bytes)
{
    pthread_once(&once, init);
    if ((unsigned)isa >= NNS_ISA_COUNT) isa = NNS_ISA_SCALAR;
    return c_bytes > l2_bytes / 2 ? &deep[isa] : &shallow[isa];
}
