/* The multi-head self-attention core, forward and backward, written once
 * over the vf_* operations; each ISA's attention.c includes its vec.h and
 * this file, which defines nns_attention_{fwd,bwd}[_workspace_size]__<isa>.
 * Same semantics as reference/attention.c (key-padding lengths, causal,
 * padding query rows out = 0, lse = 0 and no gradient, length 0), computed
 * the way FlashAttention does: per (sequence, head), query rows in blocks
 * of ATT_QB, keys and values streamed in tiles of ATT_KT, an online
 * softmax (running max m and sum l per row; when a tile raises m the
 * accumulated l and out are rescaled by exp(m_old - m_new)); no T x T
 * matrix is ever stored. The forward saves lse = m + log(l) per row; the
 * backward recomputes p = exp(s - lse) tile by tile.
 *
 * Vectorization: across the QUERY rows of a block, not along d. Scores are
 * formed transposed, S^T (keys x queries) = K . Q^T, by a register-tiled
 * product: ATT_MR key rows (broadcast scalars of k) times ATT_NV vectors of
 * query columns (Q^T packed once per block, D x ATT_QB). So a score is a
 * plain FMA chain over e = 0..d-1 (no horizontal sum, any d, no tail on d
 * in the score products), the softmax statistics of a query are lanes of a
 * vector (max and sum are vertical), and the exponentials run on full
 * vectors. Measured on Zen 3 (AVX2, one 96 x 96 score tile in L1,
 * d = 32 and 64): this product ran at 88-95 GFLOP/s; vectorizing the
 * q.k dot products along d instead (4 x 2 blocks of dots, one vf_hsum a
 * score) at 21-24, or 16-19 with an hadd tree reducing 8 scores at once:
 * a dot of length 32-64 is too short to amortize its horizontal sum.
 * The products with d as their output dimension, out += p v,
 * dv += p^T dout, dk += ds^T q and dq += ds k, are register tiles of
 * ATT_MR rows x ATT_NV vectors of d (d's tail through masked loads and
 * stores), the other operand broadcast from the score tile.
 *
 * Every output element is one FMA chain in a fixed order (score: e
 * ascending; out, dq: keys ascending; dk, dv: queries ascending, in the
 * caller's buffers across query blocks), decided by positions only, never
 * by pointer alignment: the same input gives the same bits.
 *
 * Masks: key padding bounds the key loop (keys >= length are never read);
 * causal masks the scores of the diagonal tiles to -inf before the max
 * (the statistics), and each product with keys or queries as its inner
 * dimension runs per row over exactly the valid range [lo_r, hi_r), so a
 * value of a masked key never reaches a row that does not see it. Query
 * rows >= length are never computed: they are written as zeros.
 *
 * Workspace (from the caller; 64 bytes of slack to align it), floats:
 *   forward:  Q^T (d x QB), the score tile (KT x QB), the out accumulator
 *             (QB x dp, dp = d rounded up to the vector), m, l, alpha (QB);
 *   backward: Q^T and dout^T (d x QB each), the p and ds tiles (KT x QB
 *             each), the dq accumulator (QB x dp), lse and D (QB each).
 * O(QB KT + QB d): it depends on d only, never on t (85 KiB forward and
 * 145 KiB backward at d = 64 with AVX2's tiles, for any t). */
#include "variant.h"
#include "vmath.h"

#include "nnsimd_internal.h"

#include <math.h>
#include <stdint.h>

/* Register tile ATT_MR rows x ATT_NV vectors; query block ATT_QB (a
 * multiple of ATT_NV vectors and of ATT_MR) and key tile ATT_KT (a
 * multiple of ATT_MR). 96 x 96: the query block is the inner length of
 * dv += p^T dout and dk += ds^T q, which read and write the caller's rows
 * once per block (on Zen 3 that product ran at 79 GFLOP/s with 48 query
 * rows, 88 with 96); larger tiles only grow the workspace. */
#if VF_LANES == 8 /* AVX2: 16 ymm; 12 accumulators, 2 loaded, 1 broadcast */
#ifndef ATT_MR
#define ATT_MR 6
#define ATT_NV 2
#define ATT_QB 96
#define ATT_KT 96
#endif
#elif VF_LANES == 16 /* AVX-512: 32 zmm; 16 accumulators */
#ifndef ATT_MR
#define ATT_MR 8
#define ATT_NV 2
#define ATT_QB 96
#define ATT_KT 96
#endif
#elif VF_LANES == 4 /* NEON: 32 q registers; 24 accumulators */
#ifndef ATT_MR
#define ATT_MR 8
#define ATT_NV 3
#define ATT_QB 96
#define ATT_KT 96
#endif
#else
#error "attention.h: no tile for this vector width"
#endif

#define ATT_CW (ATT_NV * VF_LANES) /* columns of a register tile */
#define ATT_INLINE static inline __attribute__((always_inline))

_Static_assert(ATT_QB % ATT_CW == 0 && ATT_QB % ATT_MR == 0, "query block");
_Static_assert(ATT_KT % ATT_MR == 0, "key tile");

static const float att_lane_index[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};

static size_t att_round_up(size_t x, size_t to) { return (x + to - 1) / to * to; }
static size_t att_min(size_t a, size_t b) { return a < b ? a : b; }

static float *att_align64(void *p)
{
    return (float *)(((uintptr_t)p + 63) & ~(uintptr_t)63);
}

/* Prefetches every line of rows [0, n) of a (rows `stride` floats apart,
 * d floats each). A prefetch never faults and changes no result. */
static void pf_rows(const float *a, size_t stride, size_t n, size_t d, int write)
{
    const size_t bytes = d * sizeof(float);
    if (!bytes) return;
    for (size_t r = 0; r < n; r++) {
        const char *row = (const char *)(a + r * stride);
        for (size_t off = 0; off < bytes; off += 64) {
            if (write) __builtin_prefetch(row + off, 1, 3);
            else __builtin_prefetch(row + off, 0, 3);
        }
        if (write) __builtin_prefetch(row + bytes - 1, 1, 3);
        else __builtin_prefetch(row + bytes - 1, 0, 3);
    }
}

/* ---- the score product: C (rows x ncols) = scale * A . B ----
 *
 * Rows r < ATT_MR of A are the vectors ar[r][0..kc) (rows past `rows`
 * repeat the last valid row; they are computed and not stored), B is
 * packed kc x ATT_QB (b[e * ATT_QB + col]), C has rows of ATT_QB floats.
 * nv vectors of columns. */
ATT_INLINE void s_tile(size_t nv, float *c, const float *const *ar, const float *b, size_t kc,
                       size_t rows, vf scale)
{
    vf acc[ATT_MR][ATT_NV];
#pragma GCC unroll 16
    for (size_t r = 0; r < ATT_MR; r++)
#pragma GCC unroll 4
        for (size_t j = 0; j < nv; j++) acc[r][j] = vf_set1(0.0f);
#pragma GCC unroll 2
    for (size_t e = 0; e < kc; e++) {
        vf bv[ATT_NV];
#pragma GCC unroll 4
        for (size_t j = 0; j < nv; j++) bv[j] = vf_load(b + e * ATT_QB + j * VF_LANES);
#pragma GCC unroll 16
        for (size_t r = 0; r < ATT_MR; r++) {
            vf av = vf_set1(ar[r][e]);
#pragma GCC unroll 4
            for (size_t j = 0; j < nv; j++) acc[r][j] = vf_fma(av, bv[j], acc[r][j]);
        }
    }
#pragma GCC unroll 16
    for (size_t r = 0; r < ATT_MR; r++)
        if (r < rows)
#pragma GCC unroll 4
            for (size_t j = 0; j < nv; j++)
                vf_store(c + r * ATT_QB + j * VF_LANES, vf_mul(acc[r][j], scale));
}

/* The score rows [0, nk) of a tile: row kk is the vector a + kk * lda
 * (length kc) times the packed B, ncols (a multiple of the vector)
 * columns, into c (rows of ATT_QB). */
static void s_product(float *c, const float *a, size_t lda, const float *b, size_t kc, size_t nk,
                      size_t ncols, vf scale)
{
    for (size_t k0 = 0; k0 < nk; k0 += ATT_MR) {
        const size_t rows = att_min(ATT_MR, nk - k0);
        const float *ar[ATT_MR];
        for (size_t r = 0; r < ATT_MR; r++) ar[r] = a + (k0 + (r < rows ? r : rows - 1)) * lda;
        float *cr = c + k0 * ATT_QB;
        size_t j = 0;
        for (; j + ATT_CW <= ncols; j += ATT_CW) s_tile(ATT_NV, cr + j, ar, b + j, kc, rows, scale);
        for (; j < ncols; j += VF_LANES) s_tile(1, cr + j, ar, b + j, kc, rows, scale);
    }
}

/* ---- the products with d as output dimension ----
 *
 * One register tile: rows r < ATT_MR (valid r < rows) of
 *   C_r = init_r + sum over kk in [lo_r, hi_r), ascending, of
 *         a[r * ars + kk * acs] * b[kk * brs + (columns)]
 * with init_r = 0 (mode 0), C_r (mode 1) or alpha_r C_r (mode 2); C_r at
 * c + r * crs; nv vectors of columns, the last with `tail` lanes. Rows past
 * `rows` repeat the last valid row's operands and limits and are not
 * stored. The loop over kk runs all rows together over [max lo, min hi)
 * and row by row (a predicate) only over the staircase of the diagonal. */
ATT_INLINE vf o_load(const float *p, size_t j, size_t nv, size_t tail)
{
    return j + 1 == nv && tail < VF_LANES ? vf_load_n(p, tail) : vf_load(p);
}

ATT_INLINE void o_store(float *p, vf x, size_t j, size_t nv, size_t tail)
{
    if (j + 1 == nv && tail < VF_LANES) vf_store_n(p, x, tail);
    else vf_store(p, x);
}

ATT_INLINE void o_tile(size_t nv, size_t tail, int mode, float *c, size_t crs,
                       const float *alpha, const float *a, size_t ars, size_t acs,
                       const float *b, size_t brs, const size_t *lo, const size_t *hi,
                       size_t rows)
{
    vf acc[ATT_MR][ATT_NV];
    const float *ap[ATT_MR];
    size_t l[ATT_MR], h[ATT_MR];
    size_t minlo = SIZE_MAX, maxlo = 0, minhi = SIZE_MAX, maxhi = 0;
#pragma GCC unroll 16
    for (size_t r = 0; r < ATT_MR; r++) {
        const size_t rr = r < rows ? r : rows - 1;
        ap[r] = a + rr * ars;
        l[r] = lo[rr], h[r] = hi[rr];
        minlo = l[r] < minlo ? l[r] : minlo, maxlo = l[r] > maxlo ? l[r] : maxlo;
        minhi = h[r] < minhi ? h[r] : minhi, maxhi = h[r] > maxhi ? h[r] : maxhi;
    }
#pragma GCC unroll 16
    for (size_t r = 0; r < ATT_MR; r++) {
        const vf sc = mode == 2 && r < rows ? vf_set1(alpha[r]) : vf_set1(0.0f);
#pragma GCC unroll 4
        for (size_t j = 0; j < nv; j++) {
            if (mode == 0 || r >= rows) acc[r][j] = vf_set1(0.0f);
            else if (mode == 1) acc[r][j] = o_load(c + r * crs + j * VF_LANES, j, nv, tail);
            else acc[r][j] = vf_mul(sc, o_load(c + r * crs + j * VF_LANES, j, nv, tail));
        }
    }
    /* Predicated prologue [minlo, maxlo), all rows [maxlo, minhi),
     * predicated epilogue [max(maxlo, minhi), maxhi): ascending kk. */
    const size_t p1 = maxlo < maxhi ? maxlo : maxhi, e0 = maxlo > minhi ? maxlo : minhi;
    for (size_t kk = minlo; kk < p1; kk++) {
        vf bv[ATT_NV];
#pragma GCC unroll 4
        for (size_t j = 0; j < nv; j++) bv[j] = o_load(b + kk * brs + j * VF_LANES, j, nv, tail);
#pragma GCC unroll 16
        for (size_t r = 0; r < ATT_MR; r++)
            if (l[r] <= kk && kk < h[r]) {
                vf av = vf_set1(ap[r][kk * acs]);
#pragma GCC unroll 4
                for (size_t j = 0; j < nv; j++) acc[r][j] = vf_fma(av, bv[j], acc[r][j]);
            }
    }
#pragma GCC unroll 2
    for (size_t kk = maxlo; kk < minhi; kk++) {
        vf bv[ATT_NV];
#pragma GCC unroll 4
        for (size_t j = 0; j < nv; j++) bv[j] = o_load(b + kk * brs + j * VF_LANES, j, nv, tail);
#pragma GCC unroll 16
        for (size_t r = 0; r < ATT_MR; r++) {
            vf av = vf_set1(ap[r][kk * acs]);
#pragma GCC unroll 4
            for (size_t j = 0; j < nv; j++) acc[r][j] = vf_fma(av, bv[j], acc[r][j]);
        }
    }
    for (size_t kk = e0; kk < maxhi; kk++) {
        vf bv[ATT_NV];
#pragma GCC unroll 4
        for (size_t j = 0; j < nv; j++) bv[j] = o_load(b + kk * brs + j * VF_LANES, j, nv, tail);
#pragma GCC unroll 16
        for (size_t r = 0; r < ATT_MR; r++)
            if (l[r] <= kk && kk < h[r]) {
                vf av = vf_set1(ap[r][kk * acs]);
#pragma GCC unroll 4
                for (size_t j = 0; j < nv; j++) acc[r][j] = vf_fma(av, bv[j], acc[r][j]);
            }
    }
#pragma GCC unroll 16
    for (size_t r = 0; r < ATT_MR; r++)
        if (r < rows)
#pragma GCC unroll 4
            for (size_t j = 0; j < nv; j++) o_store(c + r * crs + j * VF_LANES, acc[r][j], j, nv, tail);
}

/* The d columns of one row tile, in register tiles of ATT_NV vectors,
 * then single vectors, then the masked tail. */
ATT_INLINE void o_cols(int mode, size_t d, float *c, size_t crs, const float *alpha,
                       const float *a, size_t ars, size_t acs, const float *b, size_t brs,
                       const size_t *lo, const size_t *hi, size_t rows)
{
    size_t j = 0;
    for (; j + ATT_CW <= d; j += ATT_CW)
        o_tile(ATT_NV, VF_LANES, mode, c + j, crs, alpha, a, ars, acs, b + j, brs, lo, hi, rows);
    for (; j + VF_LANES <= d; j += VF_LANES)
        o_tile(1, VF_LANES, mode, c + j, crs, alpha, a, ars, acs, b + j, brs, lo, hi, rows);
    if (j < d) o_tile(1, d - j, mode, c + j, crs, alpha, a, ars, acs, b + j, brs, lo, hi, rows);
}

/* Rows = query rows of the block (A = a score tile read down a column:
 * ars = 1, acs = ATT_QB), inner dimension the keys of the tile:
 * out += p v (mode 0 first tile, else 2 with alpha), dq += ds k (0, 1). */
static void o_by_query(int mode, size_t d, float *c, size_t crs, const float *alpha,
                       const float *a, const float *b, size_t brs, const size_t *lo,
                       const size_t *hi, size_t rows)
{
    if (mode == 0) o_cols(0, d, c, crs, alpha, a, 1, ATT_QB, b, brs, lo, hi, rows);
    else if (mode == 1) o_cols(1, d, c, crs, alpha, a, 1, ATT_QB, b, brs, lo, hi, rows);
    else o_cols(2, d, c, crs, alpha, a, 1, ATT_QB, b, brs, lo, hi, rows);
}

/* Rows = keys of the tile (A = a score tile read along a row: ars =
 * ATT_QB, acs = 1), inner dimension the query rows of the block,
 * accumulated into the caller's rows: dv += p^T dout, dk += ds^T q. */
static void o_by_key(size_t d, float *c, size_t crs, const float *a, const float *b, size_t brs,
                     const size_t *lo, const size_t *hi, size_t rows)
{
    o_cols(1, d, c, crs, NULL, a, ATT_QB, 1, b, brs, lo, hi, rows);
}

/* ---- workspace ---- */

/* 1/sqrt(d), as the reference computes it; d = 0 has empty dot products. */
static float att_scale(size_t d)
{
    return d ? 1.0f / sqrtf((float)d) : 1.0f;
}

/* Bytes of 64 + 4 * (nd * d * ATT_QB + nt * ATT_KT * ATT_QB + ATT_QB * dp +
 * nv * ATT_QB); SIZE_MAX on overflow, or when t floats could not exist
 * (no such sequence). Independent of t otherwise. */
static size_t att_ws_bytes(size_t t, size_t d, size_t nd, size_t nt, size_t nv)
{
    if (nns_mul_overflows(t, sizeof(float))) return SIZE_MAX;
    if (t == 0) return 0;
    if (d > (SIZE_MAX - 64) / sizeof(float) / ATT_QB / (nd + 2)) return SIZE_MAX;
    const size_t dp = att_round_up(d, VF_LANES);
    const size_t floats = nd * d * ATT_QB + nt * ATT_KT * ATT_QB + ATT_QB * dp + nv * ATT_QB;
    return 64 + floats * sizeof(float);
}

size_t NNS_VARIANT(attention_fwd_workspace_size)(size_t t, size_t d)
{
    return att_ws_bytes(t, d, 1, 1, 3);
}

size_t NNS_VARIANT(attention_bwd_workspace_size)(size_t t, size_t d)
{
    return att_ws_bytes(t, d, 2, 2, 2);
}

/* Packs rows [0, nb) of a (rows `lda` apart, d floats each) transposed:
 * dst[e * ATT_QB + r]; columns [nb, nbw) are zeros (nbw a multiple of
 * the vector). In blocks of VF_LANES x VF_LANES through vf_transpose: a
 * scalar transpose took 0.57 ns an element here, 7% of the IMDb shape's
 * forward. */
static void pack_t(float *dst, const float *a, size_t lda, size_t nb, size_t nbw, size_t d)
{
    for (size_t r0 = 0; r0 < nbw; r0 += VF_LANES) {
        const size_t rows = nb > r0 ? att_min(VF_LANES, nb - r0) : 0;
        for (size_t e0 = 0; e0 < d; e0 += VF_LANES) {
            const size_t ne = att_min(VF_LANES, d - e0);
            vf blk[VF_LANES];
#pragma GCC unroll 16
            for (size_t i = 0; i < VF_LANES; i++) {
                const float *src = a + (r0 + i) * lda + e0;
                blk[i] = i >= rows           ? vf_set1(0.0f)
                         : ne == VF_LANES    ? vf_load(src)
                                             : vf_load_n(src, ne);
            }
            vf_transpose(blk);
#pragma GCC unroll 16
            for (size_t i = 0; i < VF_LANES; i++)
                if (i < ne) vf_store(dst + (e0 + i) * ATT_QB + r0, blk[i]);
        }
    }
}

/* Causal limits of the keys [k0, k0 + nk) for query rows i0 + r0 + r of a
 * row tile: hi_r = number of the tile's keys row i sees (i + 1 - k0,
 * clipped to [0, nk]); all nk if not causal. */
static void query_limits(size_t *lo, size_t *hi, size_t i, size_t rows, size_t k0, size_t nk,
                         int causal)
{
    for (size_t r = 0; r < rows; r++) {
        lo[r] = 0;
        hi[r] = !causal ? nk : i + r + 1 <= k0 ? 0 : att_min(nk, i + r + 1 - k0);
    }
}

/* ---- the walk over blocks ----
 *
 * Both directions walk the query blocks of the valid rows in the order
 * sequence, head, block; every block visits the key tiles [0, kend)
 * ascending. While a tile is computed, the rows the next tile (or the
 * next block's first tile and its query rows) will read are prefetched:
 * the first touch of a head's rows would otherwise stall on memory (the
 * IMDb shape's q, k, v do not fit in L2), and at T = 1024 a head's keys
 * and values no longer stay in L2 between blocks. */

typedef struct att_call {
    float *out, *lse, *dq, *dk, *dv;
    const float *q, *k, *v, *dout, *o, *lse_in; /* o, lse_in: the forward's, for the backward */
    const int32_t *lengths;
    size_t ld, b, t, h, d, c;
    int causal;
    float scale;
} att_call;

typedef struct att_blk {
    size_t s, j, i0, nb, kend, len;
} att_blk;

static size_t att_len(const att_call *a, size_t s)
{
    return a->lengths ? (size_t)a->lengths[s] : a->t;
}

/* Fills the rest of *x from x->s, x->j, x->i0; 0 past the last block. */
static int att_settle(const att_call *a, att_blk *x)
{
    for (;;) {
        if (x->s >= a->b || a->h == 0) return 0;
        x->len = att_len(a, x->s);
        if (x->i0 < x->len) break;
        x->i0 = 0;
        if (++x->j == a->h) x->j = 0, x->s++;
    }
    x->nb = att_min(ATT_QB, x->len - x->i0);
    x->kend = a->causal ? x->i0 + x->nb : x->len;
    return 1;
}

static int att_first(const att_call *a, att_blk *x)
{
    x->s = x->j = x->i0 = 0;
    return att_settle(a, x);
}

static int att_next(const att_call *a, const att_blk *cur, att_blk *x)
{
    *x = *cur;
    x->i0 += ATT_QB;
    return att_settle(a, x);
}

/* Offsets of row 0 of block x's head: in q, k, v and the gradients (rows
 * ld apart), in out and dout (rows c apart), in lse. */
static size_t att_base(const att_call *a, const att_blk *x)
{
    return x->s * a->t * a->ld + x->j * a->d;
}
static size_t att_obase(const att_call *a, const att_blk *x)
{
    return x->s * a->t * a->c + x->j * a->d;
}
static size_t att_lbase(const att_call *a, const att_blk *x)
{
    return (x->s * a->h + x->j) * a->t;
}

/* Prefetches what the tile after [k0, k0 + KT) of block x reads: the next
 * tile's key rows of k, v (and, backward, dk, dv), or the next block's
 * query rows (q; backward also dout, out, dq) and its first tile. */
static void att_prefetch_next(const att_call *a, const att_blk *x, const att_blk *nx, size_t k0,
                              int bwd)
{
    const att_blk *y = x;
    size_t kn = k0 + ATT_KT;
    if (kn >= x->kend) {
        if (!nx) return;
        y = nx, kn = 0;
        const size_t base = att_base(a, y) + y->i0 * a->ld, obase = att_obase(a, y) + y->i0 * a->c;
        pf_rows(a->q + base, a->ld, y->nb, a->d, 0);
        if (bwd) {
            pf_rows(a->dout + obase, a->c, y->nb, a->d, 0);
            pf_rows(a->o + obase, a->c, y->nb, a->d, 0);
            pf_rows(a->dq + base, a->ld, y->nb, a->d, 1);
        }
    }
    const size_t rows = att_min(ATT_KT, y->kend - kn), base = att_base(a, y) + kn * a->ld;
    pf_rows(a->k + base, a->ld, rows, a->d, 0);
    pf_rows(a->v + base, a->ld, rows, a->d, 0);
    if (bwd) {
        pf_rows(a->dk + base, a->ld, rows, a->d, 1);
        pf_rows(a->dv + base, a->ld, rows, a->d, 1);
    }
}

/* ---- forward ---- */

/* One query block x: rows [i0, i0 + nb) of sequence s, head j. */
static void fwd_block(const att_call *a, const att_blk *x, const att_blk *nx, float *ws)
{
    const size_t d = a->d, ld = a->ld, i0 = x->i0, nb = x->nb, kend = x->kend;
    const size_t dp = att_round_up(d, VF_LANES), nbw = att_round_up(nb, VF_LANES);
    const size_t base = att_base(a, x);
    const float *qb = a->q + base, *kb = a->k + base, *vb = a->v + base;
    float *ob = a->out + att_obase(a, x), *lb = a->lse + att_lbase(a, x);
    float *qt = ws, *st = qt + d * ATT_QB, *oacc = st + ATT_KT * ATT_QB;
    float *mv = oacc + ATT_QB * dp, *lv = mv + ATT_QB, *av = lv + ATT_QB;
    const vf vscale = vf_set1(a->scale), ninf = vf_set1(-INFINITY), zero = vf_set1(0.0f);
    const vf lane = vf_load(att_lane_index);

    pack_t(qt, qb + i0 * ld, ld, nb, nbw, d);
    for (size_t i = 0; i < nbw; i += VF_LANES) {
        vf_store(mv + i, ninf);
        vf_store(lv + i, zero);
    }
    for (size_t k0 = 0; k0 < kend; k0 += ATT_KT) {
        const size_t nk = att_min(ATT_KT, kend - k0);
        att_prefetch_next(a, x, nx, k0, 0);
        /* S^T = scale K Q^T: nk rows of nbw query lanes. */
        s_product(st, kb + k0 * ld, ld, qt, d, nk, nbw, vscale);
        /* Statistics: the tile's max (masked scores -inf first), p, l. */
        for (size_t i = 0; i < nbw; i += VF_LANES) {
            const vf mo = vf_load(mv + i);
            vf mn = mo;
            /* The max of non-NaN scores as the reference's (on NEON a NaN
             * may become the max: the row is NaN through p and l anyway). */
            if (a->causal && k0 + nk > i0 + i + 1) { /* a key past this vector's first row */
                for (size_t kk = 0; kk < nk; kk++) {
                    float *sp = st + kk * ATT_QB + i;
                    const vf thr = vf_set1((float)((ptrdiff_t)(k0 + kk) - (ptrdiff_t)(i0 + i)));
                    vf sv = vf_select(vf_le(thr, lane), vf_load(sp), ninf);
                    vf_store(sp, sv);
                    mn = vf_max(sv, mn);
                }
            } else {
                for (size_t kk = 0; kk < nk; kk++) mn = vf_max(vf_load(st + kk * ATT_QB + i), mn);
            }
            /* No finite score yet: exp(s - 0) gives 0 for -inf, NaN for NaN. */
            const vf ms = vf_select(vf_gt(mn, ninf), mn, zero);
            vf lt = zero;
            for (size_t kk = 0; kk < nk; kk++) {
                float *sp = st + kk * ATT_QB + i;
                vf p = vf_exp(vf_sub(vf_load(sp), ms));
                lt = vf_add(lt, p);
                vf_store(sp, p);
            }
            /* alpha = exp(m_old - m_new), exactly 1 when the max is unchanged. */
            const vf alpha = vf_select(vf_lt(mo, mn), vf_exp(vf_sub(mo, mn)), vf_set1(1.0f));
            vf_store(lv + i, vf_fma(alpha, vf_load(lv + i), lt));
            vf_store(mv + i, mn);
            vf_store(av + i, alpha);
        }
        /* out_acc = alpha out_acc + P V over the keys each row sees. */
        for (size_t r0 = 0; r0 < nb; r0 += ATT_MR) {
            const size_t rows = att_min(ATT_MR, nb - r0);
            size_t lo[ATT_MR], hi[ATT_MR];
            query_limits(lo, hi, i0 + r0, rows, k0, nk, a->causal);
            o_by_query(k0 == 0 ? 0 : 2, d, oacc + r0 * dp, dp, av + r0, st + r0, vb + k0 * ld, ld,
                       lo, hi, rows);
        }
    }
    /* out = out_acc / l; lse = m + log(l) (NaN if no score was a number
     * above -inf: the reference's exp(s - m) is NaN there). */
    for (size_t r = 0; r < nb; r++) {
        const float l = lv[r], m = mv[r];
        const vf vl = vf_set1(l);
        float *o = ob + (i0 + r) * a->c;
        const float *acc = oacc + r * dp;
        size_t e = 0;
        for (; e + VF_LANES <= d; e += VF_LANES) vf_store(o + e, vf_div(vf_load(acc + e), vl));
        if (e < d) vf_store_n(o + e, vf_div(vf_load_n(acc + e, d - e), vl), d - e);
        lb[i0 + r] = m == -INFINITY ? NAN : m + logf(l);
    }
}

void NNS_VARIANT(attention_fwd)(float *out, float *lse, const float *q, const float *k,
                                const float *v, size_t ld, const int32_t *lengths, size_t b,
                                size_t t, size_t h, size_t d, int causal, void *workspace)
{
    if (b == 0 || t == 0 || h == 0) return;
    const att_call a = {.out = out, .lse = lse, .q = q, .k = k, .v = v, .lengths = lengths,
                        .ld = ld, .b = b, .t = t, .h = h, .d = d, .c = h * d,
                        .causal = causal, .scale = att_scale(d)};
    float *ws = att_align64(workspace);
    /* Padding rows: out = 0, lse = 0. */
    for (size_t s = 0; s < b; s++)
        for (size_t j = 0; j < h; j++)
            for (size_t i = att_len(&a, s); i < t; i++) {
                float *o = out + (s * t + i) * a.c + j * d;
                for (size_t e = 0; e < d; e += VF_LANES)
                    vf_store_n(o + e, vf_set1(0.0f), att_min(VF_LANES, d - e));
                lse[(s * h + j) * t + i] = 0.0f;
            }
    att_blk x, nx;
    for (int more = att_first(&a, &x); more; x = nx) {
        more = att_next(&a, &x, &nx);
        fwd_block(&a, &x, more ? &nx : NULL, ws);
    }
}

/* ---- backward ---- */

/* One query block x: rows [i0, i0 + nb) of sequence s, head j. */
static void bwd_block(const att_call *a, const att_blk *x, const att_blk *nx, float *ws)
{
    const size_t d = a->d, ld = a->ld, c = a->c, i0 = x->i0, nb = x->nb, kend = x->kend;
    const size_t dp = att_round_up(d, VF_LANES), nbw = att_round_up(nb, VF_LANES);
    const size_t base = att_base(a, x), obase = att_obase(a, x);
    const float *qb = a->q + base, *kb = a->k + base, *vb = a->v + base;
    const float *gb = a->dout + obase, *ob = a->o + obase, *lb = a->lse_in + att_lbase(a, x);
    float *dqb = a->dq + base, *dkb = a->dk + base, *dvb = a->dv + base;
    float *qt = ws, *gt = qt + d * ATT_QB, *pt = gt + d * ATT_QB, *dst = pt + ATT_KT * ATT_QB;
    float *dqacc = dst + ATT_KT * ATT_QB, *lsev = dqacc + ATT_QB * dp, *dvec = lsev + ATT_QB;
    const vf vscale = vf_set1(a->scale), one = vf_set1(1.0f);

    pack_t(qt, qb + i0 * ld, ld, nb, nbw, d);
    pack_t(gt, gb + i0 * c, c, nb, nbw, d);
    /* D_i = dout_i . out_i, and lse; zeros in the padding lanes. */
    for (size_t r = 0; r < nbw; r++) {
        if (r >= nb) {
            lsev[r] = dvec[r] = 0.0f;
            continue;
        }
        const float *g = gb + (i0 + r) * c, *o = ob + (i0 + r) * c;
        vf acc = vf_set1(0.0f);
        size_t e = 0;
        for (; e + VF_LANES <= d; e += VF_LANES) acc = vf_fma(vf_load(g + e), vf_load(o + e), acc);
        if (e < d) acc = vf_fma(vf_load_n(g + e, d - e), vf_load_n(o + e, d - e), acc);
        dvec[r] = vf_hsum(acc);
        lsev[r] = lb[i0 + r];
    }
    for (size_t k0 = 0; k0 < kend; k0 += ATT_KT) {
        const size_t nk = att_min(ATT_KT, kend - k0);
        att_prefetch_next(a, x, nx, k0, 1);
        /* S^T = scale K Q^T and dP^T = V dout^T. */
        s_product(pt, kb + k0 * ld, ld, qt, d, nk, nbw, vscale);
        s_product(dst, vb + k0 * ld, ld, gt, d, nk, nbw, one);
        /* p = exp(s - lse), ds' = scale p (dp - D). Masked pairs get
         * values too, but no product below reads them. */
        for (size_t kk = 0; kk < nk; kk++)
            for (size_t i = 0; i < nbw; i += VF_LANES) {
                float *pp = pt + kk * ATT_QB + i, *gp = dst + kk * ATT_QB + i;
                vf p = vf_exp(vf_sub(vf_load(pp), vf_load(lsev + i)));
                vf ds = vf_mul(p, vf_sub(vf_load(gp), vf_load(dvec + i)));
                vf_store(pp, p);
                vf_store(gp, vf_mul(vscale, ds));
            }
        /* dv += p^T dout, dk += ds'^T q: rows = keys, over the block's
         * query rows that see each key (i >= key if causal). */
        for (size_t r0 = 0; r0 < nk; r0 += ATT_MR) {
            const size_t rows = att_min(ATT_MR, nk - r0);
            size_t lo[ATT_MR], hi[ATT_MR];
            for (size_t r = 0; r < rows; r++) {
                const size_t key = k0 + r0 + r;
                lo[r] = a->causal && key > i0 ? att_min(key - i0, nb) : 0;
                hi[r] = nb;
            }
            o_by_key(d, dvb + (k0 + r0) * ld, ld, pt + r0 * ATT_QB, gb + i0 * c, c, lo, hi, rows);
            o_by_key(d, dkb + (k0 + r0) * ld, ld, dst + r0 * ATT_QB, qb + i0 * ld, ld, lo, hi, rows);
        }
        /* dq_acc += ds' K over the keys each row sees. */
        for (size_t r0 = 0; r0 < nb; r0 += ATT_MR) {
            const size_t rows = att_min(ATT_MR, nb - r0);
            size_t lo[ATT_MR], hi[ATT_MR];
            query_limits(lo, hi, i0 + r0, rows, k0, nk, a->causal);
            o_by_query(k0 == 0 ? 0 : 1, d, dqacc + r0 * dp, dp, NULL, dst + r0, kb + k0 * ld, ld,
                       lo, hi, rows);
        }
    }
    /* dq += dq_acc: one addition per element. */
    for (size_t r = 0; r < nb; r++) {
        float *g = dqb + (i0 + r) * ld;
        const float *acc = dqacc + r * dp;
        size_t e = 0;
        for (; e + VF_LANES <= d; e += VF_LANES)
            vf_store(g + e, vf_add(vf_load(g + e), vf_load(acc + e)));
        if (e < d)
            vf_store_n(g + e, vf_add(vf_load_n(g + e, d - e), vf_load_n(acc + e, d - e)), d - e);
    }
}

void NNS_VARIANT(attention_bwd)(float *dq, float *dk, float *dv, const float *dout,
                                const float *q, const float *k, const float *v, const float *out,
                                const float *lse, size_t ld, const int32_t *lengths, size_t b,
                                size_t t, size_t h, size_t d, int causal, void *workspace)
{
    if (b == 0 || t == 0 || h == 0 || d == 0) return; /* no gradient element */
    const att_call a = {.dq = dq, .dk = dk, .dv = dv, .q = q, .k = k, .v = v, .dout = dout,
                        .o = out, .lse_in = lse, .lengths = lengths, .ld = ld, .b = b,
                        .t = t, .h = h, .d = d, .c = h * d, .causal = causal,
                        .scale = att_scale(d)};
    float *ws = att_align64(workspace);
    att_blk x, nx;
    for (int more = att_first(&a, &x); more; x = nx) {
        more = att_next(&a, &x, &nx);
        bwd_block(&a, &x, more ? &nx : NULL, ws);
    }
}
