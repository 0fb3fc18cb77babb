/* Machine probes: peak FP32 FMA rate per ISA on one core, and one-core
 * memory bandwidth (STREAM triad). The loops of each ISA live in
 * kernels/<isa>/probe.c, built with that ISA's -m flags; the scalar loops
 * and all the timing live in bench/probes.c, built for the baseline ISA.
 * Included by plain C11 files of every folder: nothing here needs more
 * than nnsimd.h. */
#ifndef NNSIMD_BENCH_PROBES_H
#define NNSIMD_BENCH_PROBES_H

#include <stddef.h>

#include "nnsimd.h"

/* Independent accumulator chains per probe iteration. Enough to cover
 * latency x throughput of the FP pipes: scalar mul+add pairs (x = x*m + a
 * unfused, ~6-8 cycles per pair on 2 mul + 2 add pipes), vector FMA
 * (latency 4 x 2 pipes on current x86 cores; 4 x 4 pipes on wide aarch64
 * cores such as Neoverse V2 or Apple M, hence 16 for NEON). */
#define NNS_PROBE_CHAINS_SCALAR 12
#define NNS_PROBE_CHAINS_AVX2 12
#define NNS_PROBE_CHAINS_AVX512 12
#define NNS_PROBE_CHAINS_NEON 16

/* Float lanes per chain. */
#define NNS_PROBE_LANES_SCALAR 1
#define NNS_PROBE_LANES_AVX2 8
#define NNS_PROBE_LANES_AVX512 16
#define NNS_PROBE_LANES_NEON 4

/* FP32 flops one iteration of nns_probe_fma__<isa> does: one FMA (or one
 * mul + one add for scalar) = 2 flops per lane per chain. */
#define NNS_PROBE_FLOPS_PER_ITER(ISA) (2.0 * NNS_PROBE_CHAINS_##ISA * NNS_PROBE_LANES_##ISA)

/* Runs `iters` iterations of the FMA chains; returns a value derived
 * from every accumulator so the work cannot be discarded. */
float nns_probe_fma__scalar(size_t iters);
/* STREAM triad: a[i] = b[i] + s * c[i] for i < n. */
void nns_probe_triad__scalar(float *a, const float *b, const float *c, float s, size_t n);

#if defined(__x86_64__)
float nns_probe_fma__avx2(size_t iters);
void nns_probe_triad__avx2(float *a, const float *b, const float *c, float s, size_t n);
float nns_probe_fma__avx512(size_t iters);
void nns_probe_triad__avx512(float *a, const float *b, const float *c, float s, size_t n);
#elif defined(__aarch64__)
float nns_probe_fma__neon(size_t iters);
void nns_probe_triad__neon(float *a, const float *b, const float *c, float s, size_t n);
#endif

/* What bench/probes.c measured. */
typedef struct nnsb_machine {
    /* Peak FP32 rate per ISA in GFLOP/s; status[isa] says whether it was
     * measured: "" if so, else why not ("cpu lacks avx512", ...). */
    double peak_gflops[NNS_ISA_COUNT];
    char status[NNS_ISA_COUNT][48];
    /* One-core triad bandwidth in GB/s (1e9 bytes), 12 bytes per element
     * as STREAM counts it; the ISA whose triad ran, the per-array size
     * and the number of runs (best taken). 0 GB/s if not measured. */
    double bandwidth_gbs;
    nns_isa bandwidth_isa;
    size_t triad_array_bytes;
    int triad_runs;
} nnsb_machine;

/* Measures the peak of every ISA in `isas` (count n, ascending order)
 * that the CPU supports and that is not above `cap` (the active ISA), and
 * the bandwidth with the triad of the widest of them; well under 2 s. */
void nnsb_probe_machine(nnsb_machine *m, const nns_isa *isas, size_t n, nns_isa cap);

/* 1 if `isa` may run when `cap` is active: `isa` is `cap` or one of its
 * fallbacks (scalar always). */
int nnsb_isa_allowed(nns_isa isa, nns_isa cap);

#endif
