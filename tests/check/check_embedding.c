/* Checks of the embedding family: the lookup (a copy, exact to the bit)
 * and its scatter-add backward (a float sum per element of dweight, in
 * order of i, with heavy repeats of the same id), against double-precision
 * truths under the tolerance table; the reference backward against central
 * differences of the reference forward.
 *
 * Ids are never range-checked by a variant (the caller's contract, see
 * nnsimd.h), so every id here lies in [0, V). */
#include "check_embedding.h"

#include "checker.h"
#include "tolerance.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- models ---- */

/* Lookup: out[i,j] = weight[ids[i],j], no arithmetic: bound 0 (exact). */
void chk_truth_embedding_fwd(const int32_t *ids, const float *weight, size_t n, size_t c,
                             double *truth, double *bound)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < c; j++) {
            truth[i * c + j] = weight[(size_t)ids[i] * c + j];
            bound[i * c + j] = 0.0;
        }
}

/* Neumaier's compensated sum in double: the truths' sums, with an error of
 * about 2^-53 of the result, 2^-29 of a unit U of the float bounds. */
static void neumaier_add(double *sum, double *comp, double x)
{
    double t = *sum + x;
    if (fabs(*sum) >= fabs(x)) *comp += (*sum - t) + x;
    else *comp += (x - t) + *sum;
    *sum = t;
}

/* Scatter-add. Element (r,j) of dweight named by m ids i_1 < ... < i_m
 * receives m float additions in that order (the API fixes it):
 *   s^_0 = d0, s^_k = fl(s^_{k-1} + x_k), x_k = dout[i_k,j].
 * With fl(a+b) = (a+b)(1+d), |d| <= U, each step errs by
 *   |s^_k - s^_{k-1} - x_k| = |d/(1+d)| |s^_k| <= U |s^_k|,
 * so |s^_m - s_m| <= U A, A = sum_k |s^_k|. With s_k the exact partial
 * sums and B = sum_k |s_k|: |s^_k| <= |s_k| + U A, so A <= B + m U A,
 * A <= B / (1 - mU), and
 *   |err| <= U * S,  S = sum_{k=1..m} |s_k| / (1 - mU)      (factor 1),
 * rigorous, with no second-order term left out. m = 0: the row is
 * untouched, bound 0. Floor: a variant that flushed subnormals (FTZ/DAZ)
 * would move each addition by less than 2 FLT_MIN (an operand and the
 * result): 2 m FLT_MIN. */
void chk_truth_embedding_bwd(const float *dweight0, const float *dout, const int32_t *ids,
                             size_t n, size_t c, size_t v, double *truth, double *bound)
{
    const double factor = chk_tolerance_for(NNS_K_embedding_bwd)->factor;
    size_t vc = v * c;
    double *comp = calloc(vc ? vc : 1, sizeof *comp);
    size_t *m = calloc(v ? v : 1, sizeof *m);
    if (!comp || !m) abort();
    /* bound[] first accumulates B = sum_k |s_k|. */
    for (size_t e = 0; e < vc; e++) {
        truth[e] = dweight0[e];
        bound[e] = 0.0;
    }
    for (size_t i = 0; i < n; i++) {
        size_t r = (size_t)ids[i];
        m[r]++;
        for (size_t j = 0; j < c; j++) {
            size_t e = r * c + j;
            neumaier_add(&truth[e], &comp[e], dout[i * c + j]);
            bound[e] += fabs(truth[e] + comp[e]);
        }
    }
    for (size_t r = 0; r < v; r++)
        for (size_t j = 0; j < c; j++) {
            size_t e = r * c + j;
            double mu = (double)m[r];
            truth[e] += comp[e];
            bound[e] = mu * CHK_U < 1 ? factor * CHK_U * bound[e] / (1 - mu * CHK_U) +
                                            2 * mu * FLT_MIN
                                      : INFINITY;
        }
    free(comp);
    free(m);
}

/* ---- inputs ---- */

/* Ids in [0, v): uniform, or heavy (3 in 4 name row 0, the rest uniform). */
static void fill_ids(chk_ctx *c, int32_t *ids, size_t n, size_t v, int heavy)
{
    for (size_t i = 0; i < n; i++) {
        double u = chk_uniform(c, 0, 1);
        int32_t id = (int32_t)chk_uniform(c, 0, (double)v);
        ids[i] = heavy && u < 0.75 ? 0 : id < (int32_t)v ? id : (int32_t)v - 1;
    }
}

/* The cases of one length c of the sweep: (n, V, heavy). A plain case with
 * a few ids over a small table, and one with heavy repeats: up to 48 ids
 * on one row, which the backward must add in order. */
typedef struct emb_case {
    size_t n, v;
    int heavy;
} emb_case;

static size_t emb_cases(size_t li, size_t c, emb_case out[2])
{
    out[0] = (emb_case){li % 5 == 0 ? 0 : 1 + (li * 3) % 19, 1 + li % 7, 0};
    out[1] = (emb_case){c <= 130 ? 48 : 6, 3, 1};
    return 2;
}

/* ---- forward ---- */

void chk_kernel_embedding_fwd(chk_ctx *c)
{
    nns_embedding_fwd_fn *fn = chk_table(c)->embedding_fwd;
    nns_embedding_fwd_fn *ref = chk_reference()->embedding_fwd;
    const size_t *len;
    size_t nlen = chk_sweep(c, &len);
    char what[96];
    for (size_t li = 0; li < nlen; li++) {
        size_t cc = len[li];
        emb_case cs[2];
        size_t ncase = emb_cases(li, cc, cs);
        for (size_t k = 0; k < ncase; k++) {
            size_t n = cs[k].n, v = cs[k].v;
            int32_t *ids = (int32_t *)chk_alloc(c, n, chk_misalign(li + 5));
            float *w = chk_alloc(c, v * cc, chk_misalign(li + k));
            float *y = chk_alloc(c, n * cc, chk_misalign(li + k + 3));
            float *yr = chk_alloc(c, n * cc, 0);
            float *rows = chk_alloc(c, n * cc, 0);
            double *t = chk_doubles(c, n * cc), *b = chk_doubles(c, n * cc);
            fill_ids(c, ids, n, v, cs[k].heavy);
            chk_fill(c, w, v * cc, -4, 4);
            if (li % 3 == 2) chk_sprinkle_specials(c, w, v * cc);
            fn(y, ids, w, n, cc);
            ref(yr, ids, w, n, cc);
            chk_truth_embedding_fwd(ids, w, n, cc, t, b);
            snprintf(what, sizeof what, "embedding_fwd n=%zu c=%zu V=%zu", n, cc, v);
            chk_guard(c, y, what);
            chk_compare(c, what, y, yr, t, b, NULL, n * cc);
            /* A copy keeps every bit (-0, NaN payloads): compare with the rows. */
            for (size_t i = 0; i < n; i++)
                memcpy(rows + i * cc, w + (size_t)ids[i] * cc, cc * sizeof *w);
            chk_same_bits(c, what, y, rows, n * cc);
            chk_case_done(c);
        }
    }
}

/* ---- backward ---- */

/* Central differences of the reference forward against the reference
 * backward. L(w) = sum_{i,j} g[i,j] out[i,j] is linear in w and the
 * forward is an exact copy, so with w on a 2^-10 grid and h = 2^-6
 * (w +- h exact in float) the difference quotient
 *   fd = sum g[i,j] (out+[i,j] - out-[i,j]) / (2h)
 * is the exact derivative sum_{ids[i] = r} g[i,j] up to its own evaluation
 * in double: the differences (0 or 2h) and products are exact, the sum of
 * n*c terms errs by at most n c 2^-53 sum|g|. The bound is that plus the
 * backward's bound (dweight from 0). Row 3 is named by no id: fd = 0. */
static void check_fd(chk_ctx *c)
{
    enum { N = 9, C = 5, V = 4 };
    static const int32_t ids[N] = {2, 0, 2, 2, 1, 2, 0, 2, 2};
    nns_embedding_fwd_fn *fwd = chk_reference()->embedding_fwd;
    nns_embedding_bwd_fn *bwd = chk_reference()->embedding_bwd;
    const double h = 0x1p-6;
    float w[V * C], g[N * C], op[N * C], om[N * C], dw[V * C], zero[V * C];
    double t[V * C], b[V * C], sum_g = 0;
    for (size_t e = 0; e < V * C; e++) {
        w[e] = (float)(round(chk_uniform(c, -2, 2) * 1024) / 1024);
        dw[e] = zero[e] = 0.0f;
    }
    chk_fill(c, g, N * C, -1, 1);
    for (size_t e = 0; e < N * C; e++) sum_g += fabs(g[e]);
    bwd(dw, g, ids, N, C);
    chk_truth_embedding_bwd(zero, g, ids, N, C, V, t, b);
    for (size_t e = 0; e < V * C; e++) {
        float keep = w[e];
        w[e] = (float)(keep + h);
        fwd(op, ids, w, N, C);
        w[e] = (float)(keep - h);
        fwd(om, ids, w, N, C);
        w[e] = keep;
        double fd = 0;
        for (size_t k = 0; k < N * C; k++) fd += (double)g[k] * ((double)op[k] - (double)om[k]);
        fd /= 2 * h;
        chk_fd(c, fabs(fd - dw[e]), b[e] + N * C * 0x1p-53 * sum_g, keep);
    }
}

void chk_kernel_embedding_bwd(chk_ctx *c)
{
    nns_embedding_bwd_fn *fn = chk_table(c)->embedding_bwd;
    nns_embedding_bwd_fn *ref = chk_reference()->embedding_bwd;
    const size_t *len;
    size_t nlen = chk_sweep(c, &len);
    char what[96];
    for (size_t li = 0; li < nlen; li++) {
        size_t cc = len[li];
        emb_case cs[2];
        size_t ncase = emb_cases(li, cc, cs);
        for (size_t k = 0; k < ncase; k++) {
            size_t n = cs[k].n, v = cs[k].v;
            int specials = li % 3 == 2;
            int32_t *ids = (int32_t *)chk_alloc(c, n, chk_misalign(li + 5));
            float *dout = chk_alloc(c, n * cc, chk_misalign(li + k));
            float *d0 = chk_alloc(c, v * cc, 0);
            float *dw = chk_alloc(c, v * cc, chk_misalign(li + k + 3));
            float *dwr = chk_alloc(c, v * cc, 0);
            double *t = chk_doubles(c, v * cc), *b = chk_doubles(c, v * cc);
            fill_ids(c, ids, n, v, cs[k].heavy);
            chk_fill(c, dout, n * cc, -2, 2);
            chk_fill(c, d0, v * cc, -1, 1);
            if (specials) {
                chk_sprinkle_specials(c, dout, n * cc);
                chk_sprinkle_specials(c, d0, v * cc);
            }
            memcpy(dw, d0, v * cc * sizeof *d0);
            memcpy(dwr, d0, v * cc * sizeof *d0);
            fn(dw, dout, ids, n, cc);
            ref(dwr, dout, ids, n, cc);
            chk_truth_embedding_bwd(d0, dout, ids, n, cc, v, t, b);
            snprintf(what, sizeof what, "embedding_bwd n=%zu c=%zu V=%zu%s", n, cc, v,
                     cs[k].heavy ? " (repeats)" : "");
            chk_guard(c, dw, what);
            chk_compare(c, what, dw, dwr, t, b, NULL, v * cc);
            /* "In order of i" leaves one float result per element: a variant
             * must match the reference bit for bit (NaN payloads aside, which
             * depend on operand order: not compared when specials are in). */
            if (!specials) chk_same_bits(c, what, dw, dwr, v * cc);
            chk_case_done(c);
        }
    }
    if (chk_isa(c) == NNS_ISA_SCALAR) check_fd(c);
}
