/* The shared training loop, evaluation and run-state metadata. */
#include "train_loop.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void nns_run_state_format(const nns_run_state *s, uint64_t seed, nns_run_meta *out)
{
    snprintf(out->step, sizeof out->step, "%" PRIu64, s->step);
    snprintf(out->epoch, sizeof out->epoch, "%d", s->epoch);
    snprintf(out->position, sizeof out->position, "%zu", s->position);
    snprintf(out->seed, sizeof out->seed, "%" PRIu64, seed);
    nns_rng_format(&s->epoch_rng, out->rng);
}

int nns_run_state_load(const st_file *f, const char *path, nns_run_state *s, char *err,
                       size_t err_len)
{
    if (!st_meta(f, "rng") || nns_rng_parse(&s->epoch_rng, st_meta(f, "rng")) != 0 ||
        !st_meta(f, "step") || !st_meta(f, "epoch") || !st_meta(f, "position")) {
        snprintf(err, err_len, "%s: training state missing from the metadata", path);
        return -1;
    }
    s->step = strtoull(st_meta(f, "step"), NULL, 10);
    s->epoch = atoi(st_meta(f, "epoch"));
    s->position = strtoull(st_meta(f, "position"), NULL, 10);
    return 0;
}

int nns_evaluate(void *ctx, const float *(*logits)(void *ctx, size_t at, size_t n),
                 const int32_t *labels, size_t count, size_t batch, size_t classes, double *loss,
                 double *acc)
{
    size_t correct = 0;
    double total = 0;
    for (size_t at = 0; at < count; at += batch) {
        size_t n = count - at < batch ? count - at : batch;
        float l;
        const float *z = logits(ctx, at, n);
        if (!z || nns_cross_entropy_fwd_bwd(&l, NULL, z, labels + at, n, classes, -1) != NNS_OK)
            return -1;
        total += (double)l * (double)n;
        for (size_t i = 0; i < n; i++) {
            const float *zi = z + i * classes;
            size_t best = 0;
            for (size_t k = 1; k < classes; k++)
                if (zi[k] > zi[best]) best = k;
            correct += (int32_t)best == labels[at + i];
        }
    }
    *loss = count ? total / (double)count : 0;
    *acc = count ? (double)correct / (double)count : 0;
    return 0;
}

/* Why step `step` failed, on one line: its status, the fault
 * --detect-anomaly found, or its non-finite loss (st == NNS_OK). */
static void report_step(const nns_loop *l, uint64_t step, nns_status st, float loss)
{
    const char *kept = l->save ? " (the last checkpoint is kept)" : "";
    if (st == NNS_OK)
        fprintf(stderr, "%s: step %" PRIu64 ": the loss is %g; stopping%s\n", l->who, step,
                (double)loss, kept);
    else if (l->anomaly && nns_anomaly_found(l->anomaly))
        fprintf(stderr, "%s: step %" PRIu64 ": %s; stopping%s\n", l->who, step, l->anomaly->msg, kept);
    else
        fprintf(stderr, "%s: step %" PRIu64 ": %s\n", l->who, step, nns_status_str(st));
}

/* The evaluation callback; 0, or -1 with one line on stderr. */
static int run_evaluation(const nns_loop *l, double *loss, double *acc)
{
    if (l->evaluate(l->ctx, loss, acc) == 0) return 0;
    if (l->anomaly && nns_anomaly_found(l->anomaly))
        fprintf(stderr, "%s: evaluation: %s\n", l->who, l->anomaly->msg);
    else
        fprintf(stderr, "%s: evaluation failed\n", l->who);
    return -1;
}

int nns_train_loop(const nns_loop *l, nns_run_state *s, nns_train_log *log)
{
    char err[512];
    uint32_t *perm = malloc((l->ntrain ? l->ntrain : 1) * sizeof *perm);
    if (!perm) {
        fprintf(stderr, "%s: out of memory for the data\n", l->who);
        return 1;
    }
    double train_time = 0, eval_loss = 0, eval_acc = 0;
    int evaluated = 0, rc = 1;
    nns_rng rng;
    for (; s->epoch <= l->epochs && (!l->max_steps || s->step < l->max_steps); s->epoch++, s->position = 0) {
        /* The epoch's order: the generator's state before the shuffle is
         * what a checkpoint stores, so a resumed run shuffles the same. */
        rng = s->epoch_rng;
        for (size_t i = 0; i < l->ntrain; i++) perm[i] = (uint32_t)i;
        nns_rng_shuffle(&rng, perm, l->ntrain);
        double t0 = nns_now();
        while (s->position < l->ntrain && (!l->max_steps || s->step < l->max_steps)) {
            size_t n = l->ntrain - s->position < l->batch ? l->ntrain - s->position : l->batch;
            float loss = 0, lr;
            nns_status st = l->step(l->ctx, perm + s->position, n, s->step + 1, &loss, &lr);
            if (st != NNS_OK || !isfinite(loss)) {
                report_step(l, s->step + 1, st, loss);
                goto done;
            }
            s->step++;
            s->position += n;
            nns_log_step(log, s->step, s->epoch, loss, lr);
            if (l->save && l->save_every && s->step % l->save_every == 0 &&
                l->save_fn(l->ctx, l->save, s, err, sizeof err) != 0) {
                fprintf(stderr, "%s: %s\n", l->who, err);
                goto done;
            }
        }
        double dt = nns_now() - t0;
        train_time += dt;
        if (run_evaluation(l, &eval_loss, &eval_acc) != 0) goto done;
        evaluated = 1;
        nns_log_epoch(log, s->epoch, eval_loss, eval_acc, dt);
        if (s->position >= l->ntrain) { /* the next epoch starts from the generator after this shuffle */
            nns_run_state next = {s->step, s->epoch + 1, 0, rng};
            if (l->save && l->save_fn(l->ctx, l->save, &next, err, sizeof err) != 0) {
                fprintf(stderr, "%s: %s\n", l->who, err);
                goto done;
            }
            s->epoch_rng = rng;
        } else if (l->save && l->save_fn(l->ctx, l->save, s, err, sizeof err) != 0) {
            fprintf(stderr, "%s: %s\n", l->who, err);
            goto done;
        }
    }
    if (!evaluated && run_evaluation(l, &eval_loss, &eval_acc) != 0) goto done;
    nns_log_close(log);
    printf("%s accuracy: %.4f (%zu/%zu), train time %.1f s\n", l->holdout ? "validation" : "test",
           eval_acc, (size_t)llround(eval_acc * (double)l->eval_count), l->eval_count, train_time);
    rc = 0;
done:
    free(perm);
    return rc;
}
