/* The linear layer's truth (double) and bound on explicit inputs, shared
 * by the checker and the PyTorch-fixture suite. The bounds are those of
 * the tolerance table's linear_fwd and linear_bwd rows, derived in
 * tests/check/check_linear.c. */
#ifndef NNS_CHECK_LINEAR_H
#define NNS_CHECK_LINEAR_H

#include "nnsimd.h"

#include <stddef.h>

/* out = act(z), z = in . weight^T + bias (bias may be NULL): truth and
 * bound of out (n*oc) and, if t_pre and b_pre are not NULL, of the saved
 * pre-activation z (n*oc). */
void chk_truth_linear_fwd(const float *in, const float *weight, const float *bias, size_t n,
                          size_t c, size_t oc, nns_act act, double *t_out, double *b_out,
                          double *t_pre, double *b_pre);

/* With g = dout * act'(pre): din = din0 + g . weight (n*c), dweight = dw0 +
 * g^T . in (oc*c), dbias = db0 + column sums of g (oc). An initial value
 * NULL means zeros; an output pair (t_*, b_*) NULL is skipped. pre is not
 * read when act is NONE. */
void chk_truth_linear_bwd(const float *din0, const float *dw0, const float *db0, const float *dout,
                          const float *pre, const float *in, const float *weight, size_t n,
                          size_t c, size_t oc, nns_act act, double *t_din, double *b_din,
                          double *t_dw, double *b_dw, double *t_db, double *b_db);

#endif
