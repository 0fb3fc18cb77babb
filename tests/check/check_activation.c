/* Checks of the activation family: each variant against a double-precision
 * truth under the tolerance table, NaN/Inf positions against the
 * reference, in-place calls, and the reference backward against central
 * finite differences of the reference forward.
 *
 * Each model below gives the truth and S, the first-order error bound in
 * units of U = 2^-24 (see tolerance.h): for a computed quantity q with
 * relative error d(q), a function of q with condition number k adds k d(q). */
#include "check_activation.h"
#include "checker.h"
#include "tolerance.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

typedef struct unary_model {
    double (*f)(double x);                  /* forward, exactly */
    double (*s_fwd)(double x, double t);    /* S of the forward, t = f(x) */
    double (*g)(double x);                  /* derivative, exactly */
    double (*dx)(double x, double dy);      /* the backward's term dy f'(x), exactly */
    double (*s_bwd)(double x, double dy, double t); /* S of din + dy g(x) = t */
    double lo, hi;                          /* input range of the sweep */
    double kink;                            /* finite differences stay 2h away; NAN: none */
} unary_model;

/* ---- ReLU ---- */

static double relu(double x) { return x < 0 ? 0 : x; }
static double relu_s_fwd(double x, double t) { (void)x; (void)t; return 0; }
static double relu_g(double x) { return x <= 0 ? 0 : 1; }
static double relu_s_bwd(double x, double dy, double t) { (void)x; (void)dy; return fabs(t); }
/* A select, not a product: dy = Inf where x <= 0 contributes 0, not NaN. */
static double relu_dx(double x, double dy) { return x <= 0 ? 0 : dy; }

static const unary_model relu_model = {relu, relu_s_fwd, relu_g, relu_dx, relu_s_bwd, -4, 8, 0.0};

/* ---- GELU, erf form ---- */

static double gelu_cdf(double x) { return 0.5 * erfc(-x * M_SQRT1_2); }
static double gelu_pdf_term(double x) { return x * exp(-0.5 * x * x) / sqrt(2 * M_PI); }

/* Condition number of erfc at z = -x/sqrt2: |z erfc'(z) / erfc(z)|, with
 * erfc'(z) = -2/sqrt(pi) exp(-z^2); ~2z^2 once erfc underflows. */
static double erfc_cond(double x)
{
    double z = -x * M_SQRT1_2, e = erfc(z);
    if (e < 1e-300) return 2 * z * z + 1;
    return fabs(z) * M_2_SQRTPI * exp(-z * z) / e;
}

static double gelu(double x) { return x * gelu_cdf(x); }
/* erfc <= 3 ULP (6U), z = fl(-x * fl(1/sqrt2)) two roundings times the
 * condition number, then the product x/2 * erfc: (8 + 2k) |t|. */
static double gelu_s_fwd(double x, double t) { return (8 + 2 * erfc_cond(x)) * fabs(t); }
static double gelu_g(double x) { return gelu_cdf(x) + gelu_pdf_term(x); }
/* Phi as above; x phi(x): x*x rounded then scaled by x^2/2 through exp,
 * exp <= 2 ULP, the constant and two products: (7 + x^2/2); then sum,
 * product with dy, accumulation. */
static double gelu_s_bwd(double x, double dy, double t)
{
    double p = gelu_cdf(x), q = gelu_pdf_term(x);
    return fabs(t) + fabs(dy) * (2 * fabs(p + q) + (7 + 2 * erfc_cond(x)) * fabs(p) +
                                 (7 + 0.5 * x * x) * fabs(q));
}

static double gelu_dx(double x, double dy) { return dy * gelu_g(x); }

static const unary_model gelu_model = {gelu, gelu_s_fwd, gelu_g, gelu_dx, gelu_s_bwd, -12, 12, NAN};

/* ---- GELU, tanh form: x sigmoid(w), w = 2 sqrt(2/pi) (x + 0.044715 x^3) ---- */

static double tanh_w(double x) { return 2 * sqrt(2 / M_PI) * (x + 0.044715 * x * x * x); }
static double sigmoid(double w) { return w >= 0 ? 1 / (1 + exp(-w)) : exp(w) / (1 + exp(w)); }

static double gelu_tanh(double x) { return x * sigmoid(tanh_w(x)); }
/* w carries 7 roundings, amplified by sigmoid's condition number
 * |w|(1-s) (doubled for w < 0, where s = e a carries e's error in full),
 * exp, division and the products: (9 + 14|w|(1-s)) |t|. */
static double gelu_tanh_s_fwd(double x, double t)
{
    double w = tanh_w(x), s = sigmoid(w);
    return (9 + 14 * fabs(w) * (1 - s)) * fabs(t);
}
/* R = x s(1-s) dw/dx */
static double gelu_tanh_r(double x)
{
    double s = sigmoid(tanh_w(x));
    return x * s * (1 - s) * 2 * sqrt(2 / M_PI) * (1 + 3 * 0.044715 * x * x);
}
static double gelu_tanh_g(double x) { return sigmoid(tanh_w(x)) + gelu_tanh_r(x); }
/* s as in the forward; s(1-s) = e a^2 has sensitivity |w| to w and 14
 * roundings' worth with e's, dw/dx 6, the products 2: (22 + 14|w|) |R|. */
static double gelu_tanh_s_bwd(double x, double dy, double t)
{
    double w = tanh_w(x), s = sigmoid(w), r = gelu_tanh_r(x);
    return fabs(t) + fabs(dy) * (2 * fabs(s + r) + (8 + 14 * fabs(w) * (1 - s)) * fabs(s) +
                                 (22 + 14 * fabs(w)) * fabs(r));
}

static double gelu_tanh_dx(double x, double dy) { return dy * gelu_tanh_g(x); }

static const unary_model gelu_tanh_model = {gelu_tanh, gelu_tanh_s_fwd, gelu_tanh_g, gelu_tanh_dx,
                                            gelu_tanh_s_bwd, -12, 12, NAN};

/* ---- truth and bound on explicit inputs ---- */

static double tolerance_factor(size_t k) { return chk_tolerance_for(k)->factor; }

static const unary_model *model_of(size_t k)
{
    switch (k) {
    case NNS_K_relu_fwd: case NNS_K_relu_bwd: return &relu_model;
    case NNS_K_gelu_fwd: case NNS_K_gelu_bwd: return &gelu_model;
    default: return &gelu_tanh_model;
    }
}

void chk_truth_activation_fwd(size_t k, const float *x, size_t n, double *truth, double *bound)
{
    const unary_model *m = model_of(k);
    double factor = tolerance_factor(k);
    for (size_t i = 0; i < n; i++) {
        truth[i] = m->f(x[i]);
        bound[i] = factor * CHK_U * m->s_fwd(x[i], truth[i]) + chk_subnormal_floor(x[i], 0);
    }
}

void chk_truth_activation_bwd(size_t k, const float *x, const float *dy, const float *din0,
                              size_t n, double *truth, double *bound)
{
    const unary_model *m = model_of(k);
    double factor = tolerance_factor(k);
    for (size_t i = 0; i < n; i++) {
        truth[i] = (din0 ? din0[i] : 0.0) + m->dx(x[i], dy[i]);
        bound[i] = factor * CHK_U * m->s_bwd(x[i], dy[i], truth[i]) + chk_subnormal_floor(x[i], dy[i]);
    }
}

/* ---- the checks ---- */

static void check_fwd(chk_ctx *c, size_t k, nns_unary_fwd_fn *fn, nns_unary_fwd_fn *ref,
                      const unary_model *m)
{
    const size_t *len;
    size_t nlen = chk_sweep(c, &len);
    char what[96];
    for (size_t li = 0; li < nlen; li++) {
        size_t n = len[li];
        float *x = chk_alloc(c, n, chk_misalign(li));
        float *y = chk_alloc(c, n, chk_misalign(li + 3));
        float *yr = chk_alloc(c, n, 0);
        double *t = chk_doubles(c, n), *b = chk_doubles(c, n);
        chk_fill(c, x, n, m->lo, m->hi);
        if (li % 3 == 2) chk_sprinkle_specials(c, x, n);
        fn(y, x, n);
        ref(yr, x, n);
        chk_truth_activation_fwd(k, x, n, t, b);
        snprintf(what, sizeof what, "%s n=%zu", nns_kernel_name(k), n);
        chk_guard(c, y, what);
        chk_compare(c, what, y, yr, t, b, x, n);
        /* In place (out == in) gives the same bits. */
        memcpy(yr, x, n * sizeof *x);
        fn(yr, yr, n);
        snprintf(what, sizeof what, "%s in-place n=%zu", nns_kernel_name(k), n);
        chk_same_bits(c, what, yr, y, n);
        chk_case_done(c);
    }
}

/* Central differences of the reference forward against the reference
 * backward (dy = 1, din = 0) at 2h = 2^-5. The error of the difference
 * quotient is at most h^2/6 max|f'''| (max|f'''| < 0.78 for both GELUs,
 * 0 for ReLU away from its kink; 1 is used) plus the forward's bound at
 * x +- h divided by 2h; the backward's own bound is added. */
static void check_fd(chk_ctx *c, size_t kf, size_t kb, nns_unary_fwd_fn *fwd,
                     nns_unary_bwd_fn *bwd, const unary_model *m)
{
    const double h = 0x1p-6;
    const int points = 241;
    for (int j = 0; j < points; j++) {
        /* x on a 2^-10 grid so that x +- h is exact in float */
        double xd = round((m->lo + (m->hi - m->lo) * j / (points - 1)) * 1024) / 1024;
        if (!isnan(m->kink) && fabs(xd - m->kink) < 2 * h) continue;
        float xs[3] = {(float)(xd - h), (float)xd, (float)(xd + h)}, ys[3];
        float one = 1.0f, g = 0.0f;
        fwd(ys, xs, 3);
        bwd(&g, &one, &xs[1], 1);
        double fd = ((double)ys[2] - ys[0]) / (2 * h);
        double bf = 0;
        for (int s = 0; s < 3; s += 2)
            bf += tolerance_factor(kf) * CHK_U * m->s_fwd(xs[s], m->f(xs[s])) +
                  chk_subnormal_floor(xs[s], 0);
        double bound = bf / (2 * h) + h * h / 6 +
                       tolerance_factor(kb) * CHK_U * m->s_bwd(xd, 1, m->g(xd)) +
                       chk_subnormal_floor(xd, 1);
        chk_fd(c, fabs(fd - g), bound, xd);
    }
}

static void check_bwd(chk_ctx *c, size_t kf, size_t k, nns_unary_bwd_fn *fn,
                      nns_unary_bwd_fn *ref, nns_unary_fwd_fn *ref_fwd, const unary_model *m)
{
    const size_t *len;
    size_t nlen = chk_sweep(c, &len);
    char what[96];
    for (size_t li = 0; li < nlen; li++) {
        size_t n = len[li];
        float *x = chk_alloc(c, n, chk_misalign(li));
        float *dy = chk_alloc(c, n, chk_misalign(li + 1));
        float *din0 = chk_alloc(c, n, 0);
        float *din = chk_alloc(c, n, chk_misalign(li + 2));
        float *dinr = chk_alloc(c, n, 0);
        double *t = chk_doubles(c, n), *b = chk_doubles(c, n);
        chk_fill(c, x, n, m->lo, m->hi);
        chk_fill(c, dy, n, -2, 2);
        chk_fill(c, din0, n, -1, 1);
        if (li % 3 == 2) {
            chk_sprinkle_specials(c, x, n);
            chk_sprinkle_specials(c, dy, n);
        }
        memcpy(din, din0, n * sizeof *din);
        memcpy(dinr, din0, n * sizeof *din);
        fn(din, dy, x, n);
        ref(dinr, dy, x, n);
        chk_truth_activation_bwd(k, x, dy, din0, n, t, b);
        snprintf(what, sizeof what, "%s n=%zu", nns_kernel_name(k), n);
        chk_guard(c, din, what);
        chk_compare(c, what, din, dinr, t, b, x, n);
        /* In place (din == dout): din += din * f'(x), as the out-of-place call computes it. */
        memcpy(din0, dy, n * sizeof *dy);
        memcpy(dinr, dy, n * sizeof *dy);
        fn(din0, din0, x, n);
        fn(dinr, dy, x, n);
        snprintf(what, sizeof what, "%s in-place n=%zu", nns_kernel_name(k), n);
        chk_same_bits(c, what, din0, dinr, n);
        chk_case_done(c);
    }
    if (chk_isa(c) == NNS_ISA_SCALAR) check_fd(c, kf, k, ref_fwd, ref, m);
}

#define UNARY_CHECKS(op, model)                                                        \
    void chk_kernel_##op##_fwd(chk_ctx *c)                                             \
    {                                                                                  \
        check_fwd(c, NNS_K_##op##_fwd, chk_table(c)->op##_fwd, chk_reference()->op##_fwd, \
                  &model);                                                             \
    }                                                                                  \
    void chk_kernel_##op##_bwd(chk_ctx *c)                                             \
    {                                                                                  \
        check_bwd(c, NNS_K_##op##_fwd, NNS_K_##op##_bwd, chk_table(c)->op##_bwd,       \
                  chk_reference()->op##_bwd, chk_reference()->op##_fwd, &model);       \
    }

UNARY_CHECKS(relu, relu_model)
UNARY_CHECKS(gelu, gelu_model)
UNARY_CHECKS(gelu_tanh, gelu_tanh_model)
