/* The machine probes written once over the vf_* operations (timed by
 * bench/probes.c); each ISA's probe.c includes its vec.h and this file,
 * which defines nns_probe_fma__<isa> and nns_probe_triad__<isa>. */
#include "../../bench/probes.h"
#include "variant.h"

/* NNS_PROBE_CHAINS_<ISA> independent FMA chains acc = acc*m + a, which
 * converge to a/(1-m) = 1: no value overflows or becomes subnormal. The
 * chains are unrolled so they stay in registers. */
float NNS_VARIANT(probe_fma)(size_t iters)
{
    enum { CHAINS = NNS_PROBE_CHAINS };
    const vf m = vf_set1(0.999f), a = vf_set1(0.001f);
    vf c[CHAINS];
    for (int j = 0; j < CHAINS; j++) c[j] = vf_set1(0.5f + 0.01f * (float)j);
    for (size_t i = 0; i < iters; i++) {
#pragma GCC unroll 16
        for (int j = 0; j < CHAINS; j++) c[j] = vf_fma(c[j], m, a);
    }
    vf s = c[0];
    for (int j = 1; j < CHAINS; j++) s = vf_add(s, c[j]);
    float lanes[VF_LANES], sum = 0.0f;
    vf_store(lanes, s);
    for (int l = 0; l < VF_LANES; l++) sum += lanes[l];
    return sum;
}

/* STREAM triad a = b + s c, with a masked tail. `a` (VF_STREAM_ALIGN-
 * aligned: the caller's) is written with streaming stores where the ISA
 * has them (NEON's vf_stream is a plain store), as add and scale write an output past the L3
 * (kernels/generic/elementwise.h), so the probe counts the bytes a core
 * really moves: a plain store first reads each line it writes. */
void NNS_VARIANT(probe_triad)(float *a, const float *b, const float *c, float s, size_t n)
{
    const vf vs = vf_set1(s);
    size_t i = 0;
    for (; i + VF_LANES <= n; i += VF_LANES)
        vf_stream(a + i, vf_fma(vs, vf_load(c + i), vf_load(b + i)));
    if (i < n) vf_store_n(a + i, vf_fma(vs, vf_load_n(c + i, n - i), vf_load_n(b + i, n - i)), n - i);
    vf_stream_fence();
}
