/* Machine probes, timed here (baseline build): peak FP32 rate per ISA on
 * one core and one-core STREAM-triad bandwidth. The vector loops live in
 * kernels/<isa>/probe.c; the scalar ones are below. */
#include "probes.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* GCC 12 vectorises at -O2 (very-cheap model): the scalar probes must
 * stay scalar, like the reference (-fno-tree-vectorize). */
#if defined(__GNUC__) && !defined(__clang__)
#define NNS_NO_VECTORIZE __attribute__((optimize("no-tree-vectorize")))
#else
#define NNS_NO_VECTORIZE
#endif

/* NNS_PROBE_CHAINS_SCALAR (12) independent chains x = x*m + a, unfused
 * (-ffp-contract=off): one mul + one add = 2 flops per chain. */
NNS_NO_VECTORIZE float nns_probe_fma__scalar(size_t iters)
{
    enum { CHAINS = NNS_PROBE_CHAINS_SCALAR };
    const float m = 0.999f, a = 0.001f;
    float c[CHAINS], sum = 0.0f;
    for (int j = 0; j < CHAINS; j++) c[j] = 0.5f + 0.01f * (float)j;
    for (size_t i = 0; i < iters; i++) {
#pragma GCC unroll 16
        for (int j = 0; j < CHAINS; j++) c[j] = c[j] * m + a;
    }
    for (int j = 0; j < CHAINS; j++) sum += c[j];
    return sum;
}

NNS_NO_VECTORIZE void nns_probe_triad__scalar(float *a, const float *b, const float *c, float s,
                                              size_t n)
{
    for (size_t i = 0; i < n; i++) a[i] = b[i] + s * c[i];
}

typedef float fma_probe_fn(size_t iters);
typedef void triad_probe_fn(float *a, const float *b, const float *c, float s, size_t n);

static fma_probe_fn *fma_probe(nns_isa isa, double *flops_per_iter)
{
    switch (isa) {
    case NNS_ISA_SCALAR: *flops_per_iter = NNS_PROBE_FLOPS_PER_ITER(SCALAR); return nns_probe_fma__scalar;
#if defined(__x86_64__)
    case NNS_ISA_AVX2: *flops_per_iter = NNS_PROBE_FLOPS_PER_ITER(AVX2); return nns_probe_fma__avx2;
    case NNS_ISA_AVX512: *flops_per_iter = NNS_PROBE_FLOPS_PER_ITER(AVX512); return nns_probe_fma__avx512;
#elif defined(__aarch64__)
    case NNS_ISA_NEON: *flops_per_iter = NNS_PROBE_FLOPS_PER_ITER(NEON); return nns_probe_fma__neon;
#endif
    default: return NULL;
    }
}

static triad_probe_fn *triad_probe(nns_isa isa)
{
    switch (isa) {
    case NNS_ISA_SCALAR: return nns_probe_triad__scalar;
#if defined(__x86_64__)
    case NNS_ISA_AVX2: return nns_probe_triad__avx2;
    case NNS_ISA_AVX512: return nns_probe_triad__avx512;
#elif defined(__aarch64__)
    case NNS_ISA_NEON: return nns_probe_triad__neon;
#endif
    default: return NULL;
    }
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Keeps probe results alive. */
static volatile float sink;

/* Seconds per measurement of the FMA probe, and how many are taken per
 * round. nnsb_probe_machine runs two rounds per ISA, before and after the
 * triad, and keeps the best: on a VM the same loop can run ~30% slower for
 * a fraction of a second (a busy host SMT sibling, say). */
#define FMA_TARGET_S 0.02
#define FMA_RUNS 4

/* Peak GFLOP/s of one FMA probe, best of FMA_RUNS. If *iters is 0, first
 * grows the iteration count until one run takes about FMA_TARGET_S (which
 * also ramps the clock up) and stores it for the next round. */
static double measure_fma(fma_probe_fn *fn, double flops_per_iter, size_t *iters)
{
    double t;
    if (*iters == 0) {
        *iters = 1u << 12;
        for (;;) {
            double t0 = now();
            sink = fn(*iters);
            t = now() - t0;
            if (t >= 0.5 * FMA_TARGET_S) break;
            double grow = t > 0 ? FMA_TARGET_S / t : 16.0;
            *iters = (size_t)((double)*iters * (grow > 16.0 ? 16.0 : grow < 2.0 ? 2.0 : grow));
        }
    }
    double best = 0;
    for (int r = 0; r < FMA_RUNS; r++) {
        double t0 = now();
        sink = fn(*iters);
        t = now() - t0;
        if (r == 0 || t < best) best = t;
    }
    return flops_per_iter * (double)*iters / best * 1e-9;
}

/* Triad arrays: each at least 4x the L3 (STREAM's rule), at least 64 MiB
 * when the L3 is unknown or small, at most 256 MiB (a huge shared L3 is not
 * one core's anyway, and the probe must stay fast). */
#define TRIAD_MIN_BYTES ((size_t)64 << 20)
#define TRIAD_MAX_BYTES ((size_t)256 << 20)
#define TRIAD_RUNS 8

static void measure_triad(nnsb_machine *m, nns_isa isa)
{
    triad_probe_fn *fn = triad_probe(isa);
    size_t bytes = 4 * nns_cpu()->l3_bytes;
    bytes = bytes < TRIAD_MIN_BYTES ? TRIAD_MIN_BYTES : bytes > TRIAD_MAX_BYTES ? TRIAD_MAX_BYTES : bytes;
    bytes = (bytes + 4095) & ~(size_t)4095;
    size_t n = bytes / sizeof(float);
    float *a = aligned_alloc(64, bytes), *b = aligned_alloc(64, bytes), *c = aligned_alloc(64, bytes);
    if (!fn || !a || !b || !c) { /* bandwidth_gbs stays 0: not measured */
        free(a), free(b), free(c);
        return;
    }
    /* First touch outside the timing. */
    for (size_t i = 0; i < n; i++) {
        a[i] = 0.0f;
        b[i] = 1.0f;
        c[i] = 2.0f;
    }
    double best = 0;
    for (int r = 0; r < TRIAD_RUNS; r++) {
        double t0 = now();
        fn(a, b, c, 0.5f, n);
        double t = now() - t0;
        if (r == 0 || t < best) best = t;
    }
    sink = a[n / 2];
    free(a), free(b), free(c);
    m->bandwidth_gbs = 12.0 * (double)n / best * 1e-9; /* STREAM: 2 reads + 1 write of 4 B */
    m->bandwidth_isa = isa;
    m->triad_array_bytes = bytes;
    m->triad_runs = TRIAD_RUNS;
}

int nnsb_isa_allowed(nns_isa isa, nns_isa cap)
{
    for (;;) {
        if (isa == cap) return 1;
        if (cap == NNS_ISA_SCALAR) return isa == NNS_ISA_SCALAR;
        cap = nns_isa_fallback(cap);
    }
}

/* Busy-waits `seconds` on scalar FMA chains, so that the first probe
 * does not meet a core that is still clocking up. */
static void warm_up(double seconds)
{
    double t0 = now();
    while (now() - t0 < seconds) sink = nns_probe_fma__scalar(1u << 16);
}

void nnsb_probe_machine(nnsb_machine *m, const nns_isa *isas, size_t n, nns_isa cap)
{
    memset(m, 0, sizeof *m);
    warm_up(0.05);
    for (int i = 0; i < NNS_ISA_COUNT; i++)
        snprintf(m->status[i], sizeof m->status[i], "not probed: not on this architecture");
    fma_probe_fn *fn[NNS_ISA_COUNT] = {0};
    double fpi[NNS_ISA_COUNT] = {0};
    size_t iters[NNS_ISA_COUNT] = {0};
    nns_isa widest = NNS_ISA_SCALAR;
    for (size_t i = 0; i < n; i++) {
        nns_isa isa = isas[i];
        fma_probe_fn *f = fma_probe(isa, &fpi[isa]);
        if (!f) continue;
        if (!nns_isa_supported(isa))
            snprintf(m->status[isa], sizeof m->status[isa], "not probed: cpu lacks %s", nns_isa_name(isa));
        else if (!nnsb_isa_allowed(isa, cap))
            snprintf(m->status[isa], sizeof m->status[isa], "not probed: capped at %s", nns_isa_name(cap));
        else {
            fn[isa] = f;
            m->status[isa][0] = '\0';
            widest = isa;
        }
    }
    for (int round = 0; round < 2; round++) {
        for (int isa = 0; isa < NNS_ISA_COUNT; isa++) {
            if (!fn[isa]) continue;
            double g = measure_fma(fn[isa], fpi[isa], &iters[isa]);
            if (g > m->peak_gflops[isa]) m->peak_gflops[isa] = g;
        }
        /* Bandwidth with the triad of the last ISA probed, the widest
         * when `isas` is in ascending order (vector loads keep the core
         * from being the bottleneck). */
        if (round == 0) measure_triad(m, widest);
    }
}
