/* The linear-layer and layer-norm references against PyTorch 1.13
 * (tests/fixtures/linear_*.safetensors and layernorm_*.safetensors, made
 * by tools/fixtures/fam_linear.py).
 *
 * Each output must lie within the tolerance table's bound of the double
 * truth (chk_truth_* of check_linear.h and check_layernorm.h, evaluated on
 * the fixture's inputs), and within twice that bound of torch's value:
 * torch's float32 sums (sgemm, its reductions) and its layer norm are
 * held to the same bound around the truth. The backward kernels take the
 * fixture's saved inputs: torch's pre-activation F.linear(x, W, b) for
 * the linear layer (what torch's own backward differentiates at), and
 * mean and rstd computed in float64 from the float32 input and rounded,
 * for layer norm. Torch's layer-norm backward runs instead at the mean
 * and rstd its own forward saved, which the forward's bound lets differ
 * from the exact ones by dm = bound(mean) + U|mean| and dr = bound(rstd) +
 * U rstd (counting our rounding too); so torch's gradients are held to
 * our bound around the truth plus the first-order sensitivity of the
 * formula to those statistics (derived in check_layernorm.c's finite
 * differences): din moves by dr (|gw - a| + 3|xhat b|) + dm r^2 (|b| +
 * |xhat a|), dweight by sum over rows of |g (x - m)| dr + |g| r dm, dbias
 * not at all. */
#include "suites.h"

#include "check_layernorm.h"
#include "check_linear.h"
#include "fixtures.h"
#include "nnsimd_internal.h"
#include "tolerance.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define U CHK_U

static const char *const act_names[] = {"none", "relu", "gelu", "gelu_tanh"};

static const char *const linear_stems[] = {"linear_1x1x1", "linear_3x7x5", "linear_5x33x17",
                                           "linear_6x40x24"};
static const char *const layernorm_stems[] = {"layernorm_1x1", "layernorm_3x7", "layernorm_4x33",
                                              "layernorm_3x128"};

/* A fixture tensor by printf-style name. */
static const float *tensor(const st_file *f, size_t n, const char *fmt, const char *a,
                           const char *b)
{
    char name[96];
    snprintf(name, sizeof name, fmt, a, b);
    return fixture_f32(f, name, n);
}

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size);
    if (!p) abort();
    return p;
}

static void test_linear_vs_torch(void)
{
    fixture_stats fwd = {0}, bwd = {0};
    for (size_t s = 0; s < sizeof linear_stems / sizeof linear_stems[0]; s++) {
        st_file *f = fixture_open(linear_stems[s]);
        if (!f) continue;
        size_t di[2] = {0, 0}, dw[2] = {0, 0};
        if (st_shape(f, "in", di, 2) != 2 || st_shape(f, "weight", dw, 2) != 2 || di[1] != dw[1]) {
            CU_FAIL("linear fixture: in and weight must be (n,c) and (oc,c)");
            st_close(f);
            continue;
        }
        size_t n = di[0], c = di[1], oc = dw[0];
        const float *in = fixture_f32(f, "in", n * c), *w = fixture_f32(f, "weight", oc * c);
        const float *bias = fixture_f32(f, "bias", oc), *dout = fixture_f32(f, "dout", n * oc);
        float *y = xcalloc(n * oc, sizeof *y), *din = xcalloc(n * c, sizeof *din);
        float *gw = xcalloc(oc * c, sizeof *gw), *gb = xcalloc(oc, sizeof *gb);
        double *t = xcalloc(n * c + oc * c + n * oc, sizeof *t);
        double *b = xcalloc(n * c + oc * c + n * oc, sizeof *b);
        double *t2 = xcalloc(oc * c, sizeof *t2), *b2 = xcalloc(oc * c, sizeof *b2);
        double *t3 = xcalloc(oc, sizeof *t3), *b3 = xcalloc(oc, sizeof *b3);
        for (int nb = 0; in && w && bias && dout && nb < 2; nb++) {
            const char *sfx = nb ? "_nobias" : "";
            const float *bs = nb ? NULL : bias;
            const float *pre = tensor(f, n * oc, "pre%s%s", sfx, "");
            for (int a = 0; pre && a < 4; a++) {
                nns_act act = (nns_act)a;
                const char *an = act_names[a];
                char what[96];
                const float *ty = tensor(f, n * oc, "%s%s.out", an, sfx);
                const float *tdin = tensor(f, n * c, "%s%s.din", an, sfx);
                const float *tdw = tensor(f, oc * c, "%s%s.dweight", an, sfx);
                const float *tdb = nb ? NULL : tensor(f, oc, "%s%s.dbias", an, sfx);
                if (!ty || !tdin || !tdw || (!nb && !tdb)) continue;

                nns_linear_fwd__scalar(y, NULL, in, w, bs, n, c, oc, act, NULL);
                chk_truth_linear_fwd(in, w, bs, n, c, oc, act, t, b, NULL, NULL);
                snprintf(what, sizeof what, "%s %s%s out", linear_stems[s], an, sfx);
                fixture_compare(what, y, ty, t, b, NULL, n * oc, &fwd);

                size_t ws = nns_linear_bwd_workspace_size__scalar(n, c, oc, act);
                void *work = ws ? xcalloc(1, ws) : NULL;
                memset(din, 0, n * c * sizeof *din);
                memset(gw, 0, oc * c * sizeof *gw);
                memset(gb, 0, oc * sizeof *gb);
                nns_linear_bwd__scalar(din, gw, nb ? NULL : gb, dout, pre, in, w, n, c, oc, act, work);
                free(work);
                chk_truth_linear_bwd(NULL, NULL, NULL, dout, pre, in, w, n, c, oc, act, t, b, t2, b2,
                                     t3, b3);
                snprintf(what, sizeof what, "%s %s%s din", linear_stems[s], an, sfx);
                fixture_compare(what, din, tdin, t, b, NULL, n * c, &bwd);
                snprintf(what, sizeof what, "%s %s%s dweight", linear_stems[s], an, sfx);
                fixture_compare(what, gw, tdw, t2, b2, NULL, oc * c, &bwd);
                if (!nb) {
                    snprintf(what, sizeof what, "%s %s%s dbias", linear_stems[s], an, sfx);
                    fixture_compare(what, gb, tdb, t3, b3, NULL, oc, &bwd);
                }
            }
        }
        free(y), free(din), free(gw), free(gb), free(t), free(b), free(t2), free(b2), free(t3),
            free(b3);
        st_close(f);
    }
    fixture_report("linear_fwd", &fwd);
    fixture_report("linear_bwd", &bwd);
    printf("\n");
}

/* Torch's bounds of din and dweight: ours (b_din, b_dw) plus the
 * sensitivity to its statistics, within dm and dr of ours per row. */
static void torch_layernorm_bounds(const float *dout, const float *x, const float *w,
                                   const float *mean, const float *rstd, const double *dm,
                                   const double *dr, size_t n, size_t c, const double *b_din,
                                   const double *b_dw, double *tb_din, double *tb_dw)
{
    for (size_t k = 0; k < c; k++) tb_dw[k] = b_dw[k];
    for (size_t i = 0; i < n; i++) {
        double m = mean[i], r = rstd[i], a = 0, b = 0;
        for (size_t k = 0; k < c; k++) {
            double gw = (double)dout[i * c + k] * w[k];
            a += gw / (double)c;
            b += gw * (x[i * c + k] - m) * r / (double)c;
        }
        for (size_t k = 0; k < c; k++) {
            size_t j = i * c + k;
            double gw = (double)dout[j] * w[k], xh = (x[j] - m) * r;
            tb_din[j] = b_din[j] + dr[i] * (fabs(gw - a) + 3 * fabs(xh * b)) +
                        dm[i] * r * r * (fabs(b) + fabs(xh * a));
            tb_dw[k] += fabs(dout[j] * (x[j] - m)) * dr[i] + fabs((double)dout[j]) * r * dm[i];
        }
    }
}

static void test_layernorm_vs_torch(void)
{
    fixture_stats fwd = {0}, bwd = {0};
    for (size_t s = 0; s < sizeof layernorm_stems / sizeof layernorm_stems[0]; s++) {
        st_file *f = fixture_open(layernorm_stems[s]);
        if (!f) continue;
        size_t d[2] = {0, 0};
        if (st_shape(f, "x", d, 2) != 2) {
            CU_FAIL("layernorm fixture: x must be (n,c)");
            st_close(f);
            continue;
        }
        size_t n = d[0], c = d[1], nc = n * c;
        const float *x = fixture_f32(f, "x", nc), *w = fixture_f32(f, "weight", c);
        const float *bias = fixture_f32(f, "bias", c), *epsp = fixture_f32(f, "eps", 1);
        const float *dout = fixture_f32(f, "dout", nc), *ty = fixture_f32(f, "out", nc);
        const float *tdin = fixture_f32(f, "din", nc), *tdw = fixture_f32(f, "dweight", c);
        const float *tdb = fixture_f32(f, "dbias", c), *tm = fixture_f32(f, "mean", n);
        const float *tr = fixture_f32(f, "rstd", n);
        if (x && w && bias && epsp && dout && ty && tdin && tdw && tdb && tm && tr) {
            char what[96];
            float *y = xcalloc(nc, sizeof *y), *m = xcalloc(n, sizeof *m), *r = xcalloc(n, sizeof *r);
            float *din = xcalloc(nc, sizeof *din), *gw = xcalloc(c, sizeof *gw);
            float *gb = xcalloc(c, sizeof *gb);
            double *t = xcalloc(nc, sizeof *t), *b = xcalloc(nc, sizeof *b);
            double *t1 = xcalloc(c > n ? c : n, sizeof *t1), *b1 = xcalloc(c > n ? c : n, sizeof *b1);
            double *t2 = xcalloc(c > n ? c : n, sizeof *t2), *b2 = xcalloc(c > n ? c : n, sizeof *b2);

            nns_layernorm_fwd__scalar(y, m, r, x, w, bias, n, c, *epsp);
            chk_truth_layernorm_fwd(x, w, bias, n, c, *epsp, t, b, t1, b1, t2, b2);
            snprintf(what, sizeof what, "%s out", layernorm_stems[s]);
            fixture_compare(what, y, ty, t, b, NULL, nc, &fwd);
            snprintf(what, sizeof what, "%s mean", layernorm_stems[s]);
            fixture_compare(what, m, tm, t1, b1, NULL, n, &fwd);
            snprintf(what, sizeof what, "%s rstd", layernorm_stems[s]);
            fixture_compare(what, r, tr, t2, b2, NULL, n, &fwd);

            double *bm = xcalloc(n, sizeof *bm), *br = xcalloc(n, sizeof *br);
            for (size_t i = 0; i < n; i++)
                bm[i] = b1[i] + U * fabs((double)tm[i]), br[i] = b2[i] + U * (double)tr[i];

            nns_layernorm_bwd__scalar(din, gw, gb, dout, x, w, tm, tr, n, c);
            chk_truth_layernorm_bwd(NULL, NULL, NULL, dout, x, w, tm, tr, n, c, t, b, t1, b1, t2,
                                    b2);
            double *tb = xcalloc(nc, sizeof *tb), *tbw = xcalloc(c, sizeof *tbw);
            torch_layernorm_bounds(dout, x, w, tm, tr, bm, br, n, c, b, b1, tb, tbw);
            snprintf(what, sizeof what, "%s din", layernorm_stems[s]);
            fixture_compare(what, din, tdin, t, b, tb, nc, &bwd);
            snprintf(what, sizeof what, "%s dweight", layernorm_stems[s]);
            fixture_compare(what, gw, tdw, t1, b1, tbw, c, &bwd);
            snprintf(what, sizeof what, "%s dbias", layernorm_stems[s]);
            fixture_compare(what, gb, tdb, t2, b2, NULL, c, &bwd);
            free(y), free(m), free(r), free(din), free(gw), free(gb);
            free(t), free(b), free(t1), free(b1), free(t2), free(b2);
            free(bm), free(br), free(tb), free(tbw);
        }
        st_close(f);
    }
    fixture_report("layernorm_fwd", &fwd);
    fixture_report("layernorm_bwd", &bwd);
    printf("\n");
}

int register_fixtures_linear_suite(void)
{
    CU_pSuite s = CU_add_suite("fixtures_linear_layernorm", NULL, NULL);
    if (!s || !CU_add_test(s, "linear_vs_torch", test_linear_vs_torch) ||
        !CU_add_test(s, "layernorm_vs_torch", test_layernorm_vs_torch))
        return CU_get_error();
    return 0;
}
