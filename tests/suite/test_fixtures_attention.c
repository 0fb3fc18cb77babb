/* The attention references against PyTorch 1.13 (tests/fixtures/
 * attention_*.safetensors, made by tools/fixtures/fam_attention.py:
 * nn.MultiheadAttention's core with identity projections, and autograd).
 *
 * Valid query rows (i < length) of out and lse, dq of valid rows, and dk,
 * dv of valid keys are held to |ours - truth| <= bound and
 * |ours - torch| <= 2 bound (torch to our bound: its scores, softmax and
 * products have the same first-order error terms, its softmax multiplies
 * by 1/sum, one rounding more than our division, well inside the factor
 * 2). Elsewhere torch differs by definition (padding rows attend to the
 * valid keys in torch, and a length-0 sequence is NaN there), so those
 * elements are checked against the truth alone: ours must be exactly 0
 * (out, lse) or the untouched 0 gradient. The backward runs on the
 * reference forward's out and lse, which the forward comparison has just
 * held to the forward's bound, as the backward's bound assumes. */
#include "suites.h"

#include "check_attention.h"
#include "fixtures.h"
#include "nnsimd_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const stems[] = {
    "attention_b2_t5_h2_d4",         "attention_b3_t7_h1_d3_causal_packed",
    "attention_b2_t13_h3_d5_packed", "attention_b2_t33_h2_d16_causal_full",
    "attention_b1_t24_h2_d32",
};

/* Valid elements go to the comparison with torch, the others must equal
 * the truth exactly (their bound is 0). */
typedef struct picked {
    float *ours, *torch;
    double *truth, *bound;
    size_t n;
} picked;

static void pick_init(picked *p, size_t cap)
{
    p->ours = calloc(cap ? cap : 1, sizeof(float));
    p->torch = calloc(cap ? cap : 1, sizeof(float));
    p->truth = calloc(cap ? cap : 1, sizeof(double));
    p->bound = calloc(cap ? cap : 1, sizeof(double));
    p->n = 0;
}

static void pick_free(picked *p)
{
    free(p->ours), free(p->torch), free(p->truth), free(p->bound);
}

static void pick(picked *p, int valid, float ours, float torch, double truth, double bound,
                 const char *what, size_t at)
{
    if (valid) {
        p->ours[p->n] = ours, p->torch[p->n] = torch;
        p->truth[p->n] = truth, p->bound[p->n] = bound;
        p->n++;
        return;
    }
    if (fabs((double)ours - truth) > bound)
        printf("\n    %s[%zu]: ours %.9g where the reference must give %.9g", what, at,
               (double)ours, truth);
    CU_ASSERT(fabs((double)ours - truth) <= bound);
}

static void test_attention_vs_torch(void)
{
    fixture_stats fwd = {0}, bwd = {0};
    for (size_t si = 0; si < sizeof stems / sizeof stems[0]; si++) {
        st_file *f = fixture_open(stems[si]);
        if (!f) continue;
        size_t ncfg = 0, dims[3] = {0, 0, 0};
        const int32_t *cfg = st_i32(f, "config", &ncfg);
        const int packed = st_shape(f, "qkv", dims, 3) == 3;
        if (!packed) st_shape(f, "q", dims, 3);
        CU_ASSERT_FATAL(cfg != NULL && ncfg == 3 && dims[0] * dims[1] > 0);
        const size_t b = dims[0], t = dims[1], h = (size_t)cfg[0], d = (size_t)cfg[1];
        const int causal = cfg[2];
        const size_t c = h * d, ld = packed ? 3 * c : c, nin = b * t * ld, no = b * t * c;
        const size_t nl = b * h * t;
        CU_ASSERT_FATAL(dims[2] == ld);
        size_t nlen = 0;
        const int32_t *lengths = st_i32(f, "lengths", &nlen);
        CU_ASSERT_FATAL(!lengths || nlen == b);
        const float *q, *k, *v, *tdq, *tdk, *tdv;
        if (packed) {
            q = fixture_f32(f, "qkv", nin);
            tdq = fixture_f32(f, "dqkv", nin);
            CU_ASSERT_FATAL(q && tdq);
            k = q + c, v = q + 2 * c, tdk = tdq + c, tdv = tdq + 2 * c;
        } else {
            q = fixture_f32(f, "q", nin), k = fixture_f32(f, "k", nin), v = fixture_f32(f, "v", nin);
            tdq = fixture_f32(f, "dq", nin), tdk = fixture_f32(f, "dk", nin);
            tdv = fixture_f32(f, "dv", nin);
            CU_ASSERT_FATAL(q && k && v && tdq && tdk && tdv);
        }
        const float *dout = fixture_f32(f, "dout", no), *tout = fixture_f32(f, "out", no);
        const float *tlse = fixture_f32(f, "lse", nl);
        CU_ASSERT_FATAL(dout && tout && tlse);

        /* Forward. */
        const nns_kernel_table *ref = nns_kernels_for(NNS_ISA_SCALAR);
        size_t wsn = ref->attention_bwd_workspace_size(t, d);
        if (ref->attention_fwd_workspace_size(t, d) > wsn) wsn = ref->attention_fwd_workspace_size(t, d);
        float *ws = malloc(wsn + 1), *out = calloc(no, sizeof(float)), *lse = calloc(nl, sizeof(float));
        double *to = calloc(no, sizeof(double)), *bo = calloc(no, sizeof(double));
        double *tl = calloc(nl, sizeof(double)), *bl = calloc(nl, sizeof(double));
        ref->attention_fwd(out, lse, q, k, v, ld, lengths, b, t, h, d, causal, ws);
        chk_truth_attention_fwd(to, bo, tl, bl, q, k, v, ld, lengths, b, t, h, d, causal);
        picked pk;
        pick_init(&pk, no + nl + 3 * nin);
        char what[96];
        snprintf(what, sizeof what, "%s out", stems[si]);
        for (size_t x = 0; x < no; x++) {
            const size_t s = x / (t * c), i = x / c % t;
            const int valid = i < (lengths ? (size_t)lengths[s] : t);
            pick(&pk, valid, out[x], tout[x], to[x], bo[x], what, x);
        }
        snprintf(what, sizeof what, "%s lse", stems[si]);
        for (size_t x = 0; x < nl; x++) {
            const size_t s = x / (h * t), i = x % t;
            const int valid = i < (lengths ? (size_t)lengths[s] : t);
            pick(&pk, valid, lse[x], tlse[x], tl[x], bl[x], what, x);
        }
        snprintf(what, sizeof what, "%s attention_fwd", stems[si]);
        fixture_compare(what, pk.ours, pk.torch, pk.truth, pk.bound, NULL, pk.n, &fwd);

        /* Backward, from zero gradients. */
        float *g = calloc(nin, sizeof(float)), *gk = g, *gv = g, *gq = g;
        if (!packed) gk = calloc(nin, sizeof(float)), gv = calloc(nin, sizeof(float));
        else gk = g + c, gv = g + 2 * c;
        double *tg = calloc(3 * nin, sizeof(double)), *bg = calloc(3 * nin, sizeof(double));
        /* Truth arrays: three of b*t*ld (separate) or one (packed). */
        double *tq = tg, *bq = bg, *tk = packed ? tg + c : tg + nin, *bk = packed ? bg + c : bg + nin;
        double *tv = packed ? tg + 2 * c : tg + 2 * nin, *bv = packed ? bg + 2 * c : bg + 2 * nin;
        ref->attention_bwd(gq, gk, gv, dout, q, k, v, out, lse, ld, lengths, b, t, h, d, causal, ws);
        chk_truth_attention_bwd(tq, bq, tk, bk, tv, bv, NULL, NULL, NULL, dout, q, k, v, ld,
                                lengths, b, t, h, d, causal);
        pk.n = 0;
        snprintf(what, sizeof what, "%s grads", stems[si]);
        for (size_t r = 0; r < b * t; r++) {
            const size_t s = r / t, i = r % t;
            const int valid = i < (lengths ? (size_t)lengths[s] : t);
            for (size_t e = 0; e < c; e++) {
                const size_t x = r * ld + e;
                pick(&pk, valid, gq[x], tdq[x], tq[x], bq[x], what, x);
                pick(&pk, valid, gk[x], tdk[x], tk[x], bk[x], what, x);
                pick(&pk, valid, gv[x], tdv[x], tv[x], bv[x], what, x);
            }
        }
        snprintf(what, sizeof what, "%s attention_bwd", stems[si]);
        fixture_compare(what, pk.ours, pk.torch, pk.truth, pk.bound, NULL, pk.n, &bwd);

        pick_free(&pk);
        if (!packed) free(gk), free(gv);
        free(g), free(tg), free(bg);
        free(ws), free(out), free(lse), free(to), free(bo), free(tl), free(bl);
        st_close(f);
    }
    fixture_report("attention_fwd", &fwd);
    fixture_report("attention_bwd", &bwd);
    printf("\n");
}

int register_fixtures_attention_suite(void)
{
    CU_pSuite s = CU_add_suite("fixtures_attention", NULL, NULL);
    if (!s || !CU_add_test(s, "attention_vs_torch", test_attention_vs_torch)) return CU_get_error();
    return 0;
}
