/* Declarations shared by the library's folders, not part of the public API. */
#ifndef NNSIMD_INTERNAL_H
#define NNSIMD_INTERNAL_H

#include "nnsimd.h"

#include <math.h>

/* Per-ISA variant prototypes: nns_<kernel>__<isa>. A variant trusts its
 * arguments; the public entry points have checked them. */
#define NNS_KERNEL(name, type) \
    type nns_##name##__scalar, nns_##name##__avx2, nns_##name##__avx512, nns_##name##__neon;
#define NNS_WORKSPACE(kernel, type)                                                     \
    type nns_##kernel##_workspace_size__scalar, nns_##kernel##_workspace_size__avx2,      \
        nns_##kernel##_workspace_size__avx512, nns_##kernel##_workspace_size__neon;
#include "nnsimd_kernels.def"
#undef NNS_WORKSPACE
#undef NNS_KERNEL

/* vf_exp and vf_erfc of each ISA over an array (kernels/generic/vmath.h),
 * for tests. */
nns_unary_fwd_fn nns_vexp__avx2, nns_vexp__avx512, nns_vexp__neon;
nns_unary_fwd_fn nns_verfc__avx2, nns_verfc__avx512, nns_verfc__neon;

/* The raw tables, one per ISA folder (kernels/<isa>/table.c). */
extern const nns_kernel_table nns_table__scalar;
#if defined(__x86_64__)
extern const nns_kernel_table nns_table__avx2;
extern const nns_kernel_table nns_table__avx512;
#elif defined(__aarch64__)
extern const nns_kernel_table nns_table__neon;
#endif

/* GEMM register tile of an ISA (kernels/generic/gemm.h) and the cache
 * blocking derived from it and the cache sizes, once (dispatch/blocking.c). */
typedef struct nns_gemm_tile {
    size_t mr, nr;
    size_t l1_parts;        /* the shallow blocking's B micro-panel fills L1d / l1_parts */
    size_t deep_a_l2_parts; /* the deep blocking's A panel fills L2 / deep_a_l2_parts */
} nns_gemm_tile;
typedef struct nns_gemm_blocking {
    size_t mc, kc, nc; /* rows of an A panel (L2), depth, columns of a B panel (L3) */
    size_t ahead_bytes; /* C and a packed KC x NC panel of B within this: B packed ahead */
} nns_gemm_blocking;
extern const nns_gemm_tile nns_gemm_tile__avx2, nns_gemm_tile__avx512, nns_gemm_tile__neon;
/* The blocking for a product whose C takes c_bytes (dispatch/blocking.c:
 * deeper blocks for a C beyond L2). Never NULL; for an ISA without a
 * tile, a generic blocking. */
const nns_gemm_blocking *nns_gemm_blocking_for(nns_isa isa, size_t c_bytes);

/* CPU feature detection (dispatch/cpu_features_*.c): fills the feature
 * fields of `info`. */
void nns_detect_features(nns_cpu_info *info);
/* CPU description (dispatch/cpu_describe.c): vendor, brand, family,
 * model, stepping and cpu_id. */
void nns_describe_cpu(nns_cpu_info *info);
/* Topology and caches from hwloc, after the features (dispatch/topology.c).
 * l3_usable_bytes is NNS_L3_TYPICAL_BYTES (one 8-core Zen CCD's L3) when
 * hwloc reports no L3, and at most that under a hypervisor. */
#define NNS_L3_TYPICAL_BYTES ((size_t)32 << 20)
void nns_read_topology(nns_cpu_info *info);
/* Builds the filesystem-safe cpu id from the description fields. */
void nns_make_cpu_id(nns_cpu_info *info);

/* The active table (fallbacks filled in) and the selection status. */
const nns_kernel_table *nns_active_table(nns_status *status);

/* Public entry points: fetch the active table or return its error. */
#define NNS_ACTIVE_OR_RETURN(t)                          \
    nns_status t##_status_;                              \
    const nns_kernel_table *t = nns_active_table(&t##_status_); \
    if (t##_status_ != NNS_OK) return t##_status_

/* 1 if a*b overflows size_t (b may be 0). */
static inline int nns_mul_overflows(size_t a, size_t b)
{
    return b != 0 && a > (size_t)-1 / b;
}

/* Dropout's constants, shared by the reference and every variant (one
 * definition, so all compute the same floats): the kept elements' factor
 * 1/(1 - p), and the threshold round(p 2^24) on the top 24 bits of the
 * hash, as a float (exact: an integer <= 2^24). */
static inline float nns_dropout_scale(float p) { return 1.0f / (1.0f - p); }
static inline float nns_dropout_threshold(float p)
{
    return (float)floor((double)p * 16777216.0 + 0.5);
}

#endif
