/* Helpers of the PyTorch-fixture suites. */
#include "fixtures.h"

#include <CUnit/CUnit.h>
#include <math.h>
#include <stdio.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* tests/fixtures of the project holding the test binary (build/, build/asan/,
 * build/aarch64/ are one to three folders below the top); the working
 * directory's tests/fixtures if that fails. */
static void fixture_dir(char *out, size_t len)
{
    const char *env = getenv("NNSIMD_FIXTURES");
    if (env && *env) {
        snprintf(out, len, "%s", env);
        return;
    }
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    for (int up = 0; n > 0 && up < 4; up++) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (!slash) break;
        *slash = '\0';
        n = (ssize_t)strlen(exe);
        snprintf(out, len, "%.4000s/tests/fixtures", exe);
        if (access(out, R_OK) == 0) return;
    }
    snprintf(out, len, "tests/fixtures");
}

st_file *fixture_open(const char *stem)
{
    char dir[PATH_MAX + 32], path[PATH_MAX + 160], err[256];
    fixture_dir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/%s.safetensors", dir, stem);
    st_file *f = st_open(path, err, sizeof err);
    if (!f) {
        printf("\n    %s\n", err);
        CU_FAIL("fixture cannot be read");
    }
    return f;
}

const float *fixture_f32(const st_file *f, const char *name, size_t n)
{
    size_t count = 0;
    const float *p = st_f32(f, name, &count);
    if (!p || count != n) {
        printf("\n    fixture tensor %s: %s\n", name, p ? "wrong size" : "missing");
        CU_FAIL("fixture tensor missing or of the wrong size");
        return NULL;
    }
    return p;
}

void fixture_compare(const char *what, const float *ours, const float *torch,
                     const double *truth, const double *bound, const double *torch_bound,
                     size_t n, fixture_stats *s)
{
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(ours[i]) || !isfinite(torch[i])) {
            int same = isnan(ours[i]) ? isnan(torch[i]) : ours[i] == torch[i];
            if (!same) printf("\n    %s[%zu]: ours %g, torch %g", what, i, (double)ours[i], (double)torch[i]);
            CU_ASSERT(same);
            continue;
        }
        double b = bound[i], bt = b + (torch_bound ? torch_bound[i] : b);
        double et = fabs(ours[i] - truth[i]) / b, eo = fabs((double)ours[i] - torch[i]) / bt;
        if (et > s->vs_truth) s->vs_truth = et;
        if (eo > s->vs_torch) s->vs_torch = eo;
        s->elements++;
        if (et > 1 || eo > 1)
            printf("\n    %s[%zu]: ours %.9g, torch %.9g, truth %.9g, bound %.3g (torch %.3g)", what,
                   i, (double)ours[i], (double)torch[i], truth[i], b, bt - b);
        CU_ASSERT(et <= 1);
        CU_ASSERT(eo <= 1);
    }
}

void fixture_report(const char *kernel, const fixture_stats *s)
{
    printf("\n    %-16s vs torch %.3g of bound, vs truth %.3g of bound, %zu elements", kernel,
           s->vs_torch, s->vs_truth, s->elements);
}
