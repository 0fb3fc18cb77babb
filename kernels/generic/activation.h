/* The activation family written once over the vf_* operations; each ISA's
 * activation.c includes its vec.h and then this file, which defines
 * nns_<kernel>__<isa>. Same formulas as reference/activation.c. */
#include "activation_math.h"
#include "variant.h"

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

void NNS_VARIANT(gelu_fwd)(float *out, const float *in, size_t n)
{
    NNS_MAP_FWD(out, in, n, gelu);
}

void NNS_VARIANT(gelu_bwd)(float *din, const float *dout, const float *in, size_t n)
{
    NNS_MAP_BWD(din, dout, in, n, gelu_deriv);
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

/* vf_erfc over an array, for the same reason. */
void NNS_VARIANT(verfc)(float *out, const float *in, size_t n)
{
    NNS_MAP_FWD(out, in, n, vf_erfc);
}
