/* MNIST images as a model's input (mnist_set.h). */
#include "mnist_set.h"

#include "share.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

int nns_mnist_set_make(nns_mnist_set *d, const nns_mnist *src, size_t from, size_t count,
                       float mean, float std)
{
    d->count = count;
    d->dim = src->rows * src->cols;
    d->pixels = src->pixels + from * d->dim;
    for (int b = 0; b < 256; b++) d->value[b] = ((float)b / 255.0f - mean) / std;
    d->y = malloc(count * sizeof *d->y);
    if (!d->y) return -1;
    for (size_t i = 0; i < count; i++) d->y[i] = src->labels[from + i];
    return 0;
}

void nns_mnist_set_free(nns_mnist_set *d)
{
    free(d->y);
    memset(d, 0, sizeof *d);
}

void nns_mnist_pixel_stats(const nns_mnist *m, size_t count, float *mean, float *std)
{
    double s = 0, s2 = 0;
    size_t n = count * m->rows * m->cols;
    for (size_t i = 0; i < n; i++) {
        double v = m->pixels[i] / 255.0;
        s += v, s2 += v * v;
    }
    *mean = (float)(s / (double)n);
    *std = (float)sqrt(s2 / (double)n - (s / (double)n) * (s / (double)n));
}

static const uint8_t *set_row(const nns_mnist_set *d, const uint32_t *idx, size_t from, size_t i)
{
    return d->pixels + (idx ? idx[i] : from + i) * d->dim;
}

/* Asks for every cache line of a row's bytes. */
static void prefetch_row(const uint8_t *p, size_t dim)
{
    for (size_t j = 0; j < dim; j += 64) __builtin_prefetch(p + j);
    __builtin_prefetch(p + dim - 1);
}

/* The rows' bytes are all asked for first, so that their misses overlap:
 * a drawn row is a few cache lines somewhere in memory, which the byte
 * loop alone would fetch about one miss at a time (a scratch test of 128
 * rows from cold memory: 130 us without, 56 with; a float copy of the
 * rows, 95). */
void nns_mnist_set_expand(const nns_mnist_set *d, float *out, const uint32_t *idx, size_t from,
                          size_t lo, size_t hi)
{
    for (size_t i = lo; i < hi; i++) prefetch_row(set_row(d, idx, from, i), d->dim);
    for (size_t i = lo; i < hi; i++) {
        const uint8_t *p = set_row(d, idx, from, i);
        float *o = out + i * d->dim;
        for (size_t j = 0; j < d->dim; j++) o[j] = d->value[p[j]];
    }
}

void nns_mnist_set_expand_all(const nns_mnist_set *d, float *out, size_t from, size_t n,
                              int threads)
{
#pragma omp parallel num_threads(threads)
    {
        size_t lo, hi;
        nns_share(n, omp_get_thread_num(), omp_get_num_threads(), &lo, &hi);
        nns_mnist_set_expand(d, out, NULL, from, lo, hi);
    }
}

void nns_mnist_batch_fill(void *batch, float *input, size_t lo, size_t hi)
{
    const nns_mnist_batch *b = batch;
    nns_mnist_set_expand(b->d, input, b->idx, 0, lo, hi);
}
