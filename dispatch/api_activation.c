/* Public entry points of the activation family: argument checks, then the
 * active variant. */
#include "nnsimd_internal.h"

static nns_status check_elementwise(const void *a, const void *b, const void *c, size_t n)
{
    if (nns_mul_overflows(n, sizeof(float))) return NNS_ERR_SIZE;
    if (n > 0 && (!a || !b || !c)) return NNS_ERR_NULL;
    return NNS_OK;
}

#define NNS_UNARY_API(op)                                                         \
    nns_status nns_##op##_fwd(float *out, const float *in, size_t n)              \
    {                                                                             \
        NNS_ACTIVE_OR_RETURN(t);                                                  \
        nns_status st = check_elementwise(out, in, in, n);                        \
        if (st == NNS_OK) t->op##_fwd(out, in, n);                                \
        return st;                                                                \
    }                                                                             \
    nns_status nns_##op##_bwd(float *din, const float *dout, const float *in, size_t n) \
    {                                                                             \
        NNS_ACTIVE_OR_RETURN(t);                                                  \
        nns_status st = check_elementwise(din, dout, in, n);                      \
        if (st == NNS_OK) t->op##_bwd(din, dout, in, n);                          \
        return st;                                                                \
    }

NNS_UNARY_API(relu)
NNS_UNARY_API(gelu)
NNS_UNARY_API(gelu_tanh)
