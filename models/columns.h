/* The columns [lo, lo + cnt) of an n-row, row-major matrix with ld floats
 * a row, copied to or from a dense n x cnt matrix: how the models hand a
 * thread's slice of output features to a kernel that takes dense rows. */
#ifndef NNS_COLUMNS_H
#define NNS_COLUMNS_H

#include <stddef.h>
#include <string.h>

static inline void nns_columns_gather(float *dense, const float *m, size_t n, size_t ld, size_t lo,
                                      size_t cnt)
{
    for (size_t r = 0; r < n; r++) memcpy(dense + r * cnt, m + r * ld + lo, cnt * sizeof(float));
}

static inline void nns_columns_scatter(float *m, const float *dense, size_t n, size_t ld, size_t lo,
                                       size_t cnt)
{
    for (size_t r = 0; r < n; r++) memcpy(m + r * ld + lo, dense + r * cnt, cnt * sizeof(float));
}

/* The columns [lo, lo + cnt) of m as a dense n x cnt matrix: m itself when
 * they are all of its columns, else their copy in `scratch`. */
static inline const float *nns_columns_dense(float *scratch, const float *m, size_t n, size_t ld,
                                             size_t lo, size_t cnt)
{
    if (cnt == ld) return m;
    nns_columns_gather(scratch, m, n, ld, lo, cnt);
    return scratch;
}

#endif
