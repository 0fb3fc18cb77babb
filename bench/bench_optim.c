/* Benchmark specs of the optimizer family: one step over n parameters,
 * n = 16384 (in cache: four or five arrays of 64 KiB) and n = 16777216
 * (out of cache: 64 MiB per array). Every call is the same step number
 * (SGD step 2, so the momentum recurrence runs rather than step 1's copy;
 * Adam step 10), the state evolving in place from call to call. Params and
 * grads uniform in [-1, 1], momentum buffer and m in [-0.1, 0.1], v in
 * [0, 0.01], from fixed seeds.
 *
 * sgd_step: momentum 0.9, no dampening, no weight decay, lr 0.01.
 *   bytes per element: param, grad, momentum buffer read, param and
 *   buffer written = 20.
 *   flops per element (mul = 1, FMA = 2): buf * momentum 1, + (1 -
 *   dampening) g as an FMA 2, param - lr buf as an FMA 2 = 5.
 * adam_step as AdamW: lr 1e-3, betas (0.9, 0.999), eps 1e-8, weight
 *   decay 0.01.
 *   bytes per element: param, grad, m, v read, param, m, v written = 28.
 *   flops per element (add, mul, div, sqrt = 1, FMA = 2): param * (1 - lr
 *   wd) 1; m: mul 1, FMA 2; v: (1 - beta2) g 1, beta2 v 1, FMA 2; denom:
 *   sqrt 1, div 1, add 1; update: mul 1, div 1, add 1 = 14. */
#include "bench.h"

#include <stdlib.h>

typedef struct optim_ctx {
    float *param, *grad, *a, *b; /* SGD: a = momentum buffer; Adam: a = m, b = v */
    size_t n;
} optim_ctx;

static void optim_teardown(void *p)
{
    optim_ctx *c = p;
    if (!c) return;
    free(c->param);
    free(c->grad);
    free(c->a);
    free(c->b);
    free(c);
}

static void *optim_setup(const nnsb_shape *s, int adam)
{
    optim_ctx *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->n = s->d[0];
    c->param = nnsb_alloc_floats(c->n);
    c->grad = nnsb_alloc_floats(c->n);
    c->a = nnsb_alloc_floats(c->n);
    c->b = adam ? nnsb_alloc_floats(c->n) : NULL;
    if (!c->param || !c->grad || !c->a || (adam && !c->b)) {
        optim_teardown(c);
        return NULL;
    }
    nnsb_fill_uniform(c->param, c->n, -1.0f, 1.0f, 31);
    nnsb_fill_uniform(c->grad, c->n, -1.0f, 1.0f, 32);
    nnsb_fill_uniform(c->a, c->n, -0.1f, 0.1f, 33);
    if (adam) nnsb_fill_uniform(c->b, c->n, 0.0f, 0.01f, 34);
    return c;
}

static void *sgd_setup(const nnsb_shape *s) { return optim_setup(s, 0); }
static void *adam_setup(const nnsb_shape *s) { return optim_setup(s, 1); }

static const nns_sgd_config sgd_cfg = {0.01f, 0.9f, 0.0f, 0.0f, 0};
static const nns_adam_config adamw_cfg = {1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f, 1};

static void sgd_call(void *p, const nns_kernel_table *t)
{
    optim_ctx *c = p;
    t->sgd_step(c->param, c->a, c->grad, c->n, &sgd_cfg, 2);
}

static void adam_call(void *p, const nns_kernel_table *t)
{
    optim_ctx *c = p;
    t->adam_step(c->param, c->a, c->b, c->grad, c->n, &adamw_cfg, 10);
}

static double sgd_flops(const nnsb_shape *s) { return 5.0 * (double)s->d[0]; }
static double sgd_bytes(const nnsb_shape *s) { return 20.0 * (double)s->d[0]; }
static double adam_flops(const nnsb_shape *s) { return 14.0 * (double)s->d[0]; }
static double adam_bytes(const nnsb_shape *s) { return 28.0 * (double)s->d[0]; }
static double elements(const nnsb_shape *s) { return (double)s->d[0]; }

const nnsb_spec nnsb_spec_sgd_step = {
    "N", 2, {{{16384}}, {{16777216}}},
    sgd_setup, sgd_call, optim_teardown, sgd_flops, sgd_bytes, elements};

const nnsb_spec nnsb_spec_adam_step = {
    "N", 2, {{{16384}}, {{16777216}}},
    adam_setup, adam_call, optim_teardown, adam_flops, adam_bytes, elements};
