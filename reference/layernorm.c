/* Scalar reference of layer normalization over the last dimension
 * (torch.nn.LayerNorm(c, eps) with weight and bias). Compiled with
 * -O2 -fno-tree-vectorize -ffp-contract=off: straight loops.
 *
 * Statistics in float, two passes over the row: the mean first, then the
 * sum of squared deviations about that mean. Why float and two passes:
 *  - two passes, not E[x^2] - E[x]^2: the deviations are formed before
 *    squaring, so a large mean cannot cancel the variance away; the
 *    mean's own error enters the variance only squared (the deviations
 *    about the exact mean sum to zero), see tests/check/check_layernorm.c;
 *  - float, not double accumulators: it is the arithmetic every SIMD
 *    variant uses, so the one derived bound (gamma_C sums) is exercised
 *    by the reference itself, and a double reference would still be
 *    judged against the double truth, not trusted as one.
 * The row is read three times (mean, variance, output); it stays in L1. */
#include "nnsimd_internal.h"

#include <math.h>

/* mean = sum x / c; var = sum (x - mean)^2 / c (biased);
 * rstd = 1 / sqrt(var + eps); out = (x - mean) * rstd * weight + bias. */
void nns_layernorm_fwd__scalar(float *out, float *mean, float *rstd, const float *in,
                               const float *weight, const float *bias, size_t n, size_t c,
                               float eps)
{
    for (size_t i = 0; i < n; i++) {
        const float *x = in + i * c;
        float *y = out + i * c;
        float s = 0.0f;
        for (size_t k = 0; k < c; k++) s += x[k];
        float m = s / (float)c; /* c = 0: NaN, as torch's mean of nothing */
        float v = 0.0f;
        for (size_t k = 0; k < c; k++) {
            float d = x[k] - m;
            v += d * d;
        }
        v = v / (float)c;
        float r = 1.0f / sqrtf(v + eps);
        for (size_t k = 0; k < c; k++) y[k] = (x[k] - m) * r * weight[k] + bias[k];
        mean[i] = m;
        rstd[i] = r;
    }
}

/* With xhat = (x - mean) * rstd and gw = dout * weight, per row:
 *   din   += rstd * (gw - mean(gw) - xhat * mean(gw * xhat))
 *   dweight += sum over rows of dout * xhat
 *   dbias   += sum over rows of dout
 * (the gradient of out = xhat * weight + bias through mean and rstd).
 * dweight and dbias accumulate row by row, rows ascending. */
void nns_layernorm_bwd__scalar(float *din, float *dweight, float *dbias, const float *dout,
                               const float *in, const float *weight, const float *mean,
                               const float *rstd, size_t n, size_t c)
{
    for (size_t i = 0; i < n; i++) {
        const float *x = in + i * c, *g = dout + i * c;
        float *dx = din + i * c;
        float m = mean[i], r = rstd[i];
        float a = 0.0f, b = 0.0f; /* sum gw, sum gw * xhat */
        for (size_t k = 0; k < c; k++) {
            float xh = (x[k] - m) * r;
            float gw = g[k] * weight[k];
            a += gw;
            b += gw * xh;
        }
        a = a / (float)c;
        b = b / (float)c;
        for (size_t k = 0; k < c; k++) {
            float xh = (x[k] - m) * r;
            float gw = g[k] * weight[k];
            dx[k] += r * (gw - a - xh * b);
            dweight[k] += g[k] * xh;
            dbias[k] += g[k];
        }
    }
}
