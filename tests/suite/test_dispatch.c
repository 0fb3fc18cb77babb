/* Dispatch: ISA names and fallbacks, tables, CPU description, nns_set_isa. */
#include "suites.h"

#include "nnsimd.h"

#include <ctype.h>
#include <string.h>

static void test_isa_names(void)
{
    for (int i = 0; i < NNS_ISA_COUNT; i++) {
        nns_isa parsed;
        CU_ASSERT_EQUAL(nns_isa_parse(nns_isa_name((nns_isa)i), &parsed), NNS_OK);
        CU_ASSERT_EQUAL(parsed, (nns_isa)i);
    }
    nns_isa unused;
    CU_ASSERT_EQUAL(nns_isa_parse("sse9", &unused), NNS_ERR_ISA_UNKNOWN);
    CU_ASSERT_EQUAL(nns_isa_parse("", &unused), NNS_ERR_ISA_UNKNOWN);
    CU_ASSERT_EQUAL(nns_isa_parse(NULL, &unused), NNS_ERR_ISA_UNKNOWN);
    CU_ASSERT_STRING_EQUAL(nns_isa_name((nns_isa)99), "?");
}

static void test_fallback_chain(void)
{
    CU_ASSERT_EQUAL(nns_isa_fallback(NNS_ISA_AVX512), NNS_ISA_AVX2);
    CU_ASSERT_EQUAL(nns_isa_fallback(NNS_ISA_AVX2), NNS_ISA_SCALAR);
    CU_ASSERT_EQUAL(nns_isa_fallback(NNS_ISA_NEON), NNS_ISA_SCALAR);
    CU_ASSERT_EQUAL(nns_isa_fallback(NNS_ISA_SCALAR), NNS_ISA_SCALAR);
}

/* The reference is complete; every provider has the kernel it provides. */
static void test_tables(void)
{
    const nns_kernel_table *ref = nns_kernels_for(NNS_ISA_SCALAR);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ref);
    for (size_t k = 0; k < NNS_KERNEL_COUNT; k++) {
        CU_ASSERT_PTR_NOT_NULL(nns_kernel_name(k));
        CU_ASSERT(nns_kernel_present(ref, k));
        for (int isa = 0; isa < NNS_ISA_COUNT; isa++) {
            if (!nns_kernels_for((nns_isa)isa)) continue;
            nns_isa p = nns_kernel_provider((nns_isa)isa, k);
            CU_ASSERT(nns_kernel_present(nns_kernels_for(p), k));
        }
    }
    /* A table with a kernel has that kernel's workspace-size function. */
    for (int isa = 0; isa < NNS_ISA_COUNT; isa++) {
        const nns_kernel_table *t = nns_kernels_for((nns_isa)isa);
        if (!t) continue;
#define NNS_KERNEL(name, type)
#define NNS_WORKSPACE(kernel, type) \
        CU_ASSERT(!t->kernel || t->kernel##_workspace_size);
#include "nnsimd_kernels.def"
#undef NNS_WORKSPACE
#undef NNS_KERNEL
    }
    CU_ASSERT_PTR_NULL(nns_kernel_name(NNS_KERNEL_COUNT));
    CU_ASSERT(!nns_kernel_present(ref, NNS_KERNEL_COUNT));
#if defined(__x86_64__)
    CU_ASSERT_PTR_NULL(nns_kernels_for(NNS_ISA_NEON));
#else
    CU_ASSERT_PTR_NULL(nns_kernels_for(NNS_ISA_AVX2));
#endif
}

static void test_cpu_description(void)
{
    const nns_cpu_info *c = nns_cpu();
    CU_ASSERT(strlen(c->cpu_id) > 0);
    for (const char *p = c->cpu_id; *p; p++)
        CU_ASSERT(islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '-');
    CU_ASSERT(nns_isa_supported(NNS_ISA_SCALAR));
    CU_ASSERT(nns_isa_supported(nns_isa_best()));
#if defined(__x86_64__)
    if (nns_isa_supported(NNS_ISA_AVX512)) CU_ASSERT(nns_isa_supported(NNS_ISA_AVX2));
#endif
    /* The L3 counted on: the reported one, at most 32 MiB in a guest,
     * 32 MiB when none is reported. */
    const size_t typical = (size_t)32 << 20;
    CU_ASSERT(c->l3_usable_bytes > 0);
    if (c->l3_bytes) CU_ASSERT(c->l3_usable_bytes <= c->l3_bytes);
    if (!c->l3_bytes) CU_ASSERT_EQUAL(c->l3_usable_bytes, typical);
    if (c->hypervisor) CU_ASSERT(c->l3_usable_bytes <= typical);
    if (!c->hypervisor && c->l3_bytes) CU_ASSERT_EQUAL(c->l3_usable_bytes, c->l3_bytes);
}

/* nns_set_isa caps the active table; an unsupported ISA changes nothing. */
static void test_set_isa(void)
{
    nns_isa before, now;
    nns_isa_reason why;
    CU_ASSERT_EQUAL_FATAL(nns_isa_active(&before, NULL), NNS_OK);
    for (int i = 0; i < NNS_ISA_COUNT; i++)
        if (!nns_isa_supported((nns_isa)i)) {
            CU_ASSERT_EQUAL(nns_set_isa((nns_isa)i), NNS_ERR_ISA_UNAVAILABLE);
            nns_isa_active(&now, NULL);
            CU_ASSERT_EQUAL(now, before);
        }
    CU_ASSERT_EQUAL(nns_set_isa((nns_isa)42), NNS_ERR_ISA_UNKNOWN);

    CU_ASSERT_EQUAL(nns_set_isa(NNS_ISA_SCALAR), NNS_OK);
    nns_isa_active(&now, &why);
    CU_ASSERT_EQUAL(now, NNS_ISA_SCALAR);
    if (nns_isa_best() != NNS_ISA_SCALAR) CU_ASSERT_EQUAL(why, NNS_ISA_CAPPED_CALL);
    /* The public kernel now gives the reference's bits. */
    float x[37], a[37], b[37];
    for (int i = 0; i < 37; i++) x[i] = (float)(i - 18) * 0.37f;
    CU_ASSERT_EQUAL(nns_gelu_fwd(a, x, 37), NNS_OK);
    nns_kernels_for(NNS_ISA_SCALAR)->gelu_fwd(b, x, 37);
    CU_ASSERT(memcmp(a, b, sizeof a) == 0);

    CU_ASSERT_EQUAL(nns_set_isa(before), NNS_OK);
    nns_isa_active(&now, NULL);
    CU_ASSERT_EQUAL(now, before);
}

int register_dispatch_suite(void)
{
    CU_pSuite s = CU_add_suite("dispatch", NULL, NULL);
    if (!s || !CU_add_test(s, "isa_names", test_isa_names) ||
        !CU_add_test(s, "fallback_chain", test_fallback_chain) ||
        !CU_add_test(s, "tables", test_tables) ||
        !CU_add_test(s, "cpu_description", test_cpu_description) ||
        !CU_add_test(s, "set_isa", test_set_isa))
        return CU_get_error();
    return 0;
}
