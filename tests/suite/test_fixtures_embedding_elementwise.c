/* The embedding and elementwise references against PyTorch 1.13
 * (tests/fixtures/{embedding,add,scale,sum_squares,mean_pool}_*.safetensors,
 * made by tools/fixtures/fam_embedding_elementwise.py).
 *
 * Ours is held to the tolerance table's bound around the double truth, and
 * torch to the same bound (|ours - torch| <= 2 bound) where torch computes
 * the same way: the embedding lookup (a copy: bit for bit), the embedding
 * weight gradient (1.13's embedding_dense_backward_cpu adds the rows of
 * the upstream gradient in order of i, as ours), add, scale and the
 * mean-pool input gradient (dout / L, then times the 0/1 mask). Two are
 * held to their own derived bounds instead:
 *   - the masked sum over time, and x.mean(1), sum in torch's reduction
 *     order, not in order of i: an ANY-order sum of the L unmasked terms
 *     (the masked zeros add exactly) errs by at most
 *     gamma_{L-1} sum|x_i|; then the division by L, or a product with a
 *     rounded 1/L: 2u|t|. So u (2|t| + (1+u)(L-1) sum|x_i| / (L (1-(L-1)u))).
 *   - torch.sum(x * x): the table's sum_squares row already holds any
 *     order, so torch is held to it.
 * Elements whose bound is 0 (exact: the lookup, untouched rows of dweight
 * and din, outputs of empty sequences) must equal the truth and torch. */
#include "suites.h"

#include "check_elementwise.h"
#include "check_embedding.h"
#include "fixtures.h"
#include "nnsimd_internal.h"
#include "tolerance.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define U CHK_U

enum { F_EMB_FWD, F_EMB_BWD, F_ADD, F_POOL_FWD, F_POOL_BWD, F_SUMSQ, F_SCALE, F_COUNT };
static const size_t kernel_of[F_COUNT] = {NNS_K_embedding_fwd, NNS_K_embedding_bwd, NNS_K_add,
                                          NNS_K_mean_pool_fwd, NNS_K_mean_pool_bwd,
                                          NNS_K_sum_squares,   NNS_K_scale};
static fixture_stats stats[F_COUNT];

/* fixture_compare for the elements with a bound, exact equality for those
 * whose bound is 0. */
static void compare(int k, const float *ours, const float *torch, const double *truth,
                    const double *bound, const double *torch_bound, size_t n)
{
    const char *what = nns_kernel_name(kernel_of[k]);
    for (size_t i = 0; i < n; i++) {
        if (bound[i] > 0) {
            fixture_compare(what, ours + i, torch + i, truth + i, bound + i,
                            torch_bound ? torch_bound + i : NULL, 1, &stats[k]);
            continue;
        }
        int same = (double)ours[i] == truth[i] && ours[i] == torch[i];
        if (!same)
            printf("\n    %s[%zu]: exact: ours %.9g, torch %.9g, truth %.9g", what, i,
                   (double)ours[i], (double)torch[i], truth[i]);
        CU_ASSERT(same);
        stats[k].elements++;
    }
}

static float *floats(size_t n) { return calloc(n ? n : 1, sizeof(float)); }
static double *doubles(size_t n) { return calloc(n ? n : 1, sizeof(double)); }

/* ---- embedding ---- */

static void embedding_one(const char *stem)
{
    st_file *f = fixture_open(stem);
    if (!f) return;
    size_t n = 0, dims[2] = {0, 0};
    const int32_t *ids = st_i32(f, "ids", &n);
    CU_ASSERT_PTR_NOT_NULL(ids);
    CU_ASSERT_EQUAL(st_shape(f, "weight", dims, 2), 2);
    size_t v = dims[0], c = dims[1];
    const float *w = fixture_f32(f, "weight", v * c), *dout = fixture_f32(f, "dout", n * c);
    const float *tout = fixture_f32(f, "out", n * c), *tdw = fixture_f32(f, "dweight", v * c);
    if (ids && w && dout && tout && tdw) {
        size_t m = n * c > v * c ? n * c : v * c;
        float *y = floats(m), *zero = floats(v * c);
        double *t = doubles(m), *b = doubles(m);
        nns_embedding_fwd__scalar(y, ids, w, n, c);
        chk_truth_embedding_fwd(ids, w, n, c, t, b);
        compare(F_EMB_FWD, y, tout, t, b, NULL, n * c);
        /* The lookup is a copy: torch's and ours are the table's bits. */
        CU_ASSERT(memcmp(y, tout, n * c * sizeof *y) == 0);
        memset(y, 0, v * c * sizeof *y);
        nns_embedding_bwd__scalar(y, dout, ids, n, c);
        chk_truth_embedding_bwd(zero, dout, ids, n, c, v, t, b);
        compare(F_EMB_BWD, y, tdw, t, b, NULL, v * c);
        free(y), free(zero), free(t), free(b);
    }
    st_close(f);
}

static void test_embedding_vs_torch(void)
{
    static const char *const stems[] = {"embedding_1x1_v1", "embedding_7x5_v4",
                                        "embedding_64x33_v3"};
    for (size_t s = 0; s < sizeof stems / sizeof stems[0]; s++) embedding_one(stems[s]);
    fixture_report("embedding_fwd", &stats[F_EMB_FWD]);
    fixture_report("embedding_bwd", &stats[F_EMB_BWD]);
    printf("\n");
}

/* ---- add, scale, sum of squares ---- */

static void test_add_scale_sum_squares_vs_torch(void)
{
    static const char *const shapes[] = {"1", "37", "4x33"};
    char stem[64];
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        snprintf(stem, sizeof stem, "add_%s", shapes[s]);
        st_file *f = fixture_open(stem);
        if (f) {
            size_t n = 0;
            const float *a = st_f32(f, "a", &n), *b = fixture_f32(f, "b", n);
            const float *tout = fixture_f32(f, "out", n);
            if (a && b && tout) {
                float *y = floats(n);
                double *t = doubles(n), *bd = doubles(n);
                nns_add__scalar(y, a, b, n);
                chk_truth_add(a, b, n, t, bd);
                compare(F_ADD, y, tout, t, bd, NULL, n);
                free(y), free(t), free(bd);
            }
            st_close(f);
        }
        snprintf(stem, sizeof stem, "scale_%s", shapes[s]);
        f = fixture_open(stem);
        if (f) {
            size_t n = 0;
            const float *x = st_f32(f, "x", &n), *sc = fixture_f32(f, "s", 1);
            const float *tout = fixture_f32(f, "out", n);
            if (x && sc && tout) {
                float *y = floats(n);
                double *t = doubles(n), *bd = doubles(n);
                nns_scale__scalar(y, x, sc[0], n);
                chk_truth_scale(x, sc[0], n, t, bd);
                compare(F_SCALE, y, tout, t, bd, NULL, n);
                free(y), free(t), free(bd);
            }
            st_close(f);
        }
    }
    static const char *const sums[] = {"sum_squares_1", "sum_squares_37", "sum_squares_1000"};
    for (size_t s = 0; s < sizeof sums / sizeof sums[0]; s++) {
        st_file *f = fixture_open(sums[s]);
        if (!f) continue;
        size_t n = 0;
        const float *x = st_f32(f, "x", &n), *tout = fixture_f32(f, "out", 1);
        if (x && tout) {
            float y;
            double t, bd;
            nns_sum_squares__scalar(&y, x, n);
            chk_truth_sum_squares(x, n, &t, &bd);
            compare(F_SUMSQ, &y, tout, &t, &bd, NULL, 1);
        }
        st_close(f);
    }
    fixture_report("add", &stats[F_ADD]);
    fixture_report("scale", &stats[F_SCALE]);
    fixture_report("sum_squares", &stats[F_SUMSQ]);
    printf("\n");
}

/* ---- mean pooling ---- */

/* torch's masked sum (any order) and division: see the top of the file. */
static void torch_pool_bound(const float *x, const int32_t *lengths, size_t b, size_t t,
                             size_t c, const double *truth, double *tb)
{
    for (size_t s = 0; s < b; s++) {
        size_t len = lengths ? (size_t)lengths[s] : t;
        for (size_t j = 0; j < c; j++) {
            double abs_sum = 0, L = (double)len;
            for (size_t i = 0; i < len; i++) abs_sum += fabs(x[(s * t + i) * c + j]);
            tb[s * c + j] = len == 0 ? 0.0
                                     : U * (2 * fabs(truth[s * c + j]) +
                                            (1 + U) * (L - 1) * abs_sum / (L * (1 - (L - 1) * U)));
        }
    }
}

static void pool_one(const char *stem)
{
    st_file *f = fixture_open(stem);
    if (!f) return;
    size_t dims[3] = {0, 0, 0}, nl = 0;
    CU_ASSERT_EQUAL(st_shape(f, "x", dims, 3), 3);
    size_t b = dims[0], t = dims[1], c = dims[2];
    const int32_t *lengths = st_i32(f, "lengths", &nl); /* NULL: all t */
    CU_ASSERT(lengths == NULL || nl == b);
    const float *x = fixture_f32(f, "x", b * t * c), *dout = fixture_f32(f, "dout", b * c);
    const float *tout = fixture_f32(f, "out", b * c), *tdx = fixture_f32(f, "dx", b * t * c);
    if (x && dout && tout && tdx) {
        float *y = floats(b * t * c), *zero = floats(b * t * c);
        double *tr = doubles(b * t * c), *bd = doubles(b * t * c), *tb = doubles(b * c);
        nns_mean_pool_fwd__scalar(y, x, lengths, b, t, c);
        chk_truth_mean_pool_fwd(x, lengths, b, t, c, tr, bd);
        torch_pool_bound(x, lengths, b, t, c, tr, tb);
        compare(F_POOL_FWD, y, tout, tr, bd, tb, b * c);
        memset(y, 0, b * t * c * sizeof *y);
        nns_mean_pool_bwd__scalar(y, dout, lengths, b, t, c);
        chk_truth_mean_pool_bwd(zero, dout, lengths, b, t, c, tr, bd);
        compare(F_POOL_BWD, y, tdx, tr, bd, NULL, b * t * c);
        free(y), free(zero), free(tr), free(bd), free(tb);
    }
    st_close(f);
}

static void test_mean_pool_vs_torch(void)
{
    static const char *const stems[] = {"mean_pool_1x1x1", "mean_pool_3x7x5", "mean_pool_4x33x9",
                                        "mean_pool_2x5x3_nolengths"};
    for (size_t s = 0; s < sizeof stems / sizeof stems[0]; s++) pool_one(stems[s]);
    fixture_report("mean_pool_fwd", &stats[F_POOL_FWD]);
    fixture_report("mean_pool_bwd", &stats[F_POOL_BWD]);
    printf("\n");
}

int register_fixtures_embedding_elementwise_suite(void)
{
    CU_pSuite s = CU_add_suite("fixtures_embedding_elementwise", NULL, NULL);
    if (!s || !CU_add_test(s, "embedding_vs_torch", test_embedding_vs_torch) ||
        !CU_add_test(s, "add_scale_sum_squares_vs_torch", test_add_scale_sum_squares_vs_torch) ||
        !CU_add_test(s, "mean_pool_vs_torch", test_mean_pool_vs_torch))
        return CU_get_error();
    return 0;
}
