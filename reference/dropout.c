/* Scalar reference dropout: the counter-based mask of nnsimd.h element by
 * element, then one product. Compiled like the other references
 * (-fno-tree-vectorize): the ground truth of every variant. */
#include "nnsimd_internal.h"

/* MurmurHash3's 32-bit finalizer (Appleby): a bijection on 32-bit words in
 * which every input bit flips each output bit with probability near 1/2. */
static uint32_t fmix32(uint32_t x)
{
    x ^= x >> 16;
    x *= 0x85ebca6bu;
    x ^= x >> 13;
    x *= 0xc2b2ae35u;
    return x ^ (x >> 16);
}

void nns_dropout__scalar(float *out, const float *in, size_t n, float p, uint64_t seed,
                         size_t offset)
{
    const uint32_t k0 = (uint32_t)seed, k1 = (uint32_t)(seed >> 32);
    const float thr = nns_dropout_threshold(p), s = nns_dropout_scale(p);
    for (size_t i = 0; i < n; i++) {
        uint32_t h = fmix32(fmix32((uint32_t)(offset + i) ^ k0) ^ k1);
        out[i] = in[i] * ((float)(h >> 8) >= thr ? s : 0.0f);
    }
}
