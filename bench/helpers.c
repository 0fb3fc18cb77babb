/* Helpers shared by the benchmark programs (bench/bench.h): aligned
 * buffers, seeded fills and shape names. */
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>

float *nnsb_alloc_floats(size_t n)
{
    if (n == 0 || n > ((size_t)-1 - 63) / sizeof(float)) return NULL;
    size_t bytes = (n * sizeof(float) + 63) & ~(size_t)63;
    return aligned_alloc(64, bytes);
}

static uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

void nnsb_fill_uniform(float *p, size_t n, float lo, float hi, uint64_t seed)
{
    const float scale = (hi - lo) * 0x1p-24f;
    for (size_t i = 0; i < n; i++) p[i] = lo + scale * (float)(splitmix64(&seed) >> 40);
}

void nnsb_shape_name(char *buf, size_t size, const nnsb_spec *spec, const nnsb_shape *s)
{
    size_t len = 0;
    buf[0] = '\0';
    for (size_t d = 0; d < NNSB_MAX_DIMS && spec->dims[d] && len < size; d++)
        len += (size_t)snprintf(buf + len, size - len, "%s%c%zu", d ? "_" : "", spec->dims[d], s->d[d]);
}
