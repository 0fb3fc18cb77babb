/* Benchmark specs of the embedding family, at the IMDb transformer's
 * shapes: the token embedding (N = 32*256 = 8192 tokens, C = 128, a
 * vocabulary of V = 20000: a 10 MB table, out of L2) and the positional
 * one (N = 256 positions, C = 128, V = 256: in cache). Token ids are
 * uniform in [0, V) from a fixed seed; the positional shape (N == V) looks
 * up ids 0..N-1 in order, as the model does.
 *
 * Counting rule: add = 1 flop; loads, stores and index arithmetic 0.
 *   embedding_fwd  flops 0 (a copy);
 *                  bytes 8NC + 4N: each looked-up row read once, the
 *                  output written once, the ids read.
 *   embedding_bwd  flops NC (one add per element of dout);
 *                  bytes 12NC + 4N: dout read, each named row of dweight
 *                  read and written once per id (nominal: a repeated id
 *                  hits the cache), the ids read. */
#include "bench.h"

#include <stdlib.h>

#define EMB_SHAPES 2, {{{8192, 128, 20000}}, {{256, 128, 256}}}

typedef struct emb_ctx {
    float *table, *rows; /* fwd: weight, out; bwd: dweight, dout */
    int32_t *ids;
    size_t n, c, v;
} emb_ctx;

static void emb_teardown(void *p)
{
    emb_ctx *e = p;
    if (!e) return;
    free(e->table);
    free(e->rows);
    free(e->ids);
    free(e);
}

static void *emb_setup(const nnsb_shape *s)
{
    emb_ctx *e = calloc(1, sizeof *e);
    if (!e) return NULL;
    e->n = s->d[0], e->c = s->d[1], e->v = s->d[2];
    e->table = nnsb_alloc_floats(e->v * e->c);
    e->rows = nnsb_alloc_floats(e->n * e->c);
    e->ids = malloc(e->n * sizeof *e->ids);
    float *u = nnsb_alloc_floats(e->n);
    if (!e->table || !e->rows || !e->ids || !u) {
        free(u);
        emb_teardown(e);
        return NULL;
    }
    nnsb_fill_uniform(e->table, e->v * e->c, -1.0f, 1.0f, 11);
    nnsb_fill_uniform(e->rows, e->n * e->c, -1.0f, 1.0f, 12);
    nnsb_fill_uniform(u, e->n, 0.0f, (float)e->v, 13);
    for (size_t i = 0; i < e->n; i++) {
        int32_t id = e->n == e->v ? (int32_t)i : (int32_t)u[i];
        e->ids[i] = id < (int32_t)e->v ? id : (int32_t)e->v - 1;
    }
    free(u);
    return e;
}

static void call_fwd(void *p, const nns_kernel_table *t)
{
    emb_ctx *e = p;
    t->embedding_fwd(e->rows, e->ids, e->table, e->n, e->c);
}

static void call_bwd(void *p, const nns_kernel_table *t)
{
    emb_ctx *e = p;
    t->embedding_bwd(e->table, e->rows, e->ids, e->n, e->c);
}

static double nc(const nnsb_shape *s) { return (double)s->d[0] * (double)s->d[1]; }
static double flops_fwd(const nnsb_shape *s) { (void)s; return 0.0; }
static double flops_bwd(const nnsb_shape *s) { return nc(s); }
static double bytes_fwd(const nnsb_shape *s) { return 8.0 * nc(s) + 4.0 * (double)s->d[0]; }
static double bytes_bwd(const nnsb_shape *s) { return 12.0 * nc(s) + 4.0 * (double)s->d[0]; }

const nnsb_spec nnsb_spec_embedding_fwd = {"NCV", EMB_SHAPES, emb_setup, call_fwd, emb_teardown,
                                           flops_fwd, bytes_fwd, nc};
const nnsb_spec nnsb_spec_embedding_bwd = {"NCV", EMB_SHAPES, emb_setup, call_bwd, emb_teardown,
                                           flops_bwd, bytes_bwd, nc};
