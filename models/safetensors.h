/* safetensors files: the format of the PyTorch fixtures and of the models'
 * checkpoints. An 8-byte little-endian header length, a JSON header
 * {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__":
 * {string: string}}, then the raw little-endian tensor data; the offsets
 * must tile the data with no gap and no overlap. */
#ifndef NNS_SAFETENSORS_H
#define NNS_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

typedef struct st_file st_file;

/* Reads and validates the whole file. NULL on any problem, with a one-line
 * message naming the file and what is wrong in err (err_len bytes). */
st_file *st_open(const char *path, char *err, size_t err_len);
void st_close(st_file *f);

/* The tensor `name` if it exists with that dtype (F32 or I32), else NULL;
 * *count gets its element count (if count is not NULL). The data section
 * is copied to a 64-byte aligned buffer, so tensors are float-aligned; they
 * live until st_close. Little-endian hosts (x86-64, aarch64) only. */
const float *st_f32(const st_file *f, const char *name, size_t *count);
const int32_t *st_i32(const st_file *f, const char *name, size_t *count);
/* Rank of tensor `name` (-1 if absent), its first max_dims dims in dims. */
int st_shape(const st_file *f, const char *name, size_t *dims, int max_dims);
/* A __metadata__ string, NULL if absent. */
const char *st_meta(const st_file *f, const char *key);
/* Number of tensors, and the i-th name in file order of offsets. */
size_t st_count(const st_file *f);
const char *st_name(const st_file *f, size_t i);

/* One tensor to write: F32 or I32, row-major, rank <= 8. */
typedef struct st_entry {
    const char *name;
    const char *dtype;
    int rank;
    size_t dims[8];
    const void *data;
} st_entry;

/* Writes n tensors (in name order, as tools/fixtures/safetensors_writer.py
 * does) and the metadata pairs meta[0..2*n_meta) = key, value, ... to
 * `path` atomically: a temporary file in the same folder, flushed and
 * fsynced, then renamed over `path`; on failure `path` is untouched, the
 * temporary file removed, and err holds one line. Returns 0 or -1. */
int st_write(const char *path, const st_entry *t, size_t n, const char *const *meta,
             size_t n_meta, char *err, size_t err_len);

#endif
