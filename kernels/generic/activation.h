/* The activation family written once over the vf_* operations; each ISA's
 * activation.c includes its vec.h and then this file, which defines
 * nns_<kernel>__<isa>. Same formulas as reference/activation.c. */
#include "activation_math.h"
#include "variant.h"

void NNS_VARIANT(relu_fwd)(float *out, const float *in, size_t n)
{
    NNS_MAP_FWD(out, in, n, relu);
}

/* din += (x <= 0 ? 0 : dout) */
void NNS_VARIANT(relu_bwd)(float *din, const float *dout, const float *in, size_t n)
{
    NNS_MAP_GRAD(din, dout, in, n, relu_grad, 1);
}

void NNS_VARIANT(gelu_fwd)(float *out, const float *in, size_t n)
{
    NNS_MAP_FWD(out, in, n, gelu);
}

void NNS_VARIANT(gelu_bwd)(float *din, const float *dout, const float *in, size_t n)
{
    NNS_MAP_GRAD(din, dout, in, n, gelu_grad, 1);
}

void NNS_VARIANT(gelu_tanh_fwd)(float *out, const float *in, size_t n)
{
    NNS_MAP_FWD(out, in, n, gelu_tanh);
}

void NNS_VARIANT(gelu_tanh_bwd)(float *din, const float *dout, const float *in, size_t n)
{
    NNS_MAP_GRAD(din, dout, in, n, gelu_tanh_grad, 1);
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
