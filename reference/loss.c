/* Scalar reference losses: softmax cross-entropy and mean squared error,
 * each fused with its gradient. Compiled with -O2 -fno-tree-vectorize:
 * straight loops, the ground truth the SIMD variants are checked against.
 *
 * Cross-entropy is evaluated in log-sum-exp form with the row maximum
 * subtracted, so no exp overflows and no log underflows:
 *   lse(x) = mx + log(sum_j exp(x_j - mx)),  mx = max_j x_j
 * and a row's loss lse(x) - x_t = log(s) + (mx - x_t) is a sum of two
 * non-negative terms (no cancellation). */
#include "nnsimd_internal.h"

#include <math.h>

/* *loss = mean over the rows i whose target is not ignore_index of
 * lse(logits[i,:]) - logits[i, t_i]; dlogits[i,j] += (p_ij - [j == t_i]) /
 * count with p_ij = exp(x_ij - mx_i) / s_i. No counted row (every target
 * ignored, or v = 0, where no target can be valid): loss 0, no gradient
 * (PyTorch returns 0/0 = NaN there). */
void nns_cross_entropy_fwd_bwd__scalar(float *loss, float *dlogits, const float *logits,
                                       const int32_t *targets, size_t n, size_t v,
                                       int32_t ignore_index)
{
    size_t count = 0;
    for (size_t i = 0; i < n; i++) count += targets[i] != ignore_index;
    if (count == 0 || v == 0) {
        *loss = 0.0f;
        return;
    }
    const float inv_count = 1.0f / (float)count;
    float sum = 0.0f;
    for (size_t i = 0; i < n; i++) {
        if (targets[i] == ignore_index) continue;
        const float *x = logits + i * v;
        const size_t t = (size_t)targets[i];
        float mx = x[0];
        for (size_t j = 1; j < v; j++)
            if (x[j] > mx) mx = x[j]; /* a NaN elsewhere reaches s below */
        float s = 0.0f;
        for (size_t j = 0; j < v; j++) s += expf(x[j] - mx);
        sum += logf(s) + (mx - x[t]);
        if (!dlogits) continue;
        float *d = dlogits + i * v;
        for (size_t j = 0; j < v; j++) {
            float p = expf(x[j] - mx) / s;
            d[j] += (j == t ? p - 1.0f : p) * inv_count;
        }
    }
    *loss = sum / (float)count;
}

/* *loss = sum_i (pred_i - target_i)^2 / n; dpred_i += c (pred_i - target_i)
 * with c = 2/n rounded once from double, as PyTorch's mse_loss_backward
 * (norm = 2. / numel, then norm * (input - target) * grad). n = 0: loss 0
 * (PyTorch's mean of nothing is NaN). */
void nns_mse_fwd_bwd__scalar(float *loss, float *dpred, const float *pred, const float *target,
                             size_t n)
{
    if (n == 0) {
        *loss = 0.0f;
        return;
    }
    float sum = 0.0f;
    for (size_t i = 0; i < n; i++) {
        float d = pred[i] - target[i];
        sum += d * d;
    }
    *loss = sum / (float)n;
    if (!dpred) return;
    const float c = (float)(2.0 / (double)n);
    for (size_t i = 0; i < n; i++) dpred[i] += c * (pred[i] - target[i]);
}
