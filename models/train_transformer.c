/* The IMDb training run: reviews, vocabulary and token ids; AdamW with
 * linear warm-up, cosine decay and global-norm clipping; the shared loop
 * (models/train_loop.h) for shuffling, logging, evaluation and exact
 * resume. */
#include "train_transformer.h"

#include "checkpoint.h"
#include "imdb.h"
#include "tokenizer.h"
#include "train_log.h"
#include "train_loop.h"
#include "transformer.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WHO "nnsimd train transformer"

void nns_tf_train_defaults(nns_tf_train_opts *o)
{
    memset(o, 0, sizeof *o);
    o->epochs = 3;
    o->batch = 32;
    o->lr = 2e-3f; /* tuned on the held-out reviews: results/<cpu-id>/transformer/tuning.md */
    o->weight_decay = 0.1f; /* tuned on the held-out reviews: results/<cpu-id>/transformer/tuning.md */
    o->clip = 1.0f;
    o->dropout = 0.1f; /* torch.nn.TransformerEncoderLayer's default */
    o->keep = NNS_KEEP_ENDS; /* tuned on the held-out reviews: results/<cpu-id>/transformer/tuning.md */
    o->warmup = -1;
    o->seed = 1;
    o->threads = 1;
    o->max_len = NNS_MAX_LEN_DEFAULT;
    o->vocab = NNS_VOCAB_DEFAULT;
    o->layers = 2;
    o->heads = 4;
    o->dim = 128;
}

/* Encoded reviews: ids (count, max_len), valid lengths, labels. */
typedef struct tf_set {
    size_t count;
    int32_t *ids, *len, *label;
} tf_set;

static void free_set(tf_set *s)
{
    free(s->ids), free(s->len), free(s->label);
    memset(s, 0, sizeof *s);
}

/* Encodes the reviews pick[0..n) of d into s. */
static int encode_set(tf_set *s, const nns_imdb *d, const size_t *pick, size_t n,
                      const nns_vocab *v, size_t max_len, nns_keep keep, char *err, size_t err_len)
{
    const char **text = malloc((n ? n : 1) * sizeof *text);
    size_t *len = malloc((n ? n : 1) * sizeof *len);
    s->count = n;
    s->ids = malloc((n ? n : 1) * max_len * sizeof *s->ids);
    s->len = malloc((n ? n : 1) * sizeof *s->len);
    s->label = malloc((n ? n : 1) * sizeof *s->label);
    int rc = -1;
    if (!text || !len || !s->ids || !s->len || !s->label) {
        snprintf(err, err_len, "out of memory for the token ids");
    } else {
        for (size_t i = 0; i < n; i++) {
            text[i] = d->text[pick[i]];
            len[i] = d->len[pick[i]];
            s->label[i] = d->label[pick[i]];
        }
        rc = nns_vocab_encode_all(v, text, len, n, max_len, keep, s->ids, s->len, err, err_len);
    }
    free(text), free(len);
    return rc;
}

/* Everything the loop's callbacks need. */
typedef struct tf_run {
    const nns_tf_train_opts *o;
    nns_transformer *m;
    tf_set tr, ev;
    char *vocab;      /* the vocabulary as text, for checkpoints */
    char data[128];   /* which reviews were trained on, for checkpoints */
    char config[160];
    uint64_t schedule_steps, warmup;
    int32_t *bids, *blen, *blab;
    FILE *dump;
} tf_run;

static void config_string(const nns_transformer_config *c, char *out, size_t len)
{
    snprintf(out, len, "V=%zu T=%zu C=%zu H=%zu L=%zu K=%zu", c->vocab, c->max_len, c->dim, c->heads,
             c->layers, c->classes);
}

/* Linear warm-up over `warmup` steps to lr, then cosine decay to 0 at
 * step `total` (1-based steps). */
static float step_lr(const tf_run *r, uint64_t step)
{
    double lr = r->o->lr, w = (double)r->warmup, total = (double)r->schedule_steps;
    if (step <= r->warmup) return (float)(lr * (double)step / w);
    if (r->schedule_steps <= r->warmup) return (float)lr;
    double p = ((double)step - w) / (total - w);
    if (p > 1) p = 1;
    return (float)(0.5 * lr * (1.0 + cos(M_PI * p)));
}

static int dump_batch(tf_run *r, const uint32_t *idx, size_t n, uint64_t step)
{
    FILE *f = r->dump;
    size_t T = r->m->cfg.max_len;
    fprintf(f, "{\"step\":%" PRIu64 ",\"idx\":[", step);
    for (size_t i = 0; i < n; i++) fprintf(f, "%s%u", i ? "," : "", idx[i]);
    fputs("],\"labels\":[", f);
    for (size_t i = 0; i < n; i++) fprintf(f, "%s%d", i ? "," : "", r->blab[i]);
    fputs("],\"lengths\":[", f);
    for (size_t i = 0; i < n; i++) fprintf(f, "%s%d", i ? "," : "", r->blen[i]);
    fputs("],\"ids\":[", f);
    for (size_t i = 0; i < n; i++) {
        fputs(i ? ",[" : "[", f);
        for (int32_t j = 0; j < r->blen[i]; j++) fprintf(f, "%s%d", j ? "," : "", r->bids[i * T + (size_t)j]);
        fputc(']', f);
    }
    fputs("]}\n", f);
    return ferror(f) ? -1 : 0;
}

static nns_status train_step(void *ctx, const uint32_t *idx, size_t n, uint64_t step, float *loss,
                             float *lr)
{
    tf_run *r = ctx;
    size_t T = r->m->cfg.max_len;
    for (size_t i = 0; i < n; i++) {
        memcpy(r->bids + i * T, r->tr.ids + (size_t)idx[i] * T, T * sizeof *r->bids);
        r->blen[i] = r->tr.len[idx[i]];
        r->blab[i] = r->tr.label[idx[i]];
    }
    if (r->dump && dump_batch(r, idx, n, step) != 0) return NNS_ERR_ARG;
    *lr = step_lr(r, step);
    /* the masks: a function of (seed, step) only, so a resumed run draws
     * the ones it would have drawn */
    r->m->dropout_seed = nns_mix64(r->o->seed + nns_mix64(step));
    nns_status st = nns_transformer_forward_backward(r->m, r->bids, T, r->blen, r->blab, n, loss);
    nns_adam_config adam = {*lr, 0.9f, 0.999f, 1e-8f, r->o->weight_decay, 1};
    if (st == NNS_OK && isfinite(*loss)) st = nns_transformer_update(r->m, &adam, step, r->o->clip, NULL);
    return st;
}

static const float *eval_logits(void *ctx, size_t at, size_t n)
{
    tf_run *r = ctx;
    size_t T = r->m->cfg.max_len;
    if (nns_transformer_forward(r->m, r->ev.ids + at * T, T, r->ev.len + at, n) != NNS_OK) return NULL;
    return r->m->logits;
}

static int evaluate(void *ctx, double *loss, double *acc)
{
    tf_run *r = ctx;
    return nns_evaluate(r, eval_logits, r->ev.label, r->ev.count, r->m->batch, r->m->cfg.classes,
                        loss, acc);
}

static const char *const prefixes[3] = {"", "optimizer.exp_avg.", "optimizer.exp_avg_sq."};

static int save_checkpoint(void *ctx, const char *path, const nns_run_state *s, char *err,
                           size_t err_len)
{
    tf_run *r = ctx;
    const nns_transformer *m = r->m;
    const float *buf[3] = {m->params, m->m, m->v};
    nns_run_meta rm;
    nns_run_state_format(s, r->o->seed, &rm);
    char lr[32], wd[32], clip[32], drop[32], warm[32], sched[32], batch[32];
    snprintf(lr, sizeof lr, "%.9g", (double)r->o->lr);
    snprintf(wd, sizeof wd, "%.9g", (double)r->o->weight_decay);
    snprintf(clip, sizeof clip, "%.9g", (double)r->o->clip);
    snprintf(drop, sizeof drop, "%.9g", (double)r->o->dropout);
    snprintf(warm, sizeof warm, "%" PRIu64, r->warmup);
    snprintf(sched, sizeof sched, "%" PRIu64, r->schedule_steps);
    snprintf(batch, sizeof batch, "%zu", r->o->batch);
    const char *meta[] = {"model", "transformer", "config", r->config, "vocab", r->vocab,
                          "data", r->data, "step", rm.step, "epoch", rm.epoch,
                          "position", rm.position, "seed", rm.seed, "rng", rm.rng,
                          "optimizer", "adamw", "lr", lr, "weight_decay", wd, "clip", clip,
                          "dropout", drop, "warmup", warm, "schedule_steps", sched, "batch", batch};
    return nns_ckpt_save_groups(path, m->t, m->ntensors, prefixes, buf, 3, meta,
                                sizeof meta / sizeof meta[0] / 2, err, err_len);
}

/* Restores tensors and state: model, vocabulary and training reviews must match. */
static int load_checkpoint(const char *path, tf_run *r, nns_run_state *s, char *err, size_t err_len)
{
    st_file *f = nns_ckpt_open(path, err, err_len);
    if (!f) return -1;
    const char *model = st_meta(f, "model"), *cfg = st_meta(f, "config");
    const char *vocab = st_meta(f, "vocab"), *data = st_meta(f, "data");
    int rc = -1;
    if (!model || strcmp(model, "transformer") != 0 || !cfg || strcmp(cfg, r->config) != 0) {
        snprintf(err, err_len, "%s: a checkpoint of %s %s, not of this model (transformer %s)", path,
                 model ? model : "?", cfg ? cfg : "?", r->config);
    } else if (!data || strcmp(data, r->data) != 0) {
        snprintf(err, err_len, "%s: trained on other reviews (%s), not %s", path, data ? data : "?",
                 r->data);
    } else if (!vocab || strcmp(vocab, r->vocab) != 0) {
        snprintf(err, err_len, "%s: its vocabulary differs from the one built from these reviews", path);
    } else if (nns_run_state_load(f, path, s, err, err_len) == 0) {
        float *buf[3] = {r->m->params, r->m->m, r->m->v};
        rc = nns_ckpt_load_groups(f, path, r->m->t, r->m->ntensors, prefixes, buf, 3, err, err_len);
    }
    st_close(f);
    return rc;
}

/* The training reviews (file order), the held-out ones and the subset. */
static int pick_reviews(const nns_imdb *d, const nns_tf_train_opts *o, size_t **train, size_t *ntrain,
                        size_t **eval, size_t *neval, char *err, size_t err_len)
{
    size_t *all = malloc((d->count ? d->count : 1) * sizeof *all);
    *train = malloc((d->count ? d->count : 1) * sizeof **train);
    *eval = malloc((d->count ? d->count : 1) * sizeof **eval);
    if (!all || !*train || !*eval) {
        free(all);
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    size_t nall = 0, nt = 0, ne = 0;
    for (size_t i = 0, j = 0; i < d->count; i++) {
        if (!d->is_train[i]) {
            if (!o->holdout) (*eval)[ne++] = i;
        } else if (o->holdout && j++ % NNS_TF_HOLDOUT_EVERY == NNS_TF_HOLDOUT_EVERY - 1) {
            (*eval)[ne++] = i;
        } else {
            all[nall++] = i;
        }
    }
    if (o->train_subset && o->train_subset < nall) {
        for (size_t i = 0; i < o->train_subset; i++) (*train)[nt++] = all[i * nall / o->train_subset];
    } else {
        memcpy(*train, all, nall * sizeof *all);
        nt = nall;
    }
    free(all);
    *ntrain = nt, *neval = ne;
    if (nt == 0 || ne == 0) {
        snprintf(err, err_len, "%s: %s", d->source, nt == 0 ? "no training reviews" : "no reviews to evaluate on");
        return -1;
    }
    return 0;
}

int nns_train_transformer(const nns_tf_train_opts *o)
{
    char err[1024];
    nns_imdb d = {0};
    nns_vocab *v = NULL;
    nns_transformer m = {0};
    nns_train_log log = {0};
    tf_run r = {.o = o, .m = &m};
    size_t *pick_tr = NULL, *pick_ev = NULL, ntr = 0, nev = 0;
    int rc = 1;
    double t0 = nns_now();
    if (nns_imdb_open(o->data, &d, err, sizeof err) != 0 ||
        pick_reviews(&d, o, &pick_tr, &ntr, &pick_ev, &nev, err, sizeof err) != 0) {
        fprintf(stderr, WHO ": %s\n", err);
        goto out;
    }
    /* the vocabulary from the reviews trained on, never the evaluation's */
    uint8_t *use = calloc(d.count ? d.count : 1, 1);
    if (!use) {
        fprintf(stderr, WHO ": out of memory\n");
        goto out;
    }
    for (size_t i = 0; i < ntr; i++) use[pick_tr[i]] = 1;
    v = nns_vocab_build(d.text, d.len, use, d.count, o->vocab, err, sizeof err);
    free(use);
    const nns_keep keep = o->keep;
    if (!v || encode_set(&r.tr, &d, pick_tr, ntr, v, o->max_len, keep, err, sizeof err) != 0 ||
        encode_set(&r.ev, &d, pick_ev, nev, v, o->max_len, keep, err, sizeof err) != 0) {
        fprintf(stderr, WHO ": %s\n", err);
        goto out;
    }
    snprintf(r.data, sizeof r.data, "%s%zu training reviews%s%s", o->train_subset ? "subset: " : "",
             ntr, o->holdout ? ", every 10th held out" : "", keep == NNS_KEEP_LAST ? ", last words kept" : keep == NNS_KEEP_ENDS ? ", first and last words kept" : "");
    r.vocab = nns_vocab_to_string(v);
    nns_transformer_config cfg = {nns_vocab_size(v), o->max_len, o->dim, o->heads, o->layers, 2};
    config_string(&cfg, r.config, sizeof r.config);
    double t_data = nns_now() - t0;
    nns_imdb_free(&d); /* the texts are no longer needed */
    if (!r.vocab) {
        fprintf(stderr, WHO ": out of memory\n");
        goto out;
    }
    if (nns_transformer_create(&m, &cfg, o->batch, o->threads, err, sizeof err) != 0) {
        fprintf(stderr, WHO ": %s\n", err);
        goto out;
    }
    m.anomaly.enabled = o->detect_anomaly;
    m.dropout = o->dropout;
    nns_run_state s = {.step = 0, .epoch = 1, .position = 0};
    nns_rng rng;
    nns_rng_seed(&rng, o->seed);
    nns_transformer_init(&m, &rng);
    s.epoch_rng = rng;
    uint64_t per_epoch = (ntr + o->batch - 1) / o->batch, total = per_epoch * (uint64_t)o->epochs;
    r.schedule_steps = total;
    r.warmup = o->warmup < 0 ? total / 10 : (uint64_t)o->warmup;
    if (r.warmup > total) r.warmup = total;
    if (o->resume && load_checkpoint(o->resume, &r, &s, err, sizeof err) != 0) {
        fprintf(stderr, WHO ": %s\n", err);
        goto out;
    }
    if (o->init_only) {
        if (!o->save) {
            fprintf(stderr, WHO ": --init-only needs --save FILE\n");
        } else if (save_checkpoint(&r, o->save, &s, err, sizeof err) != 0) {
            fprintf(stderr, WHO ": %s\n", err);
        } else {
            rc = 0;
        }
        goto out;
    }
    if (o->max_steps && o->max_steps < total) total = o->max_steps;
    r.bids = malloc(o->batch * o->max_len * sizeof *r.bids);
    r.blen = malloc(o->batch * sizeof *r.blen);
    r.blab = malloc(o->batch * sizeof *r.blab);
    if (!r.bids || !r.blen || !r.blab) {
        fprintf(stderr, WHO ": out of memory\n");
        goto out;
    }
    if (o->dump_batches && !(r.dump = fopen(o->dump_batches, o->resume ? "a" : "w"))) {
        fprintf(stderr, WHO ": %s: cannot open for writing\n", o->dump_batches);
        goto out;
    }
    if (nns_log_open(&log, o->log, o->resume != NULL, total, err, sizeof err) != 0) {
        fprintf(stderr, WHO ": %s\n", err);
        goto out;
    }
    nns_isa isa;
    nns_isa_active(&isa, NULL);
    char kept[64];
    if (o->keep == NNS_KEEP_ENDS)
        snprintf(kept, sizeof kept, "the first %zu and last %zu words", o->max_len / 2, o->max_len - o->max_len / 2);
    else
        snprintf(kept, sizeof kept, "the %s %zu words", nns_keep_name(o->keep), o->max_len);
    fprintf(stderr, "transformer %s, %zu parameters, adamw lr %g wd %g, warm-up %" PRIu64
            " then cosine over %" PRIu64 " steps, clip %g, dropout %g, batch %zu, %d epochs, %d thread%s, isa %s; "
            "%zu training reviews (%s of each), evaluating on %zu %s (data ready in %.1f s)\n",
            r.config, m.nparams, (double)o->lr, (double)o->weight_decay, r.warmup, r.schedule_steps,
            (double)o->clip, (double)o->dropout, o->batch, o->epochs, o->threads, o->threads == 1 ? "" : "s",
            nns_isa_name(isa), ntr, kept, nev,
            o->holdout ? "held-out training reviews" : "test reviews", t_data);
    nns_loop loop = {.who = WHO, .ntrain = ntr, .batch = o->batch, .epochs = o->epochs,
                     .max_steps = o->max_steps, .save_every = o->save_every, .save = o->save,
                     .holdout = o->holdout, .ctx = &r, .step = train_step, .evaluate = evaluate,
                     .eval_count = nev, .save_fn = save_checkpoint, .anomaly = &m.anomaly};
    rc = nns_train_loop(&loop, &s, &log);
out:
    nns_log_close(&log);
    if (r.dump) fclose(r.dump);
    free(r.bids), free(r.blen), free(r.blab), free(r.vocab);
    free_set(&r.tr), free_set(&r.ev);
    free(pick_tr), free(pick_ev);
    nns_transformer_free(&m);
    nns_vocab_free(v);
    nns_imdb_free(&d);
    return rc;
}
