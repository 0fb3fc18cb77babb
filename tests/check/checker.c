/* The checker's machinery: guarded buffers, comparison under bounds,
 * deterministic inputs, the size sweep, and chk_run. */
#include "checker.h"
#include "tolerance.h"

#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GUARD_BYTES 64
#define CANARY 0xA5
#define MAX_BUFS 32

typedef struct chk_buf {
    unsigned char *base;
    float *data;
    size_t n, total;
} chk_buf;

struct chk_ctx {
    const chk_opts *opts;
    chk_report *rep;
    const nns_kernel_table *table;
    nns_isa isa;
    uint64_t rng;
    chk_buf bufs[MAX_BUFS];
    size_t nbufs;
    double *dbls[MAX_BUFS];
    size_t ndbls;
};

void chk_default_opts(chk_opts *o)
{
    const char *light = getenv("NNSIMD_CHECK_LIGHT");
    o->light = light && *light && strcmp(light, "0") != 0;
    o->seed = 20261125u;
}

/* ---- buffers ---- */

float *chk_alloc(chk_ctx *c, size_t n, size_t misalign)
{
    if (c->nbufs == MAX_BUFS) abort(); /* a check file asks for too many buffers */
    size_t body = (misalign + n) * sizeof(float);
    size_t total = GUARD_BYTES + body + GUARD_BYTES;
    total = (total + 63) / 64 * 64;
    unsigned char *base = aligned_alloc(64, total);
    if (!base) abort();
    memset(base, CANARY, total);
    chk_buf *b = &c->bufs[c->nbufs++];
    b->base = base;
    b->data = (float *)(base + GUARD_BYTES + misalign * sizeof(float));
    b->n = n;
    b->total = total;
    return b->data;
}

void chk_guard(chk_ctx *c, const float *p, const char *what)
{
    for (size_t i = 0; i < c->nbufs; i++) {
        chk_buf *b = &c->bufs[i];
        if (b->data != p) continue;
        const unsigned char *lo = b->base, *hi = (const unsigned char *)(b->data + b->n);
        for (const unsigned char *q = lo; q < (const unsigned char *)b->data; q++)
            if (*q != CANARY) {
                chk_fail(c, "%s: write %td bytes before the output", what,
                         (const unsigned char *)b->data - q);
                return;
            }
        for (const unsigned char *q = hi; q < b->base + b->total; q++)
            if (*q != CANARY) {
                chk_fail(c, "%s: write %td bytes past the output", what, q - hi + 1);
                return;
            }
        return;
    }
}

double *chk_doubles(chk_ctx *c, size_t n)
{
    if (c->ndbls == MAX_BUFS) abort();
    double *d = calloc(n ? n : 1, sizeof *d);
    if (!d) abort();
    return c->dbls[c->ndbls++] = d;
}

void chk_case_done(chk_ctx *c)
{
    for (size_t i = 0; i < c->nbufs; i++) free(c->bufs[i].base);
    for (size_t i = 0; i < c->ndbls; i++) free(c->dbls[i]);
    c->nbufs = c->ndbls = 0;
}

/* ---- verdicts ---- */

void chk_fail(chk_ctx *c, const char *fmt, ...)
{
    if (c->rep->verdict != CHK_FAIL) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->rep->reason, sizeof c->rep->reason, fmt, ap);
        va_end(ap);
    }
    c->rep->verdict = CHK_FAIL;
}

void chk_compare(chk_ctx *c, const char *what, const float *got, const float *ref,
                 const double *truth, const double *bound, const float *x, size_t n)
{
    size_t zeros = 0;
    c->rep->cases++;
    for (size_t i = 0; i < n; i++) {
        float g = got[i], r = ref[i];
        double xi = x ? x[i] : NAN;
        if (!isfinite(g) || !isfinite(r)) {
            /* Specials: the class (NaN, +Inf, -Inf) must be the reference's. */
            if (isnan(g) != isnan(r) || (!isnan(g) && g != r))
                chk_fail(c, "%s[%zu]: got %g where the reference has %g (x=%g)", what, i,
                         (double)g, (double)r, xi);
            continue;
        }
        if (x && !isfinite(x[i])) {
            /* At x = +-Inf the formula's IEEE value (or a clamp's limit) is
             * the reference's definition: the variant must give it exactly. */
            if (g != r)
                chk_fail(c, "%s[%zu]: got %g where the reference has %g (x=%g)", what, i,
                         (double)g, (double)r, xi);
            continue;
        }
        double t = truth[i], b = bound[i];
        if (!isfinite(t)) {
            chk_fail(c, "%s[%zu]: finite result %g where the truth is %g (x=%g)", what, i,
                     (double)g, t, xi);
            continue;
        }
        zeros += t == 0.0;
        double err = fabs((double)g - t);
        double ratio = b > 0 ? err / b : (err == 0 ? 0.0 : INFINITY);
        c->rep->elements++;
        if (ratio > c->rep->worst) {
            c->rep->worst = ratio;
            snprintf(c->rep->worst_at, sizeof c->rep->worst_at,
                     "%s[%zu] x=%.9g: got %.9g, truth %.9g", what, i, xi, (double)g, t);
        }
        if (ratio > 1.0)
            chk_fail(c, "%s[%zu]: |%.9g - %.9g| = %.3g exceeds bound %.3g (x=%.9g)", what, i,
                     (double)g, t, err, b, xi);
    }
    /* "Mistrusted" (benchdnn's word): a case whose truth is mostly zeros
     * says little about the arithmetic. */
    if (n >= 16 && zeros * 2 > n) c->rep->mistrusted++;
}

void chk_same_bits(chk_ctx *c, const char *what, const float *a, const float *b, size_t n)
{
    c->rep->cases++;
    if (memcmp(a, b, n * sizeof *a) == 0) return;
    for (size_t i = 0; i < n; i++)
        if (memcmp(&a[i], &b[i], sizeof *a) != 0) {
            chk_fail(c, "%s[%zu]: %.9g and %.9g differ in bits", what, i, (double)a[i],
                     (double)b[i]);
            return;
        }
}

void chk_fd(chk_ctx *c, double err, double bound, double x)
{
    double ratio = bound > 0 ? err / bound : (err == 0 ? 0.0 : INFINITY);
    if (ratio > c->rep->fd_worst) c->rep->fd_worst = ratio;
    if (ratio > 1.0)
        chk_fail(c, "finite differences at x=%.9g: |fd - backward| = %.3g exceeds %.3g", x, err,
                 bound);
}

/* ---- inputs ---- */

/* splitmix64: a small, well-mixed generator; inputs depend on the seed only. */
static uint64_t next_u64(chk_ctx *c)
{
    uint64_t z = (c->rng += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

double chk_uniform(chk_ctx *c, double lo, double hi)
{
    return lo + (hi - lo) * (double)(next_u64(c) >> 11) * 0x1p-53;
}

void chk_fill(chk_ctx *c, float *p, size_t n, double lo, double hi)
{
    for (size_t i = 0; i < n; i++) p[i] = (float)chk_uniform(c, lo, hi);
}

void chk_sprinkle_specials(chk_ctx *c, float *p, size_t n)
{
    static const float specials[] = {
        NAN, -NAN, INFINITY, -INFINITY, 0.0f, -0.0f, 1e-40f, -1e-40f, FLT_MIN, -FLT_MIN,
        1e30f, -1e30f, FLT_MAX, -FLT_MAX, 1e-20f, -1e-20f,
    };
    const size_t ns = sizeof specials / sizeof specials[0];
    for (size_t i = 0; i < n; i++)
        if (next_u64(c) % 4 == 0) p[i] = specials[next_u64(c) % ns];
}

/* ---- sweep ---- */

/* Every length up to two vector widths of 64 floats (AVX-512 with 4-way
 * unrolling), plus 1, multiples and odd lengths around them, and large. */
static const size_t full_lengths[] = {
    0,   1,   2,   3,   4,   5,   6,   7,   8,   9,   10,  11,  12,  13,  14,  15,  16,
    17,  18,  19,  20,  21,  22,  23,  24,  25,  26,  27,  28,  29,  30,  31,  32,  33,
    34,  35,  36,  37,  38,  39,  40,  41,  42,  43,  44,  45,  46,  47,  48,  49,  50,
    51,  52,  53,  54,  55,  56,  57,  58,  59,  60,  61,  62,  63,  64,  65,  66,  67,
    68,  69,  70,  71,  72,  73,  74,  75,  76,  77,  78,  79,  80,  81,  82,  83,  84,
    85,  86,  87,  88,  89,  90,  91,  92,  93,  94,  95,  96,  97,  98,  99,  100, 101,
    102, 103, 104, 105, 106, 107, 108, 109, 110, 111, 112, 113, 114, 115, 116, 117, 118,
    119, 120, 121, 122, 123, 124, 125, 126, 127, 128, 129, 255, 256, 257, 1023, 4099, 65539,
};
/* Emulated CPUs run tens of times slower: every tail of one AVX-512 vector. */
static const size_t light_lengths[] = {
    0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16,
    17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 64, 65, 255, 1000,
};

size_t chk_sweep(const chk_ctx *c, const size_t **lengths)
{
    if (c->opts->light) {
        *lengths = light_lengths;
        return sizeof light_lengths / sizeof light_lengths[0];
    }
    *lengths = full_lengths;
    return sizeof full_lengths / sizeof full_lengths[0];
}

size_t chk_misalign(size_t i)
{
    return (i * 7) % 16;
}

const nns_kernel_table *chk_table(const chk_ctx *c) { return c->table; }
nns_isa chk_isa(const chk_ctx *c) { return c->isa; }
const nns_kernel_table *chk_reference(void) { return nns_kernels_for(NNS_ISA_SCALAR); }

/* ---- running one check ---- */

/* 1 if `isa` sits above the active ISA in its fallback chain. */
static int above_active(nns_isa isa)
{
    nns_isa active;
    nns_isa_active(&active, NULL);
    for (nns_isa i = isa; i != NNS_ISA_SCALAR; i = nns_isa_fallback(i))
        if (nns_isa_fallback(i) == active) return 1;
    return 0;
}

static void run_kernel(size_t k, chk_ctx *c)
{
    switch (k) {
#define NNS_KERNEL(name, type) case NNS_K_##name: chk_kernel_##name(c); break;
#include "nnsimd_kernels.def"
#undef NNS_KERNEL
    }
}

int chk_skip_reason(size_t k, nns_isa isa, char *why, size_t cap)
{
    const nns_kernel_table *t = nns_kernels_for(isa);
    if (!t)
        snprintf(why, cap, "no %s variants on this architecture", nns_isa_name(isa));
    else if (!nns_isa_supported(isa))
        snprintf(why, cap, "cpu lacks %s", nns_isa_name(isa));
    else if (above_active(isa))
        snprintf(why, cap, "capped");
    else if (!nns_kernel_present(t, k))
        snprintf(why, cap, "no native %s variant (falls back to %s)", nns_isa_name(isa),
                 nns_isa_name(nns_kernel_provider(isa, k)));
    else
        return 0;
    return 1;
}

void chk_run_table(size_t k, const nns_kernel_table *t, nns_isa isa, const chk_opts *opts,
                   chk_report *r)
{
    memset(r, 0, sizeof *r);
    r->kernel = k;
    r->isa = isa;
    r->fd_worst = -1.0;
    const chk_tolerance *tol = chk_tolerance_for(k);
    if (!tol) {
        r->verdict = CHK_FAIL;
        snprintf(r->reason, sizeof r->reason, "no row in the tolerance table");
        return;
    }
    chk_ctx c = {.opts = opts, .rep = r, .table = t, .isa = isa};
    c.rng = opts->seed ^ (uint64_t)(k + 1) * 0x100000001b3ull;
    run_kernel(k, &c);
    chk_case_done(&c);
    r->loose = tol->factor > 0 && r->worst < 1e-3;
}

void chk_run(size_t k, nns_isa isa, const chk_opts *opts, chk_report *r)
{
    char why[sizeof r->reason];
    if (chk_skip_reason(k, isa, why, sizeof why)) {
        memset(r, 0, sizeof *r);
        r->kernel = k;
        r->isa = isa;
        r->fd_worst = -1.0;
        r->verdict = CHK_SKIP;
        snprintf(r->reason, sizeof r->reason, "%s", why);
        return;
    }
    chk_run_table(k, nns_kernels_for(isa), isa, opts, r);
}
