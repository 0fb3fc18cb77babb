/* The loss and optimizer references against PyTorch 1.13 (tests/fixtures/
 * loss_*.safetensors and optim_*.safetensors, made by
 * tools/fixtures/fam_loss_optim.py).
 *
 * Losses: our loss and gradient within the tolerance-table bound of the
 * double truth, and within twice that bound of torch's (torch is held to
 * the same bound). Ignored rows must be exactly zero on both sides.
 *
 * Optimizers: three steps replayed from torch's initial parameter and
 * gradients; after every step, param and state within the bound of the
 * double model (check_optim.c, the bound growing with the steps) and
 * within twice the bound of torch. The reference mirrors torch's float
 * operations (reference/optim.c), so it should also agree bit for bit with
 * the torch that made the fixtures (an AVX2 build); how many elements do is
 * printed, not asserted, since another torch build (no FMA) may differ by
 * a rounding. The optimizer replays run every ISA's variant the CPU
 * supports (scalar, avx2, avx512, neon), each under the same bounds. */
#include "suites.h"

#include "check_loss.h"
#include "check_optim.h"
#include "fixtures.h"
#include "nnsimd_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- losses ---- */

static const char *const ce_stems[] = {"loss_ce_8x10", "loss_ce_7x2", "loss_ce_5x37",
                                       "loss_ce_3x1000", "loss_ce_4x33_big"};

static void test_cross_entropy_vs_torch(void)
{
    fixture_stats st = {0};
    for (size_t s = 0; s < sizeof ce_stems / sizeof ce_stems[0]; s++) {
        st_file *f = fixture_open(ce_stems[s]);
        if (!f) continue;
        size_t dims[2] = {0, 0}, nt = 0, ni = 0;
        CU_ASSERT_EQUAL_FATAL(st_shape(f, "logits", dims, 2), 2);
        size_t n = dims[0], v = dims[1];
        const float *x = fixture_f32(f, "logits", n * v);
        const int32_t *tg = st_i32(f, "targets", &nt), *ii = st_i32(f, "ignore_index", &ni);
        const float *tloss = fixture_f32(f, "loss", 1), *tdl = fixture_f32(f, "dlogits", n * v);
        CU_ASSERT_FATAL(x && tg && nt == n && ii && ni == 1 && tloss && tdl);
        float loss, *dl = calloc(n * v, sizeof *dl);
        double lt, lb, *t = calloc(n * v, sizeof *t), *b = calloc(n * v, sizeof *b);
        nns_cross_entropy_fwd_bwd__scalar(&loss, dl, x, tg, n, v, ii[0]);
        chk_truth_cross_entropy(x, tg, n, v, ii[0], NULL, &lt, &lb, t, b);
        char what[96];
        snprintf(what, sizeof what, "%s loss", ce_stems[s]);
        fixture_compare(what, &loss, tloss, &lt, &lb, NULL, 1, &st);
        for (size_t i = 0; i < n; i++) {
            snprintf(what, sizeof what, "%s dlogits row %zu", ce_stems[s], i);
            if (tg[i] == ii[0]) { /* ignored: exactly no gradient */
                for (size_t j = 0; j < v; j++) CU_ASSERT(dl[i * v + j] == 0 && tdl[i * v + j] == 0);
                continue;
            }
            fixture_compare(what, dl + i * v, tdl + i * v, t + i * v, b + i * v, NULL, v, &st);
        }
        free(dl), free(t), free(b);
        st_close(f);
    }
    fixture_report("cross_entropy_fwd_bwd", &st);
    printf("\n");
}

static const char *const mse_stems[] = {"loss_mse_1", "loss_mse_37", "loss_mse_4x33"};

static void test_mse_vs_torch(void)
{
    fixture_stats st = {0};
    for (size_t s = 0; s < sizeof mse_stems / sizeof mse_stems[0]; s++) {
        st_file *f = fixture_open(mse_stems[s]);
        if (!f) continue;
        size_t n = 0;
        const float *p = st_f32(f, "pred", &n), *y = fixture_f32(f, "target", n);
        const float *tloss = fixture_f32(f, "loss", 1), *tdp = fixture_f32(f, "dpred", n);
        CU_ASSERT_FATAL(p && y && tloss && tdp);
        float loss, *dp = calloc(n, sizeof *dp);
        double lt, lb, *t = calloc(n, sizeof *t), *b = calloc(n, sizeof *b);
        nns_mse_fwd_bwd__scalar(&loss, dp, p, y, n);
        chk_truth_mse(p, y, n, NULL, &lt, &lb, t, b);
        char what[96];
        snprintf(what, sizeof what, "%s loss", mse_stems[s]);
        fixture_compare(what, &loss, tloss, &lt, &lb, NULL, 1, &st);
        snprintf(what, sizeof what, "%s dpred", mse_stems[s]);
        fixture_compare(what, dp, tdp, t, b, NULL, n, &st);
        free(dp), free(t), free(b);
        st_close(f);
    }
    fixture_report("mse_fwd_bwd", &st);
    printf("\n");
}

/* ---- optimizers ---- */

#define OPT_STEPS 3

typedef struct bits_stats {
    size_t same, total;
} bits_stats;

/* One state tensor after step k: ours against the model and torch. */
static void compare_state(const st_file *f, const char *stem, const char *name, int k, size_t kern,
                          const float *ours, const double *truth, const double *s, size_t n,
                          fixture_stats *st, bits_stats *bs)
{
    char tn[64], what[128];
    snprintf(tn, sizeof tn, "%s%d", name, k);
    const float *torch = fixture_f32(f, tn, n);
    if (!torch) return;
    double *bound = calloc(n, sizeof *bound);
    chk_optim_bound(kern, s, n, bound);
    snprintf(what, sizeof what, "%s %s", stem, tn);
    fixture_compare(what, ours, torch, truth, bound, NULL, n, st);
    for (size_t i = 0; i < n; i++) bs->same += memcmp(&ours[i], &torch[i], sizeof *ours) == 0;
    bs->total += n;
    free(bound);
}

/* Buffers of one replay: floats for the reference, doubles for the model. */
typedef struct replay {
    size_t n;
    float *p, *a, *b;
    double *tp, *sp, *ta, *sa, *tb, *sb;
} replay;

static int replay_open(replay *r, const float *param0, size_t n)
{
    r->n = n;
    r->p = malloc(n * sizeof *r->p), r->a = calloc(n, sizeof *r->a), r->b = calloc(n, sizeof *r->b);
    r->tp = calloc(n, sizeof *r->tp), r->sp = calloc(n, sizeof *r->sp);
    r->ta = calloc(n, sizeof *r->ta), r->sa = calloc(n, sizeof *r->sa);
    r->tb = calloc(n, sizeof *r->tb), r->sb = calloc(n, sizeof *r->sb);
    if (!r->p || !r->a || !r->b || !r->tp || !r->sp || !r->ta || !r->sa || !r->tb || !r->sb)
        return 0;
    for (size_t i = 0; i < n; i++) r->p[i] = param0[i], r->tp[i] = param0[i];
    return 1;
}

static void replay_close(replay *r)
{
    free(r->p), free(r->a), free(r->b), free(r->tp), free(r->sp);
    free(r->ta), free(r->sa), free(r->tb), free(r->sb);
}

static const char *const sgd_stems[] = {"optim_sgd_plain", "optim_sgd_momentum_dampening",
                                        "optim_sgd_nesterov", "optim_sgd_weight_decay"};

/* The ISAs whose variant of kernel k runs here: scalar (the reference),
 * then every ISA with a native variant the CPU supports. */
static size_t replay_isas(size_t k, nns_isa out[NNS_ISA_COUNT])
{
    size_t m = 0;
    for (int i = 0; i < NNS_ISA_COUNT; i++) {
        const nns_kernel_table *t = nns_kernels_for((nns_isa)i);
        if (t && nns_kernel_present(t, k) && nns_isa_supported((nns_isa)i)) out[m++] = (nns_isa)i;
    }
    return m;
}

/* Every variant: the same replay, the same bounds; its bit agreement with
 * torch printed per ISA (the SIMD variants follow the reference's
 * operations, so they agree where the reference does). */
static void sgd_replay(nns_isa isa)
{
    nns_sgd_fn *step = nns_kernels_for(isa)->sgd_step;
    fixture_stats st = {0};
    bits_stats bs = {0};
    for (size_t s = 0; s < sizeof sgd_stems / sizeof sgd_stems[0]; s++) {
        st_file *f = fixture_open(sgd_stems[s]);
        if (!f) continue;
        size_t n = 0;
        const float *p0 = st_f32(f, "param0", &n), *c = fixture_f32(f, "config", 5);
        replay r;
        CU_ASSERT_FATAL(p0 && c);
        CU_ASSERT_FATAL(replay_open(&r, p0, n));
        const nns_sgd_config cfg = {c[0], c[1], c[2], c[3], c[4] != 0.0f};
        for (int k = 1; k <= OPT_STEPS; k++) {
            char gn[16];
            snprintf(gn, sizeof gn, "grad%d", k);
            const float *g = fixture_f32(f, gn, n);
            if (!g) break;
            step(r.p, r.a, g, n, &cfg, (uint64_t)k);
            chk_truth_sgd_step(&cfg, (uint64_t)k, g, n, r.tp, r.sp, r.ta, r.sa);
            compare_state(f, sgd_stems[s], "param", k, NNS_K_sgd_step, r.p, r.tp, r.sp, n, &st, &bs);
            if (cfg.momentum != 0.0f)
                compare_state(f, sgd_stems[s], "momentum_buf", k, NNS_K_sgd_step, r.a, r.ta, r.sa,
                              n, &st, &bs);
        }
        replay_close(&r);
        st_close(f);
    }
    char name[48];
    snprintf(name, sizeof name, "sgd_step/%s", nns_isa_name(isa));
    fixture_report(name, &st);
    printf("\n    %s: %zu of %zu elements bit-identical to torch", name, bs.same, bs.total);
}

static void test_sgd_vs_torch(void)
{
    nns_isa isas[NNS_ISA_COUNT];
    size_t nisa = replay_isas(NNS_K_sgd_step, isas);
    for (size_t i = 0; i < nisa; i++) sgd_replay(isas[i]);
    printf("\n");
}

static const char *const adam_stems[] = {"optim_adam", "optim_adam_weight_decay", "optim_adamw"};

static void adam_replay(nns_isa isa)
{
    nns_adam_fn *step = nns_kernels_for(isa)->adam_step;
    fixture_stats st = {0};
    bits_stats bs = {0};
    for (size_t s = 0; s < sizeof adam_stems / sizeof adam_stems[0]; s++) {
        st_file *f = fixture_open(adam_stems[s]);
        if (!f) continue;
        size_t n = 0;
        const float *p0 = st_f32(f, "param0", &n), *c = fixture_f32(f, "config", 6);
        replay r;
        CU_ASSERT_FATAL(p0 && c);
        CU_ASSERT_FATAL(replay_open(&r, p0, n));
        const nns_adam_config cfg = {c[0], c[1], c[2], c[3], c[4], c[5] != 0.0f};
        for (int k = 1; k <= OPT_STEPS; k++) {
            char gn[16];
            snprintf(gn, sizeof gn, "grad%d", k);
            const float *g = fixture_f32(f, gn, n);
            if (!g) break;
            step(r.p, r.a, r.b, g, n, &cfg, (uint64_t)k);
            chk_truth_adam_step(&cfg, (uint64_t)k, g, n, r.tp, r.sp, r.ta, r.sa, r.tb, r.sb);
            compare_state(f, adam_stems[s], "param", k, NNS_K_adam_step, r.p, r.tp, r.sp, n, &st,
                          &bs);
            compare_state(f, adam_stems[s], "m", k, NNS_K_adam_step, r.a, r.ta, r.sa, n, &st, &bs);
            compare_state(f, adam_stems[s], "v", k, NNS_K_adam_step, r.b, r.tb, r.sb, n, &st, &bs);
        }
        replay_close(&r);
        st_close(f);
    }
    char name[48];
    snprintf(name, sizeof name, "adam_step/%s", nns_isa_name(isa));
    fixture_report(name, &st);
    printf("\n    %s: %zu of %zu elements bit-identical to torch", name, bs.same, bs.total);
}

static void test_adam_vs_torch(void)
{
    nns_isa isas[NNS_ISA_COUNT];
    size_t nisa = replay_isas(NNS_K_adam_step, isas);
    for (size_t i = 0; i < nisa; i++) adam_replay(isas[i]);
    printf("\n");
}

int register_fixtures_loss_optim_suite(void)
{
    CU_pSuite s = CU_add_suite("fixtures_loss_optim", NULL, NULL);
    if (!s || !CU_add_test(s, "cross_entropy_vs_torch", test_cross_entropy_vs_torch) ||
        !CU_add_test(s, "mse_vs_torch", test_mse_vs_torch) ||
        !CU_add_test(s, "sgd_vs_torch", test_sgd_vs_torch) ||
        !CU_add_test(s, "adam_vs_torch", test_adam_vs_torch))
        return CU_get_error();
    return 0;
}
