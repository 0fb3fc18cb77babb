/* The checker's own tests: it must catch what it claims to catch. Each
 * broken variant below has one defect; the checker must fail it. Also:
 * every kernel has a tolerance row, and the vector exp meets its bound. */
#include "suites.h"

#include "checker.h"
#include "nnsimd_internal.h"
#include "tolerance.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static void relu_writes_past_end(float *out, const float *in, size_t n)
{
    nns_relu_fwd__scalar(out, in, n);
    if (n) out[n] = 0.0f;
}

static void relu_drops_nan(float *out, const float *in, size_t n)
{
    for (size_t i = 0; i < n; i++) out[i] = in[i] > 0 ? in[i] : 0.0f;
}

static void gelu_off_by_1e5(float *out, const float *in, size_t n)
{
    nns_gelu_fwd__scalar(out, in, n);
    for (size_t i = 0; i < n; i++) out[i] *= 1.0f + 1e-5f;
}

static void gelu_tanh_skips_tail(float *out, const float *in, size_t n)
{
    nns_gelu_tanh_fwd__scalar(out, in, n / 8 * 8);
    for (size_t i = n / 8 * 8; i < n; i++) out[i] = 0.0f;
}

static void relu_bwd_overwrites(float *din, const float *dout, const float *in, size_t n)
{
    for (size_t i = 0; i < n; i++) din[i] = in[i] <= 0 ? 0.0f : dout[i];
}

static chk_verdict run_broken(size_t k, nns_kernel_table t, char *reason, size_t cap)
{
    chk_opts opts;
    chk_report r;
    chk_default_opts(&opts);
    opts.light = 1;
    chk_run_table(k, &t, NNS_ISA_SCALAR, &opts, &r);
    snprintf(reason, cap, "%s", r.reason);
    return r.verdict;
}

static void test_catches_defects(void)
{
    const nns_kernel_table ref = *nns_kernels_for(NNS_ISA_SCALAR);
    nns_kernel_table t;
    char why[128];

    t = ref, t.relu_fwd = relu_writes_past_end;
    CU_ASSERT_EQUAL(run_broken(NNS_K_relu_fwd, t, why, sizeof why), CHK_FAIL);
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "past the output"));

    t = ref, t.relu_fwd = relu_drops_nan;
    CU_ASSERT_EQUAL(run_broken(NNS_K_relu_fwd, t, why, sizeof why), CHK_FAIL);
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "where the reference has"));

    t = ref, t.gelu_fwd = gelu_off_by_1e5;
    CU_ASSERT_EQUAL(run_broken(NNS_K_gelu_fwd, t, why, sizeof why), CHK_FAIL);
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "exceeds bound"));

    t = ref, t.gelu_tanh_fwd = gelu_tanh_skips_tail;
    CU_ASSERT_EQUAL(run_broken(NNS_K_gelu_tanh_fwd, t, why, sizeof why), CHK_FAIL);

    t = ref, t.relu_bwd = relu_bwd_overwrites;
    CU_ASSERT_EQUAL(run_broken(NNS_K_relu_bwd, t, why, sizeof why), CHK_FAIL);

    for (size_t k = 0; k < NNS_KERNEL_COUNT; k++)
        CU_ASSERT_EQUAL(run_broken(k, ref, why, sizeof why), CHK_PASS);
}

static void test_every_kernel_has_a_tolerance(void)
{
    for (size_t k = 0; k < NNS_KERNEL_COUNT; k++) {
        const chk_tolerance *t = chk_tolerance_for(k);
        CU_ASSERT_PTR_NOT_NULL(t);
        if (t) CU_ASSERT(t->factor >= 0 && strlen(t->why) > 10);
    }
}

/* Distance in ULPs of the float `y` from the exact `t`, where an ulp is
 * that of the float nearest t (2^-149 in the subnormal range). */
static double ulp_error(float y, double t)
{
    if (isinf(y) && t > FLT_MAX) return 0; /* overflow: +inf is the correctly rounded result */
    int e;
    frexp(t, &e);
    double ulp = ldexp(1.0, (e - 24 > -149 ? e - 24 : -149));
    return fabs(y - t) / ulp;
}

/* The worst score(y, x) of a vector function f over every `step`-th float
 * below the bit pattern `end`, both signs; its argument in *at. */
static double sweep_worst(nns_unary_fwd_fn *f, uint32_t end, uint32_t step,
                          double (*score)(float y, float x), float *at)
{
    enum { N = 4096 };
    static float x[N], y[N];
    double worst = 0;
    size_t n = 0;
    for (uint32_t bits = 0; bits < end; bits += step) {
        float v;
        memcpy(&v, &bits, sizeof v);
        x[n++] = v;
        x[n++] = -v;
        if (n == N || bits + step >= end) {
            f(y, x, n);
            for (size_t i = 0; i < n; i++) {
                double e = score(y[i], x[i]);
                if (e > worst) worst = e, *at = x[i];
            }
            n = 0;
        }
    }
    return worst;
}

static double exp_ulps(float y, float x) { return ulp_error(y, exp((double)x)); }

/* vf_exp is claimed within 2 ULP over the float range (kernels/generic/vmath.h):
 * every 2^11-th float in (-104, 89). */
static void check_vexp(nns_unary_fwd_fn *vexp, const char *isa)
{
    float at = 0;
    double worst = sweep_worst(vexp, 0x42d00000u, 1u << 11, exp_ulps, &at);
    printf(" %s exp: worst %.3f ULP at x=%.9g ", isa, worst, at);
    CU_ASSERT(worst <= 2.0);
    const float specials[] = {NAN, INFINITY, -INFINITY, 100.0f, -200.0f, 0.0f, -0.0f};
    float out[7];
    vexp(out, specials, 7);
    CU_ASSERT(isnan(out[0]));
    CU_ASSERT(isinf(out[1]) && out[1] > 0);
    CU_ASSERT_EQUAL(out[2], 0.0f);
    CU_ASSERT(isinf(out[3]));
    CU_ASSERT_EQUAL(out[4], 0.0f);
    CU_ASSERT_EQUAL(out[5], 1.0f);
    CU_ASSERT_EQUAL(out[6], 1.0f);
}

/* vf_erfc is claimed within (6 + 2k) U relative, U = 2^-24, k = |z erfc'(z)
 * / erfc(z)| its condition number (kernels/generic/vmath.h), where erfc(z)
 * is a normal float; below FLT_MIN one subnormal step more. The score is
 * the error over that allowance. */
static double erfc_score(float y, float x)
{
    double z = x, t = erfc(z);
    double k = fabs(z * 1.1283791670955126 * exp(-z * z) / t);
    double allowed = (6 + 2 * k) * 0x1p-24 * t + (t < FLT_MIN ? 0x1p-149 : 0);
    return fabs(y - t) / allowed;
}

/* every 2^10-th float in (-10.5, 10.5) */
static void check_verfc(nns_unary_fwd_fn *verfc, const char *isa)
{
    float at = 0;
    double worst = sweep_worst(verfc, 0x41280000u, 1u << 10, erfc_score, &at);
    printf(" %s erfc: worst %.3f of the bound at z=%.9g ", isa, worst, at);
    CU_ASSERT(worst <= 1.0);
    const float specials[] = {NAN, INFINITY, -INFINITY, 0.0f, -0.0f, 12.0f};
    float out[6];
    verfc(out, specials, 6);
    CU_ASSERT(isnan(out[0]));
    CU_ASSERT_EQUAL(out[1], 0.0f);
    CU_ASSERT_EQUAL(out[2], 2.0f);
    CU_ASSERT_EQUAL(out[3], 1.0f);
    CU_ASSERT_EQUAL(out[4], 1.0f);
    CU_ASSERT_EQUAL(out[5], 0.0f);
}

/* check(variant, name) for the vector variant `fn` of each SIMD ISA this
 * CPU has. */
#if defined(__x86_64__)
#define FOR_EACH_VECTOR_ISA(check, fn)                                                      \
    do {                                                                                    \
        if (nns_isa_supported(NNS_ISA_AVX2)) check(nns_##fn##__avx2, "avx2");               \
        if (nns_isa_supported(NNS_ISA_AVX512)) check(nns_##fn##__avx512, "avx512");         \
    } while (0)
#elif defined(__aarch64__)
#define FOR_EACH_VECTOR_ISA(check, fn) check(nns_##fn##__neon, "neon")
#else
#define FOR_EACH_VECTOR_ISA(check, fn) ((void)0)
#endif

static void test_verfc(void) { FOR_EACH_VECTOR_ISA(check_verfc, verfc); }

static void test_vexp(void) { FOR_EACH_VECTOR_ISA(check_vexp, vexp); }

int register_checker_suite(void)
{
    CU_pSuite s = CU_add_suite("checker", NULL, NULL);
    if (!s || !CU_add_test(s, "catches_defects", test_catches_defects) ||
        !CU_add_test(s, "every_kernel_has_a_tolerance", test_every_kernel_has_a_tolerance) ||
        !CU_add_test(s, "vector_exp_ulp", test_vexp) ||
        !CU_add_test(s, "vector_erfc_bound", test_verfc))
        return CU_get_error();
    return 0;
}
