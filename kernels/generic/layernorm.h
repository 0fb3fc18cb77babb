/* Layer normalization written once over the vf_* operations; each ISA's
 * layernorm.c includes its vec.h and then this file, which defines
 * nns_layernorm_{fwd,bwd}__<isa>. Same math as reference/layernorm.c:
 * two-pass float statistics (the mean, then the squared deviations about
 * it), rstd = 1 / sqrt(var + eps), and the backward's two row means.
 *
 * Order of operations, and why the tolerance rows (tests/check/
 * check_layernorm.c) hold: the row sums use four vector accumulators and
 * the fixed fold of rows.h, an order the rows' gamma_C bounds cover (they
 * hold for any summation order); FMA fuses a product into the following
 * addition (d*d + acc, d*r*w + b, r*u + din, g*xhat + dweight,
 * gw - xhat*b), which only removes roundings from the models' counts.
 * The per-row divisions by c, the sqrt and the reciprocal are the
 * reference's scalar operations. Every row is processed from its first
 * element (no alignment peeling) and the same way wherever it falls in a
 * block, so its bits depend neither on where it sits in memory nor on
 * its index.
 *
 * Speed: rows come in blocks of up to 16 (at most 4096 floats, in L1):
 * first the statistics of every row of the block, whose short dependency
 * chains (sum, fold, divide; deviations, fold, sqrt, reciprocal) the CPU
 * overlaps across rows, then the block's outputs. The backward applies
 * rows in pairs, so dweight and dbias are loaded and stored once for two
 * rows (dw + g0 xhat0 + g1 xhat1: still rows ascending, the same bits).
 * Each row is read from memory once and re-read from L1. */
#include "rows.h"
#include "variant.h"

#include <math.h>

#define NNS_LN_BLOCK 16
#define NNS_LN_BLOCK_FLOATS 4096

/* Rows per block: a function of c only. */
static inline size_t nns_ln_block_rows(size_t c)
{
    size_t rb = c ? NNS_LN_BLOCK_FLOATS / c : NNS_LN_BLOCK;
    return rb < 1 ? 1 : rb > NNS_LN_BLOCK ? NNS_LN_BLOCK : rb;
}

/* The statistics of two rows at once, each with exactly the operations of
 * nns_row_sum and nns_row_sumsq_dev (rows.h), interleaved so that the two
 * rows' dependency chains overlap: the same bits as one row at a time. */
static inline void nns_ln_stats2(const float *x0, const float *x1, size_t c, float eps,
                                 float *m, float *r)
{
    const size_t L = VF_LANES;
    const vf z = vf_set1(0.0f);
    vf a0 = z, a1 = z, a2 = z, a3 = z, b0 = z, b1 = z, b2 = z, b3 = z;
    size_t k = 0;
    for (; k + 4 * L <= c; k += 4 * L) {
        a0 = vf_add(a0, vf_load(x0 + k));
        b0 = vf_add(b0, vf_load(x1 + k));
        a1 = vf_add(a1, vf_load(x0 + k + L));
        b1 = vf_add(b1, vf_load(x1 + k + L));
        a2 = vf_add(a2, vf_load(x0 + k + 2 * L));
        b2 = vf_add(b2, vf_load(x1 + k + 2 * L));
        a3 = vf_add(a3, vf_load(x0 + k + 3 * L));
        b3 = vf_add(b3, vf_load(x1 + k + 3 * L));
    }
    for (; k + L <= c; k += L) {
        a0 = vf_add(a0, vf_load(x0 + k));
        b0 = vf_add(b0, vf_load(x1 + k));
    }
    if (k < c) {
        a1 = vf_add(a1, vf_load_n(x0 + k, c - k));
        b1 = vf_add(b1, vf_load_n(x1 + k, c - k));
    }
    m[0] = nns_fold4(a0, a1, a2, a3) / (float)c;
    m[1] = nns_fold4(b0, b1, b2, b3) / (float)c;
    const vf m0 = vf_set1(m[0]), m1 = vf_set1(m[1]);
    a0 = a1 = a2 = a3 = b0 = b1 = b2 = b3 = z;
    for (k = 0; k + 4 * L <= c; k += 4 * L) {
#define LN_SQ(A, B, j)                                                     \
    do {                                                                   \
        vf d0_ = vf_sub(vf_load(x0 + k + (j) * L), m0);                    \
        vf d1_ = vf_sub(vf_load(x1 + k + (j) * L), m1);                    \
        A = vf_fma(d0_, d0_, A);                                           \
        B = vf_fma(d1_, d1_, B);                                           \
    } while (0)
        LN_SQ(a0, b0, 0);
        LN_SQ(a1, b1, 1);
        LN_SQ(a2, b2, 2);
        LN_SQ(a3, b3, 3);
    }
    for (; k + L <= c; k += L) LN_SQ(a0, b0, 0);
#undef LN_SQ
    if (k < c) {
        const vm tl = nns_tail_lanes(c - k);
        vf d0 = vf_select(tl, vf_sub(vf_load_n(x0 + k, c - k), m0), z);
        vf d1 = vf_select(tl, vf_sub(vf_load_n(x1 + k, c - k), m1), z);
        a1 = vf_fma(d0, d0, a1);
        b1 = vf_fma(d1, d1, b1);
    }
    r[0] = 1.0f / sqrtf(nns_fold4(a0, a1, a2, a3) / (float)c + eps);
    r[1] = 1.0f / sqrtf(nns_fold4(b0, b1, b2, b3) / (float)c + eps);
}

void NNS_VARIANT(layernorm_fwd)(float *out, float *mean, float *rstd, const float *in,
                                const float *weight, const float *bias, size_t n, size_t c,
                                float eps)
{
    const size_t L = VF_LANES, rb = nns_ln_block_rows(c);
    float ms[NNS_LN_BLOCK], rs[NNS_LN_BLOCK];
    for (size_t i0 = 0; i0 < n; i0 += rb) {
        const size_t nb = n - i0 < rb ? n - i0 : rb;
        size_t j = 0;
        for (; j + 2 <= nb; j += 2)
            nns_ln_stats2(in + (i0 + j) * c, in + (i0 + j + 1) * c, c, eps, ms + j, rs + j);
        if (j < nb) {
            const float *x = in + (i0 + j) * c;
            float m = nns_row_sum(x, c) / (float)c; /* c = 0: NaN, as the reference */
            float v = nns_row_sumsq_dev(x, c, m) / (float)c;
            ms[j] = m;
            rs[j] = 1.0f / sqrtf(v + eps);
        }
        for (size_t j = 0; j < nb; j++) {
            const float *x = in + (i0 + j) * c;
            float *y = out + (i0 + j) * c;
            const vf vm_ = vf_set1(ms[j]), vr = vf_set1(rs[j]);
            size_t k = 0;
            for (; k + L <= c; k += L) {
                vf xr = vf_mul(vf_sub(vf_load(x + k), vm_), vr);
                vf_store(y + k, vf_fma(xr, vf_load(weight + k), vf_load(bias + k)));
            }
            if (k < c) {
                size_t t = c - k;
                vf xr = vf_mul(vf_sub(vf_load_n(x + k, t), vm_), vr);
                nns_store_tail(y + k, vf_fma(xr, vf_load_n(weight + k, t), vf_load_n(bias + k, t)), t);
            }
            mean[i0 + j] = ms[j];
            rstd[i0 + j] = rs[j];
        }
    }
}

/* The backward's row means: *a = mean(gw), *b = mean(gw xhat), gw = g w,
 * xhat = (x - m) r. */
static inline void nns_ln_bwd_means(const float *x, const float *g, const float *weight, size_t c,
                                    float m, float r, float *a, float *b)
{
    const size_t L = VF_LANES;
    const vf vm_ = vf_set1(m), vr = vf_set1(r);
    vf a0 = vf_set1(0.0f), a1 = a0, a2 = a0, a3 = a0;
    vf b0 = a0, b1 = a0, b2 = a0, b3 = a0;
    size_t k = 0;
#define LN_TERM(j, A, B)                                                          \
    do {                                                                          \
        vf xh_ = vf_mul(vf_sub(vf_load(x + k + (j) * L), vm_), vr);               \
        vf gw_ = vf_mul(vf_load(g + k + (j) * L), vf_load(weight + k + (j) * L)); \
        A = vf_add(A, gw_);                                                       \
        B = vf_fma(gw_, xh_, B);                                                  \
    } while (0)
    for (; k + 4 * L <= c; k += 4 * L) {
        LN_TERM(0, a0, b0);
        LN_TERM(1, a1, b1);
        LN_TERM(2, a2, b2);
        LN_TERM(3, a3, b3);
    }
    for (; k + L <= c; k += L) LN_TERM(0, a0, b0);
#undef LN_TERM
    if (k < c) {
        size_t t = c - k;
        /* padding lanes: gw = 0 and xhat forced to 0 (not (0 - m) r,
         * which could overflow to a 0 * inf = NaN) */
        vf xh = vf_select(nns_tail_lanes(t), vf_mul(vf_sub(vf_load_n(x + k, t), vm_), vr),
                          vf_set1(0.0f));
        vf gw = vf_mul(vf_load_n(g + k, t), vf_load_n(weight + k, t));
        a1 = vf_add(a1, gw);
        b1 = vf_fma(gw, xh, b1);
    }
    *a = nns_fold4(a0, a1, a2, a3) / (float)c;
    *b = nns_fold4(b0, b1, b2, b3) / (float)c;
}

/* One row's terms at k (whole vector or tail of t lanes): din's new value
 * and xhat. */
#define NNS_LN_ROW_AT(LOAD, x, g, dx, vm_, vr, va, vb, gk, xh, dnew)                 \
    vf gk = LOAD(g + k);                                                           \
    vf xh = vf_mul(vf_sub(LOAD(x + k), vm_), vr);                                  \
    vf dnew = vf_fma(vr, vf_fnma(xh, vb, vf_sub(vf_mul(gk, LOAD(weight + k)), va)), \
                     LOAD(dx + k))

#define NNS_LN_LOAD(p) vf_load(p)
#define NNS_LN_LOAD_T(p) vf_load_n(p, t)

/* din += r (gw - a - xhat b) for one row; dweight += g xhat; dbias += g. */
static inline void nns_ln_bwd_row(float *dx, float *dweight, float *dbias, const float *g,
                                  const float *x, const float *weight, size_t c, float m, float r,
                                  float a, float b)
{
    const size_t L = VF_LANES;
    const vf vm_ = vf_set1(m), vr = vf_set1(r), va = vf_set1(a), vb = vf_set1(b);
    size_t k = 0;
    for (; k + L <= c; k += L) {
        NNS_LN_ROW_AT(NNS_LN_LOAD, x, g, dx, vm_, vr, va, vb, gk, xh, d);
        vf_store(dx + k, d);
        vf_store(dweight + k, vf_fma(gk, xh, vf_load(dweight + k)));
        vf_store(dbias + k, vf_add(vf_load(dbias + k), gk));
    }
    if (k < c) {
        size_t t = c - k;
        NNS_LN_ROW_AT(NNS_LN_LOAD_T, x, g, dx, vm_, vr, va, vb, gk, xh, d);
        nns_store_tail(dx + k, d, t);
        nns_store_tail(dweight + k, vf_fma(gk, xh, vf_load_n(dweight + k, t)), t);
        nns_store_tail(dbias + k, vf_add(vf_load_n(dbias + k, t), gk), t);
    }
}

/* Two consecutive rows (0 then 1), dweight and dbias touched once. */
static inline void nns_ln_bwd_row2(float *dx0, float *dx1, float *dweight, float *dbias,
                                   const float *g0, const float *g1, const float *x0,
                                   const float *x1, const float *weight, size_t c, const float *m,
                                   const float *r, const float *a, const float *b)
{
    const size_t L = VF_LANES;
    const vf vm0 = vf_set1(m[0]), vr0 = vf_set1(r[0]), va0 = vf_set1(a[0]), vb0 = vf_set1(b[0]);
    const vf vm1 = vf_set1(m[1]), vr1 = vf_set1(r[1]), va1 = vf_set1(a[1]), vb1 = vf_set1(b[1]);
    size_t k = 0;
    for (; k + L <= c; k += L) {
        NNS_LN_ROW_AT(NNS_LN_LOAD, x0, g0, dx0, vm0, vr0, va0, vb0, gk0, xh0, d0);
        NNS_LN_ROW_AT(NNS_LN_LOAD, x1, g1, dx1, vm1, vr1, va1, vb1, gk1, xh1, d1);
        vf_store(dx0 + k, d0);
        vf_store(dx1 + k, d1);
        vf_store(dweight + k, vf_fma(gk1, xh1, vf_fma(gk0, xh0, vf_load(dweight + k))));
        vf_store(dbias + k, vf_add(vf_add(vf_load(dbias + k), gk0), gk1));
    }
    if (k < c) {
        size_t t = c - k;
        NNS_LN_ROW_AT(NNS_LN_LOAD_T, x0, g0, dx0, vm0, vr0, va0, vb0, gk0, xh0, d0);
        NNS_LN_ROW_AT(NNS_LN_LOAD_T, x1, g1, dx1, vm1, vr1, va1, vb1, gk1, xh1, d1);
        nns_store_tail(dx0 + k, d0, t);
        nns_store_tail(dx1 + k, d1, t);
        nns_store_tail(dweight + k, vf_fma(gk1, xh1, vf_fma(gk0, xh0, vf_load_n(dweight + k, t))), t);
        nns_store_tail(dbias + k, vf_add(vf_add(vf_load_n(dbias + k, t), gk0), gk1), t);
    }
}

/* din += r (gw - a - xhat b), a = mean(gw), b = mean(gw xhat), gw = dout w,
 * xhat = (x - mean) r; dweight += dout xhat; dbias += dout (rows
 * ascending, as the reference). */
void NNS_VARIANT(layernorm_bwd)(float *din, float *dweight, float *dbias, const float *dout,
                                const float *in, const float *weight, const float *mean,
                                const float *rstd, size_t n, size_t c)
{
    const size_t rb = nns_ln_block_rows(c);
    float ms[NNS_LN_BLOCK], rs[NNS_LN_BLOCK], as[NNS_LN_BLOCK], bs[NNS_LN_BLOCK];
    for (size_t i0 = 0; i0 < n; i0 += rb) {
        const size_t nb = n - i0 < rb ? n - i0 : rb;
        for (size_t j = 0; j < nb; j++) {
            const size_t i = i0 + j;
            ms[j] = mean[i], rs[j] = rstd[i];
            nns_ln_bwd_means(in + i * c, dout + i * c, weight, c, ms[j], rs[j], &as[j], &bs[j]);
        }
        size_t j = 0;
        for (; j + 2 <= nb; j += 2) {
            const size_t i = i0 + j;
            nns_ln_bwd_row2(din + i * c, din + (i + 1) * c, dweight, dbias, dout + i * c,
                            dout + (i + 1) * c, in + i * c, in + (i + 1) * c, weight, c, ms + j,
                            rs + j, as + j, bs + j);
        }
        if (j < nb) {
            const size_t i = i0 + j;
            nns_ln_bwd_row(din + i * c, dweight, dbias, dout + i * c, in + i * c, weight, c, ms[j],
                           rs[j], as[j], bs[j]);
        }
    }
}
