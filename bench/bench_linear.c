/* Benchmark specs of the linear layer, forward and backward, named
 * N<n>_C<c>_O<oc> (in (n,c), weight (oc,c), out (n,oc); bench.h's
 * names take one letter per dimension, so O stands for OC):
 *
 *   MLP (MNIST, batch 128)       N128_C784_O512, N128_C512_O512, N128_C512_O10
 *   transformer (8192 tokens)    N8192_C128_O384 (qkv), N8192_C128_O128 (proj),
 *                                N8192_C128_O512 (MLP up), N8192_C512_O128 (MLP down)
 *   square                       N256_C256_O256, N512_C512_O512
 *
 * Square 1024 and 2048 are left out while only the scalar reference
 * exists: at ~1 GFLOP/s a 2048^3 backward takes over a minute per
 * iteration. bench.h allows NNSB_MAX_SHAPES shapes per spec; with fewer
 * than the nine above (6 today), the first six of the list run, in the
 * order: the MLP's, the transformer's qkv and MLP-down, then square 256.
 *
 * The activation is NONE (the GEMM itself; an epilogue adds O(n*oc) to
 * O(n*c*oc) work), but for linear_act_{fwd,bwd}[_unfused], the fused
 * epilogues against the same work unfused (below). Inputs are uniform
 * in [-1, 1] from fixed seeds (pre-activations in [-4, 4]).
 *
 * flops (nominal, multiply and add = 2): forward 2 n c oc; backward
 * 4 n c oc (din and dweight, 2 n c oc each; dbias's n*oc adds are
 * ignored). bytes (each array once): forward in, weight, bias read and
 * out written: 4 (n c + oc c + oc + n oc); backward dout, in, weight read,
 * din, dweight, dbias read and written: 4 (n oc + 3 n c + 3 oc c + 2 oc).
 * A workspace, if any ISA's variant asks for one, is allocated once per
 * shape at the largest size over the ISAs and not counted. */
#include "bench.h"

#include <stdlib.h>
#include <string.h>

/* The ISAs whose tables a benchmark may run (setup does not know which). */
static const nns_isa all_isas[] = {NNS_ISA_SCALAR, NNS_ISA_AVX2, NNS_ISA_AVX512, NNS_ISA_NEON};

#define MLP_SHAPES {{128, 784, 512}}, {{128, 512, 512}}, {{128, 512, 10}}
#define LIN_SHAPES                                                                           \
    11, {MLP_SHAPES, {{8192, 128, 384}}, {{8192, 128, 128}}, {{8192, 128, 512}},              \
         {{8192, 512, 128}}, {{256, 256, 256}}, {{512, 512, 512}}, {{1024, 1024, 1024}},       \
         {{2048, 2048, 2048}}}

typedef struct lin_ctx {
    float *in, *w, *b, *out, *dout, *din, *dw, *db;
    float *pre, *dpre; /* the epilogue benchmarks' pre-activation and its gradient */
    void *ws;
    size_t n, c, oc;
    nns_act act;
} lin_ctx;

static void lin_teardown(void *p)
{
    lin_ctx *x = p;
    if (!x) return;
    free(x->in), free(x->w), free(x->b), free(x->out);
    free(x->dout), free(x->din), free(x->dw), free(x->db);
    free(x->pre), free(x->dpre), free(x->ws);
    free(x);
}

/* The largest workspace any ISA's variant of this direction asks for. */
static size_t max_workspace(int bwd, size_t n, size_t c, size_t oc, nns_act act)
{
    size_t most = 0;
    for (size_t i = 0; i < sizeof all_isas / sizeof all_isas[0]; i++) {
        const nns_kernel_table *t = nns_kernels_for(all_isas[i]);
        nns_linear_ws_fn *f = !t ? NULL : bwd ? t->linear_bwd_workspace_size : t->linear_fwd_workspace_size;
        size_t s = f ? f(n, c, oc, act) : 0;
        if (s > most) most = s;
    }
    return most;
}

static float *floats(size_t n, float lo, float hi, uint64_t seed)
{
    float *p = nnsb_alloc_floats(n ? n : 1);
    if (p) nnsb_fill_uniform(p, n ? n : 1, lo, hi, seed);
    return p;
}

static void *lin_setup(const nnsb_shape *s, int bwd)
{
    lin_ctx *x = calloc(1, sizeof *x);
    if (!x) return NULL;
    x->n = s->d[0], x->c = s->d[1], x->oc = s->d[2], x->act = (nns_act)s->d[3];
    size_t nc = x->n * x->c, oc = x->oc * x->c, no = x->n * x->oc;
    x->in = floats(nc, -1, 1, 1);
    x->w = floats(oc, -1, 1, 2);
    x->b = floats(x->oc, -1, 1, 3);
    int ok = x->in && x->w && x->b;
    if (bwd) {
        x->dout = floats(no, -1, 1, 4);
        x->din = floats(nc, -1, 1, 5);
        x->dw = floats(oc, -1, 1, 6);
        x->db = floats(x->oc, -1, 1, 7);
        ok = ok && x->dout && x->din && x->dw && x->db;
    } else {
        x->out = floats(no, -1, 1, 8);
        ok = ok && x->out;
    }
    if (x->act != NNS_ACT_NONE) {
        x->pre = floats(no, -4, 4, 9);
        x->dpre = bwd ? floats(no, -1, 1, 10) : NULL;
        ok = ok && x->pre && (x->dpre || !bwd);
    }
    size_t ws = max_workspace(bwd, x->n, x->c, x->oc, x->act);
    if (ws) {
        x->ws = nnsb_alloc_floats((ws + sizeof(float) - 1) / sizeof(float));
        if (x->ws) memset(x->ws, 0, ws);
        ok = ok && x->ws;
    }
    if (!ok) {
        lin_teardown(x);
        return NULL;
    }
    return x;
}

static void *setup_fwd(const nnsb_shape *s) { return lin_setup(s, 0); }
static void *setup_bwd(const nnsb_shape *s) { return lin_setup(s, 1); }

static void call_fwd(void *p, const nns_kernel_table *t)
{
    lin_ctx *x = p;
    t->linear_fwd(x->out, NULL, x->in, x->w, x->b, x->n, x->c, x->oc, NNS_ACT_NONE, x->ws);
}

static void call_bwd(void *p, const nns_kernel_table *t)
{
    lin_ctx *x = p;
    t->linear_bwd(x->din, x->dw, x->db, x->dout, NULL, x->in, x->w, x->n, x->c, x->oc,
                  NNS_ACT_NONE, x->ws);
}

/* The backward's two products apart (nnsimd-vs-openblas --parts). */
static void call_bwd_din(void *p, const nns_kernel_table *t)
{
    lin_ctx *x = p;
    t->linear_bwd(x->din, NULL, NULL, x->dout, NULL, x->in, x->w, x->n, x->c, x->oc, NNS_ACT_NONE, x->ws);
}

static void call_bwd_dweight(void *p, const nns_kernel_table *t)
{
    lin_ctx *x = p;
    t->linear_bwd(NULL, x->dw, NULL, x->dout, NULL, x->in, x->w, x->n, x->c, x->oc, NNS_ACT_NONE, x->ws);
}

/* The fused epilogues against the same work unfused, on the models'
 * activated layers (A: the nns_act, 1 ReLU, 2 GELU). Fused: one
 * linear_fwd applying the activation to the tile before it is stored
 * (the pre-activation saved), one linear_bwd folding act'(pre) into
 * the gradient it forms. Unfused: linear_fwd into pre, then the
 * activation's kernel into out; the activation's backward into dpre
 * (zeroed first: backward kernels add), then linear_bwd without one.
 * Both give the same numbers. */
static nns_unary_fwd_fn *act_fwd(const nns_kernel_table *t, nns_act act)
{
    return act == NNS_ACT_RELU ? t->relu_fwd : act == NNS_ACT_GELU ? t->gelu_fwd : t->gelu_tanh_fwd;
}

static nns_unary_bwd_fn *act_bwd(const nns_kernel_table *t, nns_act act)
{
    return act == NNS_ACT_RELU ? t->relu_bwd : act == NNS_ACT_GELU ? t->gelu_bwd : t->gelu_tanh_bwd;
}

static void call_act_fwd(void *p, const nns_kernel_table *t)
{
    lin_ctx *x = p;
    t->linear_fwd(x->out, x->pre, x->in, x->w, x->b, x->n, x->c, x->oc, x->act, x->ws);
}

static void call_act_fwd_unfused(void *p, const nns_kernel_table *t)
{
    lin_ctx *x = p;
    t->linear_fwd(x->pre, NULL, x->in, x->w, x->b, x->n, x->c, x->oc, NNS_ACT_NONE, x->ws);
    act_fwd(t, x->act)(x->out, x->pre, x->n * x->oc);
}

static void call_act_bwd(void *p, const nns_kernel_table *t)
{
    lin_ctx *x = p;
    t->linear_bwd(x->din, x->dw, x->db, x->dout, x->pre, x->in, x->w, x->n, x->c, x->oc, x->act,
                  x->ws);
}

static void call_act_bwd_unfused(void *p, const nns_kernel_table *t)
{
    lin_ctx *x = p;
    size_t no = x->n * x->oc;
    memset(x->dpre, 0, no * sizeof *x->dpre);
    act_bwd(t, x->act)(x->dpre, x->dout, x->pre, no);
    t->linear_bwd(x->din, x->dw, x->db, x->dpre, NULL, x->in, x->w, x->n, x->c, x->oc,
                  NNS_ACT_NONE, x->ws);
}

static double mnk(const nnsb_shape *s) { return (double)s->d[0] * (double)s->d[1] * (double)s->d[2]; }
static double flops_fwd(const nnsb_shape *s) { return 2 * mnk(s); }
static double flops_bwd(const nnsb_shape *s) { return 4 * mnk(s); }

static double bytes_fwd(const nnsb_shape *s)
{
    double n = (double)s->d[0], c = (double)s->d[1], oc = (double)s->d[2];
    return 4 * (n * c + oc * c + oc + n * oc);
}

static double bytes_bwd(const nnsb_shape *s)
{
    double n = (double)s->d[0], c = (double)s->d[1], oc = (double)s->d[2];
    return 4 * (n * oc + 3 * n * c + 3 * oc * c + 2 * oc);
}

/* One letter per dimension (bench.h): the names come out as
 * N128_C784_O512, O standing for oc. */
const nnsb_spec nnsb_spec_linear_fwd = {"NCO", LIN_SHAPES, setup_fwd, call_fwd, lin_teardown,
                                        flops_fwd, bytes_fwd, NULL};
const nnsb_spec nnsb_spec_linear_bwd = {"NCO", LIN_SHAPES, setup_bwd, call_bwd, lin_teardown,
                                        flops_bwd, bytes_bwd, NULL};
/* Their bytes are the whole backward's (only their flops are reported). */
const nnsb_spec nnsb_spec_linear_bwd_din = {"NCO", LIN_SHAPES, setup_bwd, call_bwd_din,
                                            lin_teardown, flops_fwd, bytes_bwd, NULL};
const nnsb_spec nnsb_spec_linear_bwd_dweight = {"NCO", LIN_SHAPES, setup_bwd, call_bwd_dweight,
                                                lin_teardown, flops_fwd, bytes_bwd, NULL};

/* The MLP's two ReLU layers and the transformer's GELU MLP-up layer. */
#define ACT_SHAPES 3, {{{128, 784, 512, NNS_ACT_RELU}}, {{128, 512, 512, NNS_ACT_RELU}}, \
                       {{8192, 128, 512, NNS_ACT_GELU}}}
const nnsb_spec nnsb_spec_linear_act_fwd = {"NCOA", ACT_SHAPES, setup_fwd, call_act_fwd,
                                            lin_teardown, flops_fwd, bytes_fwd, NULL};
const nnsb_spec nnsb_spec_linear_act_fwd_unfused = {"NCOA", ACT_SHAPES, setup_fwd,
                                                    call_act_fwd_unfused, lin_teardown, flops_fwd,
                                                    bytes_fwd, NULL};
const nnsb_spec nnsb_spec_linear_act_bwd = {"NCOA", ACT_SHAPES, setup_bwd, call_act_bwd,
                                            lin_teardown, flops_bwd, bytes_bwd, NULL};
const nnsb_spec nnsb_spec_linear_act_bwd_unfused = {"NCOA", ACT_SHAPES, setup_bwd,
                                                    call_act_bwd_unfused, lin_teardown, flops_bwd,
                                                    bytes_bwd, NULL};
