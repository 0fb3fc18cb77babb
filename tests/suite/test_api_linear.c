/* Argument checks at the public entry points of the linear layer and of
 * layer normalization: every status each can return, and a small call
 * through the dispatch to show the arguments arrive in order. */
#include "suites.h"

#include "nnsimd.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#define HUGE_N (SIZE_MAX / 2)

/* A workspace of the active variant's size for the call (NULL if 0). */
static void *ws_fwd(size_t n, size_t c, size_t oc, nns_act act)
{
    size_t s = nns_linear_fwd_workspace_size(n, c, oc, act);
    return s ? calloc(1, s) : NULL;
}

static void *ws_bwd(size_t n, size_t c, size_t oc, nns_act act)
{
    size_t s = nns_linear_bwd_workspace_size(n, c, oc, act);
    return s ? calloc(1, s) : NULL;
}

static void test_linear_fwd_arguments(void)
{
    /* n = 2, c = 3, oc = 2 */
    float in[6] = {1, 2, 3, -1, 0.5f, 2}, w[6] = {0.5f, -1, 1, 2, 0, -0.25f}, b[2] = {0.5f, -1};
    float out[4], pre[4];
    for (int a = 0; a < 4; a++) {
        nns_act act = (nns_act)a;
        void *ws = ws_fwd(2, 3, 2, act);
        CU_ASSERT_EQUAL(nns_linear_fwd(out, pre, in, w, b, 2, 3, 2, act, ws), NNS_OK);
        CU_ASSERT_EQUAL(nns_linear_fwd(out, NULL, in, w, NULL, 2, 3, 2, act, ws), NNS_OK);
        CU_ASSERT_EQUAL(nns_linear_fwd(NULL, pre, in, w, b, 2, 3, 2, act, ws), NNS_ERR_NULL);
        CU_ASSERT_EQUAL(nns_linear_fwd(out, pre, NULL, w, b, 2, 3, 2, act, ws), NNS_ERR_NULL);
        CU_ASSERT_EQUAL(nns_linear_fwd(out, pre, in, NULL, b, 2, 3, 2, act, ws), NNS_ERR_NULL);
        /* nothing to compute: every pointer may be NULL */
        CU_ASSERT_EQUAL(nns_linear_fwd(NULL, NULL, NULL, NULL, NULL, 0, 0, 0, act, NULL), NNS_OK);
        CU_ASSERT_EQUAL(nns_linear_fwd(NULL, NULL, NULL, w, b, 0, 3, 2, act, NULL), NNS_OK);
        CU_ASSERT_EQUAL(nns_linear_fwd(NULL, NULL, in, NULL, NULL, 2, 3, 0, act, NULL), NNS_OK);
        /* c = 0: in and weight are empty, out = act(bias) */
        void *ws0 = ws_fwd(2, 0, 2, act);
        CU_ASSERT_EQUAL(nns_linear_fwd(out, NULL, NULL, NULL, b, 2, 0, 2, act, ws0), NNS_OK);
        free(ws0);
        /* sizes whose products overflow */
        CU_ASSERT_EQUAL(nns_linear_fwd(out, pre, in, w, b, HUGE_N, 3, 2, act, ws), NNS_ERR_SIZE);
        CU_ASSERT_EQUAL(nns_linear_fwd(out, pre, in, w, b, 2, HUGE_N, 2, act, ws), NNS_ERR_SIZE);
        CU_ASSERT_EQUAL(nns_linear_fwd(out, pre, in, w, b, 2, 3, HUGE_N, act, ws), NNS_ERR_SIZE);
        CU_ASSERT_EQUAL(nns_linear_fwd(out, pre, in, w, b, SIZE_MAX / 4 + 1, 1, 1, act, ws), NNS_ERR_SIZE);
        CU_ASSERT_EQUAL(nns_linear_fwd(out, pre, in, w, b, 1, 1, SIZE_MAX / 4 + 1, act, ws), NNS_ERR_SIZE);
        free(ws);
    }
    /* an activation out of range */
    CU_ASSERT_EQUAL(nns_linear_fwd(out, pre, in, w, b, 2, 3, 2, (nns_act)4, NULL), NNS_ERR_ARG);
    CU_ASSERT_EQUAL(nns_linear_fwd(out, pre, in, w, b, 2, 3, 2, (nns_act)-1, NULL), NNS_ERR_ARG);
    /* the values: z = in . w^T + b (with the workspace the active variant asks for) */
    void *fws = malloc(nns_linear_fwd_workspace_size(2, 3, 2, NNS_ACT_NONE) + 1);
    CU_ASSERT_EQUAL(nns_linear_fwd(out, NULL, in, w, b, 2, 3, 2, NNS_ACT_NONE, fws), NNS_OK);
    free(fws);
    CU_ASSERT_DOUBLE_EQUAL(out[0], 0.5 - 2 + 3 + 0.5, 1e-6);
    CU_ASSERT_DOUBLE_EQUAL(out[1], 2 + 0 - 0.75 - 1, 1e-6);
    CU_ASSERT_DOUBLE_EQUAL(out[2], -0.5 - 0.5 + 2 + 0.5, 1e-6);
    CU_ASSERT_DOUBLE_EQUAL(out[3], -2 + 0 - 0.5 - 1, 1e-6);
    void *ws = ws_fwd(2, 3, 2, NNS_ACT_RELU);
    CU_ASSERT_EQUAL(nns_linear_fwd(out, pre, in, w, b, 2, 3, 2, NNS_ACT_RELU, ws), NNS_OK);
    CU_ASSERT_DOUBLE_EQUAL(pre[3], -3.5, 1e-6);
    CU_ASSERT_EQUAL(out[3], 0.0f);
    CU_ASSERT_DOUBLE_EQUAL(out[0], 2.0, 1e-6);
    free(ws);
    ws = ws_fwd(2, 0, 2, NNS_ACT_NONE);
    CU_ASSERT_EQUAL(nns_linear_fwd(out, NULL, NULL, NULL, b, 2, 0, 2, NNS_ACT_NONE, ws), NNS_OK);
    CU_ASSERT(out[0] == 0.5f && out[1] == -1.0f && out[2] == 0.5f && out[3] == -1.0f);
    free(ws);
}

static void test_linear_bwd_arguments(void)
{
    float in[6] = {1, 2, 3, -1, 0.5f, 2}, w[6] = {0.5f, -1, 1, 2, 0, -0.25f};
    float dout[4] = {1, -1, 0.5f, 2}, pre[4] = {1, -1, 2, 0.5f};
    float din[6] = {0}, dw[6] = {0}, db[2] = {0};
    for (int a = 0; a < 4; a++) {
        nns_act act = (nns_act)a;
        void *ws = ws_bwd(2, 3, 2, act);
        CU_ASSERT_EQUAL(nns_linear_bwd(din, dw, db, dout, pre, in, w, 2, 3, 2, act, ws), NNS_OK);
        /* each gradient may be skipped, and all of them */
        CU_ASSERT_EQUAL(nns_linear_bwd(NULL, dw, db, dout, pre, in, w, 2, 3, 2, act, ws), NNS_OK);
        CU_ASSERT_EQUAL(nns_linear_bwd(din, NULL, db, dout, pre, in, w, 2, 3, 2, act, ws), NNS_OK);
        CU_ASSERT_EQUAL(nns_linear_bwd(din, dw, NULL, dout, pre, in, w, 2, 3, 2, act, ws), NNS_OK);
        CU_ASSERT_EQUAL(nns_linear_bwd(NULL, NULL, NULL, dout, pre, in, w, 2, 3, 2, act, ws), NNS_OK);
        CU_ASSERT_EQUAL(nns_linear_bwd(din, dw, db, NULL, pre, in, w, 2, 3, 2, act, ws), NNS_ERR_NULL);
        CU_ASSERT_EQUAL(nns_linear_bwd(din, dw, db, dout, pre, NULL, w, 2, 3, 2, act, ws), NNS_ERR_NULL);
        CU_ASSERT_EQUAL(nns_linear_bwd(din, dw, db, dout, pre, in, NULL, 2, 3, 2, act, ws), NNS_ERR_NULL);
        /* pre is needed exactly when there is an activation */
        CU_ASSERT_EQUAL(nns_linear_bwd(din, dw, db, dout, NULL, in, w, 2, 3, 2, act, ws),
                        act == NNS_ACT_NONE ? NNS_OK : NNS_ERR_NULL);
        /* a workspace the variant asks for must be given */
        if (nns_linear_bwd_workspace_size(2, 3, 2, act) > 0)
            CU_ASSERT_EQUAL(nns_linear_bwd(din, dw, db, dout, pre, in, w, 2, 3, 2, act, NULL),
                            NNS_ERR_NULL);
        CU_ASSERT_EQUAL(nns_linear_bwd(NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0, 0, 0, act, NULL),
                        NNS_OK);
        CU_ASSERT_EQUAL(nns_linear_bwd(din, dw, db, dout, pre, in, w, HUGE_N, 3, 2, act, ws),
                        NNS_ERR_SIZE);
        CU_ASSERT_EQUAL(nns_linear_bwd(din, dw, db, dout, pre, in, w, 2, HUGE_N, 2, act, ws),
                        NNS_ERR_SIZE);
        CU_ASSERT_EQUAL(nns_linear_bwd(din, dw, db, dout, pre, in, w, 2, 3, HUGE_N, act, ws),
                        NNS_ERR_SIZE);
        free(ws);
    }
    CU_ASSERT_EQUAL(nns_linear_bwd(din, dw, db, dout, pre, in, w, 2, 3, 2, (nns_act)7, NULL),
                    NNS_ERR_ARG);
    /* the values, NONE: din = dout . w, dw = dout^T . in, db = column sums */
    float d2[6] = {0}, w2[6] = {0}, b2[2] = {0};
    void *bws = malloc(nns_linear_bwd_workspace_size(2, 3, 2, NNS_ACT_NONE) + 1);
    CU_ASSERT_EQUAL(nns_linear_bwd(d2, w2, b2, dout, NULL, in, w, 2, 3, 2, NNS_ACT_NONE, bws),
                    NNS_OK);
    free(bws);
    CU_ASSERT_DOUBLE_EQUAL(d2[0], 1 * 0.5 + -1 * 2, 1e-6);
    CU_ASSERT_DOUBLE_EQUAL(d2[5], 0.5 * 1 + 2 * -0.25, 1e-6);
    CU_ASSERT_DOUBLE_EQUAL(w2[0], 1 * 1 + 0.5 * -1, 1e-6);
    CU_ASSERT_DOUBLE_EQUAL(w2[5], -1 * 3 + 2 * 2, 1e-6);
    CU_ASSERT_DOUBLE_EQUAL(b2[0], 1.5, 1e-6);
    CU_ASSERT_DOUBLE_EQUAL(b2[1], 1.0, 1e-6);
}

static void test_linear_workspace_sizes(void)
{
    CU_ASSERT_EQUAL(nns_linear_fwd_workspace_size(HUGE_N, 3, 2, NNS_ACT_NONE), SIZE_MAX);
    CU_ASSERT_EQUAL(nns_linear_bwd_workspace_size(2, 3, HUGE_N, NNS_ACT_RELU), SIZE_MAX);
    CU_ASSERT_EQUAL(nns_linear_bwd_workspace_size(SIZE_MAX / 4 + 1, 1, 1, NNS_ACT_GELU), SIZE_MAX);
    CU_ASSERT_NOT_EQUAL(nns_linear_fwd_workspace_size(7, 5, 3, NNS_ACT_GELU), SIZE_MAX);
    /* The reference needs none, but g (n*oc floats) behind an activation. */
    const nns_kernel_table *r = nns_kernels_for(NNS_ISA_SCALAR);
    for (int a = 0; a < 4; a++) {
        CU_ASSERT_EQUAL(r->linear_fwd_workspace_size(7, 5, 3, (nns_act)a), 0);
        CU_ASSERT_EQUAL(r->linear_bwd_workspace_size(7, 5, 3, (nns_act)a),
                        a == NNS_ACT_NONE ? 0 : 7 * 3 * sizeof(float));
    }
}

static void test_layernorm_arguments(void)
{
    float x[6] = {1, 3, 2, -1, 0, 1}, w[3] = {1, 1, 1}, b[3] = {0, 0, 0};
    float y[6], mean[2], rstd[2], g[6] = {1, -1, 0.5f, 0, 2, 1};
    float din[6] = {0}, dw[3] = {0}, db[3] = {0};
    CU_ASSERT_EQUAL(nns_layernorm_fwd(y, mean, rstd, x, w, b, 2, 3, 1e-5f), NNS_OK);
    CU_ASSERT_EQUAL(nns_layernorm_fwd(NULL, mean, rstd, x, w, b, 2, 3, 1e-5f), NNS_ERR_NULL);
    CU_ASSERT_EQUAL(nns_layernorm_fwd(y, NULL, rstd, x, w, b, 2, 3, 1e-5f), NNS_ERR_NULL);
    CU_ASSERT_EQUAL(nns_layernorm_fwd(y, mean, NULL, x, w, b, 2, 3, 1e-5f), NNS_ERR_NULL);
    CU_ASSERT_EQUAL(nns_layernorm_fwd(y, mean, rstd, NULL, w, b, 2, 3, 1e-5f), NNS_ERR_NULL);
    CU_ASSERT_EQUAL(nns_layernorm_fwd(y, mean, rstd, x, NULL, b, 2, 3, 1e-5f), NNS_ERR_NULL);
    CU_ASSERT_EQUAL(nns_layernorm_fwd(y, mean, rstd, x, w, NULL, 2, 3, 1e-5f), NNS_ERR_NULL);
    CU_ASSERT_EQUAL(nns_layernorm_fwd(NULL, NULL, NULL, NULL, NULL, NULL, 0, 0, 1e-5f), NNS_OK);
    CU_ASSERT_EQUAL(nns_layernorm_fwd(NULL, NULL, NULL, NULL, w, b, 0, 3, 1e-5f), NNS_OK);
    CU_ASSERT_EQUAL(nns_layernorm_fwd(y, mean, rstd, x, w, b, HUGE_N, 3, 1e-5f), NNS_ERR_SIZE);
    CU_ASSERT_EQUAL(nns_layernorm_fwd(y, mean, rstd, x, w, b, 3, HUGE_N, 1e-5f), NNS_ERR_SIZE);
    CU_ASSERT_EQUAL(nns_layernorm_fwd(y, mean, rstd, x, w, b, 2, 3, -1e-5f), NNS_ERR_ARG);
    CU_ASSERT_EQUAL(nns_layernorm_fwd(y, mean, rstd, x, w, b, 2, 3, NAN), NNS_ERR_ARG);
    /* c = 0: rows of nothing, mean and rstd NaN (0/0) */
    CU_ASSERT_EQUAL(nns_layernorm_fwd(NULL, mean, rstd, NULL, NULL, NULL, 2, 0, 1e-5f), NNS_OK);
    CU_ASSERT(isnan(mean[0]) && isnan(rstd[1]));
    /* the values, eps = 0: row (1, 3, 2) has mean 2, variance 2/3 */
    CU_ASSERT_EQUAL(nns_layernorm_fwd(y, mean, rstd, x, w, b, 2, 3, 0.0f), NNS_OK);
    CU_ASSERT_DOUBLE_EQUAL(mean[0], 2.0, 1e-6);
    CU_ASSERT_DOUBLE_EQUAL(rstd[0], sqrt(1.5), 1e-6);
    CU_ASSERT_DOUBLE_EQUAL(y[0], -sqrt(1.5), 1e-6);
    CU_ASSERT_DOUBLE_EQUAL(y[1], sqrt(1.5), 1e-6);
    CU_ASSERT_DOUBLE_EQUAL(y[2], 0.0, 1e-6);

    CU_ASSERT_EQUAL(nns_layernorm_bwd(din, dw, db, g, x, w, mean, rstd, 2, 3), NNS_OK);
    CU_ASSERT_DOUBLE_EQUAL(db[0], 1.0, 1e-6); /* sum of dout's column 0 */
    CU_ASSERT_EQUAL(nns_layernorm_bwd(NULL, dw, db, g, x, w, mean, rstd, 2, 3), NNS_ERR_NULL);
    CU_ASSERT_EQUAL(nns_layernorm_bwd(din, NULL, db, g, x, w, mean, rstd, 2, 3), NNS_ERR_NULL);
    CU_ASSERT_EQUAL(nns_layernorm_bwd(din, dw, NULL, g, x, w, mean, rstd, 2, 3), NNS_ERR_NULL);
    CU_ASSERT_EQUAL(nns_layernorm_bwd(din, dw, db, NULL, x, w, mean, rstd, 2, 3), NNS_ERR_NULL);
    CU_ASSERT_EQUAL(nns_layernorm_bwd(din, dw, db, g, NULL, w, mean, rstd, 2, 3), NNS_ERR_NULL);
    CU_ASSERT_EQUAL(nns_layernorm_bwd(din, dw, db, g, x, NULL, mean, rstd, 2, 3), NNS_ERR_NULL);
    CU_ASSERT_EQUAL(nns_layernorm_bwd(din, dw, db, g, x, w, NULL, rstd, 2, 3), NNS_ERR_NULL);
    CU_ASSERT_EQUAL(nns_layernorm_bwd(din, dw, db, g, x, w, mean, NULL, 2, 3), NNS_ERR_NULL);
    CU_ASSERT_EQUAL(nns_layernorm_bwd(NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0, 0), NNS_OK);
    CU_ASSERT_EQUAL(nns_layernorm_bwd(din, dw, db, g, x, w, mean, rstd, HUGE_N, 3), NNS_ERR_SIZE);
    CU_ASSERT_EQUAL(nns_layernorm_bwd(din, dw, db, g, x, w, mean, rstd, 2, HUGE_N), NNS_ERR_SIZE);
}

int register_api_linear_suite(void)
{
    CU_pSuite s = CU_add_suite("api_linear_layernorm", NULL, NULL);
    if (!s || !CU_add_test(s, "linear_fwd_arguments", test_linear_fwd_arguments) ||
        !CU_add_test(s, "linear_bwd_arguments", test_linear_bwd_arguments) ||
        !CU_add_test(s, "linear_workspace_sizes", test_linear_workspace_sizes) ||
        !CU_add_test(s, "layernorm_arguments", test_layernorm_arguments))
        return CU_get_error();
    return 0;
}
