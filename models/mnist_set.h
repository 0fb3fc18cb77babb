/* MNIST images as a model's input: a set of images kept as the loaded
 * bytes, expanded into normalized float rows as a batch is drawn. Shared
 * by `nnsimd train mlp` and the paired thread benchmark
 * (bench/paired/mlp_threads.c). */
#ifndef NNS_MNIST_SET_H
#define NNS_MNIST_SET_H

#include "mnist.h"

#include <stddef.h>
#include <stdint.h>

/* A set of images as their pixels, in place in the loaded file, and the
 * float each byte stands for: (pixel/255 - mean) / std, a function of the
 * byte alone, so a 256-entry table gives exactly the floats a normalized
 * copy would hold. A batch is expanded from it as it is drawn: a quarter
 * of the bytes a float copy of the set would read from memory, and a
 * quarter of its size (60,000 images: 47 MB, not 188). */
typedef struct nns_mnist_set {
    size_t count, dim;
    const uint8_t *pixels;
    float value[256];
    int32_t *y;
} nns_mnist_set;

/* Images [from, from + count) of src, normalized with mean and std. 0, or
 * -1 out of memory. */
int nns_mnist_set_make(nns_mnist_set *d, const nns_mnist *src, size_t from, size_t count,
                       float mean, float std);
void nns_mnist_set_free(nns_mnist_set *d);

/* Mean and standard deviation of the first `count` images' pixels, scaled
 * to [0, 1]. */
void nns_mnist_pixel_stats(const nns_mnist *m, size_t count, float *mean, float *std);

/* The normalized rows [lo, hi) of the images idx[0..n) (or, idx NULL, of
 * from..from+n) into the same rows of out (n x dim). */
void nns_mnist_set_expand(const nns_mnist_set *d, float *out, const uint32_t *idx, size_t from,
                          size_t lo, size_t hi);

/* All n rows from `from`, on `threads` OpenMP threads (evaluation batches). */
void nns_mnist_set_expand_all(const nns_mnist_set *d, float *out, size_t from, size_t n,
                              int threads);

/* A training batch, the images idx[0..n) of d, as nns_mlp_train_step's
 * fill callback: nns_mnist_batch_fill(&batch, input, lo, hi). */
typedef struct nns_mnist_batch {
    const nns_mnist_set *d;
    const uint32_t *idx;
} nns_mnist_batch;
void nns_mnist_batch_fill(void *batch, float *input, size_t lo, size_t hi);

#endif
