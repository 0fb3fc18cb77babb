/* Argument checks at the public entry points of the embedding family and
 * the elementwise helpers: every status each can return, and calls with
 * nothing to do (NULL buffers allowed). Ids are not range-checked by
 * anyone: the API cannot (V is not passed) and the variants trust them. */
#include "suites.h"

#include "nnsimd.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

static void test_embedding_arguments(void)
{
    const float w[3 * 2] = {1, 2, 3, 4, 5, 6};
    const int32_t ids[4] = {2, 0, 2, 1}, bad_ids[1] = {-5};
    float out[4 * 2], dw[3 * 2] = {0};
    CU_ASSERT_EQUAL(nns_embedding_fwd(out, ids, w, 4, 2), NNS_OK);
    CU_ASSERT_EQUAL(out[0], 5.0f);
    CU_ASSERT_EQUAL(out[7], 4.0f);
    CU_ASSERT_EQUAL(nns_embedding_fwd(NULL, ids, w, 4, 2), NNS_ERR_NULL);
    CU_ASSERT_EQUAL(nns_embedding_fwd(out, NULL, w, 4, 2), NNS_ERR_NULL);
    CU_ASSERT_EQUAL(nns_embedding_fwd(out, ids, NULL, 4, 2), NNS_ERR_NULL);
    CU_ASSERT_EQUAL(nns_embedding_fwd(NULL, NULL, NULL, 0, 2), NNS_OK);
    CU_ASSERT_EQUAL(nns_embedding_fwd(NULL, NULL, NULL, 4, 0), NNS_OK);
    /* n*c = 0: nothing is read, not even an id outside any table. */
    CU_ASSERT_EQUAL(nns_embedding_fwd(out, bad_ids, w, 1, 0), NNS_OK);
    CU_ASSERT_EQUAL(nns_embedding_fwd(out, ids, w, SIZE_MAX / 2, 4), NNS_ERR_SIZE);
    CU_ASSERT_EQUAL(nns_embedding_fwd(out, ids, w, SIZE_MAX / 8 + 1, 2), NNS_ERR_SIZE); /* bytes */

    float dout[4 * 2] = {1, 1, 2, 2, 3, 3, 4, 4};
    CU_ASSERT_EQUAL(nns_embedding_bwd(dw, dout, ids, 4, 2), NNS_OK);
    CU_ASSERT_EQUAL(dw[4], 4.0f); /* row 2 named twice: 1 + 3 */
    CU_ASSERT_EQUAL(nns_embedding_bwd(dw, dout, ids, 4, 2), NNS_OK);
    CU_ASSERT_EQUAL(dw[4], 8.0f); /* accumulates */
    CU_ASSERT_EQUAL(nns_embedding_bwd(NULL, dout, ids, 4, 2), NNS_ERR_NULL);
    CU_ASSERT_EQUAL(nns_embedding_bwd(dw, NULL, ids, 4, 2), NNS_ERR_NULL);
    CU_ASSERT_EQUAL(nns_embedding_bwd(dw, dout, NULL, 4, 2), NNS_ERR_NULL);
    CU_ASSERT_EQUAL(nns_embedding_bwd(NULL, NULL, NULL, 0, 7), NNS_OK);
    CU_ASSERT_EQUAL(nns_embedding_bwd(dw, dout, bad_ids, 1, 0), NNS_OK);
    CU_ASSERT_EQUAL(nns_embedding_bwd(dw, dout, ids, 3, SIZE_MAX / 2), NNS_ERR_SIZE);
    CU_ASSERT_EQUAL(nns_embedding_bwd(dw, dout, ids, 2, SIZE_MAX / 8 + 1), NNS_ERR_SIZE);
}

static void test_add_scale_arguments(void)
{
    float a[3] = {1, 2, 3}, b[3] = {4, 5, 6}, y[3];
    CU_ASSERT_EQUAL(nns_add(y, a, b, 3), NNS_OK);
    CU_ASSERT_EQUAL(y[2], 9.0f);
    CU_ASSERT_EQUAL(nns_add(a, a, b, 3), NNS_OK); /* out == a */
    CU_ASSERT_EQUAL(a[0], 5.0f);
    CU_ASSERT_EQUAL(nns_add(b, a, b, 3), NNS_OK); /* out == b */
    CU_ASSERT_EQUAL(b[0], 9.0f);
    CU_ASSERT_EQUAL(nns_add(NULL, a, b, 3), NNS_ERR_NULL);
    CU_ASSERT_EQUAL(nns_add(y, NULL, b, 3), NNS_ERR_NULL);
    CU_ASSERT_EQUAL(nns_add(y, a, NULL, 3), NNS_ERR_NULL);
    CU_ASSERT_EQUAL(nns_add(NULL, NULL, NULL, 0), NNS_OK);
    CU_ASSERT_EQUAL(nns_add(y, a, b, SIZE_MAX / 4 + 1), NNS_ERR_SIZE);

    CU_ASSERT_EQUAL(nns_scale(y, a, 0.5f, 3), NNS_OK);
    CU_ASSERT_EQUAL(y[0], 2.5f);
    CU_ASSERT_EQUAL(nns_scale(a, a, 2.0f, 3), NNS_OK); /* in place */
    CU_ASSERT_EQUAL(a[0], 10.0f);
    CU_ASSERT_EQUAL(nns_scale(NULL, a, 2.0f, 3), NNS_ERR_NULL);
    CU_ASSERT_EQUAL(nns_scale(y, NULL, 2.0f, 3), NNS_ERR_NULL);
    CU_ASSERT_EQUAL(nns_scale(NULL, NULL, 2.0f, 0), NNS_OK);
    CU_ASSERT_EQUAL(nns_scale(y, a, 2.0f, SIZE_MAX / 4 + 1), NNS_ERR_SIZE);
}

static void test_sum_squares_arguments(void)
{
    float x[3] = {1, 2, 3}, s = -1;
    CU_ASSERT_EQUAL(nns_sum_squares(&s, x, 3), NNS_OK);
    CU_ASSERT_EQUAL(s, 14.0f);
    CU_ASSERT_EQUAL(nns_sum_squares(&s, NULL, 0), NNS_OK); /* an empty sum is written: 0 */
    CU_ASSERT_EQUAL(s, 0.0f);
    CU_ASSERT_EQUAL(nns_sum_squares(&s, NULL, 3), NNS_ERR_NULL);
    /* The result is one float whatever n is: out is always required. */
    CU_ASSERT_EQUAL(nns_sum_squares(NULL, x, 3), NNS_ERR_NULL);
    CU_ASSERT_EQUAL(nns_sum_squares(NULL, NULL, 0), NNS_ERR_NULL);
    CU_ASSERT_EQUAL(nns_sum_squares(&s, x, SIZE_MAX / 4 + 1), NNS_ERR_SIZE);
}

static void test_dropout_arguments(void)
{
    float a[4] = {1, 2, 3, 4}, y[4], z[4];
    const uint64_t span = (uint64_t)UINT32_MAX + 1;
    CU_ASSERT_EQUAL(nns_dropout(y, a, 4, 0.5f, 7, 0), NNS_OK);
    CU_ASSERT_EQUAL(nns_dropout(a, a, 4, 0.5f, 7, 0), NNS_OK); /* in place */
    CU_ASSERT_EQUAL(memcmp(a, y, sizeof y), 0);
    CU_ASSERT_EQUAL(nns_dropout(z, y, 4, 0.0f, 7, 0), NNS_OK); /* p = 0: the identity */
    CU_ASSERT_EQUAL(memcmp(z, y, sizeof y), 0);
    CU_ASSERT_EQUAL(nns_dropout(z, y, 4, 1.0f, 7, 0), NNS_OK); /* p = 1: all dropped */
    for (int i = 0; i < 4; i++) CU_ASSERT_EQUAL(z[i], 0.0f);
    CU_ASSERT_EQUAL(nns_dropout(y, a, 4, -0.1f, 7, 0), NNS_ERR_ARG);
    CU_ASSERT_EQUAL(nns_dropout(y, a, 4, 1.5f, 7, 0), NNS_ERR_ARG);
    CU_ASSERT_EQUAL(nns_dropout(y, a, 4, NAN, 7, 0), NNS_ERR_ARG);
    CU_ASSERT_EQUAL(nns_dropout(NULL, a, 4, 0.5f, 7, 0), NNS_ERR_NULL);
    CU_ASSERT_EQUAL(nns_dropout(NULL, NULL, 0, 0.5f, 7, 0), NNS_OK);
    /* the 32-bit element counter: offset + n <= 2^32 */
    CU_ASSERT_EQUAL(nns_dropout(y, a, 4, 0.5f, 7, (size_t)(span - 4)), NNS_OK);
    CU_ASSERT_EQUAL(nns_dropout(y, a, 4, 0.5f, 7, (size_t)(span - 3)), NNS_ERR_SIZE);
    CU_ASSERT_EQUAL(nns_dropout(y, a, 1, 0.5f, 7, SIZE_MAX), NNS_ERR_SIZE);
}

static void test_mean_pool_arguments(void)
{
    /* b = 2, t = 3, c = 2 */
    float in[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, out[4], din[12] = {0};
    float dout[4] = {6, 6, 3, 3};
    int32_t len[2] = {3, 0}, bad[2] = {3, 4}, neg[2] = {-1, 2};
    CU_ASSERT_EQUAL(nns_mean_pool_fwd(out, in, len, 2, 3, 2), NNS_OK);
    CU_ASSERT_EQUAL(out[0], 3.0f);
    CU_ASSERT_EQUAL(out[2], 0.0f); /* length 0: zeros */
    CU_ASSERT_EQUAL(nns_mean_pool_fwd(out, in, NULL, 2, 3, 2), NNS_OK);
    CU_ASSERT_EQUAL(out[3], 10.0f);
    CU_ASSERT_EQUAL(nns_mean_pool_fwd(out, in, bad, 2, 3, 2), NNS_ERR_ARG);
    CU_ASSERT_EQUAL(nns_mean_pool_fwd(out, in, neg, 2, 3, 2), NNS_ERR_ARG);
    CU_ASSERT_EQUAL(nns_mean_pool_fwd(NULL, in, len, 2, 3, 2), NNS_ERR_NULL);
    CU_ASSERT_EQUAL(nns_mean_pool_fwd(out, NULL, len, 2, 3, 2), NNS_ERR_NULL);
    CU_ASSERT_EQUAL(nns_mean_pool_fwd(NULL, NULL, NULL, 0, 3, 2), NNS_OK);
    /* t = 0: every sequence is empty, nothing is read, zeros come out. */
    out[0] = 7;
    CU_ASSERT_EQUAL(nns_mean_pool_fwd(out, NULL, NULL, 2, 0, 2), NNS_OK);
    CU_ASSERT_EQUAL(out[0], 0.0f);
    CU_ASSERT_EQUAL(nns_mean_pool_fwd(out, in, NULL, SIZE_MAX / 2, 3, 1), NNS_ERR_SIZE);
    CU_ASSERT_EQUAL(nns_mean_pool_fwd(out, in, NULL, 3, SIZE_MAX / 4, 2), NNS_ERR_SIZE);
    CU_ASSERT_EQUAL(nns_mean_pool_fwd(out, in, NULL, 1, SIZE_MAX / 8 + 1, 2), NNS_ERR_SIZE);

    CU_ASSERT_EQUAL(nns_mean_pool_bwd(din, dout, len, 2, 3, 2), NNS_OK);
    CU_ASSERT_EQUAL(din[0], 2.0f);
    CU_ASSERT_EQUAL(din[6], 0.0f); /* length 0: untouched */
    CU_ASSERT_EQUAL(nns_mean_pool_bwd(din, dout, len, 2, 3, 2), NNS_OK);
    CU_ASSERT_EQUAL(din[0], 4.0f); /* accumulates */
    CU_ASSERT_EQUAL(nns_mean_pool_bwd(din, dout, bad, 2, 3, 2), NNS_ERR_ARG);
    CU_ASSERT_EQUAL(nns_mean_pool_bwd(din, dout, neg, 2, 3, 2), NNS_ERR_ARG);
    CU_ASSERT_EQUAL(nns_mean_pool_bwd(NULL, dout, len, 2, 3, 2), NNS_ERR_NULL);
    CU_ASSERT_EQUAL(nns_mean_pool_bwd(din, NULL, len, 2, 3, 2), NNS_ERR_NULL);
    CU_ASSERT_EQUAL(nns_mean_pool_bwd(NULL, NULL, NULL, 0, 3, 2), NNS_OK);
    CU_ASSERT_EQUAL(nns_mean_pool_bwd(NULL, dout, NULL, 2, 0, 2), NNS_OK);
    CU_ASSERT_EQUAL(nns_mean_pool_bwd(din, dout, NULL, SIZE_MAX / 2, 3, 1), NNS_ERR_SIZE);
    CU_ASSERT_EQUAL(nns_mean_pool_bwd(din, dout, NULL, 1, SIZE_MAX / 8 + 1, 2), NNS_ERR_SIZE);
}

int register_api_embedding_elementwise_suite(void)
{
    CU_pSuite s = CU_add_suite("api_embedding_elementwise", NULL, NULL);
    if (!s || !CU_add_test(s, "embedding_arguments", test_embedding_arguments) ||
        !CU_add_test(s, "add_scale_arguments", test_add_scale_arguments) ||
        !CU_add_test(s, "sum_squares_arguments", test_sum_squares_arguments) ||
        !CU_add_test(s, "dropout_arguments", test_dropout_arguments) ||
        !CU_add_test(s, "mean_pool_arguments", test_mean_pool_arguments))
        return CU_get_error();
    return 0;
}
