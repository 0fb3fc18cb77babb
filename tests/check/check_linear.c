/* Checks of the linear layer: each variant against a double-precision
 * truth under the tolerance table, NaN/Inf positions against the
 * reference, guards around every output and the workspace, and the
 * reference backward against central differences of the forward.
 *
 * Error model (units of U = 2^-24, see tolerance.h).
 *
 * Forward, z = sum_k a_k b_k + bias over K = c terms. Treat the bias as a
 * (K+1)-th product bias * 1 (exact). Summed in float in any order, with
 * or without FMA, each term passes through at most K+1 roundings (its
 * product and the additions after it), so (Higham, Lemma 3.1/3.4)
 *   |z_c - z| <= gamma_{K+1} P,  P = sum_k |a_k b_k| + |bias|,
 *   gamma_m = m U / (1 - m U),
 * whatever the order: the reference (0, then k ascending, bias last) and
 * a blocked FMA variant (bias first) are both covered. Products that
 * underflow add at most 2^-150 each (gradual underflow; additions of
 * subnormals are exact): (K+1) 2^-149 covers them. So
 *   Dz = gamma_{K+1} P + (K+1) 2^-149         (the bound of pre and of NONE's out)
 * With an activation f the kernel returns f_c(z_c), within the activation
 * row's own bound B_f (check_activation.h) of f(z_c), and
 *   |f(z_c) - f(z)| <= Lip Dz,
 * Lip = 1 for NONE; for ReLU 1, or 0 when z + Dz <= 0 (then both are 0);
 * for the GELUs |f'(z_f)| + M2 (|z - z_f| + Dz) by the mean value
 * theorem, z_f = fl(z), M2 = max |f''| = sqrt(2/pi) < 0.8 (both forms;
 * max |f'| = 1.129, max |f'''| = 0.78, measured in double over [-12, 12]).
 * B_f is evaluated at z_f rather than z_c: they differ by Dz + U|z|, a
 * second-order change of a first-order bound.
 *
 * Backward, g = dout f'(pre) computed within the activation's backward
 * bound B_g (check_activation.h; B_g = 0 for NONE, where g = dout). Each
 * gradient is acc0 + sum over m terms g * coef (din: m = oc, coef =
 * weight; dweight: m = n, coef = in; dbias: m = n, coef = 1), accumulated
 * in any order: as above, gamma_{m+1} (|acc0| + sum |g coef|) for the
 * sum, plus (1 + gamma_{m+1}) sum |coef| B_g for the errors already in g,
 * plus (m+1) 2^-149 for underflow. */
#include "check_linear.h"

#include "check_activation.h"
#include "checker.h"
#include "tolerance.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define U CHK_U
#define TINY 0x1p-149 /* the smallest subnormal float */
#define M2 0.8        /* max |f''| of both GELUs */
#define M3 0.78       /* max |f'''| of both GELUs */

/* gamma_m / U */
static double gam(size_t m)
{
    return (double)m / (1.0 - (double)m * U);
}

static size_t act_kernel_fwd(nns_act a)
{
    return a == NNS_ACT_RELU ? NNS_K_relu_fwd : a == NNS_ACT_GELU ? NNS_K_gelu_fwd : NNS_K_gelu_tanh_fwd;
}

static size_t act_kernel_bwd(nns_act a)
{
    return a == NNS_ACT_RELU ? NNS_K_relu_bwd : a == NNS_ACT_GELU ? NNS_K_gelu_bwd : NNS_K_gelu_tanh_bwd;
}

/* The activation's reference backward (for g at infinite pre). */
static nns_unary_bwd_fn *act_ref_bwd(nns_act a)
{
    const nns_kernel_table *r = chk_reference();
    return a == NNS_ACT_RELU ? r->relu_bwd : a == NNS_ACT_GELU ? r->gelu_bwd : r->gelu_tanh_bwd;
}

/* The activations by their definitions, in double. */
static double act_f(nns_act a, double z)
{
    switch (a) {
    case NNS_ACT_RELU: return z < 0 ? 0.0 : z;
    case NNS_ACT_GELU: return 0.5 * z * erfc(-z * M_SQRT1_2);
    case NNS_ACT_GELU_TANH: {
        double w = 2 * sqrt(2 / M_PI) * (z + 0.044715 * z * z * z);
        return w >= 0 ? z / (1 + exp(-w)) : z * exp(w) / (1 + exp(w));
    }
    default: return z;
    }
}

static double tol(size_t k)
{
    return chk_tolerance_for(k)->factor;
}

/* ---- truth and bound ---- */

/* z in double (products of floats are exact in double; the double sum's
 * error, ~2^-29 of the float bound, is ignored) and P. */
static double dot_truth(const float *a, const float *b, size_t k, const float *bias, double *p)
{
    double z = bias ? *bias : 0.0, s = bias ? fabs((double)*bias) : 0.0;
    for (size_t j = 0; j < k; j++) {
        double t = (double)a[j] * b[j];
        z += t;
        s += fabs(t);
    }
    *p = s;
    return z;
}

void chk_truth_linear_fwd(const float *in, const float *weight, const float *bias, size_t n,
                          size_t c, size_t oc, nns_act act, double *t_out, double *b_out,
                          double *t_pre, double *b_pre)
{
    const double factor = tol(NNS_K_linear_fwd);
    for (size_t i = 0; i < n; i++) {
        for (size_t o = 0; o < oc; o++) {
            size_t j = i * oc + o;
            double p, z = dot_truth(in + i * c, weight + o * c, c, bias ? bias + o : NULL, &p);
            double dz = factor * U * gam(c + 1) * p + (double)(c + 1) * TINY;
            if (t_pre && b_pre) t_pre[j] = z, b_pre[j] = dz;
            if (act == NNS_ACT_NONE) {
                t_out[j] = z, b_out[j] = dz;
                continue;
            }
            float zf = (float)z, one = 1.0f;
            double fa, bf, d1, bd1;
            chk_truth_activation_fwd(act_kernel_fwd(act), &zf, 1, &fa, &bf);
            chk_truth_activation_bwd(act_kernel_bwd(act), &zf, &one, NULL, 1, &d1, &bd1);
            double lip = act == NNS_ACT_RELU ? (z + dz > 0 ? 1.0 : 0.0)
                                             : fabs(d1) + M2 * (fabs(z - zf) + dz);
            t_out[j] = act_f(act, z);
            b_out[j] = lip * dz + bf;
        }
    }
}

/* One backward gradient element: acc0 + sum_j g[j*gs] coef[j*cs] over m
 * terms, with the bounds of g in bg (NULL: exact). */
static void grad_truth(double acc0, const double *g, const double *bg, size_t gs, const float *coef,
                       size_t cs, size_t m, double factor, double *t, double *b)
{
    double s = acc0, p = fabs(acc0), e = 0;
    for (size_t j = 0; j < m; j++) {
        double cf = coef ? coef[j * cs] : 1.0, term = g[j * gs] * cf;
        s += term;
        p += fabs(term);
        if (bg) e += fabs(cf) * bg[j * gs];
    }
    double gm = U * gam(m + 1);
    *t = s;
    *b = factor * gm * p + (1 + gm) * e + (double)(m + 1) * TINY;
}

void chk_truth_linear_bwd(const float *din0, const float *dw0, const float *db0, const float *dout,
                          const float *pre, const float *in, const float *weight, size_t n,
                          size_t c, size_t oc, nns_act act, double *t_din, double *b_din,
                          double *t_dw, double *b_dw, double *t_db, double *b_db)
{
    const double factor = tol(NNS_K_linear_bwd);
    size_t ng = n * oc;
    double *g = malloc((ng ? ng : 1) * sizeof *g), *bg = NULL;
    if (!g) abort();
    if (act == NNS_ACT_NONE) {
        for (size_t j = 0; j < ng; j++) g[j] = dout[j];
    } else {
        bg = malloc((ng ? ng : 1) * sizeof *bg);
        if (!bg) abort();
        chk_truth_activation_bwd(act_kernel_bwd(act), pre, dout, NULL, ng, g, bg);
        /* At pre = +-Inf the reference's IEEE value (or its clamp's limit)
         * is the definition (as chk_compare treats infinite inputs). */
        for (size_t j = 0; j < ng; j++)
            if (isinf(pre[j])) {
                float gj = 0.0f;
                act_ref_bwd(act)(&gj, &dout[j], &pre[j], 1);
                g[j] = gj, bg[j] = 0;
            }
    }
    for (size_t i = 0; t_din && b_din && i < n; i++)
        for (size_t k = 0; k < c; k++)
            grad_truth(din0 ? din0[i * c + k] : 0.0, g + i * oc, bg ? bg + i * oc : NULL, 1,
                       weight + k, c, oc, factor, &t_din[i * c + k], &b_din[i * c + k]);
    for (size_t o = 0; t_dw && b_dw && o < oc; o++)
        for (size_t k = 0; k < c; k++)
            grad_truth(dw0 ? dw0[o * c + k] : 0.0, g + o, bg ? bg + o : NULL, oc, in + k, c, n,
                       factor, &t_dw[o * c + k], &b_dw[o * c + k]);
    for (size_t o = 0; t_db && b_db && o < oc; o++)
        grad_truth(db0 ? db0[o] : 0.0, g + o, bg ? bg + o : NULL, oc, NULL, 0, n, factor, &t_db[o],
                   &b_db[o]);
    free(g);
    free(bg);
}

/* ---- inputs and shapes ---- */

/* Special values safe for a sum in any order: NaN, +-Inf, +-0 and tiny
 * values. No huge finite values: two of them could overflow in one
 * summation order and not in another, so NaN/Inf positions would
 * legitimately differ between variants. Finite specials at 1/8 of the
 * elements, `nonfinite` NaN/Inf at random places. */
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

typedef struct lin_shape {
    size_t n, c, oc;
    int act; /* -1: chosen by the case index */
} lin_shape;

#define MAX_SHAPES 512

/* The depth c sweeps chk_sweep's lengths (every tail up to two 64-float
 * vectors, multiples, large), then the columns oc, then the rows n (up
 * to 257), each with a few values of the other two; then shapes of
 * several tiles in every dimension, and c = 0 (out = act(bias)) and
 * 1 x 1 x 1 under every activation. Sizes of the others shrink where one
 * is large, to keep the run short. */
static size_t lin_shapes(const chk_ctx *c, lin_shape *s)
{
    static const size_t ns[] = {1, 2, 6, 7, 13}, ocs[] = {1, 7, 16, 33, 70},
                        cs[] = {0, 1, 5, 16, 33};
    const size_t *len;
    size_t nl = chk_sweep(c, &len), m = 0;
    for (size_t li = 0; li < nl && m + 3 <= MAX_SHAPES; li++) {
        size_t L = len[li];
        int big = L > 300;
        s[m++] = (lin_shape){big ? 1 + li % 2 : ns[li % 5], L, big ? 1 + li % 3 : ocs[(li + 2) % 5], -1};
        s[m++] = (lin_shape){big ? 1 + li % 2 : ns[(li + 1) % 5], big ? 1 + li % 5 : cs[li % 5], L, -1};
        if (L <= 257) s[m++] = (lin_shape){L, 3 + li % 17, ocs[(li + 4) % 5], -1};
    }
    /* past the SIMD GEMM's cache blocks (dispatch/blocking.c: KC <= 512
     * for a C within half of L2, MC <= 1024, NC <= 4096) in every
     * dimension, as the reduction of the forward (c), of din (oc) and of
     * dweight (n) */
    s[m++] = (lin_shape){37, 129, 70, -1};
    s[m++] = (lin_shape){300, 33, 65, -1};
    s[m++] = (lin_shape){1031, 9, 5, -1};
    /* a C well within half of L2 beside a B panel far past it, whose
     * slivers are then packed as the tiles reach them (dispatch/blocking.c,
     * ahead_bytes), over two column blocks (NC <= 4096) */
    s[m++] = (lin_shape){7, 300, 4100, -1};
    /* din and dweight reading B in place (W's rows, the input's rows) 49
     * cache lines apart (gemm.h: an odd number), at depths past
     * B_IN_PLACE_DEPTH, with AVX-512's ragged last sliver packed; twice,
     * as each shape leaves out one gradient in turn (si % 4) */
    s[m++] = (lin_shape){40, 784, 40, -1};
    s[m++] = (lin_shape){41, 784, 40, -1};
    if (m + 11 > MAX_SHAPES) return m;
    /* the full sweep (it reaches 65539; the light one stops at 1000):
     * several blocks at once */
    if (nl && len[nl - 1] > 4096) {
        s[m++] = (lin_shape){600, 530, 70, -1};
        s[m++] = (lin_shape){200, 70, 1100, -1};
        /* a C past L2 (the deep blocking, KC <= 1024) over two depth blocks */
        s[m++] = (lin_shape){520, 1100, 520, -1};
    }
    for (int a = 0; a < 4; a++) {
        s[m++] = (lin_shape){3, 0, 5, a};
        s[m++] = (lin_shape){1, 1, 1, a};
    }
    return m;
}

static nns_act case_act(const lin_shape *s, size_t i)
{
    return s->act >= 0 ? (nns_act)s->act : (nns_act)(i % 4);
}

/* Workspace of `bytes` (0: NULL), guarded and misaligned by one float:
 * the API promises no alignment beyond float's. */
static void *workspace(chk_ctx *c, size_t bytes)
{
    return bytes ? chk_alloc(c, (bytes + sizeof(float) - 1) / sizeof(float), 1) : NULL;
}

static size_t ws_size(nns_linear_ws_fn *f, size_t n, size_t c, size_t oc, nns_act act)
{
    return f ? f(n, c, oc, act) : 0;
}

static const char *act_name(nns_act a)
{
    static const char *const names[] = {"none", "relu", "gelu", "gelu_tanh"};
    return (unsigned)a < 4 ? names[a] : "?";
}

/* ---- exact results on small integers (as oneDNN's benchdnn does) ----
 * Inputs in {-3..3}: every product and partial sum is an integer below
 * 2^24, so any summation order is exact and the result must equal the
 * exact value bit for bit (bound 0). Shapes straddle every register tile
 * (6x16, 14x32, 8x12) and the KC block. */
static void fill_ints(chk_ctx *c, float *p, size_t n)
{
    for (size_t i = 0; i < n; i++) p[i] = (float)((int)chk_uniform(c, 0, 7) - 3);
}

static void linear_exact(chk_ctx *c, int bwd)
{
    static const size_t dims[][3] = {{1, 1, 1}, {5, 7, 11}, {6, 16, 16}, {7, 17, 17},
                                     {13, 33, 15}, {14, 32, 32}, {15, 600, 33}, {29, 9, 65}};
    const nns_kernel_table *T = chk_table(c);
    char what[96];
    for (size_t si = 0; si < sizeof dims / sizeof dims[0]; si++) {
        size_t n = dims[si][0], k = dims[si][1], oc = dims[si][2];
        float *in = chk_alloc(c, n * k, chk_misalign(si)), *w = chk_alloc(c, oc * k, 1);
        float *b = chk_alloc(c, oc, 2), *g = chk_alloc(c, n * oc, 3);
        fill_ints(c, in, n * k), fill_ints(c, w, oc * k), fill_ints(c, b, oc), fill_ints(c, g, n * oc);
        size_t nout = bwd ? n * k + oc * k + oc : n * oc;
        float *out = chk_alloc(c, nout, 0);
        double *t = chk_doubles(c, nout), *zero = chk_doubles(c, nout);
        if (!bwd) {
            void *ws = workspace(c, ws_size(T->linear_fwd_workspace_size, n, k, oc, NNS_ACT_NONE));
            T->linear_fwd(out, NULL, in, w, b, n, k, oc, NNS_ACT_NONE, ws);
            for (size_t r = 0; r < n; r++)
                for (size_t j = 0; j < oc; j++) {
                    double z = b[j];
                    for (size_t q = 0; q < k; q++) z += (double)in[r * k + q] * w[j * k + q];
                    t[r * oc + j] = z;
                }
        } else {
            float *din = out, *dw = out + n * k, *db = dw + oc * k;
            fill_ints(c, out, nout);
            for (size_t i = 0; i < nout; i++) t[i] = out[i];
            void *ws = workspace(c, ws_size(T->linear_bwd_workspace_size, n, k, oc, NNS_ACT_NONE));
            T->linear_bwd(din, dw, db, g, NULL, in, w, n, k, oc, NNS_ACT_NONE, ws);
            for (size_t r = 0; r < n; r++)
                for (size_t j = 0; j < oc; j++) {
                    double gv = g[r * oc + j];
                    t[n * k + oc * k + j] += gv;
                    for (size_t q = 0; q < k; q++) {
                        t[r * k + q] += gv * w[j * k + q];
                        t[n * k + j * k + q] += gv * in[r * k + q];
                    }
                }
        }
        snprintf(what, sizeof what, "linear_%s exact integers n=%zu c=%zu oc=%zu", bwd ? "bwd" : "fwd", n, k, oc);
        chk_compare(c, what, out, out, t, zero, NULL, nout);
        chk_case_done(c);
    }
}

/* Splitting the work as the models' threads do never changes a bit: the
 * forward and din over row blocks of the batch, dweight and dbias over
 * row blocks of the output features (with dout's columns copied out). */
static void linear_split(chk_ctx *c, int bwd)
{
    const size_t n = 29, k = 37, oc = 45, n1 = 13, o1 = 19;
    const nns_kernel_table *T = chk_table(c);
    float *in = chk_alloc(c, n * k, 1), *w = chk_alloc(c, oc * k, 2), *b = chk_alloc(c, oc, 3);
    float *g = chk_alloc(c, n * oc, 4), *whole = chk_alloc(c, n * oc + oc * k + oc, 0);
    float *part = chk_alloc(c, n * oc + oc * k + oc, 0);
    chk_fill(c, in, n * k, -1, 1), chk_fill(c, w, oc * k, -1, 1), chk_fill(c, b, oc, -1, 1);
    chk_fill(c, g, n * oc, -1, 1);
    size_t wsb = ws_size(bwd ? T->linear_bwd_workspace_size : T->linear_fwd_workspace_size, n, k, oc,
                         NNS_ACT_NONE);
    void *ws = workspace(c, wsb);
    if (!bwd) {
        T->linear_fwd(whole, NULL, in, w, b, n, k, oc, NNS_ACT_NONE, ws);
        T->linear_fwd(part, NULL, in, w, b, n1, k, oc, NNS_ACT_NONE, ws);
        T->linear_fwd(part + n1 * oc, NULL, in + n1 * k, w, b, n - n1, k, oc, NNS_ACT_NONE, ws);
        chk_same_bits(c, "linear_fwd split over rows", part, whole, n * oc);
    } else {
        float *gs = chk_alloc(c, n * oc, 5);
        size_t nd = n * k, nw = oc * k;
        memset(whole, 0, (nd + nw + oc) * sizeof *whole);
        memset(part, 0, (nd + nw + oc) * sizeof *part);
        T->linear_bwd(whole, whole + nd, whole + nd + nw, g, NULL, in, w, n, k, oc, NNS_ACT_NONE, ws);
        T->linear_bwd(part, NULL, NULL, g, NULL, in, w, n1, k, oc, NNS_ACT_NONE, ws);
        T->linear_bwd(part + n1 * k, NULL, NULL, g + n1 * oc, NULL, in + n1 * k, w, n - n1, k, oc,
                      NNS_ACT_NONE, ws);
        for (size_t blk = 0; blk < 2; blk++) {
            size_t j0 = blk ? o1 : 0, cnt = blk ? oc - o1 : o1;
            for (size_t r = 0; r < n; r++) memcpy(gs + r * cnt, g + r * oc + j0, cnt * sizeof *gs);
            T->linear_bwd(NULL, part + nd + j0 * k, part + nd + nw + j0, gs, NULL, in, w + j0 * k, n,
                          k, cnt, NNS_ACT_NONE, ws);
        }
        chk_same_bits(c, "linear_bwd split over rows and features", part, whole, nd + nw + oc);
    }
    chk_case_done(c);
}

/* A batch wide and a layer wider than it: the forward computes out^T =
 * W . in^T there (kernels/generic/gemm.h), and blocks of the output
 * features, too narrow for that, the usual way: the same bits, with the
 * bias and the activation, pre-activation kept or not. 70 rows and 200
 * features are no multiple of any ISA's vector, so the transposition's
 * edges are reached. */
static void linear_fwd_orientations(chk_ctx *c)
{
    const size_t n = 70, k = 300, oc = 200, o1 = 37;
    const nns_kernel_table *T = chk_table(c);
    float *in = chk_alloc(c, n * k, 1), *w = chk_alloc(c, oc * k, 2), *b = chk_alloc(c, oc, 3);
    float *whole = chk_alloc(c, 2 * n * oc, 0), *part = chk_alloc(c, 2 * n * oc, 0);
    float *blk = chk_alloc(c, 2 * n * o1, 0);
    chk_fill(c, in, n * k, -1, 1), chk_fill(c, w, oc * k, -1, 1), chk_fill(c, b, oc, -1, 1);
    void *ws = workspace(c, ws_size(T->linear_fwd_workspace_size, n, k, oc, NNS_ACT_GELU));
    const nns_act acts[] = {NNS_ACT_NONE, NNS_ACT_GELU};
    for (size_t a = 0; a < 2; a++)
        for (int keep = 0; keep <= (acts[a] != NNS_ACT_NONE); keep++) {
            T->linear_fwd(whole, keep ? whole + n * oc : NULL, in, w, b, n, k, oc, acts[a], ws);
            for (size_t j0 = 0; j0 < oc; j0 += o1) {
                size_t cnt = oc - j0 < o1 ? oc - j0 : o1;
                T->linear_fwd(blk, keep ? blk + n * cnt : NULL, in, w + j0 * k, b + j0, n, k, cnt,
                              acts[a], ws);
                for (size_t r = 0; r < n; r++) {
                    memcpy(part + r * oc + j0, blk + r * cnt, cnt * sizeof *part);
                    if (keep) memcpy(part + n * oc + r * oc + j0, blk + n * cnt + r * cnt, cnt * sizeof *part);
                }
            }
            char what[96];
            snprintf(what, sizeof what, "linear_fwd transposed and by feature blocks, act %d%s",
                     (int)acts[a], keep ? ", pre kept" : "");
            chk_same_bits(c, what, part, whole, (keep ? 2 : 1) * n * oc);
        }
    chk_case_done(c);
}

/* ---- forward ---- */

void chk_kernel_linear_fwd(chk_ctx *c)
{
    linear_exact(c, 0);
    linear_split(c, 0);
    linear_fwd_orientations(c);
    static lin_shape shapes[MAX_SHAPES];
    size_t ns = lin_shapes(c, shapes);
    const nns_kernel_table *T = chk_table(c), *R = chk_reference();
    char what[128];
    for (size_t si = 0; si < ns; si++) {
        const lin_shape *s = &shapes[si];
        size_t n = s->n, k = s->c, oc = s->oc, no = n * oc;
        nns_act act = case_act(s, si);
        int has_bias = si % 5 != 4, save_pre = si % 3 != 2;
        float *in = chk_alloc(c, n * k, chk_misalign(si));
        float *w = chk_alloc(c, oc * k, chk_misalign(si + 1));
        float *b = chk_alloc(c, oc, chk_misalign(si + 2));
        float *out = chk_alloc(c, no, chk_misalign(si + 3));
        float *pre = chk_alloc(c, no, chk_misalign(si + 4));
        float *out_r = chk_alloc(c, no, 0), *pre_r = chk_alloc(c, no, 0);
        float *out2 = chk_alloc(c, no, 0), *sentinel = chk_alloc(c, no, 0), *zf = chk_alloc(c, no, 0);
        void *ws = workspace(c, ws_size(T->linear_fwd_workspace_size, n, k, oc, act));
        void *ws_r = workspace(c, ws_size(R->linear_fwd_workspace_size, n, k, oc, act));
        double *t = chk_doubles(c, no), *bo = chk_doubles(c, no);
        double *tz = chk_doubles(c, no), *bz = chk_doubles(c, no);
        chk_fill(c, in, n * k, -1, 1);
        chk_fill(c, w, oc * k, -1, 1);
        chk_fill(c, b, oc, -1, 1);
        chk_fill(c, pre, no, -1e6, 1e6);
        if (si % 6 == 5) {
            sprinkle(c, in, n * k, 2);
            sprinkle(c, w, oc * k, 1);
            sprinkle(c, b, oc, 1);
        }
        memcpy(sentinel, pre, no * sizeof *pre);
        const float *bias = has_bias ? b : NULL;
        T->linear_fwd(out, save_pre ? pre : NULL, in, w, bias, n, k, oc, act, ws);
        R->linear_fwd(out_r, save_pre ? pre_r : NULL, in, w, bias, n, k, oc, act, ws_r);
        chk_truth_linear_fwd(in, w, bias, n, k, oc, act, t, bo, tz, bz);
        for (size_t j = 0; j < no; j++) zf[j] = (float)tz[j];

        snprintf(what, sizeof what, "linear_fwd n=%zu c=%zu oc=%zu %s%s out", n, k, oc,
                 act_name(act), has_bias ? "" : " nobias");
        chk_guard(c, out, what);
        chk_guard(c, pre, what);
        if (ws) chk_guard(c, ws, what);
        chk_compare(c, what, out, out_r, t, bo, zf, no);
        if (save_pre && act != NNS_ACT_NONE) {
            snprintf(what, sizeof what, "linear_fwd n=%zu c=%zu oc=%zu %s pre", n, k, oc,
                     act_name(act));
            chk_compare(c, what, pre, pre_r, tz, bz, NULL, no);
            /* Saving pre changes nothing in out. */
            T->linear_fwd(out2, NULL, in, w, bias, n, k, oc, act, ws);
            snprintf(what, sizeof what, "linear_fwd n=%zu c=%zu oc=%zu %s out without pre", n, k,
                     oc, act_name(act));
            chk_same_bits(c, what, out2, out, no);
        } else if (save_pre) {
            /* act NONE: pre is not written. */
            snprintf(what, sizeof what, "linear_fwd n=%zu c=%zu oc=%zu pre untouched (none)", n, k, oc);
            chk_same_bits(c, what, pre, sentinel, no);
        }
        chk_case_done(c);
    }
}

/* ---- backward ---- */

/* Central differences of a double forward against the reference backward.
 * The double forward is the reference forward's math (z = in . W^T + b,
 * out = f(z), f by its definition), so the difference quotient estimates
 * the exact gradient; L = sum dout * out. With h = 2^-20:
 *  - truncation: h^2/6 |L'''| <= h^2/6 sum |dout| |slope|^3 M3 over the
 *    outputs the parameter moves (slope: dz/dparam), 0 for NONE and ReLU
 *    (whose kink is kept 4h |slope| away);
 *  - rounding of L in double, divided by 2h: per output, Lip gamma^d_{K+1} P
 *    (gamma in double's unit roundoff 2^-53) plus the activation's bound
 *    scaled from float's unit roundoff to double's (2^-29 B_f: libm's
 *    double erfc and exp are at least as accurate in ULPs as the model
 *    assumes), plus the sum into L;
 *  - the backward is given pre = fl(z), not z: g moves by |dout| M2 |z - fl(z)|
 *    for the GELUs (0 for NONE and ReLU), times |slope| in the gradient;
 *  - the backward's own bound (the tolerance row, chk_truth_linear_bwd). */
static void linear_fd(chk_ctx *c)
{
    static const lin_shape fd_shapes[] = {{2, 3, 4, -1}, {3, 5, 2, -1}, {1, 1, 1, -1}, {2, 17, 3, -1}};
    const nns_kernel_table *R = chk_reference();
    const double h = 0x1p-20, ud = 0x1p-53;
    for (size_t si = 0; si < sizeof fd_shapes / sizeof fd_shapes[0]; si++) {
        for (int a = 0; a < 4; a++) {
            nns_act act = (nns_act)a;
            size_t n = fd_shapes[si].n, k = fd_shapes[si].c, oc = fd_shapes[si].oc, no = n * oc;
            float *in = chk_alloc(c, n * k, 0), *w = chk_alloc(c, oc * k, 0);
            float *b = chk_alloc(c, oc, 0), *dout = chk_alloc(c, no, 0), *pre = chk_alloc(c, no, 0);
            float *din = chk_alloc(c, n * k, 0), *dw = chk_alloc(c, oc * k, 0);
            float *db = chk_alloc(c, oc, 0);
            double *z = chk_doubles(c, no), *p = chk_doubles(c, no);
            double *td = chk_doubles(c, n * k), *bd = chk_doubles(c, n * k);
            double *tw = chk_doubles(c, oc * k), *bw = chk_doubles(c, oc * k);
            double *tb = chk_doubles(c, oc), *bb = chk_doubles(c, oc);
            void *ws = workspace(c, ws_size(R->linear_bwd_workspace_size, n, k, oc, act));
            chk_fill(c, in, n * k, -1, 1);
            chk_fill(c, w, oc * k, -1, 1);
            chk_fill(c, b, oc, -1, 1);
            chk_fill(c, dout, no, -1, 1);
            for (size_t i = 0; i < n; i++)
                for (size_t o = 0; o < oc; o++) {
                    z[i * oc + o] = dot_truth(in + i * k, w + o * k, k, b + o, &p[i * oc + o]);
                    pre[i * oc + o] = (float)z[i * oc + o];
                }
            memset(din, 0, n * k * sizeof *din);
            memset(dw, 0, oc * k * sizeof *dw);
            memset(db, 0, oc * sizeof *db);
            R->linear_bwd(din, dw, db, dout, pre, in, w, n, k, oc, act, ws);
            chk_truth_linear_bwd(NULL, NULL, NULL, dout, pre, in, w, n, k, oc, act, td, bd, tw, bw,
                                 tb, bb);
            double lip = act == NNS_ACT_GELU || act == NNS_ACT_GELU_TANH ? 1.13 : 1.0;
            double m2 = act == NNS_ACT_GELU || act == NNS_ACT_GELU_TANH ? M2 : 0.0;
            double m3 = act == NNS_ACT_GELU || act == NNS_ACT_GELU_TANH ? M3 : 0.0;
            /* parameter q: 0 in[i,kk], 1 weight[o,kk], 2 bias[o] */
            for (int q = 0; q < 3; q++) {
                size_t count = q == 0 ? n * k : q == 1 ? oc * k : oc;
                for (size_t e = 0; e < count; e++) {
                    size_t r = e / (k ? k : 1), kk = k ? e % k : 0;
                    double value = q == 0 ? in[e] : q == 1 ? w[e] : b[e];
                    double grad = q == 0 ? din[e] : q == 1 ? dw[e] : db[e];
                    double bound = q == 0 ? bd[e] : q == 1 ? bw[e] : bb[e];
                    double lp = 0, lm = 0, err = 0, trunc = 0, dg = 0, sabs = 0;
                    int kink = 0;
                    /* outputs (i, o) moved by this parameter, and the slope */
                    for (size_t i = 0; i < n; i++) {
                        for (size_t o = 0; o < oc; o++) {
                            double slope;
                            if (q == 0) {
                                if (i != r) continue;
                                slope = w[o * k + kk];
                            } else {
                                if (o != (q == 1 ? r : e)) continue;
                                slope = q == 1 ? in[i * k + kk] : 1.0;
                            }
                            size_t j = i * oc + o;
                            double zp = z[j] + slope * h, zm = z[j] - slope * h;
                            if (act == NNS_ACT_RELU && fabs(z[j]) <= 4 * h * fabs(slope) + 1e-30)
                                kink = 1;
                            double fp = act_f(act, zp), fm = act_f(act, zm);
                            lp += dout[j] * fp;
                            lm += dout[j] * fm;
                            sabs += fabs(dout[j]) * (fabs(fp) + fabs(fm));
                            double pp = p[j] + fabs(slope) * h;
                            double dzd = ud * (double)(k + 1) / (1 - (double)(k + 1) * ud) * pp;
                            double actd = 0;
                            if (act != NNS_ACT_NONE) {
                                float zs[2] = {(float)zp, (float)zm};
                                double ft[2], fb[2];
                                chk_truth_activation_fwd(act_kernel_fwd(act), zs, 2, ft, fb);
                                actd = 0x1p-29 * (fb[0] + fb[1]);
                            }
                            err += fabs(dout[j]) * (2 * lip * dzd + actd);
                            trunc += fabs(dout[j]) * pow(fabs(slope), 3) * m3;
                            dg += fabs(slope) * fabs(dout[j]) * m2 * fabs(z[j] - pre[j]);
                        }
                    }
                    if (kink) continue;
                    err += 2 * ud * (double)(n * oc + 1) * sabs; /* the sums into L */
                    double fd = (lp - lm) / (2 * h);
                    double total = bound + dg + err / (2 * h) + h * h / 6 * trunc;
                    chk_fd(c, fabs(fd - grad), total, value);
                }
            }
            chk_case_done(c);
        }
    }
}

void chk_kernel_linear_bwd(chk_ctx *c)
{
    linear_exact(c, 1);
    linear_split(c, 1);
    static lin_shape shapes[MAX_SHAPES];
    size_t ns = lin_shapes(c, shapes);
    const nns_kernel_table *T = chk_table(c), *R = chk_reference();
    char what[128];
    for (size_t si = 0; si < ns; si++) {
        const lin_shape *s = &shapes[si];
        size_t n = s->n, k = s->c, oc = s->oc, no = n * oc, ni = n * k, nw = oc * k;
        nns_act act = case_act(s, si);
        /* 0: every gradient; 1, 2, 3: din, dweight, dbias NULL */
        int skip = (int)(si % 4);
        float *dout = chk_alloc(c, no, chk_misalign(si));
        float *pre = chk_alloc(c, no, chk_misalign(si + 1));
        float *in = chk_alloc(c, ni, chk_misalign(si + 2));
        float *w = chk_alloc(c, nw, chk_misalign(si + 3));
        float *din0 = chk_alloc(c, ni, 0), *dw0 = chk_alloc(c, nw, 0), *db0 = chk_alloc(c, oc, 0);
        float *din = chk_alloc(c, ni, chk_misalign(si + 4));
        float *dw = chk_alloc(c, nw, chk_misalign(si + 5));
        float *db = chk_alloc(c, oc, chk_misalign(si + 6));
        float *din_r = chk_alloc(c, ni, 0), *dw_r = chk_alloc(c, nw, 0), *db_r = chk_alloc(c, oc, 0);
        float *keep = chk_alloc(c, no, 0), *keep_pre = chk_alloc(c, no, 0);
        void *ws = workspace(c, ws_size(T->linear_bwd_workspace_size, n, k, oc, act));
        void *ws_r = workspace(c, ws_size(R->linear_bwd_workspace_size, n, k, oc, act));
        double *td = chk_doubles(c, ni), *bd = chk_doubles(c, ni);
        double *tw = chk_doubles(c, nw), *bw = chk_doubles(c, nw);
        double *tb = chk_doubles(c, oc), *bb = chk_doubles(c, oc);
        chk_fill(c, dout, no, -1, 1);
        chk_fill(c, pre, no, -4, 4);
        chk_fill(c, in, ni, -1, 1);
        chk_fill(c, w, nw, -1, 1);
        chk_fill(c, din0, ni, -1, 1);
        chk_fill(c, dw0, nw, -1, 1);
        chk_fill(c, db0, oc, -1, 1);
        if (si % 6 == 5) {
            sprinkle(c, dout, no, 1);
            sprinkle(c, pre, no, 2);
            sprinkle(c, in, ni, 1);
            sprinkle(c, w, nw, 1);
        }
        memcpy(keep, dout, no * sizeof *dout);
        memcpy(keep_pre, pre, no * sizeof *pre);
        memcpy(din, din0, ni * sizeof *din), memcpy(din_r, din0, ni * sizeof *din);
        memcpy(dw, dw0, nw * sizeof *dw), memcpy(dw_r, dw0, nw * sizeof *dw);
        memcpy(db, db0, oc * sizeof *db), memcpy(db_r, db0, oc * sizeof *db);
        /* pre is unused for NONE: pass NULL there half of the time. */
        const float *pre_arg = act == NNS_ACT_NONE && si % 2 ? NULL : pre;
        T->linear_bwd(skip == 1 ? NULL : din, skip == 2 ? NULL : dw, skip == 3 ? NULL : db, dout,
                      pre_arg, in, w, n, k, oc, act, ws);
        R->linear_bwd(din_r, dw_r, db_r, dout, pre, in, w, n, k, oc, act, ws_r);
        chk_truth_linear_bwd(din0, dw0, db0, dout, pre, in, w, n, k, oc, act, td, bd, tw, bw, tb, bb);

        snprintf(what, sizeof what, "linear_bwd n=%zu c=%zu oc=%zu %s", n, k, oc, act_name(act));
        size_t len = strlen(what);
        chk_guard(c, din, what);
        chk_guard(c, dw, what);
        chk_guard(c, db, what);
        if (ws) chk_guard(c, ws, what);
        snprintf(what + len, sizeof what - len, " dout unchanged");
        chk_same_bits(c, what, dout, keep, no);
        snprintf(what + len, sizeof what - len, " pre unchanged");
        chk_same_bits(c, what, pre, keep_pre, no);
        if (skip == 1) {
            snprintf(what + len, sizeof what - len, " din NULL: untouched");
            chk_same_bits(c, what, din, din0, ni);
        } else {
            snprintf(what + len, sizeof what - len, " din");
            chk_compare(c, what, din, din_r, td, bd, NULL, ni);
        }
        if (skip == 2) {
            snprintf(what + len, sizeof what - len, " dweight NULL: untouched");
            chk_same_bits(c, what, dw, dw0, nw);
        } else {
            snprintf(what + len, sizeof what - len, " dweight");
            chk_compare(c, what, dw, dw_r, tw, bw, NULL, nw);
        }
        if (skip == 3) {
            snprintf(what + len, sizeof what - len, " dbias NULL: untouched");
            chk_same_bits(c, what, db, db0, oc);
        } else {
            snprintf(what + len, sizeof what - len, " dbias");
            chk_compare(c, what, db, db_r, tb, bb, NULL, oc);
        }
        if (skip) {
            /* A NULL gradient changes nothing in the others: the call with
             * every gradient gives the same bits in those. */
            float *a = chk_alloc(c, ni, 0), *bwt = chk_alloc(c, nw, 0), *bb2 = chk_alloc(c, oc, 0);
            memcpy(a, din0, ni * sizeof *a);
            memcpy(bwt, dw0, nw * sizeof *bwt);
            memcpy(bb2, db0, oc * sizeof *bb2);
            T->linear_bwd(a, bwt, bb2, dout, pre_arg, in, w, n, k, oc, act, ws);
            snprintf(what + len, sizeof what - len, " same bits with every gradient");
            if (skip != 1) chk_same_bits(c, what, din, a, ni);
            if (skip != 2) chk_same_bits(c, what, dw, bwt, nw);
            if (skip != 3) chk_same_bits(c, what, db, bb2, oc);
        }
        chk_case_done(c);
    }
    if (chk_isa(c) == NNS_ISA_SCALAR) linear_fd(c);
}
