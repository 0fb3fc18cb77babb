/* The optimizer family's truth: a double-precision model of the same
 * recurrences, advanced step by step from the float state, with the error
 * bound S (units of U) of every state element propagated alongside.
 * Shared by the checker and the PyTorch-fixture suite. */
#ifndef NNS_CHECK_OPTIM_H
#define NNS_CHECK_OPTIM_H

#include "nnsimd.h"

#include <stddef.h>
#include <stdint.h>

/* One torch.optim.SGD step on the model: p (param) and buf (momentum
 * buffer; unused, may be NULL, when momentum is 0) are the exact values,
 * sp and sbuf their S. Start from the float state with S = 0. */
void chk_truth_sgd_step(const nns_sgd_config *cfg, uint64_t step, const float *grad, size_t n,
                        double *p, double *sp, double *buf, double *sbuf);
/* One Adam/AdamW step on the model: p, m, v and their S. */
void chk_truth_adam_step(const nns_adam_config *cfg, uint64_t step, const float *grad, size_t n,
                         double *p, double *sp, double *m, double *sm, double *v, double *sv);
/* bound[i] = factor(k) * U * s[i] + FLT_MIN, k = NNS_K_sgd_step or
 * NNS_K_adam_step. */
void chk_optim_bound(size_t k, const double *s, size_t n, double *bound);

#endif
