/* ISA selection: which variant each public kernel calls.
 *
 * Detection runs once (pthread_once). The active ISA is the best one the
 * CPU supports, capped by NNSIMD_ISA, and then by nns_set_isa (the CLI's
 * --isa). A cap the CPU cannot honour is an error status that every
 * public entry point returns; it never reaches an illegal instruction. */
#include "nnsimd_internal.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

static const char *const isa_names[NNS_ISA_COUNT] = {"scalar", "avx2", "avx512", "neon"};

const char *nns_isa_name(nns_isa isa)
{
    return (unsigned)isa < NNS_ISA_COUNT ? isa_names[isa] : "?";
}

nns_status nns_isa_parse(const char *name, nns_isa *isa)
{
    for (int i = 0; name && i < NNS_ISA_COUNT; i++) {
        if (strcmp(name, isa_names[i]) == 0) {
            *isa = (nns_isa)i;
            return NNS_OK;
        }
    }
    return NNS_ERR_ISA_UNKNOWN;
}

nns_isa nns_isa_fallback(nns_isa isa)
{
    switch (isa) {
    case NNS_ISA_AVX512: return NNS_ISA_AVX2;
    case NNS_ISA_AVX2:
    case NNS_ISA_NEON: return NNS_ISA_SCALAR;
    default: return NNS_ISA_SCALAR;
    }
}

const nns_kernel_table *nns_kernels_for(nns_isa isa)
{
    switch (isa) {
    case NNS_ISA_SCALAR: return &nns_table__scalar;
#if defined(__x86_64__)
    case NNS_ISA_AVX2: return &nns_table__avx2;
    case NNS_ISA_AVX512: return &nns_table__avx512;
#elif defined(__aarch64__)
    case NNS_ISA_NEON: return &nns_table__neon;
#endif
    default: return NULL;
    }
}

static const char *const kernel_names[NNS_KERNEL_COUNT] = {
#define NNS_KERNEL(name, type) #name,
#include "nnsimd_kernels.def"
#undef NNS_KERNEL
};

const char *nns_kernel_name(size_t k)
{
    return k < NNS_KERNEL_COUNT ? kernel_names[k] : NULL;
}

int nns_kernel_present(const nns_kernel_table *t, size_t k)
{
    if (!t) return 0;
    switch (k) {
#define NNS_KERNEL(name, type) case NNS_K_##name: return t->name != NULL;
#include "nnsimd_kernels.def"
#undef NNS_KERNEL
    default: return 0;
    }
}

nns_isa nns_kernel_provider(nns_isa isa, size_t k)
{
    while (isa != NNS_ISA_SCALAR && !nns_kernel_present(nns_kernels_for(isa), k))
        isa = nns_isa_fallback(isa);
    return isa;
}

/* Copies into `dst` the variant of every kernel that runs when `isa` is active. */
static void fill_table(nns_kernel_table *dst, nns_isa isa)
{
#define NNS_KERNEL(name, type) \
    dst->name = nns_kernels_for(nns_kernel_provider(isa, NNS_K_##name))->name;
/* A workspace size comes from the ISA that provides its kernel. */
#define NNS_WORKSPACE(kernel, type)                                              \
    dst->kernel##_workspace_size =                                               \
        nns_kernels_for(nns_kernel_provider(isa, NNS_K_##kernel))->kernel##_workspace_size;
#include "nnsimd_kernels.def"
#undef NNS_WORKSPACE
#undef NNS_KERNEL
}

int nns_isa_supported(nns_isa isa)
{
    const nns_cpu_info *c = nns_cpu();
    if (!nns_kernels_for(isa)) return 0;
    switch (isa) {
    case NNS_ISA_SCALAR: return 1;
    case NNS_ISA_AVX2: return c->has_avx2 && c->has_fma && c->os_ymm;
    case NNS_ISA_AVX512:
        return c->has_avx512f && c->has_avx512bw && c->has_avx512dq && c->has_avx512vl &&
               c->os_ymm && c->os_zmm;
    case NNS_ISA_NEON: return c->has_neon;
    default: return 0;
    }
}

nns_isa nns_isa_best(void)
{
    static const nns_isa order[] = {NNS_ISA_AVX512, NNS_ISA_AVX2, NNS_ISA_NEON};
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
        if (nns_isa_supported(order[i])) return order[i];
    return NNS_ISA_SCALAR;
}

/* The selection: one filled table per ISA, and an atomic index into them. */
static nns_kernel_table filled[NNS_ISA_COUNT];
static pthread_once_t select_once = PTHREAD_ONCE_INIT;
/* Packed state: active ISA (bits 0-7), reason (8-15), status (16-23). */
static _Atomic unsigned selection;

static unsigned pack(nns_isa isa, nns_isa_reason why, nns_status st)
{
    return (unsigned)isa | (unsigned)why << 8 | (unsigned)st << 16;
}

static void select_isa(void)
{
    for (int i = 0; i < NNS_ISA_COUNT; i++)
        if (nns_kernels_for((nns_isa)i)) fill_table(&filled[i], (nns_isa)i);

    nns_isa isa = nns_isa_best(), capped;
    nns_status st = NNS_OK;
    nns_isa_reason why = NNS_ISA_DETECTED;
    const char *env = getenv("NNSIMD_ISA");
    if (env && *env) {
        st = nns_isa_parse(env, &capped);
        if (st == NNS_OK && !nns_isa_supported(capped)) st = NNS_ERR_ISA_UNAVAILABLE;
        if (st == NNS_OK && capped != isa) {
            isa = capped;
            why = NNS_ISA_CAPPED_ENV;
        }
    }
    atomic_store(&selection, pack(st == NNS_OK ? isa : NNS_ISA_SCALAR, why, st));
}

static unsigned current(void)
{
    pthread_once(&select_once, select_isa);
    return atomic_load(&selection);
}

nns_status nns_isa_active(nns_isa *isa, nns_isa_reason *reason)
{
    unsigned s = current();
    if (isa) *isa = (nns_isa)(s & 0xff);
    if (reason) *reason = (nns_isa_reason)(s >> 8 & 0xff);
    return (nns_status)(s >> 16 & 0xff);
}

nns_status nns_set_isa(nns_isa isa)
{
    if ((unsigned)isa >= NNS_ISA_COUNT) return NNS_ERR_ISA_UNKNOWN;
    if (!nns_isa_supported(isa)) return NNS_ERR_ISA_UNAVAILABLE;
    current();
    nns_isa_reason why = isa == nns_isa_best() ? NNS_ISA_DETECTED : NNS_ISA_CAPPED_CALL;
    atomic_store(&selection, pack(isa, why, NNS_OK));
    return NNS_OK;
}

const nns_kernel_table *nns_active_table(nns_status *status)
{
    unsigned s = current();
    *status = (nns_status)(s >> 16 & 0xff);
    return &filled[s & 0xff];
}

const char *nns_status_str(nns_status s)
{
    switch (s) {
    case NNS_OK: return "ok";
    case NNS_ERR_NULL: return "a required pointer is NULL";
    case NNS_ERR_SIZE: return "a size product overflows size_t";
    case NNS_ERR_ARG: return "a hyper-parameter is out of its legal range";
    case NNS_ERR_ISA_UNAVAILABLE: return "the requested ISA is not supported by this CPU";
    case NNS_ERR_ISA_UNKNOWN: return "unknown ISA name (scalar, avx2, avx512 or neon)";
    }
    return "unknown status";
}
