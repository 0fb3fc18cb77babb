/* What every training run shares (nnsimd train mlp, nnsimd train
 * transformer): the epoch loop over seeded shuffles with exact resume,
 * the training state a checkpoint carries, the evaluation of a
 * classifier, progress and the JSON-lines log, the final line. */
#ifndef NNS_TRAIN_LOOP_H
#define NNS_TRAIN_LOOP_H

#include "anomaly.h"
#include "nnsimd.h"
#include "rng.h"
#include "safetensors.h"
#include "train_log.h"

#include <stddef.h>
#include <stdint.h>

/* The training state a checkpoint carries besides the tensors. */
typedef struct nns_run_state {
    uint64_t step;
    int epoch;          /* 1-based epoch in progress */
    size_t position;    /* next index into the epoch's permutation */
    nns_rng epoch_rng;  /* the generator before this epoch's shuffle */
} nns_run_state;

/* The state as checkpoint metadata strings (step, epoch, position, seed,
 * rng: the keys nns_run_state_load reads). */
typedef struct nns_run_meta {
    char step[32], epoch[16], position[32], seed[32], rng[65];
} nns_run_meta;
void nns_run_state_format(const nns_run_state *s, uint64_t seed, nns_run_meta *out);
/* Reads step, epoch, position and rng from a checkpoint's metadata. 0, or
 * -1 with "<path>: training state missing from the metadata" in err. */
int nns_run_state_load(const st_file *f, const char *path, nns_run_state *s, char *err,
                       size_t err_len);

/* Mean cross-entropy and accuracy of a classifier over `count` examples
 * in batches of `batch`: logits(ctx, at, n) computes the logits (n x
 * classes) of examples [at, at + n) and returns them, or NULL on failure;
 * labels[at + i] is example at + i's class. 0, or -1. */
int nns_evaluate(void *ctx, const float *(*logits)(void *ctx, size_t at, size_t n),
                 const int32_t *labels, size_t count, size_t batch, size_t classes, double *loss,
                 double *acc);

/* One training run's loop. */
typedef struct nns_loop {
    const char *who;      /* message prefix: "nnsimd train mlp" */
    size_t ntrain, batch; /* examples, batch size */
    int epochs;
    uint64_t max_steps;   /* stop after this many steps in all (0: no limit) */
    uint64_t save_every;  /* also checkpoint every N steps (0: per epoch) */
    const char *save;     /* checkpoint path, or NULL */
    int holdout;          /* the final line says "validation", not "test" */
    void *ctx;
    /* Trains on the examples idx[0..n) as step `step` (1-based): the
     * batch's loss and the learning rate it used. */
    nns_status (*step)(void *ctx, const uint32_t *idx, size_t n, uint64_t step, float *loss,
                       float *lr);
    /* Loss and accuracy on the evaluation set; eval_count examples. 0 or -1. */
    int (*evaluate)(void *ctx, double *loss, double *acc);
    size_t eval_count;
    /* Writes a checkpoint of the model with state s. 0, or -1 with err. */
    int (*save_fn)(void *ctx, const char *path, const nns_run_state *s, char *err,
                   size_t err_len);
    /* The model's --detect-anomaly record: a failed step or evaluation
     * prints its message when it holds one. */
    const nns_anomaly *anomaly;
} nns_loop;

/* Trains from state s (a fresh run: step 0, epoch 1, position 0, and
 * the generator after initialization) to the end: each epoch shuffles
 * 0..ntrain-1 with the generator state it starts from (so a checkpoint,
 * which stores that state and the position, resumes bit for bit), steps
 * through it in batches, logs every step, checkpoints every save_every
 * steps, and after the epoch (or the last step) evaluates, logs the epoch
 * and checkpoints. A non-finite loss, or a fault --detect-anomaly found,
 * stops the run naming the step (no checkpoint is written after it). Ends
 * with "test accuracy: A (k/n), train time T s" on stdout. Returns the
 * exit status: 0, or 1 with one line on stderr. */
int nns_train_loop(const nns_loop *l, nns_run_state *s, nns_train_log *log);

#endif
