/* Scalar reference elementwise helpers: add, mean pooling over the time
 * axis (forward and backward), sum of squares and scale. Compiled with
 * -O2 -fno-tree-vectorize: straight loops, the ground truth every SIMD
 * variant is checked against. */
#include "nnsimd_internal.h"

/* out = a + b; out may alias a or b (each element is read before it is
 * written). */
void nns_add__scalar(float *out, const float *a, const float *b, size_t n)
{
    for (size_t i = 0; i < n; i++) out[i] = a[i] + b[i];
}

/* out[s,j] = (sum_{i<L} in[s,i,j]) / L, L = lengths[s] (t if lengths is
 * NULL): the sum in float in order of i, then one division. L = 0 gives 0. */
void nns_mean_pool_fwd__scalar(float *out, const float *in, const int32_t *lengths, size_t b,
                               size_t t, size_t c)
{
    for (size_t s = 0; s < b; s++) {
        size_t len = lengths ? (size_t)lengths[s] : t;
        float *y = out + s * c;
        for (size_t j = 0; j < c; j++) y[j] = 0.0f;
        if (len == 0) continue;
        const float *x = in + s * t * c;
        for (size_t i = 0; i < len; i++)
            for (size_t j = 0; j < c; j++) y[j] += x[i * c + j];
        const float fl = (float)len;
        for (size_t j = 0; j < c; j++) y[j] /= fl;
    }
}

/* din[s,i,j] += dout[s,j] / L for i < L; rows i >= L (padding) untouched. */
void nns_mean_pool_bwd__scalar(float *din, const float *dout, const int32_t *lengths, size_t b,
                               size_t t, size_t c)
{
    for (size_t s = 0; s < b; s++) {
        size_t len = lengths ? (size_t)lengths[s] : t;
        if (len == 0) continue;
        const float fl = (float)len;
        const float *g = dout + s * c;
        float *d = din + s * t * c;
        for (size_t i = 0; i < len; i++)
            for (size_t j = 0; j < c; j++) d[i * c + j] += g[j] / fl;
    }
}

/* *out = sum x[i]^2. Each square of a float is exact in double and the
 * running sum is kept in double, so the result is the exact sum rounded
 * once to float, give or take n * 2^-53 of it: more accurate than any
 * float-lane order, and independent of alignment by construction. */
void nns_sum_squares__scalar(float *out, const float *x, size_t n)
{
    double acc = 0.0;
    for (size_t i = 0; i < n; i++) acc += (double)x[i] * (double)x[i];
    *out = (float)acc;
}

/* out = s * in; out may equal in. */
void nns_scale__scalar(float *out, const float *in, float s, size_t n)
{
    for (size_t i = 0; i < n; i++) out[i] = s * in[i];
}
