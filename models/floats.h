/* The models' float buffers: zeroed, each starting a cache line. */
#ifndef NNS_FLOATS_H
#define NNS_FLOATS_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* n zeroed floats (at least one) from the start of a 64-byte line, or
 * NULL; freed with free(). A matrix whose rows are a whole number of lines
 * (784 or 512 floats) then has every row start one, so no vector load or
 * store of a kernel straddles two lines; calloc's large blocks start 16
 * bytes into one. On the Zen 5 VM (amd-oxide-f1a-m02) the MLP's AdamW
 * pass over its four flat buffers took 373-447 us a step from calloc and
 * 172-286 us from here (six alternating runs, `train mlp --profile`). */
static inline float *nns_floats(size_t n)
{
    if (!n) n = 1;
    if (n > (SIZE_MAX - 63) / sizeof(float)) return NULL;
    size_t bytes = (n * sizeof(float) + 63) / 64 * 64;
    float *p = aligned_alloc(64, bytes);
    if (p) memset(p, 0, bytes);
    return p;
}

#endif
