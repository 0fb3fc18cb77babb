/* NEON (aarch64 Advanced SIMD) vector operations for the generic kernel
 * bodies (kernels/generic/): 4 float lanes. NEON has no masked loads or
 * stores, so a tail (n < 4) is copied through a small zeroed stack buffer:
 * no byte outside [p, p + n) is read or written. */
#ifndef NNS_VEC_NEON_H
#define NNS_VEC_NEON_H

#include <arm_neon.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define NNS_ISA neon
#define NNS_ISA_ENUM NNS_ISA_NEON
#define VF_LANES 4

typedef float32x4_t vf;
typedef uint32x4_t vm; /* comparison mask: all-ones lanes */

static inline vf vf_load(const float *p) { return vld1q_f32(p); }
static inline void vf_store(float *p, vf v) { vst1q_f32(p, v); }
static inline vf vf_load_n(const float *p, size_t n)
{
    float buf[VF_LANES] = {0.0f, 0.0f, 0.0f, 0.0f};
    memcpy(buf, p, n * sizeof(float));
    return vld1q_f32(buf);
}
static inline void vf_store_n(float *p, vf v, size_t n)
{
    float buf[VF_LANES];
    vst1q_f32(buf, v);
    memcpy(p, buf, n * sizeof(float));
}

static inline vf vf_set1(float x) { return vdupq_n_f32(x); }
static inline vf vf_add(vf a, vf b) { return vaddq_f32(a, b); }
static inline vf vf_sub(vf a, vf b) { return vsubq_f32(a, b); }
static inline vf vf_mul(vf a, vf b) { return vmulq_f32(a, b); }
static inline vf vf_div(vf a, vf b) { return vdivq_f32(a, b); }
static inline vf vf_fma(vf a, vf b, vf c) { return vfmaq_f32(c, a, b); }  /* a*b + c */
static inline vf vf_fnma(vf a, vf b, vf c) { return vfmsq_f32(c, a, b); } /* c - a*b */
static inline vf vf_abs(vf a) { return vabsq_f32(a); }
static inline vf vf_round(vf a) { return vrndnq_f32(a); } /* nearest, ties to even */

/* Ordered comparisons: false where either operand is NaN. */
static inline vm vf_lt(vf a, vf b) { return vcltq_f32(a, b); }
static inline vm vf_le(vf a, vf b) { return vcleq_f32(a, b); }
static inline vm vf_gt(vf a, vf b) { return vcgtq_f32(a, b); }
static inline vm vf_ge(vf a, vf b) { return vcgeq_f32(a, b); }
/* m ? a : b, lane by lane */
static inline vf vf_select(vm m, vf a, vf b) { return vbslq_f32(m, a, b); }

/* 2^n for integral n in [-127, 127] (as floats): builds the exponent field. */
static inline vf vf_pow2i(vf n)
{
    int32x4_t e = vaddq_s32(vcvtnq_s32_f32(n), vdupq_n_s32(127));
    return vreinterpretq_f32_s32(vshlq_n_s32(e, 23));
}

static inline vf vf_sqrt(vf a) { return vsqrtq_f32(a); }
/* max/min: which operand a NaN yields is unspecified; use them only where
 * a NaN also reaches the result through another path. */
static inline vf vf_max(vf a, vf b) { return vmaxq_f32(a, b); }
static inline vf vf_min(vf a, vf b) { return vminq_f32(a, b); }
/* Horizontal sum and max in a fixed order (pairwise: (0+1)+(2+3)): the
 * same lanes always give the same bits. */
static inline float vf_hsum(vf a)
{
    float32x2_t p = vpadd_f32(vget_low_f32(a), vget_high_f32(a));
    return vget_lane_f32(vpadd_f32(p, p), 0);
}
static inline float vf_hmax(vf a) { return vmaxvq_f32(a); }

/* Transposes the VF_LANES x VF_LANES block held in r[0..VF_LANES) (row i
 * in r[i]) in place: afterwards r[j] holds lane j of every former row.
 * Pure data movement (trn, combine). */
static inline void vf_transpose(vf r[VF_LANES])
{
    float32x4x2_t a = vtrnq_f32(r[0], r[1]), b = vtrnq_f32(r[2], r[3]);
    r[0] = vcombine_f32(vget_low_f32(a.val[0]), vget_low_f32(b.val[0]));
    r[1] = vcombine_f32(vget_low_f32(a.val[1]), vget_low_f32(b.val[1]));
    r[2] = vcombine_f32(vget_high_f32(a.val[0]), vget_high_f32(b.val[0]));
    r[3] = vcombine_f32(vget_high_f32(a.val[1]), vget_high_f32(b.val[1]));
}


/* 32-bit unsigned integer lanes, one per float lane (counter-based random
 * bits: kernels/generic/dropout.h). Multiplication keeps the low 32 bits;
 * vu_to_vf converts exactly below 2^24. */
typedef uint32x4_t vu;
static inline vu vu_set1(uint32_t x) { return vdupq_n_u32(x); }
static inline vu vu_lanes(void)
{
    static const uint32_t lane[VF_LANES] = {0, 1, 2, 3};
    return vld1q_u32(lane);
}
static inline vu vu_add(vu a, vu b) { return vaddq_u32(a, b); }
static inline vu vu_xor(vu a, vu b) { return veorq_u32(a, b); }
static inline vu vu_mul(vu a, vu b) { return vmulq_u32(a, b); }
#define vu_shr(a, n) vshrq_n_u32((a), (n))
static inline vf vu_to_vf(vu a) { return vcvtq_f32_u32(a); }

/* Streaming store: NEON's vst1q has no non-temporal form (STNP stores a
 * pair, as a hint only), so VF_HAS_STREAM is 0 and the generic bodies keep
 * their plain stores; vf_stream is a plain store so that code compiles. */
#define VF_HAS_STREAM 0
#define VF_STREAM_ALIGN 16
static inline void vf_stream(float *p, vf v) { vst1q_f32(p, v); }
static inline void vf_stream_fence(void) {}

#endif
