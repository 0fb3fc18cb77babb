/* Public entry points of the linear layer: argument checks, then the
 * active variant.
 *
 * Checked:
 *   - NNS_ERR_SIZE: n*c, oc*c or n*oc floats overflow size_t (in bytes);
 *   - NNS_ERR_ARG: act is not one of nns_act's values;
 *   - NNS_ERR_NULL: a buffer the call reads or writes is NULL while its
 *     size is > 0: out (n*oc), in (n*c), weight (oc*c); in the backward
 *     dout (n*oc), in (n*c), weight (oc*c), pre (n*oc) when act is not
 *     NONE; and the workspace when the active variant asks for one
 *     (workspace size > 0). bias, pre (forward), din, dweight and dbias
 *     may be NULL: that is documented, not an error.
 * A call with nothing to compute (every size product 0, or no gradient
 * requested) still returns NNS_OK after the checks; the variant is not
 * called when it would touch nothing. */
#include "nnsimd_internal.h"

/* Size products and the activation, shared by both directions. */
static nns_status check_shape(size_t n, size_t c, size_t oc, nns_act act)
{
    if (nns_mul_overflows(n, c) || nns_mul_overflows(n * c, sizeof(float)) ||
        nns_mul_overflows(oc, c) || nns_mul_overflows(oc * c, sizeof(float)) ||
        nns_mul_overflows(n, oc) || nns_mul_overflows(n * oc, sizeof(float)))
        return NNS_ERR_SIZE;
    if ((unsigned)act > (unsigned)NNS_ACT_GELU_TANH) return NNS_ERR_ARG;
    return NNS_OK;
}

nns_status nns_linear_fwd(float *out, float *pre, const float *in, const float *weight,
                          const float *bias, size_t n, size_t c, size_t oc, nns_act act,
                          void *workspace)
{
    NNS_ACTIVE_OR_RETURN(t);
    nns_status st = check_shape(n, c, oc, act);
    if (st != NNS_OK) return st;
    if ((n * oc > 0 && !out) || (n * c > 0 && !in) || (oc * c > 0 && !weight)) return NNS_ERR_NULL;
    if (!workspace && t->linear_fwd_workspace_size(n, c, oc, act) > 0) return NNS_ERR_NULL;
    if (n * oc > 0) t->linear_fwd(out, pre, in, weight, bias, n, c, oc, act, workspace);
    return NNS_OK;
}

nns_status nns_linear_bwd(float *din, float *dweight, float *dbias, const float *dout,
                          const float *pre, const float *in, const float *weight, size_t n,
                          size_t c, size_t oc, nns_act act, void *workspace)
{
    NNS_ACTIVE_OR_RETURN(t);
    nns_status st = check_shape(n, c, oc, act);
    if (st != NNS_OK) return st;
    if ((n * oc > 0 && (!dout || (act != NNS_ACT_NONE && !pre))) || (n * c > 0 && !in) ||
        (oc * c > 0 && !weight))
        return NNS_ERR_NULL;
    if (!workspace && t->linear_bwd_workspace_size(n, c, oc, act) > 0) return NNS_ERR_NULL;
    /* Every gradient is a sum over g (n*oc): nothing to add if it is empty. */
    if (n * oc > 0 && (din || dweight || dbias))
        t->linear_bwd(din, dweight, dbias, dout, pre, in, weight, n, c, oc, act, workspace);
    return NNS_OK;
}

/* SIZE_MAX when a size product overflows; otherwise the active variant's
 * figure (an invalid act is the kernel's NNS_ERR_ARG, not a size). */
static int ws_overflows(size_t n, size_t c, size_t oc)
{
    return check_shape(n, c, oc, NNS_ACT_NONE) != NNS_OK;
}

size_t nns_linear_fwd_workspace_size(size_t n, size_t c, size_t oc, nns_act act)
{
    nns_status st;
    const nns_kernel_table *t = nns_active_table(&st);
    if (ws_overflows(n, c, oc)) return (size_t)-1;
    return t->linear_fwd_workspace_size(n, c, oc, act);
}

size_t nns_linear_bwd_workspace_size(size_t n, size_t c, size_t oc, nns_act act)
{
    nns_status st;
    const nns_kernel_table *t = nns_active_table(&st);
    if (ws_overflows(n, c, oc)) return (size_t)-1;
    return t->linear_bwd_workspace_size(n, c, oc, act);
}
