/* Benchmark specs of the loss family.
 *
 * cross_entropy_fwd_bwd, loss and gradient, at the models' shapes:
 *   N128_V10      the MNIST MLP's output (batch 128, 10 digits)
 *   N32_V2        the IMDb classifier's output (batch 32, 2 classes)
 *   N64_V50000    a language model's output (64 tokens, 50k vocabulary):
 *                 12.8 MB of logits and as much gradient, out of cache
 * Logits uniform in [-8, 8], targets uniform over the classes, no row
 * ignored, from fixed seeds.
 *   bytes: logits read (4 nv), dlogits read and written (8 nv), targets
 *   read (4 n), the loss written (4): 12 nv + 4 n + 4.
 *   flops per logit (nominal, the reference's two passes; exp counted as
 *   the 27 of vf_exp, see bench_activation.c; compare, add, sub, mul, div
 *   = 1): max 1; sub 1, exp 27, sum 1 (loss pass: 30); sub 1, exp 27,
 *   div 1, mul 1, accumulate 1 (gradient pass: 31) = 61 per logit; the
 *   per-row log, target term and mean are ignored.
 *
 * mse_fwd_bwd, loss and gradient, N16384 (in cache) and N16777216 (out of
 * cache), pred and target uniform in [-1, 1].
 *   bytes: pred and target read (8 n), dpred read and written (8 n),
 *   the loss written: 16 n + 4.
 *   flops per element: sub, mul, add (loss) 3; sub, mul, accumulate
 *   (gradient) 3 = 6. */
#include "bench.h"

#include <stdlib.h>

typedef struct ce_ctx {
    float *logits, *dlogits, loss;
    int32_t *targets;
    size_t n, v;
} ce_ctx;

static void ce_teardown(void *p)
{
    ce_ctx *c = p;
    if (!c) return;
    free(c->logits);
    free(c->dlogits);
    free(c->targets);
    free(c);
}

static void *ce_setup(const nnsb_shape *s)
{
    ce_ctx *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->n = s->d[0];
    c->v = s->d[1];
    c->logits = nnsb_alloc_floats(c->n * c->v);
    c->dlogits = nnsb_alloc_floats(c->n * c->v);
    c->targets = malloc(c->n * sizeof *c->targets);
    float *u = nnsb_alloc_floats(c->n);
    if (!c->logits || !c->dlogits || !c->targets || !u) {
        free(u);
        ce_teardown(c);
        return NULL;
    }
    nnsb_fill_uniform(c->logits, c->n * c->v, -8.0f, 8.0f, 11);
    nnsb_fill_uniform(c->dlogits, c->n * c->v, -1.0f, 1.0f, 12);
    nnsb_fill_uniform(u, c->n, 0.0f, 1.0f, 13);
    for (size_t i = 0; i < c->n; i++) {
        size_t t = (size_t)(u[i] * (float)c->v);
        c->targets[i] = (int32_t)(t < c->v ? t : c->v - 1);
    }
    free(u);
    return c;
}

static void ce_call(void *p, const nns_kernel_table *t)
{
    ce_ctx *c = p;
    t->cross_entropy_fwd_bwd(&c->loss, c->dlogits, c->logits, c->targets, c->n, c->v, -100);
}

static double ce_flops(const nnsb_shape *s) { return 61.0 * (double)s->d[0] * (double)s->d[1]; }
static double ce_bytes(const nnsb_shape *s)
{
    return 12.0 * (double)s->d[0] * (double)s->d[1] + 4.0 * (double)s->d[0] + 4.0;
}
static double ce_items(const nnsb_shape *s) { return (double)s->d[0] * (double)s->d[1]; }

const nnsb_spec nnsb_spec_cross_entropy_fwd_bwd = {
    "NV", 3, {{{128, 10}}, {{32, 2}}, {{64, 50000}}},
    ce_setup, ce_call, ce_teardown, ce_flops, ce_bytes, ce_items};

typedef struct mse_ctx {
    float *pred, *target, *dpred, loss;
    size_t n;
} mse_ctx;

static void mse_teardown(void *p)
{
    mse_ctx *c = p;
    if (!c) return;
    free(c->pred);
    free(c->target);
    free(c->dpred);
    free(c);
}

static void *mse_setup(const nnsb_shape *s)
{
    mse_ctx *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->n = s->d[0];
    c->pred = nnsb_alloc_floats(c->n);
    c->target = nnsb_alloc_floats(c->n);
    c->dpred = nnsb_alloc_floats(c->n);
    if (!c->pred || !c->target || !c->dpred) {
        mse_teardown(c);
        return NULL;
    }
    nnsb_fill_uniform(c->pred, c->n, -1.0f, 1.0f, 21);
    nnsb_fill_uniform(c->target, c->n, -1.0f, 1.0f, 22);
    nnsb_fill_uniform(c->dpred, c->n, -1.0f, 1.0f, 23);
    return c;
}

static void mse_call(void *p, const nns_kernel_table *t)
{
    mse_ctx *c = p;
    t->mse_fwd_bwd(&c->loss, c->dpred, c->pred, c->target, c->n);
}

static double mse_flops(const nnsb_shape *s) { return 6.0 * (double)s->d[0]; }
static double mse_bytes(const nnsb_shape *s) { return 16.0 * (double)s->d[0] + 4.0; }
static double mse_items(const nnsb_shape *s) { return (double)s->d[0]; }

const nnsb_spec nnsb_spec_mse_fwd_bwd = {
    "N", 2, {{{16384}}, {{16777216}}},
    mse_setup, mse_call, mse_teardown, mse_flops, mse_bytes, mse_items};
