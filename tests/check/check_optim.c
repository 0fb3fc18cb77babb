/* Checks of the optimizer family (SGD, Adam/AdamW): five consecutive steps
 * of each variant, from a fresh and from a resumed state, for every
 * option combination, each step's param and state compared with a
 * double-precision model of the same recurrences.
 *
 * The bound grows with the steps. First-order error analysis: a computed
 * quantity y^ = y + e with |e| <= U S(y). Each float operation's rounding
 * adds U r(y), r(y) = |y| + FLT_MIN (the FLT_MIN for the gradual
 * underflow below FLT_MIN); each operand's error enters multiplied by
 * the partial derivative of the operation. S of the state after step k is
 * computed from S after step k-1 by those rules, starting from S = 0 (the
 * float state is exact input), so after k steps it holds every rounding of
 * every step, each carried forward through the recurrences (momentum
 * buffers and moments shrink old errors by beta; param accumulates them).
 * The truth itself is the same recurrence in double from the same float
 * inputs: the exact result, since double's rounding (2^-53) is far below
 * the bound. For plain SGD, for example, S after k steps is
 *   sum over steps i <= k of (lr |g_i| + |p_i|)  (+ the weight decay terms)
 * growing linearly with k; momentum adds each step's buffer error to all
 * later params, so S grows as about k / (1 - momentum) there.
 *
 * Roundings counted are those of torch's single-tensor order (see
 * reference/optim.c), unfused: a fused multiply-add removes one rounding
 * and stays inside. Hyper-parameters are floats, exact; the derived
 * constants (1 - dampening, 1 - beta, lr / bias_correction1,
 * sqrt(bias_correction2), 1 - lr wd) are rounded once to float, which
 * adds U |the product they enter|. sqrt: |sqrt(v^) - sqrt(v)| <=
 * min(|e| / (2 sqrt v), sqrt|e|) for an error e in v (exact, and finite at
 * v = 0). Division by denom >= eps > 0: first order, relative S(denom)/denom
 * (eps > 0 in the checks). */
#include "check_optim.h"
#include "checker.h"
#include "tolerance.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#define U CHK_U
#define STEPS 5

/* one rounding of a result y, in units of U */
static double r(double y) { return fabs(y) + FLT_MIN; }
/* 1 if the constant c is rounded when made a float (its relative error
 * U then enters the product it multiplies), 0 if c is a float */
static double inexact(double c) { return (double)(float)c != c; }

/* ---- the models ---- */

void chk_truth_sgd_step(const nns_sgd_config *cfg, uint64_t step, const float *grad, size_t n,
                        double *p, double *sp, double *buf, double *sbuf)
{
    const double lr = cfg->lr, mu = cfg->momentum, wd = cfg->weight_decay;
    const double keep = 1.0 - (double)cfg->dampening, e_keep = inexact(keep);
    for (size_t i = 0; i < n; i++) {
        double g = grad[i], sg = 0;
        if (wd != 0) { /* g + wd p */
            double wp = wd * p[i];
            g = grad[i] + wp;
            sg = wd * sp[i] + r(wp) + r(g);
        }
        if (mu != 0) {
            if (step == 1) {
                buf[i] = g, sbuf[i] = sg;
            } else { /* mu buf + fl(1 - dampening) g */
                double mb = mu * buf[i], kg = keep * g, nb = mb + kg;
                sbuf[i] = mu * sbuf[i] + keep * sg + r(mb) + e_keep * fabs(kg) + r(kg) + r(nb);
                buf[i] = nb;
            }
            if (cfg->nesterov) { /* g + mu buf */
                double mb = mu * buf[i], ng = g + mb;
                sg = sg + mu * sbuf[i] + r(mb) + r(ng);
                g = ng;
            } else {
                g = buf[i], sg = sbuf[i];
            }
        }
        double lg = lr * g, np = p[i] - lg; /* p - lr g */
        sp[i] = sp[i] + lr * sg + r(lg) + r(np);
        p[i] = np;
    }
}

void chk_truth_adam_step(const nns_adam_config *cfg, uint64_t step, const float *grad, size_t n,
                         double *p, double *sp, double *m, double *sm, double *v, double *sv)
{
    const double lr = cfg->lr, b1 = cfg->beta1, b2 = cfg->beta2, eps = cfg->eps;
    const double wd = cfg->weight_decay, k = (double)step;
    const double bc1 = 1.0 - pow(b1, k), bc2 = 1.0 - pow(b2, k);
    const double ss = lr / bc1, q = sqrt(bc2), c1 = 1.0 - b1, c2 = 1.0 - b2;
    const double cw = 1.0 - lr * wd;
    const double e_ss = inexact(ss), e_q = inexact(q), e_c1 = inexact(c1), e_c2 = inexact(c2);
    const double e_cw = inexact(cw);
    for (size_t i = 0; i < n; i++) {
        double g = grad[i], sg = 0, pp = p[i], spp = sp[i];
        if (cfg->decoupled) { /* p fl(1 - lr wd) */
            pp = cw * p[i];
            spp = fabs(cw) * sp[i] + e_cw * fabs(pp) + r(pp);
        } else if (wd != 0) { /* g + wd p */
            double wp = wd * p[i];
            g = grad[i] + wp;
            sg = wd * sp[i] + r(wp) + r(g);
        }
        /* m = beta1 m + fl(1 - beta1) g */
        double bm = b1 * m[i], cg = c1 * g, nm = bm + cg;
        sm[i] = b1 * sm[i] + c1 * sg + r(bm) + e_c1 * fabs(cg) + r(cg) + r(nm);
        m[i] = nm;
        /* v = beta2 v + (fl(1 - beta2) g) g */
        double bv = b2 * v[i], cg2 = c2 * g, g2 = cg2 * g, nv = bv + g2;
        sv[i] = b2 * sv[i] + 2 * c2 * fabs(g) * sg + r(bv) + e_c2 * fabs(g2) + r(cg2) * fabs(g) +
                r(g2) + r(nv);
        v[i] = nv;
        /* denom = sqrt(v) / fl(sqrt(bc2)) + eps */
        double sq = sqrt(nv), e_sq = sqrt(sv[i] / U);
        if (sq > 0 && sv[i] / (2 * sq) < e_sq) e_sq = sv[i] / (2 * sq);
        double s_sq = e_sq + r(sq);
        double dq = sq / q, s_dq = s_sq / q + e_q * fabs(dq) + r(dq);
        double den = dq + eps, s_den = s_dq + r(den);
        /* update = (fl(-lr / bc1) m) / denom; p + update */
        double num = ss * nm, s_num = ss * sm[i] + e_ss * fabs(num) + r(num);
        double upd = num / den, s_upd = s_num / den + fabs(upd) * s_den / den + r(upd);
        double np = pp - upd;
        sp[i] = spp + s_upd + r(np);
        p[i] = np;
    }
}

void chk_optim_bound(size_t k, const double *s, size_t n, double *bound)
{
    const double factor = chk_tolerance_for(k)->factor;
    for (size_t i = 0; i < n; i++) bound[i] = factor * U * s[i] + FLT_MIN;
}

/* ---- inputs ---- */

/* Gradients with NaN, +-Inf, +-0 and subnormals (no huge finite values:
 * a float overflow that double does not share is not an error). */
static void sprinkle_grad_specials(chk_ctx *c, float *g, size_t n)
{
    static const float sp[] = {NAN, INFINITY, -INFINITY, 0.0f, -0.0f, 1e-40f, -1e-40f, FLT_MIN};
    for (size_t i = 0; i < n; i++)
        if (chk_uniform(c, 0, 1) < 0.1) g[i] = sp[(size_t)chk_uniform(c, 0, 8) % 8];
}

static void to_double(double *d, const float *f, size_t n)
{
    for (size_t i = 0; i < n; i++) d[i] = f ? f[i] : 0.0;
}

/* Gradient scale of a case: ordinary, small, large. */
static double grad_scale(size_t li) { return li % 3 == 0 ? 1.0 : li % 3 == 1 ? 1e-3 : 10.0; }

/* ---- SGD ---- */

/* {lr, momentum, dampening, weight_decay, nesterov}: plain, weight decay,
 * dampening without momentum (ignored), momentum, with weight decay, with
 * dampening, with both, nesterov, nesterov with weight decay. */
static const nns_sgd_config sgd_cfgs[] = {
    {0.1f, 0.0f, 0.0f, 0.0f, 0},   {0.1f, 0.0f, 0.0f, 0.01f, 0}, {0.05f, 0.0f, 0.5f, 0.0f, 0},
    {0.1f, 0.9f, 0.0f, 0.0f, 0},   {0.1f, 0.9f, 0.0f, 0.01f, 0}, {0.1f, 0.9f, 0.3f, 0.0f, 0},
    {0.01f, 0.5f, 0.3f, 0.1f, 0},  {0.1f, 0.9f, 0.0f, 0.0f, 1},  {0.05f, 0.9f, 0.0f, 0.01f, 1},
};

static void sgd_case(chk_ctx *c, size_t li, size_t n, size_t ci)
{
    const nns_sgd_config *cfg = &sgd_cfgs[ci];
    nns_sgd_fn *fn = chk_table(c)->sgd_step, *ref = chk_reference()->sgd_step;
    const int has_buf = cfg->momentum != 0.0f;
    const uint64_t step0 = (li + ci) % 2 ? 1 : 1000; /* fresh or resumed */
    float *p = chk_alloc(c, n, chk_misalign(li)), *pr = chk_alloc(c, n, 0);
    float *b = has_buf ? chk_alloc(c, n, chk_misalign(li + 1)) : NULL;
    float *br = has_buf ? chk_alloc(c, n, 0) : NULL;
    float *g = chk_alloc(c, n, chk_misalign(li + 2));
    double *tp = chk_doubles(c, n), *sp = chk_doubles(c, n), *bound = chk_doubles(c, n);
    double *tb = chk_doubles(c, n), *sb = chk_doubles(c, n);
    char what[128];
    chk_fill(c, p, n, -1, 1);
    memcpy(pr, p, n * sizeof *p);
    to_double(tp, p, n);
    if (has_buf) {
        /* on a fresh start the buffer's contents must not be read */
        if (step0 == 1) chk_fill(c, b, n, -1000, 1000);
        else chk_fill(c, b, n, -0.5, 0.5);
        memcpy(br, b, n * sizeof *b);
        to_double(tb, b, n);
    }
    double gs = grad_scale(li + ci);
    for (uint64_t s = 0; s < STEPS; s++) {
        uint64_t step = step0 + s;
        chk_fill(c, g, n, -gs, gs);
        if (li % 3 == 2 && s == 1) sprinkle_grad_specials(c, g, n);
        fn(p, b, g, n, cfg, step);
        ref(pr, br, g, n, cfg, step);
        chk_truth_sgd_step(cfg, step, g, n, tp, sp, tb, sb);
        snprintf(what, sizeof what, "sgd_step param n=%zu cfg=%zu step=%llu", n, ci,
                 (unsigned long long)step);
        chk_optim_bound(NNS_K_sgd_step, sp, n, bound);
        chk_guard(c, p, what);
        chk_compare(c, what, p, pr, tp, bound, g, n);
        if (!has_buf) continue;
        snprintf(what, sizeof what, "sgd_step momentum_buf n=%zu cfg=%zu step=%llu", n, ci,
                 (unsigned long long)step);
        chk_optim_bound(NNS_K_sgd_step, sb, n, bound);
        chk_guard(c, b, what);
        chk_compare(c, what, b, br, tb, bound, g, n);
    }
    chk_case_done(c);
}

void chk_kernel_sgd_step(chk_ctx *c)
{
    const size_t *len;
    size_t nlen = chk_sweep(c, &len);
    for (size_t li = 0; li < nlen; li++)
        for (size_t ci = 0; ci < sizeof sgd_cfgs / sizeof sgd_cfgs[0]; ci++)
            sgd_case(c, li, len[li], ci);
}

/* ---- Adam / AdamW ---- */

/* {lr, beta1, beta2, eps, weight_decay, decoupled}: torch's defaults as
 * Adam and AdamW, each with and without weight decay; beta1 = 0 with a
 * short beta2 and a large eps; beta2 = 0 (v = g^2). */
static const nns_adam_config adam_cfgs[] = {
    {1e-3f, 0.9f, 0.999f, 1e-8f, 0.0f, 0}, {1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f, 0},
    {1e-3f, 0.9f, 0.999f, 1e-8f, 0.0f, 1}, {1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f, 1},
    {0.01f, 0.0f, 0.5f, 1e-3f, 0.1f, 0},   {0.01f, 0.0f, 0.5f, 1e-3f, 0.1f, 1},
    {0.1f, 0.5f, 0.0f, 1e-6f, 0.0f, 0},    {0.1f, 0.5f, 0.0f, 1e-6f, 0.5f, 1},
};

static void adam_case(chk_ctx *c, size_t li, size_t n, size_t ci)
{
    const nns_adam_config *cfg = &adam_cfgs[ci];
    nns_adam_fn *fn = chk_table(c)->adam_step, *ref = chk_reference()->adam_step;
    const uint64_t step0 = (li + ci) % 2 ? 1 : 1000;
    float *p = chk_alloc(c, n, chk_misalign(li)), *pr = chk_alloc(c, n, 0);
    float *m = chk_alloc(c, n, chk_misalign(li + 1)), *mr = chk_alloc(c, n, 0);
    float *v = chk_alloc(c, n, chk_misalign(li + 2)), *vr = chk_alloc(c, n, 0);
    float *g = chk_alloc(c, n, chk_misalign(li + 3));
    double *tp = chk_doubles(c, n), *sp = chk_doubles(c, n), *bound = chk_doubles(c, n);
    double *tm = chk_doubles(c, n), *sm = chk_doubles(c, n);
    double *tv = chk_doubles(c, n), *sv = chk_doubles(c, n);
    char what[128];
    double gs = grad_scale(li + ci);
    chk_fill(c, p, n, -1, 1);
    if (step0 == 1) { /* torch's fresh state */
        memset(m, 0, n * sizeof *m);
        memset(v, 0, n * sizeof *v);
    } else {
        chk_fill(c, m, n, -0.1 * gs, 0.1 * gs);
        chk_fill(c, v, n, 0, 0.01 * gs * gs);
    }
    memcpy(pr, p, n * sizeof *p);
    memcpy(mr, m, n * sizeof *m);
    memcpy(vr, v, n * sizeof *v);
    to_double(tp, p, n);
    to_double(tm, m, n);
    to_double(tv, v, n);
    for (uint64_t s = 0; s < STEPS; s++) {
        uint64_t step = step0 + s;
        chk_fill(c, g, n, -gs, gs);
        if (li % 3 == 2 && s == 1) sprinkle_grad_specials(c, g, n);
        fn(p, m, v, g, n, cfg, step);
        ref(pr, mr, vr, g, n, cfg, step);
        chk_truth_adam_step(cfg, step, g, n, tp, sp, tm, sm, tv, sv);
        static const char *const names[] = {"param", "m", "v"};
        float *got[] = {p, m, v}, *want[] = {pr, mr, vr};
        double *truth[] = {tp, tm, tv}, *es[] = {sp, sm, sv};
        for (int o = 0; o < 3; o++) {
            snprintf(what, sizeof what, "adam_step %s n=%zu cfg=%zu step=%llu", names[o], n, ci,
                     (unsigned long long)step);
            chk_optim_bound(NNS_K_adam_step, es[o], n, bound);
            chk_guard(c, got[o], what);
            chk_compare(c, what, got[o], want[o], truth[o], bound, g, n);
        }
    }
    chk_case_done(c);
}

void chk_kernel_adam_step(chk_ctx *c)
{
    const size_t *len;
    size_t nlen = chk_sweep(c, &len);
    for (size_t li = 0; li < nlen; li++)
        for (size_t ci = 0; ci < sizeof adam_cfgs / sizeof adam_cfgs[0]; ci++)
            adam_case(c, li, len[li], ci);
}
