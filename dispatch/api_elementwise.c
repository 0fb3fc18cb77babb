/* Public entry points of the elementwise helpers and dropout: argument checks, then the
 * active variant. */
#include "nnsimd_internal.h"

/* n floats: the byte count must not overflow; buffers needed when n > 0. */
static nns_status check_arrays(const void *a, const void *b, const void *c, size_t n)
{
    if (nns_mul_overflows(n, sizeof(float))) return NNS_ERR_SIZE;
    if (n > 0 && (!a || !b || !c)) return NNS_ERR_NULL;
    return NNS_OK;
}

nns_status nns_add(float *out, const float *a, const float *b, size_t n)
{
    NNS_ACTIVE_OR_RETURN(t);
    nns_status st = check_arrays(out, a, b, n);
    if (st == NNS_OK) t->add(out, a, b, n);
    return st;
}

/* Mean pooling: b*t*c floats must not overflow; the (b,c) buffer is needed
 * when b*c > 0, the (b,t,c) one when b*t*c > 0 (with t = 0 the forward
 * writes zeros and reads nothing, so `in` may be NULL); lengths, when
 * given, must lie in [0, t] (NNS_ERR_ARG): a longer one would read past
 * its sequence. That check is one pass over b lengths, none per element. */
static nns_status check_pool(const void *big, const void *small, const int32_t *lengths,
                             size_t b, size_t t, size_t c)
{
    if (nns_mul_overflows(b, t) || nns_mul_overflows(b * t, c) ||
        nns_mul_overflows(b * t * c, sizeof(float)))
        return NNS_ERR_SIZE;
    if (b * c > 0 && !small) return NNS_ERR_NULL;
    if (b * t * c > 0 && !big) return NNS_ERR_NULL;
    for (size_t s = 0; lengths && s < b; s++)
        if (lengths[s] < 0 || (uint64_t)lengths[s] > (uint64_t)t) return NNS_ERR_ARG;
    return NNS_OK;
}

nns_status nns_mean_pool_fwd(float *out, const float *in, const int32_t *lengths, size_t b,
                             size_t t, size_t c)
{
    NNS_ACTIVE_OR_RETURN(tab);
    nns_status st = check_pool(in, out, lengths, b, t, c);
    if (st == NNS_OK && b * c > 0) tab->mean_pool_fwd(out, in, lengths, b, t, c);
    return st;
}

nns_status nns_mean_pool_bwd(float *din, const float *dout, const int32_t *lengths, size_t b,
                             size_t t, size_t c)
{
    NNS_ACTIVE_OR_RETURN(tab);
    nns_status st = check_pool(din, dout, lengths, b, t, c);
    if (st == NNS_OK && b * t * c > 0) tab->mean_pool_bwd(din, dout, lengths, b, t, c);
    return st;
}

/* *out is always written (0 for n = 0), so out is always required. */
nns_status nns_sum_squares(float *out, const float *x, size_t n)
{
    NNS_ACTIVE_OR_RETURN(t);
    if (nns_mul_overflows(n, sizeof(float))) return NNS_ERR_SIZE;
    if (!out || (n > 0 && !x)) return NNS_ERR_NULL;
    t->sum_squares(out, x, n);
    return NNS_OK;
}

nns_status nns_scale(float *out, const float *in, float s, size_t n)
{
    NNS_ACTIVE_OR_RETURN(t);
    nns_status st = check_arrays(out, in, in, n);
    if (st == NNS_OK) t->scale(out, in, s, n);
    return st;
}

/* The element indices offset .. offset + n - 1 must fit the mask's 32-bit
 * counter (a larger tensor would repeat its mask). */
nns_status nns_dropout(float *out, const float *in, size_t n, float p, uint64_t seed,
                       size_t offset)
{
    NNS_ACTIVE_OR_RETURN(t);
    nns_status st = check_arrays(out, in, in, n);
    if (st != NNS_OK) return st;
    if (!(p >= 0.0f && p <= 1.0f)) return NNS_ERR_ARG;
    const uint64_t span = (uint64_t)UINT32_MAX + 1;
    if ((uint64_t)n > span || (uint64_t)offset > span - (uint64_t)n) return NNS_ERR_SIZE;
    t->dropout(out, in, n, p, seed, offset);
    return NNS_OK;
}
