/* Truth and bounds of the attention family (tests/check/check_attention.c),
 * shared by the checker and the PyTorch-fixture suite.
 *
 * Inputs are the kernel's: q, k, v (b,t,h,d) in rows of `ld` floats,
 * lengths (b) or NULL, causal. Each function writes the double-precision
 * truth and the tolerance table's bound, |result - truth| <= bound, for
 * every element the kernel writes (padding: truth exact, bound 0). */
#ifndef NNS_CHECK_ATTENTION_H
#define NNS_CHECK_ATTENTION_H

#include <stddef.h>
#include <stdint.h>

/* out, out_bound: (b,t,h*d) dense; lse, lse_bound: (b,h,t). */
void chk_truth_attention_fwd(double *out, double *out_bound, double *lse, double *lse_bound,
                             const float *q, const float *k, const float *v, size_t ld,
                             const int32_t *lengths, size_t b, size_t t, size_t h, size_t d,
                             int causal);

/* The exact gradients of L = sum(out * dout) with respect to q, k, v,
 * added to the initial dq0, dk0, dv0 (laid out as q: rows of `ld`; NULL
 * for zeros). The truth arrays are laid out as q too: only the (b,t,h,d)
 * positions are written, so for a packed layout pass one array of b*t*ld
 * and its offsets 0, h*d, 2*h*d. The bound covers the backward's own
 * rounding and the forward's bound on the out and lse it is given. */
void chk_truth_attention_bwd(double *dq, double *dq_bound, double *dk, double *dk_bound,
                             double *dv, double *dv_bound, const float *dq0, const float *dk0,
                             const float *dv0, const float *dout, const float *q, const float *k,
                             const float *v, size_t ld, const int32_t *lengths, size_t b,
                             size_t t, size_t h, size_t d, int causal);

#endif
