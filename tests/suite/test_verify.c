/* One suite per ISA, one test per kernel: the checker on that variant. */
#include "suites.h"

#include "checker.h"

#include <stdio.h>

static void verify_one(nns_isa isa, size_t k)
{
    chk_opts opts;
    chk_report r;
    chk_default_opts(&opts);
    chk_run(k, isa, &opts, &r);
    if (r.verdict == CHK_FAIL) printf("\n    FAIL %s/%s: %s\n", nns_kernel_name(k), nns_isa_name(isa), r.reason);
    else {
        printf(" worst %.3g of bound", r.worst);
        if (r.fd_worst >= 0) printf(", finite differences %.3g of bound", r.fd_worst);
        printf(", %zu elements%s ", r.elements, r.loose ? " (bound suspiciously loose)" : "");
    }
    CU_ASSERT_EQUAL(r.verdict, CHK_PASS);
}

/* CUnit tests take no arguments: one wrapper per ISA and kernel. */
#define NNS_KERNEL(name, type)                                                          \
    static void t_scalar_##name(void) { verify_one(NNS_ISA_SCALAR, NNS_K_##name); }     \
    static void t_avx2_##name(void) { verify_one(NNS_ISA_AVX2, NNS_K_##name); }         \
    static void t_avx512_##name(void) { verify_one(NNS_ISA_AVX512, NNS_K_##name); }     \
    static void t_neon_##name(void) { verify_one(NNS_ISA_NEON, NNS_K_##name); }
#include "nnsimd_kernels.def"
#undef NNS_KERNEL

static const CU_TestFunc tests[NNS_ISA_COUNT][NNS_KERNEL_COUNT] = {
#define NNS_KERNEL(name, type) t_scalar_##name,
    {
#include "nnsimd_kernels.def"
    },
#undef NNS_KERNEL
#define NNS_KERNEL(name, type) t_avx2_##name,
    {
#include "nnsimd_kernels.def"
    },
#undef NNS_KERNEL
#define NNS_KERNEL(name, type) t_avx512_##name,
    {
#include "nnsimd_kernels.def"
    },
#undef NNS_KERNEL
#define NNS_KERNEL(name, type) t_neon_##name,
    {
#include "nnsimd_kernels.def"
    },
#undef NNS_KERNEL
};

int register_verify_suites(void)
{
    for (int isa = 0; isa < NNS_ISA_COUNT; isa++) {
        if (!nns_kernels_for((nns_isa)isa)) continue; /* another architecture's ISA */
        char name[32];
        snprintf(name, sizeof name, "verify_%s", nns_isa_name((nns_isa)isa));
        CU_pSuite s = CU_add_suite(name, NULL, NULL);
        if (!s) return CU_get_error();
        for (size_t k = 0; k < NNS_KERNEL_COUNT; k++) {
            CU_pTest t = CU_add_test(s, nns_kernel_name(k), tests[isa][k]);
            if (!t) return CU_get_error();
            char why[128];
            if (chk_skip_reason(k, (nns_isa)isa, why, sizeof why)) skip_test(t, name, why);
        }
    }
    return 0;
}
