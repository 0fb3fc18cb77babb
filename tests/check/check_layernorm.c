/* Checks of layer normalization: each variant against a double-precision
 * truth under the tolerance table, NaN/Inf positions against the
 * reference, guards around every output, "same input, same bits" at every
 * misalignment (the row statistics are reductions), and the reference
 * backward against central differences of a double forward.
 *
 * Error model of the forward (one row of C = c values x_k; u the unit
 * roundoff, U = 2^-24 for float; gamma_m = m u / (1 - m u); first-order
 * terms, then G = 1 / (1 - (C + 16) u) for the second-order ones, see
 * below). Exact: mu = sum x / C, d_k = x_k - mu, var = sum d_k^2 / C,
 * V = var + eps, r = 1/sqrt(V), y_k = d_k r w_k + b_k.
 *  - mean: C - 1 additions and one division (or a product by a rounded
 *    1/C, as a SIMD variant may do: one rounding more), each term through
 *    at most C + 1 roundings: |m - mu| <= e_m = gamma_{C+1} A,
 *    A = sum |x| / C.
 *  - variance about the computed mean m = mu + e: the deviations
 *    (d_k - e)(1 + delta), squared, summed, divided (or scaled by 1/C):
 *    each term through C + 4 roundings, and sum (d_k - e)^2 = sum d_k^2 +
 *    C e^2 exactly, because sum d_k = 0. So v = (var + e^2)(1 + theta),
 *    |theta| <= gamma_{C+4}: |v - var| <= e_m^2 + gamma_{C+4} (var + e_m^2).
 *    The mean's error enters squared: that is what two passes buy.
 *  - rstd = fl(1 / fl(sqrt(fl(v + eps)))): relative error
 *    |v - var| / (2V) + u/2 (the addition) + u (sqrt) + u (division):
 *    rho_r = |v - var| / (2V) + 2.5u. (For v > var, (1+x)^(-1/2) >=
 *    1 - x/2, so this first-order term bounds even a large x: a huge
 *    mean over a tiny variance; for v < var, x <= gamma_{C+4} and the
 *    second-order 3x^2/8 is inside G.)
 *  - out = fl(fl(fl(fl(x - m) r_c) w) + b): the deviation's error e_m
 *    times |r w|, three roundings and rho_r on |d r w|, then the
 *    addition: |y_c - y| <= u|y| + |r w| e_m + |d r w| (rho_r + 3u).
 * So, in units of u (S of the tolerance table):
 *   S_mean = gamma_{C+1} A / u,  S_rstd = G rho_r r / u,
 *   S_out  = G (|y| + |r w| e_m / u + |d r w| (rho_r / u + 3)).
 * G covers the second-order terms: every quantity is a product of at
 * most C + 11 factors (1 + delta), whose excess over first order is at
 * most (C + 11) u relative to it (for (C + 11) u <= 1/2), and (C + 16) u
 * >= that.
 * Underflow (gradual: additions exact, a product or quotient off by at
 * most 2^-150): 2^-149 on the mean, C 2^-150 / C on the variance, and
 * FLT_MIN (1 + |r w|) on out.
 *
 * Backward (one row; m and r are the inputs, exact): xhat = (x - m) r,
 * gw = g w, a = sum gw / C, b = sum gw xhat / C, t = r (gw - a - xhat b).
 *  - xhat two roundings, gw one; a: gamma_{C+2} M1, M1 = sum |gw| / C;
 *    b: gamma_{C+5} M2, M2 = sum |gw xhat| / C (gw, xhat, product, sum,
 *    division, one more for a product by a rounded 1/C);
 *  - u_c = fl(fl(gw - a) - fl(xhat b)): |gw| + gamma_{C+2} M1 / u +
 *    |gw - a| + 3 |xhat b| + gamma_{C+5} |xhat| M2 / u + |gw - a - xhat b|
 *    (units of u) =: S_u;
 *  - din = fl(din0 + fl(r u_c)): S_din = G (|din| + |t| + r S_u).
 *  - dweight += g xhat over n rows (three roundings per term, n
 *    additions): gamma_{n+3} (|dw0| + sum |g xhat|) / u, any order;
 *  - dbias += g over n rows: gamma_n (|db0| + sum |g|) / u.
 * Underflow: FLT_MIN (1 + r)(1 + |xhat|) on din, (n + 1) 2^-149 on
 * dweight; dbias only adds (exact in the subnormal range). */
#include "check_layernorm.h"

#include "checker.h"
#include "tolerance.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define U CHK_U
#define TINY 0x1p-149

/* gamma_m / u */
static double gam(double m, double u)
{
    return m / (1.0 - m * u);
}

static double tol(size_t k)
{
    return chk_tolerance_for(k)->factor;
}

/* ---- the forward's math in double, and its error model ---- */

/* One row's statistics, in double, with the model of a computation of
 * them in unit roundoff u (tiny: half its smallest subnormal x 2). */
typedef struct ln_row {
    double mu, var, v, r; /* mean, biased variance, var + eps, 1/sqrt(var + eps) */
    double sm, sr, g;     /* S_mean (units of u), rho_r / u with G, G */
} ln_row;

static void ln_stats(const double *x, size_t c, double eps, double u, double tiny, ln_row *s)
{
    double sum = 0, sabs = 0, dd = 0;
    for (size_t k = 0; k < c; k++) sum += x[k], sabs += fabs(x[k]);
    s->mu = sum / (double)c;
    for (size_t k = 0; k < c; k++) dd += (x[k] - s->mu) * (x[k] - s->mu);
    s->var = dd / (double)c;
    s->v = s->var + eps;
    s->r = 1 / sqrt(s->v);
    double C = (double)c;
    s->g = 1 / (1 - (C + 16) * u);
    s->sm = gam(C + 1, u) * sabs / C + tiny / u;
    double em = u * s->sm;
    double sv = em * s->sm + gam(C + 4, u) * (s->var + em * em) + tiny / u;
    s->sr = s->g * (sv / (2 * s->v) + 2.5);
}

/* y_k and its S (units of u) for a row with statistics s. */
static double ln_out(const ln_row *s, double x, double w, double b, double *sy)
{
    double d = x - s->mu, y = d * s->r * w + b;
    *sy = s->g * (fabs(y) + fabs(s->r * w) * s->sm + fabs(d * s->r * w) * (s->sr + 3));
    return y;
}

void chk_truth_layernorm_fwd(const float *in, const float *weight, const float *bias, size_t n,
                             size_t c, float eps, double *t_out, double *b_out, double *t_mean,
                             double *b_mean, double *t_rstd, double *b_rstd)
{
    const double f = tol(NNS_K_layernorm_fwd);
    double *x = malloc((c ? c : 1) * sizeof *x);
    if (!x) abort();
    for (size_t i = 0; i < n; i++) {
        ln_row s;
        for (size_t k = 0; k < c; k++) x[k] = in[i * c + k];
        ln_stats(x, c, eps, U, TINY, &s);
        t_mean[i] = s.mu, b_mean[i] = f * U * s.sm;
        t_rstd[i] = s.r, b_rstd[i] = f * U * s.sr * s.r;
        for (size_t k = 0; k < c; k++) {
            double sy;
            t_out[i * c + k] = ln_out(&s, x[k], weight[k], bias[k], &sy);
            b_out[i * c + k] = f * U * sy + FLT_MIN * (1 + fabs(s.r * weight[k]));
        }
    }
    free(x);
}

/* ---- the backward's formula, exactly on its inputs ---- */

void chk_truth_layernorm_bwd(const float *din0, const float *dw0, const float *db0,
                             const float *dout, const float *in, const float *weight,
                             const float *mean, const float *rstd, size_t n, size_t c,
                             double *t_din, double *b_din, double *t_dw, double *b_dw,
                             double *t_db, double *b_db)
{
    const double f = tol(NNS_K_layernorm_bwd), C = (double)c, G = 1 / (1 - (C + 16) * U);
    double *pw = calloc(c ? c : 1, sizeof *pw), *pb = calloc(c ? c : 1, sizeof *pb);
    if (!pw || !pb) abort();
    for (size_t k = 0; k < c; k++) {
        t_dw[k] = dw0 ? dw0[k] : 0.0, pw[k] = fabs(t_dw[k]);
        t_db[k] = db0 ? db0[k] : 0.0, pb[k] = fabs(t_db[k]);
    }
    for (size_t i = 0; i < n; i++) {
        const float *x = in + i * c, *g = dout + i * c;
        double m = mean[i], r = rstd[i], a = 0, b = 0, m1 = 0, m2 = 0;
        for (size_t k = 0; k < c; k++) {
            double xh = (x[k] - m) * r, gw = (double)g[k] * weight[k];
            a += gw, b += gw * xh;
            m1 += fabs(gw), m2 += fabs(gw * xh);
        }
        a /= C, b /= C, m1 /= C, m2 /= C;
        for (size_t k = 0; k < c; k++) {
            size_t j = i * c + k;
            double xh = (x[k] - m) * r, gw = (double)g[k] * weight[k];
            double uk = gw - a - xh * b, t = r * uk, T = (din0 ? din0[j] : 0.0) + t;
            double su = fabs(gw) + gam(C + 2, U) * m1 + fabs(gw - a) + 3 * fabs(xh * b) +
                        gam(C + 5, U) * fabs(xh) * m2 + fabs(uk);
            t_din[j] = T;
            b_din[j] = f * U * G * (fabs(T) + fabs(t) + fabs(r) * su) +
                       FLT_MIN * (1 + fabs(r)) * (1 + fabs(xh));
            t_dw[k] += g[k] * xh, pw[k] += fabs(g[k] * xh);
            t_db[k] += g[k], pb[k] += fabs((double)g[k]);
        }
    }
    for (size_t k = 0; k < c; k++) {
        b_dw[k] = f * U * gam((double)n + 3, U) * pw[k] + (double)(n + 1) * TINY;
        b_db[k] = f * U * gam((double)n, U) * pb[k];
    }
    free(pw);
    free(pb);
}

/* ---- inputs ---- */

/* Finite specials at 1/8 of the elements, `nonfinite` NaN/Inf. No huge
 * values: their squares overflow the float variance (rstd 0, a finite but
 * meaningless row) where the double truth does not. */
static void sprinkle(chk_ctx *c, float *p, size_t n, size_t nonfinite)
{
    static const float fin[] = {0.0f, -0.0f, 1e-40f, -1e-40f, FLT_MIN, -FLT_MIN, 1e-20f, -1e-20f};
    static const float inf[] = {NAN, -NAN, INFINITY, -INFINITY};
    if (n == 0) return;
    for (size_t i = 0; i < n; i++)
        if (chk_uniform(c, 0, 1) < 0.125) p[i] = fin[(size_t)chk_uniform(c, 0, 8) % 8];
    for (size_t j = 0; j < nonfinite; j++)
        p[(size_t)chk_uniform(c, 0, (double)n) % n] = inf[(size_t)chk_uniform(c, 0, 4) % 4];
}

/* Rows of kind `mode`: 0 uniform in [-2, 2]; 1 a large mean (1000) over a
 * small spread [-1, 1], which exposes the mean's error in the variance;
 * 2 constant rows (variance 0: rstd = 1/sqrt(eps)); 3 a spread of 1e-3,
 * a variance below eps; 4 uniform with special values. */
static void fill_rows(chk_ctx *c, float *x, size_t n, size_t cc, int mode)
{
    switch (mode) {
    case 1:
        for (size_t j = 0; j < n * cc; j++) x[j] = (float)(1000 + chk_uniform(c, -1, 1));
        break;
    case 2:
        for (size_t i = 0; i < n; i++) {
            float v = (float)chk_uniform(c, -3, 3);
            for (size_t k = 0; k < cc; k++) x[i * cc + k] = v;
        }
        break;
    case 3: chk_fill(c, x, n * cc, -1e-3, 1e-3); break;
    default:
        chk_fill(c, x, n * cc, -2, 2);
        if (mode == 4) sprinkle(c, x, n * cc, 1);
    }
}

/* "Same input, same bits" (DESIGN.md): a copy of src[0..n) at `off`
 * floats into `buf` (allocated with n + 15 floats), returned. */
static float *moved(float *buf, const float *src, size_t n, size_t off)
{
    if (n) memcpy(buf + off, src, n * sizeof *src);
    return buf + off;
}

typedef struct ln_shape {
    size_t n, c;
} ln_shape;

#define MAX_SHAPES 256

/* c sweeps chk_sweep's lengths with 1 to 4 rows (1 or 2 past 1000), then
 * n = 0 and a few taller shapes. */
static size_t ln_shapes(const chk_ctx *c, ln_shape *s)
{
    const size_t *len;
    size_t nl = chk_sweep(c, &len), m = 0;
    for (size_t li = 0; li < nl && m < MAX_SHAPES - 4; li++)
        s[m++] = (ln_shape){len[li] > 1000 ? 1 + li % 2 : 1 + li % 4, len[li]};
    s[m++] = (ln_shape){0, 7};
    s[m++] = (ln_shape){17, 33};
    s[m++] = (ln_shape){65, 3};
    s[m++] = (ln_shape){9, 128};
    return m;
}

static const float eps_values[] = {1e-5f, 1e-6f, 1e-3f, 0.5f};

/* ---- forward ---- */

void chk_kernel_layernorm_fwd(chk_ctx *c)
{
    static ln_shape shapes[MAX_SHAPES];
    size_t ns = ln_shapes(c, shapes);
    const nns_kernel_table *T = chk_table(c), *R = chk_reference();
    char what[128];
    for (size_t si = 0; si < ns; si++) {
        size_t n = shapes[si].n, cc = shapes[si].c, nc = n * cc;
        int mode = (int)(si % 5);
        float eps = eps_values[si % 4];
        float *x = chk_alloc(c, nc, chk_misalign(si));
        float *w = chk_alloc(c, cc, chk_misalign(si + 1));
        float *b = chk_alloc(c, cc, chk_misalign(si + 2));
        float *y = chk_alloc(c, nc, chk_misalign(si + 3));
        float *mean = chk_alloc(c, n, chk_misalign(si + 4));
        float *rstd = chk_alloc(c, n, chk_misalign(si + 5));
        float *y_r = chk_alloc(c, nc, 0), *mean_r = chk_alloc(c, n, 0), *rstd_r = chk_alloc(c, n, 0);
        double *ty = chk_doubles(c, nc), *by = chk_doubles(c, nc);
        double *tm = chk_doubles(c, n), *bm = chk_doubles(c, n);
        double *tr = chk_doubles(c, n), *br = chk_doubles(c, n);
        fill_rows(c, x, n, cc, mode);
        chk_fill(c, w, cc, -2, 2);
        chk_fill(c, b, cc, -1, 1);
        T->layernorm_fwd(y, mean, rstd, x, w, b, n, cc, eps);
        R->layernorm_fwd(y_r, mean_r, rstd_r, x, w, b, n, cc, eps);
        chk_truth_layernorm_fwd(x, w, b, n, cc, eps, ty, by, tm, bm, tr, br);
        snprintf(what, sizeof what, "layernorm_fwd n=%zu c=%zu eps=%g rows%d", n, cc, (double)eps,
                 mode);
        size_t len = strlen(what);
        chk_guard(c, y, what);
        chk_guard(c, mean, what);
        chk_guard(c, rstd, what);
        snprintf(what + len, sizeof what - len, " out");
        chk_compare(c, what, y, y_r, ty, by, NULL, nc);
        snprintf(what + len, sizeof what - len, " mean");
        chk_compare(c, what, mean, mean_r, tm, bm, NULL, n);
        snprintf(what + len, sizeof what - len, " rstd");
        chk_compare(c, what, rstd, rstd_r, tr, br, NULL, n);
        /* Same input, same bits: the inputs and outputs at each of the 16
         * float offsets in a 64-byte line (each array at its own) give the
         * bits of the call above. */
        float *xm = chk_alloc(c, nc + 15, 0), *wm = chk_alloc(c, cc + 15, 0);
        float *bm_ = chk_alloc(c, cc + 15, 0), *ym = chk_alloc(c, nc + 15, 0);
        float *mm = chk_alloc(c, n + 15, 0), *rm = chk_alloc(c, n + 15, 0);
        for (size_t m = 0; m < 16; m++) {
            float *y2 = ym + (m + 9) % 16, *mean2 = mm + (m + 12) % 16, *rstd2 = rm + (m + 15) % 16;
            T->layernorm_fwd(y2, mean2, rstd2, moved(xm, x, nc, m), moved(wm, w, cc, (m + 3) % 16),
                             moved(bm_, b, cc, (m + 6) % 16), n, cc, eps);
            snprintf(what + len, sizeof what - len, " at offset %zu out", m);
            chk_same_bits(c, what, y2, y, nc);
            snprintf(what + len, sizeof what - len, " at offset %zu mean", m);
            chk_same_bits(c, what, mean2, mean, n);
            snprintf(what + len, sizeof what - len, " at offset %zu rstd", m);
            chk_same_bits(c, what, rstd2, rstd, n);
        }
        chk_case_done(c);
    }
}

/* ---- backward ---- */

/* Central differences of the double forward (the reference's math: two
 * passes, rstd = 1/sqrt(var + eps), out = (x - mean) rstd w + b) against
 * the reference backward, for L = sum dout * out, h = 2^-20:
 *  - with respect to w_k and b_k, L is linear: no truncation error;
 *  - with respect to x_k, along x + t e_k: L(t) = (alpha + beta t) q(t)^(-1/2)
 *    + const, alpha = sum_j dout_j w_j d_j, beta = sum_j dout_j w_j
 *    (delta_jk - 1/C), q(t) = V + 2t d_k/C + t^2 (C-1)/C^2; with s = q^(-1/2),
 *    L''' = 3 beta s'' + (alpha + beta t) s''', s'' = 3/4 q^-5/2 q'^2 -
 *    1/2 q^-3/2 q'', s''' = -15/8 q^-7/2 q'^3 + 9/4 q^-5/2 q' q'', bounded
 *    over |t| <= h with |q'| <= 2|d_k|/C + 2h(C-1)/C^2 and q >= V - 2h|d_k|/C;
 *    truncation h^2/6 max |L'''|;
 *  - the rounding of L in double: the forward model above with u = 2^-53,
 *    weighted by |dout|, plus the sum into L; divided by 2h;
 *  - the backward is given mean and rstd rounded to float (|dm| <= U|mu|,
 *    |dr| <= U r, plus the double's own error): din moves by
 *    |dr| (|gw - a| + 3|xhat b|) + |dm| r^2 (|b| + |xhat a|), dweight by
 *    sum |g xhat| |dr|/r + |g| r |dm| (first order: d din/dr and d din/dm);
 *  - the backward's own bound (the tolerance row). */
static void layernorm_fd(chk_ctx *c)
{
    static const size_t cs[] = {1, 2, 3, 7, 16, 33};
    const nns_kernel_table *R = chk_reference();
    const double h = 0x1p-20, ud = 0x1p-53, tinyd = 0x1p-1073;
    const size_t n = 2;
    const float eps = 1e-5f;
    for (size_t ci = 0; ci < sizeof cs / sizeof cs[0]; ci++) {
        for (int mode = 0; mode < 2; mode++) {
            size_t cc = cs[ci], nc = n * cc;
            double C = (double)cc;
            float *x = chk_alloc(c, nc, 0), *w = chk_alloc(c, cc, 0), *b = chk_alloc(c, cc, 0);
            float *g = chk_alloc(c, nc, 0), *mean = chk_alloc(c, n, 0), *rstd = chk_alloc(c, n, 0);
            float *din = chk_alloc(c, nc, 0), *dw = chk_alloc(c, cc, 0), *db = chk_alloc(c, cc, 0);
            double *td = chk_doubles(c, nc), *bd = chk_doubles(c, nc);
            double *tw = chk_doubles(c, cc), *bw = chk_doubles(c, cc);
            double *tb = chk_doubles(c, cc), *bb = chk_doubles(c, cc);
            double *xd = chk_doubles(c, cc), *dmean = chk_doubles(c, n), *drstd = chk_doubles(c, n);
            double *senw = chk_doubles(c, cc);
            if (mode == 0) chk_fill(c, x, nc, -2, 2);
            else for (size_t j = 0; j < nc; j++) x[j] = (float)(10 + chk_uniform(c, -1, 1));
            chk_fill(c, w, cc, -2, 2);
            chk_fill(c, b, cc, -1, 1);
            chk_fill(c, g, nc, -1, 1);
            for (size_t i = 0; i < n; i++) {
                ln_row s;
                for (size_t k = 0; k < cc; k++) xd[k] = x[i * cc + k];
                ln_stats(xd, cc, eps, ud, tinyd, &s);
                mean[i] = (float)s.mu, rstd[i] = (float)s.r;
                dmean[i] = U * fabs(s.mu) + ud * s.sm;
                drstd[i] = (U + ud * s.sr) * s.r;
            }
            memset(din, 0, nc * sizeof *din);
            memset(dw, 0, cc * sizeof *dw);
            memset(db, 0, cc * sizeof *db);
            R->layernorm_bwd(din, dw, db, g, x, w, mean, rstd, n, cc);
            chk_truth_layernorm_bwd(NULL, NULL, NULL, g, x, w, mean, rstd, n, cc, td, bd, tw, bw,
                                    tb, bb);
            /* with respect to x[i, k] */
            for (size_t i = 0; i < n; i++) {
                ln_row s0;
                for (size_t k = 0; k < cc; k++) xd[k] = x[i * cc + k];
                ln_stats(xd, cc, eps, ud, tinyd, &s0);
                double a = 0, bm = 0; /* mean(gw), mean(gw xhat) at the float statistics */
                for (size_t k = 0; k < cc; k++) {
                    double gw = (double)g[i * cc + k] * w[k];
                    a += gw / C;
                    bm += gw * (x[i * cc + k] - (double)mean[i]) * rstd[i] / C;
                    senw[k] += fabs(g[i * cc + k] * (x[i * cc + k] - (double)mean[i])) * drstd[i] +
                               fabs((double)g[i * cc + k]) * rstd[i] * dmean[i];
                }
                for (size_t k = 0; k < cc; k++) {
                    double L[2], err = 0;
                    for (int sg = 0; sg < 2; sg++) {
                        ln_row s;
                        double xk = x[i * cc + k];
                        xd[k] = sg ? xk - h : xk + h;
                        ln_stats(xd, cc, eps, ud, tinyd, &s);
                        double l = 0, labs = 0;
                        for (size_t j = 0; j < cc; j++) {
                            double sy, y = ln_out(&s, xd[j], w[j], b[j], &sy);
                            l += g[i * cc + j] * y;
                            labs += fabs(g[i * cc + j] * y);
                            err += fabs((double)g[i * cc + j]) * ud * sy;
                        }
                        err += gam(C, ud) * ud * labs;
                        L[sg] = l;
                        xd[k] = xk;
                    }
                    double fd = (L[0] - L[1]) / (2 * h);
                    /* truncation */
                    double alpha = 0, beta = 0, dk = x[i * cc + k] - s0.mu;
                    for (size_t j = 0; j < cc; j++) {
                        double gw = (double)g[i * cc + j] * w[j];
                        alpha += gw * (x[i * cc + j] - s0.mu);
                        beta += gw * ((j == k) - 1 / C);
                    }
                    double q1 = 2 * fabs(dk) / C + 2 * h * (C - 1) / (C * C), q2 = 2 * (C - 1) / (C * C);
                    double qm = s0.v - 2 * h * fabs(dk) / C;
                    double s2 = 0.75 * pow(qm, -2.5) * q1 * q1 + 0.5 * pow(qm, -1.5) * q2;
                    double s3 = 15.0 / 8 * pow(qm, -3.5) * q1 * q1 * q1 + 9.0 / 4 * pow(qm, -2.5) * q1 * q2;
                    double l3 = 3 * fabs(beta) * s2 + (fabs(alpha) + fabs(beta) * h) * s3;
                    /* mean and rstd rounded to float */
                    double gw = (double)g[i * cc + k] * w[k];
                    double xh = (x[i * cc + k] - (double)mean[i]) * rstd[i];
                    double sens = drstd[i] * (fabs(gw - a) + 3 * fabs(xh * bm)) +
                                  dmean[i] * (double)rstd[i] * rstd[i] * (fabs(bm) + fabs(xh * a));
                    double bound = bd[i * cc + k] + sens + err / (2 * h) + h * h / 6 * l3;
                    chk_fd(c, fabs(fd - din[i * cc + k]), bound, x[i * cc + k]);
                }
            }
            /* with respect to w[k] and b[k]: every row's element k */
            for (int q = 0; q < 2; q++) {
                for (size_t k = 0; k < cc; k++) {
                    double L[2] = {0, 0}, err = 0;
                    for (int sg = 0; sg < 2; sg++) {
                        double labs = 0;
                        for (size_t i = 0; i < n; i++) {
                            ln_row s;
                            for (size_t j = 0; j < cc; j++) xd[j] = x[i * cc + j];
                            ln_stats(xd, cc, eps, ud, tinyd, &s);
                            double wk = w[k], bk = b[k], sy;
                            if (q == 0) wk += sg ? -h : h;
                            else bk += sg ? -h : h;
                            double y = ln_out(&s, xd[k], wk, bk, &sy);
                            L[sg] += g[i * cc + k] * y;
                            labs += fabs(g[i * cc + k] * y);
                            err += fabs((double)g[i * cc + k]) * ud * sy;
                        }
                        err += gam((double)n, ud) * ud * labs;
                    }
                    double fd = (L[0] - L[1]) / (2 * h);
                    double bound = (q == 0 ? bw[k] + senw[k] : bb[k]) + err / (2 * h);
                    chk_fd(c, fabs(fd - (q == 0 ? dw[k] : db[k])), bound, q == 0 ? w[k] : b[k]);
                }
            }
            chk_case_done(c);
        }
    }
}

void chk_kernel_layernorm_bwd(chk_ctx *c)
{
    static ln_shape shapes[MAX_SHAPES];
    size_t ns = ln_shapes(c, shapes);
    const nns_kernel_table *T = chk_table(c), *R = chk_reference();
    char what[128];
    for (size_t si = 0; si < ns; si++) {
        size_t n = shapes[si].n, cc = shapes[si].c, nc = n * cc;
        int mode = (int)(si % 5);
        float eps = eps_values[si % 4];
        float *x = chk_alloc(c, nc, chk_misalign(si));
        float *w = chk_alloc(c, cc, chk_misalign(si + 1));
        float *b = chk_alloc(c, cc, 0);
        float *g = chk_alloc(c, nc, chk_misalign(si + 2));
        float *mean = chk_alloc(c, n, chk_misalign(si + 3));
        float *rstd = chk_alloc(c, n, chk_misalign(si + 4));
        float *y = chk_alloc(c, nc, 0);
        float *din0 = chk_alloc(c, nc, 0), *dw0 = chk_alloc(c, cc, 0), *db0 = chk_alloc(c, cc, 0);
        float *din = chk_alloc(c, nc, chk_misalign(si + 5));
        float *dw = chk_alloc(c, cc, chk_misalign(si + 6));
        float *db = chk_alloc(c, cc, chk_misalign(si + 7));
        float *din_r = chk_alloc(c, nc, 0), *dw_r = chk_alloc(c, cc, 0), *db_r = chk_alloc(c, cc, 0);
        float *keep = chk_alloc(c, nc, 0);
        double *td = chk_doubles(c, nc), *bd = chk_doubles(c, nc);
        double *tw = chk_doubles(c, cc), *bw = chk_doubles(c, cc);
        double *tb = chk_doubles(c, cc), *bb = chk_doubles(c, cc);
        fill_rows(c, x, n, cc, mode);
        chk_fill(c, w, cc, -2, 2);
        chk_fill(c, b, cc, -1, 1);
        chk_fill(c, g, nc, -1, 1);
        if (mode == 4) sprinkle(c, g, nc, 1);
        chk_fill(c, din0, nc, -1, 1);
        chk_fill(c, dw0, cc, -1, 1);
        chk_fill(c, db0, cc, -1, 1);
        /* mean and rstd as the forward saves them */
        R->layernorm_fwd(y, mean, rstd, x, w, b, n, cc, eps);
        memcpy(keep, g, nc * sizeof *g);
        memcpy(din, din0, nc * sizeof *din), memcpy(din_r, din0, nc * sizeof *din);
        memcpy(dw, dw0, cc * sizeof *dw), memcpy(dw_r, dw0, cc * sizeof *dw);
        memcpy(db, db0, cc * sizeof *db), memcpy(db_r, db0, cc * sizeof *db);
        T->layernorm_bwd(din, dw, db, g, x, w, mean, rstd, n, cc);
        R->layernorm_bwd(din_r, dw_r, db_r, g, x, w, mean, rstd, n, cc);
        chk_truth_layernorm_bwd(din0, dw0, db0, g, x, w, mean, rstd, n, cc, td, bd, tw, bw, tb, bb);
        snprintf(what, sizeof what, "layernorm_bwd n=%zu c=%zu eps=%g rows%d", n, cc, (double)eps,
                 mode);
        size_t len = strlen(what);
        chk_guard(c, din, what);
        chk_guard(c, dw, what);
        chk_guard(c, db, what);
        snprintf(what + len, sizeof what - len, " dout unchanged");
        chk_same_bits(c, what, g, keep, nc);
        snprintf(what + len, sizeof what - len, " din");
        chk_compare(c, what, din, din_r, td, bd, NULL, nc);
        snprintf(what + len, sizeof what - len, " dweight");
        chk_compare(c, what, dw, dw_r, tw, bw, NULL, cc);
        snprintf(what + len, sizeof what - len, " dbias");
        chk_compare(c, what, db, db_r, tb, bb, NULL, cc);
        /* Same input, same bits, at each of the 16 float offsets (each
         * array at its own; the gradients start from din0, dw0, db0). */
        float *xm = chk_alloc(c, nc + 15, 0), *gm = chk_alloc(c, nc + 15, 0);
        float *wm = chk_alloc(c, cc + 15, 0), *mm = chk_alloc(c, n + 15, 0);
        float *rm = chk_alloc(c, n + 15, 0), *dim = chk_alloc(c, nc + 15, 0);
        float *dwm = chk_alloc(c, cc + 15, 0), *dbm = chk_alloc(c, cc + 15, 0);
        for (size_t m = 0; m < 16; m++) {
            float *din2 = moved(dim, din0, nc, (m + 5) % 16);
            float *dw2 = moved(dwm, dw0, cc, (m + 10) % 16);
            float *db2 = moved(dbm, db0, cc, (m + 15) % 16);
            T->layernorm_bwd(din2, dw2, db2, moved(gm, g, nc, (m + 3) % 16), moved(xm, x, nc, m),
                             moved(wm, w, cc, (m + 6) % 16), moved(mm, mean, n, (m + 9) % 16),
                             moved(rm, rstd, n, (m + 12) % 16), n, cc);
            snprintf(what + len, sizeof what - len, " at offset %zu din", m);
            chk_same_bits(c, what, din2, din, nc);
            snprintf(what + len, sizeof what - len, " at offset %zu dweight", m);
            chk_same_bits(c, what, dw2, dw, cc);
            snprintf(what + len, sizeof what - len, " at offset %zu dbias", m);
            chk_same_bits(c, what, db2, db, cc);
        }
        chk_case_done(c);
    }
    if (chk_isa(c) == NNS_ISA_SCALAR) layernorm_fd(c);
}
