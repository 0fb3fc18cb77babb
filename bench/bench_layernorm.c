/* Benchmark specs of layer normalization, forward and backward, named
 * N<rows>_C<c>: N8192_C128 (the transformer's 8192 tokens of width 128:
 * 4 MiB per array, in L2/L3) and N16384_C1024 (64 MiB per array, out of
 * cache). Inputs uniform in [-2, 2], weight in [-2, 2], bias and dout in
 * [-1, 1], eps 1e-5, from fixed seeds; the backward's mean and rstd come
 * from one forward call in setup.
 *
 * flops per element, nominal counts of the reference's loops (add, sub,
 * mul = 1; the per-row divisions and sqrt are ignored):
 *   forward   sum 1; (x - m)^2 summed 3; (x - m) * r * w + b 4      = 8
 *   backward  pass 1: xhat 2, g w 1, sums 1 + 2 = 6; pass 2: xhat 2,
 *             g w 1, r (g w - a - xhat b) 4, din += 1, dweight += 2,
 *             dbias += 1 = 11                                       = 17
 * bytes (each array once; the rows are re-read from L1):
 *   forward   in read, out written (n c each), weight and bias read (c),
 *             mean and rstd written (n): 4 (2 n c + 2 c + 2 n)
 *   backward  dout, in read, din read and written (4 n c), weight read,
 *             dweight and dbias read and written (5 c), mean and rstd
 *             read (2 n): 4 (4 n c + 5 c + 2 n) */
#include "bench.h"

#include <stdlib.h>

#define LN_SHAPES 2, {{{8192, 128}}, {{16384, 1024}}}
#define LN_EPS 1e-5f

typedef struct ln_ctx {
    float *in, *w, *b, *out, *mean, *rstd, *dout, *din, *dw, *db;
    size_t n, c;
} ln_ctx;

static void ln_teardown(void *p)
{
    ln_ctx *x = p;
    if (!x) return;
    free(x->in), free(x->w), free(x->b), free(x->out), free(x->mean), free(x->rstd);
    free(x->dout), free(x->din), free(x->dw), free(x->db);
    free(x);
}

static float *floats(size_t n, float lo, float hi, uint64_t seed)
{
    float *p = nnsb_alloc_floats(n);
    if (p) nnsb_fill_uniform(p, n, lo, hi, seed);
    return p;
}

static void *ln_setup(const nnsb_shape *s, int bwd)
{
    ln_ctx *x = calloc(1, sizeof *x);
    if (!x) return NULL;
    x->n = s->d[0], x->c = s->d[1];
    size_t nc = x->n * x->c;
    x->in = floats(nc, -2, 2, 1);
    x->w = floats(x->c, -2, 2, 2);
    x->b = floats(x->c, -1, 1, 3);
    x->out = floats(nc, -1, 1, 4);
    x->mean = floats(x->n, 0, 1, 5);
    x->rstd = floats(x->n, 0, 1, 6);
    int ok = x->in && x->w && x->b && x->out && x->mean && x->rstd;
    if (bwd) {
        x->dout = floats(nc, -1, 1, 7);
        x->din = floats(nc, -1, 1, 8);
        x->dw = floats(x->c, -1, 1, 9);
        x->db = floats(x->c, -1, 1, 10);
        ok = ok && x->dout && x->din && x->dw && x->db;
        /* mean and rstd as a forward saves them (the reference: every ISA's
         * forward gives them within the tolerance, which is all that matters
         * for timing) */
        if (ok)
            nns_kernels_for(NNS_ISA_SCALAR)->layernorm_fwd(x->out, x->mean, x->rstd, x->in, x->w,
                                                           x->b, x->n, x->c, LN_EPS);
    }
    if (!ok) {
        ln_teardown(x);
        return NULL;
    }
    return x;
}

static void *setup_fwd(const nnsb_shape *s) { return ln_setup(s, 0); }
static void *setup_bwd(const nnsb_shape *s) { return ln_setup(s, 1); }

static void call_fwd(void *p, const nns_kernel_table *t)
{
    ln_ctx *x = p;
    t->layernorm_fwd(x->out, x->mean, x->rstd, x->in, x->w, x->b, x->n, x->c, LN_EPS);
}

static void call_bwd(void *p, const nns_kernel_table *t)
{
    ln_ctx *x = p;
    t->layernorm_bwd(x->din, x->dw, x->db, x->dout, x->in, x->w, x->mean, x->rstd, x->n, x->c);
}

static double elements(const nnsb_shape *s) { return (double)s->d[0] * (double)s->d[1]; }
static double flops_fwd(const nnsb_shape *s) { return 8 * elements(s); }
static double flops_bwd(const nnsb_shape *s) { return 17 * elements(s); }

static double bytes_fwd(const nnsb_shape *s)
{
    double n = (double)s->d[0], c = (double)s->d[1];
    return 4 * (2 * n * c + 2 * c + 2 * n);
}

static double bytes_bwd(const nnsb_shape *s)
{
    double n = (double)s->d[0], c = (double)s->d[1];
    return 4 * (4 * n * c + 5 * c + 2 * n);
}

const nnsb_spec nnsb_spec_layernorm_fwd = {"NC", LN_SHAPES, setup_fwd, call_fwd, ln_teardown,
                                           flops_fwd, bytes_fwd, elements};
const nnsb_spec nnsb_spec_layernorm_bwd = {"NC", LN_SHAPES, setup_bwd, call_bwd, ln_teardown,
                                           flops_bwd, bytes_bwd, elements};
