/* Public entry points of layer normalization: argument checks, then the
 * active variant.
 *
 * Checked:
 *   - NNS_ERR_SIZE: n*c floats overflow size_t (in bytes);
 *   - NNS_ERR_ARG: eps is negative or NaN (the forward). torch does not
 *     validate eps, but var + eps < 0 would make rstd NaN for every row
 *     with a small variance; a NaN eps makes every output NaN. eps = 0
 *     and eps = +Inf are accepted (rstd = 1/sqrt(var), rstd = 0);
 *   - NNS_ERR_NULL: every buffer is required where its size is > 0:
 *     out, in, din, dout (n*c); mean, rstd (n); weight, bias, dweight,
 *     dbias (c). The header marks none of them optional.
 * With n = 0 nothing is read or written, and the variant is not called.
 * With c = 0 (and n > 0) the forward writes mean = rstd = NaN (the mean
 * of an empty row, as torch) and the backward adds nothing. */
#include "nnsimd_internal.h"

static nns_status check_sizes(size_t n, size_t c)
{
    if (nns_mul_overflows(n, c) || nns_mul_overflows(n * c, sizeof(float)) ||
        nns_mul_overflows(n, sizeof(float)) || nns_mul_overflows(c, sizeof(float)))
        return NNS_ERR_SIZE;
    return NNS_OK;
}

nns_status nns_layernorm_fwd(float *out, float *mean, float *rstd, const float *in,
                             const float *weight, const float *bias, size_t n, size_t c, float eps)
{
    NNS_ACTIVE_OR_RETURN(t);
    nns_status st = check_sizes(n, c);
    if (st != NNS_OK) return st;
    if (!(eps >= 0.0f)) return NNS_ERR_ARG;
    if ((n * c > 0 && (!out || !in)) || (n > 0 && (!mean || !rstd)) ||
        (c > 0 && (!weight || !bias)))
        return NNS_ERR_NULL;
    if (n > 0) t->layernorm_fwd(out, mean, rstd, in, weight, bias, n, c, eps);
    return NNS_OK;
}

nns_status nns_layernorm_bwd(float *din, float *dweight, float *dbias, const float *dout,
                             const float *in, const float *weight, const float *mean,
                             const float *rstd, size_t n, size_t c)
{
    NNS_ACTIVE_OR_RETURN(t);
    nns_status st = check_sizes(n, c);
    if (st != NNS_OK) return st;
    if ((n * c > 0 && (!din || !dout || !in)) || (n > 0 && (!mean || !rstd)) ||
        (c > 0 && (!weight || !dweight || !dbias)))
        return NNS_ERR_NULL;
    if (n * c > 0) t->layernorm_bwd(din, dweight, dbias, dout, in, weight, mean, rstd, n, c);
    return NNS_OK;
}
