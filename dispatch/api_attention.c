/* Public entry points of the attention family: argument checks, then the
 * active variant.
 *
 * Checks, in this order:
 *   NNS_ERR_SIZE  a product of b, t, h, d, ld (and sizeof(float)) overflows
 *                 size_t, or the workspace size does;
 *   NNS_ERR_NULL  a buffer of a call with work to do is NULL (lengths may
 *                 always be NULL: all t positions valid);
 *   NNS_ERR_ARG   ld < h*d (rows overlap), or a length outside [0, t].
 * A call with nothing to compute (b*h*t = 0 for the forward, b*t*h*d = 0
 * for the backward, which has no gradient element then) returns NNS_OK
 * without touching any pointer. */
#include "nnsimd_internal.h"

/* 1 if n floats' bytes overflow size_t. */
static int floats_overflow(size_t n)
{
    return nns_mul_overflows(n, sizeof(float));
}

/* Size checks common to both directions; *nc = b*t*h*d, *nl = b*h*t. */
static nns_status check_sizes(size_t ld, size_t b, size_t t, size_t h, size_t d, size_t *nc,
                              size_t *nl)
{
    if (nns_mul_overflows(b, t) || nns_mul_overflows(h, d)) return NNS_ERR_SIZE;
    const size_t rows = b * t, c = h * d;
    if (nns_mul_overflows(rows, ld) || floats_overflow(rows * ld)) return NNS_ERR_SIZE;
    if (nns_mul_overflows(rows, c) || floats_overflow(rows * c)) return NNS_ERR_SIZE;
    if (nns_mul_overflows(rows, h) || floats_overflow(rows * h)) return NNS_ERR_SIZE;
    *nc = rows * c;
    *nl = rows * h;
    return NNS_OK;
}

static nns_status check_layout(const int32_t *lengths, size_t ld, size_t b, size_t t, size_t h,
                               size_t d)
{
    if (ld < h * d) return NNS_ERR_ARG;
    for (size_t s = 0; lengths && s < b; s++)
        if (lengths[s] < 0 || (uint64_t)lengths[s] > (uint64_t)t) return NNS_ERR_ARG;
    return NNS_OK;
}

nns_status nns_attention_fwd(float *out, float *lse, const float *q, const float *k,
                             const float *v, size_t ld, const int32_t *lengths, size_t b, size_t t,
                             size_t h, size_t d, int causal, void *workspace)
{
    NNS_ACTIVE_OR_RETURN(tab);
    size_t nc, nl;
    nns_status st = check_sizes(ld, b, t, h, d, &nc, &nl);
    if (st != NNS_OK) return st;
    const size_t ws = tab->attention_fwd_workspace_size(t, d);
    if (ws == SIZE_MAX) return NNS_ERR_SIZE;
    if (nl == 0) return NNS_OK;
    /* d = 0 still gives lse = log(number of keys); the kernel forms row
     * pointers into q, k, v and out then, so they are required too. */
    if (!out || !lse || !q || !k || !v || (ws > 0 && !workspace)) return NNS_ERR_NULL;
    st = check_layout(lengths, ld, b, t, h, d);
    if (st == NNS_OK) tab->attention_fwd(out, lse, q, k, v, ld, lengths, b, t, h, d, causal, workspace);
    return st;
}

nns_status nns_attention_bwd(float *dq, float *dk, float *dv, const float *dout, const float *q,
                             const float *k, const float *v, const float *out, const float *lse,
                             size_t ld, const int32_t *lengths, size_t b, size_t t, size_t h,
                             size_t d, int causal, void *workspace)
{
    NNS_ACTIVE_OR_RETURN(tab);
    size_t nc, nl;
    nns_status st = check_sizes(ld, b, t, h, d, &nc, &nl);
    if (st != NNS_OK) return st;
    const size_t ws = tab->attention_bwd_workspace_size(t, d);
    if (ws == SIZE_MAX) return NNS_ERR_SIZE;
    if (nc == 0) return NNS_OK;
    if (!dq || !dk || !dv || !dout || !q || !k || !v || !out || !lse || (ws > 0 && !workspace))
        return NNS_ERR_NULL;
    st = check_layout(lengths, ld, b, t, h, d);
    if (st == NNS_OK)
        tab->attention_bwd(dq, dk, dv, dout, q, k, v, out, lse, ld, lengths, b, t, h, d, causal,
                           workspace);
    return st;
}

size_t nns_attention_fwd_workspace_size(size_t t, size_t d)
{
    nns_status st; /* on a selection error the kernels refuse to run anyway */
    return nns_active_table(&st)->attention_fwd_workspace_size(t, d);
}

size_t nns_attention_bwd_workspace_size(size_t t, size_t d)
{
    nns_status st;
    return nns_active_table(&st)->attention_bwd_workspace_size(t, d);
}
