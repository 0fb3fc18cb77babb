/* The activation references against PyTorch 1.13 (tests/fixtures/
 * activation_*.safetensors, made by tools/fixtures/fam_activation.py).
 *
 * PyTorch evaluates GELU as x/2 (1 + erf(x/sqrt2)) and the tanh form as
 * x/2 (1 + tanh(u)): for x < 0 the sum cancels, so torch's error is
 * absolute, of order u |x|, not relative like ours. Each torch bound below
 * is the first-order analysis of torch's own formula (1.13's CPU kernels);
 * the comparison allows ours + torch's. */
#include "suites.h"

#include "check_activation.h"
#include "fixtures.h"
#include "nnsimd_internal.h"
#include "tolerance.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define U CHK_U

/* torch gelu: erf <= 2 ULP and its argument's rounding give 1 + erf an
 * absolute error <= 5u; times x/2, then one product: 3u|x| + 2u|y|. */
static double torch_gelu(double x, double dy, double y)
{
    (void)dy;
    return 3 * U * fabs(x) + 2 * U * fabs(y);
}

/* torch GeluBackward: cdf = (1 + erf)/2 absolute <= 3u; x pdf with exp and
 * x^2 as ours (6 + x^2/2)u; sum and product with dy. */
static double torch_gelu_bwd(double x, double dy, double g)
{
    double xpdf = fabs(x) * exp(-0.5 * x * x) / sqrt(2 * M_PI);
    return fabs(dy) * (3 * U + (6 + 0.5 * x * x) * U * xpdf) + 2 * U * fabs(g);
}

/* torch tanh form: inner = sqrt(2/pi)(x + 0.044715 x^3) within 6u; tanh
 * <= 2 ULP plus 6u |inner| sech^2; 1 + tanh then absolute <= 5u +
 * 6u |inner| sech^2; times x/2. */
static double tanh_inner(double x) { return sqrt(2 / M_PI) * (x + 0.044715 * x * x * x); }

static double torch_gelu_tanh(double x, double dy, double y)
{
    (void)dy;
    double in = tanh_inner(x), th = tanh(in);
    return 0.5 * fabs(x) * (5 * U + 6 * U * fabs(in) * (1 - th * th)) + 2 * U * fabs(y);
}

/* torch's tanh backward: (1 + tanh)/2 as above; x/2 (1 - tanh^2) dinner:
 * 1 - tanh^2 absolute <= 2(5u + 6u |inner| sech^2) + u, dinner within 6u. */
static double torch_gelu_tanh_bwd(double x, double dy, double g)
{
    double in = tanh_inner(x), th = tanh(in), sech2 = 1 - th * th;
    double dinner = sqrt(2 / M_PI) * (1 + 3 * 0.044715 * x * x);
    double e_tanh = 5 * U + 6 * U * fabs(in) * sech2;
    return fabs(dy) * (0.5 * e_tanh + 0.5 * fabs(x) * dinner * (2 * e_tanh + U + 6 * U * sech2)) +
           2 * U * fabs(g);
}

static double torch_exact(double x, double dy, double y)
{
    (void)x, (void)dy, (void)y;
    return 0;
}

static const struct {
    const char *name;
    size_t kf, kb;
    nns_unary_fwd_fn *fwd; /* the references */
    nns_unary_bwd_fn *bwd;
    double (*torch_fwd)(double x, double dy, double y);
    double (*torch_bwd)(double x, double dy, double g);
} ops[] = {
    {"relu", NNS_K_relu_fwd, NNS_K_relu_bwd, nns_relu_fwd__scalar, nns_relu_bwd__scalar,
     torch_exact, torch_exact},
    {"gelu", NNS_K_gelu_fwd, NNS_K_gelu_bwd, nns_gelu_fwd__scalar, nns_gelu_bwd__scalar,
     torch_gelu, torch_gelu_bwd},
    {"gelu_tanh", NNS_K_gelu_tanh_fwd, NNS_K_gelu_tanh_bwd, nns_gelu_tanh_fwd__scalar,
     nns_gelu_tanh_bwd__scalar, torch_gelu_tanh, torch_gelu_tanh_bwd},
};

static const char *const stems[] = {"activation_1", "activation_37", "activation_4x33"};

static void test_activation_vs_torch(void)
{
    fixture_stats fwd[3] = {{0}}, bwd[3] = {{0}};
    for (size_t s = 0; s < sizeof stems / sizeof stems[0]; s++) {
        st_file *f = fixture_open(stems[s]);
        if (!f) continue;
        size_t n = 0;
        const float *x = st_f32(f, "x", &n), *dy = fixture_f32(f, "dy", n);
        float *y = calloc(n, sizeof *y), *dx = calloc(n, sizeof *dx);
        double *t = calloc(n, sizeof *t), *b = calloc(n, sizeof *b), *bt = calloc(n, sizeof *bt);
        for (size_t o = 0; x && dy && o < sizeof ops / sizeof ops[0]; o++) {
            char name[64];
            snprintf(name, sizeof name, "%s.y", ops[o].name);
            const float *ty = fixture_f32(f, name, n);
            snprintf(name, sizeof name, "%s.dx", ops[o].name);
            const float *tdx = fixture_f32(f, name, n);
            if (!ty || !tdx) continue;
            ops[o].fwd(y, x, n);
            chk_truth_activation_fwd(ops[o].kf, x, n, t, b);
            for (size_t i = 0; i < n; i++) bt[i] = ops[o].torch_fwd(x[i], dy[i], t[i]);
            fixture_compare(nns_kernel_name(ops[o].kf), y, ty, t, b, bt, n, &fwd[o]);
            for (size_t i = 0; i < n; i++) dx[i] = 0.0f;
            ops[o].bwd(dx, dy, x, n);
            chk_truth_activation_bwd(ops[o].kb, x, dy, NULL, n, t, b);
            for (size_t i = 0; i < n; i++) bt[i] = ops[o].torch_bwd(x[i], dy[i], t[i]);
            fixture_compare(nns_kernel_name(ops[o].kb), dx, tdx, t, b, bt, n, &bwd[o]);
        }
        free(y), free(dx), free(t), free(b), free(bt);
        st_close(f);
    }
    for (size_t o = 0; o < sizeof ops / sizeof ops[0]; o++) {
        fixture_report(nns_kernel_name(ops[o].kf), &fwd[o]);
        fixture_report(nns_kernel_name(ops[o].kb), &bwd[o]);
    }
    printf("\n");
}

int register_fixtures_activation_suite(void)
{
    CU_pSuite s = CU_add_suite("fixtures_activation", NULL, NULL);
    if (!s || !CU_add_test(s, "activation_vs_torch", test_activation_vs_torch)) return CU_get_error();
    return 0;
}
