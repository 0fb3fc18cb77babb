/* aarch64 ISA flags from the kernel's hardware capabilities. */
#include "nnsimd_internal.h"

#if defined(__aarch64__)
#include <sys/auxv.h>
#ifndef HWCAP_ASIMD
#define HWCAP_ASIMD (1 << 1)
#endif

void nns_detect_features(nns_cpu_info *c)
{
    c->has_neon = (getauxval(AT_HWCAP) & HWCAP_ASIMD) != 0;
}
#endif
