/* Checks of dropout: each variant against the truth x * m in double, where
 * m (1/(1-p) or 0) is the reference's mask, read off the reference applied
 * to ones; bit for bit against the reference; in place; split at any point
 * into two calls with offsets (as threads split a tensor); and the mask's
 * statistics on 2^16 elements, each within 6 standard deviations: the
 * keep rate 1 - p, adjacent pairs kept together (1 - p)^2, and agreement
 * between two seeds differing in one word p^2 + (1 - p)^2.
 *
 * S = |t| (factor 1): one rounding of x * s where kept; x * 0 is exact. */
#include "checker.h"
#include "tolerance.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* p: never, the model's rate, half, mostly, always dropped, and rates
 * next to the ends of the 24-bit threshold. */
static const float rates[] = {0.0f, 0.1f, 0.5f, 0.9f, 1.0f, 1e-7f, 0.99999994f, 0.3f};
#define NRATES (sizeof rates / sizeof rates[0])

/* |count - n q| <= 6 sqrt(n q (1 - q)) (+1 for q at 0 or 1). */
static void expect_rate(chk_ctx *c, const char *what, size_t count, size_t n, double q)
{
    double dev = fabs((double)count - (double)n * q), sd = sqrt((double)n * q * (1 - q));
    if (dev > 6 * sd + 1)
        chk_fail(c, "%s: %zu of %zu, expected %.1f +- %.1f (6 sd)", what, count, n, (double)n * q,
                 6 * sd);
}

static void mask_statistics(chk_ctx *c, nns_dropout_fn *fn)
{
    const size_t n = (size_t)1 << 16;
    float *ones = chk_alloc(c, n, 0), *a = chk_alloc(c, n, 0), *b = chk_alloc(c, n, 0);
    char what[96];
    for (size_t i = 0; i < n; i++) ones[i] = 1.0f;
    for (size_t r = 1; r <= 3; r++) {
        const float p = rates[r];
        const double q = 1.0 - (double)p;
        const uint64_t seed = 0x9e3779b97f4a7c15u * r;
        fn(a, ones, n, p, seed, 12345);
        fn(b, ones, n, p, seed ^ ((uint64_t)1 << 40), 12345);
        size_t kept = 0, pairs = 0, agree = 0;
        for (size_t i = 0; i < n; i++) {
            kept += a[i] != 0;
            pairs += i + 1 < n && a[i] != 0 && a[i + 1] != 0;
            agree += (a[i] != 0) == (b[i] != 0);
        }
        snprintf(what, sizeof what, "dropout p=%g: elements kept", (double)p);
        expect_rate(c, what, kept, n, q);
        snprintf(what, sizeof what, "dropout p=%g: adjacent pairs kept", (double)p);
        expect_rate(c, what, pairs, n - 1, q * q);
        snprintf(what, sizeof what, "dropout p=%g: masks of two seeds agreeing", (double)p);
        expect_rate(c, what, agree, n, q * q + (1 - q) * (1 - q));
    }
    chk_case_done(c);
}

void chk_kernel_dropout(chk_ctx *c)
{
    const double factor = chk_tolerance_for(NNS_K_dropout)->factor;
    nns_dropout_fn *fn = chk_table(c)->dropout, *ref = chk_reference()->dropout;
    const size_t *len;
    size_t nlen = chk_sweep(c, &len);
    char what[128];
    for (size_t li = 0; li < nlen; li++) {
        const size_t n = len[li];
        const float p = rates[li % NRATES];
        const uint64_t seed = 0x2545f4914f6cdd1du * (li + 1);
        /* offsets: 0, arbitrary, and the last that fits the 32-bit counter */
        const size_t offset = li % 3 == 0 ? 0 : li % 3 == 1 ? 1000003 * li : (size_t)UINT32_MAX + 1 - n;
        float *x = chk_alloc(c, n, chk_misalign(li));
        float *y = chk_alloc(c, n, chk_misalign(li + 3));
        float *yr = chk_alloc(c, n, 0), *m = chk_alloc(c, n, 0), *w = chk_alloc(c, n, chk_misalign(li + 7));
        double *t = chk_doubles(c, n), *bd = chk_doubles(c, n);
        chk_fill(c, x, n, -4, 4);
        if (li % 3 == 2) chk_sprinkle_specials(c, x, n);
        for (size_t i = 0; i < n; i++) w[i] = 1.0f;
        ref(m, w, n, p, seed, offset);
        for (size_t i = 0; i < n; i++) {
            t[i] = (double)x[i] * (double)m[i];
            bd[i] = factor * CHK_U * fabs(t[i]) + FLT_MIN;
        }
        fn(y, x, n, p, seed, offset);
        ref(yr, x, n, p, seed, offset);
        snprintf(what, sizeof what, "dropout p=%g n=%zu offset=%zu", (double)p, n, offset);
        chk_guard(c, y, what);
        chk_compare(c, what, y, yr, t, bd, x, n);
        chk_same_bits(c, what, y, yr, n);
        /* In place: the same bits. */
        memcpy(w, x, n * sizeof *x);
        fn(w, w, n, p, seed, offset);
        snprintf(what, sizeof what, "dropout in place p=%g n=%zu", (double)p, n);
        chk_guard(c, w, what);
        chk_same_bits(c, what, w, y, n);
        /* Two calls split at k, the second at offset + k: the same bits. */
        const size_t k = n / 3;
        fn(w, x, k, p, seed, offset);
        fn(w + k, x + k, n - k, p, seed, offset + k);
        snprintf(what, sizeof what, "dropout split at %zu p=%g n=%zu", k, (double)p, n);
        chk_guard(c, w, what);
        chk_same_bits(c, what, w, y, n);
        chk_case_done(c);
    }
    mask_statistics(c, fn);
}
