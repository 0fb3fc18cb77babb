/* The activation family's truth (double) and bound on explicit inputs,
 * shared by the checker and the PyTorch-fixture suite. */
#ifndef NNS_CHECK_ACTIVATION_H
#define NNS_CHECK_ACTIVATION_H

#include <stddef.h>

/* k: NNS_K_{relu,gelu,gelu_tanh}_fwd; truth[i] = f(x[i]). */
void chk_truth_activation_fwd(size_t k, const float *x, size_t n, double *truth, double *bound);
/* k: NNS_K_{relu,gelu,gelu_tanh}_bwd; truth[i] = din0[i] + dy[i] f'(x[i])
 * (din0 may be NULL: zeros). */
void chk_truth_activation_bwd(size_t k, const float *x, const float *dy, const float *din0,
                              size_t n, double *truth, double *bound);

#endif
