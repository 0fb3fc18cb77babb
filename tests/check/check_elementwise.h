/* Truth and per-element bounds of the elementwise helpers, on explicit
 * inputs: shared by the checker (check_elementwise.c) and the PyTorch
 * fixture suite. Each bound is the tolerance table's factor * U * S plus
 * its floor, S derived in check_elementwise.c. */
#ifndef NNS_CHECK_ELEMENTWISE_H
#define NNS_CHECK_ELEMENTWISE_H

#include <stddef.h>
#include <stdint.h>

/* out = a + b (n). */
void chk_truth_add(const float *a, const float *b, size_t n, double *truth, double *bound);
/* out (b,c) = mean over i < lengths[s] (t if lengths is NULL) of in (b,t,c). */
void chk_truth_mean_pool_fwd(const float *in, const int32_t *lengths, size_t b, size_t t,
                             size_t c, double *truth, double *bound);
/* din (b,t,c) after din0 += dout[s,:] / lengths[s] on rows i < lengths[s]. */
void chk_truth_mean_pool_bwd(const float *din0, const float *dout, const int32_t *lengths,
                             size_t b, size_t t, size_t c, double *truth, double *bound);
/* sum of x[i]^2 (one element). */
void chk_truth_sum_squares(const float *x, size_t n, double *truth, double *bound);
/* out = s * in (n). */
void chk_truth_scale(const float *in, float s, size_t n, double *truth, double *bound);

#endif
