/* Fuzz target: the MNIST IDX reader (models/mnist.c), raw and gzip.
 *
 * Input: byte 0 holds flags, bytes 1-2 (little-endian) the length of the
 * images file's bytes, then the images file's bytes and the labels file's.
 * Flag bits 0-1 say how the images file is stored, bits 2-3 the labels
 * file: 0 raw, 1 gzip-compressed here (so the fuzzer explores the IDX
 * fields behind gzip), 2 the bytes as they are under the .gz name (so it
 * mutates the gzip stream itself), 3 gzip-compressed under the raw name
 * (zlib reads both forms). Bit 4 picks the split (t10k, else train). The
 * files go into a folder of the scratch space and nns_mnist_load reads it. */
#include "fuzz_common.h"

#include "mnist.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void put(const char *dir, const char *stem, int how, const uint8_t *p, size_t n)
{
    char path[512];
    size_t zn = 0;
    unsigned char *z = NULL;
    if (how == 1 || how == 3) z = fz_gzip(p, n, &zn);
    snprintf(path, sizeof path, "%s/%s%s", dir, stem, how == 1 || how == 2 ? ".gz" : "");
    if (z) fz_write(path, z, zn);
    else fz_write(path, p, n);
    free(z);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3) return 0;
    unsigned flags = data[0];
    size_t nim = (size_t)data[1] | (size_t)data[2] << 8;
    data += 3, size -= 3;
    if (nim > size) nim = size;
    const char *split = flags & 16 ? "t10k" : "train";
    char dir[512], stem[64];
    fz_path(dir, sizeof dir, "mnist");
    fz_remove(dir);
    fz_mkdirs("mnist");
    snprintf(stem, sizeof stem, "%s-images-idx3-ubyte", split);
    put(dir, stem, (int)(flags & 3), data, nim);
    snprintf(stem, sizeof stem, "%s-labels-idx1-ubyte", split);
    put(dir, stem, (int)(flags >> 2 & 3), data + nim, size - nim);

    nns_mnist m;
    char err[512];
    if (nns_mnist_load(dir, split, &m, err, sizeof err) == 0) {
        /* What the trainer relies on: every pixel and label readable,
         * labels 0..9. */
        unsigned sum = 0;
        size_t npx = m.count * m.rows * m.cols;
        if (m.count == 0 || npx / m.count != m.rows * m.cols) abort();
        for (size_t i = 0; i < npx; i++) sum += m.pixels[i];
        for (size_t i = 0; i < m.count; i++)
            if (m.labels[i] > 9) abort();
        (void)sum;
        nns_mnist_free(&m);
    } else {
        /* One line naming a file. */
        if (!err[0] || strchr(err, '\n') || !strstr(err, dir)) abort();
        if (m.pixels || m.labels || m.count) abort();
    }
    return 0;
}
