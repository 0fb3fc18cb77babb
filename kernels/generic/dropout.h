/* Dropout written once over the vf_* and vu_* operations; each ISA's
 * dropout.c includes its vec.h and then this file, which defines
 * nns_dropout__<isa>.
 *
 * The mask of nnsimd.h, VF_LANES elements at a time: lane l of a vector
 * holds the element index j = offset + i + l as a 32-bit word, hashed by
 * two rounds of MurmurHash3's finalizer; its top 24 bits, converted to
 * float exactly, are compared with the threshold. The same integer steps
 * and the same float product as the reference, so every bit equals it. */
#include "nnsimd.h"
#include "variant.h"

static inline vu dropout_fmix32(vu x)
{
    x = vu_xor(x, vu_shr(x, 16));
    x = vu_mul(x, vu_set1(0x85ebca6bu));
    x = vu_xor(x, vu_shr(x, 13));
    x = vu_mul(x, vu_set1(0xc2b2ae35u));
    return vu_xor(x, vu_shr(x, 16));
}

/* The factor of each lane: s where kept, 0 where dropped. */
static inline vf dropout_factor(vu j, vu k0, vu k1, vf thr, vf s)
{
    vu h = dropout_fmix32(vu_xor(dropout_fmix32(vu_xor(j, k0)), k1));
    return vf_select(vf_ge(vu_to_vf(vu_shr(h, 8)), thr), s, vf_set1(0.0f));
}

void NNS_VARIANT(dropout)(float *out, const float *in, size_t n, float p, uint64_t seed,
                          size_t offset)
{
    const vu k0 = vu_set1((uint32_t)seed), k1 = vu_set1((uint32_t)(seed >> 32));
    const vu step = vu_set1(VF_LANES);
    const vf thr = vf_set1(nns_dropout_threshold(p)), s = vf_set1(nns_dropout_scale(p));
    vu j = vu_add(vu_set1((uint32_t)offset), vu_lanes());
    size_t i = 0;
    for (; i + VF_LANES <= n; i += VF_LANES, j = vu_add(j, step))
        vf_store(out + i, vf_mul(vf_load(in + i), dropout_factor(j, k0, k1, thr, s)));
    if (i < n) vf_store_n(out + i, vf_mul(vf_load_n(in + i, n - i), dropout_factor(j, k0, k1, thr, s)), n - i);
}
