/* Checkpoints: safetensors files (models/safetensors.h) whose metadata
 * carries "format" (nnsimd-checkpoint-1) and "sha256", the SHA-256 of all
 * tensor bytes in name order, so a flipped byte is caught on load.
 * Written atomically (temporary file, flush, fsync, rename). */
#ifndef NNS_CHECKPOINT_H
#define NNS_CHECKPOINT_H

#include "safetensors.h"

#define NNS_CKPT_FORMAT "nnsimd-checkpoint-1"

/* Saves tensors t[0..n) with the metadata pairs meta (key, value, ...),
 * adding format and sha256. 0, or -1 with one line in err. */
int nns_ckpt_save(const char *path, const st_entry *t, size_t n, const char *const *meta,
                  size_t n_meta, char *err, size_t err_len);
/* Opens and verifies a checkpoint (format, checksum). NULL with one line
 * in err naming the file and the problem. */
st_file *nns_ckpt_open(const char *path, char *err, size_t err_len);

/* One parameter tensor of a model inside its flat buffers (parameters,
 * gradients and optimizer moments share one layout). */
typedef struct nns_param_tensor {
    char name[48]; /* the state_dict name */
    size_t offset; /* in floats */
    int rank;      /* 1 or 2 */
    size_t dims[2];
} nns_param_tensor;

/* Elements of a tensor. */
size_t nns_param_count(const nns_param_tensor *t);

/* Saves groups of tensors: for each group g < ngroups, every tensor t[i]
 * under the name prefix[g] + t[i].name with its data at buf[g] +
 * t[i].offset (the parameters with prefix "", then e.g.
 * "optimizer.exp_avg."), and the metadata pairs. 0, or -1 with one line
 * in err. */
int nns_ckpt_save_groups(const char *path, const nns_param_tensor *t, size_t n,
                         const char *const *prefix, const float *const *buf, size_t ngroups,
                         const char *const *meta, size_t n_meta, char *err, size_t err_len);
/* The inverse, from an opened checkpoint: copies every group's tensors
 * into buf[g]; a missing tensor or one of another size is an error naming
 * it (`path` is for the message). 0 or -1. */
int nns_ckpt_load_groups(const st_file *f, const char *path, const nns_param_tensor *t, size_t n,
                         const char *const *prefix, float *const *buf, size_t ngroups, char *err,
                         size_t err_len);

#endif
