/* Training the MLP on MNIST: `nnsimd train mlp`. */
#ifndef NNS_TRAIN_MLP_H
#define NNS_TRAIN_MLP_H

#include "nnsimd.h"

#include <stddef.h>
#include <stdint.h>

typedef enum nns_optimizer { NNS_OPT_SGD, NNS_OPT_ADAM, NNS_OPT_ADAMW } nns_optimizer;

typedef struct nns_mlp_train_opts {
    const char *data;        /* --data or NULL */
    const char *hidden;      /* "512,512" */
    nns_act act;             /* RELU or GELU */
    int epochs;
    size_t batch;
    float lr, weight_decay, momentum;
    nns_optimizer optimizer;
    uint64_t seed;
    int threads;
    int cosine;              /* lr decays as lr/2 (1 + cos(pi step/total)) */
    int holdout;             /* train on the first 55,000, evaluate on the last 5,000 */
    uint64_t max_steps;      /* stop after this many steps in all (0: no limit) */
    uint64_t save_every;     /* also checkpoint every N steps (0: only per epoch) */
    int init_only;           /* save the initialized model to --save and stop */
    int detect_anomaly;      /* check every kernel's output for NaN and infinity */
    int profile;             /* print each phase's time a step after training */
    const char *log, *save, *resume;
} nns_mlp_train_opts;

/* Runs the training; prints the final line on stdout. Returns the exit
 * status: 0, 1 for a failed run (bad data, non-finite loss, I/O), with one
 * line on stderr. */
int nns_train_mlp(const nns_mlp_train_opts *o);

#endif
