/* Public entry points of the optimizer family: argument checks, then the
 * active variant.
 *
 * The hyper-parameter checks are torch.optim 1.13's, comparison for
 * comparison, NaN included: SGD raises on `lr < 0.0`, `momentum < 0.0`,
 * `weight_decay < 0.0` and `nesterov and (momentum <= 0 or dampening !=
 * 0)`, none of which is true for a NaN, so SGD accepts NaN (and so do we);
 * Adam and AdamW raise on `not 0.0 <= lr`, `not 0.0 <= eps`, `not 0.0 <=
 * beta < 1.0` and `not 0.0 <= weight_decay`, which a NaN fails. Step 0 is
 * ours: torch counts steps from 1 (bias correction 1 - beta^0 = 0 would
 * divide by zero). */
#include "nnsimd_internal.h"

static nns_status check_buffers(size_t n, const void *a, const void *b, const void *c)
{
    if (nns_mul_overflows(n, sizeof(float))) return NNS_ERR_SIZE;
    if (n > 0 && (!a || !b || !c)) return NNS_ERR_NULL;
    return NNS_OK;
}

nns_status nns_sgd_step(float *param, float *momentum_buf, const float *grad, size_t n,
                        const nns_sgd_config *cfg, uint64_t step)
{
    NNS_ACTIVE_OR_RETURN(t);
    if (!cfg) return NNS_ERR_NULL;
    if (cfg->lr < 0.0f || cfg->momentum < 0.0f || cfg->weight_decay < 0.0f ||
        (cfg->nesterov && (cfg->momentum <= 0.0f || cfg->dampening != 0.0f)) || step == 0)
        return NNS_ERR_ARG;
    /* The momentum buffer is needed only when momentum != 0. */
    nns_status st = check_buffers(n, param, grad, cfg->momentum != 0.0f ? momentum_buf : param);
    if (st == NNS_OK) t->sgd_step(param, momentum_buf, grad, n, cfg, step);
    return st;
}

nns_status nns_adam_step(float *param, float *m, float *v, const float *grad, size_t n,
                         const nns_adam_config *cfg, uint64_t step)
{
    NNS_ACTIVE_OR_RETURN(t);
    if (!cfg) return NNS_ERR_NULL;
    if (!(0.0f <= cfg->lr) || !(0.0f <= cfg->eps) || !(0.0f <= cfg->beta1 && cfg->beta1 < 1.0f) ||
        !(0.0f <= cfg->beta2 && cfg->beta2 < 1.0f) || !(0.0f <= cfg->weight_decay) || step == 0)
        return NNS_ERR_ARG;
    nns_status st = check_buffers(n, param, grad, m);
    if (st == NNS_OK) st = check_buffers(n, v, v, v);
    if (st == NNS_OK) t->adam_step(param, m, v, grad, n, cfg, step);
    return st;
}
