/* Test build only: <immintrin.h> for kernels/avx512/ on CPUs without
 * AVX-512. SIMDe (Debian libsimde-dev) implements the AVX-512 intrinsics
 * in portable C, so the AVX-512 variants' logic (tails, masks, selects,
 * the polynomials) is verified on any x86-64 CPU and under qemu. The
 * masked loads and stores and the conversions SIMDe 0.7.4 lacks are added
 * here, the masked ones touching only
 * the lanes of the mask, as the hardware's fault suppression does. */
#ifndef NNS_AVX512EMU_IMMINTRIN_H
#define NNS_AVX512EMU_IMMINTRIN_H

/* The compiler's own header first, so SIMDe's aliases rename every use
 * that follows and no native definition comes after them. */
#include_next <immintrin.h>
#define SIMDE_ENABLE_NATIVE_ALIASES
#include <simde/x86/avx512.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static inline __m512 _mm512_maskz_loadu_ps(__mmask16 k, const void *p)
{
    float lanes[16] = {0};
    for (int i = 0; i < 16; i++)
        if (k >> i & 1) memcpy(&lanes[i], (const float *)p + i, sizeof(float));
    return _mm512_loadu_ps(lanes);
}

static inline void _mm512_mask_storeu_ps(void *p, __mmask16 k, __m512 v)
{
    float lanes[16];
    _mm512_storeu_ps(lanes, v);
    for (int i = 0; i < 16; i++)
        if (k >> i & 1) memcpy((float *)p + i, &lanes[i], sizeof(float));
}

/* Round to nearest even, out of range to 0x80000000, as the instruction. */
static inline __m512i nns_emu_mm512_cvtps_epi32(__m512 v)
{
    float in[16];
    int32_t out[16];
    _mm512_storeu_ps(in, v);
    for (int i = 0; i < 16; i++)
        out[i] = (in[i] >= -2147483648.0f && in[i] < 2147483648.0f) ? (int32_t)nearbyintf(in[i])
                                                                     : INT32_MIN;
    return _mm512_loadu_si512(out);
}
#undef _mm512_cvtps_epi32
#define _mm512_cvtps_epi32 nns_emu_mm512_cvtps_epi32

/* int32 to float, rounded to nearest even as the instruction (C's
 * conversion in the default rounding mode). */
static inline __m512 nns_emu_mm512_cvtepi32_ps(__m512i v)
{
    int32_t in[16];
    float out[16];
    _mm512_storeu_si512(in, v);
    for (int i = 0; i < 16; i++) out[i] = (float)in[i];
    return _mm512_loadu_ps(out);
}
#undef _mm512_cvtepi32_ps
#define _mm512_cvtepi32_ps nns_emu_mm512_cvtepi32_ps

/* FMA with one rounding, as the instruction: SIMDe 0.7.4 without a
 * native FMA computes a*b + c with two (and -ffp-contract=off keeps them
 * two), so the emulated variants would not give the hardware's bits. */
static inline __m512 nns_emu_mm512_fmadd_ps(__m512 a, __m512 b, __m512 c)
{
    float x[16], y[16], z[16];
    _mm512_storeu_ps(x, a), _mm512_storeu_ps(y, b), _mm512_storeu_ps(z, c);
    for (int i = 0; i < 16; i++) x[i] = fmaf(x[i], y[i], z[i]);
    return _mm512_loadu_ps(x);
}
static inline __m512 nns_emu_mm512_fnmadd_ps(__m512 a, __m512 b, __m512 c)
{
    float x[16], y[16], z[16];
    _mm512_storeu_ps(x, a), _mm512_storeu_ps(y, b), _mm512_storeu_ps(z, c);
    for (int i = 0; i < 16; i++) x[i] = fmaf(-x[i], y[i], z[i]);
    return _mm512_loadu_ps(x);
}
#undef _mm512_fmadd_ps
#define _mm512_fmadd_ps nns_emu_mm512_fmadd_ps
#undef _mm512_fnmadd_ps
#define _mm512_fnmadd_ps nns_emu_mm512_fnmadd_ps

/* Non-temporal store (SIMDe 0.7.4 lacks it): a plain store, the same bits;
 * a misaligned address aborts, as the instruction faults. */
static inline void nns_emu_mm512_stream_ps(void *p, __m512 v)
{
    if ((uintptr_t)p & 63) abort();
    _mm512_storeu_ps(p, v);
}
#undef _mm512_stream_ps
#define _mm512_stream_ps nns_emu_mm512_stream_ps

#endif
