/* Public entry points of the loss family: argument checks, then the active
 * variant. */
#include "nnsimd_internal.h"

nns_status nns_cross_entropy_fwd_bwd(float *loss, float *dlogits, const float *logits,
                                     const int32_t *targets, size_t n, size_t v,
                                     int32_t ignore_index)
{
    NNS_ACTIVE_OR_RETURN(t);
    if (nns_mul_overflows(n, v) || nns_mul_overflows(n * v, sizeof(float)) ||
        nns_mul_overflows(n, sizeof(int32_t)))
        return NNS_ERR_SIZE;
    if (!loss) return NNS_ERR_NULL;
    if (n * v > 0 && !logits) return NNS_ERR_NULL;
    if (n > 0 && !targets) return NNS_ERR_NULL; /* v = 0 too: which rows count? */
    t->cross_entropy_fwd_bwd(loss, dlogits, logits, targets, n, v, ignore_index);
    return NNS_OK;
}

nns_status nns_mse_fwd_bwd(float *loss, float *dpred, const float *pred, const float *target,
                           size_t n)
{
    NNS_ACTIVE_OR_RETURN(t);
    if (nns_mul_overflows(n, sizeof(float))) return NNS_ERR_SIZE;
    if (!loss) return NNS_ERR_NULL;
    if (n > 0 && (!pred || !target)) return NNS_ERR_NULL;
    t->mse_fwd_bwd(loss, dpred, pred, target, n);
    return NNS_OK;
}
