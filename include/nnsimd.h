/* nnsimd: neural-network training kernels with a scalar reference and
 * run-time selected SIMD variants (AVX2+FMA, AVX-512, NEON).
 *
 * Conventions (see DESIGN.md, "The kernel contract"):
 *   - float32, contiguous, row-major; sizes are size_t.
 *   - outputs first, then inputs, then sizes.
 *   - forward kernels overwrite their outputs; backward kernels ACCUMULATE
 *     (+=) into every gradient they write. Callers zero gradient buffers.
 *   - kernels never allocate; any length is legal (0 included); pointers
 *     need no alignment beyond that of float.
 *   - every public entry point checks its arguments and returns nns_status.
 */
#ifndef NNSIMD_H
#define NNSIMD_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define NNSIMD_VERSION_MAJOR 0
#define NNSIMD_VERSION_MINOR 1
#define NNSIMD_VERSION_PATCH 0

/* ------------------------------------------------------------------ */
/* Status codes                                                        */
/* ------------------------------------------------------------------ */

typedef enum nns_status {
    NNS_OK = 0,
    NNS_ERR_NULL = 1,            /* a required pointer is NULL (with a size > 0) */
    NNS_ERR_SIZE = 2,            /* a size product overflows size_t */
    NNS_ERR_ARG = 3,             /* a hyper-parameter out of its legal range */
    NNS_ERR_ISA_UNAVAILABLE = 4, /* NNSIMD_ISA / nns_set_isa asked for an ISA the CPU lacks */
    NNS_ERR_ISA_UNKNOWN = 5      /* NNSIMD_ISA names no ISA */
} nns_status;

/* A constant English description of a status, never NULL. */
const char *nns_status_str(nns_status s);

/* ------------------------------------------------------------------ */
/* Instruction sets and dispatch                                       */
/* ------------------------------------------------------------------ */

/* Ordered: a higher x86 ISA falls back to the next lower one; NEON falls
 * back to scalar. */
typedef enum nns_isa {
    NNS_ISA_SCALAR = 0,
    NNS_ISA_AVX2 = 1,   /* AVX2 + FMA, YMM state enabled by the OS */
    NNS_ISA_AVX512 = 2, /* AVX-512 F+BW+DQ+VL, ZMM and opmask state enabled */
    NNS_ISA_NEON = 3,   /* aarch64 Advanced SIMD */
    NNS_ISA_COUNT = 4
} nns_isa;

/* "scalar", "avx2", "avx512", "neon"; "?" for an invalid value. */
const char *nns_isa_name(nns_isa isa);
/* Parses an ISA name; NNS_ERR_ISA_UNKNOWN if it names none. */
nns_status nns_isa_parse(const char *name, nns_isa *isa);
/* The ISA a variant of `isa` falls back to when it has no native kernel;
 * returns `isa` itself for scalar. */
nns_isa nns_isa_fallback(nns_isa isa);
/* 1 if this CPU and its OS can run `isa`, else 0. */
int nns_isa_supported(nns_isa isa);
/* The best ISA this CPU supports. */
nns_isa nns_isa_best(void);

/* Why the active ISA is what it is. */
typedef enum nns_isa_reason {
    NNS_ISA_DETECTED = 0,      /* the best ISA the CPU supports */
    NNS_ISA_CAPPED_ENV = 1,    /* capped by the NNSIMD_ISA environment variable */
    NNS_ISA_CAPPED_CALL = 2    /* capped by nns_set_isa (the CLI's --isa) */
} nns_isa_reason;

/* The active ISA (what the public kernels call) and why. Returns the
 * status of the selection: an error if NNSIMD_ISA names an unknown or
 * unsupported ISA, in which case every kernel entry point returns that
 * error too. `isa` and `reason` may be NULL. */
nns_status nns_isa_active(nns_isa *isa, nns_isa_reason *reason);
/* Caps the ISA for every later call (overrides NNSIMD_ISA). Fails, and
 * changes nothing, if the CPU lacks `isa`. Thread-safe. */
nns_status nns_set_isa(nns_isa isa);

/* ------------------------------------------------------------------ */
/* Kernel function types and the kernel table                          */
/* ------------------------------------------------------------------ */

/* out[i] = f(in[i]) for i < n. out may equal in. */
typedef void nns_unary_fwd_fn(float *out, const float *in, size_t n);
/* din[i] += dout[i] * f'(in[i]) for i < n. din may equal dout. */
typedef void nns_unary_bwd_fn(float *din, const float *dout, const float *in, size_t n);

/* One function pointer per kernel of nnsimd_kernels.def. */
typedef struct nns_kernel_table {
#define NNS_KERNEL(name, type) type *name;
#include "nnsimd_kernels.def"
#undef NNS_KERNEL
} nns_kernel_table;

/* Kernel indices, in list order. */
enum {
#define NNS_KERNEL(name, type) NNS_K_##name,
#include "nnsimd_kernels.def"
#undef NNS_KERNEL
    NNS_KERNEL_COUNT
};

/* The name of kernel `k` ("gelu_fwd"), NULL if out of range. */
const char *nns_kernel_name(size_t k);
/* 1 if `table` has a native entry for kernel `k`. */
int nns_kernel_present(const nns_kernel_table *table, size_t k);
/* The raw table of one ISA: only that ISA's native variants, others
 * NULL; NULL if the library has no variants for `isa` on this
 * architecture. It does not check that the CPU supports `isa`. */
const nns_kernel_table *nns_kernels_for(nns_isa isa);
/* The ISA whose variant of kernel `k` runs when `isa` is active (`isa`
 * itself if native, else the first fallback that has one). */
nns_isa nns_kernel_provider(nns_isa isa, size_t k);

/* ------------------------------------------------------------------ */
/* CPU description                                                     */
/* ------------------------------------------------------------------ */

typedef struct nns_cpu_info {
    char vendor[32];       /* "AMD", "Intel", "ARM", ... */
    char brand[64];        /* marketing name, trimmed */
    int family, model, stepping; /* x86: displayed (extended) values; -1 unknown */
    char cpu_id[96];       /* stable, filesystem-safe: "amd-epyc-f19-m01" */
    /* Feature bits from CPUID/HWCAP and whether the OS enables their state. */
    int has_avx2, has_fma, has_avx512f, has_avx512bw, has_avx512dq, has_avx512vl;
    int os_ymm, os_zmm;    /* XCR0 bits 1-2, bits 5-7 */
    int has_neon;
    /* Topology from hwloc; 0 where unknown. */
    int cores, threads;
    size_t l1d_bytes, l2_bytes, l3_bytes;
} nns_cpu_info;

/* Detected once, thread-safely; never NULL. */
const nns_cpu_info *nns_cpu(void);

/* ------------------------------------------------------------------ */
/* Activations                                                         */
/* ------------------------------------------------------------------ */

/* ReLU: out = max(x, 0), NaN propagates. Backward passes dout where
 * x > 0 or x is NaN (PyTorch's threshold_backward), else 0. */
nns_status nns_relu_fwd(float *out /* (n) */, const float *in /* (n) */, size_t n);
nns_status nns_relu_bwd(float *din /* (n) */, const float *dout /* (n) */,
                        const float *in /* (n) */, size_t n);

/* GELU, exact: out = x * Phi(x) = x/2 * erfc(-x/sqrt(2)) (torch's default);
 * computed with erfc, so it stays accurate for large negative x. */
nns_status nns_gelu_fwd(float *out, const float *in, size_t n);
nns_status nns_gelu_bwd(float *din, const float *dout, const float *in, size_t n);

/* GELU, tanh approximation (torch's approximate='tanh'):
 * out = x/2 * (1 + tanh(u)), u = sqrt(2/pi) * (x + 0.044715 x^3),
 * evaluated as x * sigmoid(2u), which has no cancellation for x < 0. */
nns_status nns_gelu_tanh_fwd(float *out, const float *in, size_t n);
nns_status nns_gelu_tanh_bwd(float *din, const float *dout, const float *in, size_t n);

#ifdef __cplusplus
}
#endif

#endif /* NNSIMD_H */
