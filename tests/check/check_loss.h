/* The loss family's truth (double) and bound on explicit inputs, shared by
 * the checker and the PyTorch-fixture suite. Bounds are those of the
 * tolerance table: factor * U * S + floor, S derived in check_loss.c. */
#ifndef NNS_CHECK_LOSS_H
#define NNS_CHECK_LOSS_H

#include <stddef.h>
#include <stdint.h>

/* Cross-entropy over (n, v) logits: the loss and, if dl_truth is not NULL,
 * dlogits0 + the gradient (dlogits0 may be NULL: zeros) with their bounds.
 * Ignored rows get their dlogits0 with bound 0 (exact); so does every row
 * when no row counts, and the loss is then exactly 0. */
void chk_truth_cross_entropy(const float *logits, const int32_t *targets, size_t n, size_t v,
                             int32_t ignore_index, const float *dlogits0, double *loss_truth,
                             double *loss_bound, double *dl_truth, double *dl_bound);

/* Mean squared error over n elements: the loss and, if dp_truth is not
 * NULL, dpred0 + the gradient (dpred0 may be NULL: zeros). */
void chk_truth_mse(const float *pred, const float *target, size_t n, const float *dpred0,
                   double *loss_truth, double *loss_bound, double *dp_truth, double *dp_bound);

#endif
