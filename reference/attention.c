/* Scalar reference of the multi-head self-attention core (nns_attention_fwd
 * and nns_attention_bwd in nnsimd.h). Compiled with -O2
 * -fno-tree-vectorize: straight loops, the ground truth every SIMD variant
 * is checked against.
 *
 * Layout: q, k, v are (b,t,h,d) inside rows of `ld` floats (ld = h*d for
 * separate tensors, 3*h*d for packed qkv); out and dout are dense
 * (b,t,h*d); lse is (b,h,t). For sequence s, head j and query row i the
 * valid keys are kk < n_keys(len, i) where len = lengths[s] (t if lengths
 * is NULL) and, if causal, kk <= i. Rows i >= len are padding.
 *
 * Workspace (from the caller, never allocated here):
 *   forward:  t floats, one row of scores, then of probabilities;
 *   backward: 2t + d floats, the rows p and ds, and a d-float accumulator
 *             of ds . k for dq. */
#include "nnsimd_internal.h"

#include <math.h>
#include <stdint.h>

/* Bytes of n floats, SIZE_MAX if that overflows. */
static size_t float_bytes(size_t n)
{
    return nns_mul_overflows(n, sizeof(float)) ? SIZE_MAX : n * sizeof(float);
}

size_t nns_attention_fwd_workspace_size__scalar(size_t t, size_t d)
{
    (void)d;
    return float_bytes(t);
}

size_t nns_attention_bwd_workspace_size__scalar(size_t t, size_t d)
{
    if (t > (SIZE_MAX - d) / 2) return SIZE_MAX;
    return float_bytes(2 * t + d);
}

/* 1/sqrt(d); d = 0 has empty dot products (scores 0), any scale will do. */
static float attn_scale(size_t d)
{
    return d ? 1.0f / sqrtf((float)d) : 1.0f;
}

static size_t seq_len(const int32_t *lengths, size_t s, size_t t)
{
    return lengths ? (size_t)lengths[s] : t;
}

/* Number of keys valid query row i < len attends to. */
static size_t n_keys(size_t len, size_t i, int causal)
{
    return causal && i + 1 < len ? i + 1 : len;
}

/* sum_c a[c] * b[c], in order of c. */
static float dot(const float *a, const float *b, size_t d)
{
    float acc = 0.0f;
    for (size_t c = 0; c < d; c++) acc += a[c] * b[c];
    return acc;
}

/* s_k = q_i . k_k / sqrt(d); m = max_k s_k; lse_i = m + log(sum_k exp(s_k - m));
 * p_k = exp(s_k - m) / sum; out_i = sum_k p_k v_k. */
void nns_attention_fwd__scalar(float *out, float *lse, const float *q, const float *k,
                               const float *v, size_t ld, const int32_t *lengths, size_t b,
                               size_t t, size_t h, size_t d, int causal, void *workspace)
{
    float *p = workspace; /* t floats */
    const float scale = attn_scale(d);
    const size_t c = h * d;
    for (size_t s = 0; s < b; s++) {
        const size_t len = seq_len(lengths, s, t);
        for (size_t j = 0; j < h; j++) {
            for (size_t i = 0; i < t; i++) {
                float *o = out + (s * t + i) * c + j * d;
                float *l = lse + (s * h + j) * t + i;
                if (i >= len) { /* padding row */
                    for (size_t e = 0; e < d; e++) o[e] = 0.0f;
                    *l = 0.0f;
                    continue;
                }
                const size_t n = n_keys(len, i, causal);
                const float *qi = q + (s * t + i) * ld + j * d;
                float m = -INFINITY;
                for (size_t kk = 0; kk < n; kk++) {
                    p[kk] = scale * dot(qi, k + (s * t + kk) * ld + j * d, d);
                    if (p[kk] > m) m = p[kk]; /* a NaN score is not the max; it reaches sum */
                }
                float sum = 0.0f;
                for (size_t kk = 0; kk < n; kk++) {
                    p[kk] = expf(p[kk] - m);
                    sum += p[kk];
                }
                *l = m + logf(sum);
                for (size_t kk = 0; kk < n; kk++) p[kk] = p[kk] / sum;
                for (size_t e = 0; e < d; e++) o[e] = 0.0f;
                for (size_t kk = 0; kk < n; kk++) {
                    const float *vk = v + (s * t + kk) * ld + j * d;
                    for (size_t e = 0; e < d; e++) o[e] += p[kk] * vk[e];
                }
            }
        }
    }
}

/* Per valid query row i, with p_k = exp(s_k - lse_i) recomputed from lse:
 *   dv_k += p_k dout_i;
 *   dp_k = dout_i . v_k,  D = dout_i . out_i (rowsum(dout * out)),
 *   ds_k = p_k (dp_k - D);
 *   dq_i += scale * sum_k ds_k k_k;  dk_k += scale * ds_k q_i. */
void nns_attention_bwd__scalar(float *dq, float *dk, float *dv, const float *dout,
                               const float *q, const float *k, const float *v, const float *out,
                               const float *lse, size_t ld, const int32_t *lengths, size_t b,
                               size_t t, size_t h, size_t d, int causal, void *workspace)
{
    float *p = workspace, *ds = p + t, *acc = ds + t; /* t, t and d floats */
    const float scale = attn_scale(d);
    const size_t c = h * d;
    for (size_t s = 0; s < b; s++) {
        const size_t len = seq_len(lengths, s, t);
        for (size_t j = 0; j < h; j++) {
            for (size_t i = 0; i < len; i++) { /* padding rows get no gradient */
                const size_t n = n_keys(len, i, causal);
                const size_t row = (s * t + i) * ld + j * d;
                const float *qi = q + row, *doi = dout + (s * t + i) * c + j * d;
                const float *oi = out + (s * t + i) * c + j * d;
                const float li = lse[(s * h + j) * t + i];
                const float D = dot(doi, oi, d);
                for (size_t kk = 0; kk < n; kk++) {
                    const size_t rk = (s * t + kk) * ld + j * d;
                    p[kk] = expf(scale * dot(qi, k + rk, d) - li);
                    ds[kk] = p[kk] * (dot(doi, v + rk, d) - D);
                }
                for (size_t e = 0; e < d; e++) acc[e] = 0.0f;
                for (size_t kk = 0; kk < n; kk++) {
                    const size_t rk = (s * t + kk) * ld + j * d;
                    const float sk = scale * ds[kk];
                    for (size_t e = 0; e < d; e++) {
                        dv[rk + e] += p[kk] * doi[e];
                        dk[rk + e] += sk * qi[e];
                        acc[e] += ds[kk] * k[rk + e];
                    }
                }
                for (size_t e = 0; e < d; e++) dq[row + e] += scale * acc[e];
            }
        }
    }
}
