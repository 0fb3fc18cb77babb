/* Test build only: SLEEF's AVX-512 entry points over SIMDe vectors, lane by
 * lane through SLEEF's scalar function of the same accuracy class. The
 * real <sleef.h> is not included: it pulls in the compiler's intrinsics
 * after SIMDe's aliases. */
#ifndef NNS_AVX512EMU_SLEEF_H
#define NNS_AVX512EMU_SLEEF_H

#include <immintrin.h>

float Sleef_erfcf_u15(float x); /* libsleef's scalar erfc, 1.5 ULP */

static inline __m512 Sleef_erfcf16_u15avx512f(__m512 x)
{
    float lanes[16];
    _mm512_storeu_ps(lanes, x);
    for (int i = 0; i < 16; i++) lanes[i] = Sleef_erfcf_u15(lanes[i]);
    return _mm512_loadu_ps(lanes);
}

#endif
