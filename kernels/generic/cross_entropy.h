/* Softmax cross-entropy fused with its gradient, written once over the
 * vf_* operations; each ISA's cross_entropy.c includes its vec.h and then
 * this file, which defines nns_cross_entropy_fwd_bwd__<isa>. Same math as
 * reference/loss.c, per counted row of v logits (c counted rows):
 *   pass 1  mx = max_j x_j
 *   pass 2  s = sum_j e_j,  e_j = exp(x_j - mx)  (vf_exp, <= 1.22 ULP)
 *           row loss logf(s) + (mx - x_t)        (scalar, as the reference)
 *   pass 3  dlogits_j += e_j * k,  k = fl(fl(1/c) / s),   j != t
 *           dlogits_t += (fl(e_t / s) - 1) * fl(1/c)     (the reference's)
 *
 * Error model (tests/check/check_loss.c): the max is exact in any order;
 * s is a V-term sum of positives, which the row bounds in any order (here
 * two vector accumulators folded in a fixed order); exp within the model's
 * 2 ULP. For j != t the model counts p = e/s (one rounding), fl(1/c) and
 * the product (two): e * fl(fl(1/c)/s) has the same three roundings on top
 * of e's and s's errors, and saves a division per logit; the target keeps
 * the reference's operations (its p - 1 may cancel). Rows are read from
 * their first element, so no order depends on alignment.
 *
 * Speed: rows are taken in blocks of up to 16 (at most 16K logits, so a
 * block stays in L2 between the passes): passes 1-2 for the block, then
 * the block's logf calls in a plain scalar loop (a call clobbers every
 * vector register, so one per row would spill and reload the exp
 * constants), then pass 3. A 50k row (200 KB) is its own block: it streams
 * from memory once (pass 1) and is re-read from L2 by passes 2 and 3, exp
 * evaluated twice per logit (no workspace to keep e_j, and dlogits
 * accumulates). A row shorter than a vector is one masked vector per pass:
 * no scalar loop. */
#include "rows.h"
#include "variant.h"
#include "vmath.h"

#include <math.h>

/* max_j x_j: whole vectors, then the last VF_LANES elements again (an
 * overlapping load: max is idempotent), or a masked vector padded with
 * -inf for a row shorter than a vector. A NaN may or may not survive the
 * max; it reaches the loss and the gradient through s in every case. */
static inline float nns_ce_row_max(const float *x, size_t v)
{
    const size_t L = VF_LANES;
    if (v < L) return vf_hmax(vf_select(nns_tail_lanes(v), vf_load_n(x, v), vf_set1(-INFINITY)));
    vf a0 = vf_load(x + v - L), a1 = a0, a2 = a0, a3 = a0;
    size_t k = 0;
    for (; k + 4 * L <= v; k += 4 * L) {
        a0 = vf_max(a0, vf_load(x + k));
        a1 = vf_max(a1, vf_load(x + k + L));
        a2 = vf_max(a2, vf_load(x + k + 2 * L));
        a3 = vf_max(a3, vf_load(x + k + 3 * L));
    }
    for (; k + L <= v; k += L) a0 = vf_max(a0, vf_load(x + k));
    return vf_hmax(vf_max(vf_max(a0, a1), vf_max(a2, a3)));
}

/* sum_j exp(x_j - mx): two accumulators over pairs of vectors (exp's
 * constants take the other registers), a remaining vector into a0, the
 * masked tail (padding lanes zeroed after the exp) into a1; a0 + a1. */
static inline float nns_ce_row_sumexp(const float *x, size_t v, float mx)
{
    const size_t L = VF_LANES;
    const vf vmx = vf_set1(mx);
    if (v < L)
        return vf_hsum(vf_select(nns_tail_lanes(v), vf_exp(vf_sub(vf_load_n(x, v), vmx)),
                                 vf_set1(0.0f)));
    vf a0 = vf_set1(0.0f), a1 = a0;
    size_t k = 0;
    for (; k + 2 * L <= v; k += 2 * L) {
        a0 = vf_add(a0, vf_exp(vf_sub(vf_load(x + k), vmx)));
        a1 = vf_add(a1, vf_exp(vf_sub(vf_load(x + k + L), vmx)));
    }
    if (k + L <= v) {
        a0 = vf_add(a0, vf_exp(vf_sub(vf_load(x + k), vmx)));
        k += L;
    }
    if (k < v) {
        vf e = vf_exp(vf_sub(vf_load_n(x + k, v - k), vmx));
        a1 = vf_add(a1, vf_select(nns_tail_lanes(v - k), e, vf_set1(0.0f)));
    }
    return vf_hsum(vf_add(a0, a1));
}

/* One vector of pass 3: the gradient terms of e (lanes k.. of the row),
 * the target's lane, if among them, by the reference's formula. */
static inline vf nns_ce_grad(vf e, size_t k, size_t t, vf vk, vf vs, vf vic)
{
    vf q = vf_mul(e, vk);
    if (t - k < VF_LANES) { /* t >= k (size_t) and t < k + VF_LANES */
        static const float iota[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
        vf lane = vf_load(iota), tk = vf_set1((float)(t - k));
        vf qt = vf_mul(vf_sub(vf_div(e, vs), vf_set1(1.0f)), vic);
        q = vf_select(vf_ge(lane, tk), vf_select(vf_le(lane, tk), qt, q), q);
    }
    return q;
}

/* dlogits row += gradient (pass 3) */
static inline void nns_ce_row_grad(float *d, const float *x, size_t v, size_t t, float mx,
                                   float s, float inv_count)
{
    const size_t L = VF_LANES;
    const vf vmx = vf_set1(mx), vs = vf_set1(s), vic = vf_set1(inv_count);
    const vf vk = vf_set1(inv_count / s);
    size_t k = 0;
    for (; k + L <= v; k += L) {
        vf e = vf_exp(vf_sub(vf_load(x + k), vmx));
        vf_store(d + k, vf_add(vf_load(d + k), nns_ce_grad(e, k, t, vk, vs, vic)));
    }
    if (k < v) {
        size_t r = v - k;
        vf e = vf_exp(vf_sub(vf_load_n(x + k, r), vmx));
        nns_store_tail(d + k, vf_add(vf_load_n(d + k, r), nns_ce_grad(e, k, t, vk, vs, vic)), r);
    }
}

#define NNS_CE_BLOCK 16
#define NNS_CE_BLOCK_LOGITS 16384

void NNS_VARIANT(cross_entropy_fwd_bwd)(float *loss, float *dlogits, const float *logits,
                                        const int32_t *targets, size_t n, size_t v,
                                        int32_t ignore_index)
{
    size_t count = 0;
    for (size_t i = 0; i < n; i++) count += targets[i] != ignore_index;
    if (count == 0 || v == 0) {
        *loss = 0.0f;
        return;
    }
    const float inv_count = 1.0f / (float)count;
    size_t rb = NNS_CE_BLOCK_LOGITS / v; /* rows per block: a function of v only */
    rb = rb < 1 ? 1 : rb > NNS_CE_BLOCK ? NNS_CE_BLOCK : rb;
    size_t rows[NNS_CE_BLOCK];
    float mxs[NNS_CE_BLOCK], ss[NNS_CE_BLOCK];
    float sum = 0.0f;
    for (size_t i = 0; i < n;) {
        size_t nb = 0;
        for (; i < n && nb < rb; i++)
            if (targets[i] != ignore_index) rows[nb++] = i;
        for (size_t b = 0; b < nb; b++) {
            const float *x = logits + rows[b] * v;
            mxs[b] = nns_ce_row_max(x, v);
            ss[b] = nns_ce_row_sumexp(x, v, mxs[b]);
        }
        /* rows ascending, as the reference */
        for (size_t b = 0; b < nb; b++)
            sum += logf(ss[b]) + (mxs[b] - logits[rows[b] * v + (size_t)targets[rows[b]]]);
        if (!dlogits) continue;
        for (size_t b = 0; b < nb; b++)
            nns_ce_row_grad(dlogits + rows[b] * v, logits + rows[b] * v, v,
                            (size_t)targets[rows[b]], mxs[b], ss[b], inv_count);
    }
    *loss = sum / (float)count;
}
