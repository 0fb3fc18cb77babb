/* Helpers of the PyTorch-fixture suites (tests/suite/test_fixtures_*.c). */
#ifndef NNS_FIXTURES_H
#define NNS_FIXTURES_H

#include "safetensors.h"

#include <stddef.h>

/* Opens tests/fixtures/<stem>.safetensors (NNSIMD_FIXTURES names another
 * folder); NULL, with a failed assertion and the reader's message, if it
 * cannot. */
st_file *fixture_open(const char *stem);
/* A float tensor that must exist with n elements (a failed assertion
 * and NULL otherwise). */
const float *fixture_f32(const st_file *f, const char *name, size_t n);

/* Worst errors of one kernel over its fixtures, as fractions of the bounds. */
typedef struct fixture_stats {
    double vs_truth, vs_torch;
    size_t elements;
} fixture_stats;

/* For each i: |ours - truth| <= bound and |ours - torch| <= bound + torch_bound
 * (torch_bound NULL: torch is held to our bound, so 2 * bound), for finite
 * values; NaN/Inf must sit at the same places. Failures are CUnit
 * assertions naming `what` and the element. */
void fixture_compare(const char *what, const float *ours, const float *torch,
                     const double *truth, const double *bound, const double *torch_bound,
                     size_t n, fixture_stats *s);
/* One line: the kernel's worst ratios. */
void fixture_report(const char *kernel, const fixture_stats *s);

#endif
