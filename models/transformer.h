/* The transformer encoder classifier (IMDb sentiment), written only
 * against the public kernel API:
 *
 *   x = drop(tok_emb[ids] + pos_emb[0..len))
 *   L pre-layernorm blocks:
 *     x = x + drop(proj(attention(qkv(ln1(x)))))  (multi-head, key padding)
 *     x = x + drop(fc2(gelu(fc1(ln2(x)))))        (width 4C, exact GELU)
 *   logits = head(mean over the valid positions of ln_f(x)); cross-entropy.
 *
 * Tokens are packed: a batch of sequences of lengths len_s becomes
 * N = sum len_s rows (the padding is never computed), sequence s at rows
 * [off_s, off_s + len_s). Row-wise work (embeddings, layer norms,
 * linear layers, GELU, residuals) sees the N rows; attention runs per
 * sequence on its own rows (b = 1, t = len_s, q/k/v inside the packed
 * (N, 3C) qkv rows, ld = 3C); the pool averages each sequence's rows. The
 * result equals the padded model with a key-padding mask (padding rows
 * never reach the loss).
 *
 * drop is training-time dropout (nns_dropout) at rate m->dropout, as
 * torch.nn.TransformerEncoderLayer places it on the residual branches, and
 * on the embeddings; only nns_transformer_forward_backward drops. Its
 * sites are numbered 0 (embeddings), 1 + 2l (block l's attention branch),
 * 2 + 2l (its MLP branch); site s uses the mask seed
 * nns_mix64(m->dropout_seed + s) over the packed (N, C) elements (index
 * row * C + column), so the mask does not depend on the thread count.
 *
 * Parameters, gradients and the two Adam moments are each one flat
 * buffer with one layout; tensor i is t[i] (its state_dict name, offset,
 * shape), in the order of the equivalent PyTorch module's state_dict
 * (tools/pytorch_transformer.py, class Classifier):
 *   tok_emb.weight (V,C)  pos_emb.weight (T,C)
 *   blocks.<l>.ln1.{weight,bias} (C)   blocks.<l>.qkv.{weight (3C,C), bias (3C)}
 *   blocks.<l>.proj.{weight (C,C), bias}   blocks.<l>.ln2.{weight,bias}
 *   blocks.<l>.fc1.{weight (4C,C), bias (4C)}   blocks.<l>.fc2.{weight (C,4C), bias (C)}
 *   ln_f.{weight,bias} (C)   head.{weight (K,C), bias (K)}
 * qkv's output features are q (heads in order, D = C/H each), then k, then v.
 *
 * Threads (OpenMP, inside the calls): row-wise work splits the rows,
 * attention splits the sequences, weight gradients split the output
 * features, layer-norm parameter gradients are summed over fixed blocks
 * of rows in block order; the embedding scatter-adds run whole (token and
 * position tables on two threads). No reduction's order depends on the
 * thread count, so every result is bit-identical for any count. */
#ifndef NNS_TRANSFORMER_H
#define NNS_TRANSFORMER_H

#include "anomaly.h"
#include "checkpoint.h"
#include "nnsimd.h"
#include "rng.h"

#include <stddef.h>
#include <stdint.h>

#define NNS_TF_MAX_LAYERS 64

typedef struct nns_transformer_config {
    size_t vocab;   /* V: token ids in [0, V) */
    size_t max_len; /* T: positions */
    size_t dim;     /* C */
    size_t heads;   /* H, dividing C */
    size_t layers;  /* L */
    size_t classes; /* K */
} nns_transformer_config;

/* Offsets (in floats) of one block's tensors. */
typedef struct nns_tf_block {
    size_t ln1_w, ln1_b, qkv_w, qkv_b, proj_w, proj_b, ln2_w, ln2_b, fc1_w, fc1_b, fc2_w, fc2_b;
} nns_tf_block;

/* Saved activations of one block, for N packed rows. */
typedef struct nns_tf_acts {
    float *x;          /* (N,C) the block's input (the residual stream) */
    float *ln1;        /* (N,C) */
    float *mean1, *rstd1; /* (N) */
    float *qkv;        /* (N,3C) */
    float *att;        /* (N,C) attention output, before proj */
    float *lse;        /* (H*N): sequence s's (H, len_s) at H*off_s */
    float *mid;        /* (N,C) x + proj(att) */
    float *ln2;        /* (N,C) */
    float *mean2, *rstd2; /* (N) */
    float *pre;        /* (N,4C) fc1's pre-activation */
    float *hid;        /* (N,4C) gelu(pre) */
} nns_tf_acts;

typedef struct nns_transformer {
    nns_transformer_config cfg;
    size_t batch;    /* most sequences a call takes */
    size_t max_rows; /* batch * max_len */
    int threads;
    size_t nparams, ntensors;
    nns_param_tensor *t;
    size_t tok, pos, lnf_w, lnf_b, head_w, head_b;
    nns_tf_block *blk;
    float *params, *grads, *m, *v;
    /* the batch: sequences, packed rows */
    size_t nseq, nrows;
    int32_t *ids, *pos_ids, *len; /* (max_rows), (max_rows), (batch) */
    size_t *off;                  /* (batch + 1) first row of each sequence */
    /* activations */
    nns_tf_acts *a;               /* (L) */
    float *xf;                    /* (N,C) the last block's output */
    float *lnf, *meanf, *rstdf;   /* (N,C), (N), (N) */
    float *pooled, *logits;       /* (batch,C), (batch,K) */
    /* backward scratch */
    float *dx, *dln, *dqkv, *datt, *dhid, *dpre, *tmp; /* (N,C) (N,C) (N,3C) (N,C) (N,4C) (N,4C) (N,C) */
    float *dpooled, *dlogits;     /* (batch,C), (batch,K) */
    float *lnpart;                /* layer-norm parameter partial sums: (blocks, 2C) */
    /* per thread */
    void **ws;
    size_t ws_bytes;
    float **gcols;                /* a thread's columns of dout for its weight gradient */
    size_t gcols_floats;
    /* dropout: the rate (0: none) and this step's seed, set by the caller
     * before each nns_transformer_forward_backward */
    float dropout;
    uint64_t dropout_seed;
    /* --detect-anomaly: set .enabled after nns_transformer_create; a call
     * that meets a fault returns NNS_ANOMALY_STATUS with the message here
     * (where: the state_dict's module, "blocks.1.fc1") */
    nns_anomaly anomaly;
} nns_transformer;

/* Checks the configuration (sizes > 0, H divides C, ids fit in int32);
 * 0, or -1 with one line in err. */
int nns_transformer_check(const nns_transformer_config *cfg, char *err, size_t err_len);
/* Allocates the model for up to `batch` sequences on `threads` threads,
 * with workspaces sized by the active ISA's size functions (set the ISA
 * first). 0, or -1 with one line in err. */
int nns_transformer_create(nns_transformer *m, const nns_transformer_config *cfg, size_t batch,
                           int threads, char *err, size_t err_len);
void nns_transformer_free(nns_transformer *m);
/* PyTorch's default initialization, in tensor order: nn.Embedding
 * N(0, 1); nn.LayerNorm weight 1, bias 0; nn.Linear weight and bias
 * uniform in +-1/sqrt(fan_in). */
void nns_transformer_init(nns_transformer *m, nns_rng *rng);

/* Logits (n x K, into m->logits) of n <= batch sequences: ids (n, ld)
 * row-major, the first len[s] of row s valid (0 <= len[s] <= T, ids in
 * [0, V): NNS_ERR_ARG otherwise). */
nns_status nns_transformer_forward(nns_transformer *m, const int32_t *ids, size_t ld,
                                   const int32_t *len, size_t n);
/* Forward, mean cross-entropy against labels (in [0, K)), and the
 * gradients into m->grads (zeroed first). */
nns_status nns_transformer_forward_backward(nns_transformer *m, const int32_t *ids, size_t ld,
                                            const int32_t *len, const int32_t *labels, size_t n,
                                            float *loss);
/* The update after a backward: clips the gradient to global L2 norm
 * `clip` (clip <= 0: no clipping) as torch.nn.utils.clip_grad_norm_ does
 * (scale by clip / (norm + 1e-6) when that is below 1), then one Adam(W)
 * step number `step` (1-based). *norm (if not NULL) gets the norm before
 * clipping. */
nns_status nns_transformer_update(nns_transformer *m, const nns_adam_config *adam, uint64_t step,
                                  float clip, float *norm);
/* The global L2 norm of m->grads: fixed chunks summed in order (the same
 * bits for any thread count). */
nns_status nns_transformer_grad_norm(const nns_transformer *m, float *norm);

/* Floating-point operations of one training step (forward and backward:
 * 2 per multiply-add, the backward twice the forward's matrix products)
 * over sequences of the given lengths; the forward alone with bwd = 0. */
double nns_transformer_flops(const nns_transformer_config *cfg, const int32_t *len, size_t n,
                             int bwd);

#endif
