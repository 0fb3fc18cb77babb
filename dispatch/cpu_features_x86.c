/* x86 ISA flags from CPUID leaves 1 and 7 and the OS state from XGETBV.
 * libcpuid is not consulted: Debian's 0.6.2 misreports AVX-512 on Zen 5. */
#include "nnsimd_internal.h"

#if defined(__x86_64__)
#include <cpuid.h>

static unsigned long long read_xcr0(void)
{
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return (unsigned long long)hi << 32 | lo;
}

void nns_detect_features(nns_cpu_info *c)
{
    unsigned a, b, cx, d;
    if (!__get_cpuid(1, &a, &b, &cx, &d)) return;
    int osxsave = cx >> 27 & 1;
    c->hypervisor = cx >> 31 & 1;
    c->has_fma = cx >> 12 & 1;
    int avx = cx >> 28 & 1;
    if (osxsave) {
        unsigned long long xcr0 = read_xcr0();
        c->os_ymm = (xcr0 & 0x6) == 0x6;    /* SSE and AVX state */
        c->os_zmm = (xcr0 & 0xe0) == 0xe0;  /* opmask, ZMM0-15 upper halves, ZMM16-31 */
    }
    if (__get_cpuid_max(0, NULL) >= 7) {
        __cpuid_count(7, 0, a, b, cx, d);
        c->has_avx2 = avx && (b >> 5 & 1);
        c->has_avx512f = b >> 16 & 1;
        c->has_avx512dq = b >> 17 & 1;
        c->has_avx512bw = b >> 30 & 1;
        c->has_avx512vl = b >> 31 & 1;
    }
#ifdef NNSIMD_AVX512_EMULATED
    /* The test build whose AVX-512 variants run on SIMDe (tests/avx512emu). */
    c->has_avx512f = c->has_avx512bw = c->has_avx512dq = c->has_avx512vl = c->os_zmm = 1;
#endif
}
#endif
