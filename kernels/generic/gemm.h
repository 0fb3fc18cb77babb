/* The linear layer over a packed, register-blocked SGEMM, written once over
 * the vf_* operations; each ISA's linear.c defines GEMM_MR (rows of the
 * register tile) and GEMM_NV (vectors per tile row, so NR = GEMM_NV *
 * VF_LANES columns) and includes its vec.h and this file.
 *
 * The structure is BLIS's: C (m x n) += A (m x k) . B (k x n) in blocks of
 * NC columns (B panel in L3), KC depth (B micro-panels in L1), MC rows (A
 * panel in L2). B is copied into tile-ordered slivers, zero-padded to the
 * last vector the microkernel reads, so it streams them contiguously (but
 * for small depths, few-row products and rows an odd number of cache
 * lines apart, whose full slivers are read from B's own rows: see
 * gemm()); A is read in place where its
 * rows (or, for dweight's g^T, its columns) allow it and packed likewise
 * otherwise (see gemm()). Edge tiles run the same microkernel, a narrow
 * sliver with fewer vectors. Every element of C is one FMA chain over k
 * ascending, from the bias (forward) or C's own value (backward): a depth
 * block picks the chain up from C where the previous one left it. So the
 * bits depend neither on where a tile falls, nor on the thread count, nor
 * on KC: every ISA computes the same chains. MC, KC, NC come from the cache
 * sizes (dispatch/blocking.c), fixed at detection. The bias is where the
 * forward's chains start; its activation is a pass of its own over the
 * finished product, and the backward's derivative one over dout (see
 * linear_fwd, linear_bwd). */
#include "activation_math.h"
#include "rows.h"
#include "variant.h"

#include "nnsimd_internal.h"

#include <stdint.h>
#include <string.h>

#define GEMM_NR (GEMM_NV * VF_LANES)

static size_t round_up(size_t x, size_t to) { return (x + to - 1) / to * to; }

/* A matrix operand: element (i, k) at p[i * rs + k * cs]. */
typedef struct gemm_operand {
    const float *p;
    size_t rs, cs;
} gemm_operand;

/* Where the microkernel's sums start and how its tiles walk. */
typedef struct gemm_epilogue {
    int first;         /* first KC block: start from bias (or 0, or C when accumulating) */
    int accumulate;    /* C += A.B (backward) rather than C = A.B + bias */
    const float *bias; /* (n) or NULL, forward only */
    int along_rows;    /* tiles walk along C's rows (see gemm()): no prefetch of the tile below */
} gemm_epilogue;

/* One k of a sliver: the `rows` valid rows at src (contiguous), zeros to
 * GEMM_MR, a vector (masked at the edges) at a time. */
static inline void pack_a_column(float *restrict d, const float *src, size_t rows)
{
    for (size_t r0 = 0; r0 < GEMM_MR; r0 += VF_LANES) {
        size_t n = GEMM_MR - r0 < VF_LANES ? GEMM_MR - r0 : VF_LANES;
        size_t valid = rows > r0 ? (rows - r0 < n ? rows - r0 : n) : 0;
        vf v = valid == VF_LANES ? vf_load(src + r0) : valid ? vf_load_n(src + r0, valid) : vf_set1(0.0f);
        if (n == VF_LANES) vf_store(d + r0, v);
        else vf_store_n(d + r0, v, n);
    }
}

/* Packs rows [i0, i0 + mc) and depth [k0, k0 + kc) of A into slivers of
 * GEMM_MR rows, each stored k-major (dst[k * MR + r]); rows past mc are 0.
 * Used when A's rows are not contiguous in k (dweight's A = g^T, whose MR
 * rows at one k are adjacent, rs == 1: vector copies): PACK_A_DEPTH rows
 * of g at a time, read once while every sliver takes its stretch of them.
 * One k across all slivers (what this did before) writes 24 bytes to each
 * of mc / MR lines kc x MR x 4 bytes apart (12 KiB at AVX-512's deep
 * KC of 512, a multiple of 4 KiB): all in one L1 set, so every line went
 * back to L2 between its k's. On the Zen 5 (amd-oxide-f1a-m02), AVX-512,
 * paired rounds against OpenBLAS's Cooperlake kernels: dweight 512^3
 * 0.79 -> 1.02, 1024^3 0.90 -> 1.03, 2048^3 0.92 -> 1.02 (8 rows at a
 * time: the same within noise; 32: 0.96-0.99). Otherwise element by
 * element. Never inlined into gemm(), so a profile names it
 * (tools/profile_linear.py); it runs once per block of A. */
#define PACK_A_DEPTH 16
static __attribute__((noinline)) void pack_a(float *restrict dst, gemm_operand a, size_t i0,
                                             size_t mc, size_t k0, size_t kc)
{
    if (a.rs == 1) {
        for (size_t kb = 0; kb < kc; kb += PACK_A_DEPTH) {
            size_t ke = kc - kb < PACK_A_DEPTH ? kc : kb + PACK_A_DEPTH;
            /* The next block's rows of g, fetched while this one is dealt
             * out: the slivers walk its rows 24 bytes at a time, 16
             * streams at once, which the hardware prefetchers do not
             * follow. On the Zen 5, AVX2 (which always packs g^T), dweight
             * at the transformer's N8192 shapes against OpenBLAS: 0.81-0.88
             * -> 0.90-0.99, paired rounds; AVX-512 within noise. */
            for (size_t k = ke; k < ke + PACK_A_DEPTH && k < kc; k++)
                for (size_t i = 0; i < mc; i += 64 / sizeof(float))
                    __builtin_prefetch(a.p + (k0 + k) * a.cs + i0 + i);
            for (size_t ir = 0; ir < mc; ir += GEMM_MR)
                for (size_t k = kb; k < ke; k++)
                    pack_a_column(dst + ir * kc + k * GEMM_MR, a.p + (k0 + k) * a.cs + i0 + ir,
                                  mc - ir < GEMM_MR ? mc - ir : GEMM_MR);
        }
        return;
    }
    for (size_t ir = 0; ir < mc; ir += GEMM_MR) {
        size_t rows = mc - ir < GEMM_MR ? mc - ir : GEMM_MR;
        const float *src = a.p + (i0 + ir) * a.rs + k0 * a.cs;
        for (size_t k = 0; k < kc; k++) {
            float *d = dst + k * GEMM_MR;
            for (size_t r = 0; r < rows; r++) d[r] = src[k * a.cs + r * a.rs];
            for (size_t r = rows; r < GEMM_MR; r++) d[r] = 0.0f;
        }
        dst += kc * GEMM_MR;
    }
}

/* Copies k in [kb, ke) of the `cols` columns at src (column c at
 * src + c * cs, its k-th element at k * rs) into a sliver, one element at
 * a time: the edges of pack_b_transposed and the general strided case. */
static void pack_b_scalar(float *restrict dst, const float *src, size_t rs, size_t cs, size_t kb,
                          size_t ke, size_t c0, size_t cols)
{
    for (size_t c = c0; c < cols; c++)
        for (size_t k = kb; k < ke; k++) dst[k * GEMM_NR + c] = src[k * rs + c * cs];
}

/* One VF_LANES x VF_LANES block transposed in registers: row i of dst
 * (ld floats apart) gets element i of the source's rows (lds apart), of
 * which the first `rows` are read and the rest taken as zeros. */
static inline void transpose_block(float *restrict dst, size_t ld, const float *src, size_t lds,
                                   size_t rows)
{
    vf r[VF_LANES];
    for (size_t i = 0; i < VF_LANES; i++) r[i] = i < rows ? vf_load(src + i * lds) : vf_set1(0.0f);
    vf_transpose(r);
    for (size_t i = 0; i < VF_LANES; i++) vf_store(dst + i * ld, r[i]);
}

/* B = W^T (each column of B a row of W, contiguous in k): VF_LANES columns
 * x VF_LANES k at a time are loaded as VF_LANES vectors along k and
 * transposed in registers into VF_LANES rows of the sliver; a ragged last
 * block of at least VF_LANES / 2 columns likewise, zero vectors in place
 * of the missing ones (so its columns up to the vector's edge come out 0:
 * the 10-wide head on AVX-512), a narrower one, and the ragged k edge, one
 * element at a time (AVX2's 2 columns past 8: 3 % slower by transposes).
 * On the Xeon (intel-xeon-f06-mcf) the scalar transpose was about a third
 * of the N = 128 forward (784 -> 512: 0.93 ms, 0.60 ms with packing
 * skipped). */
static void pack_b_transposed(float *restrict dst, const float *src, size_t cs, size_t kc,
                              size_t cols)
{
    size_t kv = kc / VF_LANES * VF_LANES, cv = cols / VF_LANES * VF_LANES;
    size_t ct = cols - cv >= VF_LANES / 2 ? cols : cv; /* columns by transposes */
    for (size_t kb = 0; kb < kv; kb += VF_LANES) {
        for (size_t c0 = 0; c0 < ct; c0 += VF_LANES)
            transpose_block(dst + kb * GEMM_NR + c0, GEMM_NR, src + c0 * cs + kb, cs, cols - c0);
        pack_b_scalar(dst, src, 1, cs, kb, kb + VF_LANES, ct, cols);
    }
    pack_b_scalar(dst, src, 1, cs, kv, kc, 0, cols);
}

/* B's rows contiguous: row by row, each k's nc floats read once, front
 * to back, and dealt out to the slivers a vector at a time (a sliver
 * after another would read every row once per sliver: AVX2's 16-column
 * slivers cut a 512-wide row into 32 passes), the last vector of the last
 * sliver masked and its columns past nc zeroed. */
static void pack_b_rows(float *restrict dst, const float *src, size_t rs, size_t kc, size_t nc)
{
    for (size_t k = 0; k < kc; k++) {
        const float *row = src + k * rs;
        for (size_t jr = 0; jr < nc; jr += GEMM_NR) {
            float *d = dst + jr * kc + k * GEMM_NR;
            size_t cols = nc - jr < GEMM_NR ? nc - jr : GEMM_NR, j = 0;
            for (; j + VF_LANES <= cols; j += VF_LANES) vf_store(d + j, vf_load(row + jr + j));
            if (j < cols) vf_store_n(d + j, vf_load_n(row + jr + j, cols - j), cols - j);
            if (cols < GEMM_NR) memset(d + cols, 0, (GEMM_NR - cols) * sizeof *d);
        }
    }
}

/* Packs depth [k0, k0 + kc) and columns [j0, j0 + nc) of B into slivers of
 * GEMM_NR columns, each stored k-major (dst[k * NR + c]); columns past nc
 * are 0. Rows of B contiguous (cs == 1): row copies; columns contiguous
 * (rs == 1, B = W^T): register transposes; else element by element. */
static void pack_b(float *restrict dst, gemm_operand b, size_t k0, size_t kc, size_t j0, size_t nc)
{
    if (b.cs == 1) {
        pack_b_rows(dst, b.p + k0 * b.rs + j0, b.rs, kc, nc);
        return;
    }
    for (size_t jr = 0; jr < nc; jr += GEMM_NR) {
        size_t cols = nc - jr < GEMM_NR ? nc - jr : GEMM_NR;
        const float *src = b.p + k0 * b.rs + (j0 + jr) * b.cs;
        if (b.rs == 1) {
            pack_b_transposed(dst, src, b.cs, kc, cols);
        } else {
            pack_b_scalar(dst, src, b.rs, b.cs, 0, kc, 0, cols);
        }
        /* zeros to the last vector the microkernel reads (micro_dispatch:
         * as many as cover the columns) */
        size_t edge = round_up(cols, VF_LANES);
        for (size_t k = 0; cols < edge && k < kc; k++)
            memset(dst + k * GEMM_NR + cols, 0, (edge - cols) * sizeof *dst);
        dst += kc * GEMM_NR;
    }
}

/* out = act(in) over n floats: the forward's activation, one pass over
 * the finished product (see linear_fwd). */
static void act_map(float *out, const float *in, size_t n, nns_act act)
{
    switch (act) {
    case NNS_ACT_RELU: NNS_MAP_FWD(out, in, n, relu); break;
    case NNS_ACT_GELU: NNS_MAP_FWD(out, in, n, gelu); break;
    case NNS_ACT_GELU_TANH: NNS_MAP_FWD(out, in, n, gelu_tanh); break;
    default: break;
    }
}

/* Where one row of the tile's FMA chains start: the bias (or 0) on the
 * forward's first depth block, else what C holds (the earlier blocks' sum,
 * or the gradient being added to). `cols` valid columns, zeros past them. */
static inline __attribute__((always_inline)) void start_row(vf *acc, const float *c, size_t cols,
                                                            const float *bias, const gemm_epilogue *e,
                                                            size_t nv)
{
    const float *src = e->first && !e->accumulate ? bias : c;
    for (size_t j = 0; j < nv; j++) {
        size_t off = j * VF_LANES, rem = cols > off ? cols - off : 0;
        acc[j] = !src || rem == 0   ? vf_set1(0.0f)
                 : rem >= VF_LANES ? vf_load(src + off)
                                   : vf_load_n(src + off, rem);
    }
}

/* Stores one row of the tile: `cols` valid columns of acc[] at c. */
static inline __attribute__((always_inline)) void store_row(float *c, const vf *acc, size_t cols)
{
    for (size_t j = 0; j < GEMM_NV && j * VF_LANES < cols; j++) {
        size_t rem = cols - j * VF_LANES, off = j * VF_LANES;
        if (rem >= VF_LANES) vf_store(c + off, acc[j]);
        else vf_store_n(c + off, acc[j], rem);
    }
}

/* The products of the tile's first mr rows and nv vectors: acc[r][j] +=
 * a[r][k] b[k][j] over k ascending, one FMA chain per element (see
 * micro_body for the operands). */
static inline __attribute__((always_inline)) void
micro_loop(size_t kc, const float *const *ar, size_t a_cs, const float *restrict b, size_t b_rs,
           vf acc[GEMM_MR][GEMM_NV], size_t mr, size_t nv)
{
#pragma GCC unroll 4
    for (size_t k = 0; k < kc; k++) {
        vf bv[GEMM_NV];
#pragma GCC unroll 8
        for (size_t j = 0; j < nv; j++) bv[j] = vf_load(b + k * b_rs + j * VF_LANES);
#pragma GCC unroll 32
        for (size_t r = 0; r < mr; r++) {
            vf av = vf_set1(ar[r][k * a_cs]);
#pragma GCC unroll 8
            for (size_t j = 0; j < nv; j++) acc[r][j] = vf_fma(av, bv[j], acc[r][j]);
        }
    }
}

/* The next tile down (the caller's next call, unless the tiles walk along
 * rows) starts from its rows of C: fetch them while this one computes.
 * Past the matrix's end the addresses are only prefetched, which never
 * faults. */
static inline __attribute__((always_inline)) void prefetch_next_tile(float *c, size_t ldc,
                                                                     size_t cols, const gemm_epilogue *e)
{
    if (e->along_rows) return;
    for (size_t r = GEMM_MR; r < 2 * GEMM_MR; r++)
        for (size_t j = 0; j < cols; j += 16) __builtin_prefetch(c + r * ldc + j, 1);
}

/* A whole tile (GEMM_MR rows, GEMM_NR columns): C's loads and stores are
 * whole vectors at constant offsets, so the accumulators stay in
 * registers from the first load to the last store (the general body's
 * row-by-row start and store, with their masks, keep them in memory
 * around the products: for the small depths of a 10-wide layer's
 * backward that doubled the time of a tile). The same chains as
 * micro_body, so the same bits. */
static inline __attribute__((always_inline)) void
micro_full(size_t kc, const float *const *ar, size_t a_cs, const float *restrict b, size_t b_rs,
           float *c, size_t ldc, const float *bias, const gemm_epilogue *e)
{
    vf acc[GEMM_MR][GEMM_NV];
    if (e->first && !e->accumulate) {
#pragma GCC unroll 32
        for (size_t r = 0; r < GEMM_MR; r++)
#pragma GCC unroll 8
            for (size_t j = 0; j < GEMM_NV; j++)
                acc[r][j] = bias ? vf_load(bias + j * VF_LANES) : vf_set1(0.0f);
    } else {
#pragma GCC unroll 32
        for (size_t r = 0; r < GEMM_MR; r++)
#pragma GCC unroll 8
            for (size_t j = 0; j < GEMM_NV; j++) acc[r][j] = vf_load(c + r * ldc + j * VF_LANES);
    }
    prefetch_next_tile(c, ldc, GEMM_NR, e);
    micro_loop(kc, ar, a_cs, b, b_rs, acc, GEMM_MR, GEMM_NV);
#pragma GCC unroll 32
    for (size_t r = 0; r < GEMM_MR; r++)
#pragma GCC unroll 8
        for (size_t j = 0; j < GEMM_NV; j++) vf_store(c + r * ldc + j * VF_LANES, acc[r][j]);
}

/* The microkernel: the GEMM_MR x (nv VF_LANES) tile of a . b over kc (one
 * FMA chain per element, k ascending, continued from where start_row
 * says), stored to its rows x cols valid part of C (leading dimension
 * ldc). nv is a constant where
 * this is inlined: GEMM_NV for full slivers, fewer for a narrow edge one,
 * whose zero columns past nv vectors are then not computed (the same chain
 * for every column, so the same bits). Row r of A is ar[r], its k-th
 * element ar[r][k * a_cs]: a packed sliver (a_cs = MR) or, unpacked, rows
 * of the caller's matrix (a_cs = 1; rows past the tile's valid ones repeat
 * the last valid row and are never stored). B's k-th row of the tile is at
 * b + k * b_rs: a packed sliver (b_rs = NR) or, for a full sliver, the
 * caller's matrix itself. The same FMA chain either way, so all give the
 * same bits. */
static inline __attribute__((always_inline)) void
micro_body(size_t kc, const float *const *ar, size_t a_cs, const float *restrict b, size_t b_rs,
           float *c, size_t ldc, size_t rows, size_t cols, const float *bias,
           const gemm_epilogue *e, size_t mr, size_t nv)
{
    vf acc[GEMM_MR][GEMM_NV];
#pragma GCC unroll 32
    for (size_t r = 0; r < mr; r++)
        start_row(acc[r], c + (r < rows ? r : 0) * ldc, r < rows ? cols : 0, bias, e, nv);
    prefetch_next_tile(c, ldc, cols, e);
    micro_loop(kc, ar, a_cs, b, b_rs, acc, mr, nv);
    for (size_t r = 0; r < rows; r++)
        store_row(c + r * ldc, acc[r], cols);
}

/* The microkernel for a tile of `rows` x `cols` valid elements: a whole
 * tile by micro_full; a short full-width one with fewer rows; else as
 * few vectors as cover the columns (1 to 3 specialized; more take the
 * full tile's width). */
static inline __attribute__((always_inline)) void
micro_dispatch(size_t kc, const float *const *ar, size_t a_cs, const float *restrict b, size_t b_rs,
               float *c, size_t ldc, size_t rows, size_t cols, const float *bias,
               const gemm_epilogue *e)
{
#define NV_MIN(v) ((v) < GEMM_NV ? (v) : GEMM_NV)
#define BODY(mr, nv) micro_body(kc, ar, a_cs, b, b_rs, c, ldc, rows, cols, bias, e, mr, nv)
    if (rows == GEMM_MR && cols == GEMM_NR) {
        micro_full(kc, ar, a_cs, b, b_rs, c, ldc, bias, e);
        return;
    }
    /* The last rows of a matrix (128 = 21 x 6 + 2): a short full-width
     * tile computes 2 or 4 rows, not GEMM_MR. */
    if (cols > GEMM_NR - VF_LANES && rows <= 4 && GEMM_MR > 4) {
        if (rows <= 2) BODY(2, GEMM_NV);
        else BODY(4, GEMM_NV);
        return;
    }
    switch ((cols + VF_LANES - 1) / VF_LANES) {
    case 1: BODY(GEMM_MR, NV_MIN(1)); break;
    case 2: BODY(GEMM_MR, NV_MIN(2)); break;
    case 3: BODY(GEMM_MR, NV_MIN(3)); break;
    default: BODY(GEMM_MR, GEMM_NV); break;
    }
#undef BODY
#undef NV_MIN
}

/* A from a packed sliver: row r at a + r, stepping MR per k. Inlined
 * into each caller, so a constant b_rs stays a constant. */
static inline __attribute__((always_inline)) void
micro_packed_a(size_t kc, const float *a, const float *b, size_t b_rs, float *c, size_t ldc,
               size_t rows, size_t cols, const float *bias, const gemm_epilogue *e)
{
    const float *ar[GEMM_MR];
    for (size_t r = 0; r < GEMM_MR; r++) ar[r] = a + r;
    micro_dispatch(kc, ar, GEMM_MR, b, b_rs, c, ldc, rows, cols, bias, e);
}

/* Both packed. */
static void micro_packed(size_t kc, const float *a, const float *b, float *c, size_t ldc,
                         size_t rows, size_t cols, const float *bias, const gemm_epilogue *e)
{
    micro_packed_a(kc, a, b, GEMM_NR, c, ldc, rows, cols, bias, e);
}

/* A packed, B's full sliver read from the caller's rows (b_rs apart; see
 * gemm()). */
static void micro_packed_b_rows(size_t kc, const float *a, const float *b, size_t b_rs, float *c,
                                size_t ldc, size_t rows, const gemm_epilogue *e)
{
    micro_packed_a(kc, a, b, b_rs, c, ldc, rows, GEMM_NR, NULL, e);
}

/* A read in place: row r of the tile at a + r * rs, its k-th element
 * k * cs further; rows past the tile's valid ones repeat the last valid
 * row. Inlined into each caller, so constant strides stay constants. */
static inline __attribute__((always_inline)) void
micro_in_place(size_t kc, const float *a, size_t rs, size_t cs, const float *b, size_t b_rs,
               float *c, size_t ldc, size_t rows, size_t cols, const float *bias,
               const gemm_epilogue *e)
{
    const float *ar[GEMM_MR];
    for (size_t r = 0; r < GEMM_MR; r++) ar[r] = a + (r < rows ? r : rows - 1) * rs;
    micro_dispatch(kc, ar, cs, b, b_rs, c, ldc, rows, cols, bias, e);
}

/* Rows of a matrix whose k elements are contiguous. */
static void micro_rows(size_t kc, const float *a, size_t lda, const float *b, float *c, size_t ldc,
                       size_t rows, size_t cols, const float *bias, const gemm_epilogue *e)
{
    micro_in_place(kc, a, lda, 1, b, GEMM_NR, c, ldc, rows, cols, bias, e);
}

/* Columns contiguous (dweight's A = g^T: rs = 1, cs = oc, so the tile's
 * rows at one k are adjacent floats of a row of g). */
static void micro_cols(size_t kc, const float *a, size_t rs, size_t cs, const float *b, float *c,
                       size_t ldc, size_t rows, size_t cols, const float *bias,
                       const gemm_epilogue *e)
{
    micro_in_place(kc, a, rs, cs, b, GEMM_NR, c, ldc, rows, cols, bias, e);
}

/* Both in place: A by columns as micro_cols, B's full sliver read from the
 * caller's rows (b_rs apart): dweight with few output features, whose
 * packed B would serve only a row tile or two (see gemm()). */
static void micro_cols_b_rows(size_t kc, const float *a, size_t rs, size_t cs, const float *b,
                              size_t b_rs, float *c, size_t ldc, size_t rows,
                              const gemm_epilogue *e)
{
    micro_in_place(kc, a, rs, cs, b, b_rs, c, ldc, rows, GEMM_NR, NULL, e);
}

/* Rows in place, B's full slivers read from the caller's rows (b_rs
 * apart): a gradient of few input features (din of a 10-wide layer),
 * whose packed B would cost a sizable share of its few products (see
 * gemm()). One call does a row of tiles, `width` columns (whole slivers),
 * so a tile of a few FMAs per element does not also pay a call and the
 * setup of its row pointers. */
static void micro_rows_b_rows(size_t kc, const float *a, size_t lda, const float *b, size_t b_rs,
                              float *c, size_t ldc, size_t rows, size_t width,
                              const gemm_epilogue *e)
{
    for (size_t j = 0; j < width; j += GEMM_NR)
        micro_in_place(kc, a, lda, 1, b + j, b_rs, c + j, ldc, rows, GEMM_NR, NULL, e);
}

/* The largest span of A^T (kc rows of g) read in place; beyond it A^T is
 * packed (see gemm()). An ISA's linear.c may set its own. */
#ifndef GEMM_A_SPAN_MAX
#define GEMM_A_SPAN_MAX ((size_t)512 << 10)
#endif

/* dweight with at most this many output features (rows of C), and any
 * product of at most this depth, reads B in place (see gemm()). */
#define B_IN_PLACE_ROWS (2 * GEMM_MR)
#define B_IN_PLACE_DEPTH 16
/* Any product with at most this many rows of C reads B in place when
 * its rows are whole cache lines apart (see gemm()). */
#define B_FEW_ROWS 64

/* How much of L1d the shallow blocking's KC x NR micro-panel of B fills:
 * all of it unless the ISA's linear.c says otherwise. */
#ifndef GEMM_B_L1_PARTS
#define GEMM_B_L1_PARTS 1
#endif
/* How much of L2 the deep blocking's MC x KC panel of A fills: half
 * unless the ISA's linear.c says otherwise. */
#ifndef GEMM_DEEP_A_L2_PARTS
#define GEMM_DEEP_A_L2_PARTS 2
#endif

/* This ISA's tile, read by dispatch/blocking.c to size the cache blocks. */
const nns_gemm_tile NNS_VARIANT(gemm_tile) = {GEMM_MR, GEMM_NR, GEMM_B_L1_PARTS, GEMM_DEEP_A_L2_PARTS};

/* Blocking of this ISA for an m x n C (dispatch/blocking.c), multiples
 * of the tile. */
static const nns_gemm_blocking *blocking(size_t m, size_t n)
{
    return nns_gemm_blocking_for(NNS_ISA_ENUM, m * n * sizeof(float));
}

/* The deepest depth block for a C of n columns: KC, or a multiple of it
 * for a B narrower than a sliver, of which the microkernel reads only the
 * vectors that cover the columns (micro_dispatch), so that many more k
 * fit the same lines of L1 and C is loaded and stored fewer times. The
 * 512 -> 10 head's forward: one block of 512, not three of 171. */
static size_t depth_max(const nns_gemm_blocking *bk, size_t n)
{
    size_t read = n >= GEMM_NR ? GEMM_NR : n > VF_LANES ? round_up(n, VF_LANES) : VF_LANES;
    return bk->kc * (GEMM_NR / read);
}

/* Floats of packing space: an MC x KC panel of A and a KC x NC panel of B. */
static size_t pack_floats(size_t m, size_t n, size_t k)
{
    const nns_gemm_blocking *bk = blocking(m, n);
    size_t mc = m < bk->mc ? round_up(m, GEMM_MR) : bk->mc;
    size_t nc = n < bk->nc ? round_up(n, GEMM_NR) : bk->nc;
    size_t kmax = depth_max(bk, n), kc = k < kmax ? k : kmax;
    return mc * kc + kc * nc;
}

/* C (m x n, leading dimension ldc) = A . B (+ bias, or + C) with A (m x k), B (k x n). */
static void gemm(float *c, size_t ldc, gemm_operand a, gemm_operand b, size_t m,
                 size_t n, size_t k, const gemm_epilogue *ep, float *ws)
{
    const nns_gemm_blocking *bk = blocking(m, n);
    for (size_t jc = 0; jc < n; jc += bk->nc) {
        size_t nc = n - jc < bk->nc ? n - jc : bk->nc;
        /* Depth blocks of equal size (784 = 4 x 196, not 4 x 192 + 16: a
         * thin last block pays C's load and store for few products). They
         * depend on k alone, so every element still sums in one order. */
        size_t kmax = depth_max(bk, n), blocks = (k + kmax - 1) / kmax;
        size_t kcb = (k + blocks - 1) / blocks;
        for (size_t pc = 0; pc < k; pc += kcb) {
            size_t kc = k - pc < kcb ? k - pc : kcb;
            size_t b_floats = kc * round_up(nc, GEMM_NR);
            float *bp = ws, *ap = ws + b_floats;
            /* A whose rows are contiguous in k is read in place (BLIS's
             * "sup" idea): its panel of MC rows stays in L2 by itself, and
             * packing it would cost as much as a sizable share of the
             * products for the models' few-hundred-row batches. So is A
             * = g^T (columns contiguous: one row of g per k) when the kc
             * rows a tile reads span at most GEMM_A_SPAN_MAX bytes, or it
             * has at most two row tiles. Measured in interleaved A/B runs
             * on the Xeon: in place, dweight ran 3-9 % faster on the
             * models' shapes (spans of 40 B x kc to 2 KiB x 192 on
             * AVX-512), but 10 % slower at 1024^3 and 2048^3 (4 and 8 KiB
             * x 171-192): those spans keep hitting the same few L1 sets.
             * AVX2 sets the span to 0 (kernels/avx2/linear.c). */
            int a_in_place = a.cs == 1;
            int a_by_cols = a.rs == 1 && a.cs != 1 &&
                            (kc * a.cs * sizeof(float) <= GEMM_A_SPAN_MAX || m <= B_IN_PLACE_ROWS);
            /* With A read in place (dweight: by columns, or by rows when
             * it has one output feature) and at most two row tiles,
             * a packed sliver of B would serve one or two microkernel
             * calls, and packing B (all of the layer's input) would cost
             * as much as its products (the 512 -> 10 head: 10 x 128
             * products per element of B): full slivers are then read
             * from B's own rows, only the ragged last one is packed. */
            /* So it is, A read by rows, for a depth of at most
             * B_IN_PLACE_DEPTH (din of the 512 -> 10 head: 10 products per
             * element of C), where the sliver's kc rows, at any stride,
             * stay within L1's ways: OpenBLAS's time over ours for the
             * head's backward went from 0.96-0.98 to 0.98-1.00 (paired
             * rounds, intel-xeon-f06-ma7). */
            /* And so it is, however A is read, at any depth when B's rows
             * are an odd number of cache lines apart (the 784 -> 512
             * layer's din, W's rows, and dweight, the input's rows: 49
             * lines apart): a sliver's consecutive rows then fall in
             * distinct L1 sets, so its kc rows stay in L1 while the tiles
             * walk down C's columns, as a packed sliver would, and the
             * packing is saved. On the Zen 5 (amd-oxide-f1a-m02), paired
             * rounds against OpenBLAS, two alternations each: din
             * 0.98-0.99 -> 1.02 (AVX2, Haswell kernels), 0.96-0.97 ->
             * 1.01-1.02 (AVX-512, Cooperlake); dweight 0.97-0.98 ->
             * 1.00-1.01 (AVX2, which packs g^T), AVX-512 (g^T in place)
             * within noise. (Rows a power of two of lines apart share a
             * few sets: the 512 -> 512 layer's 32 lines are packed.) */
            /* With at most B_FEW_ROWS rows of C (more than two row tiles)
             * a packed sliver would serve at most 11 tiles, too few to
             * pay for its packing, and B is read in place however many
             * lines apart its rows are: a thread's 64 rows of the MLP's
             * batch (din of the 512 -> 512 layer: W's rows, 32 lines
             * apart) and its 64-feature chunks of dweight (the layer
             * input's rows). On the Zen 5 (amd-oxide-f1a-m02), one core,
             * medians of 301 calls, three alternations: AVX-512 din (64
             * rows, 512 -> 512) 177-185 against 186-200 us, dweight (64 of
             * 512 features, 128 rows) 41-43 against 45-48; AVX2 din even,
             * dweight 90-95 against 104-107. (At 128 rows: AVX-512's din
             * even, AVX2's slower.) */
            size_t b_lines = b.rs * sizeof(float) / 64;
            int b_rows_spread = kc > B_IN_PLACE_DEPTH && b.rs * sizeof(float) % 64 == 0 &&
                                (b_lines % 2 == 1 || (m > B_IN_PLACE_ROWS && m <= B_FEW_ROWS));
            int b_in_place = b.cs == 1 && !ep->bias &&
                             (((a_by_cols || a_in_place) && m <= B_IN_PLACE_ROWS) ||
                              (a_in_place && kc <= B_IN_PLACE_DEPTH) || b_rows_spread);
            size_t packed_from = b_in_place ? nc / GEMM_NR * GEMM_NR : 0;
            gemm_epilogue e = *ep;
            e.first = pc == 0;
            /* With A by rows and B both in place (a small depth), the
             * tiles walk along C's rows, whose next tile the hardware
             * prefetcher streams, rather than down its columns (the
             * default, B's packed sliver staying in L1 while the rows go
             * by, the tile below prefetched): the 512 -> 10 head's
             * backward went from 0.98-0.99 to 1.02 of OpenBLAS's time
             * (paired rounds, intel-xeon-f06-ma7). The order of the tiles
             * changes no bit. */
            e.along_rows = b_in_place && a_in_place && !b_rows_spread;
            /* B's packed slivers: all ahead of the tiles, or each as the
             * tiles reach it (dispatch/blocking.c). On the Zen 5
             * (amd-oxide-f1a-m02), AVX2, paired rounds against OpenBLAS
             * (Haswell): din of the MLP's 784 -> 512 and 512 -> 512 layers
             * (panels of 800 and 512 KiB beside C's 400 and 256 in a 1 MiB
             * L2) 0.87 and 0.89 -> 0.96 and 0.96; AVX-512 within noise. */
            int b_ahead = (m * n + b_floats) * sizeof(float) <= bk->ahead_bytes;
            if (packed_from < nc && b_ahead)
                pack_b(bp + packed_from * kc, b, pc, kc, jc + packed_from, nc - packed_from);
            for (size_t ic = 0; ic < m; ic += bk->mc) {
                size_t mc = m - ic < bk->mc ? m - ic : bk->mc;
                if (!a_in_place && !a_by_cols) pack_a(ap, a, ic, mc, pc, kc);
                for (size_t ir = 0, jr = 0; ir < mc && jr < nc;) {
                    size_t cols = nc - jr < GEMM_NR ? nc - jr : GEMM_NR, width = GEMM_NR;
                    size_t rows = mc - ir < GEMM_MR ? mc - ir : GEMM_MR;
                    const float *bias = ep->bias ? ep->bias + jc + jr : NULL;
                    size_t at = (ic + ir) * ldc + jc + jr;
                    if (!b_ahead && ic == 0 && ir == 0 && jr >= packed_from)
                        pack_b(bp + jr * kc, b, pc, kc, jc + jr, cols);
                    if (jr < packed_from && a_in_place) { /* along rows, every full sliver; or one */
                        width = e.along_rows ? packed_from - jr : GEMM_NR;
                        micro_rows_b_rows(kc, a.p + (ic + ir) * a.rs + pc, a.rs,
                                          b.p + pc * b.rs + jc + jr, b.rs, c + at, ldc, rows,
                                          width, &e);
                    } else if (jr < packed_from && !a_by_cols)
                        micro_packed_b_rows(kc, ap + ir * kc, b.p + pc * b.rs + jc + jr, b.rs, c + at,
                                            ldc, rows, &e);
                    else if (jr < packed_from)
                        micro_cols_b_rows(kc, a.p + (ic + ir) * a.rs + pc * a.cs, a.rs, a.cs,
                                          b.p + pc * b.rs + jc + jr, b.rs, c + at, ldc, rows, &e);
                    else if (a_by_cols)
                        micro_cols(kc, a.p + (ic + ir) * a.rs + pc * a.cs, a.rs, a.cs,
                                   bp + jr * kc, c + at, ldc, rows, cols, bias, &e);
                    else if (a_in_place)
                        micro_rows(kc, a.p + (ic + ir) * a.rs + pc, a.rs, bp + jr * kc, c + at,
                                   ldc, rows, cols, bias, &e);
                    else
                        micro_packed(kc, ap + ir * kc, bp + jr * kc, c + at, ldc, rows, cols,
                                     bias, &e);
                    /* the next tile: to the right, or down */
                    if (e.along_rows) {
                        if ((jr += width) >= nc) jr = 0, ir += GEMM_MR;
                    } else if ((ir += GEMM_MR) >= mc) {
                        ir = 0, jr += GEMM_NR;
                    }
                }
            }
        }
    }
}

/* Whether the forward computes its product transposed, out^T = W . in^T:
 * its packing then transposes the input (n x c) and the result (oc x n)
 * rather than the weights (oc x c), less to move when the layer is much
 * wider than the batch is tall: the MLP's 784 -> 512 and 512 -> 512
 * layers at 128 rows on one thread. On the Zen 5 (amd-oxide-f1a-m02),
 * one thread's training step (alternating runs of 300 steps): AVX-512
 * 2.38-2.67 against 2.42-2.71 ms (medians of five 2.46 and 2.58), AVX2
 * 4.10-4.18 against 4.13-4.38 (four); the layers alone, their weights
 * warm in cache: AVX-512 784 -> 512 478-500 against 507-518 us, 512 ->
 * 512 even, AVX2 784 -> 512 5 % slower, 512 -> 512 3 % faster. Too few
 * rows to fill a sliver of B stay the usual way. */
static int forward_transposed(size_t n, size_t c, size_t oc)
{
    return n >= GEMM_NR && oc * c > n * c + 2 * n * oc;
}

/* dst (cols x rows, leading dimension ld) = src^T, src dense rows x cols:
 * whole blocks by transpose_block, the edges one element at a time. */
static void transpose_into(float *restrict dst, size_t ld, const float *restrict src, size_t rows,
                           size_t cols)
{
    size_t rv = rows / VF_LANES * VF_LANES, cv = cols / VF_LANES * VF_LANES;
    for (size_t i = 0; i < rv; i += VF_LANES)
        for (size_t j = 0; j < cv; j += VF_LANES)
            transpose_block(dst + j * ld + i, ld, src + i * cols + j, cols, VF_LANES);
    for (size_t i = 0; i < rows; i++)
        for (size_t j = i < rv ? cv : 0; j < cols; j++) dst[j * ld + i] = src[i * cols + j];
}

/* Workspace: 64 bytes of slack to align the panels (the caller's pointer
 * needs only float alignment), then the panels (and for a transposed
 * forward its oc x n result first); the backward adds g = dout *
 * act'(pre), n x oc floats, when act is set. */
size_t NNS_VARIANT(linear_fwd_workspace_size)(size_t n, size_t c, size_t oc, nns_act act)
{
    (void)act;
    if (n == 0 || c == 0 || oc == 0) return 0; /* no products to pack */
    if (forward_transposed(n, c, oc))
        return 64 + (round_up(oc * n, 16) + pack_floats(oc, n, c)) * sizeof(float);
    return 64 + pack_floats(n, oc, c) * sizeof(float);
}

size_t NNS_VARIANT(linear_bwd_workspace_size)(size_t n, size_t c, size_t oc, nns_act act)
{
    if (n == 0 || oc == 0) return 0; /* no gradient to form */
    size_t din = pack_floats(n, c, oc), dw = pack_floats(oc, c, n);
    size_t g = act == NNS_ACT_NONE ? 0 : round_up(n * oc, 16);
    return 64 + (g + (din > dw ? din : dw)) * sizeof(float);
}

static float *align64(void *p)
{
    return (float *)(((uintptr_t)p + 63) & ~(uintptr_t)63);
}

void NNS_VARIANT(linear_fwd)(float *out, float *pre, const float *in, const float *weight,
                             const float *bias, size_t n, size_t c, size_t oc, nns_act act,
                             void *workspace)
{
    if (n == 0 || oc == 0) return;
    /* The product plus bias goes to pre when it is kept, else to out; the
     * activation is then one pass from there into out. Applied to each
     * tile as it was stored (in L1), it ran slower than this pass over
     * the whole output: on the Zen 5 (amd-oxide-f1a-m02), the
     * transformer's 128 -> 512 GELU layer at N = 8192, AVX-512, 8.1-9.6
     * ms against 7.7-8.7 for linear_fwd then gelu_fwd, AVX2 15.5-21.2
     * against 15.0-17.2 (nnsimd-bench linear_act_fwd{,_unfused}, medians
     * of 5-7, three runs): the exact GELU's cost is its arithmetic, and
     * the pass saved over memory did not pay for what the tile's loop
     * lost. ReLU's two ways were even. */
    float *raw = act != NNS_ACT_NONE && pre ? pre : out;
    if (c == 0) { /* no products: the bias */
        for (size_t r = 0; r < n; r++)
            for (size_t j = 0; j < oc; j++) raw[r * oc + j] = bias ? bias[j] : 0.0f;
    } else if (forward_transposed(n, c, oc)) {
        /* raw^T[j, r] = sum_k weight[j, k] in[r, k]: A = weight, B[k, r] =
         * in[r, k]. Each row of raw^T starts as its bias, and the GEMM
         * accumulates, starting each chain from what C holds: the chains
         * of the other way, so the same bits. */
        float *ct = align64(workspace), *panels = ct + round_up(oc * n, 16);
        for (size_t j = 0; j < oc; j++)
            for (size_t r = 0; r < n; r++) ct[j * n + r] = bias ? bias[j] : 0.0f;
        gemm_operand a = {weight, c, 1}, b = {in, 1, c};
        gemm_epilogue e = {.accumulate = 1};
        gemm(ct, n, a, b, oc, n, c, &e, panels);
        transpose_into(raw, oc, ct, oc, n);
    } else {
        /* raw[r, j] = sum_k in[r, k] weight[j, k]: A = in, B[k, j] = weight[j, k]. */
        gemm_operand a = {in, c, 1}, b = {weight, 1, c};
        gemm_epilogue e = {.bias = bias};
        gemm(raw, oc, a, b, n, oc, c, &e, align64(workspace));
    }
    act_map(out, raw, n * oc, act);
}

void NNS_VARIANT(linear_bwd)(float *din, float *dweight, float *dbias, const float *dout,
                             const float *pre, const float *in, const float *weight, size_t n,
                             size_t c, size_t oc, nns_act act, void *workspace)
{
    if (n == 0 || oc == 0) return; /* g is empty: nothing to add */
    float *ws = align64(workspace);
    const float *g = dout;
    if (act != NNS_ACT_NONE) {
        /* g = dout * act'(pre), into the workspace (dout stays untouched),
         * by the activation kernels' own loop: whole vectors, the
         * derivative inlined, a masked tail. A masked vector at a time,
         * the activation chosen inside the loop, made the backward of the
         * transformer's GELU layer (N8192 128 -> 512) slower than doing
         * it unfused (gelu_bwd into a zeroed buffer, then linear_bwd): on
         * the Zen 5 (amd-oxide-f1a-m02) 18.9 against 15.7 ms on AVX-512,
         * 34.4 against 30.6 on AVX2; now 16.4-16.6 against 16.6-17.4 and
         * 29.4-31.6 against 30.5-31.8 (nnsimd-bench linear_act_bwd{,
         * _unfused}, medians of 5). */
        float *gw = ws;
        size_t total = n * oc;
        ws += round_up(total, 16);
        switch (act) {
        case NNS_ACT_RELU: NNS_MAP_GRAD(gw, dout, pre, total, relu_grad, 0); break;
        case NNS_ACT_GELU: NNS_MAP_GRAD(gw, dout, pre, total, gelu_grad, 0); break;
        default: NNS_MAP_GRAD(gw, dout, pre, total, gelu_tanh_grad, 0); break;
        }
        g = gw;
    }
    gemm_epilogue acc = {.accumulate = 1};
    if (din && oc) {
        /* din[r, j] += sum_o g[r, o] weight[o, j] */
        gemm_operand a = {g, oc, 1}, b = {weight, c, 1};
        gemm(din, c, a, b, n, c, oc, &acc, ws);
    }
    if (dweight && n) {
        /* dweight[o, j] += sum_r g[r, o] in[r, j] */
        gemm_operand a = {g, 1, oc}, b = {in, c, 1};
        gemm(dweight, c, a, b, oc, c, n, &acc, ws);
    }
    if (dbias) nns_sum_rows(dbias, dbias, g, n, oc, oc, 1.0f); /* dbias[o] += sum_r g[r, o], rows in order */
}
