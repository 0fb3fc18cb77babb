/* The embedding family written once over the vf_* operations; each ISA's
 * embedding.c includes its vec.h and then this file, which defines
 * nns_embedding_{fwd,bwd}__<isa>. Same operations as reference/embedding.c:
 * the lookup is a copy (every bit kept), the backward adds the rows in
 * order of i, so both give the reference's bits.
 *
 * A lookup jumps to a row the hardware prefetcher cannot guess (the ids
 * are data), so the rows EMB_AHEAD ids ahead are prefetched, every line
 * of them: the table's rows are then fetched in parallel rather than one
 * miss at a time. A prefetch never faults and changes no result. On the
 * Zen 3 EPYC, 8192 ids x 128 floats from a 200 MB table: lookup 663 ->
 * 446 us, scatter-add 436 -> 262 us; no gain (nor loss beyond the noise)
 * when the table sits in L3, as at the benchmark's V = 20000. The lookup
 * also prefetches, for writing, the output row EMB_OUT_AHEAD rows ahead:
 * its lines are then owned before the stores reach them. On the Xeon
 * (intel-xeon-f06-mcf), 8192 ids x 128 floats, V = 20000, medians of 21
 * interleaved runs: 445 -> 423 us. */
#include "variant.h"

#include <stdint.h>

#define EMB_AHEAD 4
#define EMB_OUT_AHEAD 8

/* Prefetches the c floats at p (for writing if `write`), one touch per
 * 64-byte line. */
static inline void emb_prefetch_row(const float *p, size_t c, int write)
{
    const char *b = (const char *)p, *end = (const char *)(p + c);
    for (; b < end; b += 64) {
        if (write) __builtin_prefetch(b, 1, 3);
        else __builtin_prefetch(b, 0, 3);
    }
    if (c) {
        if (write) __builtin_prefetch(end - 1, 1, 3);
        else __builtin_prefetch(end - 1, 0, 3);
    }
}

/* out[i,:] = weight[ids[i],:]. */
void NNS_VARIANT(embedding_fwd)(float *out, const int32_t *ids, const float *weight, size_t n,
                                size_t c)
{
    if (c == 0) return; /* no row to copy: ids are not read */
    for (size_t i = 0; i < n; i++) {
        if (i + EMB_AHEAD < n) emb_prefetch_row(weight + (size_t)ids[i + EMB_AHEAD] * c, c, 0);
        if (i + EMB_OUT_AHEAD < n) emb_prefetch_row(out + (i + EMB_OUT_AHEAD) * c, c, 1);
        const float *row = weight + (size_t)ids[i] * c;
        float *y = out + i * c;
        size_t j = 0;
        for (; j + 2 * VF_LANES <= c; j += 2 * VF_LANES) {
            vf r0 = vf_load(row + j), r1 = vf_load(row + j + VF_LANES);
            vf_store(y + j, r0);
            vf_store(y + j + VF_LANES, r1);
        }
        for (; j + VF_LANES <= c; j += VF_LANES) vf_store(y + j, vf_load(row + j));
        if (j < c) vf_store_n(y + j, vf_load_n(row + j, c - j), c - j);
    }
}

/* dweight[ids[i],:] += dout[i,:], in order of i: each element of dweight
 * sees its additions in the reference's order. */
void NNS_VARIANT(embedding_bwd)(float *dweight, const float *dout, const int32_t *ids, size_t n,
                                size_t c)
{
    if (c == 0) return;
    for (size_t i = 0; i < n; i++) {
        if (i + EMB_AHEAD < n) emb_prefetch_row(dweight + (size_t)ids[i + EMB_AHEAD] * c, c, 1);
        float *row = dweight + (size_t)ids[i] * c;
        const float *g = dout + i * c;
        size_t j = 0;
        for (; j + 2 * VF_LANES <= c; j += 2 * VF_LANES) {
            vf s0 = vf_add(vf_load(row + j), vf_load(g + j));
            vf s1 = vf_add(vf_load(row + j + VF_LANES), vf_load(g + j + VF_LANES));
            vf_store(row + j, s0);
            vf_store(row + j + VF_LANES, s1);
        }
        for (; j + VF_LANES <= c; j += VF_LANES)
            vf_store(row + j, vf_add(vf_load(row + j), vf_load(g + j)));
        if (j < c) {
            size_t r = c - j;
            vf_store_n(row + j, vf_add(vf_load_n(row + j, r), vf_load_n(g + j, r)), r);
        }
    }
}
