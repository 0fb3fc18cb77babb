/* Scalar reference of the linear layer (torch's nn.Linear with a fused
 * activation). Compiled with -O2 -fno-tree-vectorize -ffp-contract=off:
 * straight loops, the ground truth the SIMD variants are checked against.
 *
 * Every sum runs in float over its reduction index in ascending order:
 * the forward's dot products start from 0 and add the bias last; the
 * backward's sums start from the gradient they accumulate into. The
 * error bound of the tolerance table (gamma_{K+1} of the dot product,
 * tests/check/check_linear.c) holds for any order and for FMA, so the
 * SIMD variants may block and fuse differently. The
 * activation and its derivative are the activation family's own scalar
 * kernels (reference/activation.c), called on whole rows. */
#include "nnsimd_internal.h"

/* The activation's forward and backward references; NULL for NONE. */
static nns_unary_fwd_fn *act_fwd(nns_act act)
{
    switch (act) {
    case NNS_ACT_RELU: return nns_relu_fwd__scalar;
    case NNS_ACT_GELU: return nns_gelu_fwd__scalar;
    case NNS_ACT_GELU_TANH: return nns_gelu_tanh_fwd__scalar;
    default: return NULL;
    }
}

static nns_unary_bwd_fn *act_bwd(nns_act act)
{
    switch (act) {
    case NNS_ACT_RELU: return nns_relu_bwd__scalar;
    case NNS_ACT_GELU: return nns_gelu_bwd__scalar;
    case NNS_ACT_GELU_TANH: return nns_gelu_tanh_bwd__scalar;
    default: return NULL;
    }
}

/* z[i,o] = sum_k in[i,k] weight[o,k] + bias[o]; out = act(z), and pre = z
 * when act is not NONE and pre is not NULL. With c = 0 the sum is empty:
 * out = act(bias). */
void nns_linear_fwd__scalar(float *out, float *pre, const float *in, const float *weight,
                            const float *bias, size_t n, size_t c, size_t oc, nns_act act,
                            void *workspace)
{
    (void)workspace; /* the reference needs none */
    nns_unary_fwd_fn *f = act_fwd(act);
    for (size_t i = 0; i < n; i++) {
        const float *x = in + i * c;
        /* z goes where the backward wants it (pre), or straight into out. */
        float *z = f && pre ? pre + i * oc : out + i * oc;
        for (size_t o = 0; o < oc; o++) {
            const float *w = weight + o * c;
            float s = 0.0f;
            for (size_t k = 0; k < c; k++) s += x[k] * w[k];
            z[o] = bias ? s + bias[o] : s;
        }
        if (f) f(out + i * oc, z, oc); /* in place when pre is NULL */
    }
}

/* The forward needs no scratch memory. */
size_t nns_linear_fwd_workspace_size__scalar(size_t n, size_t c, size_t oc, nns_act act)
{
    (void)n, (void)c, (void)oc, (void)act;
    return 0;
}

/* With g = dout * act'(pre) (g = dout for NONE):
 *   din[i,k]     += sum_o g[i,o] weight[o,k]
 *   dweight[o,k] += sum_i g[i,o] in[i,k]
 *   dbias[o]     += sum_i g[i,o]
 * Each sum is accumulated straight into its gradient, over its reduction
 * index (o for din, i for dweight and dbias) in ascending order, as llm.c
 * does: rows are streamed contiguously and no scratch is needed for the
 * sums. dout is const, so for act != NONE g is materialized in the
 * workspace (n*oc floats) by the activation's backward reference applied
 * to a zeroed buffer: g = 0 + dout * act'(pre), exactly dout * act'(pre). */
void nns_linear_bwd__scalar(float *din, float *dweight, float *dbias, const float *dout,
                            const float *pre, const float *in, const float *weight, size_t n,
                            size_t c, size_t oc, nns_act act, void *workspace)
{
    nns_unary_bwd_fn *df = act_bwd(act);
    const float *g = dout;
    if (df && n * oc > 0) {
        float *gw = workspace;
        for (size_t j = 0; j < n * oc; j++) gw[j] = 0.0f;
        df(gw, dout, pre, n * oc);
        g = gw;
    }
    for (size_t i = 0; i < n; i++) {
        const float *gi = g + i * oc, *x = in + i * c;
        for (size_t o = 0; o < oc; o++) {
            float go = gi[o];
            const float *w = weight + o * c;
            if (din)
                for (size_t k = 0; k < c; k++) din[i * c + k] += go * w[k];
            if (dweight)
                for (size_t k = 0; k < c; k++) dweight[o * c + k] += go * x[k];
            if (dbias) dbias[o] += go;
        }
    }
}

/* n*oc floats for g when there is an activation, none otherwise. */
size_t nns_linear_bwd_workspace_size__scalar(size_t n, size_t c, size_t oc, nns_act act)
{
    (void)c;
    if (act == NNS_ACT_NONE) return 0;
    if (nns_mul_overflows(n, oc) || nns_mul_overflows(n * oc, sizeof(float))) return (size_t)-1;
    return n * oc * sizeof(float);
}
