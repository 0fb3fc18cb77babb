/* Benchmark specs of the attention core, forward and backward.
 *
 * Shapes (dims "BTHD": batch, sequence length, heads, head size):
 *   B32_T256_H4_D32  the IMDb transformer's attention (C = 128), lengths
 *                    drawn uniformly from [T/4, T] with a fixed seed, as
 *                    padded reviews are (this shape alone is ragged);
 *   B1/B2/B4_T512_H4_D64  long sequences (C = 256), full lengths;
 *   B1_T1024_H4_D64       longer still: the FMA-peak target's shape.
 * q, k and v are packed in one (B,T,3C) buffer (ld = 3C), as the model's
 * qkv projection writes them; inputs uniform in [-1, 1] from fixed seeds.
 * Not causal (an encoder).
 *
 * flops per call are nominal, over the valid (query, key) pairs
 * P = H sum_s len_s^2 (every valid query row sees every valid key):
 *   forward   4 P D: the two products q k^T and p v (2 flops per
 *             multiply-add); the softmax's O(P) exp and sums not counted;
 *   backward  8 P D: the four products dv = p^T dout, dp = dout v^T,
 *             dq = ds k, dk = ds^T q. An implementation that recomputes
 *             s = q k^T from lse (as the reference does, 10 P D in all)
 *             is credited the same 8 P D as one that kept p, so every
 *             implementation is compared on the same work.
 * bytes per call: every array read or written once, in full:
 *   forward   q, k, v read, out written (4 B T C floats) and lse written
 *             (B H T);
 *   backward  q, k, v, out, dout read (5 B T C), lse read (B H T), dq,
 *             dk, dv read and written (6 B T C). */
#include "bench.h"

#include <stdlib.h>
#include <string.h>

#define ATT_SHAPES                                                                         \
    5, {{{32, 256, 4, 32}}, {{1, 512, 4, 64}}, {{2, 512, 4, 64}}, {{4, 512, 4, 64}},         \
        {{1, 1024, 4, 64}}}

typedef struct att_ctx {
    size_t b, t, h, d, c;
    float *qkv, *out, *lse, *dout, *dqkv, *ws;
    int32_t *lengths;
} att_ctx;

/* The IMDb shape is the ragged one. */
static int is_ragged(const nnsb_shape *s)
{
    return s->d[0] == 32 && s->d[1] == 256;
}

/* Lengths uniform in [T/4, T] from a fixed seed (full T if not ragged). */
static void fill_lengths(int32_t *len, const nnsb_shape *s)
{
    const size_t b = s->d[0], t = s->d[1], lo = t / 4;
    float u[64];
    nnsb_fill_uniform(u, b, 0.0f, 1.0f, 42);
    for (size_t i = 0; i < b; i++) {
        size_t l = lo + (size_t)(u[i] * (float)(t - lo + 1));
        len[i] = (int32_t)(is_ragged(s) ? (l > t ? t : l) : t);
    }
}

/* Valid (query, key) pairs: H sum_s len_s^2. */
static double pairs(const nnsb_shape *s)
{
    int32_t len[64];
    fill_lengths(len, s);
    double p = 0;
    for (size_t i = 0; i < s->d[0]; i++) p += (double)len[i] * (double)len[i];
    return p * (double)s->d[2];
}

static void att_teardown(void *p)
{
    att_ctx *c = p;
    if (!c) return;
    free(c->qkv), free(c->out), free(c->lse), free(c->dout), free(c->dqkv), free(c->ws);
    free(c->lengths);
    free(c);
}

/* The largest workspace any ISA's variant asks for. */
static size_t max_workspace(int bwd, size_t t, size_t d)
{
    size_t m = 0;
    for (int i = 0; i < NNS_ISA_COUNT; i++) {
        const nns_kernel_table *tab = nns_kernels_for((nns_isa)i);
        if (!tab) continue;
        nns_attention_ws_fn *f =
            bwd ? tab->attention_bwd_workspace_size : tab->attention_fwd_workspace_size;
        if (f && f(t, d) > m) m = f(t, d);
    }
    return m;
}

static void *att_setup(const nnsb_shape *s, int bwd)
{
    att_ctx *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->b = s->d[0], c->t = s->d[1], c->h = s->d[2], c->d = s->d[3], c->c = c->h * c->d;
    const size_t bt = c->b * c->t;
    const size_t wsb = max_workspace(bwd, c->t, c->d);
    c->qkv = nnsb_alloc_floats(bt * 3 * c->c);
    c->out = nnsb_alloc_floats(bt * c->c);
    c->lse = nnsb_alloc_floats(bt * c->h);
    c->ws = nnsb_alloc_floats(wsb / sizeof(float) + 1);
    c->lengths = malloc(c->b * sizeof *c->lengths);
    if (bwd) {
        c->dout = nnsb_alloc_floats(bt * c->c);
        c->dqkv = nnsb_alloc_floats(bt * 3 * c->c);
    }
    if (!c->qkv || !c->out || !c->lse || !c->ws || !c->lengths || (bwd && (!c->dout || !c->dqkv))) {
        att_teardown(c);
        return NULL;
    }
    fill_lengths(c->lengths, s);
    nnsb_fill_uniform(c->qkv, bt * 3 * c->c, -1.0f, 1.0f, 1);
    memset(c->ws, 0, (wsb / sizeof(float) + 1) * sizeof(float));
    /* out and lse for the backward come from the reference forward. */
    nns_kernels_for(NNS_ISA_SCALAR)->attention_fwd(c->out, c->lse, c->qkv, c->qkv + c->c,
                                                   c->qkv + 2 * c->c, 3 * c->c, c->lengths, c->b,
                                                   c->t, c->h, c->d, 0, c->ws);
    if (bwd) {
        nnsb_fill_uniform(c->dout, bt * c->c, -1.0f, 1.0f, 2);
        memset(c->dqkv, 0, bt * 3 * c->c * sizeof(float));
    }
    return c;
}

static void *setup_fwd(const nnsb_shape *s) { return att_setup(s, 0); }
static void *setup_bwd(const nnsb_shape *s) { return att_setup(s, 1); }

static void call_attention_fwd(void *p, const nns_kernel_table *t)
{
    att_ctx *c = p;
    t->attention_fwd(c->out, c->lse, c->qkv, c->qkv + c->c, c->qkv + 2 * c->c, 3 * c->c,
                     c->lengths, c->b, c->t, c->h, c->d, 0, c->ws);
}

static void call_attention_bwd(void *p, const nns_kernel_table *t)
{
    att_ctx *c = p;
    t->attention_bwd(c->dqkv, c->dqkv + c->c, c->dqkv + 2 * c->c, c->dout, c->qkv,
                     c->qkv + c->c, c->qkv + 2 * c->c, c->out, c->lse, 3 * c->c, c->lengths, c->b,
                     c->t, c->h, c->d, 0, c->ws);
}

static double flops_fwd(const nnsb_shape *s) { return 4.0 * pairs(s) * (double)s->d[3]; }
static double flops_bwd(const nnsb_shape *s) { return 8.0 * pairs(s) * (double)s->d[3]; }

static double btc(const nnsb_shape *s) { return (double)s->d[0] * s->d[1] * s->d[2] * s->d[3]; }
static double bht(const nnsb_shape *s) { return (double)s->d[0] * s->d[1] * s->d[2]; }
static double bytes_fwd(const nnsb_shape *s) { return 4.0 * (4 * btc(s) + bht(s)); }
static double bytes_bwd(const nnsb_shape *s) { return 4.0 * (11 * btc(s) + bht(s)); }

const nnsb_spec nnsb_spec_attention_fwd = {"BTHD",       ATT_SHAPES,   setup_fwd, call_attention_fwd,
                                           att_teardown, flops_fwd,    bytes_fwd, NULL};
const nnsb_spec nnsb_spec_attention_bwd = {"BTHD",       ATT_SHAPES,   setup_bwd, call_attention_bwd,
                                           att_teardown, flops_bwd,    bytes_bwd, NULL};
