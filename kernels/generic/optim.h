/* The optimizer steps written once over the vf_* operations; each ISA's
 * optim.c includes its vec.h and then this file, which defines
 * nns_{sgd,adam}_step__<isa>.
 *
 * Every element goes through reference/optim.c's operations in its order,
 * which is torch 1.13's: the derived constants computed in double and
 * rounded to float once, exactly as there; vf_fma where the reference
 * writes fmaf (torch's fused places on its AVX2/AVX-512 builds), one
 * rounding each; plain vector mul, sqrt, div and add elsewhere. So a step
 * gives the reference's bits, and hence torch's, on every ISA.
 *
 * The options are constant over a call: each combination gets its own
 * loop (the body is inlined with constant flags), so the loop does no
 * per-element branching. */
#include "variant.h"

#include <math.h>
#include <stdint.h>

#define NNS_ALWAYS_INLINE static inline __attribute__((always_inline))

/* ---- SGD ---- */

typedef struct sgd_consts {
    vf lr_neg, mu, keep, wd;
} sgd_consts;

/* One vector of torch.optim.SGD: *p, *b updated from g. */
NNS_ALWAYS_INLINE void sgd_vec(vf *p, vf *b, vf g, const sgd_consts *k, int has_wd, int has_mu,
                               int first, int nesterov)
{
    vf d = g;
    if (has_wd) d = vf_fma(k->wd, *p, d);                          /* d_p.add(param, alpha=wd) */
    if (has_mu) {
        vf buf = first ? d : vf_fma(k->keep, d, vf_mul(*b, k->mu)); /* clone / mul_, add_ */
        *b = buf;
        d = nesterov ? vf_fma(k->mu, buf, d) : buf;                /* d_p.add(buf, alpha=mu) */
    }
    *p = vf_fma(k->lr_neg, d, *p);                                 /* param.add_(d_p, alpha=-lr) */
}

NNS_ALWAYS_INLINE void sgd_loop(float *param, float *buf, const float *grad, size_t n,
                                const sgd_consts *k, int has_wd, int has_mu, int first,
                                int nesterov)
{
    size_t i = 0;
    for (; i + VF_LANES <= n; i += VF_LANES) {
        vf p = vf_load(param + i), b = k->mu; /* b unread unless has_mu && !first */
        if (has_mu && !first) b = vf_load(buf + i);
        sgd_vec(&p, &b, vf_load(grad + i), k, has_wd, has_mu, first, nesterov);
        vf_store(param + i, p);
        if (has_mu) vf_store(buf + i, b);
    }
    if (i < n) {
        const size_t r = n - i;
        vf p = vf_load_n(param + i, r), b = k->mu;
        if (has_mu && !first) b = vf_load_n(buf + i, r);
        sgd_vec(&p, &b, vf_load_n(grad + i, r), k, has_wd, has_mu, first, nesterov);
        vf_store_n(param + i, p, r);
        if (has_mu) vf_store_n(buf + i, b, r);
    }
}

void NNS_VARIANT(sgd_step)(float *param, float *momentum_buf, const float *grad, size_t n,
                           const nns_sgd_config *cfg, uint64_t step)
{
    const sgd_consts k = {
        vf_set1(-cfg->lr), vf_set1(cfg->momentum),
        vf_set1((float)(1.0 - (double)cfg->dampening)), /* alpha=1 - dampening */
        vf_set1(cfg->weight_decay),
    };
    const int wd = cfg->weight_decay != 0.0f, mu = cfg->momentum != 0.0f;
    const int first = step == 1, nest = cfg->nesterov != 0;
    float *b = momentum_buf;
    if (!mu) {
        if (wd) sgd_loop(param, b, grad, n, &k, 1, 0, 0, 0);
        else sgd_loop(param, b, grad, n, &k, 0, 0, 0, 0);
    } else if (first) {
        if (wd && nest) sgd_loop(param, b, grad, n, &k, 1, 1, 1, 1);
        else if (wd) sgd_loop(param, b, grad, n, &k, 1, 1, 1, 0);
        else if (nest) sgd_loop(param, b, grad, n, &k, 0, 1, 1, 1);
        else sgd_loop(param, b, grad, n, &k, 0, 1, 1, 0);
    } else {
        if (wd && nest) sgd_loop(param, b, grad, n, &k, 1, 1, 0, 1);
        else if (wd) sgd_loop(param, b, grad, n, &k, 1, 1, 0, 0);
        else if (nest) sgd_loop(param, b, grad, n, &k, 0, 1, 0, 1);
        else sgd_loop(param, b, grad, n, &k, 0, 1, 0, 0);
    }
}

/* ---- Adam / AdamW ---- */

typedef struct adam_consts {
    vf neg_step_size, bc2_sqrt, beta1, beta2, eps, wd, one_minus_beta1, one_minus_beta2, decay;
} adam_consts;

/* mode: 0 Adam without weight decay, 1 Adam with (L2 on the gradient),
 * 2 AdamW (decoupled decay). */
NNS_ALWAYS_INLINE void adam_vec(vf *p, vf *m, vf *v, vf g, const adam_consts *k, int mode)
{
    vf pp = *p;
    if (mode == 2) pp = vf_mul(pp, k->decay);                       /* param.mul_(1 - lr*wd) */
    else if (mode == 1) g = vf_fma(k->wd, pp, g);                   /* grad.add(param, alpha=wd) */
    vf mi = vf_fma(k->one_minus_beta1, g, vf_mul(*m, k->beta1));    /* mul_(beta1).add_(g, alpha) */
    vf vi = vf_fma(vf_mul(k->one_minus_beta2, g), g, vf_mul(*v, k->beta2)); /* addcmul_ */
    vf denom = vf_add(vf_div(vf_sqrt(vi), k->bc2_sqrt), k->eps);     /* (v.sqrt() / bc2_sqrt).add_(eps) */
    *p = vf_add(pp, vf_div(vf_mul(k->neg_step_size, mi), denom));   /* addcdiv_(m, denom, value) */
    *m = mi;
    *v = vi;
}

NNS_ALWAYS_INLINE void adam_loop(float *param, float *m, float *v, const float *grad, size_t n,
                                 const adam_consts *k, int mode)
{
    size_t i = 0;
    for (; i + VF_LANES <= n; i += VF_LANES) {
        vf p = vf_load(param + i), mi = vf_load(m + i), vi = vf_load(v + i);
        adam_vec(&p, &mi, &vi, vf_load(grad + i), k, mode);
        vf_store(param + i, p);
        vf_store(m + i, mi);
        vf_store(v + i, vi);
    }
    if (i < n) {
        const size_t r = n - i;
        vf p = vf_load_n(param + i, r), mi = vf_load_n(m + i, r), vi = vf_load_n(v + i, r);
        adam_vec(&p, &mi, &vi, vf_load_n(grad + i, r), k, mode);
        vf_store_n(param + i, p, r);
        vf_store_n(m + i, mi, r);
        vf_store_n(v + i, vi, r);
    }
}

void NNS_VARIANT(adam_step)(float *param, float *m, float *v, const float *grad, size_t n,
                            const nns_adam_config *cfg, uint64_t step)
{
    /* The constants exactly as reference/optim.c derives them. */
    const double kk = (double)step;
    const double bias_correction1 = 1.0 - pow((double)cfg->beta1, kk);
    const double bias_correction2 = 1.0 - pow((double)cfg->beta2, kk);
    const adam_consts k = {
        vf_set1((float)-((double)cfg->lr / bias_correction1)),
        vf_set1((float)sqrt(bias_correction2)),
        vf_set1(cfg->beta1),
        vf_set1(cfg->beta2),
        vf_set1(cfg->eps),
        vf_set1(cfg->weight_decay),
        vf_set1((float)(1.0 - (double)cfg->beta1)),
        vf_set1((float)(1.0 - (double)cfg->beta2)),
        vf_set1((float)(1.0 - (double)cfg->lr * (double)cfg->weight_decay)),
    };
    if (cfg->decoupled) adam_loop(param, m, v, grad, n, &k, 2);
    else if (cfg->weight_decay != 0.0f) adam_loop(param, m, v, grad, n, &k, 1);
    else adam_loop(param, m, v, grad, n, &k, 0);
}
