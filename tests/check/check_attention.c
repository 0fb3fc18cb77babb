/* Checks of the attention family: each variant against a double-precision
 * truth under the tolerance table, NaN positions against the reference,
 * padding rows that must come out exact (and must not read the padding:
 * it holds NaN), the same bits from differently aligned buffers, and the
 * reference backward against central finite differences of the forward.
 *
 * Error model. U = 2^-24; every S below is in units of U and first order;
 * the tolerance table's factor (2) covers the second-order terms.
 * One valid query row i (sequence s, head j) with n valid keys k:
 *
 *   a_k   = scale sum_c |q_c k_kc|, scale = 1/sqrt(d)
 *   s_k   = fl(fl(1/sqrt(d)) * dot(q, k_k)): the length-d dot product errs
 *           by d a_k, 1/sqrt(d) by 2 roundings (sqrt, division), the
 *           product by 1: |s^_k - s_k| <= (d + 3) a_k.
 *   exp(fl(s^_k - m)): the argument's rounding |s_k - m|, exp <= 2 ULP
 *           (4: libm's expf is within 1, the SIMD variants' vf_exp within
 *           2, measured 1.22).
 *   The tiled order (FlashAttention's online softmax, kernels/generic/
 *   attention.h) visits the keys ascending in tiles with a running max
 *   m_j: key k's weight is exp(fl(s_k - m_j)) times the factors
 *   alpha = exp(fl(m_{j'-1} - m_j')) of the R_k later tiles that raised
 *   the max, each multiplied into the accumulated sum and out (one
 *   rounding each). The argument roundings telescope: |s_k - m_j| +
 *   sum |m_{j'-1} - m_j'| = |s_k - m| exactly as in one pass; each factor
 *   adds its exp (4) and its product (1). A tile holds at least one key,
 *   so R_k <= n - 1 - k (keys numbered ascending from 0); the one-pass
 *   reference is R_k = 0. Using m_j in place of m shifts the scores by
 *   the same float values the factors undo, so the computed result is
 *   still the exact softmax of the perturbed scores.
 *           theta_k = (d + 3) a_k + |s_k - m| + 4 + 5 (n - 1 - k) bounds
 *           the relative error of each weight as a perturbation of its
 *           argument, for the reference and any tiling alike.
 *   softmax: an argument perturbation theta_k moves p_k by
 *           p_k (theta_k + Theta), Theta = sum_k p_k theta_k; the sum of n
 *           positive terms adds (n - 1) in any order or blocking, and the
 *           division 1 (the reference divides each p_k, the tiled order
 *           divides the accumulated out: one rounding either way).
 *   out_c = sum_k p_k v_kc, a length-n dot product in any order, FMA or
 *      not: n sum_k p_k |v_kc| (the rescalings are in theta_k).
 *   => S(out_c) = sum_k p_k |v_kc| (theta_k + Theta + 2n)
 *      (normalized by sum_k p_k |v_kc|, not |out_c|, which may cancel).
 *   lse = fl(m + logf(sum)): logsumexp of the perturbed scores (Theta),
 *      the sum's rounding (n - 1) as an absolute error of its log, logf
 *      1 ULP of log(sum) (2 log(sum)), the addition |lse|:
 *   => S(lse) = Theta + (n - 1) + 2 log(sum) + |lse|.
 *
 * Backward, the same row with g = dout_i, r = f_fwd / f_bwd (the forward's
 * bound carried in the backward's units):
 *   p_k = exp(fl(s^_k - lse_i)) with the given lse_i, which is within
 *      the forward's bound, exp <= 2 ULP (4):
 *      phi_k = (d + 3) a_k + r S(lse) + |s_k - lse| + 4.
 *   The products below are FMA chains or not, in any order: the tiled
 *   backward (query blocks outer, key tiles inner) accumulates dk, dv in
 *   the caller's buffers over the query blocks (the same N_k roundings of
 *   dk0, dv0 as the reference's row by row) and dq in a block-local sum
 *   over all keys, added once; it scales ds by fl(scale) before both
 *   products, which the "4" and "n + 3" below already count.
 *   D = g . out_i with the given out_i:
 *      eps_D = sum_c |g_c| r S(out_c) + d sum_c |g_c out_c|.
 *   dp_k = g . v_k: d sum_c |g_c v_kc|.
 *   ds_k = fl(p_k * fl(dp_k - D)):
 *      Delta_k = |ds_k| (phi_k + 2) + p_k (d sum_c |g_c v_kc| + eps_D).
 *   dv_k += p_k g, accumulated over the N_k rows that see key k (N_k = len,
 *      or len - k if causal):
 *      S(dv_kc) = N_k (|dv0_kc| + sum_i p_k |g_c|) + sum_i p_k |g_c| (phi_k + 1).
 *   dk_k += fl(fl(scale) ds_k) q_i (4 roundings), over the same N_k rows:
 *      S(dk_kc) = N_k (|dk0_kc| + scale sum_i |ds_k q_c|)
 *                 + scale sum_i (4 |ds_k q_c| + Delta_k |q_c|).
 *   dq_i += fl(scale) * (sum_k ds_k k_k), a length-n sum (n), scale 2,
 *      product 1, accumulation |dq|:
 *      S(dq_ic) = |dq_ic| + scale sum_k ((n + 3) |ds_k k_kc| + Delta_k |k_kc|).
 * An exponential may underflow (or flush) to an absolute error of FLT_MIN;
 * that and subnormal roundings are added as absolute floors. */
#include "check_attention.h"

#include "checker.h"
#include "tolerance.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the model of one query row ---- */

typedef struct att_row {
    size_t n;                        /* valid keys */
    double m, lse, s_lse;            /* max score, log-sum-exp and its S */
    double *sc, *p, *a, *theta;      /* per key (n): score, p, scale sum|q k|, theta */
    double *out, *s_out, *floor_out; /* per column (d): out, its S, its floor */
} att_row;

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size);
    if (!p) abort();
    return p;
}

static void row_alloc(att_row *r, size_t t, size_t d)
{
    r->sc = xcalloc(t, sizeof(double));
    r->p = xcalloc(t, sizeof(double));
    r->a = xcalloc(t, sizeof(double));
    r->theta = xcalloc(t, sizeof(double));
    r->out = xcalloc(d, sizeof(double));
    r->s_out = xcalloc(d, sizeof(double));
    r->floor_out = xcalloc(d, sizeof(double));
}

static void row_free(att_row *r)
{
    free(r->sc), free(r->p), free(r->a), free(r->theta);
    free(r->out), free(r->s_out), free(r->floor_out);
}

static size_t seq_len(const int32_t *lengths, size_t s, size_t t)
{
    return lengths ? (size_t)lengths[s] : t;
}

static size_t n_keys(size_t len, size_t i, int causal)
{
    return causal && i + 1 < len ? i + 1 : len;
}

/* Exact scale; the empty dot products of d = 0 make every score 0. */
static double exact_scale(size_t d)
{
    return d ? 1.0 / sqrt((double)d) : 1.0;
}

/* The forward of one row, exactly (in double), with its error model:
 * qi is the query row, kb and vb the first key and value row of this
 * sequence and head (rows ld apart). */
static void row_forward(att_row *r, const float *qi, const float *kb, const float *vb, size_t ld,
                        size_t n, size_t d)
{
    const double scale = exact_scale(d);
    r->n = n;
    r->m = -INFINITY;
    for (size_t k = 0; k < n; k++) {
        double dot = 0, mag = 0;
        for (size_t c = 0; c < d; c++) {
            double x = (double)qi[c] * kb[k * ld + c];
            dot += x;
            mag += fabs(x);
        }
        r->sc[k] = scale * dot;
        r->a[k] = scale * mag;
        if (r->sc[k] > r->m) r->m = r->sc[k];
    }
    double sum = 0;
    for (size_t k = 0; k < n; k++) sum += exp(r->sc[k] - r->m);
    r->lse = r->m + log(sum);
    double big_theta = 0;
    for (size_t k = 0; k < n; k++) {
        r->p[k] = exp(r->sc[k] - r->m) / sum;
        r->theta[k] = (double)(d + 3) * r->a[k] + fabs(r->sc[k] - r->m) + 4 +
                      5.0 * (double)(n - 1 - k);
        big_theta += r->p[k] * r->theta[k];
    }
    for (size_t c = 0; c < d; c++) {
        double o = 0, s = 0, mag = 0;
        for (size_t k = 0; k < n; k++) {
            double pv = r->p[k] * vb[k * ld + c];
            o += pv;
            s += fabs(pv) * (r->theta[k] + big_theta + 2.0 * (double)n);
            mag += fabs((double)vb[k * ld + c]);
        }
        r->out[c] = o;
        r->s_out[c] = s;
        r->floor_out[c] = FLT_MIN * ((double)n + 2 * mag);
    }
    r->s_lse = big_theta + (double)n - 1 + 2 * fabs(log(sum)) + fabs(r->lse);
}

static double factor_of(size_t k)
{
    return chk_tolerance_for(k)->factor;
}

void chk_truth_attention_fwd(double *out, double *out_bound, double *lse, double *lse_bound,
                             const float *q, const float *k, const float *v, size_t ld,
                             const int32_t *lengths, size_t b, size_t t, size_t h, size_t d,
                             int causal)
{
    const double f = factor_of(NNS_K_attention_fwd);
    const size_t c = h * d;
    att_row r;
    row_alloc(&r, t, d);
    for (size_t s = 0; s < b; s++) {
        const size_t len = seq_len(lengths, s, t);
        for (size_t j = 0; j < h; j++) {
            for (size_t i = 0; i < t; i++) {
                double *o = out + (s * t + i) * c + j * d, *ob = out_bound + (s * t + i) * c + j * d;
                const size_t li = (s * h + j) * t + i;
                if (i >= len) { /* padding: exactly 0 */
                    for (size_t e = 0; e < d; e++) o[e] = ob[e] = 0;
                    lse[li] = lse_bound[li] = 0;
                    continue;
                }
                row_forward(&r, q + (s * t + i) * ld + j * d, k + s * t * ld + j * d,
                            v + s * t * ld + j * d, ld, n_keys(len, i, causal), d);
                for (size_t e = 0; e < d; e++) {
                    o[e] = r.out[e];
                    ob[e] = f * CHK_U * r.s_out[e] + r.floor_out[e];
                }
                lse[li] = r.lse;
                lse_bound[li] = f * CHK_U * r.s_lse + FLT_MIN;
            }
        }
    }
    row_free(&r);
}

void chk_truth_attention_bwd(double *dq, double *dq_bound, double *dk, double *dk_bound,
                             double *dv, double *dv_bound, const float *dq0, const float *dk0,
                             const float *dv0, const float *dout, const float *q, const float *k,
                             const float *v, size_t ld, const int32_t *lengths, size_t b,
                             size_t t, size_t h, size_t d, int causal)
{
    const double fb = factor_of(NNS_K_attention_bwd), ratio = factor_of(NNS_K_attention_fwd) / fb;
    const double fu = fb * CHK_U, scale = exact_scale(d);
    const size_t c = h * d;
    att_row r;
    row_alloc(&r, t, d);
    double *acc = xcalloc(d, sizeof(double)), *accb = xcalloc(d, sizeof(double));

    for (size_t s = 0; s < b; s++) {
        const size_t len = seq_len(lengths, s, t);
        for (size_t i = 0; i < t; i++) {
            for (size_t e = 0; e < c; e++) {
                const size_t x = (s * t + i) * ld + e;
                dq[x] = dq0 ? dq0[x] : 0;
                dk[x] = dk0 ? dk0[x] : 0;
                dv[x] = dv0 ? dv0[x] : 0;
                /* The accumulation of N_k terms into dk0, dv0 (0 for padding keys). */
                const double nk = i < len ? (double)(causal ? len - i : len) : 0;
                dq_bound[x] = 0;
                dk_bound[x] = fu * nk * fabs(dk[x]);
                dv_bound[x] = fu * nk * fabs(dv[x]);
            }
        }
        for (size_t j = 0; j < h; j++) {
            const float *kb = k + s * t * ld + j * d, *vb = v + s * t * ld + j * d;
            for (size_t i = 0; i < len; i++) {
                const size_t row = (s * t + i) * ld + j * d;
                const float *qi = q + row, *g = dout + (s * t + i) * c + j * d;
                const size_t n = n_keys(len, i, causal);
                row_forward(&r, qi, kb, vb, ld, n, d);
                double D = 0, eps_d = 0, floor_d = 0;
                for (size_t e = 0; e < d; e++) {
                    D += g[e] * r.out[e];
                    eps_d += fabs(g[e]) * ratio * r.s_out[e] + (double)d * fabs(g[e] * r.out[e]);
                    floor_d += fabs(g[e]) * r.floor_out[e];
                }
                for (size_t e = 0; e < d; e++) acc[e] = accb[e] = 0;
                for (size_t kk = 0; kk < n; kk++) {
                    const float *kr = kb + kk * ld, *vr = vb + kk * ld;
                    double dp = 0, mag = 0;
                    for (size_t e = 0; e < d; e++) {
                        dp += (double)g[e] * vr[e];
                        mag += fabs((double)g[e] * vr[e]);
                    }
                    const double p = r.p[kk], ds = p * (dp - D);
                    const double phi = (double)(d + 3) * r.a[kk] + ratio * r.s_lse +
                                       fabs(r.sc[kk] - r.lse) + 4;
                    const double delta = fabs(ds) * (phi + 2) + p * ((double)d * mag + eps_d);
                    const double delta_floor =
                        FLT_MIN * (fabs(dp - D) + fabs(ds)) + p * floor_d;
                    const double nk = (double)(causal ? len - kk : len);
                    const size_t x = (s * t + kk) * ld + j * d;
                    for (size_t e = 0; e < d; e++) {
                        dv[x + e] += p * g[e];
                        dv_bound[x + e] += fu * p * fabs(g[e]) * (phi + 1 + nk) + 2 * FLT_MIN * fabs(g[e]);
                        dk[x + e] += scale * ds * qi[e];
                        dk_bound[x + e] += fu * scale * (fabs(ds * qi[e]) * (4 + nk) + delta * fabs(qi[e])) +
                                           scale * delta_floor * fabs(qi[e]) + FLT_MIN;
                        acc[e] += ds * kr[e];
                        accb[e] += fu * scale * (fabs(ds * kr[e]) * ((double)n + 3) + delta * fabs(kr[e])) +
                                   scale * delta_floor * fabs(kr[e]);
                    }
                }
                for (size_t e = 0; e < d; e++) {
                    dq[row + e] += scale * acc[e];
                    dq_bound[row + e] += accb[e];
                }
            }
        }
        /* The final addition into dq of every valid row. */
        for (size_t i = 0; i < len; i++)
            for (size_t e = 0; e < c; e++) {
                const size_t x = (s * t + i) * ld + e;
                dq_bound[x] += fu * fabs(dq[x]) + FLT_MIN;
            }
    }
    free(acc);
    free(accb);
    row_free(&r);
}

/* ---- the cases ---- */

typedef struct att_case {
    size_t b, t, h, d;
    int causal, packed;
    int lens;    /* 0: NULL; 1: all t, given explicitly; 2: ragged, with 0 and 1 */
    int special; /* a NaN in one valid key */
    int32_t len[4];
} att_case;

#define MAX_CASES 160

/* t sweeps the checker's lengths up to 70 (every tail of 64-float
 * vectors, with 0 and 1), then those within one of a multiple of 32 up to
 * 300 (tails against the tiled variants' query blocks and key tiles, 32
 * to 96, several tiles per row), plus 200; d, h, the layout, causality and
 * the lengths cycle with coprime periods so every combination occurs. */
static size_t make_cases(chk_ctx *c, att_case *cs)
{
    static const size_t ds[] = {8, 16, 32, 64, 80}, odd_d[] = {1, 3, 13}, hs[] = {1, 2, 4};
    const size_t *len;
    size_t nlen = chk_sweep(c, &len), nc = 0;
    for (size_t li = 0; li <= nlen && nc < MAX_CASES; li++) {
        size_t t = li < nlen ? len[li] : 200;
        if (li < nlen && t > 70 && (t > 300 || (t + 1) % 32 > 2)) continue;
        att_case *a = &cs[nc];
        memset(a, 0, sizeof *a);
        a->t = t;
        a->d = nc % 11 == 10 ? odd_d[nc / 11 % 3] : ds[nc % 5];
        a->h = hs[nc % 3];
        a->causal = nc & 1;
        a->packed = (nc >> 1) & 1;
        a->lens = (int)(nc / 4 % 3);
        a->special = nc % 7 == 3;
        if (t == 200) { /* one long ragged pair: rows of up to 200 keys */
            a->b = 2, a->d = 16, a->h = 2, a->lens = 2;
            a->len[0] = (int32_t)t;
            a->len[1] = (int32_t)chk_uniform(c, 1, (double)t);
        } else if (a->lens == 2) {
            a->b = 4;
            a->len[0] = (int32_t)(t ? (size_t)chk_uniform(c, 0, (double)t + 1) % (t + 1) : 0);
            a->len[1] = 0;
            a->len[2] = (int32_t)t;
            a->len[3] = t ? 1 : 0;
        } else {
            a->b = 1 + nc % 2;
            for (size_t s = 0; s < a->b; s++) a->len[s] = (int32_t)t;
        }
        nc++;
    }
    /* Empty batches and empty heads. */
    cs[nc++] = (att_case){.b = 0, .t = 5, .h = 2, .d = 8};
    cs[nc++] = (att_case){.b = 2, .t = 5, .h = 0, .d = 8, .len = {5, 5}};
    cs[nc++] = (att_case){.b = 2, .t = 5, .h = 2, .d = 0, .lens = 2, .len = {3, 0}};
    return nc;
}

/* The case's inputs: q, k, v in one packed buffer or three; lengths. */
typedef struct att_inputs {
    size_t c, ld, n;   /* h*d, row stride, floats per q/k/v buffer */
    float *q, *k, *v;
    const int32_t *lengths;
} att_inputs;

static void alloc_qkv(chk_ctx *c, const att_case *a, att_inputs *in, size_t mis)
{
    in->c = a->h * a->d;
    in->ld = a->packed ? 3 * in->c : in->c;
    in->n = a->b * a->t * in->ld;
    if (a->packed) {
        in->q = chk_alloc(c, in->n, mis);
        in->k = in->q + in->c;
        in->v = in->q + 2 * in->c;
    } else {
        in->q = chk_alloc(c, in->n, mis);
        in->k = chk_alloc(c, in->n, chk_misalign(mis + 5));
        in->v = chk_alloc(c, in->n, chk_misalign(mis + 9));
    }
    in->lengths = a->lens ? a->len : NULL;
}

/* Random inputs; padding rows (positions >= length) hold NaN, which no
 * valid output may see. */
static void fill_qkv(chk_ctx *c, const att_case *a, att_inputs *in)
{
    const size_t bt = a->b * a->t;
    for (size_t r = 0; r < bt; r++) {
        const int pad = (size_t)a->len[r / (a->t ? a->t : 1)] <= r % a->t;
        for (size_t e = 0; e < in->c; e++) {
            in->q[r * in->ld + e] = pad ? NAN : (float)chk_uniform(c, -2, 2);
            in->k[r * in->ld + e] = pad ? NAN : (float)chk_uniform(c, -2, 2);
            in->v[r * in->ld + e] = pad ? NAN : (float)chk_uniform(c, -1, 1);
        }
    }
    if (a->special && a->len[0] > 0 && in->c > 0) /* a NaN in a valid key of sequence 0 */
        in->k[(size_t)(a->len[0] - 1) * in->ld + in->c / 2] = NAN;
}

/* Copies the inputs into new buffers at another misalignment. */
static void copy_qkv(chk_ctx *c, const att_case *a, const att_inputs *src, att_inputs *dst,
                     size_t mis)
{
    alloc_qkv(c, a, dst, mis);
    if (a->packed) {
        memcpy(dst->q, src->q, src->n * sizeof(float));
    } else {
        memcpy(dst->q, src->q, src->n * sizeof(float));
        memcpy(dst->k, src->k, src->n * sizeof(float));
        memcpy(dst->v, src->v, src->n * sizeof(float));
    }
}

static float *alloc_ws(chk_ctx *c, size_t bytes, size_t mis)
{
    return bytes ? chk_alloc(c, (bytes + sizeof(float) - 1) / sizeof(float), mis) : NULL;
}

static void describe(char *buf, size_t cap, const char *k, const att_case *a, const char *what)
{
    snprintf(buf, cap, "%s %s b=%zu t=%zu h=%zu d=%zu %s%s%s", k, what, a->b, a->t, a->h, a->d,
             a->packed ? "packed" : "separate", a->causal ? " causal" : "",
             a->lens == 2 ? " ragged" : a->lens ? " lengths=t" : "");
}

/* ---- forward ---- */

static void fwd_case(chk_ctx *c, const att_case *a, size_t ci)
{
    nns_attention_fwd_fn *fn = chk_table(c)->attention_fwd, *ref = chk_reference()->attention_fwd;
    const size_t b = a->b, t = a->t, h = a->h, d = a->d;
    att_inputs in, in2;
    alloc_qkv(c, a, &in, chk_misalign(ci));
    fill_qkv(c, a, &in);
    const size_t no = b * t * in.c, nl = b * h * t;
    float *out = chk_alloc(c, no, chk_misalign(ci + 1)), *lse = chk_alloc(c, nl, chk_misalign(ci + 2));
    float *outr = chk_alloc(c, no, 0), *lser = chk_alloc(c, nl, 0);
    const size_t wsb = chk_table(c)->attention_fwd_workspace_size(t, d);
    float *ws = alloc_ws(c, wsb, chk_misalign(ci + 3));
    float *wsr = alloc_ws(c, chk_reference()->attention_fwd_workspace_size(t, d), 0);
    /* Outputs start as NaN: every element must be written. */
    for (size_t x = 0; x < no; x++) out[x] = outr[x] = NAN;
    for (size_t x = 0; x < nl; x++) lse[x] = lser[x] = NAN;

    fn(out, lse, in.q, in.k, in.v, in.ld, in.lengths, b, t, h, d, a->causal, ws);
    ref(outr, lser, in.q, in.k, in.v, in.ld, in.lengths, b, t, h, d, a->causal, wsr);

    double *to = chk_doubles(c, no), *bo = chk_doubles(c, no);
    double *tl = chk_doubles(c, nl), *bl = chk_doubles(c, nl);
    chk_truth_attention_fwd(to, bo, tl, bl, in.q, in.k, in.v, in.ld, in.lengths, b, t, h, d,
                            a->causal);
    char what[160];
    describe(what, sizeof what, "attention_fwd", a, "out");
    chk_guard(c, out, what);
    chk_compare(c, what, out, outr, to, bo, NULL, no);
    describe(what, sizeof what, "attention_fwd", a, "lse");
    chk_guard(c, lse, what);
    chk_compare(c, what, lse, lser, tl, bl, NULL, nl);
    if (ws) chk_guard(c, ws, "attention_fwd workspace");

    /* Same bits from buffers at other alignments. */
    copy_qkv(c, a, &in, &in2, chk_misalign(ci + 6));
    float *out2 = chk_alloc(c, no, chk_misalign(ci + 7)), *lse2 = chk_alloc(c, nl, chk_misalign(ci + 8));
    float *ws2 = alloc_ws(c, wsb, chk_misalign(ci + 9));
    fn(out2, lse2, in2.q, in2.k, in2.v, in2.ld, in2.lengths, b, t, h, d, a->causal, ws2);
    describe(what, sizeof what, "attention_fwd", a, "realigned out");
    chk_same_bits(c, what, out2, out, no);
    describe(what, sizeof what, "attention_fwd", a, "realigned lse");
    chk_same_bits(c, what, lse2, lse, nl);
    chk_case_done(c);
}

void chk_kernel_attention_fwd(chk_ctx *c)
{
    att_case cs[MAX_CASES + 3];
    size_t nc = make_cases(c, cs);
    for (size_t ci = 0; ci < nc; ci++) fwd_case(c, &cs[ci], ci);
}

/* ---- backward ---- */

/* The gradient buffers dq, dk, dv: one packed buffer or three. */
typedef struct att_grads {
    float *q, *k, *v;
} att_grads;

static void alloc_grads(chk_ctx *c, const att_case *a, const att_inputs *in, att_grads *g,
                        size_t mis)
{
    g->q = chk_alloc(c, in->n, mis);
    if (a->packed) {
        g->k = g->q + in->c;
        g->v = g->q + 2 * in->c;
    } else {
        g->k = chk_alloc(c, in->n, chk_misalign(mis + 4));
        g->v = chk_alloc(c, in->n, chk_misalign(mis + 8));
    }
}

static void copy_grads(const att_case *a, const att_inputs *in, att_grads *dst,
                       const att_grads *src)
{
    memcpy(dst->q, src->q, in->n * sizeof(float));
    if (!a->packed) {
        memcpy(dst->k, src->k, in->n * sizeof(float));
        memcpy(dst->v, src->v, in->n * sizeof(float));
    }
}

static void bwd_case(chk_ctx *c, const att_case *a, size_t ci)
{
    nns_attention_bwd_fn *fn = chk_table(c)->attention_bwd, *ref = chk_reference()->attention_bwd;
    const size_t b = a->b, t = a->t, h = a->h, d = a->d;
    att_inputs in, in2;
    alloc_qkv(c, a, &in, chk_misalign(ci));
    fill_qkv(c, a, &in);
    const size_t no = b * t * in.c, nl = b * h * t;
    float *dout = chk_alloc(c, no, chk_misalign(ci + 1));
    for (size_t x = 0; x < no; x++) {
        const size_t r = x / (in.c ? in.c : 1);
        dout[x] = (size_t)a->len[r / (t ? t : 1)] <= r % t ? NAN : (float)chk_uniform(c, -1, 1);
    }
    /* out and lse from the reference forward. */
    float *out = chk_alloc(c, no, chk_misalign(ci + 2)), *lse = chk_alloc(c, nl, chk_misalign(ci + 3));
    float *wsf = alloc_ws(c, chk_reference()->attention_fwd_workspace_size(t, d), 0);
    chk_reference()->attention_fwd(out, lse, in.q, in.k, in.v, in.ld, in.lengths, b, t, h, d,
                                   a->causal, wsf);

    /* Gradients start from random values (backward accumulates). */
    att_grads g0, g, gr, g2;
    alloc_grads(c, a, &in, &g0, 0);
    chk_fill(c, g0.q, in.n, -1, 1);
    if (!a->packed) {
        chk_fill(c, g0.k, in.n, -1, 1);
        chk_fill(c, g0.v, in.n, -1, 1);
    }
    alloc_grads(c, a, &in, &g, chk_misalign(ci + 4));
    alloc_grads(c, a, &in, &gr, 0);
    copy_grads(a, &in, &g, &g0);
    copy_grads(a, &in, &gr, &g0);
    const size_t wsb = chk_table(c)->attention_bwd_workspace_size(t, d);
    float *ws = alloc_ws(c, wsb, chk_misalign(ci + 5));
    float *wsr = alloc_ws(c, chk_reference()->attention_bwd_workspace_size(t, d), 0);

    fn(g.q, g.k, g.v, dout, in.q, in.k, in.v, out, lse, in.ld, in.lengths, b, t, h, d, a->causal, ws);
    ref(gr.q, gr.k, gr.v, dout, in.q, in.k, in.v, out, lse, in.ld, in.lengths, b, t, h, d,
        a->causal, wsr);

    char what[160];
    if (a->packed) {
        double *tr = chk_doubles(c, in.n), *bd = chk_doubles(c, in.n);
        chk_truth_attention_bwd(tr, bd, tr + in.c, bd + in.c, tr + 2 * in.c, bd + 2 * in.c, g0.q,
                                g0.k, g0.v, dout, in.q, in.k, in.v, in.ld, in.lengths, b, t, h, d,
                                a->causal);
        describe(what, sizeof what, "attention_bwd", a, "dqkv");
        chk_guard(c, g.q, what);
        chk_compare(c, what, g.q, gr.q, tr, bd, NULL, in.n);
    } else {
        double *tq = chk_doubles(c, in.n), *bq = chk_doubles(c, in.n);
        double *tk = chk_doubles(c, in.n), *bk = chk_doubles(c, in.n);
        double *tv = chk_doubles(c, in.n), *bv = chk_doubles(c, in.n);
        chk_truth_attention_bwd(tq, bq, tk, bk, tv, bv, g0.q, g0.k, g0.v, dout, in.q, in.k, in.v,
                                in.ld, in.lengths, b, t, h, d, a->causal);
        describe(what, sizeof what, "attention_bwd", a, "dq");
        chk_guard(c, g.q, what);
        chk_compare(c, what, g.q, gr.q, tq, bq, NULL, in.n);
        describe(what, sizeof what, "attention_bwd", a, "dk");
        chk_guard(c, g.k, what);
        chk_compare(c, what, g.k, gr.k, tk, bk, NULL, in.n);
        describe(what, sizeof what, "attention_bwd", a, "dv");
        chk_guard(c, g.v, what);
        chk_compare(c, what, g.v, gr.v, tv, bv, NULL, in.n);
    }
    if (ws) chk_guard(c, ws, "attention_bwd workspace");

    /* Same bits from buffers at other alignments. */
    copy_qkv(c, a, &in, &in2, chk_misalign(ci + 6));
    float *dout2 = chk_alloc(c, no, chk_misalign(ci + 7));
    memcpy(dout2, dout, no * sizeof *dout);
    alloc_grads(c, a, &in, &g2, chk_misalign(ci + 8));
    copy_grads(a, &in, &g2, &g0);
    float *ws2 = alloc_ws(c, wsb, chk_misalign(ci + 9));
    fn(g2.q, g2.k, g2.v, dout2, in2.q, in2.k, in2.v, out, lse, in2.ld, in2.lengths, b, t, h, d,
       a->causal, ws2);
    describe(what, sizeof what, "attention_bwd", a, "realigned");
    chk_same_bits(c, what, g2.q, g.q, in.n);
    if (!a->packed) {
        chk_same_bits(c, what, g2.k, g.k, in.n);
        chk_same_bits(c, what, g2.v, g.v, in.n);
    }
    chk_case_done(c);
}

/* ---- finite differences ----
 *
 * The reference backward against central differences of the forward, on
 * small shapes with every input probed. The forward is evaluated in double
 * by chk_truth_attention_fwd: the same formula as reference/attention.c
 * (scores over the same valid keys, max-subtracted softmax, out = p v),
 * whose float evaluation the forward check holds to the forward's bound;
 * in float the difference quotient would drown in rounding. With
 * L = sum(out * g) over valid rows and h = 2^-14 (inputs on a 2^-14 grid
 * so that x +- h is exact), |fd - dL/dx| is at most
 *   - truncation: h^2/6 max|L'''|. Along a query element q_ie, row i's
 *     scores move by x w_k, w_k = k_ke / sqrt(d); out_i . g is then
 *     E_p[G], G_k = g . v_k, with p = softmax(s + x w), and
 *     d^3/dx^3 E_p[G] is the cumulant E[G' w'^3] - 3 E[G' w'] E[w'^2]
 *     (primes: centred), at most 4 R W^3 with R, W the ranges of G and w.
 *     A key element k_ke moves score k of every row i that sees it by
 *     x q_ie / sqrt(d): W = |q_ie| / sqrt(d), summed over those rows. L is
 *     linear in v.
 *   - rounding: the double forward has the float forward's error model
 *     with 2^-53 for U (x2), and L sums its no = b t c products in double:
 *     |L~ - L| <= 2^-52 / (f U) sum |g| bound(out) + no 2^-53 sum |out g|;
 *     the quotient's two evaluations over 2h give that over h.
 * The backward's own bound (the truth's, with zero initial gradients) is
 * added: it is the bound of the reference backward against the exact
 * gradient. */

static double fd_loss(const att_case *a, const att_inputs *in, const float *g, double *to,
                      double *bo, double *tl, double *bl)
{
    chk_truth_attention_fwd(to, bo, tl, bl, in->q, in->k, in->v, in->ld, in->lengths, a->b, a->t,
                            a->h, a->d, a->causal);
    double L = 0;
    for (size_t x = 0; x < a->b * a->t * in->c; x++) L += to[x] * g[x];
    return L;
}

/* Ranges (max - min) of G_k = g . v_k and of w_k = k_ke / sqrt(d) over the
 * keys of row i (sequence s, head j); w_range is skipped if e is SIZE_MAX. */
static void fd_ranges(const att_case *a, const att_inputs *in, const float *g, size_t s, size_t j,
                      size_t i, size_t e, double *g_range, double *w_range)
{
    const size_t n = n_keys((size_t)a->len[s], i, a->causal);
    double gmin = INFINITY, gmax = -INFINITY, wmin = INFINITY, wmax = -INFINITY;
    for (size_t kk = 0; kk < n; kk++) {
        const size_t x = (s * a->t + kk) * in->ld + j * a->d;
        double gk = 0;
        for (size_t c = 0; c < a->d; c++)
            gk += (double)g[(s * a->t + i) * in->c + j * a->d + c] * in->v[x + c];
        gmin = fmin(gmin, gk), gmax = fmax(gmax, gk);
        if (e != SIZE_MAX) {
            double w = in->k[x + e] * exact_scale(a->d);
            wmin = fmin(wmin, w), wmax = fmax(wmax, w);
        }
    }
    *g_range = n ? gmax - gmin : 0;
    if (e != SIZE_MAX) *w_range = n ? wmax - wmin : 0;
}

static void fd_case(chk_ctx *c, const att_case *a)
{
    const double hstep = 0x1p-14, f = factor_of(NNS_K_attention_fwd);
    const size_t b = a->b, t = a->t, h = a->h, d = a->d;
    att_inputs in;
    alloc_qkv(c, a, &in, 0);
    for (size_t x = 0; x < in.n; x++) in.q[x] = (float)(round(chk_uniform(c, -2, 2) * 16384) / 16384);
    if (!a->packed)
        for (size_t x = 0; x < in.n; x++) {
            in.k[x] = (float)(round(chk_uniform(c, -2, 2) * 16384) / 16384);
            in.v[x] = (float)(round(chk_uniform(c, -1, 1) * 16384) / 16384);
        }
    const size_t no = b * t * in.c, nl = b * h * t;
    float *g = chk_alloc(c, no, 0), *out = chk_alloc(c, no, 0), *lse = chk_alloc(c, nl, 0);
    chk_fill(c, g, no, -1, 1);
    float *wsf = alloc_ws(c, chk_reference()->attention_fwd_workspace_size(t, d), 0);
    float *wsb = alloc_ws(c, chk_reference()->attention_bwd_workspace_size(t, d), 0);
    chk_reference()->attention_fwd(out, lse, in.q, in.k, in.v, in.ld, in.lengths, b, t, h, d,
                                   a->causal, wsf);
    att_grads gr;
    alloc_grads(c, a, &in, &gr, 0);
    memset(gr.q, 0, in.n * sizeof(float));
    if (!a->packed) {
        memset(gr.k, 0, in.n * sizeof(float));
        memset(gr.v, 0, in.n * sizeof(float));
    }
    chk_reference()->attention_bwd(gr.q, gr.k, gr.v, g, in.q, in.k, in.v, out, lse, in.ld,
                                   in.lengths, b, t, h, d, a->causal, wsb);
    double *tq = chk_doubles(c, in.n), *bq = chk_doubles(c, in.n);
    double *tk = chk_doubles(c, in.n), *bk = chk_doubles(c, in.n);
    double *tv = chk_doubles(c, in.n), *bv = chk_doubles(c, in.n);
    chk_truth_attention_bwd(tq, bq, tk, bk, tv, bv, NULL, NULL, NULL, g, in.q, in.k, in.v, in.ld,
                            in.lengths, b, t, h, d, a->causal);
    double *to = chk_doubles(c, no), *bo = chk_doubles(c, no);
    double *tl = chk_doubles(c, nl), *bl = chk_doubles(c, nl);
    fd_loss(a, &in, g, to, bo, tl, bl);
    double lerr = 0, mag = 0;
    for (size_t x = 0; x < no; x++) {
        lerr += fabs(g[x]) * bo[x];
        mag += fabs(to[x] * g[x]);
    }
    lerr = lerr * 0x1p-52 / (f * CHK_U) + (double)no * 0x1p-53 * mag;

    for (size_t s = 0; s < b; s++)
        for (size_t r = 0; r < t; r++)
            for (size_t j = 0; j < h; j++)
                for (size_t e = 0; e < d; e++) {
                    const size_t x = (s * t + r) * in.ld + j * d + e;
                    const size_t len = (size_t)a->len[s];
                    double l3[3] = {0, 0, 0}; /* |L'''| along q, k, v */
                    double rg, rw;
                    if (r < len) { /* q: row r's own scores */
                        fd_ranges(a, &in, g, s, j, r, e, &rg, &rw);
                        l3[0] = 4 * rg * rw * rw * rw;
                    }
                    for (size_t i = 0; i < len; i++) /* k: every row that sees key r */
                        if (r < n_keys(len, i, a->causal)) {
                            fd_ranges(a, &in, g, s, j, i, SIZE_MAX, &rg, &rw);
                            double w = fabs(in.q[(s * t + i) * in.ld + j * d + e]) * exact_scale(d);
                            l3[1] += 4 * rg * w * w * w;
                        }
                    float *arr[3] = {in.q, in.k, in.v};
                    const float *grad[3] = {gr.q, gr.k, gr.v};
                    const double *bound[3] = {bq, bk, bv};
                    for (int w = 0; w < 3; w++) {
                        const float x0 = arr[w][x];
                        arr[w][x] = (float)(x0 + hstep);
                        double lp = fd_loss(a, &in, g, to, bo, tl, bl);
                        arr[w][x] = (float)(x0 - hstep);
                        double lm = fd_loss(a, &in, g, to, bo, tl, bl);
                        arr[w][x] = x0;
                        double fd = (lp - lm) / (2 * hstep);
                        double bnd = bound[w][x] + hstep * hstep / 6 * l3[w] + lerr / hstep;
                        chk_fd(c, fabs(fd - grad[w][x]), bnd, x0);
                    }
                }
    chk_case_done(c);
}

void chk_kernel_attention_bwd(chk_ctx *c)
{
    att_case cs[MAX_CASES + 3];
    size_t nc = make_cases(c, cs);
    for (size_t ci = 0; ci < nc; ci++) bwd_case(c, &cs[ci], ci);
    if (chk_isa(c) == NNS_ISA_SCALAR) {
        const att_case fd[] = {
            {.b = 2, .t = 6, .h = 2, .d = 3, .lens = 2, .len = {6, 4}},
            {.b = 3, .t = 5, .h = 1, .d = 4, .causal = 1, .lens = 2, .len = {5, 0, 2}},
            {.b = 1, .t = 4, .h = 2, .d = 2, .causal = 1, .len = {4}},
        };
        for (size_t i = 0; i < sizeof fd / sizeof fd[0]; i++) fd_case(c, &fd[i]);
    }
}
