/* The elementwise helpers written once over the vf_* operations; each
 * ISA's elementwise.c includes its vec.h and then this file, which defines
 * nns_{add,mean_pool_fwd,mean_pool_bwd,sum_squares,scale}__<isa>.
 *
 * add, scale and both mean-pool directions do the reference's operations
 * on every element in the reference's order (mean pooling: per column, a
 * float sum from 0 in order of i, then one division), so they give its
 * bits (add and scale align a large output for streaming stores with a
 * masked head: elementwise, so no bit depends on where it falls).
 * sum_squares sums in float lanes (the tolerance row allows any order);
 * its order depends only on n, never on the pointer: the chunks are
 * counted from x[0], nothing is peeled for alignment. */
#include "nnsimd.h"
#include "rows.h"
#include "variant.h"

#include <stdint.h>

/* ---- streaming stores for outputs larger than the L3 ----
 *
 * An output bigger than the last-level cache (the part this machine can
 * count on: nns_cpu_info's l3_usable_bytes) cannot be read back from it,
 * so add and scale then write it around the caches (vf_stream: no
 * write-allocate read of each line first): 12 bytes an element move for
 * add instead of 16, 8 for scale instead of 12. Measured on the Zen 3 EPYC,
 * 64 MiB arrays: add 14 -> 19 GB/s, scale 12 -> 17 GB/s (nominal bytes).
 * Only when the output overlaps no input: a streaming store to a line the
 * call has just read is slow on AMD (an SGD-like update: 26 -> 6 GB/s),
 * and the in-place calls (gradient clipping) have no write-allocate to
 * save. The stores change no bit, only where the lines go; the output is
 * aligned for them by a masked head of fewer than VF_LANES elements. */

/* 1 if [p, p + n) and [q, q + n) share a byte. */
static inline int ew_overlap(const float *p, const float *q, size_t n)
{
    uintptr_t a = (uintptr_t)p, b = (uintptr_t)q, len = n * sizeof(float);
    return a < b + len && b < a + len;
}

static inline int ew_stream(const float *out, const float *in1, const float *in2, size_t n)
{
    if (!VF_HAS_STREAM || (uintptr_t)out % sizeof(float)) return 0;
    return n >= nns_cpu()->l3_usable_bytes / sizeof(float) && !ew_overlap(out, in1, n) && !ew_overlap(out, in2, n);
}

/* Elements before out + i is VF_STREAM_ALIGN-aligned (< VF_LANES). */
static inline size_t ew_stream_head(const float *out)
{
    return (size_t)((VF_STREAM_ALIGN - (uintptr_t)out % VF_STREAM_ALIGN) % VF_STREAM_ALIGN) /
           sizeof(float);
}

/* out = a + b; out may alias a or b: each vector is loaded before the
 * store of the same elements. */
void NNS_VARIANT(add)(float *out, const float *a, const float *b, size_t n)
{
    size_t i = 0;
    if (ew_stream(out, a, b, n)) {
        const size_t h = ew_stream_head(out);
        if (h) vf_store_n(out, vf_add(vf_load_n(a, h), vf_load_n(b, h)), h);
        for (i = h; i + VF_LANES <= n; i += VF_LANES)
            vf_stream(out + i, vf_add(vf_load(a + i), vf_load(b + i)));
        if (i < n) vf_store_n(out + i, vf_add(vf_load_n(a + i, n - i), vf_load_n(b + i, n - i)), n - i);
        vf_stream_fence();
        return;
    }
    for (; i + 2 * VF_LANES <= n; i += 2 * VF_LANES) {
        vf s0 = vf_add(vf_load(a + i), vf_load(b + i));
        vf s1 = vf_add(vf_load(a + i + VF_LANES), vf_load(b + i + VF_LANES));
        vf_store(out + i, s0);
        vf_store(out + i + VF_LANES, s1);
    }
    for (; i + VF_LANES <= n; i += VF_LANES) vf_store(out + i, vf_add(vf_load(a + i), vf_load(b + i)));
    if (i < n) vf_store_n(out + i, vf_add(vf_load_n(a + i, n - i), vf_load_n(b + i, n - i)), n - i);
}

/* out = s * in; out may equal in. */
void NNS_VARIANT(scale)(float *out, const float *in, float s, size_t n)
{
    const vf vs = vf_set1(s);
    size_t i = 0;
    if (ew_stream(out, in, in, n)) {
        const size_t h = ew_stream_head(out);
        if (h) vf_store_n(out, vf_mul(vs, vf_load_n(in, h)), h);
        for (i = h; i + VF_LANES <= n; i += VF_LANES) vf_stream(out + i, vf_mul(vs, vf_load(in + i)));
        if (i < n) vf_store_n(out + i, vf_mul(vs, vf_load_n(in + i, n - i)), n - i);
        vf_stream_fence();
        return;
    }
    for (; i + 2 * VF_LANES <= n; i += 2 * VF_LANES) {
        vf p0 = vf_mul(vs, vf_load(in + i)), p1 = vf_mul(vs, vf_load(in + i + VF_LANES));
        vf_store(out + i, p0);
        vf_store(out + i + VF_LANES, p1);
    }
    for (; i + VF_LANES <= n; i += VF_LANES) vf_store(out + i, vf_mul(vs, vf_load(in + i)));
    if (i < n) vf_store_n(out + i, vf_mul(vs, vf_load_n(in + i, n - i)), n - i);
}

/* ---- mean pooling ---- */

/* out[s,:] = (sum_{i<L} in[s,i,:]) / L, the sum from 0 in order of i
 * (nns_sum_rows: each input element loaded once, each output stored once). */
void NNS_VARIANT(mean_pool_fwd)(float *out, const float *in, const int32_t *lengths, size_t b,
                                size_t t, size_t c)
{
    const vf zero = vf_set1(0.0f);
    for (size_t s = 0; s < b; s++) {
        const size_t len = lengths ? (size_t)lengths[s] : t;
        float *y = out + s * c;
        if (len > 0) {
            nns_sum_rows(y, NULL, in + s * t * c, len, c, c, (float)len);
            continue;
        }
        size_t j = 0;
        for (; j + VF_LANES <= c; j += VF_LANES) vf_store(y + j, zero);
        if (j < c) vf_store_n(y + j, zero, c - j);
    }
}

/* din[s,i,:] += dout[s,:] / L for i < L: the quotient once per column,
 * as the reference's g[j] / L (the same float every row); NNS_COLS_NV
 * vectors of columns (rows.h) in registers while the rows stream past. */
void NNS_VARIANT(mean_pool_bwd)(float *din, const float *dout, const int32_t *lengths, size_t b,
                                size_t t, size_t c)
{
    for (size_t s = 0; s < b; s++) {
        const size_t len = lengths ? (size_t)lengths[s] : t;
        if (len == 0) continue;
        const float *g = dout + s * c;
        float *d = din + s * t * c;
        const vf vl = vf_set1((float)len);
        size_t j = 0;
        for (; j + NNS_COLS_NV * VF_LANES <= c; j += NNS_COLS_NV * VF_LANES) {
            vf q[NNS_COLS_NV];
#pragma GCC unroll 8
            for (int k = 0; k < NNS_COLS_NV; k++) q[k] = vf_div(vf_load(g + j + k * VF_LANES), vl);
            for (size_t i = 0; i < len; i++) {
                float *r = d + i * c + j;
#pragma GCC unroll 8
                for (int k = 0; k < NNS_COLS_NV; k++)
                    vf_store(r + k * VF_LANES, vf_add(vf_load(r + k * VF_LANES), q[k]));
            }
        }
        for (; j + VF_LANES <= c; j += VF_LANES) {
            const vf q = vf_div(vf_load(g + j), vl);
            for (size_t i = 0; i < len; i++) {
                float *r = d + i * c + j;
                vf_store(r, vf_add(vf_load(r), q));
            }
        }
        if (j < c) {
            const size_t rem = c - j;
            const vf q = vf_div(vf_load_n(g + j, rem), vl);
            for (size_t i = 0; i < len; i++) {
                float *r = d + i * c + j;
                vf_store_n(r, vf_add(vf_load_n(r, rem), q), rem);
            }
        }
    }
}

/* ---- sum of squares ---- */

/* The array is read as SUMSQ_STREAMS chunks side by side, each chunk
 * feeding two accumulators: a single core reads memory faster from
 * several sequential streams than from one (more lines in flight from
 * the hardware prefetchers): on the Zen 3 EPYC, 64 MiB read at 19-21 GB/s
 * as one stream, 28-31 GB/s as four (the same FMAs). The chunks are
 * q = floor(n / (4 * 2 VF_LANES)) * 2 VF_LANES elements long from x[0];
 * what is left after the four chunks goes as single vectors into acc[0],
 * the masked tail (zeros beyond n) into acc[1]; then the accumulators are
 * combined pairwise in a fixed tree and reduced by the fixed-order
 * vf_hsum. The order depends on n only. */
#define SUMSQ_STREAMS 4

void NNS_VARIANT(sum_squares)(float *out, const float *x, size_t n)
{
    vf acc[2 * SUMSQ_STREAMS];
#pragma GCC unroll 8
    for (int k = 0; k < 2 * SUMSQ_STREAMS; k++) acc[k] = vf_set1(0.0f);
    const size_t step = 2 * VF_LANES, q = n / (SUMSQ_STREAMS * step) * step;
    for (size_t i = 0; i < q; i += step) {
#pragma GCC unroll 4
        for (int c = 0; c < SUMSQ_STREAMS; c++) {
            const float *p = x + (size_t)c * q + i;
            vf v0 = vf_load(p), v1 = vf_load(p + VF_LANES);
            acc[2 * c] = vf_fma(v0, v0, acc[2 * c]);
            acc[2 * c + 1] = vf_fma(v1, v1, acc[2 * c + 1]);
        }
    }
    size_t i = SUMSQ_STREAMS * q;
    for (; i + VF_LANES <= n; i += VF_LANES) {
        vf v = vf_load(x + i);
        acc[0] = vf_fma(v, v, acc[0]);
    }
    if (i < n) {
        vf v = vf_load_n(x + i, n - i);
        acc[1] = vf_fma(v, v, acc[1]);
    }
    vf s01 = vf_add(acc[0], acc[1]), s23 = vf_add(acc[2], acc[3]);
    vf s45 = vf_add(acc[4], acc[5]), s67 = vf_add(acc[6], acc[7]);
    *out = vf_hsum(vf_add(vf_add(s01, s23), vf_add(s45, s67)));
}
