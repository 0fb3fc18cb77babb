/* Fuzz target: the PyTorch fixtures' path (tests/suite/fixtures.c over
 * st_open): fixture_open finds the file through NNSIMD_FIXTURES, then
 * every tensor is fetched by fixture_f32 with its size and a wrong one,
 * and the first is compared with itself by fixture_compare. The helpers
 * assert with CUnit, so each input runs as a CUnit test (CU_run_test,
 * which clears the previous run's failures); their printing goes to
 * /dev/null. */
#include "fuzz_common.h"

#include "fixtures.h"
#include "safetensors.h"

#include <CUnit/CUnit.h>
#include <CUnit/TestRun.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char file[512];
static CU_pSuite suite;
static CU_pTest test;

static void one_input(void)
{
    st_file *f = fixture_open("fz");
    if (f) {
        for (size_t i = 0; i < st_count(f); i++) {
            const char *name = st_name(f, i);
            size_t dims[8], n = 1;
            int rank = st_shape(f, name, dims, 8);
            for (int d = 0; d < rank; d++) n *= dims[d];
            const float *x = fixture_f32(f, name, n);
            (void)fixture_f32(f, name, n + 1);
            if (x && i == 0 && n <= 4096) {
                double *truth = malloc((n ? n : 1) * sizeof *truth);
                double *bound = malloc((n ? n : 1) * sizeof *bound);
                if (truth && bound) {
                    for (size_t k = 0; k < n; k++) truth[k] = x[k], bound[k] = 1;
                    fixture_stats s = {0, 0, 0};
                    fixture_compare(name, x, x, truth, bound, NULL, n, &s);
                }
                free(truth), free(bound);
            }
        }
        st_close(f);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!file[0]) {
        char dir[512];
        fz_mkdirs("fixtures");
        setenv("NNSIMD_FIXTURES", fz_path(dir, sizeof dir, "fixtures"), 1);
        fz_path(file, sizeof file, "fixtures/fz.safetensors");
        if (!freopen("/dev/null", "w", stdout)) abort();
        if (CU_initialize_registry() != CUE_SUCCESS || !(suite = CU_add_suite("fuzz", NULL, NULL)) ||
            !(test = CU_add_test(suite, "fixture", one_input)))
            abort();
        atexit(CU_cleanup_registry);
    }
    fz_write(file, data, size);
    if (CU_run_test(suite, test) != CUE_SUCCESS) abort();
    return 0;
}
