/* What the paired benchmarks share: a monotonic clock and the quantiles
 * their reports quote. */
#ifndef NNSP_ROUNDS_H
#define NNSP_ROUNDS_H

#include <stdlib.h>
#include <time.h>

static inline double nnsp_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static inline int nnsp_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The q-quantile of v[0..n) (sorts v), interpolating between neighbours. */
static inline double nnsp_quantile(double *v, int n, double q)
{
    qsort(v, (size_t)n, sizeof *v, nnsp_cmp_double);
    double at = q * (n - 1);
    int i = (int)at;
    return i + 1 < n ? v[i] + (at - i) * (v[i + 1] - v[i]) : v[i];
}

#endif
