/* One full MLP training step against PyTorch (tests/fixtures/mlp_step_*,
 * tools/fixtures/fam_mlp.py): logits, loss, every gradient and the
 * weights after one AdamW step, from the same inputs and initial weights,
 * through models/mlp.c on the active ISA; the same losses for 1 and 2
 * threads and for every buffer moved off its alignment; and
 * --detect-anomaly's checks.
 *
 * Bounds. Logits and loss: a float forward of depth L over widths <= K
 * errs by at most about L K u times the same computation on absolute
 * values (each layer a gamma_K dot product, ReLU and GELU are
 * 1-Lipschitz-like with |f'| <= 1.13); we allow 4 L K u times that
 * absolute-value forward, computed here in double. Gradients: normwise,
 * |g - g_torch| <= 8 L K u max|g| per tensor (the backward is the same
 * depth of gamma_K products). Updated weights: AdamW's first step moves
 * each weight by lr * g / (|g| + eps) ~ lr sign(g), so where g is within
 * the gradient bound of 0 the sign may legitimately differ: the bound is
 * 2u|w| + lr min(2, 2 bound_g / |g|). */
#include "suites.h"

#include "fixtures.h"
#include "evict.h"
#include "floats.h"
#include "mlp.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define U 0x1p-24

/* The absolute-value forward: |logits| scale per output, in double. */
static void abs_forward(const nns_mlp *m, const float *x, size_t n, double *scale)
{
    size_t L = m->cfg.nlayers;
    double *cur = malloc(n * m->cfg.dims[0] * sizeof *cur), *next = NULL;
    for (size_t i = 0; i < n * m->cfg.dims[0]; i++) cur[i] = fabs(x[i]);
    for (size_t l = 0; l < L; l++) {
        size_t c = m->cfg.dims[l], oc = m->cfg.dims[l + 1];
        next = malloc(n * oc * sizeof *next);
        for (size_t r = 0; r < n; r++)
            for (size_t j = 0; j < oc; j++) {
                double s = fabs(m->params[m->b_off[l] + j]);
                for (size_t k = 0; k < c; k++) s += fabs(m->params[m->w_off[l] + j * c + k]) * cur[r * c + k];
                next[r * oc + j] = l + 1 < L ? 1.13 * s : s;
            }
        free(cur);
        cur = next;
    }
    memcpy(scale, cur, n * m->cfg.dims[L] * sizeof *scale);
    free(cur);
}

static void check_step(const char *stem)
{
    st_file *f = fixture_open(stem);
    if (!f) return;
    size_t dims[2];
    st_shape(f, "x", dims, 2);
    size_t n = dims[0];
    nns_mlp_config cfg = {.act = strstr(stem, "gelu") ? NNS_ACT_GELU : NNS_ACT_RELU};
    cfg.dims[0] = dims[1];
    for (size_t l = 0;; l++) {
        char name[64];
        snprintf(name, sizeof name, "init.%zu.weight", 2 * l);
        size_t wd[2];
        if (st_shape(f, name, wd, 2) != 2) break;
        cfg.dims[l + 1] = wd[0];
        cfg.nlayers = l + 1;
    }
    nns_mlp m;
    char err[256];
    CU_ASSERT_EQUAL_FATAL(nns_mlp_create(&m, &cfg, n, 1, err, sizeof err), 0);
    for (size_t i = 0; i < 2 * cfg.nlayers; i++) {
        char base[32], name[64];
        nns_mlp_tensor_name(&m, i, base, sizeof base);
        snprintf(name, sizeof name, "init.%s", base);
        size_t l = i / 2, cnt = i % 2 ? cfg.dims[l + 1] : cfg.dims[l + 1] * cfg.dims[l];
        const float *p = fixture_f32(f, name, cnt);
        if (p) memcpy(m.params + (i % 2 ? m.b_off[l] : m.w_off[l]), p, cnt * sizeof *p);
    }
    const float *x = fixture_f32(f, "x", n * cfg.dims[0]);
    size_t ny = 0;
    const int32_t *y = st_i32(f, "y", &ny);
    size_t L = cfg.nlayers, classes = cfg.dims[L], K = 0;
    for (size_t l = 0; l <= L; l++) K = cfg.dims[l] > K ? cfg.dims[l] : K;
    double depth = 4.0 * (double)L * (double)(K + 1) * U;
    float loss = 0;
    CU_ASSERT_EQUAL_FATAL(nns_mlp_forward_backward(&m, x, y, n, &loss), NNS_OK);

    double *scale = malloc(n * classes * sizeof *scale), worst = 0;
    abs_forward(&m, x, n, scale);
    const float *tl = fixture_f32(f, "logits", n * classes), *tloss = fixture_f32(f, "loss", 1);
    double loss_bound = 0;
    for (size_t i = 0; tl && i < n * classes; i++) {
        double e = fabs((double)m.x[L][i] - tl[i]) / (depth * scale[i]);
        worst = e > worst ? e : worst;
        loss_bound += 2 * depth * scale[i] / (double)n; /* |d loss / d logit| <= 1 per row */
    }
    CU_ASSERT(worst <= 1.0);
    double loss_err = tloss ? fabs((double)loss - tloss[0]) / (loss_bound + 4 * U * fabs(tloss[0])) : 1e9;
    CU_ASSERT(loss_err <= 1.0);
    printf("\n    %s: logits %.3g of bound, loss %.3g of bound", stem, worst, loss_err);

    /* gradients, normwise per tensor, then the AdamW step */
    nns_adam_config adam = {1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f, 1};
    float *grads = malloc(m.nparams * sizeof *grads);
    memcpy(grads, m.grads, m.nparams * sizeof *grads);
    CU_ASSERT_EQUAL(nns_adam_step(m.params, m.m, m.v, m.grads, m.nparams, &adam, 1), NNS_OK);
    double gworst = 0, pworst = 0;
    for (size_t i = 0; i < 2 * L; i++) {
        char base[32], name[64];
        nns_mlp_tensor_name(&m, i, base, sizeof base);
        size_t l = i / 2, off = i % 2 ? m.b_off[l] : m.w_off[l];
        size_t cnt = i % 2 ? cfg.dims[l + 1] : cfg.dims[l + 1] * cfg.dims[l];
        snprintf(name, sizeof name, "grad.%s", base);
        const float *tg = fixture_f32(f, name, cnt);
        snprintf(name, sizeof name, "after.%s", base);
        const float *tp = fixture_f32(f, name, cnt);
        if (!tg || !tp) continue;
        double gmax = 0;
        for (size_t j = 0; j < cnt; j++) gmax = fmax(gmax, fabs(tg[j]));
        double gb = 2 * depth * gmax + 1e-30;
        for (size_t j = 0; j < cnt; j++) {
            double eg = fabs((double)grads[off + j] - tg[j]) / gb;
            double pb = 2 * U * fabs(tp[j]) + 1e-3 * fmin(2.0, 2 * gb / (fabs(tg[j]) + 1e-30));
            double ep = fabs((double)m.params[off + j] - tp[j]) / pb;
            gworst = eg > gworst ? eg : gworst;
            pworst = ep > pworst ? ep : pworst;
        }
    }
    CU_ASSERT(gworst <= 1.0);
    CU_ASSERT(pworst <= 1.0);
    printf(", gradients %.3g, updated weights %.3g of bound", gworst, pworst);
    free(grads), free(scale);
    nns_mlp_free(&m);
    st_close(f);
}

static void test_one_step_vs_torch(void)
{
    check_step("mlp_step_relu");
    check_step("mlp_step_gelu");
    printf("\n");
}

/* The bits tests' model: 37 -> 150 -> 140 -> 5 GELU for batches of 29 (on
 * 2 threads the hidden layers split their output features, and the second
 * one's din reads the rows of its weights that the other thread updates,
 * which each thread then flushes (models/evict.h); the head splits rows).
 * Two copies, a on ta threads and b on tb, with the same initial weights;
 * x and y a batch from the same generator. */
enum { BITS_N = 29, BITS_C = 37 };

static int bits_models(nns_act act, nns_mlp *a, int ta, nns_mlp *b, int tb, float *x, int32_t *y)
{
    nns_mlp_config cfg = {.nlayers = 3, .dims = {BITS_C, 150, 140, 5}, .act = act};
    char err[256];
    if (nns_mlp_create(a, &cfg, BITS_N, ta, err, sizeof err) != 0) return -1;
    if (nns_mlp_create(b, &cfg, BITS_N, tb, err, sizeof err) != 0) return nns_mlp_free(a), -1;
    nns_rng r1, r2;
    nns_rng_seed(&r1, 5), nns_rng_seed(&r2, 5);
    nns_mlp_init(a, &r1), nns_mlp_init(b, &r2);
    for (size_t i = 0; i < BITS_N * BITS_C; i++) x[i] = nns_rng_uniform(&r1, -1, 1);
    for (size_t i = 0; i < BITS_N; i++) y[i] = (int32_t)(i % 5);
    return 0;
}

/* The model splits rows and features across threads, never a reduction:
 * the loss and every gradient are the same bits for 1 and 2 threads, with
 * GELU (which keeps its pre-activation) and ReLU (which does not). */
static void test_threads_same_bits(void)
{
    const nns_act acts[] = {NNS_ACT_GELU, NNS_ACT_RELU};
    for (size_t i = 0; i < sizeof acts / sizeof acts[0]; i++) {
        nns_mlp a, b;
        float x[BITS_N * BITS_C];
        int32_t y[BITS_N];
        CU_ASSERT_EQUAL_FATAL(bits_models(acts[i], &a, 1, &b, 2, x, y), 0);
        float la, lb;
        CU_ASSERT_EQUAL(nns_mlp_forward_backward(&a, x, y, BITS_N, &la), NNS_OK);
        CU_ASSERT_EQUAL(nns_mlp_forward_backward(&b, x, y, BITS_N, &lb), NNS_OK);
        CU_ASSERT(memcmp(&la, &lb, sizeof la) == 0);
        CU_ASSERT(memcmp(a.x[1], b.x[1], BITS_N * 150 * sizeof(float)) == 0);
        if (a.pre[0]) CU_ASSERT(memcmp(a.pre[0], b.pre[0], BITS_N * 150 * sizeof(float)) == 0);
        CU_ASSERT(memcmp(a.grads, b.grads, a.nparams * sizeof(float)) == 0);
        nns_mlp_free(&a), nns_mlp_free(&b);
    }
}

/* nns_mlp_update's callback: counts each parameter of [lo, hi) (the
 * stretches of concurrent calls never overlap), failing on a stretch that
 * starts at `fail_at`. */
typedef struct update_count {
    unsigned char *seen;
    size_t fail_at;
} update_count;

static nns_status count_update(void *ctx, size_t lo, size_t hi)
{
    update_count *u = ctx;
    for (size_t j = lo; j < hi; j++) u->seen[j]++;
    return lo == u->fail_at ? NNS_ERR_ARG : NNS_OK;
}

/* The optimizer's update (nns_mlp_update) reaches every parameter exactly
 * once for 1 to 5 threads, including more threads than the 3-wide layer
 * has features, and returns a stretch's failure. */
static void test_update_covers_params(void)
{
    nns_mlp_config cfg = {.nlayers = 3, .dims = {7, 150, 3, 5}, .act = NNS_ACT_RELU};
    for (int nt = 1; nt <= 5; nt++) {
        nns_mlp m;
        char err[128];
        CU_ASSERT_EQUAL_FATAL(nns_mlp_create(&m, &cfg, 4, nt, err, sizeof err), 0);
        update_count u = {calloc(m.nparams, 1), SIZE_MAX};
        CU_ASSERT_PTR_NOT_NULL_FATAL(u.seen);
        CU_ASSERT_EQUAL(nns_mlp_update(&m, count_update, &u), NNS_OK);
        size_t once = 0;
        for (size_t j = 0; j < m.nparams; j++) once += u.seen[j] == 1;
        CU_ASSERT_EQUAL(once, m.nparams);
        u.fail_at = m.b_off[1];
        CU_ASSERT_EQUAL(nns_mlp_update(&m, count_update, &u), NNS_ERR_ARG);
        free(u.seen);
        nns_mlp_free(&m);
    }
}

/* nns_mlp_train_step's callbacks: rows [lo, hi) of the test batch, and
 * AdamW over a stretch of the model's buffers. */
static void fill_rows(void *ctx, float *input, size_t lo, size_t hi)
{
    memcpy(input + lo * BITS_C, (const float *)ctx + lo * BITS_C, (hi - lo) * BITS_C * sizeof(float));
}

static nns_status adamw_stretch(void *ctx, size_t lo, size_t hi)
{
    nns_mlp *m = ctx;
    nns_adam_config c = {1e-2f, 0.9f, 0.999f, 1e-8f, 0.01f, 1};
    return nns_adam_step(m->params + lo, m->m + lo, m->v + lo, m->grads + lo, hi - lo, &c, 1);
}

/* A training step in one call (the rows filled on the model's threads,
 * forward, backward, AdamW) leaves the same loss, gradients, parameters
 * and moments as nns_mlp_forward_backward then nns_mlp_update, on 1 and
 * on 2 threads, three steps running. */
static void test_train_step_same_bits(void)
{
    for (int threads = 1; threads <= 2; threads++) {
        nns_mlp a, b;
        float x[BITS_N * BITS_C], in[BITS_N * BITS_C];
        int32_t y[BITS_N];
        CU_ASSERT_EQUAL_FATAL(bits_models(NNS_ACT_RELU, &a, 1, &b, threads, x, y), 0);
        for (int step = 0; step < 3; step++) {
            float la, lb;
            CU_ASSERT_EQUAL(nns_mlp_forward_backward(&a, x, y, BITS_N, &la), NNS_OK);
            CU_ASSERT_EQUAL(nns_mlp_update(&a, adamw_stretch, &a), NNS_OK);
            memset(in, 0, sizeof in);
            CU_ASSERT_EQUAL(nns_mlp_train_step(&b, in, fill_rows, x, y, BITS_N, &lb, adamw_stretch, &b),
                            NNS_OK);
            CU_ASSERT(memcmp(in, x, sizeof x) == 0);
            CU_ASSERT(memcmp(&la, &lb, sizeof la) == 0);
            CU_ASSERT(memcmp(a.grads, b.grads, a.nparams * sizeof(float)) == 0);
            CU_ASSERT(memcmp(a.params, b.params, a.nparams * sizeof(float)) == 0);
            CU_ASSERT(memcmp(a.m, b.m, a.nparams * sizeof(float)) == 0);
            CU_ASSERT(memcmp(a.v, b.v, a.nparams * sizeof(float)) == 0);
        }
        nns_mlp_free(&a), nns_mlp_free(&b);
    }
}

/* --detect-anomaly: a clean step passes every check; a NaN weight of
 * layer 0 is named at the first kernel it spoils (layer 0's forward, the
 * output of row 0: a ReLU layer keeps no pre-activation), the same for 1
 * and 2 threads; unchecked, the
 * call succeeds with a NaN loss. */
static void test_detect_anomaly(void)
{
    nns_mlp_config cfg = {.nlayers = 2, .dims = {6, 9, 4}, .act = NNS_ACT_RELU};
    float x[5 * 6];
    int32_t y[5] = {0, 1, 2, 3, 0};
    nns_rng r;
    nns_rng_seed(&r, 3);
    for (size_t i = 0; i < 5 * 6; i++) x[i] = nns_rng_uniform(&r, -1, 1);
    for (int threads = 1; threads <= 2; threads++) {
        nns_mlp m;
        char err[256];
        float loss = 0;
        CU_ASSERT_EQUAL_FATAL(nns_mlp_create(&m, &cfg, 5, threads, err, sizeof err), 0);
        nns_rng_seed(&r, 4);
        nns_mlp_init(&m, &r);
        m.anomaly.enabled = 1;
        CU_ASSERT_EQUAL(nns_mlp_forward_backward(&m, x, y, 5, &loss), NNS_OK);
        m.params[m.w_off[0] + 2 * 6 + 1] = NAN; /* output feature 2 of layer 0 */
        CU_ASSERT_EQUAL(nns_mlp_forward_backward(&m, x, y, 5, &loss), NNS_ANOMALY_STATUS);
        CU_ASSERT_STRING_EQUAL(m.anomaly.msg, "linear_fwd (layer 0, out) produced a non-finite value "
                                              "(nan at element 2)");
        m.anomaly.enabled = 0;
        CU_ASSERT_EQUAL(nns_mlp_forward_backward(&m, x, y, 5, &loss), NNS_OK);
        CU_ASSERT(isnan(loss));
        nns_mlp_free(&m);
    }
}

/* The model's float buffers, each re-pointed into one arena at a float
 * offset 1..15 past a 64-byte boundary (contents copied), so that no
 * kernel sees the alignment malloc gave. Returns the arena; the original
 * pointers go to saved[] (restore them before nns_mlp_free). */
enum { MISALIGNED_MAX = 5 + 3 * (NNS_MLP_MAX_LAYERS + 1) + 2 * 2 };

static char *misalign_buffers(nns_mlp *m, float **saved[], float *orig[], size_t *count)
{
    size_t L = m->cfg.nlayers, widest = 0, n = 0, bytes[MISALIGNED_MAX];
    float **slot[MISALIGNED_MAX];
    for (size_t l = 0; l < L; l++)
        if (m->cfg.dims[l + 1] > widest) widest = m->cfg.dims[l + 1];
    float **params[] = {&m->params, &m->grads, &m->m, &m->v};
    for (size_t i = 0; i < 4; i++) slot[n] = params[i], bytes[n++] = m->nparams * sizeof(float);
    slot[n] = &m->g, bytes[n++] = m->batch * widest * sizeof(float);
    for (size_t l = 0; l <= L; l++) {
        if (l) /* x[0] is the caller's input (misaligned by the test itself) */
            slot[n] = &m->x[l], bytes[n++] = m->batch * m->cfg.dims[l] * sizeof(float);
        slot[n] = &m->dx[l], bytes[n++] = m->batch * m->cfg.dims[l] * sizeof(float);
        if (l < L && m->pre[l])
            slot[n] = &m->pre[l], bytes[n++] = m->batch * m->cfg.dims[l + 1] * sizeof(float);
    }
    for (int t = 0; t < m->threads && t < 2; t++) {
        slot[n] = (float **)&m->ws[t], bytes[n++] = m->ws_bytes;
        slot[n] = &m->gcols[t], bytes[n++] = 2 * m->batch * widest * sizeof(float);
    }
    size_t total = 0;
    for (size_t i = 0; i < n; i++) total += bytes[i] + 128;
    char *arena = malloc(total + 64), *at = arena;
    for (size_t i = 0; arena && i < n; i++) {
        at = (char *)(((uintptr_t)at + 63) & ~(uintptr_t)63) + 4 * (1 + i % 15);
        memcpy(at, *slot[i], bytes[i]);
        saved[i] = slot[i], orig[i] = *slot[i], *slot[i] = (float *)(void *)at;
        at += bytes[i];
    }
    *count = n;
    return arena;
}

/* The same bits with every buffer of the model and the input off their
 * alignment (DESIGN.md: "same input, same bits"). */
static void test_alignment_same_bits(void)
{
    nns_mlp a, b;
    float x[BITS_N * BITS_C + 1], *xb = x + 1; /* b's input 4 bytes further on */
    int32_t y[BITS_N];
    CU_ASSERT_EQUAL_FATAL(bits_models(NNS_ACT_GELU, &a, 2, &b, 2, x, y), 0);
    float **saved[MISALIGNED_MAX], *orig[MISALIGNED_MAX];
    size_t count;
    char *arena = misalign_buffers(&b, saved, orig, &count);
    CU_ASSERT_PTR_NOT_NULL_FATAL(arena);
    float la, lb;
    CU_ASSERT_EQUAL(nns_mlp_forward_backward(&a, x, y, BITS_N, &la), NNS_OK);
    memmove(xb, x, BITS_N * BITS_C * sizeof(float));
    CU_ASSERT_EQUAL(nns_mlp_forward_backward(&b, xb, y, BITS_N, &lb), NNS_OK);
    CU_ASSERT(memcmp(&la, &lb, sizeof la) == 0);
    CU_ASSERT(memcmp(a.grads, b.grads, a.nparams * sizeof(float)) == 0);
    for (size_t i = 0; i < count; i++) *saved[i] = orig[i];
    free(arena);
    nns_mlp_free(&a), nns_mlp_free(&b);
}

/* Every buffer the model allocates starts a 64-byte cache line
 * (models/floats.h), so a vector of a row a whole number of lines long
 * never straddles two: on the Zen 5 VM calloc's 16-byte offset doubled the
 * time of the training step's update. Odd sizes, so that no block of
 * them is a multiple of a line by chance. */
static void test_buffers_on_cache_lines(void)
{
    nns_mlp_config cfg = {.nlayers = 2, .dims = {13, 7, 3}, .act = NNS_ACT_GELU};
    nns_mlp m;
    char err[128];
    CU_ASSERT_EQUAL_FATAL(nns_mlp_create(&m, &cfg, 5, 2, err, sizeof err), 0);
    const void *bufs[] = {m.params, m.grads, m.m,     m.v,    m.x[1],    m.x[2],   m.dx[0],
                          m.dx[1],  m.dx[2], m.pre[0], m.g,   m.gcols[0], m.gcols[1]};
    for (size_t i = 0; i < sizeof bufs / sizeof *bufs; i++) {
        CU_ASSERT_PTR_NOT_NULL(bufs[i]);
        CU_ASSERT((uintptr_t)bufs[i] % 64 == 0);
    }
    nns_mlp_free(&m);
}

/* nns_evict writes a line back before dropping it: a freshly written
 * buffer reads the same after its middle (from an address inside a line to
 * one inside another) and nothing at all are flushed. */
static void test_evict_keeps_contents(void)
{
    enum { N = 1000 };
    float *buf = nns_floats(N);
    CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
    for (size_t i = 0; i < N; i++) buf[i] = (float)i * 0.5f - 7.0f;
    nns_evict(buf + 3, 700 * sizeof *buf);
    nns_evict(buf + 901, 0);
    size_t same = 0;
    for (size_t i = 0; i < N; i++) same += buf[i] == (float)i * 0.5f - 7.0f;
    CU_ASSERT_EQUAL(same, N);
    free(buf);
}

int register_mlp_suite(void)
{
    CU_pSuite s = CU_add_suite("mlp", NULL, NULL);
    if (!s || !CU_add_test(s, "one_step_vs_torch", test_one_step_vs_torch) ||
        !CU_add_test(s, "threads_same_bits", test_threads_same_bits) ||
        !CU_add_test(s, "update_covers_params", test_update_covers_params) ||
        !CU_add_test(s, "train_step_same_bits", test_train_step_same_bits) ||
        !CU_add_test(s, "alignment_same_bits", test_alignment_same_bits) ||
        !CU_add_test(s, "buffers_on_cache_lines", test_buffers_on_cache_lines) ||
        !CU_add_test(s, "evict_keeps_contents", test_evict_keeps_contents) ||
        !CU_add_test(s, "detect_anomaly", test_detect_anomaly))
        return CU_get_error();
    return 0;
}
