/* Scalar reference activations: ReLU, GELU (erf form) and GELU (tanh form).
 * Compiled with -O2 -fno-tree-vectorize: straight loops, the ground truth
 * every SIMD variant is checked against. */
#include "nnsimd_internal.h"

#include <math.h>

#define INV_SQRT2 0.70710678118654752f      /* 1/sqrt(2) */
#define INV_SQRT_2PI 0.39894228040143268f   /* 1/sqrt(2*pi) */
#define SQRT_2_OVER_PI 0.79788456080286536f /* sqrt(2/pi) */
#define GELU_TANH_C 0.044715f
/* Beyond |x| = 20 the tanh form's sigmoid is exactly 0 or 1 in float;
 * clamping there keeps x^3 from overflowing into inf * 0 = NaN. */
#define GELU_TANH_CLAMP 20.0f

void nns_relu_fwd__scalar(float *out, const float *in, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = in[i] < 0.0f ? 0.0f : in[i]; /* NaN stays NaN */
}

void nns_relu_bwd__scalar(float *din, const float *dout, const float *in, size_t n)
{
    for (size_t i = 0; i < n; i++)
        din[i] += in[i] <= 0.0f ? 0.0f : dout[i];
}

/* gelu(x) = x * Phi(x) = x/2 * erfc(-x/sqrt(2)); erfc avoids the
 * cancellation of 1 + erf(x/sqrt(2)) for negative x. */
void nns_gelu_fwd__scalar(float *out, const float *in, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        float x = in[i];
        out[i] = 0.5f * x * erfcf(-x * INV_SQRT2);
    }
}

/* gelu'(x) = Phi(x) + x * phi(x), phi(x) = exp(-x^2/2) / sqrt(2 pi). */
void nns_gelu_bwd__scalar(float *din, const float *dout, const float *in, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        float x = in[i];
        float cdf = 0.5f * erfcf(-x * INV_SQRT2);
        float pdf = expf(-0.5f * x * x) * INV_SQRT_2PI;
        din[i] += dout[i] * (cdf + x * pdf);
    }
}

/* Clamps to [-c, c], keeping NaN. */
static float clampf(float x, float c)
{
    return x > c ? c : x < -c ? -c : x;
}

/* w = 2u = 2 sqrt(2/pi) (x + 0.044715 x^3) for the clamped x. */
static float gelu_tanh_w(float x)
{
    float xc = clampf(x, GELU_TANH_CLAMP);
    return 2.0f * SQRT_2_OVER_PI * (xc + GELU_TANH_C * xc * xc * xc);
}

/* 0.5 (1 + tanh(u)) = sigmoid(2u). With e = exp(-|w|), sigmoid(w) is
 * 1/(1+e) for w >= 0 and e/(1+e) for w < 0: neither form cancels. */
static float sigmoid(float w)
{
    float e = expf(-fabsf(w));
    float a = 1.0f / (1.0f + e);
    return w >= 0.0f ? a : e * a;
}

void nns_gelu_tanh_fwd__scalar(float *out, const float *in, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = in[i] * sigmoid(gelu_tanh_w(in[i]));
}

/* d/dx [x s(w)] = s + x s (1 - s) dw/dx, dw/dx = 2 sqrt(2/pi) (1 + 3c x^2),
 * with s (1 - s) = e / (1 + e)^2, e = exp(-|w|) (symmetric in w). */
void nns_gelu_tanh_bwd__scalar(float *din, const float *dout, const float *in, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        float x = in[i];
        float xc = clampf(x, GELU_TANH_CLAMP);
        float w = gelu_tanh_w(x);
        float e = expf(-fabsf(w));
        float a = 1.0f / (1.0f + e);
        float s = w >= 0.0f ? a : e * a;
        float dw = 2.0f * SQRT_2_OVER_PI * (1.0f + 3.0f * GELU_TANH_C * xc * xc);
        din[i] += dout[i] * (s + xc * (e * a * a) * dw);
    }
}
