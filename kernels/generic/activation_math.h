/* Activation functions and derivatives on vectors, written once over the
 * vf_* operations of the including ISA's vec.h; same formulas as
 * reference/activation.c. Used by the activation kernels and by the
 * linear layer's fused epilogue. */
#ifndef NNS_ACTIVATION_MATH_H
#define NNS_ACTIVATION_MATH_H

#include "vmath.h"

static inline vf relu(vf x) { return vf_select(vf_lt(x, vf_set1(0.0f)), vf_set1(0.0f), x); }

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

/* The gradient through each activation: dout * act'(x). ReLU's is a
 * select, so dout's NaN/Inf stay masked where x <= 0. */
static inline vf relu_grad(vf d, vf x)
{
    return vf_select(vf_le(x, vf_set1(0.0f)), vf_set1(0.0f), d);
}
static inline vf gelu_grad(vf d, vf x) { return vf_mul(d, gelu_deriv(x)); }
static inline vf gelu_tanh_grad(vf d, vf x) { return vf_mul(d, gelu_tanh_deriv(x)); }

/* out = op(in) over n floats: whole vectors, then a masked tail. `op` is
 * inlined in the loop, so the long dependent chain of one vector's GELU
 * overlaps the next ones'. */
#define NNS_MAP_FWD(out, in, n, op)                                       \
    do {                                                                  \
        size_t i_ = 0;                                                    \
        for (; i_ + VF_LANES <= (n); i_ += VF_LANES)                      \
            vf_store((out) + i_, op(vf_load((in) + i_)));                 \
        if (i_ < (n)) {                                                   \
            size_t r_ = (n) - i_;                                         \
            vf_store_n((out) + i_, op(vf_load_n((in) + i_, r_)), r_);     \
        }                                                                 \
    } while (0)

/* out = grad(dout, in) over n floats, or out += it when `add` (an
 * activation's backward); whole vectors, then a masked tail. */
#define NNS_MAP_GRAD(out, dout, in, n, grad, add)                                   \
    do {                                                                            \
        size_t i_ = 0;                                                              \
        for (; i_ + VF_LANES <= (n); i_ += VF_LANES) {                              \
            vf g_ = grad(vf_load((dout) + i_), vf_load((in) + i_));                 \
            vf_store((out) + i_, (add) ? vf_add(vf_load((out) + i_), g_) : g_);     \
        }                                                                           \
        if (i_ < (n)) {                                                             \
            size_t r_ = (n) - i_;                                                   \
            vf g_ = grad(vf_load_n((dout) + i_, r_), vf_load_n((in) + i_, r_));     \
            vf_store_n((out) + i_, (add) ? vf_add(vf_load_n((out) + i_, r_), g_) : g_, r_); \
        }                                                                           \
    } while (0)

#endif
