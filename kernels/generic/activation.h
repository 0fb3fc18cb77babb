/* The activation family written once over the vf_* operations; each ISA's
 * activation.c includes its vec.h and then this file, which defines
 * nns_<kernel>__<isa>. Same formulas as reference/activation.c. */
#include "variant.h"
#include "vmath.h"

/* Applies `op(x)` to n floats (unary forward) with a masked tail. */
#define NNS_MAP_FWD(out, in, n, op)                         \
    do {                                                    \
        size_t i_ = 0;                                      \
        for (; i_ + VF_LANES <= (n); i_ += VF_LANES)        \
            vf_store((out) + i_, op(vf_load((in) + i_)));   \
        if (i_ < (n)) {                                     \
            size_t r_ = (n) - i_;                           \
            vf_store_n((out) + i_, op(vf_load_n((in) + i_, r_)), r_); \
        }                                                   \
    } while (0)

/* din += dout * deriv(x) over n floats with a masked tail. */
#define NNS_MAP_BWD(din, dout, in, n, deriv)                                 \
    do {                                                                     \
        size_t i_ = 0;                                                       \
        for (; i_ + VF_LANES <= (n); i_ += VF_LANES)                         \
            vf_store((din) + i_, vf_add(vf_load((din) + i_),                 \
                     vf_mul(vf_load((dout) + i_), deriv(vf_load((in) + i_))))); \
        if (i_ < (n)) {                                                      \
            size_t r_ = (n) - i_;                                            \
            vf g_ = vf_mul(vf_load_n((dout) + i_, r_), deriv(vf_load_n((in) + i_, r_))); \
            vf_store_n((din) + i_, vf_add(vf_load_n((din) + i_, r_), g_), r_); \
        }                                                                    \
    } while (0)

static inline vf relu(vf x) { return vf_select(vf_lt(x, vf_set1(0.0f)), vf_set1(0.0f), x); }

void NNS_VARIANT(relu_fwd)(float *out, const float *in, size_t n)
{
    NNS_MAP_FWD(out, in, n, relu);
}

/* din += (x <= 0 ? 0 : dout): a select, so dout's NaN/Inf stay masked. */
void NNS_VARIANT(relu_bwd)(float *din, const float *dout, const float *in, size_t n)
{
    const vf zero = vf_set1(0.0f);
    size_t i = 0;
    for (; i + VF_LANES <= n; i += VF_LANES) {
        vf g = vf_select(vf_le(vf_load(in + i), zero), zero, vf_load(dout + i));
        vf_store(din + i, vf_add(vf_load(din + i), g));
    }
    if (i < n) {
        size_t r = n - i;
        vf g = vf_select(vf_le(vf_load_n(in + i, r), zero), zero, vf_load_n(dout + i, r));
        vf_store_n(din + i, vf_add(vf_load_n(din + i, r), g), r);
    }
}

/* gelu(x) = x/2 * erfc(-x/sqrt(2)) */
static inline vf gelu(vf x)
{
    vf e = vf_erfc(vf_mul(x, vf_set1(-0.70710678118654752f)));
    return vf_mul(vf_mul(vf_set1(0.5f), x), e);
}

/* gelu'(x) = Phi(x) + x phi(x) = erfc(-x/sqrt(2))/2 + x exp(-x^2/2)/sqrt(2 pi) */
static inline vf gelu_deriv(vf x)
{
    vf cdf = vf_mul(vf_set1(0.5f), vf_erfc(vf_mul(x, vf_set1(-0.70710678118654752f))));
    vf pdf = vf_mul(vf_exp(vf_mul(vf_set1(-0.5f), vf_mul(x, x))), vf_set1(0.39894228040143268f));
    return vf_fma(x, pdf, cdf);
}

void NNS_VARIANT(gelu_fwd)(float *out, const float *in, size_t n)
{
    NNS_MAP_FWD(out, in, n, gelu);
}

void NNS_VARIANT(gelu_bwd)(float *din, const float *dout, const float *in, size_t n)
{
    NNS_MAP_BWD(din, dout, in, n, gelu_deriv);
}

/* The tanh form as x * sigmoid(w), w = 2 sqrt(2/pi) (x + 0.044715 x^3),
 * x clamped to [-20, 20] (NaN kept) where sigmoid is already 0 or 1. */
static inline vf gelu_tanh_clamp(vf x)
{
    const vf c = vf_set1(20.0f), mc = vf_set1(-20.0f);
    return vf_select(vf_gt(x, c), c, vf_select(vf_lt(x, mc), mc, x));
}

static inline vf gelu_tanh_w(vf xc)
{
    vf x3 = vf_mul(vf_mul(xc, xc), xc);
    return vf_mul(vf_set1(2.0f * 0.79788456080286536f), vf_fma(vf_set1(0.044715f), x3, xc));
}

static inline vf gelu_tanh(vf x)
{
    vf w = gelu_tanh_w(gelu_tanh_clamp(x));
    vf e = vf_exp(vf_sub(vf_set1(0.0f), vf_abs(w)));
    vf a = vf_div(vf_set1(1.0f), vf_add(vf_set1(1.0f), e));
    vf s = vf_select(vf_ge(w, vf_set1(0.0f)), a, vf_mul(e, a));
    return vf_mul(x, s);
}

/* d/dx = s + x s(1-s) dw/dx, s(1-s) = e a^2, dw/dx = 2 sqrt(2/pi)(1 + 3c x^2) */
static inline vf gelu_tanh_deriv(vf x)
{
    vf xc = gelu_tanh_clamp(x);
    vf w = gelu_tanh_w(xc);
    vf e = vf_exp(vf_sub(vf_set1(0.0f), vf_abs(w)));
    vf a = vf_div(vf_set1(1.0f), vf_add(vf_set1(1.0f), e));
    vf s = vf_select(vf_ge(w, vf_set1(0.0f)), a, vf_mul(e, a));
    vf dw = vf_mul(vf_set1(2.0f * 0.79788456080286536f),
                   vf_fma(vf_set1(3.0f * 0.044715f), vf_mul(xc, xc), vf_set1(1.0f)));
    return vf_fma(vf_mul(xc, vf_mul(e, vf_mul(a, a))), dw, s);
}

void NNS_VARIANT(gelu_tanh_fwd)(float *out, const float *in, size_t n)
{
    NNS_MAP_FWD(out, in, n, gelu_tanh);
}

void NNS_VARIANT(gelu_tanh_bwd)(float *din, const float *dout, const float *in, size_t n)
{
    NNS_MAP_BWD(din, dout, in, n, gelu_tanh_deriv);
}

/* vf_exp over an array, so tests can hold it to its ULP bound against a
 * double-precision exp (not a kernel of the list). */
void NNS_VARIANT(vexp)(float *out, const float *in, size_t n)
{
    NNS_MAP_FWD(out, in, n, vf_exp);
}
