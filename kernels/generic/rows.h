/* Row reductions shared by the generic bodies of the row-wise families
 * (layer normalization, cross-entropy), and the column sums over rows of
 * mean pooling and the linear layer's bias gradient, over the including
 * ISA's vf_*.
 *
 * "Same input, same bits" (DESIGN.md): every reduction here walks its row
 * from the row's first element, never from an aligned address, with a
 * fixed set of accumulators chosen by the row length alone, and folds them
 * in a fixed order ((a0 + a1) + (a2 + a3), then vf_hsum). So the bits of a
 * result depend on the row's values and length, never on where it sits in
 * memory. */
#ifndef NNS_GENERIC_ROWS_H
#define NNS_GENERIC_ROWS_H

#include <stddef.h>

/* The lanes of a tail of r < VF_LANES elements: true in lanes [0, r). */
static inline vm nns_tail_lanes(size_t r)
{
    static const float ones[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
    return vf_gt(vf_load_n(ones, r), vf_set1(0.0f));
}

/* The first r < VF_LANES lanes of a into p[0..r). AVX-512 masks its store
 * natively (vf_store_n). Elsewhere through a stack buffer and r scalar
 * stores: AVX2's masked store, vmaskmovps, is slow on AMD (Zen 3, a loop
 * of maskload, add, store: 10-11 ns an iteration with vmaskmovps, 3.3 ns
 * this way for r <= 4, 5.6 ns at r = 7), and NEON's vf_store_n is a
 * buffer copy through a call to memcpy. */
static inline void nns_store_tail(float *p, vf a, size_t r)
{
#if VF_LANES == 16
    vf_store_n(p, a, r);
#elif VF_LANES != 8 && VF_LANES != 4
#error "nns_store_tail: 4, 8 or 16 lanes"
#else
    /* a switch, not a loop, which GCC would turn into a call to memcpy */
    float buf[VF_LANES];
    vf_store(buf, a);
#if VF_LANES == 8
    switch (r) {
    case 7: p[6] = buf[6]; /* fallthrough */
    case 6: p[5] = buf[5]; /* fallthrough */
    case 5: p[4] = buf[4]; /* fallthrough */
    case 4: p[3] = buf[3]; /* fallthrough */
    case 3: p[2] = buf[2]; /* fallthrough */
    case 2: p[1] = buf[1]; /* fallthrough */
    case 1: p[0] = buf[0]; /* fallthrough */
    default: break;
    }
#else
    switch (r) {
    case 3: p[2] = buf[2]; /* fallthrough */
    case 2: p[1] = buf[1]; /* fallthrough */
    case 1: p[0] = buf[0]; /* fallthrough */
    default: break;
    }
#endif
#endif
}

/* Folds the four accumulators of a row reduction in a fixed order. The
 * reductions use them the same way: a0..a3 over blocks of 4 vectors, the
 * remaining whole vectors into a0, the masked tail into a1. */
static inline float nns_fold4(vf a0, vf a1, vf a2, vf a3)
{
    return vf_hsum(vf_add(vf_add(a0, a1), vf_add(a2, a3)));
}

/* sum_k x[k] */
static inline float nns_row_sum(const float *x, size_t c)
{
    const size_t L = VF_LANES;
    vf a0 = vf_set1(0.0f), a1 = a0, a2 = a0, a3 = a0;
    size_t k = 0;
    for (; k + 4 * L <= c; k += 4 * L) {
        a0 = vf_add(a0, vf_load(x + k));
        a1 = vf_add(a1, vf_load(x + k + L));
        a2 = vf_add(a2, vf_load(x + k + 2 * L));
        a3 = vf_add(a3, vf_load(x + k + 3 * L));
    }
    for (; k + L <= c; k += L) a0 = vf_add(a0, vf_load(x + k));
    if (k < c) a1 = vf_add(a1, vf_load_n(x + k, c - k)); /* zeros past the end */
    return nns_fold4(a0, a1, a2, a3);
}

/* sum_k (x[k] - m)^2, the deviation rounded once, then squared and added
 * in one FMA. */
static inline float nns_row_sumsq_dev(const float *x, size_t c, float m)
{
    const size_t L = VF_LANES;
    const vf vm_ = vf_set1(m);
    vf a0 = vf_set1(0.0f), a1 = a0, a2 = a0, a3 = a0;
    size_t k = 0;
    for (; k + 4 * L <= c; k += 4 * L) {
        vf d0 = vf_sub(vf_load(x + k), vm_), d1 = vf_sub(vf_load(x + k + L), vm_);
        vf d2 = vf_sub(vf_load(x + k + 2 * L), vm_), d3 = vf_sub(vf_load(x + k + 3 * L), vm_);
        a0 = vf_fma(d0, d0, a0);
        a1 = vf_fma(d1, d1, a1);
        a2 = vf_fma(d2, d2, a2);
        a3 = vf_fma(d3, d3, a3);
    }
    for (; k + L <= c; k += L) {
        vf d = vf_sub(vf_load(x + k), vm_);
        a0 = vf_fma(d, d, a0);
    }
    if (k < c) {
        vf d = vf_select(nns_tail_lanes(c - k), vf_sub(vf_load_n(x + k, c - k), vm_), vf_set1(0.0f));
        a1 = vf_fma(d, d, a1);
    }
    return nns_fold4(a0, a1, a2, a3);
}

/* Columns summed by nns_sum_rows at once: NNS_COLS_NV vectors held in
 * registers while the rows stream past, so each row gives one contiguous
 * stretch (a vector at a time, every pass over the rows would walk them
 * with a row-sized stride, a new page every row or two: the transformer's
 * 8192 x 512 bias gradient took 1.8 ms that way, 0.8 ms so). */
#define NNS_COLS_NV 8

/* out[j] = (init[j] + sum_{i<n} x[i*ld + j]) / d for j < c, init NULL
 * meaning 0 and d = 1 leaving the sum as it is: each column summed in
 * order of i from its start, NNS_COLS_NV vectors of columns at a time,
 * then single vectors, then a masked tail. out may equal init. */
static inline void nns_sum_rows(float *out, const float *init, const float *x, size_t n, size_t ld,
                                size_t c, float d)
{
    const size_t L = VF_LANES;
    const vf zero = vf_set1(0.0f), vd = vf_set1(d);
    const int divide = d != 1.0f;
    size_t j = 0;
    for (; j + NNS_COLS_NV * L <= c; j += NNS_COLS_NV * L) {
        vf acc[NNS_COLS_NV];
#pragma GCC unroll 8
        for (size_t v = 0; v < NNS_COLS_NV; v++) acc[v] = init ? vf_load(init + j + v * L) : zero;
        for (size_t i = 0; i < n; i++)
#pragma GCC unroll 8
            for (size_t v = 0; v < NNS_COLS_NV; v++) acc[v] = vf_add(acc[v], vf_load(x + i * ld + j + v * L));
#pragma GCC unroll 8
        for (size_t v = 0; v < NNS_COLS_NV; v++)
            vf_store(out + j + v * L, divide ? vf_div(acc[v], vd) : acc[v]);
    }
    for (; j < c; j += L) {
        const size_t r = c - j < L ? c - j : L;
        vf acc = !init ? zero : r == L ? vf_load(init + j) : vf_load_n(init + j, r);
        for (size_t i = 0; i < n; i++) acc = vf_add(acc, r == L ? vf_load(x + i * ld + j) : vf_load_n(x + i * ld + j, r));
        if (divide) acc = vf_div(acc, vd);
        if (r == L) vf_store(out + j, acc);
        else vf_store_n(out + j, acc, r);
    }
}

#endif
