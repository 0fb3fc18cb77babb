/* Benchmark specs of the activation family: relu, gelu (erf form) and
 * gelu_tanh, forward and backward, at N16384 (in cache: 2-3 arrays of
 * 64 KiB) and N16777216 (out of cache: 64 MiB per array). Inputs are
 * uniform in [-6, 6] from fixed seeds.
 *
 * bytes per element: forward 8 (in read, out written); backward 16 (in
 * and dout read, din read and written, since backward accumulates).
 *
 * flops per element are nominal counts of the generic vector bodies
 * (kernels/generic/activation.h and vmath.h), the same for every ISA
 * (the scalar reference calls libm instead, so its figure is nominal
 * too). Counting rule: add, sub, mul, div, round and compare = 1 each,
 * FMA = 2; selects/blends, bitwise ops (abs), conversions and integer
 * ops = 0.
 *
 *   vf_exp (vmath.h)  clamp 2 cmp; n = round(x*log2e) 2; two fnma 4;
 *                     5 fma 10; fma(r*r, p, r+1) 4; n1 = round(n*0.5) 2;
 *                     n - n1 1; two scaling muls 2                  = 27
 *   vf_erfc (vmath.h) t: add, div 2; P(t): 9 fma 18; fnma 2; exp 27;
 *                     t*exp 1; z < 0: cmp, sub 2; z*z 1; erf's
 *                     series: 7 fma 14; fnma 2; |z| < 0.75: cmp 1     = 70
 *   relu_fwd          1 cmp                                          = 1
 *   relu_bwd          1 cmp, 1 add                                   = 2
 *   gelu_fwd          x*(-1/sqrt2) 1, erfc 70, 0.5*x 1, product 1    = 73
 *   gelu_bwd          cdf: 1 + 70 + 1; pdf: x*x 1, *(-0.5) 1,
 *                     exp 27, *c 1; fma 2 = 104; din += dout*g 2     = 106
 *   gelu_tanh_fwd     clamp 2 cmp; w: x^3 2 mul, fma 2, mul 1 = 5;
 *                     e = exp(0 - |w|) 28; a = 1/(1+e) 2;
 *                     s: cmp 1, e*a 1; x*s 1                         = 40
 *   gelu_tanh_bwd     clamp 2, w 5, e 28, a 2, s 2; dw: mul 1, fma 2,
 *                     mul 1 = 4; e*a*a*xc 3 mul, fma 2 = 5;
 *                     din += dout*g 2                                = 50
 */
#include "bench.h"

#include <stdlib.h>

#define ACT_SHAPES 2, {{{16384}}, {{16777216}}}

#define FLOPS_relu_fwd 1
#define FLOPS_relu_bwd 2
#define FLOPS_gelu_fwd 73
#define FLOPS_gelu_bwd 106
#define FLOPS_gelu_tanh_fwd 40
#define FLOPS_gelu_tanh_bwd 50

/* fwd: a = out; bwd: a = din, b = dout. */
typedef struct act_ctx {
    float *a, *b, *in;
    size_t n;
} act_ctx;

static void act_teardown(void *p)
{
    act_ctx *c = p;
    if (!c) return;
    free(c->a);
    free(c->b);
    free(c->in);
    free(c);
}

static void *act_setup(const nnsb_shape *s, int bwd)
{
    act_ctx *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->n = s->d[0];
    c->a = nnsb_alloc_floats(c->n);
    c->in = nnsb_alloc_floats(c->n);
    c->b = bwd ? nnsb_alloc_floats(c->n) : NULL;
    if (!c->a || !c->in || (bwd && !c->b)) {
        act_teardown(c);
        return NULL;
    }
    nnsb_fill_uniform(c->in, c->n, -6.0f, 6.0f, 1);
    nnsb_fill_uniform(c->a, c->n, -6.0f, 6.0f, 2);
    if (bwd) nnsb_fill_uniform(c->b, c->n, -6.0f, 6.0f, 3);
    return c;
}

static void *setup_fwd(const nnsb_shape *s) { return act_setup(s, 0); }
static void *setup_bwd(const nnsb_shape *s) { return act_setup(s, 1); }

static double bytes_fwd(const nnsb_shape *s) { return 8.0 * (double)s->d[0]; }
static double bytes_bwd(const nnsb_shape *s) { return 16.0 * (double)s->d[0]; }
static double elements(const nnsb_shape *s) { return (double)s->d[0]; }

#define ACT_CALL_fwd(k) t->k(c->a, c->in, c->n)
#define ACT_CALL_bwd(k) t->k(c->a, c->b, c->in, c->n)

#define ACT_SPEC(k, dir)                                                       \
    static void call_##k(void *p, const nns_kernel_table *t)                   \
    {                                                                          \
        act_ctx *c = p;                                                        \
        ACT_CALL_##dir(k);                                                     \
    }                                                                          \
    static double flops_##k(const nnsb_shape *s) { return (double)FLOPS_##k * (double)s->d[0]; } \
    const nnsb_spec nnsb_spec_##k = {"N",       ACT_SHAPES, setup_##dir, call_##k,       \
                                     act_teardown, flops_##k, bytes_##dir, elements};

ACT_SPEC(relu_fwd, fwd)
ACT_SPEC(relu_bwd, bwd)
ACT_SPEC(gelu_fwd, fwd)
ACT_SPEC(gelu_bwd, bwd)
ACT_SPEC(gelu_tanh_fwd, fwd)
ACT_SPEC(gelu_tanh_bwd, bwd)
