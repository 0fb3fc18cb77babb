/* Argument checks at the attention entry points: every status code of
 * nns_attention_fwd, nns_attention_bwd and their workspace sizes. */
#include "suites.h"

#include "nnsimd.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

/* A small problem: b = 2, t = 3, h = 2, d = 2, separate (ld = 4). */
#define B 2
#define T 3
#define H 2
#define D 2
#define C (H * D)

static float q[B * T * C], k[B * T * C], v[B * T * C], out[B * T * C], lse[B * H * T];
static float dq[B * T * C], dk[B * T * C], dv[B * T * C], dout[B * T * C];
/* Large enough for every ISA: the tiled variants' workspace depends on d
 * only (a few query blocks x key tiles), not on t. */
static float ws[1 << 15];

static void fill(void)
{
    for (size_t i = 0; i < B * T * C; i++) {
        q[i] = (float)((i * 7) % 5) * 0.25f - 0.5f;
        k[i] = (float)((i * 3) % 7) * 0.125f - 0.375f;
        v[i] = (float)((i * 5) % 9) * 0.1f - 0.4f;
        dout[i] = (float)((i * 11) % 13) * 0.05f - 0.3f;
    }
}

static nns_status fwd(const int32_t *len, size_t ld, size_t b, size_t t, size_t h, size_t d)
{
    return nns_attention_fwd(out, lse, q, k, v, ld, len, b, t, h, d, 0, ws);
}

static nns_status bwd(const int32_t *len, size_t ld, size_t b, size_t t, size_t h, size_t d)
{
    return nns_attention_bwd(dq, dk, dv, dout, q, k, v, out, lse, ld, len, b, t, h, d, 1, ws);
}

static void test_attention_ok(void)
{
    const int32_t len[B] = {3, 0};
    fill();
    CU_ASSERT_TRUE(nns_attention_fwd_workspace_size(T, D) <= sizeof ws);
    CU_ASSERT_TRUE(nns_attention_bwd_workspace_size(T, D) <= sizeof ws);
    CU_ASSERT_EQUAL(fwd(len, C, B, T, H, D), NNS_OK);
    CU_ASSERT_EQUAL(fwd(NULL, C, B, T, H, D), NNS_OK);
    CU_ASSERT_EQUAL(fwd(len, C, B, T, H, D), NNS_OK);
    /* Sequence 1 has length 0: all padding, zeros, no NaN. */
    for (size_t i = T * C; i < B * T * C; i++) CU_ASSERT_EQUAL(out[i], 0.0f);
    for (size_t i = 0; i < B * H * T; i++) CU_ASSERT_TRUE(isfinite(lse[i]));
    for (size_t i = H * T; i < B * H * T; i++) CU_ASSERT_EQUAL(lse[i], 0.0f);
    memset(dq, 0, sizeof dq), memset(dk, 0, sizeof dk), memset(dv, 0, sizeof dv);
    CU_ASSERT_EQUAL(bwd(len, C, B, T, H, D), NNS_OK);
    for (size_t i = T * C; i < B * T * C; i++)
        CU_ASSERT_TRUE(dq[i] == 0.0f && dk[i] == 0.0f && dv[i] == 0.0f);
    /* Row 0 sees key 0 alone: out = v_0 exactly, lse = q_0 . k_0 / sqrt(d). */
    const int32_t one[1] = {1};
    CU_ASSERT_EQUAL(nns_attention_fwd(out, lse, q, k, v, C, one, 1, T, H, D, 0, ws), NNS_OK);
    CU_ASSERT_EQUAL(out[0], v[0]);
    CU_ASSERT_EQUAL(out[1], v[1]);
    CU_ASSERT_DOUBLE_EQUAL(lse[0], (q[0] * k[0] + q[1] * k[1]) / sqrt(2.0), 1e-6);
    /* ld = 3c: one packed qkv buffer. */
    static float qkv[B * T * 3 * C], dqkv[B * T * 3 * C];
    CU_ASSERT_EQUAL(nns_attention_fwd(out, lse, qkv, qkv + C, qkv + 2 * C, 3 * C, len, B, T, H, D,
                                      1, ws),
                    NNS_OK);
    CU_ASSERT_EQUAL(nns_attention_bwd(dqkv, dqkv + C, dqkv + 2 * C, dout, qkv, qkv + C,
                                      qkv + 2 * C, out, lse, 3 * C, len, B, T, H, D, 1, ws),
                    NNS_OK);
}

static void test_attention_null(void)
{
    fill();
    CU_ASSERT_EQUAL(nns_attention_fwd(NULL, lse, q, k, v, C, NULL, B, T, H, D, 0, ws), NNS_ERR_NULL);
    CU_ASSERT_EQUAL(nns_attention_fwd(out, NULL, q, k, v, C, NULL, B, T, H, D, 0, ws), NNS_ERR_NULL);
    CU_ASSERT_EQUAL(nns_attention_fwd(out, lse, NULL, k, v, C, NULL, B, T, H, D, 0, ws), NNS_ERR_NULL);
    CU_ASSERT_EQUAL(nns_attention_fwd(out, lse, q, NULL, v, C, NULL, B, T, H, D, 0, ws), NNS_ERR_NULL);
    CU_ASSERT_EQUAL(nns_attention_fwd(out, lse, q, k, NULL, C, NULL, B, T, H, D, 0, ws), NNS_ERR_NULL);
    if (nns_attention_fwd_workspace_size(T, D) > 0)
        CU_ASSERT_EQUAL(nns_attention_fwd(out, lse, q, k, v, C, NULL, B, T, H, D, 0, NULL),
                        NNS_ERR_NULL);
    const float *in[6] = {dout, q, k, v, out, lse};
    float *g[3] = {dq, dk, dv};
    for (int i = 0; i < 3; i++) {
        float *gg[3] = {dq, dk, dv};
        gg[i] = NULL;
        CU_ASSERT_EQUAL(nns_attention_bwd(gg[0], gg[1], gg[2], dout, q, k, v, out, lse, C, NULL, B,
                                          T, H, D, 0, ws),
                        NNS_ERR_NULL);
    }
    for (int i = 0; i < 6; i++) {
        const float *x[6];
        memcpy(x, in, sizeof x);
        x[i] = NULL;
        CU_ASSERT_EQUAL(nns_attention_bwd(g[0], g[1], g[2], x[0], x[1], x[2], x[3], x[4], x[5], C,
                                          NULL, B, T, H, D, 0, ws),
                        NNS_ERR_NULL);
    }
    if (nns_attention_bwd_workspace_size(T, D) > 0)
        CU_ASSERT_EQUAL(nns_attention_bwd(dq, dk, dv, dout, q, k, v, out, lse, C, NULL, B, T, H,
                                          D, 0, NULL),
                        NNS_ERR_NULL);
}

static void test_attention_empty(void)
{
    /* Nothing to compute: every pointer may be NULL. */
    for (int z = 0; z < 3; z++) {
        size_t b = z == 0 ? 0 : B, t = z == 1 ? 0 : T, h = z == 2 ? 0 : H;
        CU_ASSERT_EQUAL(nns_attention_fwd(NULL, NULL, NULL, NULL, NULL, C, NULL, b, t, h, D, 0, NULL),
                        NNS_OK);
        CU_ASSERT_EQUAL(nns_attention_bwd(NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, C,
                                          NULL, b, t, h, D, 0, NULL),
                        NNS_OK);
    }
    /* d = 0: no gradient element; the forward still writes lse = log(keys). */
    CU_ASSERT_EQUAL(nns_attention_bwd(NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0,
                                      NULL, B, T, H, 0, 0, NULL),
                    NNS_OK);
    CU_ASSERT_EQUAL(nns_attention_fwd(NULL, NULL, NULL, NULL, NULL, 0, NULL, B, T, H, 0, 0, ws),
                    NNS_ERR_NULL);
    const int32_t len[B] = {2, 0};
    CU_ASSERT_EQUAL(nns_attention_fwd(out, lse, q, k, v, 0, len, B, T, H, 0, 0, ws), NNS_OK);
    CU_ASSERT_DOUBLE_EQUAL(lse[0], log(2.0), 1e-6);
    CU_ASSERT_EQUAL(lse[2], 0.0f);
    CU_ASSERT_EQUAL(lse[H * T], 0.0f);
}

static void test_attention_size(void)
{
    /* b*t, h*d, b*t*ld and their bytes overflow. */
    CU_ASSERT_EQUAL(fwd(NULL, C, SIZE_MAX / 2, 4, H, D), NNS_ERR_SIZE);
    CU_ASSERT_EQUAL(bwd(NULL, C, SIZE_MAX / 2, 4, H, D), NNS_ERR_SIZE);
    CU_ASSERT_EQUAL(fwd(NULL, C, B, T, SIZE_MAX / 2, 4), NNS_ERR_SIZE);
    CU_ASSERT_EQUAL(bwd(NULL, C, B, T, SIZE_MAX / 2, 4), NNS_ERR_SIZE);
    CU_ASSERT_EQUAL(fwd(NULL, SIZE_MAX / 8, B, T, H, D), NNS_ERR_SIZE);
    CU_ASSERT_EQUAL(bwd(NULL, SIZE_MAX / 8, B, T, H, D), NNS_ERR_SIZE);
    CU_ASSERT_EQUAL(fwd(NULL, C, SIZE_MAX / 8, 1, H, D), NNS_ERR_SIZE); /* bytes of q */
    /* The workspace alone overflows (b = 0 keeps every other product small). */
    CU_ASSERT_EQUAL(fwd(NULL, C, 0, SIZE_MAX / 2, H, D), NNS_ERR_SIZE);
    CU_ASSERT_EQUAL(bwd(NULL, C, 0, SIZE_MAX / 2, H, D), NNS_ERR_SIZE);
    CU_ASSERT_EQUAL(nns_attention_fwd_workspace_size(SIZE_MAX / 2, D), SIZE_MAX);
    CU_ASSERT_EQUAL(nns_attention_bwd_workspace_size(SIZE_MAX / 2, D), SIZE_MAX);
    CU_ASSERT_EQUAL(nns_attention_bwd_workspace_size(1, SIZE_MAX), SIZE_MAX);
    CU_ASSERT_NOT_EQUAL(nns_attention_fwd_workspace_size(0, 0), SIZE_MAX);
    CU_ASSERT_NOT_EQUAL(nns_attention_bwd_workspace_size(4096, 64), SIZE_MAX);
}

static void test_attention_arg(void)
{
    fill();
    /* Rows overlap: ld < h*d. */
    CU_ASSERT_EQUAL(fwd(NULL, C - 1, B, T, H, D), NNS_ERR_ARG);
    CU_ASSERT_EQUAL(bwd(NULL, C - 1, B, T, H, D), NNS_ERR_ARG);
    /* Lengths outside [0, t]. */
    const int32_t neg[B] = {3, -1}, big[B] = {T + 1, 2}, edge[B] = {T, 0};
    CU_ASSERT_EQUAL(fwd(neg, C, B, T, H, D), NNS_ERR_ARG);
    CU_ASSERT_EQUAL(bwd(neg, C, B, T, H, D), NNS_ERR_ARG);
    CU_ASSERT_EQUAL(fwd(big, C, B, T, H, D), NNS_ERR_ARG);
    CU_ASSERT_EQUAL(bwd(big, C, B, T, H, D), NNS_ERR_ARG);
    CU_ASSERT_EQUAL(fwd(edge, C, B, T, H, D), NNS_OK);
    CU_ASSERT_EQUAL(bwd(edge, C, B, T, H, D), NNS_OK);
}

int register_api_attention_suite(void)
{
    CU_pSuite s = CU_add_suite("api_attention", NULL, NULL);
    if (!s || !CU_add_test(s, "ok", test_attention_ok) ||
        !CU_add_test(s, "null", test_attention_null) ||
        !CU_add_test(s, "empty", test_attention_empty) ||
        !CU_add_test(s, "size", test_attention_size) || !CU_add_test(s, "arg", test_attention_arg))
        return CU_get_error();
    return 0;
}
