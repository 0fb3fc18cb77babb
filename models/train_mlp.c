/* The MNIST training loop: data, seeded shuffling, AdamW/Adam/SGD over the
 * flat parameter buffer, evaluation after every epoch, JSON-lines log,
 * atomic checkpoints that resume bit for bit. */
#include "train_mlp.h"

#include "checkpoint.h"
#include "data_root.h"
#include "mlp.h"
#include "mnist.h"
#include "rng.h"
#include "train_log.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HOLDOUT 5000

/* Normalized images as floats: (pixel/255 - mean) / std. */
typedef struct dataset {
    size_t count, dim;
    float *x;
    int32_t *y;
} dataset;

static int make_set(dataset *d, const nns_mnist *src, size_t from, size_t count, float mean, float std)
{
    d->count = count;
    d->dim = src->rows * src->cols;
    d->x = malloc(count * d->dim * sizeof *d->x);
    d->y = malloc(count * sizeof *d->y);
    if (!d->x || !d->y) return -1;
    for (size_t i = 0; i < count; i++) {
        const uint8_t *p = src->pixels + (from + i) * d->dim;
        for (size_t j = 0; j < d->dim; j++) d->x[i * d->dim + j] = ((float)p[j] / 255.0f - mean) / std;
        d->y[i] = src->labels[from + i];
    }
    return 0;
}

static void free_set(dataset *d)
{
    free(d->x), free(d->y);
    memset(d, 0, sizeof *d);
}

/* Mean and standard deviation of the training pixels, scaled to [0, 1]. */
static void pixel_stats(const nns_mnist *m, size_t count, float *mean, float *std)
{
    double s = 0, s2 = 0;
    size_t n = count * m->rows * m->cols;
    for (size_t i = 0; i < n; i++) {
        double v = m->pixels[i] / 255.0;
        s += v, s2 += v * v;
    }
    *mean = (float)(s / (double)n);
    *std = (float)sqrt(s2 / (double)n - (s / (double)n) * (s / (double)n));
}

/* Mean loss and accuracy over a dataset, in batches. */
static int evaluate(nns_mlp *m, const dataset *d, double *loss, double *acc)
{
    size_t classes = m->cfg.dims[m->cfg.nlayers], correct = 0;
    double total = 0;
    for (size_t at = 0; at < d->count; at += m->batch) {
        size_t n = d->count - at < m->batch ? d->count - at : m->batch;
        float l;
        if (nns_mlp_forward(m, d->x + at * d->dim, n) != NNS_OK ||
            nns_cross_entropy_fwd_bwd(&l, NULL, m->x[m->cfg.nlayers], d->y + at, n, classes, -1) != NNS_OK)
            return -1;
        total += (double)l * (double)n;
        for (size_t i = 0; i < n; i++) {
            const float *z = m->x[m->cfg.nlayers] + i * classes;
            size_t best = 0;
            for (size_t k = 1; k < classes; k++)
                if (z[k] > z[best]) best = k;
            correct += (int32_t)best == d->y[at + i];
        }
    }
    *loss = total / (double)d->count;
    *acc = (double)correct / (double)d->count;
    return 0;
}

/* The training state a checkpoint carries besides the tensors. */
typedef struct run_state {
    uint64_t step;
    int epoch;          /* 1-based epoch in progress */
    size_t position;    /* next index into the epoch's permutation */
    nns_rng epoch_rng;  /* the generator before this epoch's shuffle */
} run_state;

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

static int save_checkpoint(const char *path, const nns_mlp *m, const nns_mlp_train_opts *o,
                           const run_state *s, float mean, float std, char *err, size_t err_len)
{
    size_t nt = 2 * m->cfg.nlayers;
    st_entry t[3 * 2 * NNS_MLP_MAX_LAYERS];
    char names[3 * 2 * NNS_MLP_MAX_LAYERS][64];
    const char *prefix[3] = {"", "optimizer.exp_avg.", "optimizer.exp_avg_sq."};
    const float *buf[3] = {m->params, m->m, m->v};
    if (o->optimizer == NNS_OPT_SGD) prefix[1] = "optimizer.momentum_buffer.";
    size_t groups = o->optimizer == NNS_OPT_SGD ? 2 : 3, n = 0;
    for (size_t g = 0; g < groups; g++)
        for (size_t i = 0; i < nt; i++, n++) {
            char base[32];
            size_t l = i / 2, out = m->cfg.dims[l + 1], in = m->cfg.dims[l];
            nns_mlp_tensor_name(m, i, base, sizeof base);
            snprintf(names[n], sizeof names[n], "%s%s", prefix[g], base);
            t[n] = (st_entry){names[n], "F32", i % 2 ? 1 : 2, {out, i % 2 ? 0 : in},
                              buf[g] + (i % 2 ? m->b_off[l] : m->w_off[l])};
        }
    char config[128], step[32], epoch[16], pos[32], seed[32], rng[65], smean[32], sstd[32], lr[32],
        wd[32];
    config_string(m, config, sizeof config);
    snprintf(step, sizeof step, "%" PRIu64, s->step);
    snprintf(epoch, sizeof epoch, "%d", s->epoch);
    snprintf(pos, sizeof pos, "%zu", s->position);
    snprintf(seed, sizeof seed, "%" PRIu64, o->seed);
    nns_rng_format(&s->epoch_rng, rng);
    snprintf(smean, sizeof smean, "%.9g", (double)mean);
    snprintf(sstd, sizeof sstd, "%.9g", (double)std);
    snprintf(lr, sizeof lr, "%.9g", (double)o->lr);
    snprintf(wd, sizeof wd, "%.9g", (double)o->weight_decay);
    const char *meta[] = {"model", "mlp", "config", config, "step", step, "epoch", epoch,
                          "position", pos, "seed", seed, "rng", rng, "normalize_mean", smean,
                          "normalize_std", sstd, "optimizer", opt_name(o->optimizer), "lr", lr,
                          "weight_decay", wd};
    return nns_ckpt_save(path, t, n, meta, sizeof meta / sizeof meta[0] / 2, err, err_len);
}

/* Restores tensors and state; the model shape and optimizer must match. */
static int load_checkpoint(const char *path, nns_mlp *m, const nns_mlp_train_opts *o, run_state *s,
                           char *err, size_t err_len)
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
    } else if (!st_meta(f, "rng") || nns_rng_parse(&s->epoch_rng, st_meta(f, "rng")) != 0 ||
               !st_meta(f, "step") || !st_meta(f, "epoch") || !st_meta(f, "position")) {
        snprintf(err, err_len, "%s: training state missing from the metadata", path);
    } else {
        s->step = strtoull(st_meta(f, "step"), NULL, 10);
        s->epoch = atoi(st_meta(f, "epoch"));
        s->position = strtoull(st_meta(f, "position"), NULL, 10);
        const char *prefix[3] = {"", o->optimizer == NNS_OPT_SGD ? "optimizer.momentum_buffer." : "optimizer.exp_avg.",
                                 "optimizer.exp_avg_sq."};
        float *buf[3] = {m->params, m->m, m->v};
        rc = 0;
        for (size_t g = 0; rc == 0 && g < (o->optimizer == NNS_OPT_SGD ? 2u : 3u); g++)
            for (size_t i = 0; rc == 0 && i < 2 * m->cfg.nlayers; i++) {
                char base[32], name[64];
                size_t l = i / 2, count = 0, want = i % 2 ? m->cfg.dims[l + 1] : m->cfg.dims[l + 1] * m->cfg.dims[l];
                nns_mlp_tensor_name(m, i, base, sizeof base);
                snprintf(name, sizeof name, "%s%s", prefix[g], base);
                const float *p = st_f32(f, name, &count);
                if (!p || count != want) {
                    snprintf(err, err_len, "%s: tensor %s %s", path, name, p ? "has the wrong size" : "missing");
                    rc = -1;
                } else {
                    memcpy(buf[g] + (i % 2 ? m->b_off[l] : m->w_off[l]), p, want * sizeof(float));
                }
            }
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

static nns_status optimizer_step(nns_mlp *m, const nns_mlp_train_opts *o, float lr, uint64_t step)
{
    if (o->optimizer == NNS_OPT_SGD) {
        nns_sgd_config c = {lr, o->momentum, 0, o->weight_decay, 0};
        return nns_sgd_step(m->params, m->m, m->grads, m->nparams, &c, step);
    }
    nns_adam_config c = {lr, 0.9f, 0.999f, 1e-8f, o->weight_decay, o->optimizer == NNS_OPT_ADAMW};
    return nns_adam_step(m->params, m->m, m->v, m->grads, m->nparams, &c, step);
}

int nns_train_mlp(const nns_mlp_train_opts *o)
{
    char err[512], dir[4096];
    nns_mnist train = {0}, test = {0};
    dataset tr = {0}, ev = {0};
    nns_mlp m = {0};
    nns_train_log log = {0};
    uint32_t *perm = NULL;
    int rc = 1;
    if (nns_data_dir(o->data, "mnist", nns_mnist_looks_like, dir, sizeof dir, err, sizeof err) != 0 ||
        nns_mnist_load(dir, "train", &train, err, sizeof err) != 0 ||
        (!o->holdout && nns_mnist_load(dir, "t10k", &test, err, sizeof err) != 0)) {
        fprintf(stderr, "nnsimd train mlp: %s\n", err);
        goto out;
    }
    size_t ntrain = o->holdout ? train.count - HOLDOUT : train.count;
    float mean, std;
    pixel_stats(&train, ntrain, &mean, &std);
    if (make_set(&tr, &train, 0, ntrain, mean, std) != 0 ||
        make_set(&ev, o->holdout ? &train : &test, o->holdout ? ntrain : 0,
                 o->holdout ? HOLDOUT : test.count, mean, std) != 0 ||
        !(perm = malloc(ntrain * sizeof *perm))) {
        fprintf(stderr, "nnsimd train mlp: out of memory for the data\n");
        goto out;
    }
    nns_mlp_config cfg = {.act = o->act};
    if (nns_mlp_parse_hidden(&cfg, o->hidden, tr.dim, 10, err, sizeof err) != 0 ||
        nns_mlp_create(&m, &cfg, o->batch, o->threads, err, sizeof err) != 0) {
        fprintf(stderr, "nnsimd train mlp: %s\n", err);
        goto out;
    }
    run_state s = {.step = 0, .epoch = 1, .position = 0};
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
    double train_time = 0, eval_loss = 0, eval_acc = 0;
    int evaluated = 0;
    float *bx = malloc(o->batch * tr.dim * sizeof *bx);
    int32_t *by = malloc(o->batch * sizeof *by);
    if (!bx || !by) {
        free(bx), free(by);
        fprintf(stderr, "nnsimd train mlp: out of memory\n");
        goto out;
    }
    for (; s.epoch <= o->epochs && (!o->max_steps || s.step < o->max_steps); s.epoch++, s.position = 0) {
        /* The epoch's order: the generator's state before the shuffle is
         * what a checkpoint stores, so a resumed run shuffles the same. */
        rng = s.epoch_rng;
        for (size_t i = 0; i < ntrain; i++) perm[i] = (uint32_t)i;
        nns_rng_shuffle(&rng, perm, ntrain);
        double t0 = nns_now();
        while (s.position < ntrain && (!o->max_steps || s.step < o->max_steps)) {
            size_t n = ntrain - s.position < o->batch ? ntrain - s.position : o->batch;
            for (size_t i = 0; i < n; i++) {
                memcpy(bx + i * tr.dim, tr.x + (size_t)perm[s.position + i] * tr.dim, tr.dim * sizeof *bx);
                by[i] = tr.y[perm[s.position + i]];
            }
            float loss, lr = step_lr(o, s.step + 1, per_epoch * (uint64_t)o->epochs);
            nns_status st = nns_mlp_forward_backward(&m, bx, by, n, &loss);
            if (st == NNS_OK) st = optimizer_step(&m, o, lr, s.step + 1);
            if (st != NNS_OK) {
                fprintf(stderr, "nnsimd train mlp: step %" PRIu64 ": %s\n", s.step + 1, nns_status_str(st));
                goto done;
            }
            if (!isfinite(loss)) {
                fprintf(stderr, "nnsimd train mlp: step %" PRIu64 ": the loss is %g; stopping%s\n",
                        s.step + 1, (double)loss, o->save ? " (the last checkpoint is kept)" : "");
                goto done;
            }
            s.step++;
            s.position += n;
            nns_log_step(&log, s.step, s.epoch, loss, lr);
            if (o->save && o->save_every && s.step % o->save_every == 0 &&
                save_checkpoint(o->save, &m, o, &s, mean, std, err, sizeof err) != 0) {
                fprintf(stderr, "nnsimd train mlp: %s\n", err);
                goto done;
            }
        }
        double dt = nns_now() - t0;
        train_time += dt;
        if (evaluate(&m, &ev, &eval_loss, &eval_acc) != 0) {
            fprintf(stderr, "nnsimd train mlp: evaluation failed\n");
            goto done;
        }
        evaluated = 1;
        nns_log_epoch(&log, s.epoch, eval_loss, eval_acc, dt);
        if (s.position >= ntrain) { /* the next epoch starts from the generator after this shuffle */
            run_state next = {s.step, s.epoch + 1, 0, rng};
            if (o->save && save_checkpoint(o->save, &m, o, &next, mean, std, err, sizeof err) != 0) {
                fprintf(stderr, "nnsimd train mlp: %s\n", err);
                goto done;
            }
            s.epoch_rng = rng;
        } else if (o->save && save_checkpoint(o->save, &m, o, &s, mean, std, err, sizeof err) != 0) {
            fprintf(stderr, "nnsimd train mlp: %s\n", err);
            goto done;
        }
    }
    if (!evaluated && evaluate(&m, &ev, &eval_loss, &eval_acc) != 0) goto done;
    nns_log_close(&log);
    printf("%s accuracy: %.4f (%zu/%zu), train time %.1f s\n", o->holdout ? "validation" : "test",
           eval_acc, (size_t)llround(eval_acc * (double)ev.count), ev.count, train_time);
    rc = 0;
done:
    free(bx), free(by);
out:
    nns_log_close(&log);
    free(perm);
    nns_mlp_free(&m);
    free_set(&tr), free_set(&ev);
    nns_mnist_free(&train), nns_mnist_free(&test);
    return rc;
}
