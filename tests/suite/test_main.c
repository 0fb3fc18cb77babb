/* nnsimd-test: the CUnit suites. Skipped tests (an ISA the CPU lacks) are
 * registered inactive and printed as SKIPPED; the exit status comes from
 * CU_get_number_of_failures(). */
#include "suites.h"

#include <CUnit/Basic.h>
#include <stdio.h>
#include <string.h>

static unsigned skipped;

void skip_test(CU_pTest test, const char *suite, const char *why)
{
    CU_set_test_active(test, CU_FALSE);
    printf("SKIPPED %s/%s: %s\n", suite, test->pName, why);
    skipped++;
}

int main(int argc, char **argv)
{
    if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        printf("usage: nnsimd-test\n"
               "Runs the verification suites (every kernel on every ISA this CPU has),\n"
               "the dispatch, API and checker tests. NNSIMD_CHECK_LIGHT=1 selects the\n"
               "lighter size sweep used under emulation. Exit status: 0 if all pass.\n");
        return 0;
    }
    if (CU_initialize_registry() != CUE_SUCCESS) return 2;
    CU_set_fail_on_inactive(CU_FALSE);
    if (register_dispatch_suite() || register_api_suite() || register_checker_suite() ||
        register_verify_suites() || register_fixtures_activation_suite() ||
        register_api_linear_suite() || register_fixtures_linear_suite() ||
        register_safetensors_suite() || register_mlp_suite() ||
        register_api_embedding_elementwise_suite() ||
        register_fixtures_embedding_elementwise_suite() || register_mnist_suite() ||
        register_api_attention_suite() ||
        register_fixtures_attention_suite() ||
        register_api_loss_optim_suite() || register_fixtures_loss_optim_suite() ||
        register_imdb_suite() || register_transformer_suite()) {
        fprintf(stderr, "nnsimd-test: cannot register suites: %s\n", CU_get_error_msg());
        CU_cleanup_registry();
        return 2;
    }
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failures = CU_get_number_of_failures();
    unsigned run = CU_get_number_of_tests_run();
    unsigned failed_tests = CU_get_number_of_tests_failed();
    printf("\nnnsimd-test summary: %u tests run, %u failed, %u skipped, %u assertion failures\n",
           run, failed_tests, skipped, failures);
    CU_cleanup_registry();
    return failures ? 1 : 0;
}
