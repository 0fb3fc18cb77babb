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

#endif
