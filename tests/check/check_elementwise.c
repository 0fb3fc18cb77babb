/* Checks of the elementwise helpers: add, mean pooling (forward and
 * backward), sum of squares and scale, each against a double-precision
 * truth under the tolerance table, NaN/Inf positions against the
 * reference, in-place calls where the API allows them, "same input, same
 * bits" for the sum of squares at every misalignment, and the reference
 * mean-pool backward against central differences of its forward.
 *
 * S below is each kernel's error bound in units of U = 2^-24 (tolerance.h);
 * fl(a op b) = (a op b)(1 + d), |d| <= U. Floors cover results below
 * FLT_MIN, where the error is absolute (and a variant might flush). */
#include "check_elementwise.h"

#include "checker.h"
#include "tolerance.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static double factor_of(size_t k) { return chk_tolerance_for(k)->factor; }

/* Neumaier's compensated sum in double: the truths' sums, with an error of
 * about 2^-53 of the result, 2^-29 of a unit U of the float bounds. */
static void neumaier_add(double *sum, double *comp, double x)
{
    double t = *sum + x;
    if (fabs(*sum) >= fabs(x)) *comp += (*sum - t) + x;
    else *comp += (x - t) + *sum;
    *sum = t;
}

/* ---- models ---- */

/* add: one rounding, |err| <= U |t|: S = |t|. t = a + b is exact in double
 * (or within 2^-53 |t| when the exponents are far apart). Floor: a flushed
 * operand or result moves the sum by less than FLT_MIN each: 2 FLT_MIN. */
void chk_truth_add(const float *a, const float *b, size_t n, double *truth, double *bound)
{
    const double factor = factor_of(NNS_K_add);
    for (size_t i = 0; i < n; i++) {
        truth[i] = (double)a[i] + (double)b[i];
        bound[i] = factor * CHK_U * fabs(truth[i]) + 2 * FLT_MIN;
    }
}

/* mean_pool_fwd: for a sequence of length L >= 1 and a column j, the sum
 * s^ of x_1..x_L in float in order of i (0 + x_1 is exact, then L - 1
 * roundings) errs, as the embedding backward's sum (check_embedding.c), by
 *   E = U sum_{k=2..L} |s_k| / (1 - (L-1)U),  s_k the exact partial sums;
 * then out = fl(s^ / L) = (s^/L)(1 + d) (L exact in float for L <= 2^24):
 *   |out - s/L| <= E/L + U |s^/L| <= U |t| + (1 + U) E / L, so
 *   S = |t| + (1 + U) sum_{k=2..L} |s_k| / (L (1 - (L-1)U))   (factor 1).
 * L = 0: zeros, exact. Floor: flushes in the L - 1 additions (2 FLT_MIN
 * each, divided by L) and in the division: 3 FLT_MIN. */
void chk_truth_mean_pool_fwd(const float *in, const int32_t *lengths, size_t b, size_t t,
                             size_t c, double *truth, double *bound)
{
    const double factor = factor_of(NNS_K_mean_pool_fwd);
    for (size_t s = 0; s < b; s++) {
        size_t len = lengths ? (size_t)lengths[s] : t;
        for (size_t j = 0; j < c; j++) {
            size_t o = s * c + j;
            if (len == 0) {
                truth[o] = bound[o] = 0.0;
                continue;
            }
            const float *x = in + s * t * c + j;
            double sum = x[0], comp = 0, partial = 0;
            for (size_t i = 1; i < len; i++) {
                neumaier_add(&sum, &comp, x[i * c]);
                partial += fabs(sum + comp);
            }
            double L = (double)len, mean = (sum + comp) / L;
            truth[o] = mean;
            bound[o] = factor * CHK_U *
                           (fabs(mean) + (1 + CHK_U) * partial / (L * (1 - (L - 1) * CHK_U))) +
                       3 * FLT_MIN;
        }
    }
}

/* mean_pool_bwd: q^ = fl(dout / L) = q (1 + d1), din = fl(din0 + q^):
 *   |din - (din0 + q)| <= U |q| + U (|t| + U |q|), so
 *   S = |t| + (1 + U) |q|,  q = dout / L                       (factor 1).
 * Padding rows (i >= L) are untouched: bound 0. Floor: a flush in the
 * division and one in the addition: 2 FLT_MIN. */
void chk_truth_mean_pool_bwd(const float *din0, const float *dout, const int32_t *lengths,
                             size_t b, size_t t, size_t c, double *truth, double *bound)
{
    const double factor = factor_of(NNS_K_mean_pool_bwd);
    for (size_t s = 0; s < b; s++) {
        size_t len = lengths ? (size_t)lengths[s] : t;
        for (size_t i = 0; i < t; i++)
            for (size_t j = 0; j < c; j++) {
                size_t e = (s * t + i) * c + j;
                if (i >= len) {
                    truth[e] = din0[e];
                    bound[e] = 0.0;
                    continue;
                }
                double q = (double)dout[s * c + j] / (double)len;
                truth[e] = (double)din0[e] + q;
                bound[e] = factor * CHK_U * (fabs(truth[e]) + (1 + CHK_U) * fabs(q)) +
                           2 * FLT_MIN;
            }
    }
}

/* sum_squares, bound for ANY order of summation (the SIMD variants use
 * float lanes with their own blocking; the reference sums in double):
 * n squares each rounded once, then n - 1 additions in any tree: every
 * term x_i^2 ends up multiplied by at most n factors (1 + d), so
 * (Higham, Accuracy and Stability, 3.1)
 *   |err| <= gamma_n sum x_i^2,  gamma_n = nU / (1 - nU):
 *   S = n sum x_i^2 / (1 - nU)                                 (factor 1).
 * An FMA (x*x + acc, one rounding) only removes factors. The reference
 * (exact squares in double, a double running sum, one final rounding) is
 * within U |t| + n 2^-53 sum x^2, far inside. The truth: exact squares
 * summed with compensation. Floor: each square and each addition may
 * underflow or flush by less than FLT_MIN: 2n FLT_MIN. */
void chk_truth_sum_squares(const float *x, size_t n, double *truth, double *bound)
{
    const double factor = factor_of(NNS_K_sum_squares);
    double sum = 0, comp = 0;
    for (size_t i = 0; i < n; i++) neumaier_add(&sum, &comp, (double)x[i] * (double)x[i]);
    double nn = (double)n;
    truth[0] = sum + comp;
    bound[0] = nn * CHK_U < 1 ? factor * CHK_U * nn * truth[0] / (1 - nn * CHK_U) +
                                    2 * nn * FLT_MIN
                              : INFINITY;
}

/* scale: one rounding, S = |t|, t = s * x exact in double (24 x 24 bits).
 * Floor: a subnormal product rounds by at most 2^-150, and a flushed x
 * moves it by |s| FLT_MIN: FLT_MIN (1 + |s|) = chk_subnormal_floor(s, 0). */
void chk_truth_scale(const float *in, float s, size_t n, double *truth, double *bound)
{
    const double factor = factor_of(NNS_K_scale);
    for (size_t i = 0; i < n; i++) {
        truth[i] = (double)s * (double)in[i];
        bound[i] = factor * CHK_U * fabs(truth[i]) + chk_subnormal_floor(s, 0);
    }
}

/* ---- add ---- */

/* A length whose output exceeds the L3 counted on (nns_cpu_info's
 * l3_usable_bytes), where add and scale switch to
 * streaming stores (kernels/generic/elementwise.h), a path the sweep's
 * sizes never reach: the L3 plus 1027 floats (a masked tail; the head
 * that aligns the output is exercised by misaligning it). 0 (skip) if the
 * L3 is over 256 MiB: the four arrays would not be a quick test. */
static size_t big_len(void)
{
    size_t l3 = nns_cpu()->l3_usable_bytes;
    return l3 > ((size_t)256 << 20) ? 0 : l3 / sizeof(float) + 1027;
}

void chk_kernel_add(chk_ctx *c)
{
    nns_add_fn *fn = chk_table(c)->add, *ref = chk_reference()->add;
    const size_t *len;
    size_t nlen = chk_sweep(c, &len);
    char what[96];
    for (size_t li = 0; li < nlen; li++) {
        size_t n = len[li];
        float *a = chk_alloc(c, n, chk_misalign(li));
        float *b = chk_alloc(c, n, chk_misalign(li + 1));
        float *y = chk_alloc(c, n, chk_misalign(li + 2));
        float *yr = chk_alloc(c, n, 0);
        float *w = chk_alloc(c, n, chk_misalign(li + 4));
        double *t = chk_doubles(c, n), *bd = chk_doubles(c, n);
        chk_fill(c, a, n, -1, 1);
        chk_fill(c, b, n, -1, 1);
        if (li % 3 == 2) {
            chk_sprinkle_specials(c, a, n);
            chk_sprinkle_specials(c, b, n);
        }
        fn(y, a, b, n);
        ref(yr, a, b, n);
        chk_truth_add(a, b, n, t, bd);
        snprintf(what, sizeof what, "add n=%zu", n);
        chk_guard(c, y, what);
        chk_compare(c, what, y, yr, t, bd, a, n);
        /* In place, out == a and out == b: the same bits as out of place. */
        memcpy(w, a, n * sizeof *a);
        fn(w, w, b, n);
        snprintf(what, sizeof what, "add out==a n=%zu", n);
        chk_guard(c, w, what);
        chk_same_bits(c, what, w, y, n);
        memcpy(w, b, n * sizeof *b);
        fn(w, a, w, n);
        snprintf(what, sizeof what, "add out==b n=%zu", n);
        chk_guard(c, w, what);
        chk_same_bits(c, what, w, y, n);
        /* out == a == b: x + x, against the out-of-place a + a. */
        fn(y, a, a, n);
        memcpy(w, a, n * sizeof *a);
        fn(w, w, w, n);
        snprintf(what, sizeof what, "add out==a==b n=%zu", n);
        chk_same_bits(c, what, w, y, n);
        chk_case_done(c);
    }
    /* Past the L3 (streaming stores): one rounding, so the reference's
     * bits, with the output at two misalignments. */
    size_t n = big_len();
    for (size_t k = 0; n && k < 2; k++) {
        float *a = chk_alloc(c, n, 0), *b = chk_alloc(c, n, 5);
        float *y = chk_alloc(c, n, k ? 3 : 0), *yr = chk_alloc(c, n, 0);
        chk_fill(c, a, n, -1, 1);
        chk_fill(c, b, n, -1, 1);
        fn(y, a, b, n);
        ref(yr, a, b, n);
        snprintf(what, sizeof what, "add n=%zu (beyond the L3) out misaligned by %zu", n, k ? 3 : (size_t)0);
        chk_guard(c, y, what);
        chk_same_bits(c, what, y, yr, n);
        chk_case_done(c);
    }
}

/* ---- mean pooling ---- */

/* The shape of case li with innermost length cc: b sequences of t steps;
 * t up to 36 for short rows, 257 every tenth case (long sums), fewer
 * steps for the long rows. lengths NULL every fourth case, else in
 * [0, t] with the first sequence full and the last empty (b > 1). */
typedef struct pool_shape {
    size_t b, t;
    int has_lengths;
} pool_shape;

static pool_shape pool_shape_of(size_t li, size_t cc)
{
    pool_shape p = {1 + li % 4, cc <= 130 ? 1 + (li * 5) % 37 : cc <= 1023 ? 7 : 2, li % 4 != 0};
    if (li % 10 == 9 && cc <= 130) p.t = 257;
    return p;
}

static void fill_lengths(chk_ctx *c, int32_t *lengths, size_t b, size_t t)
{
    for (size_t s = 0; s < b; s++) {
        int32_t l = (int32_t)chk_uniform(c, 0, (double)t + 1);
        lengths[s] = l > (int32_t)t ? (int32_t)t : l;
    }
    if (b > 0) lengths[0] = (int32_t)t;
    if (b > 1) lengths[b - 1] = 0;
}

void chk_kernel_mean_pool_fwd(chk_ctx *c)
{
    nns_mean_pool_fwd_fn *fn = chk_table(c)->mean_pool_fwd;
    nns_mean_pool_fwd_fn *ref = chk_reference()->mean_pool_fwd;
    const size_t *len;
    size_t nlen = chk_sweep(c, &len);
    char what[96];
    for (size_t li = 0; li < nlen; li++) {
        size_t cc = len[li];
        pool_shape p = pool_shape_of(li, cc);
        int32_t *lb = (int32_t *)chk_alloc(c, p.b, chk_misalign(li + 7));
        int32_t *lengths = p.has_lengths ? lb : NULL;
        float *in = chk_alloc(c, p.b * p.t * cc, chk_misalign(li));
        float *y = chk_alloc(c, p.b * cc, chk_misalign(li + 2));
        float *yr = chk_alloc(c, p.b * cc, 0);
        double *t = chk_doubles(c, p.b * cc), *bd = chk_doubles(c, p.b * cc);
        if (lengths) fill_lengths(c, lengths, p.b, p.t);
        /* Same-sign inputs make the partial sums grow (the bound's worst
         * case); mixed signs make them cancel. */
        if (li % 2) chk_fill(c, in, p.b * p.t * cc, -1, 1);
        else chk_fill(c, in, p.b * p.t * cc, 0.25, 1.25);
        if (li % 3 == 2) chk_sprinkle_specials(c, in, p.b * p.t * cc);
        /* y starts as canary bytes: rows of length 0 must be written too. */
        fn(y, in, lengths, p.b, p.t, cc);
        ref(yr, in, lengths, p.b, p.t, cc);
        chk_truth_mean_pool_fwd(in, lengths, p.b, p.t, cc, t, bd);
        snprintf(what, sizeof what, "mean_pool_fwd b=%zu t=%zu c=%zu%s", p.b, p.t, cc,
                 lengths ? "" : " (no lengths)");
        chk_guard(c, y, what);
        chk_compare(c, what, y, yr, t, bd, NULL, p.b * cc);
        /* The API fixes the order (per column, from 0, in order of i, then
         * one division): one float result, so a variant must give the
         * reference's bits (NaN payloads aside: not compared with
         * specials), and the same bits with the input at each of the 16
         * float offsets in a 64-byte line ("same input, same bits"). */
        if (li % 3 != 2) chk_same_bits(c, what, y, yr, p.b * cc);
        size_t nin = p.b * p.t * cc;
        float *moved = chk_alloc(c, nin + 15, 0), *ym = chk_alloc(c, p.b * cc, 0);
        for (size_t m = 0; m < 16 && nin > 0; m++) {
            memcpy(moved + m, in, nin * sizeof *in);
            fn(ym, moved + m, lengths, p.b, p.t, cc);
            snprintf(what, sizeof what, "mean_pool_fwd b=%zu t=%zu c=%zu input at offset %zu floats",
                     p.b, p.t, cc, m);
            chk_same_bits(c, what, ym, y, p.b * cc);
        }
        chk_case_done(c);
    }
}

/* Central differences of the reference forward against the reference
 * backward, for L(in) = sum_{s,j} g[s,j] out[s,j], linear in `in`. With
 * inputs on a 2^-10 grid in [-2, 2], h = 2^-6 and L <= 5, every float sum
 * is exact and only the division rounds; in general the forward's error
 * at in +- h is at most its bound b+-, so
 *   |fd - g/L| <= |g| (b+ + b-) / (2h),
 * the difference quotient being evaluated exactly in double (the outputs
 * other than (s,j) do not move; the one difference and its product with g
 * are exact). The backward's own bound (din from 0) is added. Padding
 * rows: fd = 0 and din stays 0. */
static void check_pool_fd(chk_ctx *c)
{
    enum { B = 3, T = 5, C = 4 };
    static const int32_t lens[B] = {5, 2, 0};
    nns_mean_pool_fwd_fn *fwd = chk_reference()->mean_pool_fwd;
    nns_mean_pool_bwd_fn *bwd = chk_reference()->mean_pool_bwd;
    const double h = 0x1p-6;
    for (int with_lengths = 0; with_lengths < 2; with_lengths++) {
        const int32_t *lengths = with_lengths ? lens : NULL;
        float in[B * T * C], g[B * C], din[B * T * C], zero[B * T * C], op[B * C], om[B * C];
        double tb[B * T * C], bb[B * T * C], tf[B * C], bp[B * C], bm[B * C];
        for (size_t e = 0; e < B * T * C; e++) {
            in[e] = (float)(round(chk_uniform(c, -2, 2) * 1024) / 1024);
            din[e] = zero[e] = 0.0f;
        }
        chk_fill(c, g, B * C, -1, 1);
        bwd(din, g, lengths, B, T, C);
        chk_truth_mean_pool_bwd(zero, g, lengths, B, T, C, tb, bb);
        for (size_t e = 0; e < B * T * C; e++) {
            size_t o = e / (T * C) * C + e % C;
            float keep = in[e];
            in[e] = (float)(keep + h);
            fwd(op, in, lengths, B, T, C);
            chk_truth_mean_pool_fwd(in, lengths, B, T, C, tf, bp);
            in[e] = (float)(keep - h);
            fwd(om, in, lengths, B, T, C);
            chk_truth_mean_pool_fwd(in, lengths, B, T, C, tf, bm);
            in[e] = keep;
            double fd = 0;
            for (size_t k = 0; k < B * C; k++) fd += (double)g[k] * ((double)op[k] - (double)om[k]);
            fd /= 2 * h;
            double bound = fabs(g[o]) * (bp[o] + bm[o]) / (2 * h) + bb[e];
            chk_fd(c, fabs(fd - din[e]), bound, keep);
        }
    }
}

void chk_kernel_mean_pool_bwd(chk_ctx *c)
{
    nns_mean_pool_bwd_fn *fn = chk_table(c)->mean_pool_bwd;
    nns_mean_pool_bwd_fn *ref = chk_reference()->mean_pool_bwd;
    const size_t *len;
    size_t nlen = chk_sweep(c, &len);
    char what[96];
    for (size_t li = 0; li < nlen; li++) {
        size_t cc = len[li];
        pool_shape p = pool_shape_of(li, cc);
        size_t nin = p.b * p.t * cc;
        int32_t *lb = (int32_t *)chk_alloc(c, p.b, chk_misalign(li + 7));
        int32_t *lengths = p.has_lengths ? lb : NULL;
        float *dout = chk_alloc(c, p.b * cc, chk_misalign(li));
        float *din0 = chk_alloc(c, nin, 0);
        float *din = chk_alloc(c, nin, chk_misalign(li + 2));
        float *dinr = chk_alloc(c, nin, 0);
        double *t = chk_doubles(c, nin), *bd = chk_doubles(c, nin);
        if (lengths) fill_lengths(c, lengths, p.b, p.t);
        chk_fill(c, dout, p.b * cc, -2, 2);
        chk_fill(c, din0, nin, -1, 1);
        if (li % 3 == 2) {
            chk_sprinkle_specials(c, dout, p.b * cc);
            chk_sprinkle_specials(c, din0, nin);
        }
        memcpy(din, din0, nin * sizeof *din0);
        memcpy(dinr, din0, nin * sizeof *din0);
        fn(din, dout, lengths, p.b, p.t, cc);
        ref(dinr, dout, lengths, p.b, p.t, cc);
        chk_truth_mean_pool_bwd(din0, dout, lengths, p.b, p.t, cc, t, bd);
        snprintf(what, sizeof what, "mean_pool_bwd b=%zu t=%zu c=%zu%s", p.b, p.t, cc,
                 lengths ? "" : " (no lengths)");
        chk_guard(c, din, what);
        chk_compare(c, what, din, dinr, t, bd, NULL, nin);
        chk_case_done(c);
    }
    if (chk_isa(c) == NNS_ISA_SCALAR) check_pool_fd(c);
}

/* ---- sum of squares ---- */

void chk_kernel_sum_squares(chk_ctx *c)
{
    nns_sum_squares_fn *fn = chk_table(c)->sum_squares, *ref = chk_reference()->sum_squares;
    const size_t *len;
    size_t nlen = chk_sweep(c, &len);
    char what[96];
    for (size_t li = 0; li < nlen; li++) {
        size_t n = len[li];
        int specials = li % 3 == 2;
        float *x = chk_alloc(c, n, chk_misalign(li));
        float *y = chk_alloc(c, 1, chk_misalign(li + 1));
        float *yr = chk_alloc(c, 1, 0);
        float *moved = chk_alloc(c, n + 15, 0);
        double t, bd;
        /* Every fourth case tiny values, whose squares are subnormal. */
        if (li % 4 == 3) chk_fill(c, x, n, -3e-20, 3e-20);
        else chk_fill(c, x, n, -2, 2);
        if (specials) chk_sprinkle_specials(c, x, n);
        fn(y, x, n);
        ref(yr, x, n);
        chk_truth_sum_squares(x, n, &t, &bd);
        snprintf(what, sizeof what, "sum_squares n=%zu", n);
        chk_guard(c, y, what);
        chk_compare(c, what, y, yr, &t, &bd, NULL, 1);
        /* Same input, same bits: the data at each of the 16 float offsets
         * in a 64-byte line must give the result of the first call. */
        for (size_t m = 0; m < 16; m++) {
            float r;
            memcpy(moved + m, x, n * sizeof *x);
            fn(&r, moved + m, n);
            snprintf(what, sizeof what, "sum_squares n=%zu at offset %zu floats", n, m);
            chk_same_bits(c, what, &r, y, 1);
        }
        chk_case_done(c);
    }
}

/* ---- scale ---- */

void chk_kernel_scale(chk_ctx *c)
{
    /* Exact, inexact, tiny (subnormal products), zero, signed zero, huge
     * (overflow), and the specials. */
    static const float scales[] = {1.5f,  -0.7f, 3.0e-3f,  1e-30f,   0.0f,
                                   -0.0f, -1.0f, 2.5e30f, INFINITY, NAN, 0.1f};
    const size_t nscales = sizeof scales / sizeof scales[0];
    nns_scale_fn *fn = chk_table(c)->scale, *ref = chk_reference()->scale;
    const size_t *len;
    size_t nlen = chk_sweep(c, &len);
    char what[96];
    for (size_t li = 0; li < nlen; li++) {
        size_t n = len[li];
        float s = scales[li % nscales];
        float *x = chk_alloc(c, n, chk_misalign(li));
        float *y = chk_alloc(c, n, chk_misalign(li + 2));
        float *yr = chk_alloc(c, n, 0);
        float *w = chk_alloc(c, n, chk_misalign(li + 5));
        double *t = chk_doubles(c, n), *bd = chk_doubles(c, n);
        chk_fill(c, x, n, -4, 4);
        if (li % 3 == 2) chk_sprinkle_specials(c, x, n);
        fn(y, x, s, n);
        ref(yr, x, s, n);
        chk_truth_scale(x, s, n, t, bd);
        snprintf(what, sizeof what, "scale s=%g n=%zu", (double)s, n);
        chk_guard(c, y, what);
        chk_compare(c, what, y, yr, t, bd, x, n);
        /* In place (out == in): the same bits. */
        memcpy(w, x, n * sizeof *x);
        fn(w, w, s, n);
        snprintf(what, sizeof what, "scale in-place s=%g n=%zu", (double)s, n);
        chk_guard(c, w, what);
        chk_same_bits(c, what, w, y, n);
        chk_case_done(c);
    }
    /* Past the L3 (streaming stores), as for add: the reference's bits. */
    size_t n = big_len();
    for (size_t k = 0; n && k < 2; k++) {
        float *x = chk_alloc(c, n, 0), *y = chk_alloc(c, n, k ? 6 : 0), *yr = chk_alloc(c, n, 0);
        chk_fill(c, x, n, -4, 4);
        fn(y, x, -0.7f, n);
        ref(yr, x, -0.7f, n);
        snprintf(what, sizeof what, "scale n=%zu (beyond the L3) out misaligned by %zu", n, k ? 6 : (size_t)0);
        chk_guard(c, y, what);
        chk_same_bits(c, what, y, yr, n);
        chk_case_done(c);
    }
}
