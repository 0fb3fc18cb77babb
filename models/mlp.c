/* The MLP's forward and backward over the public kernels, parallel at the
 * model level: the forward of a wide layer splits its output features
 * across threads (a narrow one the batch's rows), din splits rows, dweight
 * and dbias split the output features (a thread works on a dense copy of
 * its columns, models/columns.h), and so does the optimizer's update. The
 * forward's and dweight's feature splits give each thread its own share,
 * in chunks that an idle thread may take over (models/share.h); the
 * update's, bound by memory, exactly its share. No reduction dimension is
 * ever split, so the result is bit-identical for any thread count. Each
 * thread zeroes the gradients it then accumulates into, while they are its
 * own, and after a layer's backward flushes its copies of the weights that
 * the others update (models/evict.h). A call runs in one parallel region,
 * its phases kept apart by a spinning barrier (models/spin_barrier.h). */
#include "mlp.h"

#include "columns.h"
#include "evict.h"
#include "floats.h"
#include "phase_clock.h"
#include "share.h"
#include "spin_barrier.h"

#include <math.h>
#include <omp.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int nns_mlp_parse_hidden(nns_mlp_config *cfg, const char *hidden, size_t inputs, size_t classes,
                         char *err, size_t err_len)
{
    size_t n = 0;
    cfg->dims[n++] = inputs;
    for (const char *p = hidden; *p;) {
        char *end;
        long v = strtol(p, &end, 10);
        if (end == p || v <= 0 || v > 65536 || (*end && *end != ',')) {
            snprintf(err, err_len, "--hidden %s: expected positive sizes separated by commas", hidden);
            return -1;
        }
        if (n == NNS_MLP_MAX_LAYERS) {
            snprintf(err, err_len, "--hidden %s: at most %d hidden layers", hidden, NNS_MLP_MAX_LAYERS - 1);
            return -1;
        }
        cfg->dims[n++] = (size_t)v;
        p = *end ? end + 1 : end;
    }
    cfg->dims[n] = classes;
    cfg->nlayers = n;
    return 0;
}

static nns_act layer_act(const nns_mlp *m, size_t l)
{
    return l + 1 < m->cfg.nlayers ? m->cfg.act : NNS_ACT_NONE;
}

/* Whether layer l keeps its pre-activation for the backward. ReLU's
 * derivative is read from its output instead: relu(x) > 0 exactly where
 * x > 0, and is NaN exactly where x is, which is where relu_bwd passes
 * dout. So a ReLU layer's product goes straight into its output, the
 * activation applied in place, and on several threads one copy of each
 * chunk's columns is saved. */
static int keeps_pre(const nns_mlp *m, size_t l)
{
    nns_act act = layer_act(m, l);
    return act != NNS_ACT_NONE && act != NNS_ACT_RELU;
}


int nns_mlp_create(nns_mlp *m, const nns_mlp_config *cfg, size_t batch, int threads, char *err,
                   size_t err_len)
{
    memset(m, 0, sizeof *m);
    m->cfg = *cfg;
    m->batch = batch;
    m->threads = threads < 1 ? 1 : threads;
    m->spins = nns_spin_budget(m->threads);
    size_t L = cfg->nlayers, widest = 0;
    for (size_t l = 0; l < L; l++) {
        m->w_off[l] = m->nparams;
        m->nparams += cfg->dims[l + 1] * cfg->dims[l];
        m->b_off[l] = m->nparams;
        m->nparams += cfg->dims[l + 1];
    }
    m->params = nns_floats(m->nparams), m->grads = nns_floats(m->nparams);
    m->m = nns_floats(m->nparams), m->v = nns_floats(m->nparams);
    int ok = m->params && m->grads && m->m && m->v;
    for (size_t l = 0; l <= L; l++) {
        m->x[l] = l ? nns_floats(batch * cfg->dims[l]) : NULL; /* layer 0 reads m->input */
        m->dx[l] = nns_floats(batch * cfg->dims[l]);
        ok = ok && (!l || m->x[l]) && m->dx[l];
        if (l < L) {
            m->pre[l] = keeps_pre(m, l) ? nns_floats(batch * cfg->dims[l + 1]) : NULL;
            ok = ok && (m->pre[l] || !keeps_pre(m, l));
            size_t f = nns_linear_fwd_workspace_size(batch, cfg->dims[l], cfg->dims[l + 1], cfg->act);
            size_t b = nns_linear_bwd_workspace_size(batch, cfg->dims[l], cfg->dims[l + 1], cfg->act);
            if (f > m->ws_bytes) m->ws_bytes = f;
            if (b > m->ws_bytes) m->ws_bytes = b;
            if (cfg->dims[l + 1] > widest) widest = cfg->dims[l + 1];
        }
    }
    m->g = nns_floats(batch * widest);
    m->ws = calloc((size_t)m->threads, sizeof *m->ws);
    m->gcols = calloc((size_t)m->threads, sizeof *m->gcols);
    size_t counters = (size_t)m->threads * 3 * NNS_MLP_MAX_LAYERS * sizeof *m->counters;
    m->counters = aligned_alloc(_Alignof(nns_share_counter), counters);
    ok = ok && m->g && m->ws && m->gcols && m->counters;
    for (int t = 0; ok && t < m->threads; t++) {
        m->ws[t] = malloc(m->ws_bytes ? m->ws_bytes : 1);
        m->gcols[t] = nns_floats(2 * batch * widest);
        ok = m->ws[t] && m->gcols[t];
    }
    if (!ok) {
        nns_mlp_free(m);
        snprintf(err, err_len, "out of memory for a %zu-parameter MLP at batch %zu", m->nparams, batch);
        return -1;
    }
    return 0;
}

void nns_mlp_free(nns_mlp *m)
{
    free(m->params), free(m->grads), free(m->m), free(m->v);
    for (size_t l = 0; l <= m->cfg.nlayers && l <= NNS_MLP_MAX_LAYERS; l++) {
        free(m->x[l]), free(m->dx[l]);
        if (l < NNS_MLP_MAX_LAYERS) free(m->pre[l]);
    }
    for (int t = 0; m->ws && t < m->threads; t++) free(m->ws[t]);
    for (int t = 0; m->gcols && t < m->threads; t++) free(m->gcols[t]);
    free(m->g), free(m->ws), free(m->gcols), free(m->counters);
    memset(m, 0, sizeof *m);
}

void nns_mlp_init(nns_mlp *m, nns_rng *rng)
{
    for (size_t l = 0; l < m->cfg.nlayers; l++) {
        size_t in = m->cfg.dims[l], out = m->cfg.dims[l + 1];
        float bound = 1.0f / sqrtf((float)in);
        for (size_t i = 0; i < out * in; i++) m->params[m->w_off[l] + i] = nns_rng_uniform(rng, -bound, bound);
        for (size_t i = 0; i < out; i++) m->params[m->b_off[l] + i] = nns_rng_uniform(rng, -bound, bound);
    }
}

void nns_mlp_tensor_name(const nns_mlp *m, size_t i, char *out, size_t len)
{
    (void)m;
    snprintf(out, len, "%zu.%s", 2 * (i / 2), i % 2 ? "bias" : "weight");
}

/* Layer l's input: the caller's rows for the first layer (read in place:
 * a copy cost a pass over the batch, and on two threads left it in one
 * core's cache), else the previous layer's output. */
static const float *layer_input(const nns_mlp *m, size_t l)
{
    return l ? m->x[l] : m->input;
}

/* What layer l's activation derivative is read from: its pre-activation,
 * or for ReLU its output. */
static const float *act_input(const nns_mlp *m, size_t l)
{
    return keeps_pre(m, l) ? m->pre[l] : m->x[l + 1];
}

/* Output features a chunk of the forward, dweight or update holds on
 * more than one thread (models/share.h); at least MLP_MIN_FEATURES. One
 * thread takes a layer whole: a chunk's columns are copied to and from
 * dense scratch, and each call packs its own panels. */
#define MLP_CHUNK 64

/* Fewest output features a thread owns when the forward splits features. */
#define MLP_MIN_FEATURES 64

/* The split of n output features between the model's threads. A layer
 * narrower than that (the 10-class head) is one chunk, which the first
 * thread to ask takes whole: split, each thread's dweight read all of the
 * layer's input for a few features (the head's din and dweight on two
 * threads, three alternations: 37-41 us split, 33-34 whole). */
static nns_shares feature_shares(nns_mlp *m, nns_share_counter *counters, size_t n)
{
    if (m->threads == 1 || n < MLP_MIN_FEATURES * (size_t)m->threads)
        return nns_shares_start(counters, n, n, 1);
    return nns_shares_start(counters, n, MLP_CHUNK, m->threads);
}

/* --detect-anomaly: an output of layer l's kernel, whole, after the
 * parallel region. Nonzero once a fault is recorded. */
static int faulty(nns_mlp *m, const char *kernel, size_t l, const char *what, const float *p,
                  size_t n)
{
    char where[32];
    snprintf(where, sizeof where, "layer %zu", l);
    return nns_anomaly_scan(&m->anomaly, kernel, where, what, p, n);
}

/* Layer l's forward outputs in order: the pre-activation (where kept),
 * the output. */
static int forward_fault(nns_mlp *m, size_t l, size_t n)
{
    size_t oc = m->cfg.dims[l + 1];
    return (keeps_pre(m, l) && faulty(m, "linear_fwd", l, "pre", m->pre[l], n * oc)) ||
           faulty(m, "linear_fwd", l, "out", m->x[l + 1], n * oc);
}

/* Layer l's backward outputs in order: din (none for the first layer),
 * dweight, dbias. */
static int backward_fault(nns_mlp *m, size_t l, size_t n)
{
    size_t c = m->cfg.dims[l], oc = m->cfg.dims[l + 1];
    nns_act act = layer_act(m, l);
    return (act && faulty(m, act == NNS_ACT_RELU ? "relu_bwd" : "gelu_bwd", l, "dpre", m->g, n * oc)) ||
           (l > 0 && faulty(m, "linear_bwd", l, "din", m->dx[l], n * c)) ||
           faulty(m, "linear_bwd", l, "dweight", m->grads + m->w_off[l], oc * c) ||
           faulty(m, "linear_bwd", l, "dbias", m->grads + m->b_off[l], oc);
}

/* Layer l's forward for the features [lo, hi) of all n rows: into the
 * thread's scratch (dense n x cnt), then copied into the columns of the
 * output and pre-activation. The weights' rows [lo, hi) are contiguous. */
static nns_status layer_forward_features(nns_mlp *m, size_t l, size_t n, size_t lo, size_t hi, int t)
{
    size_t c = m->cfg.dims[l], oc = m->cfg.dims[l + 1], cnt = hi - lo;
    nns_act act = layer_act(m, l);
    int pre = keeps_pre(m, l);
    float *ocols = m->gcols[t], *pcols = ocols + n * cnt;
    nns_status s = nns_linear_fwd(ocols, pre ? pcols : NULL, layer_input(m, l),
                                  m->params + m->w_off[l] + lo * c,
                                  m->params + m->b_off[l] + lo, n, c, cnt, act, m->ws[t]);
    if (s != NNS_OK) return s;
    nns_columns_scatter(m->x[l + 1], ocols, n, oc, lo, cnt);
    if (pre) nns_columns_scatter(m->pre[l], pcols, n, oc, lo, cnt);
    return NNS_OK;
}

/* Layer l's forward for the rows [lo, hi). */
static nns_status layer_forward_rows(nns_mlp *m, size_t l, size_t lo, size_t hi, int t)
{
    size_t c = m->cfg.dims[l], oc = m->cfg.dims[l + 1];
    nns_act act = layer_act(m, l);
    return nns_linear_fwd(m->x[l + 1] + lo * oc, keeps_pre(m, l) ? m->pre[l] + lo * oc : NULL,
                          layer_input(m, l) + lo * c, m->params + m->w_off[l],
                          m->params + m->b_off[l], hi - lo, c, oc, act, m->ws[t]);
}

/* One call's work on the model's threads: a single parallel region whose
 * phases (a layer's forward, the loss, a layer's backward) a spinning
 * barrier keeps apart (models/spin_barrier.h). */
typedef struct mlp_pass {
    nns_mlp *m;
    size_t n;
    /* each layer's output features, for the forward, dweight and the update */
    nns_shares fwd[NNS_MLP_MAX_LAYERS], bwd[NNS_MLP_MAX_LAYERS], upd[NNS_MLP_MAX_LAYERS];
    nns_spin_barrier bar;
    atomic_int status; /* the first kernel failure, else NNS_OK */
    int stop;          /* --detect-anomaly found a fault (thread 0 sets it before a barrier) */
} mlp_pass;

/* A thread's place in the pass. */
typedef struct mlp_thread {
    mlp_pass *p;
    int t, nt;
    unsigned seen;         /* the barrier's openings it has passed */
    nns_phase_clock *clock; /* a training step's, with --profile; else NULL */
} mlp_thread;

static void mlp_pass_start(mlp_pass *p, nns_mlp *m, size_t n)
{
    p->m = m, p->n = n, p->stop = 0;
    atomic_init(&p->status, NNS_OK);
    nns_spin_barrier_init(&p->bar, m->spins);
    size_t nt = (size_t)m->threads;
    for (size_t l = 0; l < m->cfg.nlayers; l++) {
        p->fwd[l] = feature_shares(m, m->counters + l * nt, m->cfg.dims[l + 1]);
        p->bwd[l] = feature_shares(m, m->counters + (NNS_MLP_MAX_LAYERS + l) * nt, m->cfg.dims[l + 1]);
        p->upd[l] = feature_shares(m, m->counters + (2 * NNS_MLP_MAX_LAYERS + l) * nt, m->cfg.dims[l + 1]);
    }
}

static void note(mlp_pass *p, nns_status s)
{
    int ok = NNS_OK;
    if (s != NNS_OK) atomic_compare_exchange_strong(&p->status, &ok, (int)s);
}

/* Waits for the other threads at the end of the phase `name` (of layer
 * l, or NNS_PHASE_NO_LAYER), timing it with --profile. */
static void barrier(mlp_thread *th, const char *name, size_t l)
{
    unsigned k = th->seen;
    if (th->clock) nns_phase_clock_arrive(th->clock, th->t, k, name, l);
    nns_spin_barrier_wait(&th->p->bar, (unsigned)th->nt, &th->seen);
    if (th->clock) nns_phase_clock_leave(th->clock, th->t, k);
}

/* After a phase's barrier, with --detect-anomaly: thread 0's scan of its
 * outputs (found), then whether it found a fault, the same on every
 * thread. */
static int stopped(mlp_thread *th, int found, const char *name, size_t l)
{
    if (th->t == 0 && found) th->p->stop = 1;
    barrier(th, name, l);
    return th->p->stop;
}

/* The forward of every layer; 1 if --detect-anomaly stopped it. */
static int forward_layers(mlp_thread *th)
{
    mlp_pass *p = th->p;
    nns_mlp *m = p->m;
    size_t n = p->n, lo, hi;
    for (size_t l = 0; l < m->cfg.nlayers; l++) {
        /* Wide layers split their output features between the threads, so
         * each packs only its slice of the transposed weights (the part of
         * the work that splitting rows would repeat on every thread);
         * narrow ones split rows. Each output element is the same sum
         * either way (the GEMM's order does not depend on the tile's place),
         * so the bits do not depend on the thread count. */
        if (th->nt > 1 && m->cfg.dims[l + 1] >= MLP_MIN_FEATURES * (size_t)th->nt) {
            while (nns_shares_take(&p->fwd[l], th->t, &lo, &hi))
                note(p, layer_forward_features(m, l, n, lo, hi, th->t));
        } else {
            nns_share(n, th->t, th->nt, &lo, &hi);
            if (hi > lo) note(p, layer_forward_rows(m, l, lo, hi, th->t));
        }
        barrier(th, "forward", l);
        if (m->anomaly.enabled && stopped(th, th->t == 0 && forward_fault(m, l, n), "check", l))
            return 1;
    }
    return 0;
}

/* The call's status once the region has ended. */
static nns_status pass_status(mlp_pass *p)
{
    nns_status s = (nns_status)atomic_load(&p->status);
    return s == NNS_OK && p->stop ? NNS_ANOMALY_STATUS : s;
}

/* What a pass's threads are given besides the model. */
typedef struct pass_args {
    const int32_t *labels;
    float *loss;
    nns_mlp_fill_fn *fill; /* writes the rows of input */
    float *input;
    void *fill_ctx;
    nns_mlp_update_fn *update;
    void *update_ctx;
} pass_args;

typedef void pass_body(mlp_thread *th, const pass_args *a);

/* body on the model's threads, in one parallel region, for a call on n
 * rows of input. */
static nns_status run_pass(nns_mlp *m, const float *input, size_t n, pass_body *body,
                           const pass_args *a)
{
    if (n > m->batch) return NNS_ERR_ARG;
    nns_anomaly_reset(&m->anomaly);
    m->input = input;
    mlp_pass p;
    mlp_pass_start(&p, m, n);
#pragma omp parallel num_threads(m->threads)
    {
        mlp_thread th = {&p, omp_get_thread_num(), omp_get_num_threads(), 0, NULL};
        body(&th, a);
    }
    return pass_status(&p);
}

static void forward_body(mlp_thread *th, const pass_args *a)
{
    (void)a;
    forward_layers(th);
}

nns_status nns_mlp_forward(nns_mlp *m, const float *input, size_t n)
{
    return run_pass(m, input, n, forward_body, &(pass_args){0});
}

/* dweight and dbias of layer l for the features [lo, hi), zeroed first
 * (the kernel adds), from g (n x oc, the gradient of the layer's
 * product): those columns of g as a dense matrix, copied unless they are
 * all of them. */
static nns_status layer_param_grads(nns_mlp *m, size_t l, const float *g, size_t n, size_t lo,
                                    size_t hi, int t)
{
    size_t c = m->cfg.dims[l], oc = m->cfg.dims[l + 1], cnt = hi - lo;
    const float *gc = nns_columns_dense(m->gcols[t], g, n, oc, lo, cnt);
    memset(m->grads + m->w_off[l] + lo * c, 0, cnt * c * sizeof(float));
    memset(m->grads + m->b_off[l] + lo, 0, cnt * sizeof(float));
    return nns_linear_bwd(NULL, m->grads + m->w_off[l] + lo * c, m->grads + m->b_off[l] + lo, gc,
                          NULL, layer_input(m, l), m->params + m->w_off[l] + lo * c, n, c, cnt,
                          NNS_ACT_NONE, m->ws[t]);
}

/* g = dout * act'(pre) over n floats, by the activation's own backward
 * (which adds: g is zeroed first), from `from` (act_input). */
static nns_status act_grad(nns_act act, float *g, const float *dout, const float *from, size_t n)
{
    memset(g, 0, n * sizeof *g);
    return act == NNS_ACT_RELU ? nns_relu_bwd(g, dout, from, n) : nns_gelu_bwd(g, dout, from, n);
}

/* Layer l's backward. */
static void backward_layer(mlp_thread *th, size_t l)
{
    mlp_pass *p = th->p;
    nns_mlp *m = p->m;
    size_t n = p->n, c = m->cfg.dims[l], oc = m->cfg.dims[l + 1], lo, hi;
    nns_act act = layer_act(m, l);
    /* The gradient of the layer's product, g = dout * act'(pre), is formed
     * once, by rows, and read by both products (linear_bwd forming it
     * would do so once for din and again for dweight, and dweight's share
     * would copy the columns of both dout and pre). */
    const float *g = act ? m->g : m->dx[l + 1];
    nns_share(n, th->t, th->nt, &lo, &hi);
    if (act && hi > lo)
        note(p, act_grad(act, m->g + lo * oc, m->dx[l + 1] + lo * oc, act_input(m, l) + lo * oc,
                         (hi - lo) * oc));
    if (act) barrier(th, "act grad", l); /* dweight reads every row of g */
    /* din over rows, zeroed first (the first layer needs none), after the
     * barrier: a thread that is slow here hands its dweight chunks to the
     * other, rather than keep it waiting */
    if (l > 0) {
        memset(m->dx[l] + lo * c, 0, (hi - lo) * c * sizeof(float));
        if (hi > lo)
            note(p, nns_linear_bwd(m->dx[l] + lo * c, NULL, NULL, g + lo * oc, NULL,
                                   m->x[l] + lo * c, m->params + m->w_off[l], hi - lo, c, oc,
                                   NNS_ACT_NONE, m->ws[th->t]));
    }
    while (nns_shares_take(&p->bwd[l], th->t, &lo, &hi))
        note(p, layer_param_grads(m, l, g, n, lo, hi, th->t));
    barrier(th, "backward", l); /* the next layer's g reuses m->g */
}

/* The loss and its gradient, on thread 0 (10 classes: too little to split). */
static int loss_phase(mlp_thread *th, const int32_t *labels, float *loss)
{
    mlp_pass *p = th->p;
    nns_mlp *m = p->m;
    size_t L = m->cfg.nlayers, classes = m->cfg.dims[L], n = p->n;
    int found = 0;
    if (th->t == 0) {
        memset(m->dx[L], 0, n * classes * sizeof(float));
        note(p, nns_cross_entropy_fwd_bwd(loss, m->dx[L], m->x[L], labels, n, classes, -1));
        nns_anomaly *a = &m->anomaly;
        found = a->enabled &&
                (nns_anomaly_check(a, "cross_entropy_fwd_bwd", NULL, "loss", loss, 1) ||
                 nns_anomaly_check(a, "cross_entropy_fwd_bwd", NULL, "dlogits", m->dx[L], n * classes));
    }
    return stopped(th, found, "loss", NNS_PHASE_NO_LAYER);
}

/* Once every thread has done layer l's backward, whose din read all of
 * the layer's weights: this thread's copies of the rows that other
 * threads update are flushed (models/evict.h), so their update need not
 * take each line back from this core. On two threads on the Zen 5 VM
 * (amd-oxide-f1a-m02), six alternating runs each way: the update phase
 * 241 -> 133 us a step, the step 1.52 -> 1.39 ms, the flush itself about
 * 25 us (results/amd-oxide-f1a-m02/ab-d507bbb). */
static void evict_rows_updated_elsewhere(mlp_thread *th, size_t l)
{
    nns_mlp *m = th->p->m;
    const nns_shares *u = &th->p->upd[l];
    if (l == 0 || u->nt == 1) return;
    size_t c = m->cfg.dims[l], lo, hi;
    const float *w = m->params + m->w_off[l];
    nns_share(u->n, th->t, th->nt, &lo, &hi);
    nns_evict(w, lo * c * sizeof *w);
    nns_evict(w + hi * c, (u->n - hi) * c * sizeof *w);
}

/* The forward, the loss and the backward: 1 if --detect-anomaly stopped
 * them. */
static int forward_backward(mlp_thread *th, const int32_t *labels, float *loss)
{
    nns_mlp *m = th->p->m;
    if (forward_layers(th) || loss_phase(th, labels, loss)) return 1;
    for (size_t l = m->cfg.nlayers; l-- > 0;) {
        backward_layer(th, l);
        if (m->anomaly.enabled &&
            stopped(th, th->t == 0 && backward_fault(m, l, th->p->n), "check", l))
            return 1;
        evict_rows_updated_elsewhere(th, l);
    }
    return 0;
}

/* fn over the parameters of features [lo, hi) of layer l. */
static void update_features(mlp_thread *th, nns_mlp_update_fn *fn, void *ctx, size_t l, size_t lo,
                            size_t hi)
{
    nns_mlp *m = th->p->m;
    size_t c = m->cfg.dims[l];
    note(th->p, fn(ctx, m->w_off[l] + lo * c, m->w_off[l] + hi * c));
    note(th->p, fn(ctx, m->b_off[l] + lo, m->b_off[l] + hi));
}

/* fn over this thread's stretches of the parameters (nns_mlp_update). A
 * layer split by features gives each thread exactly its own share, never
 * another's: the update is bound by memory, and a chunk taken over from
 * another thread brings its weights, gradients and moments from that
 * core's cache (and sends them back the next step). On the Zen 5 VM
 * (amd-oxide-f1a-m02), nnsimd-mlp-threads' speed-up from 1 to 2 threads
 * went from 1.67 to 1.75 (medians of six alternating runs each way,
 * results/amd-oxide-f1a-m02/ab-8ad84d9). A layer too narrow to split goes
 * whole to the first thread to ask. */
static void update_params(mlp_thread *th, nns_mlp_update_fn *fn, void *ctx)
{
    mlp_pass *p = th->p;
    nns_mlp *m = p->m;
    size_t lo, hi;
    /* Last layer first: the next forward starts from layer 0's weights,
     * then the most recently written (six alternating rounds on two
     * threads: 1.68 -> 1.64 ms a step, five of them faster). */
    for (size_t l = m->cfg.nlayers; l-- > 0;) {
        if (p->upd[l].nt == 1) {
            while (nns_shares_take(&p->upd[l], th->t, &lo, &hi))
                update_features(th, fn, ctx, l, lo, hi);
            continue;
        }
        nns_share(p->upd[l].n, th->t, th->nt, &lo, &hi);
        if (hi > lo) update_features(th, fn, ctx, l, lo, hi);
    }
}

static void forward_backward_body(mlp_thread *th, const pass_args *a)
{
    forward_backward(th, a->labels, a->loss);
}

nns_status nns_mlp_forward_backward(nns_mlp *m, const float *input, const int32_t *labels,
                                    size_t n, float *loss)
{
    return run_pass(m, input, n, forward_backward_body, &(pass_args){.labels = labels, .loss = loss});
}

static void update_body(mlp_thread *th, const pass_args *a)
{
    update_params(th, a->update, a->update_ctx);
}

nns_status nns_mlp_update(nns_mlp *m, nns_mlp_update_fn *fn, void *ctx)
{
    return run_pass(m, m->input, 0, update_body, &(pass_args){.update = fn, .update_ctx = ctx});
}

static void train_step_body(mlp_thread *th, const pass_args *a)
{
    size_t lo, hi;
    th->clock = th->p->m->clock;
    if (th->clock) nns_phase_clock_begin(th->clock, th->t);
    nns_share(th->p->n, th->t, th->nt, &lo, &hi);
    if (hi > lo) a->fill(a->fill_ctx, a->input, lo, hi);
    barrier(th, "fill", NNS_PHASE_NO_LAYER); /* the forward reads every row */
    if (!forward_backward(th, a->labels, a->loss)) update_params(th, a->update, a->update_ctx);
    if (th->clock) barrier(th, "update", NNS_PHASE_NO_LAYER); /* to time the update's wait too */
}

nns_status nns_mlp_train_step(nns_mlp *m, float *input, nns_mlp_fill_fn *fill, void *fill_ctx,
                              const int32_t *labels, size_t n, float *loss,
                              nns_mlp_update_fn *update, void *update_ctx)
{
    pass_args a = {labels, loss, fill, input, fill_ctx, update, update_ctx};
    nns_status s = run_pass(m, input, n, train_step_body, &a);
    if (m->clock) nns_phase_clock_end_step(m->clock);
    return s;
}
