/* Truth and per-element bounds of the embedding family, on explicit
 * inputs: shared by the checker (check_embedding.c) and the PyTorch
 * fixture suite. Each bound is the tolerance table's factor * U * S plus
 * its floor, S derived in check_embedding.c. */
#ifndef NNS_CHECK_EMBEDDING_H
#define NNS_CHECK_EMBEDDING_H

#include <stddef.h>
#include <stdint.h>

/* out (n,c) = weight[ids[i],:]: truth and bound (0: exact). */
void chk_truth_embedding_fwd(const int32_t *ids, const float *weight, size_t n, size_t c,
                             double *truth, double *bound);
/* dweight (v,c) after dweight0 += the scatter of dout (n,c) by ids, in
 * order of i: truth and bound per element of dweight. Ids in [0, v). */
void chk_truth_embedding_bwd(const float *dweight0, const float *dout, const int32_t *ids,
                             size_t n, size_t c, size_t v, double *truth, double *bound);

#endif
