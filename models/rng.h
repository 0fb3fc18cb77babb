/* The models' seeded generator: xoshiro256** (Blackman & Vigna), seeded
 * through splitmix64. Its whole state is four words, so a checkpoint can
 * store it and a resumed run continues the same stream. */
#ifndef NNS_RNG_H
#define NNS_RNG_H

#include <stddef.h>
#include <stdint.h>

typedef struct nns_rng {
    uint64_t s[4];
} nns_rng;

void nns_rng_seed(nns_rng *r, uint64_t seed);
uint64_t nns_rng_next(nns_rng *r);
/* Uniform in [lo, hi) from the top 24 bits (every float of the grid equally likely). */
float nns_rng_uniform(nns_rng *r, float lo, float hi);
/* Standard normal (Box-Muller in double, the cosine branch; two draws). */
float nns_rng_normal(nns_rng *r);
/* Uniform integer in [0, n), without modulo bias (Lemire's method). */
uint64_t nns_rng_below(nns_rng *r, uint64_t n);
/* A uniformly random permutation of idx[0..n) in place (Fisher-Yates). */
void nns_rng_shuffle(nns_rng *r, uint32_t *idx, size_t n);
/* splitmix64's output function (Stafford's mix 13): a bijection on 64-bit
 * words, for deriving independent keys from (seed, step, site). */
uint64_t nns_mix64(uint64_t z);
/* The state as 64 hex digits and back (0 on success). */
void nns_rng_format(const nns_rng *r, char out[65]);
int nns_rng_parse(nns_rng *r, const char *hex);

#endif
