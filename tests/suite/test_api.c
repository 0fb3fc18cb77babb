/* Argument checks at the public entry points. */
#include "suites.h"

#include "nnsimd.h"

#include <stdint.h>

typedef nns_status unary_fwd_api(float *, const float *, size_t);
typedef nns_status unary_bwd_api(float *, const float *, const float *, size_t);

static unary_fwd_api *const fwd_apis[] = {nns_relu_fwd, nns_gelu_fwd, nns_gelu_tanh_fwd};
static unary_bwd_api *const bwd_apis[] = {nns_relu_bwd, nns_gelu_bwd, nns_gelu_tanh_bwd};

static void test_unary_arguments(void)
{
    float x[4] = {1, -1, 0.5f, 2}, y[4] = {0}, d[4] = {0};
    for (size_t i = 0; i < sizeof fwd_apis / sizeof fwd_apis[0]; i++) {
        CU_ASSERT_EQUAL(fwd_apis[i](y, x, 4), NNS_OK);
        CU_ASSERT_EQUAL(fwd_apis[i](NULL, x, 4), NNS_ERR_NULL);
        CU_ASSERT_EQUAL(fwd_apis[i](y, NULL, 4), NNS_ERR_NULL);
        CU_ASSERT_EQUAL(fwd_apis[i](NULL, NULL, 0), NNS_OK); /* nothing to touch */
        CU_ASSERT_EQUAL(fwd_apis[i](y, x, SIZE_MAX / 2), NNS_ERR_SIZE);
        CU_ASSERT_EQUAL(bwd_apis[i](d, y, x, 4), NNS_OK);
        CU_ASSERT_EQUAL(bwd_apis[i](NULL, y, x, 4), NNS_ERR_NULL);
        CU_ASSERT_EQUAL(bwd_apis[i](d, NULL, x, 4), NNS_ERR_NULL);
        CU_ASSERT_EQUAL(bwd_apis[i](d, y, NULL, 4), NNS_ERR_NULL);
        CU_ASSERT_EQUAL(bwd_apis[i](NULL, NULL, NULL, 0), NNS_OK);
        CU_ASSERT_EQUAL(bwd_apis[i](d, y, x, SIZE_MAX / 4 + 1), NNS_ERR_SIZE);
    }
}

static void test_status_strings(void)
{
    for (int s = NNS_OK; s <= NNS_ERR_ISA_UNKNOWN; s++)
        CU_ASSERT_PTR_NOT_NULL(nns_status_str((nns_status)s));
    CU_ASSERT_STRING_EQUAL(nns_status_str((nns_status)77), "unknown status");
}

int register_api_suite(void)
{
    CU_pSuite s = CU_add_suite("api", NULL, NULL);
    if (!s || !CU_add_test(s, "unary_arguments", test_unary_arguments) ||
        !CU_add_test(s, "status_strings", test_status_strings))
        return CU_get_error();
    return 0;
}
