/* The MNIST training loop: data, seeded shuffling, AdamW/Adam/SGD over the
 * flat parameter buffer, evaluation after every epoch, JSON-lines log,
 * atomic checkpoints that resume bit for bit. */
#include "train_mlp.h"

#include "checkpoint.h"
#include "data_root.h"
#include "floats.h"
#include "mlp.h"
#include "mnist.h"
#include "mnist_set.h"
#include "phase_clock.h"
#include "rng.h"
#include "train_log.h"
#include "train_loop.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HOLDOUT 5000

/* The run's pieces the shared loop calls back. */
typedef struct mlp_run {
    nns_mlp *m;
    const nns_mlp_train_opts *o;
    const nns_mnist_set *tr, *ev;
    float mean, std;
    uint64_t schedule_steps; /* the cosine's length: every epoch's steps */
    float *bx;
    int32_t *by;
} mlp_run;

static const float *eval_logits(void *ctx, size_t at, size_t n)
{
    mlp_run *r = ctx;
    nns_mnist_set_expand_all(r->ev, r->bx, at, n, r->m->threads);
    if (nns_mlp_forward(r->m, r->bx, n) != NNS_OK) return NULL;
    return r->m->x[r->m->cfg.nlayers];
}

/* Mean loss and accuracy over the evaluation set, in batches. */
static int evaluate(void *ctx, double *loss, double *acc)
{
    mlp_run *r = ctx;
    return nns_evaluate(r, eval_logits, r->ev->y, r->ev->count, r->m->batch,
                        r->m->cfg.dims[r->m->cfg.nlayers], loss, acc);
}

static const char *opt_name(nns_optimizer o)
{
    return o == NNS_OPT_SGD ? "sgd" : o == NNS_OPT_ADAM ? "adam" : "adamw";
}

static void config_string(const nns_mlp *m, char *out, size_t len)
{
    size_t at = 0;
    for (size_t l = 0; l <= m->cfg.nlayers && at < len; l++)
        at += (size_t)snprintf(out + at, len - at, "%s%zu", l ? "-" : "", m->cfg.dims[l]);
    if (at < len) snprintf(out + at, len - at, " %s", m->cfg.act == NNS_ACT_GELU ? "gelu" : "relu");
}

/* The model's tensors (weight, bias per layer) in the checkpoint's terms. */
static void param_tensors(const nns_mlp *m, nns_param_tensor *t)
{
    for (size_t i = 0; i < 2 * m->cfg.nlayers; i++) {
        size_t l = i / 2, out = m->cfg.dims[l + 1], in = m->cfg.dims[l];
        nns_mlp_tensor_name(m, i, t[i].name, sizeof t[i].name);
        t[i].offset = i % 2 ? m->b_off[l] : m->w_off[l];
        t[i].rank = i % 2 ? 1 : 2;
        t[i].dims[0] = out;
        t[i].dims[1] = i % 2 ? 0 : in;
    }
}

/* The tensor groups: parameters, then the optimizer's state. */
static size_t groups(const nns_mlp_train_opts *o, const char **prefix)
{
    prefix[0] = "";
    prefix[1] = o->optimizer == NNS_OPT_SGD ? "optimizer.momentum_buffer." : "optimizer.exp_avg.";
    prefix[2] = "optimizer.exp_avg_sq.";
    return o->optimizer == NNS_OPT_SGD ? 2 : 3;
}

static int save_checkpoint(const char *path, const nns_mlp *m, const nns_mlp_train_opts *o,
                           const nns_run_state *s, float mean, float std, char *err, size_t err_len)
{
    nns_param_tensor t[2 * NNS_MLP_MAX_LAYERS];
    const char *prefix[3];
    const float *buf[3] = {m->params, m->m, m->v};
    size_t ng = groups(o, prefix);
    param_tensors(m, t);
    char config[128], smean[32], sstd[32], lr[32], wd[32];
    nns_run_meta rm;
    config_string(m, config, sizeof config);
    nns_run_state_format(s, o->seed, &rm);
    snprintf(smean, sizeof smean, "%.9g", (double)mean);
    snprintf(sstd, sizeof sstd, "%.9g", (double)std);
    snprintf(lr, sizeof lr, "%.9g", (double)o->lr);
    snprintf(wd, sizeof wd, "%.9g", (double)o->weight_decay);
    const char *meta[] = {"model", "mlp", "config", config, "step", rm.step, "epoch", rm.epoch,
                          "position", rm.position, "seed", rm.seed, "rng", rm.rng,
                          "normalize_mean", smean, "normalize_std", sstd,
                          "optimizer", opt_name(o->optimizer), "lr", lr, "weight_decay", wd};
    return nns_ckpt_save_groups(path, t, 2 * m->cfg.nlayers, prefix, buf, ng, meta,
                                sizeof meta / sizeof meta[0] / 2, err, err_len);
}

static int save_cb(void *ctx, const char *path, const nns_run_state *s, char *err, size_t err_len)
{
    mlp_run *r = ctx;
    return save_checkpoint(path, r->m, r->o, s, r->mean, r->std, err, err_len);
}

/* Restores tensors and state; the model shape and optimizer must match. */
static int load_checkpoint(const char *path, nns_mlp *m, const nns_mlp_train_opts *o,
                           nns_run_state *s, char *err, size_t err_len)
{
    st_file *f = nns_ckpt_open(path, err, err_len);
    if (!f) return -1;
    char config[128];
    config_string(m, config, sizeof config);
    const char *model = st_meta(f, "model"), *cfg = st_meta(f, "config"), *opt = st_meta(f, "optimizer");
    int rc = -1;
    if (!model || strcmp(model, "mlp") != 0 || !cfg || strcmp(cfg, config) != 0) {
        snprintf(err, err_len, "%s: a checkpoint of %s %s, not of this model (mlp %s)", path,
                 model ? model : "?", cfg ? cfg : "?", config);
    } else if (!opt || strcmp(opt, opt_name(o->optimizer)) != 0) {
        snprintf(err, err_len, "%s: written with optimizer %s, not %s", path, opt ? opt : "?",
                 opt_name(o->optimizer));
    } else if (nns_run_state_load(f, path, s, err, err_len) == 0) {
        nns_param_tensor t[2 * NNS_MLP_MAX_LAYERS];
        const char *prefix[3];
        float *buf[3] = {m->params, m->m, m->v};
        size_t ng = groups(o, prefix);
        param_tensors(m, t);
        rc = nns_ckpt_load_groups(f, path, t, 2 * m->cfg.nlayers, prefix, buf, ng, err, err_len);
    }
    st_close(f);
    return rc;
}

/* The learning rate of step `step` (1-based) of `total`. */
static float step_lr(const nns_mlp_train_opts *o, uint64_t step, uint64_t total)
{
    if (!o->cosine || total == 0) return o->lr;
    return (float)(0.5 * o->lr * (1.0 + cos(M_PI * (double)(step - 1) / (double)total)));
}

/* One optimizer step's settings, for the update of each stretch. */
typedef struct optimizer_call {
    nns_mlp *m;
    const nns_mlp_train_opts *o;
    float lr;
    uint64_t step;
} optimizer_call;

/* The optimizer over the parameters [lo, hi) of the flat buffers. */
static nns_status optimizer_range(void *ctx, size_t lo, size_t hi)
{
    const optimizer_call *k = ctx;
    nns_mlp *m = k->m;
    const nns_mlp_train_opts *o = k->o;
    if (o->optimizer == NNS_OPT_SGD) {
        nns_sgd_config c = {k->lr, o->momentum, 0, o->weight_decay, 0};
        return nns_sgd_step(m->params + lo, m->m + lo, m->grads + lo, hi - lo, &c, k->step);
    }
    nns_adam_config c = {k->lr, 0.9f, 0.999f, 1e-8f, o->weight_decay, o->optimizer == NNS_OPT_ADAMW};
    return nns_adam_step(m->params + lo, m->m + lo, m->v + lo, m->grads + lo, hi - lo, &c, k->step);
}

/* --detect-anomaly: the optimizer's outputs, under the checkpoint's names. */
static nns_status optimizer_check(nns_mlp *m, const nns_mlp_train_opts *o)
{
    nns_anomaly *a = &m->anomaly;
    int sgd = o->optimizer == NNS_OPT_SGD;
    const char *k = sgd ? "sgd_step" : "adam_step";
    if (nns_anomaly_check(a, k, NULL, "params", m->params, m->nparams) ||
        nns_anomaly_check(a, k, NULL, sgd ? "momentum_buffer" : "exp_avg", m->m, m->nparams) ||
        (!sgd && nns_anomaly_check(a, k, NULL, "exp_avg_sq", m->v, m->nparams)))
        return NNS_ANOMALY_STATUS;
    return NNS_OK;
}

/* One step on the examples idx[0..n) of the training set. */
static nns_status train_step(void *ctx, const uint32_t *idx, size_t n, uint64_t step, float *loss,
                             float *lr)
{
    mlp_run *r = ctx;
    const nns_mnist_set *tr = r->tr;
    for (size_t i = 0; i < n; i++) r->by[i] = tr->y[idx[i]];
    *lr = step_lr(r->o, step, r->schedule_steps);
    /* Each thread updates the parameters whose gradients its backward
     * wrote (nns_mlp_update's split), so none crosses to another core's
     * cache. On the Zen 5 VM (amd-oxide-f1a-m02), whose two cores pass a
     * cache line in about 215 ns, an even split of the flat buffers
     * handed some 2 MB a step across; this and the batch read in place
     * (models/mlp.c) took two threads from 1.71 to 1.51 ms a step
     * (medians of five alternating rounds). No element depends on
     * another, so the bits do not depend on the split. */
    nns_mnist_batch fill = {tr, idx};
    optimizer_call call = {r->m, r->o, *lr, step};
    nns_status st = nns_mlp_train_step(r->m, r->bx, nns_mnist_batch_fill, &fill, r->by, n, loss,
                                       optimizer_range, &call);
    if (st == NNS_OK) st = optimizer_check(r->m, r->o);
    return st;
}

int nns_train_mlp(const nns_mlp_train_opts *o)
{
    char err[512], dir[4096];
    nns_mnist train = {0}, test = {0};
    nns_mnist_set tr = {0}, ev = {0};
    nns_mlp m = {0};
    nns_phase_clock clock = {0};
    nns_train_log log = {0};
    int rc = 1;
    if (nns_data_dir(o->data, "mnist", nns_mnist_looks_like, dir, sizeof dir, err, sizeof err) != 0 ||
        nns_mnist_load(dir, "train", &train, err, sizeof err) != 0 ||
        (!o->holdout && nns_mnist_load(dir, "t10k", &test, err, sizeof err) != 0)) {
        fprintf(stderr, "nnsimd train mlp: %s\n", err);
        goto out;
    }
    size_t ntrain = o->holdout ? train.count - HOLDOUT : train.count;
    float mean, std;
    nns_mnist_pixel_stats(&train, ntrain, &mean, &std);
    if (nns_mnist_set_make(&tr, &train, 0, ntrain, mean, std) != 0 ||
        nns_mnist_set_make(&ev, o->holdout ? &train : &test, o->holdout ? ntrain : 0,
                 o->holdout ? HOLDOUT : test.count, mean, std) != 0) {
        fprintf(stderr, "nnsimd train mlp: out of memory for the data\n");
        goto out;
    }
    nns_mlp_config cfg = {.act = o->act};
    if (nns_mlp_parse_hidden(&cfg, o->hidden, tr.dim, 10, err, sizeof err) != 0 ||
        nns_mlp_create(&m, &cfg, o->batch, o->threads, err, sizeof err) != 0) {
        fprintf(stderr, "nnsimd train mlp: %s\n", err);
        goto out;
    }
    m.anomaly.enabled = o->detect_anomaly;
    if (o->profile) {
        if (nns_phase_clock_init(&clock, o->threads) != 0) {
            fprintf(stderr, "nnsimd train mlp: out of memory for --profile\n");
            goto out;
        }
        m.clock = &clock;
    }
    nns_run_state s = {.step = 0, .epoch = 1, .position = 0};
    nns_rng rng;
    nns_rng_seed(&rng, o->seed);
    nns_mlp_init(&m, &rng);
    s.epoch_rng = rng;
    if (o->resume && load_checkpoint(o->resume, &m, o, &s, err, sizeof err) != 0) {
        fprintf(stderr, "nnsimd train mlp: %s\n", err);
        goto out;
    }
    if (o->init_only) {
        if (!o->save) {
            fprintf(stderr, "nnsimd train mlp: --init-only needs --save FILE\n");
        } else if (save_checkpoint(o->save, &m, o, &s, mean, std, err, sizeof err) != 0) {
            fprintf(stderr, "nnsimd train mlp: %s\n", err);
        } else {
            rc = 0;
        }
        goto out;
    }
    uint64_t per_epoch = (ntrain + o->batch - 1) / o->batch, total = per_epoch * (uint64_t)o->epochs;
    if (o->max_steps && o->max_steps < total) total = o->max_steps;
    if (nns_log_open(&log, o->log, o->resume != NULL, total, err, sizeof err) != 0) {
        fprintf(stderr, "nnsimd train mlp: %s\n", err);
        goto out;
    }
    char config[128];
    config_string(&m, config, sizeof config);
    nns_isa isa;
    nns_isa_active(&isa, NULL);
    fprintf(stderr, "mlp %s, %zu parameters, %s, batch %zu, %d epochs (%" PRIu64 " steps), %d thread%s, "
            "isa %s, evaluating on %s\n", config, m.nparams, opt_name(o->optimizer), o->batch,
            o->epochs, total, o->threads, o->threads == 1 ? "" : "s", nns_isa_name(isa),
            o->holdout ? "the last 5,000 training images" : "the test set");
    mlp_run run = {&m, o, &tr, &ev, mean, std, per_epoch * (uint64_t)o->epochs,
                   nns_floats(o->batch * tr.dim), malloc(o->batch * sizeof(int32_t))};
    if (!run.bx || !run.by) {
        free(run.bx), free(run.by);
        fprintf(stderr, "nnsimd train mlp: out of memory\n");
        goto out;
    }
    nns_loop loop = {.who = "nnsimd train mlp", .ntrain = ntrain, .batch = o->batch,
                     .epochs = o->epochs, .max_steps = o->max_steps, .save_every = o->save_every,
                     .save = o->save, .holdout = o->holdout, .ctx = &run, .step = train_step,
                     .evaluate = evaluate, .eval_count = ev.count, .save_fn = save_cb,
                     .anomaly = &m.anomaly};
    rc = nns_train_loop(&loop, &s, &log);
    if (m.clock) nns_phase_clock_print(m.clock, stderr);
    free(run.bx), free(run.by);
out:
    nns_log_close(&log);
    nns_phase_clock_free(&clock);
    nns_mlp_free(&m);
    nns_mnist_set_free(&tr), nns_mnist_set_free(&ev);
    nns_mnist_free(&train), nns_mnist_free(&test);
    return rc;
}
