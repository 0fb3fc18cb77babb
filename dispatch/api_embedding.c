/* Public entry points of the embedding family: argument checks, then the
 * active variant.
 *
 * Checked: the size product n*c (and its bytes) must not overflow size_t,
 * and out/dweight, ids and weight/dout must not be NULL when n*c > 0.
 * Not checked, and not checkable here (the table's V is not passed): that
 * ids lie in [0, V). That is the caller's contract (nnsimd.h); the models
 * check their token ids when they read them. With n*c = 0 nothing is read
 * or written, so the variant is not called at all. */
#include "nnsimd_internal.h"

static nns_status check_embedding(const void *a, const int32_t *ids, const void *b, size_t n,
                                  size_t c)
{
    if (nns_mul_overflows(n, c) || nns_mul_overflows(n * c, sizeof(float))) return NNS_ERR_SIZE;
    if (n * c > 0 && (!a || !ids || !b)) return NNS_ERR_NULL;
    return NNS_OK;
}

nns_status nns_embedding_fwd(float *out, const int32_t *ids, const float *weight, size_t n,
                             size_t c)
{
    NNS_ACTIVE_OR_RETURN(t);
    nns_status st = check_embedding(out, ids, weight, n, c);
    if (st == NNS_OK && n * c > 0) t->embedding_fwd(out, ids, weight, n, c);
    return st;
}

nns_status nns_embedding_bwd(float *dweight, const float *dout, const int32_t *ids, size_t n,
                             size_t c)
{
    NNS_ACTIVE_OR_RETURN(t);
    nns_status st = check_embedding(dweight, ids, dout, n, c);
    if (st == NNS_OK && n * c > 0) t->embedding_bwd(dweight, dout, ids, n, c);
    return st;
}
