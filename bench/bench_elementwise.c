/* Benchmark specs of the elementwise helpers.
 *
 * add, scale, sum_squares, dropout at N16384 (in cache: 64 KiB per array) and
 * N16777216 (out of cache: 64 MiB per array); inputs uniform in [-1, 1]
 * from fixed seeds. mean_pool forward and backward at the IMDb
 * transformer's pooling shape B32_T256_C128, with ragged lengths drawn
 * uniformly in [1, T] from a fixed seed (the same for every run).
 *
 * Counting rule: add, mul, div = 1 flop each, FMA = 2.
 *   add          flops N;   bytes 12N (a, b read, out written)
 *   scale        flops N;   bytes 8N (in read, out written; out of place)
 *   sum_squares  flops 2N;  bytes 4N (x read)
 *   dropout      flops N (the product; the mask's hash is integer work:
 *                two MurmurHash3 finalizers, 4 multiplies, 6 shifts and
 *                7 xors a lane); bytes 8N; p = 0.1, out of place
 *   mean_pool_fwd  flops sum_s L_s C (adds) + B C (divisions);
 *                  bytes 4 sum_s L_s C (the unpadded rows read) + 4BC
 *                  (out written) + 4B (lengths)
 *   mean_pool_bwd  flops sum_s L_s C (adds) + B C (one division per
 *                  (s, j), as a variant hoists it out of the i loop);
 *                  bytes 8 sum_s L_s C (din read and written on the
 *                  unpadded rows) + 4BC (dout read) + 4B (lengths) */
#include "bench.h"

#include <stdlib.h>

#define N_SHAPES 2, {{{16384}}, {{16777216}}}
#define POOL_SHAPES 1, {{{32, 256, 128}}}

/* ---- add, scale, sum_squares, dropout ---- */

typedef struct ew_ctx {
    float *out, *a, *b;
    size_t n;
} ew_ctx;

static void ew_teardown(void *p)
{
    ew_ctx *e = p;
    if (!e) return;
    free(e->out);
    free(e->a);
    free(e->b);
    free(e);
}

static void *ew_setup(const nnsb_shape *s)
{
    ew_ctx *e = calloc(1, sizeof *e);
    if (!e) return NULL;
    e->n = s->d[0];
    e->out = nnsb_alloc_floats(e->n);
    e->a = nnsb_alloc_floats(e->n);
    e->b = nnsb_alloc_floats(e->n);
    if (!e->out || !e->a || !e->b) {
        ew_teardown(e);
        return NULL;
    }
    nnsb_fill_uniform(e->out, e->n, -1.0f, 1.0f, 21);
    nnsb_fill_uniform(e->a, e->n, -1.0f, 1.0f, 22);
    nnsb_fill_uniform(e->b, e->n, -1.0f, 1.0f, 23);
    return e;
}

static void call_add(void *p, const nns_kernel_table *t)
{
    ew_ctx *e = p;
    t->add(e->out, e->a, e->b, e->n);
}

static void call_scale(void *p, const nns_kernel_table *t)
{
    ew_ctx *e = p;
    t->scale(e->out, e->a, 0.7f, e->n);
}

static void call_sum_squares(void *p, const nns_kernel_table *t)
{
    ew_ctx *e = p;
    t->sum_squares(e->out, e->a, e->n);
}

static void call_dropout(void *p, const nns_kernel_table *t)
{
    ew_ctx *e = p;
    t->dropout(e->out, e->a, e->n, 0.1f, 0x5eed, 0);
}

static double n_of(const nnsb_shape *s) { return (double)s->d[0]; }
static double twice_n(const nnsb_shape *s) { return 2.0 * n_of(s); }
static double bytes_add(const nnsb_shape *s) { return 12.0 * n_of(s); }
static double bytes_scale(const nnsb_shape *s) { return 8.0 * n_of(s); }
static double bytes_sum_squares(const nnsb_shape *s) { return 4.0 * n_of(s); }

const nnsb_spec nnsb_spec_add = {"N", N_SHAPES, ew_setup, call_add, ew_teardown,
                                 n_of, bytes_add, n_of};
const nnsb_spec nnsb_spec_scale = {"N", N_SHAPES, ew_setup, call_scale, ew_teardown,
                                   n_of, bytes_scale, n_of};
const nnsb_spec nnsb_spec_sum_squares = {"N", N_SHAPES, ew_setup, call_sum_squares, ew_teardown,
                                         twice_n, bytes_sum_squares, n_of};
const nnsb_spec nnsb_spec_dropout = {"N", N_SHAPES, ew_setup, call_dropout, ew_teardown,
                                     n_of, bytes_scale, n_of};

/* ---- mean pooling ---- */

/* The ragged lengths of a (B, T, C) shape: uniform in [1, T], seed 31. */
static int pool_lengths(int32_t *len, size_t b, size_t t)
{
    float *u = nnsb_alloc_floats(b);
    if (!u) return -1;
    nnsb_fill_uniform(u, b, 1.0f, (float)t + 1.0f, 31);
    for (size_t s = 0; s < b; s++) {
        int32_t l = (int32_t)u[s];
        len[s] = l > (int32_t)t ? (int32_t)t : l < 1 ? 1 : l;
    }
    free(u);
    return 0;
}

/* sum_s L_s, 0 if out of memory. */
static double pool_rows(const nnsb_shape *s)
{
    int32_t *len = malloc(s->d[0] * sizeof *len);
    double rows = 0;
    if (len && pool_lengths(len, s->d[0], s->d[1]) == 0)
        for (size_t i = 0; i < s->d[0]; i++) rows += len[i];
    free(len);
    return rows;
}

typedef struct pool_ctx {
    float *big, *small; /* (B,T,C) in or din; (B,C) out or dout */
    int32_t *lengths;
    size_t b, t, c;
} pool_ctx;

static void pool_teardown(void *p)
{
    pool_ctx *e = p;
    if (!e) return;
    free(e->big);
    free(e->small);
    free(e->lengths);
    free(e);
}

static void *pool_setup(const nnsb_shape *s)
{
    pool_ctx *e = calloc(1, sizeof *e);
    if (!e) return NULL;
    e->b = s->d[0], e->t = s->d[1], e->c = s->d[2];
    e->big = nnsb_alloc_floats(e->b * e->t * e->c);
    e->small = nnsb_alloc_floats(e->b * e->c);
    e->lengths = malloc(e->b * sizeof *e->lengths);
    if (!e->big || !e->small || !e->lengths || pool_lengths(e->lengths, e->b, e->t) != 0) {
        pool_teardown(e);
        return NULL;
    }
    nnsb_fill_uniform(e->big, e->b * e->t * e->c, -1.0f, 1.0f, 32);
    nnsb_fill_uniform(e->small, e->b * e->c, -1.0f, 1.0f, 33);
    return e;
}

static void call_pool_fwd(void *p, const nns_kernel_table *t)
{
    pool_ctx *e = p;
    t->mean_pool_fwd(e->small, e->big, e->lengths, e->b, e->t, e->c);
}

static void call_pool_bwd(void *p, const nns_kernel_table *t)
{
    pool_ctx *e = p;
    t->mean_pool_bwd(e->big, e->small, e->lengths, e->b, e->t, e->c);
}

static double bc(const nnsb_shape *s) { return (double)s->d[0] * (double)s->d[2]; }
static double pool_flops(const nnsb_shape *s) { return pool_rows(s) * (double)s->d[2] + bc(s); }
static double pool_bytes_fwd(const nnsb_shape *s)
{
    return 4.0 * pool_rows(s) * (double)s->d[2] + 4.0 * bc(s) + 4.0 * (double)s->d[0];
}
static double pool_bytes_bwd(const nnsb_shape *s)
{
    return 8.0 * pool_rows(s) * (double)s->d[2] + 4.0 * bc(s) + 4.0 * (double)s->d[0];
}
/* Elements: those of the unpadded (b, t, c) rows. */
static double pool_items(const nnsb_shape *s) { return pool_rows(s) * (double)s->d[2]; }

const nnsb_spec nnsb_spec_mean_pool_fwd = {"BTC", POOL_SHAPES, pool_setup, call_pool_fwd,
                                           pool_teardown, pool_flops, pool_bytes_fwd, pool_items};
const nnsb_spec nnsb_spec_mean_pool_bwd = {"BTC", POOL_SHAPES, pool_setup, call_pool_bwd,
                                           pool_teardown, pool_flops, pool_bytes_bwd, pool_items};
