/* xoshiro256** seeded by splitmix64, as its authors recommend. */
#include "rng.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static uint64_t rotl(uint64_t x, int k) { return x << k | x >> (64 - k); }

uint64_t nns_mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

void nns_rng_seed(nns_rng *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++) r->s[i] = nns_mix64(seed += 0x9e3779b97f4a7c15ull);
}

uint64_t nns_rng_next(nns_rng *r)
{
    uint64_t *s = r->s, out = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return out;
}

float nns_rng_uniform(nns_rng *r, float lo, float hi)
{
    float u = (float)(nns_rng_next(r) >> 40) * 0x1p-24f;
    return lo + (hi - lo) * u;
}

float nns_rng_normal(nns_rng *r)
{
    double u1 = (double)((nns_rng_next(r) >> 11) + 1) * 0x1p-53; /* (0, 1] */
    double u2 = (double)(nns_rng_next(r) >> 11) * 0x1p-53;       /* [0, 1) */
    return (float)(sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2));
}

uint64_t nns_rng_below(nns_rng *r, uint64_t n)
{
    /* Lemire: the high word of a 64x64 product, rejecting the biased low range. */
    unsigned __int128 m = (unsigned __int128)nns_rng_next(r) * n;
    uint64_t lo = (uint64_t)m;
    if (lo < n) {
        uint64_t threshold = -n % n;
        while (lo < threshold) {
            m = (unsigned __int128)nns_rng_next(r) * n;
            lo = (uint64_t)m;
        }
    }
    return (uint64_t)(m >> 64);
}

void nns_rng_shuffle(nns_rng *r, uint32_t *idx, size_t n)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)nns_rng_below(r, i);
        uint32_t t = idx[i - 1];
        idx[i - 1] = idx[j];
        idx[j] = t;
    }
}

void nns_rng_format(const nns_rng *r, char out[65])
{
    for (int i = 0; i < 4; i++) snprintf(out + 16 * i, 17, "%016llx", (unsigned long long)r->s[i]);
}

int nns_rng_parse(nns_rng *r, const char *hex)
{
    if (!hex || strlen(hex) != 64) return -1;
    for (int i = 0; i < 4; i++) {
        unsigned long long v = 0;
        for (int j = 0; j < 16; j++) {
            char ch = hex[16 * i + j];
            int d = ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
            if (d < 0) return -1;
            v = v << 4 | (unsigned)d;
        }
        r->s[i] = v;
    }
    return 0;
}
