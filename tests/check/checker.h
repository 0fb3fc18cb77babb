/* The verification checker, shared by the CUnit suites and `nnsimd verify`.
 *
 * A check runs one kernel of one ISA through a size sweep relative to the
 * vector width, misaligned pointers, special values and in-place calls;
 * every output sits between guard bytes; each element is compared with a
 * double-precision truth under the bound of the tolerance table, and
 * NaN/Inf positions must agree with the scalar reference. */
#ifndef NNS_CHECKER_H
#define NNS_CHECKER_H

#include "nnsimd.h"

#include <stddef.h>

typedef enum { CHK_PASS = 0, CHK_FAIL = 1, CHK_SKIP = 2 } chk_verdict;

typedef struct chk_opts {
    int light;      /* lighter size sweep, for emulated CPUs */
    unsigned seed;  /* inputs are a function of the seed only */
} chk_opts;

/* Fills `o` with defaults; NNSIMD_CHECK_LIGHT=1 selects the light sweep. */
void chk_default_opts(chk_opts *o);

typedef struct chk_report {
    size_t kernel;
    nns_isa isa;
    chk_verdict verdict;
    char reason[128];       /* why skipped, or the first failure */
    double worst;           /* worst |error| / bound against the truth */
    char worst_at[128];     /* where the worst error was found */
    double fd_worst;        /* reference backward vs finite differences; <0: not run */
    size_t cases, elements; /* kernel calls checked, output elements compared */
    size_t mistrusted;      /* cases whose truth was mostly zeros */
    int loose;              /* worst < 1e-3 over a non-exact bound */
} chk_report;

/* Checks kernel `k` of `isa`. A variant the CPU cannot run, or that the
 * ISA does not implement natively, is skipped (never passed). */
void chk_run(size_t k, nns_isa isa, const chk_opts *opts, chk_report *out);
/* 1 and a reason if chk_run would skip kernel k of isa. */
int chk_skip_reason(size_t k, nns_isa isa, char *why, size_t cap);
/* Checks kernel k of an arbitrary table, reported as `isa` (the checker's
 * own tests feed it broken variants). */
void chk_run_table(size_t k, const nns_kernel_table *t, nns_isa isa, const chk_opts *opts,
                   chk_report *out);

/* ---- for the per-family check files ---- */

typedef struct chk_ctx chk_ctx;

/* Guarded, deliberately misaligned float buffers: `misalign` floats past a
 * 64-byte boundary, canary bytes on both sides. Freed by the checker. */
float *chk_alloc(chk_ctx *c, size_t n, size_t misalign);
/* Records a failure if the canaries around `p` (from chk_alloc) changed. */
void chk_guard(chk_ctx *c, const float *p, const char *what);

/* Compares got[] with the double truth under bound[] (bound 0: exact),
 * and NaN/Inf positions with the reference ref[]; `x` names the input
 * per element in messages (may be NULL). */
void chk_compare(chk_ctx *c, const char *what, const float *got, const float *ref,
                 const double *truth, const double *bound, const float *x, size_t n);
/* Records a failure unless a[] and b[] are bit-identical. */
void chk_same_bits(chk_ctx *c, const char *what, const float *a, const float *b, size_t n);
/* Records a failure with a printf-style message (only the first is kept). */
void chk_fail(chk_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Records a finite-difference comparison: |err| against bound. */
void chk_fd(chk_ctx *c, double err, double bound, double x);

/* Deterministic inputs. */
double chk_uniform(chk_ctx *c, double lo, double hi);
void chk_fill(chk_ctx *c, float *p, size_t n, double lo, double hi);
/* Overwrites some elements with NaN, ±Inf, ±0, subnormals and huge values. */
void chk_sprinkle_specials(chk_ctx *c, float *p, size_t n);

/* Scratch doubles (freed by the checker). */
double *chk_doubles(chk_ctx *c, size_t n);

/* The sweep of lengths: 0, 1, every length up to two unrolled vector
 * widths, then multiples and large odd lengths; fewer when light. */
size_t chk_sweep(const chk_ctx *c, const size_t **lengths);
/* A misalignment (in floats, 0..15) for the i-th case. */
size_t chk_misalign(size_t i);

/* The table under test and the reference. */
const nns_kernel_table *chk_table(const chk_ctx *c);
const nns_kernel_table *chk_reference(void);
nns_isa chk_isa(const chk_ctx *c);
/* Frees the scratch buffers of the current case; call between cases. */
void chk_case_done(chk_ctx *c);

/* One checking function per kernel, defined in the family files. */
typedef void chk_kernel_fn(chk_ctx *c);
#define NNS_KERNEL(name, type) chk_kernel_fn chk_kernel_##name;
#include "nnsimd_kernels.def"
#undef NNS_KERNEL

#endif
