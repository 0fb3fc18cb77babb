/* The MLP: in -> hidden... -> out, each layer nn.Linear followed by the
 * activation (none after the last), written only against the public
 * kernel API. Parameters, gradients and the two Adam moments are each one
 * flat buffer with the same layout (llm.c's way), so the optimizer is one
 * kernel call. Layer l's weight (dims[l+1] x dims[l]) then its bias. */
#ifndef NNS_MLP_H
#define NNS_MLP_H

#include "anomaly.h"
#include "nnsimd.h"
#include "rng.h"

#include <stddef.h>

#define NNS_MLP_MAX_LAYERS 8

typedef struct nns_mlp_config {
    size_t nlayers;                      /* linear layers */
    size_t dims[NNS_MLP_MAX_LAYERS + 1]; /* dims[0] inputs ... dims[nlayers] classes */
    nns_act act;                         /* between layers: RELU or GELU */
} nns_mlp_config;

typedef struct nns_mlp {
    nns_mlp_config cfg;
    size_t batch;   /* most rows a call handles */
    int threads;
    unsigned long spins; /* the threads' spinning budget at a barrier (models/spin_barrier.h) */
    size_t nparams, w_off[NNS_MLP_MAX_LAYERS], b_off[NNS_MLP_MAX_LAYERS];
    float *params, *grads, *m, *v;
    /* activations: x[l] (batch x dims[l]) is layer l's input, x[nlayers]
     * the logits; pre[l] the pre-activation of hidden layer l where the
     * backward needs it (GELU; NULL for ReLU, whose derivative is read
     * from its output).
     * x[0] is not allocated: layer 0 reads `input`, the caller's rows, in
     * place during a call. */
    float *x[NNS_MLP_MAX_LAYERS + 1], *pre[NNS_MLP_MAX_LAYERS], *dx[NNS_MLP_MAX_LAYERS + 1];
    const float *input;
    float *g; /* the backward's dout * act'(pre) of one layer (batch x widest) */
    /* per thread: a workspace and scratch for a slice of columns (the
     * forward's output features; dout's columns for dweight) */
    void **ws;
    size_t ws_bytes;
    float **gcols;
    /* chunks taken per owning thread, for each layer's forward, dweight
     * and update (models/share.h) */
    struct nns_share_counter *counters;
    /* --detect-anomaly: set .enabled after nns_mlp_create; a call that
     * meets a fault returns NNS_ANOMALY_STATUS with the message here */
    nns_anomaly anomaly;
    /* --profile: set after nns_mlp_create to time the phases of each
     * nns_mlp_train_step (models/phase_clock.h); NULL otherwise */
    struct nns_phase_clock *clock;
} nns_mlp;

/* Parses "512,512" into the hidden sizes of cfg (with inputs and classes
 * given); 0, or -1 with one line in err. */
int nns_mlp_parse_hidden(nns_mlp_config *cfg, const char *hidden, size_t inputs, size_t classes,
                         char *err, size_t err_len);
/* Allocates the model for up to `batch` rows on `threads` threads. */
int nns_mlp_create(nns_mlp *m, const nns_mlp_config *cfg, size_t batch, int threads, char *err,
                   size_t err_len);
void nns_mlp_free(nns_mlp *m);
/* PyTorch's default initialization of nn.Linear: weight and bias uniform
 * in +-1/sqrt(fan_in) (kaiming_uniform_ with a = sqrt(5)). */
void nns_mlp_init(nns_mlp *m, nns_rng *rng);
/* Logits of n <= batch rows of input (n x dims[0]) into m->x[nlayers]. */
nns_status nns_mlp_forward(nns_mlp *m, const float *input, size_t n);
/* Forward, mean cross-entropy against labels, and gradients into
 * m->grads (zeroed first). */
nns_status nns_mlp_forward_backward(nns_mlp *m, const float *input, const int32_t *labels,
                                    size_t n, float *loss);
/* One stretch [lo, hi) of the flat buffers for an optimizer to update. */
typedef nns_status nns_mlp_update_fn(void *ctx, size_t lo, size_t hi);
/* Calls fn on every parameter once, in stretches, on the model's threads:
 * each layer's weight rows and bias entries by the output features that
 * thread's share of the backward owns (models/share.h), so in a calm run
 * every parameter, its gradient and its moments stay in the cache of the
 * one core that reads and writes them. The first status that is not
 * NNS_OK. */
nns_status nns_mlp_update(nns_mlp *m, nns_mlp_update_fn *fn, void *ctx);
/* Writes rows [lo, hi) of a step's input (n x dims[0]); called on the
 * model's threads, each with its own rows. */
typedef void nns_mlp_fill_fn(void *ctx, float *input, size_t lo, size_t hi);
/* One training step in one parallel region: fill writes the n rows of
 * input, then nns_mlp_forward_backward's work, then nns_mlp_update's with
 * update (skipped when --detect-anomaly stops the step), so that the
 * threads meet only at the model's own spinning barriers. The first
 * status that is not NNS_OK. */
nns_status nns_mlp_train_step(nns_mlp *m, float *input, nns_mlp_fill_fn *fill, void *fill_ctx,
                              const int32_t *labels, size_t n, float *loss,
                              nns_mlp_update_fn *update, void *update_ctx);
/* The state_dict name of parameter tensor i (2 per layer: weight, bias) of
 * the equivalent nn.Sequential, e.g. "0.weight", "2.bias". */
void nns_mlp_tensor_name(const nns_mlp *m, size_t i, char *out, size_t len);

#endif
