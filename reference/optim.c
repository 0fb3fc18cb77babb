/* Scalar reference optimizer steps: torch.optim.SGD and Adam/AdamW, one
 * in-place step over one flat buffer. Compiled with -O2
 * -fno-tree-vectorize -ffp-contract=off.
 *
 * The float operations are PyTorch 1.13's single-tensor (foreach=False)
 * code, op for op and in its order (torch/optim/sgd.py _single_tensor_sgd,
 * adam.py _single_tensor_adam, adamw.py _single_tensor_adamw), so that a
 * step agrees with torch bit for bit on the machines where it was compared:
 *   - a Python-float hyper-parameter reaches a kernel as a float Scalar;
 *     derived ones (1 - beta1, lr / bias_correction1, ...) are computed in
 *     double, as Python does, then rounded to float once;
 *   - t.add(o, alpha=a) is, in 1.13's CPU kernel (ufunc add on the AVX2
 *     and AVX-512 builds), vec::fmadd(o, a, t): ONE rounding, written
 *     fmaf(a, o, t) here; addcmul_(t1, t2, value=c) is t + (c*t1)*t2, which
 *     GCC contracts to fma(c*t1, t2, t) in those builds (checked against
 *     torch's output, tools/fixtures/fam_loss_optim.py);
 *   - mul_ by a scalar, sqrt, division by a scalar and addcdiv_
 *     (t + (c*t1)/t2) are plain float operations, one rounding each.
 * PyTorch's DEFAULT (no-AVX2) build rounds a*o and t + a*o separately in
 * those fused places: there the two differ by at most one rounding per
 * fused operation, well inside the tolerance of tests/check/check_optim.c.
 * fmaf is exact on every platform (a libm call on baseline x86-64, the
 * fmadd instruction on aarch64), so the reference gives the same bits on
 * both. Against the torch 1.13 that made tests/fixtures/optim_*, every
 * element of three SGD and Adam/AdamW steps is bit-identical.
 * One place where we cannot follow torch: its step counter is a float32
 * tensor, which stops counting at 2^24; `step` here is exact. */
#include "nnsimd_internal.h"

#include <math.h>

/* torch.optim.SGD, step `step` (1 for the first):
 *   d_p = grad + weight_decay * param             (if weight_decay != 0)
 *   buf = d_p                                     (step 1)
 *       = momentum * buf + (1 - dampening) * d_p  (later steps)
 *   d_p = d_p + momentum * buf (nesterov) or buf  (if momentum != 0)
 *   param = param - lr * d_p */
void nns_sgd_step__scalar(float *param, float *momentum_buf, const float *grad, size_t n,
                          const nns_sgd_config *cfg, uint64_t step)
{
    const float lr = cfg->lr, mu = cfg->momentum, wd = cfg->weight_decay;
    const float keep = (float)(1.0 - (double)cfg->dampening); /* alpha=1 - dampening */
    for (size_t i = 0; i < n; i++) {
        float d_p = grad[i];
        if (wd != 0.0f) d_p = fmaf(wd, param[i], d_p);           /* d_p.add(param, alpha=wd) */
        if (mu != 0.0f) {
            float buf = step == 1 ? d_p                            /* clone(d_p) */
                                  : fmaf(keep, d_p, momentum_buf[i] * mu); /* mul_, add_ */
            momentum_buf[i] = buf;
            d_p = cfg->nesterov ? fmaf(mu, buf, d_p) : buf;        /* d_p.add(buf, alpha=mu) */
        }
        param[i] = fmaf(-lr, d_p, param[i]);                      /* param.add_(d_p, alpha=-lr) */
    }
}

/* torch.optim.Adam (decoupled = 0) / AdamW (decoupled = 1), step `step`:
 *   Adam:  g = grad + weight_decay * param        (if weight_decay != 0)
 *   AdamW: param = param * (1 - lr * weight_decay)
 *   m = beta1 m + (1 - beta1) g;  v = beta2 v + (1 - beta2) g g
 *   bias_correction1 = 1 - beta1^step, bias_correction2 = 1 - beta2^step (double)
 *   denom = sqrt(v) / sqrt(bias_correction2) + eps
 *   param = param + (-lr / bias_correction1) m / denom */
void nns_adam_step__scalar(float *param, float *m, float *v, const float *grad, size_t n,
                           const nns_adam_config *cfg, uint64_t step)
{
    const double k = (double)step;
    const double bias_correction1 = 1.0 - pow((double)cfg->beta1, k);
    const double bias_correction2 = 1.0 - pow((double)cfg->beta2, k);
    const float neg_step_size = (float)-((double)cfg->lr / bias_correction1); /* value=-step_size */
    const float bc2_sqrt = (float)sqrt(bias_correction2);
    const float beta1 = cfg->beta1, beta2 = cfg->beta2, eps = cfg->eps, wd = cfg->weight_decay;
    const float one_minus_beta1 = (float)(1.0 - (double)beta1);
    const float one_minus_beta2 = (float)(1.0 - (double)beta2);
    const float decay = (float)(1.0 - (double)cfg->lr * (double)wd); /* AdamW's mul_ */
    for (size_t i = 0; i < n; i++) {
        float g = grad[i], p = param[i];
        if (cfg->decoupled)
            p = p * decay;                                        /* param.mul_(1 - lr*wd) */
        else if (wd != 0.0f)
            g = fmaf(wd, p, g);                                   /* grad.add(param, alpha=wd) */
        float mi = fmaf(one_minus_beta1, g, m[i] * beta1);       /* mul_(beta1).add_(g, alpha) */
        float vi = fmaf(one_minus_beta2 * g, g, v[i] * beta2);   /* mul_(beta2).addcmul_(g, g) */
        float denom = sqrtf(vi) / bc2_sqrt + eps;                /* (v.sqrt() / bc2_sqrt).add_(eps) */
        param[i] = p + neg_step_size * mi / denom;               /* addcdiv_(m, denom, value) */
        m[i] = mi;
        v[i] = vi;
    }
}
