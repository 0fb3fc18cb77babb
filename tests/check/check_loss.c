/* Checks of the loss family (cross-entropy, MSE): each variant against a
 * double-precision truth under the tolerance table, NaN/Inf against the
 * reference, the loss-only call (gradient NULL) against the full one,
 * "same input, same bits" for cross-entropy at every misalignment (its
 * row maxima and sums are reductions), and the reference gradient against
 * central differences of the reference loss.
 *
 * Error models. S is in units of U = 2^-24; every float operation rounds
 * with |fl(y) - y| <= U |y| (plus U FLT_MIN below FLT_MIN: the floor).
 *
 * Cross-entropy, row i with counted target t (c = number of counted rows):
 *   z_j = x_j - mx (mx = max_j x_j), s = sum_j exp(z_j), p_j = exp(z_j)/s,
 *   L = log s, row loss l = L - z_t, loss = sum_i l_i / c.
 *   - z_j is rounded once: a relative error U|z_j| in exp(z_j); exp itself
 *     within 2 ULP (4U). So each term of s carries (|z_j| + 4)U, and s,
 *     a sum of V positive terms in any order (sequential, lanes, trees),
 *     carries (V - 1)U more:
 *       H = (V - 1) + sum_j p_j (|z_j| + 4)   (relative error of s)
 *   - log turns that relative error into an absolute one, H; log within
 *     2 ULP adds 4L; mx - x_t is rounded once, |z_t|; the sum L + (mx -
 *     x_t) once, l:
 *       S_l = H + 4L + |z_t| + l
 *   - the mean: the row losses are non-negative, summed in any order
 *     ((c - 1)U relative), then divided by fl(c) (two roundings):
 *       S_loss = (sum_i S_l,i + (c - 1) sum_i l_i) / c + 2 loss
 *   - gradient q_j = (p_j - [j = t]) / c, result r = d0 + q_j: p_j = e_j/s
 *     carries (|z_j| + 4) + H + 1 relative; p - 1 one rounding; 1/c and
 *     the product two; the accumulation one:
 *       S_g = |r| + 3|q_j| + (p_j / c)(|z_j| + 5 + H)
 *     with the floor FLT_MIN (absolute: an exp that flushes its subnormal
 *     results moves p_j by less than FLT_MIN).
 *     A variant may form q_j = e_j fl(fl(1/c) / s) for j != t (no division
 *     per logit): fl(1/c), the division and the product are again three
 *     roundings on top of e_j's (|z_j| + 4) and s's H, |q_j| (|z_j| + 7 +
 *     H) <= 3|q_j| + (p_j / c)(|z_j| + 5 + H) to first order: the same S_g.
 *   Terms with p_j = 0 (z_j = -inf, a masked logit) contribute nothing.
 *
 * MSE over n elements, d_i = p_i - y_i, loss = sum d_i^2 / n:
 *   - d rounded (U relative), squared (2U + U): 3U per term; the n-term
 *     sum of non-negatives (n - 1)U; the division by fl(n) two:
 *       S_loss = (n + 4) loss
 *   - gradient q = 2 d / n with c = fl(2/n): c, d and the product one
 *     rounding each, the accumulation one:
 *       S_g = |r| + 3|q|
 *   both with the floor FLT_MIN (a subnormal square or product flushed). */
#include "check_loss.h"
#include "checker.h"
#include "tolerance.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#define U CHK_U

static double factor_of(size_t k) { return chk_tolerance_for(k)->factor; }

/* ---- truth and bound ---- */

void chk_truth_cross_entropy(const float *logits, const int32_t *targets, size_t n, size_t v,
                             int32_t ignore_index, const float *dlogits0, double *loss_truth,
                             double *loss_bound, double *dl_truth, double *dl_bound)
{
    const double factor = factor_of(NNS_K_cross_entropy_fwd_bwd);
    size_t count = 0;
    for (size_t i = 0; i < n; i++) count += targets[i] != ignore_index;
    if (dl_truth)
        for (size_t i = 0; i < n * v; i++) {
            dl_truth[i] = dlogits0 ? dlogits0[i] : 0.0;
            dl_bound[i] = 0.0;
        }
    *loss_truth = *loss_bound = 0.0;
    if (count == 0 || v == 0) return;
    const double c = (double)count;
    double sum_l = 0, sum_s = 0;
    for (size_t i = 0; i < n; i++) {
        if (targets[i] == ignore_index) continue;
        const float *x = logits + i * v;
        const size_t t = (size_t)targets[i];
        double mx = x[0];
        for (size_t j = 1; j < v; j++)
            if (x[j] > mx || isnan(x[j])) mx = x[j];
        double s = 0, pz = 0;
        for (size_t j = 0; j < v; j++) s += exp(x[j] - mx);
        for (size_t j = 0; j < v; j++) {
            double p = exp(x[j] - mx) / s;
            if (p > 0) pz += p * (fabs(x[j] - mx) + 4);
        }
        /* flushed subnormal exps: at most v FLT_MIN against s >= 1 */
        const double h = (double)(v - 1) + pz + (double)v * FLT_MIN / U;
        const double lse = log(s), zt = x[t] - mx, l = lse - zt;
        sum_l += l;
        sum_s += h + 4 * lse + fabs(zt) + l;
        if (!dl_truth) continue;
        for (size_t j = 0; j < v; j++) {
            double z = x[j] - mx, p = exp(z) / s, q = ((j == t ? p - 1 : p)) / c;
            double r = dl_truth[i * v + j] + q;
            double sg = fabs(r) + 3 * fabs(q) + (p > 0 ? p / c * (fabs(z) + 5 + h) : 0);
            dl_truth[i * v + j] = r;
            dl_bound[i * v + j] = factor * U * sg + FLT_MIN;
        }
    }
    double loss = sum_l / c;
    *loss_truth = loss;
    *loss_bound = factor * U * ((sum_s + (c - 1) * sum_l) / c + 2 * loss);
}

void chk_truth_mse(const float *pred, const float *target, size_t n, const float *dpred0,
                   double *loss_truth, double *loss_bound, double *dp_truth, double *dp_bound)
{
    const double factor = factor_of(NNS_K_mse_fwd_bwd);
    *loss_truth = *loss_bound = 0.0;
    if (n == 0) return;
    double sum = 0;
    for (size_t i = 0; i < n; i++) {
        double d = (double)pred[i] - target[i];
        sum += d * d;
    }
    double loss = sum / (double)n;
    *loss_truth = loss;
    *loss_bound = factor * U * ((double)n + 4) * loss + FLT_MIN;
    if (!dp_truth) return;
    for (size_t i = 0; i < n; i++) {
        double q = 2 * ((double)pred[i] - target[i]) / (double)n;
        double r = (dpred0 ? dpred0[i] : 0.0) + q;
        dp_truth[i] = r;
        dp_bound[i] = factor * U * (fabs(r) + 3 * fabs(q)) + FLT_MIN;
    }
}

/* ---- cross-entropy ---- */

/* Row counts per case, cycled; long rows get few of them. */
static const size_t ce_rows[] = {3, 1, 2, 5, 4, 0, 7, 16};

static void ce_case(chk_ctx *c, size_t li, size_t n, size_t v)
{
    nns_cross_entropy_fn *fn = chk_table(c)->cross_entropy_fwd_bwd;
    nns_cross_entropy_fn *ref = chk_reference()->cross_entropy_fwd_bwd;
    const size_t nv = n * v;
    float *x = chk_alloc(c, nv, chk_misalign(li));
    float *d0 = chk_alloc(c, nv, 0);
    float *d = chk_alloc(c, nv, chk_misalign(li + 1));
    float *dr = chk_alloc(c, nv, 0);
    float *loss = chk_alloc(c, 1, chk_misalign(li + 2)), *lossr = chk_alloc(c, 1, 0);
    float *loss2 = chk_alloc(c, 1, 0);
    /* int32 targets in a float-sized guarded buffer */
    int32_t *tg = (int32_t *)chk_alloc(c, n, chk_misalign(li + 3));
    double *t = chk_doubles(c, nv), *b = chk_doubles(c, nv), lt, lb;
    char what[128];

    /* ignore_index: torch's default, a valid class (its rows are ignored),
     * the last class, and INT32_MIN */
    int32_t ii = li % 4 == 0 ? -100 : li % 4 == 1 ? 0 : li % 4 == 2 ? (int32_t)v - 1 : INT32_MIN;
    for (size_t i = 0; i < n; i++) {
        tg[i] = v ? (int32_t)(chk_uniform(c, 0, 1) * (double)v) : ii;
        if (tg[i] >= (int32_t)v) tg[i] = (int32_t)v - 1;
    }
    if (n > 1 && li % 2 == 0) tg[n / 2] = ii; /* one row ignored */
    if (li % 11 == 5)
        for (size_t i = 0; i < n; i++) tg[i] = ii; /* every row ignored */

    /* scales: small, moderate and wide logits; an offset of 1000 that only
     * the max subtraction survives */
    static const double scale[] = {1, 8, 30, 8, 4};
    double sc = scale[li % 5], off = li % 5 == 3 ? 1000 : 0;
    chk_fill(c, x, nv, off - sc, off + sc);
    if (li % 6 == 1) /* masked classes: -inf away from the targets */
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < v; j++)
                if ((int32_t)j != tg[i] && chk_uniform(c, 0, 1) < 0.25) x[i * v + j] = -INFINITY;
    if (li % 3 == 2 && n > 0) chk_sprinkle_specials(c, x, v); /* row 0 only */
    /* accumulate onto zeros in some cases, where the gradient's own
     * rounding is not hidden by the accumulation's */
    if (li % 4 == 1 && li % 11 != 5) /* not when every row is ignored */
        memset(d0, 0, nv * sizeof *d0);
    else chk_fill(c, d0, nv, -1, 1);
    memcpy(d, d0, nv * sizeof *d);
    memcpy(dr, d0, nv * sizeof *d);

    fn(loss, d, x, tg, n, v, ii);
    ref(lossr, dr, x, tg, n, v, ii);
    chk_truth_cross_entropy(x, tg, n, v, ii, d0, &lt, &lb, t, b);
    snprintf(what, sizeof what, "cross_entropy loss n=%zu v=%zu ignore=%d", n, v, (int)ii);
    chk_guard(c, loss, what);
    chk_compare(c, what, loss, lossr, &lt, &lb, NULL, 1);
    snprintf(what, sizeof what, "cross_entropy dlogits n=%zu v=%zu ignore=%d", n, v, (int)ii);
    chk_guard(c, d, what);
    chk_compare(c, what, d, dr, t, b, x, nv);
    /* loss only: the same bits, nothing written */
    fn(loss2, NULL, x, tg, n, v, ii);
    snprintf(what, sizeof what, "cross_entropy loss-only n=%zu v=%zu", n, v);
    chk_same_bits(c, what, loss2, loss, 1);
    chk_guard(c, loss2, what);
    /* Same input, same bits: logits, targets and gradient at each of the
     * 16 float offsets in a 64-byte line (each at its own) give the loss
     * and gradient bits of the first call. */
    float *xm = chk_alloc(c, nv + 15, 0), *dm = chk_alloc(c, nv + 15, 0);
    int32_t *tm = (int32_t *)chk_alloc(c, n + 15, 0);
    for (size_t m = 0; m < 16; m++) {
        float *x2 = xm + m, *d2 = dm + (m + 5) % 16, l2;
        int32_t *t2 = tm + (m + 10) % 16;
        if (nv) memcpy(x2, x, nv * sizeof *x), memcpy(d2, d0, nv * sizeof *d0);
        if (n) memcpy(t2, tg, n * sizeof *tg);
        fn(&l2, d2, x2, t2, n, v, ii);
        snprintf(what, sizeof what, "cross_entropy n=%zu v=%zu at offset %zu loss", n, v, m);
        chk_same_bits(c, what, &l2, loss, 1);
        snprintf(what, sizeof what, "cross_entropy n=%zu v=%zu at offset %zu dlogits", n, v, m);
        chk_same_bits(c, what, d2, d, nv);
    }
    chk_case_done(c);
}

/* Central differences of the reference loss (float, dlogits NULL) against
 * the reference gradient, logits on a 2^-10 grid so x +- h is exact, 2h =
 * 2^-5. |fd - g| <= (bound of the loss at x+h and x-h) / 2h + h^2/6
 * max|f'''| + the gradient's bound; f = row loss / c as a function of one
 * logit has f''' = p(1-p)(1-2p)/c, |f'''| <= 1/(6 sqrt3)/c < 0.1/c. An
 * ignored row's logits do not enter the loss: fd = 0 = gradient exactly. */
static void ce_fd(chk_ctx *c)
{
    static const struct { size_t n, v; int32_t ii; } shapes[] = {
        {3, 7, -100}, {2, 2, -100}, {4, 33, 5}, {1, 130, -100}};
    nns_cross_entropy_fn *ref = chk_reference()->cross_entropy_fwd_bwd;
    const double h = 0x1p-6;
    for (size_t si = 0; si < sizeof shapes / sizeof shapes[0]; si++) {
        size_t n = shapes[si].n, v = shapes[si].v, nv = n * v;
        int32_t ii = shapes[si].ii;
        float *x = chk_alloc(c, nv, 0), *g = chk_alloc(c, nv, 0);
        int32_t tg[4];
        double *t = chk_doubles(c, nv), *b = chk_doubles(c, nv);
        for (size_t i = 0; i < nv; i++) x[i] = (float)(round(chk_uniform(c, -4, 4) * 1024) / 1024);
        for (size_t i = 0; i < n; i++) tg[i] = (int32_t)((i * 5 + 1) % v);
        if (n == 4) tg[1] = ii; /* an ignored row */
        memset(g, 0, nv * sizeof *g);
        float f0;
        ref(&f0, g, x, tg, n, v, ii);
        double lt, lb;
        chk_truth_cross_entropy(x, tg, n, v, ii, NULL, &lt, &lb, t, b);
        size_t count = 0;
        for (size_t i = 0; i < n; i++) count += tg[i] != ii;
        for (size_t j = 0; j < nv; j++) {
            float keep = x[j], fp, fm;
            double bp, bm;
            x[j] = (float)(keep + h);
            ref(&fp, NULL, x, tg, n, v, ii);
            chk_truth_cross_entropy(x, tg, n, v, ii, NULL, &lt, &bp, NULL, NULL);
            x[j] = (float)(keep - h);
            ref(&fm, NULL, x, tg, n, v, ii);
            chk_truth_cross_entropy(x, tg, n, v, ii, NULL, &lt, &bm, NULL, NULL);
            x[j] = keep;
            double fd = ((double)fp - fm) / (2 * h);
            double bound = (bp + bm) / (2 * h) + h * h / 6 * 0.1 / (double)count + b[j];
            chk_fd(c, fabs(fd - g[j]), bound, keep);
        }
        chk_case_done(c);
    }
}

void chk_kernel_cross_entropy_fwd_bwd(chk_ctx *c)
{
    const size_t *len;
    size_t nlen = chk_sweep(c, &len);
    for (size_t li = 0; li < nlen; li++) {
        size_t v = len[li];
        size_t n = ce_rows[li % (sizeof ce_rows / sizeof ce_rows[0])];
        if (v > 1000 && n > 2) n = 2;
        if (v == 0 && n == 0) n = 3; /* v = 0: every row must be ignored */
        ce_case(c, li, n, v);
    }
    /* a language-model vocabulary, as in the benchmarks (one row) */
    ce_case(c, nlen, 1, 50000);
    if (chk_isa(c) == NNS_ISA_SCALAR) ce_fd(c);
}

/* ---- MSE ---- */

void chk_kernel_mse_fwd_bwd(chk_ctx *c)
{
    nns_mse_fn *fn = chk_table(c)->mse_fwd_bwd, *ref = chk_reference()->mse_fwd_bwd;
    const size_t *len;
    size_t nlen = chk_sweep(c, &len);
    char what[96];
    for (size_t li = 0; li < nlen; li++) {
        size_t n = len[li];
        float *p = chk_alloc(c, n, chk_misalign(li)), *y = chk_alloc(c, n, chk_misalign(li + 1));
        float *d0 = chk_alloc(c, n, 0), *d = chk_alloc(c, n, chk_misalign(li + 2));
        float *dr = chk_alloc(c, n, 0);
        float *loss = chk_alloc(c, 1, chk_misalign(li + 3)), *lossr = chk_alloc(c, 1, 0);
        float *loss2 = chk_alloc(c, 1, 0);
        double *t = chk_doubles(c, n), *b = chk_doubles(c, n), lt, lb;
        double sc = li % 4 == 3 ? 1e-3 : 3;
        chk_fill(c, p, n, -sc, sc);
        chk_fill(c, y, n, -sc, sc);
        if (li % 3 == 2) chk_sprinkle_specials(c, p, n);
        if (li % 6 == 5) chk_sprinkle_specials(c, y, n);
        if (li % 4 == 1) memset(d0, 0, n * sizeof *d0);
        else chk_fill(c, d0, n, -1, 1);
        memcpy(d, d0, n * sizeof *d);
        memcpy(dr, d0, n * sizeof *d);
        fn(loss, d, p, y, n);
        ref(lossr, dr, p, y, n);
        chk_truth_mse(p, y, n, d0, &lt, &lb, t, b);
        snprintf(what, sizeof what, "mse loss n=%zu", n);
        chk_guard(c, loss, what);
        chk_compare(c, what, loss, lossr, &lt, &lb, NULL, 1);
        snprintf(what, sizeof what, "mse dpred n=%zu", n);
        chk_guard(c, d, what);
        chk_compare(c, what, d, dr, t, b, p, n);
        fn(loss2, NULL, p, y, n);
        snprintf(what, sizeof what, "mse loss-only n=%zu", n);
        chk_same_bits(c, what, loss2, loss, 1);
        /* Same input, same bits: pred and target moved to each of the 16
         * float offsets in a 64-byte line (target at another one) must give
         * the loss of the first call. */
        float *mp = chk_alloc(c, n + 15, 0), *my = chk_alloc(c, n + 15, 0);
        for (size_t m = 0; m < 16; m++) {
            float r;
            size_t my_off = (m + 7) % 16;
            memcpy(mp + m, p, n * sizeof *p);
            memcpy(my + my_off, y, n * sizeof *y);
            fn(&r, NULL, mp + m, my + my_off, n);
            snprintf(what, sizeof what, "mse loss n=%zu at offsets %zu, %zu floats", n, m, my_off);
            chk_same_bits(c, what, &r, loss, 1);
        }
        chk_case_done(c);
    }
    if (chk_isa(c) != NNS_ISA_SCALAR) return;
    /* Central differences as for cross-entropy; the loss is quadratic in
     * each prediction, so the difference quotient is exact and only the
     * loss's rounding (its bound at x +- h, over 2h) and the gradient's
     * bound remain. */
    static const size_t sizes[] = {1, 7, 40};
    const double h = 0x1p-6;
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
        size_t n = sizes[si];
        float *p = chk_alloc(c, n, 0), *y = chk_alloc(c, n, 0), *g = chk_alloc(c, n, 0);
        double *t = chk_doubles(c, n), *b = chk_doubles(c, n), lt, lb;
        for (size_t i = 0; i < n; i++) {
            p[i] = (float)(round(chk_uniform(c, -3, 3) * 1024) / 1024);
            y[i] = (float)chk_uniform(c, -3, 3);
            g[i] = 0.0f;
        }
        float f0;
        ref(&f0, g, p, y, n);
        chk_truth_mse(p, y, n, NULL, &lt, &lb, t, b);
        for (size_t j = 0; j < n; j++) {
            float keep = p[j], fp, fm;
            double bp, bm;
            p[j] = (float)(keep + h);
            ref(&fp, NULL, p, y, n);
            chk_truth_mse(p, y, n, NULL, &lt, &bp, NULL, NULL);
            p[j] = (float)(keep - h);
            ref(&fm, NULL, p, y, n);
            chk_truth_mse(p, y, n, NULL, &lt, &bm, NULL, NULL);
            p[j] = keep;
            double fd = ((double)fp - fm) / (2 * h);
            chk_fd(c, fabs(fd - g[j]), (bp + bm) / (2 * h) + b[j], keep);
        }
        chk_case_done(c);
    }
}
