/* Scalar reference embedding: the lookup and its scatter-add backward.
 * Compiled with -O2 -fno-tree-vectorize: straight loops, the ground truth
 * every SIMD variant is checked against. Ids are trusted to lie in [0, V)
 * (the caller's contract, see nnsimd.h): nothing here range-checks them. */
#include "nnsimd_internal.h"

/* out[i,:] = weight[ids[i],:]: a copy, exact. */
void nns_embedding_fwd__scalar(float *out, const int32_t *ids, const float *weight, size_t n,
                               size_t c)
{
    if (c == 0) return; /* no row to copy: ids are not read */
    for (size_t i = 0; i < n; i++) {
        const float *row = weight + (size_t)ids[i] * c;
        for (size_t j = 0; j < c; j++) out[i * c + j] = row[j];
    }
}

/* dweight[ids[i],:] += dout[i,:], in order of i: a row that several ids
 * name accumulates their gradients in that order. */
void nns_embedding_bwd__scalar(float *dweight, const float *dout, const int32_t *ids, size_t n,
                               size_t c)
{
    if (c == 0) return;
    for (size_t i = 0; i < n; i++) {
        float *row = dweight + (size_t)ids[i] * c;
        for (size_t j = 0; j < c; j++) row[j] += dout[i * c + j];
    }
}
