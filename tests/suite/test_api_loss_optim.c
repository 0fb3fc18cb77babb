/* Argument checks at the public entry points of the loss and optimizer
 * families: every status each can return, and the documented corner
 * cases (all rows ignored, loss-only calls, n = 0). */
#include "suites.h"

#include "nnsimd.h"

#include <math.h>
#include <stdint.h>

static void test_cross_entropy_arguments(void)
{
    float x[6] = {1, 2, 3, -1, 0, 1}, d[6] = {0}, loss = -1;
    int32_t t[2] = {2, 0};
    CU_ASSERT_EQUAL(nns_cross_entropy_fwd_bwd(&loss, d, x, t, 2, 3, -100), NNS_OK);
    CU_ASSERT(loss > 0);
    CU_ASSERT_EQUAL(nns_cross_entropy_fwd_bwd(&loss, NULL, x, t, 2, 3, -100), NNS_OK);
    CU_ASSERT_EQUAL(nns_cross_entropy_fwd_bwd(NULL, d, x, t, 2, 3, -100), NNS_ERR_NULL);
    CU_ASSERT_EQUAL(nns_cross_entropy_fwd_bwd(&loss, d, NULL, t, 2, 3, -100), NNS_ERR_NULL);
    CU_ASSERT_EQUAL(nns_cross_entropy_fwd_bwd(&loss, d, x, NULL, 2, 3, -100), NNS_ERR_NULL);
    CU_ASSERT_EQUAL(nns_cross_entropy_fwd_bwd(&loss, NULL, NULL, NULL, 0, 3, -100), NNS_OK);
    CU_ASSERT_EQUAL(loss, 0.0f);
    CU_ASSERT_EQUAL(nns_cross_entropy_fwd_bwd(NULL, NULL, NULL, NULL, 0, 0, -100), NNS_ERR_NULL);
    CU_ASSERT_EQUAL(nns_cross_entropy_fwd_bwd(&loss, d, x, t, SIZE_MAX / 2, 3, -100), NNS_ERR_SIZE);
    CU_ASSERT_EQUAL(nns_cross_entropy_fwd_bwd(&loss, d, x, t, SIZE_MAX / 16, 8, -100), NNS_ERR_SIZE);
    CU_ASSERT_EQUAL(nns_cross_entropy_fwd_bwd(&loss, d, x, t, 1, SIZE_MAX / 2, -100), NNS_ERR_SIZE);
    /* every row ignored: loss 0, no gradient (torch: NaN) */
    int32_t ign[2] = {7, 7};
    float d2[6] = {0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f};
    loss = -1;
    CU_ASSERT_EQUAL(nns_cross_entropy_fwd_bwd(&loss, d2, x, ign, 2, 3, 7), NNS_OK);
    CU_ASSERT_EQUAL(loss, 0.0f);
    for (int i = 0; i < 6; i++) CU_ASSERT_EQUAL(d2[i], 0.5f);
    /* v = 0: logits may be NULL; every row must then be ignored */
    loss = -1;
    CU_ASSERT_EQUAL(nns_cross_entropy_fwd_bwd(&loss, NULL, NULL, ign, 2, 0, 7), NNS_OK);
    CU_ASSERT_EQUAL(loss, 0.0f);
}

static void test_mse_arguments(void)
{
    float p[3] = {1, 2, 3}, y[3] = {1, 1, 1}, d[3] = {0}, loss = -1;
    CU_ASSERT_EQUAL(nns_mse_fwd_bwd(&loss, d, p, y, 3), NNS_OK);
    CU_ASSERT_DOUBLE_EQUAL(loss, 5.0 / 3.0, 1e-6);
    CU_ASSERT_EQUAL(nns_mse_fwd_bwd(&loss, NULL, p, y, 3), NNS_OK);
    CU_ASSERT_EQUAL(nns_mse_fwd_bwd(NULL, d, p, y, 3), NNS_ERR_NULL);
    CU_ASSERT_EQUAL(nns_mse_fwd_bwd(&loss, d, NULL, y, 3), NNS_ERR_NULL);
    CU_ASSERT_EQUAL(nns_mse_fwd_bwd(&loss, d, p, NULL, 3), NNS_ERR_NULL);
    CU_ASSERT_EQUAL(nns_mse_fwd_bwd(&loss, NULL, NULL, NULL, 0), NNS_OK);
    CU_ASSERT_EQUAL(loss, 0.0f);
    CU_ASSERT_EQUAL(nns_mse_fwd_bwd(&loss, d, p, y, SIZE_MAX / 2), NNS_ERR_SIZE);
}

static void test_sgd_arguments(void)
{
    float p[2] = {1, 2}, b[2] = {0}, g[2] = {0.5f, -0.5f};
    const nns_sgd_config ok = {0.1f, 0.9f, 0.0f, 0.01f, 1};
    nns_sgd_config c;
    CU_ASSERT_EQUAL(nns_sgd_step(p, b, g, 2, &ok, 1), NNS_OK);
    CU_ASSERT_EQUAL(nns_sgd_step(p, b, g, 2, NULL, 1), NNS_ERR_NULL);
    CU_ASSERT_EQUAL(nns_sgd_step(NULL, b, g, 2, &ok, 2), NNS_ERR_NULL);
    CU_ASSERT_EQUAL(nns_sgd_step(p, NULL, g, 2, &ok, 2), NNS_ERR_NULL); /* momentum needs it */
    CU_ASSERT_EQUAL(nns_sgd_step(p, b, NULL, 2, &ok, 2), NNS_ERR_NULL);
    CU_ASSERT_EQUAL(nns_sgd_step(NULL, NULL, NULL, 0, &ok, 2), NNS_OK);
    CU_ASSERT_EQUAL(nns_sgd_step(p, b, g, SIZE_MAX / 2, &ok, 2), NNS_ERR_SIZE);
    CU_ASSERT_EQUAL(nns_sgd_step(p, b, g, 2, &ok, 0), NNS_ERR_ARG); /* steps count from 1 */
    c = ok, c.momentum = 0, c.nesterov = 0;
    CU_ASSERT_EQUAL(nns_sgd_step(p, NULL, g, 2, &c, 1), NNS_OK); /* no buffer without momentum */
    c = ok, c.lr = -0.1f;
    CU_ASSERT_EQUAL(nns_sgd_step(p, b, g, 2, &c, 1), NNS_ERR_ARG);
    c = ok, c.lr = 0.0f;
    CU_ASSERT_EQUAL(nns_sgd_step(p, b, g, 2, &c, 1), NNS_OK);
    c = ok, c.momentum = -0.5f, c.nesterov = 0;
    CU_ASSERT_EQUAL(nns_sgd_step(p, b, g, 2, &c, 1), NNS_ERR_ARG);
    c = ok, c.weight_decay = -1e-4f;
    CU_ASSERT_EQUAL(nns_sgd_step(p, b, g, 2, &c, 1), NNS_ERR_ARG);
    c = ok, c.momentum = 0.0f; /* nesterov without momentum */
    CU_ASSERT_EQUAL(nns_sgd_step(p, b, g, 2, &c, 1), NNS_ERR_ARG);
    c = ok, c.dampening = 0.1f; /* nesterov with dampening */
    CU_ASSERT_EQUAL(nns_sgd_step(p, b, g, 2, &c, 1), NNS_ERR_ARG);
    c = ok, c.nesterov = 0, c.dampening = 0.1f; /* dampening alone is fine */
    CU_ASSERT_EQUAL(nns_sgd_step(p, b, g, 2, &c, 2), NNS_OK);
    c = ok, c.lr = NAN; /* torch's `lr < 0.0` is false for NaN: accepted */
    CU_ASSERT_EQUAL(nns_sgd_step(p, b, g, 2, &c, 1), NNS_OK);
}

static void test_adam_arguments(void)
{
    float p[2] = {1, 2}, m[2] = {0}, v[2] = {0}, g[2] = {0.5f, -0.5f};
    const nns_adam_config ok = {1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f, 1};
    nns_adam_config c;
    CU_ASSERT_EQUAL(nns_adam_step(p, m, v, g, 2, &ok, 1), NNS_OK);
    CU_ASSERT_EQUAL(nns_adam_step(p, m, v, g, 2, NULL, 1), NNS_ERR_NULL);
    CU_ASSERT_EQUAL(nns_adam_step(NULL, m, v, g, 2, &ok, 2), NNS_ERR_NULL);
    CU_ASSERT_EQUAL(nns_adam_step(p, NULL, v, g, 2, &ok, 2), NNS_ERR_NULL);
    CU_ASSERT_EQUAL(nns_adam_step(p, m, NULL, g, 2, &ok, 2), NNS_ERR_NULL);
    CU_ASSERT_EQUAL(nns_adam_step(p, m, v, NULL, 2, &ok, 2), NNS_ERR_NULL);
    CU_ASSERT_EQUAL(nns_adam_step(NULL, NULL, NULL, NULL, 0, &ok, 2), NNS_OK);
    CU_ASSERT_EQUAL(nns_adam_step(p, m, v, g, SIZE_MAX / 2, &ok, 2), NNS_ERR_SIZE);
    CU_ASSERT_EQUAL(nns_adam_step(p, m, v, g, 2, &ok, 0), NNS_ERR_ARG);
    /* torch: `not 0.0 <= lr`, `not 0.0 <= eps`, `not 0.0 <= beta < 1.0`,
     * `not 0.0 <= weight_decay`; NaN fails them all */
    const float bad[] = {-1e-3f, NAN};
    for (int i = 0; i < 2; i++) {
        c = ok, c.lr = bad[i];
        CU_ASSERT_EQUAL(nns_adam_step(p, m, v, g, 2, &c, 1), NNS_ERR_ARG);
        c = ok, c.eps = bad[i];
        CU_ASSERT_EQUAL(nns_adam_step(p, m, v, g, 2, &c, 1), NNS_ERR_ARG);
        c = ok, c.beta1 = bad[i];
        CU_ASSERT_EQUAL(nns_adam_step(p, m, v, g, 2, &c, 1), NNS_ERR_ARG);
        c = ok, c.beta2 = bad[i];
        CU_ASSERT_EQUAL(nns_adam_step(p, m, v, g, 2, &c, 1), NNS_ERR_ARG);
        c = ok, c.weight_decay = bad[i];
        CU_ASSERT_EQUAL(nns_adam_step(p, m, v, g, 2, &c, 1), NNS_ERR_ARG);
    }
    c = ok, c.beta1 = 1.0f;
    CU_ASSERT_EQUAL(nns_adam_step(p, m, v, g, 2, &c, 1), NNS_ERR_ARG);
    c = ok, c.beta2 = 1.0f;
    CU_ASSERT_EQUAL(nns_adam_step(p, m, v, g, 2, &c, 1), NNS_ERR_ARG);
    c = ok, c.beta1 = 0.0f, c.beta2 = 0.0f, c.eps = 0.0f, c.lr = 0.0f, c.weight_decay = 0.0f;
    CU_ASSERT_EQUAL(nns_adam_step(p, m, v, g, 2, &c, 1), NNS_OK); /* the closed ends */
    c = ok, c.decoupled = 0;
    CU_ASSERT_EQUAL(nns_adam_step(p, m, v, g, 2, &c, 3), NNS_OK);
}

/* One SGD step with momentum and one AdamW step by hand, in float as
 * torch computes them: the public entry points reach a working variant. */
static void test_optim_values(void)
{
    float p = 1.0f, b = 123.0f, g = 0.5f;
    const nns_sgd_config sgd = {0.1f, 0.9f, 0.0f, 0.0f, 0};
    CU_ASSERT_EQUAL(nns_sgd_step(&p, &b, &g, 1, &sgd, 1), NNS_OK);
    CU_ASSERT_EQUAL(b, 0.5f);          /* step 1: buf = g */
    CU_ASSERT_EQUAL(p, 1.0f - 0.05f);  /* 1 - 0.1 * 0.5 */
    float pa = 1.0f, m = 0.0f, v = 0.0f;
    const nns_adam_config adam = {0.5f, 0.5f, 0.75f, 0.0f, 0.0f, 0};
    CU_ASSERT_EQUAL(nns_adam_step(&pa, &m, &v, &g, 1, &adam, 1), NNS_OK);
    /* m = 0.25, v = 0.0625, bias-corrected m/sqrt(v) = 0.5/0.5 = 1: p = 0.5 */
    CU_ASSERT_EQUAL(m, 0.25f);
    CU_ASSERT_EQUAL(v, 0.0625f);
    CU_ASSERT_EQUAL(pa, 0.5f);
}

int register_api_loss_optim_suite(void)
{
    CU_pSuite s = CU_add_suite("api_loss_optim", NULL, NULL);
    if (!s || !CU_add_test(s, "cross_entropy_arguments", test_cross_entropy_arguments) ||
        !CU_add_test(s, "mse_arguments", test_mse_arguments) ||
        !CU_add_test(s, "sgd_arguments", test_sgd_arguments) ||
        !CU_add_test(s, "adam_arguments", test_adam_arguments) ||
        !CU_add_test(s, "optim_values", test_optim_values))
        return CU_get_error();
    return 0;
}
