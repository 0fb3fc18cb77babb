/* Training the transformer classifier on IMDb: `nnsimd train transformer`. */
#ifndef NNS_TRAIN_TRANSFORMER_H
#define NNS_TRAIN_TRANSFORMER_H

#include <stddef.h>
#include <stdint.h>

#include "tokenizer.h"

#define NNS_TF_HOLDOUT_EVERY 10 /* --holdout: every 10th training review (2,500) */

typedef struct nns_tf_train_opts {
    const char *data;         /* --data or NULL */
    int epochs;
    size_t batch;
    float lr, weight_decay, clip; /* AdamW; clip <= 0: no gradient clipping */
    float dropout;            /* rate on the embeddings and residual branches, in [0, 1) */
    int64_t warmup;           /* linear warm-up steps; -1: a tenth of the run */
    uint64_t seed;
    int threads;
    size_t max_len, vocab, layers, heads, dim;
    nns_keep keep;            /* which max_len words of a longer review are kept */
    int holdout;              /* hold out every 10th training review, evaluate on them */
    size_t train_subset;      /* train on this many reviews, evenly spaced (0: all) */
    uint64_t max_steps;       /* stop after this many steps in all (0: no limit) */
    uint64_t save_every;      /* also checkpoint every N steps (0: only per epoch) */
    int init_only;            /* save the initialized model to --save and stop */
    int detect_anomaly;       /* check every kernel's output for NaN and infinity */
    const char *log, *save, *resume;
    const char *dump_batches; /* JSON lines: each step's reviews, labels, lengths, token ids */
} nns_tf_train_opts;

/* The defaults of `nnsimd train transformer`. */
void nns_tf_train_defaults(nns_tf_train_opts *o);

/* Runs the training; prints the final line on stdout. Returns the exit
 * status: 0, or 1 for a failed run (bad data, non-finite loss, I/O), with
 * one line on stderr. */
int nns_train_transformer(const nns_tf_train_opts *o);

#endif
