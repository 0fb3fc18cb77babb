/* AVX-512 vector operations for the generic kernel bodies
 * (kernels/generic/): 16 float lanes, tails through masked loads and
 * stores, which suppress faults outside the mask. */
#ifndef NNS_VEC_AVX512_H
#define NNS_VEC_AVX512_H

#include <immintrin.h>
#include <stddef.h>
#include <stdint.h>

#define NNS_ISA avx512
#define NNS_ISA_ENUM NNS_ISA_AVX512
#define VF_LANES 16

typedef __m512 vf;
typedef __mmask16 vm;

static inline __mmask16 vf_tail_mask(size_t n) { return (__mmask16)((1u << n) - 1u); }

static inline vf vf_load(const float *p) { return _mm512_loadu_ps(p); }
static inline void vf_store(float *p, vf v) { _mm512_storeu_ps(p, v); }
static inline vf vf_load_n(const float *p, size_t n) { return _mm512_maskz_loadu_ps(vf_tail_mask(n), p); }
static inline void vf_store_n(float *p, vf v, size_t n) { _mm512_mask_storeu_ps(p, vf_tail_mask(n), v); }

static inline vf vf_set1(float x) { return _mm512_set1_ps(x); }
static inline vf vf_add(vf a, vf b) { return _mm512_add_ps(a, b); }
static inline vf vf_sub(vf a, vf b) { return _mm512_sub_ps(a, b); }
static inline vf vf_mul(vf a, vf b) { return _mm512_mul_ps(a, b); }
static inline vf vf_div(vf a, vf b) { return _mm512_div_ps(a, b); }
static inline vf vf_fma(vf a, vf b, vf c) { return _mm512_fmadd_ps(a, b, c); }   /* a*b + c */
static inline vf vf_fnma(vf a, vf b, vf c) { return _mm512_fnmadd_ps(a, b, c); } /* c - a*b */
static inline vf vf_abs(vf a) { return _mm512_abs_ps(a); }
static inline vf vf_round(vf a) { return _mm512_roundscale_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }

/* Ordered comparisons: false where either operand is NaN. */
static inline vm vf_lt(vf a, vf b) { return _mm512_cmp_ps_mask(a, b, _CMP_LT_OQ); }
static inline vm vf_le(vf a, vf b) { return _mm512_cmp_ps_mask(a, b, _CMP_LE_OQ); }
static inline vm vf_gt(vf a, vf b) { return _mm512_cmp_ps_mask(a, b, _CMP_GT_OQ); }
static inline vm vf_ge(vf a, vf b) { return _mm512_cmp_ps_mask(a, b, _CMP_GE_OQ); }
/* m ? a : b, lane by lane */
static inline vf vf_select(vm m, vf a, vf b) { return _mm512_mask_blend_ps(m, b, a); }

/* 2^n for integral n in [-127, 127] (as floats): builds the exponent field. */
static inline vf vf_pow2i(vf n)
{
    __m512i e = _mm512_add_epi32(_mm512_cvtps_epi32(n), _mm512_set1_epi32(127));
    return _mm512_castsi512_ps(_mm512_slli_epi32(e, 23));
}

static inline vf vf_sqrt(vf a) { return _mm512_sqrt_ps(a); }
/* max/min: which operand a NaN yields is unspecified; use them only where
 * a NaN also reaches the result through another path. */
static inline vf vf_max(vf a, vf b) { return _mm512_max_ps(a, b); }
static inline vf vf_min(vf a, vf b) { return _mm512_min_ps(a, b); }
/* Horizontal sum and max in a fixed order (halves folded, 8 then 4, 2, 1
 * lanes): the same lanes always give the same bits. */
static inline float vf_hsum(vf a)
{
    __m256 h = _mm256_add_ps(_mm512_castps512_ps256(a),
                             _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(a), 1)));
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    return _mm_cvtss_f32(_mm_add_ss(s, _mm_movehdup_ps(s)));
}
static inline float vf_hmax(vf a)
{
    __m256 h = _mm256_max_ps(_mm512_castps512_ps256(a),
                             _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(a), 1)));
    __m128 s = _mm_max_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
    s = _mm_max_ps(s, _mm_movehl_ps(s, s));
    return _mm_cvtss_f32(_mm_max_ss(s, _mm_movehdup_ps(s)));
}

/* Transposes the VF_LANES x VF_LANES block held in r[0..VF_LANES) (row i
 * in r[i]) in place: afterwards r[j] holds lane j of every former row.
 * Pure data movement (unpack, shuffle, 128-bit lane shuffles). */
static inline void vf_transpose(vf r[VF_LANES])
{
    __m512 t[16];
#pragma GCC unroll 16
    for (int i = 0; i < 16; i += 2) {
        t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);     /* per lane L: a[4L] b[4L] a[4L+1] b[4L+1] */
        t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]); /* a[4L+2] b[4L+2] a[4L+3] b[4L+3] */
    }
#pragma GCC unroll 16
    for (int i = 0; i < 16; i += 4) { /* r[4k+m], lane L: column 4L+m of rows 4k..4k+3 */
        r[i] = _mm512_shuffle_ps(t[i], t[i + 2], 0x44);
        r[i + 1] = _mm512_shuffle_ps(t[i], t[i + 2], 0xEE);
        r[i + 2] = _mm512_shuffle_ps(t[i + 1], t[i + 3], 0x44);
        r[i + 3] = _mm512_shuffle_ps(t[i + 1], t[i + 3], 0xEE);
    }
/* 128-bit lanes [a[i0], a[i1], b[i2], b[i3]] (vshufi32x4: SIMDe 0.7.4, the
 * emulated test build, names no float form). */
#define NNS_SHUF128(a, b, imm)                                                            \
    _mm512_castsi512_ps(_mm512_shuffle_i32x4(_mm512_castps_si512(a), _mm512_castps_si512(b), imm))
#pragma GCC unroll 16
    for (int m = 0; m < 4; m++) {
        t[m] = NNS_SHUF128(r[m], r[4 + m], 0x44);     /* lanes 0, 1 */
        t[4 + m] = NNS_SHUF128(r[m], r[4 + m], 0xEE); /* lanes 2, 3 */
        t[8 + m] = NNS_SHUF128(r[8 + m], r[12 + m], 0x44);
        t[12 + m] = NNS_SHUF128(r[8 + m], r[12 + m], 0xEE);
    }
#pragma GCC unroll 16
    for (int m = 0; m < 4; m++) {
        r[m] = NNS_SHUF128(t[m], t[8 + m], 0x88);
        r[4 + m] = NNS_SHUF128(t[m], t[8 + m], 0xDD);
        r[8 + m] = NNS_SHUF128(t[4 + m], t[12 + m], 0x88);
        r[12 + m] = NNS_SHUF128(t[4 + m], t[12 + m], 0xDD);
    }
#undef NNS_SHUF128
}


/* 32-bit unsigned integer lanes, one per float lane (counter-based random
 * bits: kernels/generic/dropout.h). Multiplication keeps the low 32 bits;
 * vu_to_vf converts lanes below 2^31 exactly when below 2^24. */
typedef __m512i vu;
static inline vu vu_set1(uint32_t x) { return _mm512_set1_epi32((int)x); }
static inline vu vu_lanes(void) { return _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15); }
static inline vu vu_add(vu a, vu b) { return _mm512_add_epi32(a, b); }
static inline vu vu_xor(vu a, vu b) { return _mm512_xor_si512(a, b); }
static inline vu vu_mul(vu a, vu b) { return _mm512_mullo_epi32(a, b); }
#define vu_shr(a, n) _mm512_srli_epi32((a), (n))
static inline vf vu_to_vf(vu a) { return _mm512_cvtepi32_ps(a); }

/* Non-temporal (streaming) store of a whole vector to p, which must be
 * VF_STREAM_ALIGN-byte aligned: the line goes to memory without being
 * read first (no write-allocate) and without evicting cached data. For
 * outputs too large to stay in cache and not read by the same call (on
 * a line just read it is slow on AMD); vf_stream_fence() after the last. */
#define VF_HAS_STREAM 1
#define VF_STREAM_ALIGN 64
static inline void vf_stream(float *p, vf v) { _mm512_stream_ps(p, v); }
static inline void vf_stream_fence(void) { _mm_sfence(); }

#endif
