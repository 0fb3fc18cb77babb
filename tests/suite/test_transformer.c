/* The transformer classifier (models/transformer.c) and its training run
 * (models/train_transformer.c), on tiny configurations:
 *
 *   gradients_vs_finite_differences: our loss and every gradient element
 *     (every 5th under NNSIMD_CHECK_LIGHT) on the active ISA against a
 *     double-precision implementation written here (straight loops) and
 *     its central differences, Richardson-extrapolated;
 *     (also with dropout at 0.25: the reference applies the model's masks);
 *   one_step_vs_torch: tests/fixtures/transformer_step{,_dropout}.safetensors
 *     (tools/fixtures/fam_transformer.py): logits, loss, every gradient,
 *     the gradient norm and the weights after clipping and one AdamW step,
 *     without and with dropout (PyTorch applying our masks);
 *   threads_same_bits: 1, 2 and 3 threads give the same bits (loss,
 *     gradients, updated weights, a second step's loss), with dropout;
 *   resume_same_bits: `nnsimd train transformer` on a few synthetic
 *     reviews (an aclImdb folder made here): a run stopped mid-epoch or at
 *     an epoch's end and resumed from its checkpoint, on another thread
 *     count, logs the same losses, bit for bit, as an uninterrupted run;
 *   detect_anomaly: --detect-anomaly's checks pass a clean step and name
 *     the first kernel to produce a NaN or an infinity (a poisoned weight,
 *     an infinite gradient), the same for 1 and 2 threads; unchecked, the
 *     model returns a NaN loss as before.
 *
 * Bounds. A float evaluation of the model is a chain of S stages (per
 * block: layer norm, qkv, scores, softmax, p.v, proj, layer norm, fc1,
 * fc2; then the embeddings' sum, the final layer norm, the pool and the
 * head: S = 9 L + 3), each a reduction of length at most K (K = max(4C,
 * T) + 1) whose rounding is at most gamma_K relative to the magnitudes
 * flowing through it; at PyTorch's initialization the layer norms keep
 * those magnitudes O(1) and the stages' Jacobians O(1). So, as for the
 * MLP (test_mlp.c): a logit errs by at most 4 S K u times the head's
 * absolute-value sum sum_c |W_kc| max|pooled_c| + |b_k| (forward: both
 * operands of every product), the loss by the logits' bounds weighted by
 * |dloss/dlogit| <= 2/n, plus 4u|loss|; gradients normwise per tensor by
 * 8 S K u max|g| (the backward doubles the chain). Against the double
 * truth those bounds hold for ours; against PyTorch, which is held to the
 * same bounds around the truth, the difference may be twice as large. The
 * finite differences' own error, |D(h) - D(2h)| (the extrapolation removes
 * the h^2 term that difference measures), is added to each element's
 * bound. AdamW's first step moves a weight by about lr sign(g), so where g
 * is within its bound of 0 the sign may legitimately differ: an updated
 * weight's bound is 2u|w| + lr min(2, 2 dg / (|g| + eps)), dg the clipped
 * gradient's bound. */
#include "suites.h"

#include "fixtures.h"
#include "train_transformer.h"
#include "transformer.h"

#include <ftw.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define U 0x1p-24

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size);
    if (!p) abort();
    return p;
}

static int light(void)
{
    const char *l = getenv("NNSIMD_CHECK_LIGHT");
    return l && *l && strcmp(l, "0") != 0;
}

/* S K u of the bounds above, for sequences of at most tmax tokens. */
static double depth_u(const nns_transformer_config *c, size_t tmax)
{
    double S = 9.0 * (double)c->layers + 3.0;
    double K = (double)(4 * c->dim > tmax ? 4 * c->dim : tmax) + 1.0;
    return S * K * U;
}

/* ---- the double-precision reference ----------------------------------- */

static void ref_layernorm(double *out, const double *x, const double *w, const double *b, size_t n,
                          size_t c)
{
    for (size_t i = 0; i < n; i++) {
        const double *xi = x + i * c;
        double mean = 0, var = 0;
        for (size_t k = 0; k < c; k++) mean += xi[k];
        mean /= (double)c;
        for (size_t k = 0; k < c; k++) var += (xi[k] - mean) * (xi[k] - mean);
        var /= (double)c;
        double r = 1.0 / sqrt(var + (double)1e-5f);
        for (size_t k = 0; k < c; k++) out[i * c + k] = (xi[k] - mean) * r * w[k] + b[k];
    }
}

/* out (n, oc) = in (n, c) . W^T + b */
static void ref_linear(double *out, const double *in, const double *w, const double *b, size_t n,
                       size_t c, size_t oc)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < oc; j++) {
            double s = b[j];
            for (size_t k = 0; k < c; k++) s += in[i * c + k] * w[j * c + k];
            out[i * oc + j] = s;
        }
}

/* Dropout's factors (1/(1-p) or 0) at m's sites as the model draws them
 * (models/transformer.h): site s's mask over the packed (N, C) rows, read
 * off nns_dropout applied to ones; (sites, N, C), NULL without dropout. */
static float *drop_factors(const nns_transformer *m, const int32_t *len, size_t n)
{
    if (m->dropout <= 0) return NULL;
    size_t N = 0, C = m->cfg.dim, sites = 1 + 2 * m->cfg.layers;
    for (size_t s = 0; s < n; s++) N += (size_t)len[s];
    float *ones = xcalloc(N * C, sizeof *ones), *f = xcalloc(sites * N * C, sizeof *f);
    for (size_t i = 0; i < N * C; i++) ones[i] = 1.0f;
    for (size_t s = 0; s < sites; s++)
        CU_ASSERT_EQUAL(nns_dropout(f + s * N * C, ones, N * C, m->dropout,
                                    nns_mix64(m->dropout_seed + s), 0), NNS_OK);
    free(ones);
    return f;
}

/* Mean cross-entropy of the model with parameters p (in m's layout) over
 * n sequences, with dropout's factors `drop` (drop_factors; NULL: none);
 * the logits (n, K) into logits and the pooled vectors (n, C) into pooled
 * if not NULL. */
static double ref_loss(const nns_transformer *m, const double *p, const int32_t *ids, size_t ld,
                       const int32_t *len, const int32_t *lab, size_t n, const float *drop,
                       double *logits, double *pooled)
{
    size_t N = 0, row = 0; /* packed rows in all; the first of sequence s */
    for (size_t s = 0; s < n; s++) N += (size_t)len[s];
    /* the factor of site `site` at sequence row i, column k */
#define DROP(site, i, k) (drop ? (double)drop[((site) * N + row + (i)) * C + (k)] : 1.0)
    const size_t C = m->cfg.dim, H = m->cfg.heads, D = C / H, K = m->cfg.classes, T = m->cfg.max_len;
    double *x = xcalloc(T * C, sizeof *x), *h = xcalloc(T * C, sizeof *h);
    double *qkv = xcalloc(T * 3 * C, sizeof *qkv), *att = xcalloc(T * C, sizeof *att);
    double *f = xcalloc(T * 4 * C, sizeof *f), *y = xcalloc(T * C, sizeof *y);
    double *sc = xcalloc(T, sizeof *sc), z[64], pool[256], loss = 0;
    for (size_t s = 0; s < n; s++) {
        const size_t t = (size_t)len[s];
        for (size_t i = 0; i < t; i++)
            for (size_t k = 0; k < C; k++)
                x[i * C + k] = (p[m->tok + (size_t)ids[s * ld + i] * C + k] + p[m->pos + i * C + k]) *
                               DROP(0, i, k);
        for (size_t l = 0; l < m->cfg.layers; l++) {
            const nns_tf_block *b = &m->blk[l];
            ref_layernorm(h, x, p + b->ln1_w, p + b->ln1_b, t, C);
            ref_linear(qkv, h, p + b->qkv_w, p + b->qkv_b, t, C, 3 * C);
            for (size_t j = 0; j < H; j++)
                for (size_t i = 0; i < t; i++) {
                    double mx = -INFINITY, sum = 0;
                    for (size_t kk = 0; kk < t; kk++) {
                        double d = 0;
                        for (size_t e = 0; e < D; e++)
                            d += qkv[i * 3 * C + j * D + e] * qkv[kk * 3 * C + C + j * D + e];
                        sc[kk] = d / sqrt((double)D);
                        mx = sc[kk] > mx ? sc[kk] : mx;
                    }
                    for (size_t kk = 0; kk < t; kk++) sum += (sc[kk] = exp(sc[kk] - mx));
                    for (size_t e = 0; e < D; e++) {
                        double o = 0;
                        for (size_t kk = 0; kk < t; kk++) o += sc[kk] / sum * qkv[kk * 3 * C + 2 * C + j * D + e];
                        att[i * C + j * D + e] = o;
                    }
                }
            ref_linear(y, att, p + b->proj_w, p + b->proj_b, t, C, C);
            for (size_t i = 0; i < t * C; i++) x[i] += y[i] * DROP(1 + 2 * l, i / C, i % C);
            ref_layernorm(h, x, p + b->ln2_w, p + b->ln2_b, t, C);
            ref_linear(f, h, p + b->fc1_w, p + b->fc1_b, t, C, 4 * C);
            for (size_t i = 0; i < t * 4 * C; i++) f[i] = 0.5 * f[i] * erfc(-f[i] / sqrt(2.0));
            ref_linear(y, f, p + b->fc2_w, p + b->fc2_b, t, 4 * C, C);
            for (size_t i = 0; i < t * C; i++) x[i] += y[i] * DROP(2 + 2 * l, i / C, i % C);
        }
        ref_layernorm(h, x, p + m->lnf_w, p + m->lnf_b, t, C);
        for (size_t k = 0; k < C; k++) {
            double a = 0;
            for (size_t i = 0; i < t; i++) a += h[i * C + k];
            pool[k] = t ? a / (double)t : 0;
        }
        ref_linear(z, pool, p + m->head_w, p + m->head_b, 1, C, K);
        double mx = z[0], se = 0;
        for (size_t k = 1; k < K; k++) mx = z[k] > mx ? z[k] : mx;
        for (size_t k = 0; k < K; k++) se += exp(z[k] - mx);
        loss += mx + log(se) - z[lab[s]];
        if (logits) memcpy(logits + s * K, z, K * sizeof *z);
        if (pooled) memcpy(pooled + s * C, pool, C * sizeof *pool);
        row += t;
    }
#undef DROP
    free(x), free(h), free(qkv), free(att), free(f), free(y), free(sc);
    return loss / (double)n;
}

/* Bounds of the logits (n, K) per the header: 4 S K u times the head's
 * absolute-value sum; returns the loss's bound. */
static double logit_bounds(const nns_transformer *m, const double *pooled, size_t n, double du,
                           double loss, double *bound)
{
    const size_t C = m->cfg.dim, K = m->cfg.classes;
    double pmax[256] = {0}, lb = 4 * U * fabs(loss);
    for (size_t s = 0; s < n; s++)
        for (size_t c = 0; c < C; c++) pmax[c] = fmax(pmax[c], fabs(pooled[s * C + c]));
    for (size_t k = 0; k < K; k++) {
        double a = fabs(m->params[m->head_b + k]);
        for (size_t c = 0; c < C; c++) a += fabs(m->params[m->head_w + k * C + c]) * pmax[c];
        for (size_t s = 0; s < n; s++) {
            bound[s * K + k] = 4 * du * a;
            lb += 2 * bound[s * K + k] / (double)n;
        }
    }
    return lb;
}

/* ---- a tiny batch --------------------------------------------------- */

typedef struct batch {
    size_t n;
    int32_t ids[16 * 64], len[16], lab[16];
} batch;

static void make_batch(batch *b, const nns_transformer_config *c, const int32_t *lengths, size_t n,
                       nns_rng *r)
{
    memset(b, 0, sizeof *b);
    b->n = n;
    for (size_t s = 0; s < n; s++) {
        b->len[s] = lengths[s];
        b->lab[s] = (int32_t)nns_rng_below(r, c->classes);
        for (int32_t i = 0; i < lengths[s]; i++)
            b->ids[s * c->max_len + (size_t)i] = (int32_t)nns_rng_below(r, c->vocab);
    }
}

/* ---- gradients against finite differences ------------------------------ */

static void gradients_fd(float dropout)
{
    const nns_transformer_config cfg = {13, 7, 8, 2, 2, 2};
    const int32_t lengths[] = {5, 7, 1, 3};
    const size_t n = 4;
    nns_transformer m;
    char err[256];
    CU_ASSERT_EQUAL_FATAL(nns_transformer_create(&m, &cfg, n, 1, err, sizeof err), 0);
    m.dropout = dropout, m.dropout_seed = 0x0123456789abcdefull;
    nns_rng r;
    nns_rng_seed(&r, 9);
    nns_transformer_init(&m, &r);
    batch b;
    make_batch(&b, &cfg, lengths, n, &r);
    float loss;
    CU_ASSERT_EQUAL_FATAL(nns_transformer_forward_backward(&m, b.ids, cfg.max_len, b.len, b.lab, n, &loss),
                          NNS_OK);

    double *p = xcalloc(m.nparams, sizeof *p), zt[16 * 2], pooled[16 * 8], bound[16 * 2];
    for (size_t i = 0; i < m.nparams; i++) p[i] = m.params[i];
    const double du = depth_u(&cfg, cfg.max_len);
    float *drop = drop_factors(&m, b.len, n);
    double truth = ref_loss(&m, p, b.ids, cfg.max_len, b.len, b.lab, n, drop, zt, pooled);
    double lb = logit_bounds(&m, pooled, n, du, truth, bound), worst_z = 0;
    for (size_t i = 0; i < n * cfg.classes; i++)
        worst_z = fmax(worst_z, fabs((double)m.logits[i] - zt[i]) / bound[i]);
    double worst_l = fabs((double)loss - truth) / lb;
    CU_ASSERT(worst_z <= 1.0);
    CU_ASSERT(worst_l <= 1.0);

    /* every element (every 5th when light), central differences at h and
     * 2h, extrapolated */
    const double h = 1e-4;
    const size_t stride = light() ? 5 : 1;
    double worst = 0;
    size_t checked = 0;
    for (size_t ti = 0; ti < m.ntensors; ti++) {
        const nns_param_tensor *t = &m.t[ti];
        size_t cnt = nns_param_count(t);
        double *fd = xcalloc(cnt, sizeof *fd), *fe = xcalloc(cnt, sizeof *fe), gmax = 0;
        for (size_t j = 0; j < cnt; j += stride) {
            double *q = p + t->offset + j, q0 = *q, d[2];
            for (int k = 0; k < 2; k++) {
                double hk = h * (k + 1);
                *q = q0 + hk;
                double up = ref_loss(&m, p, b.ids, cfg.max_len, b.len, b.lab, n, drop, NULL, NULL);
                *q = q0 - hk;
                double dn = ref_loss(&m, p, b.ids, cfg.max_len, b.len, b.lab, n, drop, NULL, NULL);
                d[k] = (up - dn) / (2 * hk);
            }
            *q = q0;
            fd[j] = (4 * d[0] - d[1]) / 3;
            fe[j] = fabs(d[0] - d[1]);
            gmax = fmax(gmax, fabs(fd[j]));
        }
        double gb = 8 * du * gmax, tw = 0;
        for (size_t j = 0; j < cnt; j += stride) {
            double e = fabs((double)m.grads[t->offset + j] - fd[j]) / (gb + fe[j] + 1e-300);
            if (e > 1)
                printf("\n    %s[%zu]: ours %.9g, finite differences %.9g, bound %.3g", t->name, j,
                       (double)m.grads[t->offset + j], fd[j], gb + fe[j]);
            tw = fmax(tw, e);
            checked++;
        }
        CU_ASSERT(tw <= 1.0);
        worst = fmax(worst, tw);
        free(fd), free(fe);
    }
    printf("\n    loss %.3g, logits %.3g, gradients %.3g of their bounds (%zu of %zu elements)\n",
           worst_l, worst_z, worst, checked, m.nparams);
    free(p), free(drop);
    nns_transformer_free(&m);
}

static void test_gradients_fd(void) { gradients_fd(0.0f); }
/* The same with dropout: the masks are a fixed function of the seed, so
 * the loss stays a smooth function of the weights. */
static void test_gradients_fd_dropout(void) { gradients_fd(0.25f); }

/* ---- one step against PyTorch ------------------------------------------- */

static void step_vs_torch(const char *fixture)
{
    st_file *f = fixture_open(fixture);
    if (!f) return;
    size_t nc = 0, nh = 0, nl = 0;
    const int32_t *c6 = st_i32(f, "config", &nc), *len = st_i32(f, "lengths", &nl);
    const float *hyper = st_f32(f, "hyper", &nh);
    CU_ASSERT_FATAL(c6 && nc == 6 && hyper && nh == 3 && len);
    const nns_transformer_config cfg = {(size_t)c6[0], (size_t)c6[1], (size_t)c6[2],
                                        (size_t)c6[3], (size_t)c6[4], (size_t)c6[5]};
    const size_t n = nl, K = cfg.classes;
    size_t ni = 0, nb = 0;
    const int32_t *ids = st_i32(f, "ids", &ni), *lab = st_i32(f, "labels", &nb);
    CU_ASSERT_FATAL(ids && ni == n * cfg.max_len && lab && nb == n);
    nns_transformer m;
    char err[256], name[96];
    CU_ASSERT_EQUAL_FATAL(nns_transformer_create(&m, &cfg, n, 1, err, sizeof err), 0);
    for (size_t i = 0; i < m.ntensors; i++) {
        snprintf(name, sizeof name, "init.%s", m.t[i].name);
        const float *w = fixture_f32(f, name, nns_param_count(&m.t[i]));
        if (w) memcpy(m.params + m.t[i].offset, w, nns_param_count(&m.t[i]) * sizeof *w);
    }
    /* dropout (the fixture with it): the rate and the 64-bit seed as two words */
    size_t nd = 0, ns = 0;
    const float *rate = st_f32(f, "dropout", &nd);
    const int32_t *seed = st_i32(f, "dropout_seed", &ns);
    if (rate && nd == 1 && seed && ns == 2) {
        m.dropout = rate[0];
        m.dropout_seed = (uint64_t)(uint32_t)seed[0] | (uint64_t)(uint32_t)seed[1] << 32;
    }
    float loss;
    CU_ASSERT_EQUAL_FATAL(nns_transformer_forward_backward(&m, ids, cfg.max_len, len, lab, n, &loss),
                          NNS_OK);

    /* logits and loss: twice the bounds around the truth */
    double *p = xcalloc(m.nparams, sizeof *p), *pooled = xcalloc(n * cfg.dim, sizeof *pooled);
    double *bound = xcalloc(n * K, sizeof *bound);
    for (size_t i = 0; i < m.nparams; i++) p[i] = m.params[i];
    const double du = depth_u(&cfg, cfg.max_len);
    float *drop = drop_factors(&m, len, n);
    double truth = ref_loss(&m, p, ids, cfg.max_len, len, lab, n, drop, NULL, pooled);
    double lb = logit_bounds(&m, pooled, n, du, truth, bound), wz = 0;
    const float *tz = fixture_f32(f, "logits", n * K), *tl = fixture_f32(f, "loss", 1);
    for (size_t i = 0; tz && i < n * K; i++) wz = fmax(wz, fabs((double)m.logits[i] - tz[i]) / (2 * bound[i]));
    double wl = tl ? fabs((double)loss - tl[0]) / (2 * lb) : 1e9;
    CU_ASSERT(wz <= 1.0);
    CU_ASSERT(wl <= 1.0);

    /* gradients normwise per tensor; the norm; then the update */
    float *g = xcalloc(m.nparams, sizeof *g);
    double *gb = xcalloc(m.ntensors, sizeof *gb), wg = 0, nb2 = 0;
    memcpy(g, m.grads, m.nparams * sizeof *g);
    for (size_t i = 0; i < m.ntensors; i++) {
        const nns_param_tensor *t = &m.t[i];
        size_t cnt = nns_param_count(t);
        snprintf(name, sizeof name, "grad.%s", t->name);
        const float *tg = fixture_f32(f, name, cnt);
        if (!tg) continue;
        double gmax = 0;
        for (size_t j = 0; j < cnt; j++) gmax = fmax(gmax, fabs(tg[j]));
        gb[i] = 2 * 8 * du * gmax + 1e-30;
        nb2 += (double)cnt * gb[i] * gb[i];
        for (size_t j = 0; j < cnt; j++) {
            double e = fabs((double)g[t->offset + j] - tg[j]) / gb[i];
            if (e > 1) printf("\n    %s[%zu]: ours %.9g, torch %.9g", name, j, (double)g[t->offset + j], tg[j]);
            wg = fmax(wg, e);
        }
    }
    CU_ASSERT(wg <= 1.0);
    const float lr = hyper[0], clip = hyper[2];
    nns_adam_config adam = {lr, 0.9f, 0.999f, 1e-8f, hyper[1], 1};
    float norm = 0;
    CU_ASSERT_EQUAL(nns_transformer_update(&m, &adam, 1, clip, &norm), NNS_OK);
    const float *tn = fixture_f32(f, "grad_norm", 1);
    double norm_b = sqrt(nb2) + (double)m.nparams * U * fabs((double)norm);
    double wn = tn ? fabs((double)norm - tn[0]) / norm_b : 1e9;
    CU_ASSERT(wn <= 1.0);
    /* the clipped gradient's bound: coef dg + |g| dcoef, coef = clip / norm */
    double coef = fmin(1.0, clip / (norm + 1e-6)), dcoef = coef * norm_b / norm, wp = 0;
    for (size_t i = 0; i < m.ntensors; i++) {
        const nns_param_tensor *t = &m.t[i];
        size_t cnt = nns_param_count(t);
        snprintf(name, sizeof name, "after.%s", t->name);
        const float *tp = fixture_f32(f, name, cnt);
        for (size_t j = 0; tp && j < cnt; j++) {
            double gj = fabs((double)g[t->offset + j]), dg = coef * gb[i] + gj * dcoef;
            double b = 2 * U * fabs(tp[j]) + lr * fmin(2.0, 2 * dg / (coef * gj + 1e-8));
            double e = fabs((double)m.params[t->offset + j] - tp[j]) / b;
            if (e > 1) printf("\n    %s[%zu]: ours %.9g, torch %.9g", name, j, (double)m.params[t->offset + j], tp[j]);
            wp = fmax(wp, e);
        }
    }
    CU_ASSERT(wp <= 1.0);
    printf("\n    vs torch (%s): logits %.3g, loss %.3g, gradients %.3g, norm %.3g, updated weights "
           "%.3g of their bounds\n", fixture, wz, wl, wg, wn, wp);
    free(p), free(pooled), free(bound), free(g), free(gb), free(drop);
    nns_transformer_free(&m);
    st_close(f);
}

static void test_step_vs_torch(void)
{
    step_vs_torch("transformer_step");
    step_vs_torch("transformer_step_dropout");
}

/* ---- threads --------------------------------------------------------------- */

static void test_threads_same_bits(void)
{
    const nns_transformer_config cfg = {29, 37, 24, 3, 2, 3};
    const int32_t lengths[] = {37, 12, 0, 1, 30, 25, 36, 5, 19};
    const size_t n = 9;
    nns_transformer m[3];
    float loss[3], loss2[3];
    char err[256];
    batch b, b2;
    nns_rng r;
    nns_rng_seed(&r, 4);
    make_batch(&b, &cfg, lengths, n, &r);
    make_batch(&b2, &cfg, lengths, n, &r);
    nns_adam_config adam = {1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f, 1};
    /* 3 threads on fewer cores spin at every barrier: under emulation,
     * where that costs seconds, 1 and 2 threads only */
    const int models = light() ? 2 : 3;
    for (int k = 0; k < models; k++) {
        CU_ASSERT_EQUAL_FATAL(nns_transformer_create(&m[k], &cfg, n, k + 1, err, sizeof err), 0);
        nns_rng_seed(&r, 17);
        nns_transformer_init(&m[k], &r);
        m[k].dropout = 0.2f, m[k].dropout_seed = 99; /* each thread draws its rows' masks */
        CU_ASSERT_EQUAL(nns_transformer_forward_backward(&m[k], b.ids, cfg.max_len, b.len, b.lab, n,
                                                         &loss[k]), NNS_OK);
    }
    for (int k = 1; k < models; k++) {
        CU_ASSERT(memcmp(&loss[0], &loss[k], sizeof(float)) == 0);
        CU_ASSERT(memcmp(m[0].grads, m[k].grads, m[0].nparams * sizeof(float)) == 0);
    }
    /* the update (clipping: 0.5 is below the norm), then a second step */
    for (int k = 0; k < models; k++) {
        CU_ASSERT_EQUAL(nns_transformer_update(&m[k], &adam, 1, 0.5f, NULL), NNS_OK);
        if (k) CU_ASSERT(memcmp(m[0].params, m[k].params, m[0].nparams * sizeof(float)) == 0);
        CU_ASSERT_EQUAL(nns_transformer_forward_backward(&m[k], b2.ids, cfg.max_len, b2.len, b2.lab, n,
                                                         &loss2[k]), NNS_OK);
        if (k) CU_ASSERT(memcmp(&loss2[0], &loss2[k], sizeof(float)) == 0);
    }
    CU_ASSERT(isfinite(loss[0]) && isfinite(loss2[0]));
    /* bad input is refused */
    int32_t bad_len[1] = {38}, bad_ids[37] = {29};
    CU_ASSERT_EQUAL(nns_transformer_forward(&m[0], b.ids, cfg.max_len, bad_len, 1), NNS_ERR_ARG);
    int32_t one[1] = {1};
    CU_ASSERT_EQUAL(nns_transformer_forward(&m[0], bad_ids, cfg.max_len, one, 1), NNS_ERR_ARG);
    CU_ASSERT_EQUAL(nns_transformer_forward(&m[0], b.ids, cfg.max_len, b.len, n + 1), NNS_ERR_ARG);
    for (int k = 0; k < models; k++) nns_transformer_free(&m[k]);
}

/* ---- --detect-anomaly ------------------------------------------------------- */

static void test_detect_anomaly(void)
{
    const nns_transformer_config cfg = {29, 16, 24, 3, 2, 3};
    const int32_t lengths[] = {16, 0, 5, 11};
    const size_t n = 4;
    batch b;
    nns_rng r;
    nns_rng_seed(&r, 8);
    make_batch(&b, &cfg, lengths, n, &r);
    nns_adam_config adam = {1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f, 1};
    for (int threads = 1; threads <= 2; threads++) {
        nns_transformer m;
        char err[256];
        float loss = 0;
        CU_ASSERT_EQUAL_FATAL(nns_transformer_create(&m, &cfg, n, threads, err, sizeof err), 0);
        nns_rng_seed(&r, 9);
        nns_transformer_init(&m, &r);
        m.anomaly.enabled = 1;
        /* a clean step (clipped: the scale runs too) passes every check */
        CU_ASSERT_EQUAL(nns_transformer_forward_backward(&m, b.ids, cfg.max_len, b.len, b.lab, n,
                                                         &loss), NNS_OK);
        CU_ASSERT_EQUAL(nns_transformer_update(&m, &adam, 1, 1e-3f, NULL), NNS_OK);
        /* an infinite gradient: the first kernel to see it is the norm's */
        m.grads[m.blk[0].proj_b + 2] = INFINITY;
        CU_ASSERT_EQUAL(nns_transformer_update(&m, &adam, 2, 1e-3f, NULL), NNS_ANOMALY_STATUS);
        CU_ASSERT_STRING_EQUAL(m.anomaly.msg, "sum_squares (gradient norm) produced a non-finite value "
                                              "(inf at element 0)");
        /* a NaN weight of blocks.1.fc1 (output feature 5): its forward,
         * the pre-activation of row 0, for any thread count */
        m.params[m.blk[1].fc1_w + 5 * cfg.dim] = NAN;
        CU_ASSERT_EQUAL(nns_transformer_forward_backward(&m, b.ids, cfg.max_len, b.len, b.lab, n,
                                                         &loss), NNS_ANOMALY_STATUS);
        CU_ASSERT_STRING_EQUAL(m.anomaly.msg, "linear_fwd (blocks.1.fc1, pre) produced a non-finite "
                                              "value (nan at element 5)");
        /* unchecked: the call succeeds, the loss is NaN */
        m.anomaly.enabled = 0;
        CU_ASSERT_EQUAL(nns_transformer_forward_backward(&m, b.ids, cfg.max_len, b.len, b.lab, n,
                                                         &loss), NNS_OK);
        CU_ASSERT(isnan(loss));
        nns_transformer_free(&m);
    }
}

/* ---- training: stop, resume, same bits ------------------------------------ */

static char tmp_root[64];

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

/* A small aclImdb release: 24 training and 8 test reviews per class. */
static int make_reviews(void)
{
    static const char *const good[] = {"great", "wonderful", "loved", "superb", "fun"};
    static const char *const bad[] = {"awful", "boring", "hated", "dull", "waste"};
    static const char *const plain[] = {"the", "movie", "film", "a", "plot", "actor", "was", "and",
                                        "it", "story", "scene", "director's"};
    const char *split[] = {"train", "test"}, *cls[] = {"neg", "pos"};
    nns_rng r;
    nns_rng_seed(&r, 77);
    for (int s = 0; s < 2; s++)
        for (int c = 0; c < 2; c++) {
            char dir[256];
            snprintf(dir, sizeof dir, "%s/aclImdb/%s/%s", tmp_root, split[s], cls[c]);
            char p[300];
            snprintf(p, sizeof p, "%s/aclImdb", tmp_root);
            mkdir(p, 0755);
            snprintf(p, sizeof p, "%s/aclImdb/%s", tmp_root, split[s]);
            mkdir(p, 0755);
            if (mkdir(dir, 0755) != 0) return -1;
            for (int i = 0; i < (s ? 8 : 24); i++) {
                snprintf(p, sizeof p, "%s/%d_%d.txt", dir, i, c ? 8 : 2);
                FILE *f = fopen(p, "w");
                if (!f) return -1;
                size_t words = 3 + nns_rng_below(&r, 20);
                for (size_t w = 0; w < words; w++) {
                    int senti = nns_rng_below(&r, 4) == 0;
                    const char *word = senti ? (c ? good : bad)[nns_rng_below(&r, 5)]
                                             : plain[nns_rng_below(&r, 12)];
                    fprintf(f, "%s%s", w ? (nns_rng_below(&r, 8) ? " " : ". <br /><br />") : "", word);
                }
                fclose(f);
            }
        }
    return 0;
}

/* The "loss" values of a JSON-lines log, as text (%.9g: the exact float). */
static size_t read_losses(const char *path, char out[][24], size_t max)
{
    FILE *f = fopen(path, "r");
    char line[512];
    size_t n = 0;
    while (f && n < max && fgets(line, sizeof line, f)) {
        const char *l = strstr(line, "\"loss\":");
        if (!strstr(line, "\"step\":") || !l) continue;
        l += 7;
        size_t k = strcspn(l, ",");
        snprintf(out[n++], 24, "%.*s", (int)(k < 23 ? k : 23), l);
    }
    if (f) fclose(f);
    return n;
}

static int run(const char *log, int threads, uint64_t max_steps, const char *save, const char *resume)
{
    char data[128];
    snprintf(data, sizeof data, "%s/aclImdb", tmp_root);
    nns_tf_train_opts o;
    nns_tf_train_defaults(&o);
    o.data = data;
    o.epochs = 2;
    o.batch = 8;
    o.max_len = 16;
    o.vocab = 24;
    o.layers = 2;
    o.heads = 2;
    o.dim = 16;
    o.seed = 3;
    o.threads = threads;
    o.max_steps = max_steps;
    o.log = log;
    o.save = save;
    o.resume = resume;
    fflush(stdout);
    int rc = nns_train_transformer(&o);
    fflush(stdout);
    return rc;
}

static void test_resume_same_bits(void)
{
    snprintf(tmp_root, sizeof tmp_root, "/tmp/nnsimd-transformer-XXXXXX");
    CU_ASSERT_FATAL(mkdtemp(tmp_root) != NULL);
    CU_ASSERT_EQUAL_FATAL(make_reviews(), 0);
    char la[128], lb[128], ck[128];
    snprintf(la, sizeof la, "%s/a.jsonl", tmp_root);
    snprintf(ck, sizeof ck, "%s/ck.safetensors", tmp_root);
    static char want[16][24], got[16][24];
    printf("\n");
    CU_ASSERT_EQUAL_FATAL(run(la, 1, 0, NULL, NULL), 0); /* 48 reviews, batch 8: 6 steps an epoch */
    size_t n = read_losses(la, want, 16);
    CU_ASSERT_EQUAL(n, 12);
    /* stopped mid-epoch (step 4) and at an epoch's end (step 6), resumed
     * on 2 threads (on 1 for the second under emulation: see above) */
    const uint64_t stops[] = {4, 6};
    for (int k = 0; k < 2; k++) {
        snprintf(lb, sizeof lb, "%s/b%d.jsonl", tmp_root, k);
        CU_ASSERT_EQUAL(run(lb, 1, stops[k], ck, NULL), 0);
        CU_ASSERT_EQUAL(run(lb, k && light() ? 1 : 2, 0, ck, ck), 0);
        size_t m = read_losses(lb, got, 16);
        CU_ASSERT_EQUAL(m, n);
        for (size_t i = 0; i < n && i < m; i++) {
            if (strcmp(want[i], got[i]) != 0)
                printf("\n    stopped at %d: step %zu: loss %s, uninterrupted %s", (int)stops[k], i + 1,
                       got[i], want[i]);
            CU_ASSERT_STRING_EQUAL(got[i], want[i]);
        }
    }
    /* a checkpoint of another model is refused */
    char dir[128];
    snprintf(dir, sizeof dir, "%s/aclImdb", tmp_root);
    nns_tf_train_opts o;
    nns_tf_train_defaults(&o);
    o.data = dir, o.max_len = 16, o.vocab = 24, o.dim = 32, o.heads = 2, o.resume = ck;
    printf("    (a refused checkpoint:) ");
    fflush(stdout);
    CU_ASSERT_EQUAL(nns_train_transformer(&o), 1);
    nftw(tmp_root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

int register_transformer_suite(void)
{
    CU_pSuite s = CU_add_suite("transformer", NULL, NULL);
    if (!s || !CU_add_test(s, "gradients_vs_finite_differences", test_gradients_fd) ||
        !CU_add_test(s, "gradients_vs_finite_differences_dropout", test_gradients_fd_dropout) ||
        !CU_add_test(s, "one_step_vs_torch", test_step_vs_torch) ||
        !CU_add_test(s, "threads_same_bits", test_threads_same_bits) ||
        !CU_add_test(s, "resume_same_bits", test_resume_same_bits) ||
        !CU_add_test(s, "detect_anomaly", test_detect_anomaly))
        return CU_get_error();
    return 0;
}
