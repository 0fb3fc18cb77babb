/* MNIST in LeCun's IDX format: big-endian u32 magic (0x00000803 images,
 * 0x00000801 labels), one big-endian u32 per dimension, then the u8 data
 * row-major. A folder holds train-images-idx3-ubyte, train-labels-idx1-ubyte,
 * t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte, each gzip-compressed
 * (name.gz) or raw (zlib reads both); when both exist the .gz is read, since
 * that is the form `make data` lays out and checks (a raw copy beside it may
 * be a stale or half-written decompression).
 *
 * Everything is checked against the file: the magic, non-zero dimensions
 * whose product does not overflow, the data size exactly (truncated or
 * trailing bytes are errors), the gzip stream (corrupt or cut short),
 * images and labels agreeing in count, labels in 0..9. */
#ifndef NNS_MNIST_H
#define NNS_MNIST_H

#include <stddef.h>
#include <stdint.h>

typedef struct nns_mnist {
    size_t count;     /* images (= labels) */
    size_t rows, cols; /* from the file: 28 x 28 for MNIST */
    uint8_t *pixels;  /* (count, rows, cols) */
    uint8_t *labels;  /* (count), each 0..9 */
} nns_mnist;

/* Loads split "train" or "t10k" from folder dir into out. Returns 0, or -1
 * with out zeroed and a one-line message naming the file and what is wrong
 * in err (err_len bytes). */
int nns_mnist_load(const char *dir, const char *split, nns_mnist *out, char *err,
                   size_t err_len);
/* Frees what nns_mnist_load allocated and zeroes *m (NULL or a zeroed
 * struct is fine). */
void nns_mnist_free(nns_mnist *m);

/* 1 if dir holds train-images-idx3-ubyte(.gz): the predicate for
 * nns_data_dir (data_root.h). */
int nns_mnist_looks_like(const char *dir);

#endif
