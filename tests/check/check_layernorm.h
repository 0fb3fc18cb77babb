/* Layer normalization's truth (double) and bound on explicit inputs,
 * shared by the checker and the PyTorch-fixture suite. The bounds are
 * those of the tolerance table's layernorm_fwd and layernorm_bwd rows,
 * derived in tests/check/check_layernorm.c. */
#ifndef NNS_CHECK_LAYERNORM_H
#define NNS_CHECK_LAYERNORM_H

#include <stddef.h>

/* Truth and bound of out (n*c), mean (n) and rstd (n). */
void chk_truth_layernorm_fwd(const float *in, const float *weight, const float *bias, size_t n,
                             size_t c, float eps, double *t_out, double *b_out, double *t_mean,
                             double *b_mean, double *t_rstd, double *b_rstd);

/* The backward's formula evaluated exactly on its inputs (mean and rstd
 * as given): din = din0 + rstd (g w - mean(g w) - xhat mean(g w xhat)),
 * dweight = dw0 + sum over rows of g xhat, dbias = db0 + sum of g, with
 * xhat = (in - mean) rstd. An initial value NULL means zeros. */
void chk_truth_layernorm_bwd(const float *din0, const float *dw0, const float *db0,
                             const float *dout, const float *in, const float *weight,
                             const float *mean, const float *rstd, size_t n, size_t c,
                             double *t_din, double *b_din, double *t_dw, double *b_dw,
                             double *t_db, double *b_db);

#endif
