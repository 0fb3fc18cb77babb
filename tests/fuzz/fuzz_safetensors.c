/* Fuzz target: the safetensors reader (models/safetensors.c), st_open and
 * every accessor on what it accepts. The input is the file. */
#include "fuzz_common.h"

#include "safetensors.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[512], err[512];
    fz_path(path, sizeof path, "t.safetensors");
    fz_write(path, data, size);
    st_file *f = st_open(path, err, sizeof err);
    if (!f) {
        if (!err[0] || strchr(err, '\n') || strncmp(err, path, strlen(path)) != 0) abort();
        return 0;
    }
    volatile unsigned char sink = 0;
    for (size_t i = 0; i < st_count(f); i++) {
        const char *name = st_name(f, i);
        size_t dims[8], count = 0, elems = 1;
        int rank = st_shape(f, name, dims, 8);
        if (!name || rank < 0 || rank > 8) abort();
        for (int d = 0; d < rank; d++) elems *= dims[d];
        const void *p = st_f32(f, name, &count);
        if (!p) p = st_i32(f, name, &count);
        if (!p || count != elems) abort();
        if (((uintptr_t)p & 3) != 0) abort(); /* float-aligned, as promised */
        const unsigned char *b = p;
        for (size_t k = 0; k < 4 * count; k++) sink ^= b[k];
    }
    if (st_name(f, st_count(f)) != NULL) abort();
    static const char *const keys[] = {"format", "sha256", "model", "config", "vocab", "step"};
    for (size_t k = 0; k < sizeof keys / sizeof *keys; k++) {
        const char *m = st_meta(f, keys[k]);
        if (m) sink ^= (unsigned char)strlen(m);
    }
    (void)sink;
    st_close(f);
    return 0;
}
