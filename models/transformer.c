/* The transformer encoder classifier over the public kernels (see
 * transformer.h for the model, the packed rows and the threading). */
#include "transformer.h"

#include "columns.h"
#include "floats.h"
#include "share.h"

#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LN_BLOCK 128     /* rows per partial sum of a layer norm's parameter gradients */
#define NORM_CHUNK 32768 /* floats per partial sum of the gradient norm */
#define LN_EPS 1e-5f     /* nn.LayerNorm's default */

/* ---- sizes, allocation, initialization ------------------------------ */

int nns_transformer_check(const nns_transformer_config *cfg, char *err, size_t err_len)
{
    if (!cfg->vocab || !cfg->max_len || !cfg->dim || !cfg->heads || !cfg->layers || !cfg->classes) {
        snprintf(err, err_len, "every size of the model must be positive");
        return -1;
    }
    if (cfg->dim % cfg->heads) {
        snprintf(err, err_len, "--dim %zu is not a multiple of --heads %zu", cfg->dim, cfg->heads);
        return -1;
    }
    if (cfg->layers > NNS_TF_MAX_LAYERS) {
        snprintf(err, err_len, "--layers %zu: at most %d", cfg->layers, NNS_TF_MAX_LAYERS);
        return -1;
    }
    if (cfg->vocab > INT32_MAX || cfg->max_len > (1u << 20) || cfg->dim > 65536 ||
        cfg->classes > 65536) {
        snprintf(err, err_len, "the model's sizes are too large (vocabulary < 2^31, length <= 2^20, "
                               "width <= 65536)");
        return -1;
    }
    return 0;
}

static size_t add_tensor(nns_transformer *m, const char *name, size_t d0, size_t d1)
{
    nns_param_tensor *t = &m->t[m->ntensors++];
    snprintf(t->name, sizeof t->name, "%s", name);
    t->offset = m->nparams;
    t->rank = d1 ? 2 : 1;
    t->dims[0] = d0;
    t->dims[1] = d1;
    m->nparams += d0 * (d1 ? d1 : 1);
    return t->offset;
}

static size_t block_tensor(nns_transformer *m, size_t l, const char *what, size_t d0, size_t d1)
{
    char name[48];
    snprintf(name, sizeof name, "blocks.%zu.%s", l, what);
    return add_tensor(m, name, d0, d1);
}

static float *floats(size_t n, int *ok)
{
    float *p = nns_floats(n);
    if (!p) *ok = 0;
    return p;
}

static size_t max_sz(size_t a, size_t b) { return a > b ? a : b; }

/* Workspace bytes of the linear calls of shape (n, c, oc). */
static size_t linear_ws(size_t n, size_t c, size_t oc, nns_act act)
{
    return max_sz(nns_linear_fwd_workspace_size(n, c, oc, act),
                  nns_linear_bwd_workspace_size(n, c, oc, NNS_ACT_NONE));
}

int nns_transformer_create(nns_transformer *m, const nns_transformer_config *cfg, size_t batch,
                           int threads, char *err, size_t err_len)
{
    memset(m, 0, sizeof *m);
    if (nns_transformer_check(cfg, err, err_len) != 0) return -1;
    if (batch == 0 || batch > 65536) {
        snprintf(err, err_len, "batch %zu: expected 1..65536", batch);
        return -1;
    }
    m->cfg = *cfg;
    m->batch = batch;
    m->max_rows = batch * cfg->max_len;
    m->threads = threads < 1 ? 1 : threads;
    const size_t C = cfg->dim, V = cfg->vocab, T = cfg->max_len, K = cfg->classes, L = cfg->layers;
    const size_t H = cfg->heads, R = m->max_rows, B = batch;
    int ok = 1;
    m->t = calloc(2 + 12 * L + 4, sizeof *m->t);
    m->blk = calloc(L, sizeof *m->blk);
    m->a = calloc(L, sizeof *m->a);
    if (!m->t || !m->blk || !m->a) {
        nns_transformer_free(m);
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    m->tok = add_tensor(m, "tok_emb.weight", V, C);
    m->pos = add_tensor(m, "pos_emb.weight", T, C);
    for (size_t l = 0; l < L; l++) {
        nns_tf_block *b = &m->blk[l];
        b->ln1_w = block_tensor(m, l, "ln1.weight", C, 0);
        b->ln1_b = block_tensor(m, l, "ln1.bias", C, 0);
        b->qkv_w = block_tensor(m, l, "qkv.weight", 3 * C, C);
        b->qkv_b = block_tensor(m, l, "qkv.bias", 3 * C, 0);
        b->proj_w = block_tensor(m, l, "proj.weight", C, C);
        b->proj_b = block_tensor(m, l, "proj.bias", C, 0);
        b->ln2_w = block_tensor(m, l, "ln2.weight", C, 0);
        b->ln2_b = block_tensor(m, l, "ln2.bias", C, 0);
        b->fc1_w = block_tensor(m, l, "fc1.weight", 4 * C, C);
        b->fc1_b = block_tensor(m, l, "fc1.bias", 4 * C, 0);
        b->fc2_w = block_tensor(m, l, "fc2.weight", C, 4 * C);
        b->fc2_b = block_tensor(m, l, "fc2.bias", C, 0);
    }
    m->lnf_w = add_tensor(m, "ln_f.weight", C, 0);
    m->lnf_b = add_tensor(m, "ln_f.bias", C, 0);
    m->head_w = add_tensor(m, "head.weight", K, C);
    m->head_b = add_tensor(m, "head.bias", K, 0);

    m->params = floats(m->nparams, &ok), m->grads = floats(m->nparams, &ok);
    m->m = floats(m->nparams, &ok), m->v = floats(m->nparams, &ok);
    m->ids = calloc(R, sizeof *m->ids), m->pos_ids = calloc(R, sizeof *m->pos_ids);
    m->len = calloc(B, sizeof *m->len), m->off = calloc(B + 1, sizeof *m->off);
    ok = ok && m->ids && m->pos_ids && m->len && m->off;
    for (size_t l = 0; l < L; l++) {
        nns_tf_acts *a = &m->a[l];
        a->x = floats(R * C, &ok), a->ln1 = floats(R * C, &ok);
        a->mean1 = floats(R, &ok), a->rstd1 = floats(R, &ok);
        a->qkv = floats(3 * R * C, &ok), a->att = floats(R * C, &ok), a->lse = floats(H * R, &ok);
        a->mid = floats(R * C, &ok), a->ln2 = floats(R * C, &ok);
        a->mean2 = floats(R, &ok), a->rstd2 = floats(R, &ok);
        a->pre = floats(4 * R * C, &ok), a->hid = floats(4 * R * C, &ok);
    }
    m->xf = floats(R * C, &ok), m->lnf = floats(R * C, &ok);
    m->meanf = floats(R, &ok), m->rstdf = floats(R, &ok);
    m->pooled = floats(B * C, &ok), m->logits = floats(B * K, &ok);
    m->dx = floats(R * C, &ok), m->dln = floats(R * C, &ok), m->dqkv = floats(3 * R * C, &ok);
    m->datt = floats(R * C, &ok), m->dhid = floats(4 * R * C, &ok), m->dpre = floats(4 * R * C, &ok);
    m->tmp = floats(R * C, &ok);
    m->dpooled = floats(B * C, &ok), m->dlogits = floats(B * K, &ok);
    m->lnpart = floats((R + LN_BLOCK - 1) / LN_BLOCK * 2 * C, &ok);

    /* Workspaces from the active ISA's size functions, for every shape a
     * thread may call: its rows (at most all R), its output features. */
    const int nt = m->threads;
    const size_t shapes[5][3] = {{C, 3 * C, NNS_ACT_NONE}, {C, C, NNS_ACT_NONE},
                                 {C, 4 * C, NNS_ACT_GELU}, {4 * C, C, NNS_ACT_NONE},
                                 {C, K, NNS_ACT_NONE}};
    size_t widest = 0;
    for (int s = 0; s < 5; s++) {
        size_t c = shapes[s][0], oc = shapes[s][1], rows = s == 4 ? B : R;
        nns_act act = (nns_act)shapes[s][2];
        size_t part = (oc + (size_t)nt - 1) / (size_t)nt;
        m->ws_bytes = max_sz(m->ws_bytes, linear_ws(rows, c, oc, act));
        m->ws_bytes = max_sz(m->ws_bytes, linear_ws((rows + (size_t)nt - 1) / (size_t)nt, c, oc, act));
        m->ws_bytes = max_sz(m->ws_bytes, linear_ws(rows, c, part, NNS_ACT_NONE));
        if (part > 0) m->ws_bytes = max_sz(m->ws_bytes, linear_ws(rows, c, part - 1, NNS_ACT_NONE));
        if (part < oc) widest = max_sz(widest, rows * part);
    }
    size_t d = C / H;
    m->ws_bytes = max_sz(m->ws_bytes, nns_attention_fwd_workspace_size(T, d));
    m->ws_bytes = max_sz(m->ws_bytes, nns_attention_bwd_workspace_size(T, d));
    if (m->ws_bytes == SIZE_MAX) ok = 0;
    m->gcols_floats = widest;
    m->ws = calloc((size_t)nt, sizeof *m->ws);
    m->gcols = calloc((size_t)nt, sizeof *m->gcols);
    ok = ok && m->ws && m->gcols;
    for (int t = 0; ok && t < nt; t++) {
        m->ws[t] = malloc(m->ws_bytes ? m->ws_bytes : 1);
        m->gcols[t] = widest ? malloc(widest * sizeof(float)) : NULL;
        ok = m->ws[t] && (!widest || m->gcols[t]);
    }
    if (!ok) {
        size_t np = m->nparams;
        nns_transformer_free(m);
        snprintf(err, err_len, "out of memory for a %zu-parameter transformer at batch %zu x %zu",
                 np, batch, cfg->max_len);
        return -1;
    }
    return 0;
}

void nns_transformer_free(nns_transformer *m)
{
    free(m->params), free(m->grads), free(m->m), free(m->v);
    free(m->ids), free(m->pos_ids), free(m->len), free(m->off);
    for (size_t l = 0; m->a && l < m->cfg.layers; l++) {
        nns_tf_acts *a = &m->a[l];
        free(a->x), free(a->ln1), free(a->mean1), free(a->rstd1), free(a->qkv), free(a->att);
        free(a->lse), free(a->mid), free(a->ln2), free(a->mean2), free(a->rstd2), free(a->pre);
        free(a->hid);
    }
    free(m->a);
    free(m->xf), free(m->lnf), free(m->meanf), free(m->rstdf), free(m->pooled), free(m->logits);
    free(m->dx), free(m->dln), free(m->dqkv), free(m->datt), free(m->dhid), free(m->dpre);
    free(m->tmp), free(m->dpooled), free(m->dlogits), free(m->lnpart);
    for (int t = 0; m->ws && t < m->threads; t++) free(m->ws[t]);
    for (int t = 0; m->gcols && t < m->threads; t++) free(m->gcols[t]);
    free(m->ws), free(m->gcols), free(m->t), free(m->blk);
    memset(m, 0, sizeof *m);
}

void nns_transformer_init(nns_transformer *m, nns_rng *rng)
{
    for (size_t i = 0; i < m->ntensors; i++) {
        const nns_param_tensor *t = &m->t[i];
        float *p = m->params + t->offset;
        size_t n = nns_param_count(t), len = strlen(t->name);
        int is_ln = strstr(t->name, "ln") != NULL; /* ln1, ln2, ln_f */
        if (strstr(t->name, "_emb.")) {
            for (size_t j = 0; j < n; j++) p[j] = nns_rng_normal(rng);
        } else if (is_ln) {
            float v = strcmp(t->name + len - 6, "weight") == 0 ? 1.0f : 0.0f;
            for (size_t j = 0; j < n; j++) p[j] = v;
        } else { /* nn.Linear: fan_in is the weight's second dimension */
            const nns_param_tensor *w = t->rank == 2 ? t : t - 1;
            float bound = 1.0f / sqrtf((float)w->dims[1]);
            for (size_t j = 0; j < n; j++) p[j] = nns_rng_uniform(rng, -bound, bound);
        }
    }
}

/* ---- threading helpers ---------------------------------------------- */

/* Keeps the first failure of any thread. */
static void note(nns_status *status, nns_status s)
{
    if (s == NNS_OK) return;
#pragma omp critical(nns_tf_status)
    {
        if (*status == NNS_OK) *status = s;
    }
}

/* --detect-anomaly, inside a parallel region: right after a kernel's
 * calls, on every thread of the team (never under a condition that
 * differs between threads), the team waits, then one thread scans the
 * whole output. So the first fault found is the same for any thread
 * count. Off, a check is one branch. */
static void check(nns_transformer *m, const char *kernel, const char *where, const char *what,
                  const float *p, size_t n)
{
    if (!m->anomaly.enabled) return;
#pragma omp barrier
#pragma omp single
    nns_anomaly_scan(&m->anomaly, kernel, where, what, p, n);
}

/* A check whose place is the module of parameter tensor w ("blocks.1.fc1"). */
static void check_module(nns_transformer *m, const char *kernel, const float *w, const char *what,
                         const float *p, size_t n)
{
    if (!m->anomaly.enabled) return;
    size_t i = 0, off = (size_t)(w - m->params); /* w is a tensor's first element */
    while (m->t[i].offset != off && i + 1 < m->ntensors) i++;
    char where[sizeof m->t->name];
    snprintf(where, sizeof where, "%s", m->t[i].name);
    *strrchr(where, '.') = '\0'; /* "blocks.1.fc1.weight": the module */
    check(m, kernel, where, what, p, n);
}

/* A check whose place is block l ("blocks.1"). */
static void check_block(nns_transformer *m, const char *kernel, size_t l, const char *what,
                        const float *p, size_t n)
{
    if (!m->anomaly.enabled) return;
    char where[32];
    snprintf(where, sizeof where, "blocks.%zu", l);
    check(m, kernel, where, what, p, n);
}

/* Thread t's sequences [*lo, *hi): contiguous ranges of about equal
 * attention cost (len^2 + len per sequence). Which thread runs a sequence
 * does not change its result. */
static void seq_share(const nns_transformer *m, int t, int nt, size_t *lo, size_t *hi)
{
    double total = 0;
    for (size_t s = 0; s < m->nseq; s++) total += (double)m->len[s] * (double)(m->len[s] + 1);
    double from = total * t / nt, to = total * (t + 1) / nt, acc = 0;
    *lo = *hi = m->nseq;
    int have_lo = 0;
    for (size_t s = 0; s < m->nseq; s++) {
        double mid = acc + 0.5 * (double)m->len[s] * (double)(m->len[s] + 1);
        if (!have_lo && mid >= from) *lo = s, have_lo = 1;
        if (mid >= to) {
            *hi = s;
            break;
        }
        acc += (double)m->len[s] * (double)(m->len[s] + 1);
    }
    if (t == nt - 1) *hi = m->nseq;
    if (t == 0) *lo = 0;
    if (*hi < *lo) *hi = *lo;
}

/* The calls below run inside a parallel region: t is the thread, nt the
 * team's size; they end without a barrier unless they say so. */

/* out = act(in . W^T + b) on this thread's rows of n. */
static void rows_linear(nns_transformer *m, int t, int nt, float *out, float *pre, const float *in,
                        const float *w, const float *b, size_t n, size_t c, size_t oc, nns_act act,
                        nns_status *st)
{
    size_t lo, hi;
    nns_share(n, t, nt, &lo, &hi);
    if (hi > lo)
        note(st, nns_linear_fwd(out + lo * oc, pre ? pre + lo * oc : NULL, in + lo * c, w, b,
                                hi - lo, c, oc, act, m->ws[t]));
    if (pre) check_module(m, "linear_fwd", w, "pre", pre, n * oc);
    check_module(m, "linear_fwd", w, "out", out, n * oc);
}

/* The backward of a linear layer without activation, from g (n, oc):
 * din = g . W (overwritten, this thread's rows; skipped if din is NULL),
 * then dW += g^T in and db += sum g for this thread's output features
 * (its columns of g copied out when it does not own them all). */
static void linear_backward(nns_transformer *m, int t, int nt, float *din, float *dw, float *db,
                            const float *g, const float *in, const float *w, size_t n, size_t c,
                            size_t oc, nns_status *st)
{
    size_t lo, hi;
    if (din) {
        nns_share(n, t, nt, &lo, &hi);
        if (hi > lo) {
            memset(din + lo * c, 0, (hi - lo) * c * sizeof(float));
            note(st, nns_linear_bwd(din + lo * c, NULL, NULL, g + lo * oc, NULL, in + lo * c, w,
                                    hi - lo, c, oc, NNS_ACT_NONE, m->ws[t]));
        }
    }
    nns_share(oc, t, nt, &lo, &hi);
    size_t cnt = hi - lo;
    if (cnt > 0) {
        const float *cols = nns_columns_dense(m->gcols[t], g, n, oc, lo, cnt);
        note(st, nns_linear_bwd(NULL, dw + lo * c, db + lo, cols, NULL, in, w + lo * c, n, c, cnt,
                                NNS_ACT_NONE, m->ws[t]));
    }
    if (din) check_module(m, "linear_bwd", w, "din", din, n * c);
    check_module(m, "linear_bwd", w, "dweight", dw, oc * c);
    check_module(m, "linear_bwd", w, "dbias", db, oc);
}

/* Layer norm of this thread's rows. */
static void rows_layernorm(nns_transformer *m, int t, int nt, float *out, float *mean, float *rstd,
                           const float *in, const float *w, const float *b, size_t n, size_t c,
                           nns_status *st)
{
    size_t lo, hi;
    nns_share(n, t, nt, &lo, &hi);
    if (hi > lo)
        note(st, nns_layernorm_fwd(out + lo * c, mean + lo, rstd + lo, in + lo * c, w, b, hi - lo, c,
                                   LN_EPS));
    check_module(m, "layernorm_fwd", w, "out", out, n * c);
    check_module(m, "layernorm_fwd", w, "mean", mean, n);
    check_module(m, "layernorm_fwd", w, "rstd", rstd, n);
}

/* din += the layer norm's input gradient; dw, db += its parameter
 * gradients, summed over fixed blocks of LN_BLOCK rows, the blocks'
 * sums then added in block order. Ends with a barrier. */
static void layernorm_backward(nns_transformer *m, float *din, float *dw, float *db,
                               const float *dout, const float *in, const float *w,
                               const float *mean, const float *rstd, size_t n, size_t c,
                               nns_status *st)
{
    size_t nb = (n + LN_BLOCK - 1) / LN_BLOCK;
#pragma omp for schedule(static)
    for (size_t k = 0; k < nb; k++) {
        size_t r0 = k * LN_BLOCK, nr = n - r0 < LN_BLOCK ? n - r0 : LN_BLOCK;
        float *pw = m->lnpart + k * 2 * c, *pb = pw + c;
        memset(pw, 0, 2 * c * sizeof(float));
        note(st, nns_layernorm_bwd(din + r0 * c, pw, pb, dout + r0 * c, in + r0 * c, w, mean + r0,
                                   rstd + r0, nr, c));
    }
#pragma omp for schedule(static)
    for (size_t j = 0; j < c; j++) {
        float sw = dw[j], sb = db[j];
        for (size_t k = 0; k < nb; k++) {
            sw += m->lnpart[k * 2 * c + j];
            sb += m->lnpart[k * 2 * c + c + j];
        }
        dw[j] = sw, db[j] = sb;
    }
    check_module(m, "layernorm_bwd", w, "din", din, n * c);
    check_module(m, "layernorm_bwd", w, "dweight", dw, c);
    check_module(m, "layernorm_bwd", w, "dbias", db, c);
}

/* out = a + b on this thread's rows. */
static void rows_add(int t, int nt, float *out, const float *a, const float *b, size_t n, size_t c,
                     nns_status *st)
{
    size_t lo, hi;
    nns_share(n, t, nt, &lo, &hi);
    if (hi > lo) note(st, nns_add(out + lo * c, a + lo * c, b + lo * c, (hi - lo) * c));
}

/* Dropout's sites (transformer.h): the embeddings, then two per block. */
#define SITE_EMBEDDING 0
#define SITE_ATTENTION(l) (1 + 2 * (l))
#define SITE_MLP(l) (2 + 2 * (l))

/* out = drop(in) on this thread's rows, with the mask of `site`. */
static void rows_dropout(const nns_transformer *m, int t, int nt, float *out, const float *in,
                         size_t site, size_t n, size_t c, nns_status *st)
{
    size_t lo, hi;
    nns_share(n, t, nt, &lo, &hi);
    if (hi > lo)
        note(st, nns_dropout(out + lo * c, in + lo * c, (hi - lo) * c, m->dropout,
                             nns_mix64(m->dropout_seed + site), lo * c));
}

/* The gradient of a dropped residual branch, from dx (the gradient of the
 * residual sum): drop(dx) with the branch's mask into m->tmp, complete on
 * every thread's return (the weight gradients read all rows); dx itself
 * when there is no dropout. */
static const float *branch_grad(nns_transformer *m, int t, int nt, size_t site, size_t n,
                                size_t c, nns_status *st)
{
    if (m->dropout <= 0) return m->dx;
    rows_dropout(m, t, nt, m->tmp, m->dx, site, n, c, st);
#pragma omp barrier
    return m->tmp;
}

/* ---- forward ---------------------------------------------------------- */

/* Packs the batch: rows, positions, offsets. */
static nns_status pack(nns_transformer *m, const int32_t *ids, size_t ld, const int32_t *len,
                       size_t n)
{
    if (n > m->batch || (n && (!ids || !len))) return NNS_ERR_ARG;
    size_t rows = 0;
    for (size_t s = 0; s < n; s++) {
        if (len[s] < 0 || (size_t)len[s] > m->cfg.max_len || (size_t)len[s] > ld) return NNS_ERR_ARG;
        m->off[s] = rows;
        m->len[s] = len[s];
        for (int32_t i = 0; i < len[s]; i++) {
            int32_t id = ids[s * ld + (size_t)i];
            if (id < 0 || (size_t)id >= m->cfg.vocab) return NNS_ERR_ARG;
            m->ids[rows] = id;
            m->pos_ids[rows++] = i;
        }
    }
    m->off[n] = rows;
    m->nseq = n;
    m->nrows = rows;
    return NNS_OK;
}

/* The forward; with train set, dropout at rate m->dropout (if > 0). */
static nns_status forward(nns_transformer *m, const int32_t *ids, size_t ld, const int32_t *len,
                          size_t n, int train)
{
    nns_anomaly_reset(&m->anomaly);
    nns_status status = pack(m, ids, ld, len, n);
    if (status != NNS_OK) return status;
    const size_t C = m->cfg.dim, H = m->cfg.heads, D = C / H, N = m->nrows, K = m->cfg.classes;
    const float *P = m->params;
    const int drop = train && m->dropout > 0;
#pragma omp parallel num_threads(m->threads)
    {
        const int t = omp_get_thread_num(), nt = omp_get_num_threads();
        nns_status *st = &status;
        size_t lo, hi;
        /* x = drop(tok_emb[ids] + pos_emb[positions]) */
        float *x0 = m->a[0].x;
        nns_share(N, t, nt, &lo, &hi);
        if (hi > lo) {
            note(st, nns_embedding_fwd(x0 + lo * C, m->ids + lo, P + m->tok, hi - lo, C));
            note(st, nns_embedding_fwd(m->tmp + lo * C, m->pos_ids + lo, P + m->pos, hi - lo, C));
        }
        check(m, "embedding_fwd", "tok_emb", "out", x0, N * C);
        check(m, "embedding_fwd", "pos_emb", "out", m->tmp, N * C);
        rows_add(t, nt, x0, x0, m->tmp, N, C, st);
        check(m, "add", "tok_emb + pos_emb", "out", x0, N * C);
        if (drop) rows_dropout(m, t, nt, x0, x0, SITE_EMBEDDING, N, C, st);
        for (size_t l = 0; l < m->cfg.layers; l++) {
            nns_tf_acts *a = &m->a[l];
            const nns_tf_block *b = &m->blk[l];
            float *next = l + 1 < m->cfg.layers ? m->a[l + 1].x : m->xf;
            /* rows: ln1, qkv (the same rows as the residual above: no barrier needed) */
            rows_layernorm(m, t, nt, a->ln1, a->mean1, a->rstd1, a->x, P + b->ln1_w, P + b->ln1_b,
                           N, C, st);
            rows_linear(m, t, nt, a->qkv, NULL, a->ln1, P + b->qkv_w, P + b->qkv_b, N, C, 3 * C,
                        NNS_ACT_NONE, st);
#pragma omp barrier
            /* sequences: attention over each one's rows */
            seq_share(m, t, nt, &lo, &hi);
            for (size_t s = lo; s < hi; s++) {
                size_t o = m->off[s], T = (size_t)m->len[s];
                const float *q = a->qkv + o * 3 * C;
                note(st, nns_attention_fwd(a->att + o * C, a->lse + H * o, q, q + C, q + 2 * C,
                                           3 * C, NULL, 1, T, H, D, 0, m->ws[t]));
            }
            check_block(m, "attention_fwd", l, "out", a->att, N * C);
            check_block(m, "attention_fwd", l, "lse", a->lse, H * N);
#pragma omp barrier
            /* rows: proj, dropout, residual, ln2, fc1 + gelu, fc2, dropout, residual */
            rows_linear(m, t, nt, m->tmp, NULL, a->att, P + b->proj_w, P + b->proj_b, N, C, C,
                        NNS_ACT_NONE, st);
            if (drop) rows_dropout(m, t, nt, m->tmp, m->tmp, SITE_ATTENTION(l), N, C, st);
            rows_add(t, nt, a->mid, a->x, m->tmp, N, C, st);
            check_block(m, "add", l, "mid", a->mid, N * C);
            rows_layernorm(m, t, nt, a->ln2, a->mean2, a->rstd2, a->mid, P + b->ln2_w, P + b->ln2_b,
                           N, C, st);
            rows_linear(m, t, nt, a->hid, a->pre, a->ln2, P + b->fc1_w, P + b->fc1_b, N, C, 4 * C,
                        NNS_ACT_GELU, st);
            rows_linear(m, t, nt, m->tmp, NULL, a->hid, P + b->fc2_w, P + b->fc2_b, N, 4 * C, C,
                        NNS_ACT_NONE, st);
            if (drop) rows_dropout(m, t, nt, m->tmp, m->tmp, SITE_MLP(l), N, C, st);
            rows_add(t, nt, next, a->mid, m->tmp, N, C, st);
            check_block(m, "add", l, "out", next, N * C);
        }
        rows_layernorm(m, t, nt, m->lnf, m->meanf, m->rstdf, m->xf, P + m->lnf_w, P + m->lnf_b,
                       N, C, st);
#pragma omp barrier
        /* the mean over each sequence's rows, then the head */
        nns_share(m->nseq, t, nt, &lo, &hi);
        for (size_t s = lo; s < hi; s++)
            note(st, nns_mean_pool_fwd(m->pooled + s * C, m->lnf + m->off[s] * C, &m->len[s], 1,
                                       (size_t)m->len[s], C));
        check(m, "mean_pool_fwd", NULL, "pooled", m->pooled, m->nseq * C);
#pragma omp barrier
        rows_linear(m, t, nt, m->logits, NULL, m->pooled, P + m->head_w, P + m->head_b, m->nseq, C,
                    K, NNS_ACT_NONE, st);
    }
    return nns_anomaly_status(&m->anomaly, status);
}

nns_status nns_transformer_forward(nns_transformer *m, const int32_t *ids, size_t ld,
                                   const int32_t *len, size_t n)
{
    return forward(m, ids, ld, len, n, 0);
}

/* ---- backward --------------------------------------------------------- */

nns_status nns_transformer_forward_backward(nns_transformer *m, const int32_t *ids, size_t ld,
                                            const int32_t *len, const int32_t *labels, size_t n,
                                            float *loss)
{
    nns_status status = forward(m, ids, ld, len, n, 1);
    if (status != NNS_OK) return status;
    const size_t C = m->cfg.dim, H = m->cfg.heads, D = C / H, N = m->nrows, K = m->cfg.classes;
    const size_t B = m->nseq;
    for (size_t i = 0; i < B; i++)
        if (!labels || labels[i] < 0 || (size_t)labels[i] >= K) return NNS_ERR_ARG;
    memset(m->dlogits, 0, B * K * sizeof(float));
    status = nns_cross_entropy_fwd_bwd(loss, m->dlogits, m->logits, labels, B, K, -1);
    if (status != NNS_OK) return status;
    if (nns_anomaly_check(&m->anomaly, "cross_entropy_fwd_bwd", NULL, "loss", loss, 1) ||
        nns_anomaly_check(&m->anomaly, "cross_entropy_fwd_bwd", NULL, "dlogits", m->dlogits, B * K))
        return NNS_ANOMALY_STATUS;
    const float *P = m->params;
    float *G = m->grads;
#pragma omp parallel num_threads(m->threads)
    {
        const int t = omp_get_thread_num(), nt = omp_get_num_threads();
        nns_status *st = &status;
        size_t lo, hi;
        /* the gradients start at 0 (fixed chunks: any split will do) */
        size_t chunks = (m->nparams + NORM_CHUNK - 1) / NORM_CHUNK;
#pragma omp for schedule(static)
        for (size_t k = 0; k < chunks; k++) {
            size_t from = k * NORM_CHUNK, cnt = m->nparams - from < NORM_CHUNK ? m->nparams - from : NORM_CHUNK;
            memset(G + from, 0, cnt * sizeof(float));
        }
        /* head; then the pool spreads dpooled over each sequence's rows */
        linear_backward(m, t, nt, m->dpooled, G + m->head_w, G + m->head_b, m->dlogits, m->pooled,
                        P + m->head_w, B, C, K, st);
#pragma omp barrier
        nns_share(B, t, nt, &lo, &hi);
        for (size_t s = lo; s < hi; s++) {
            size_t o = m->off[s], T = (size_t)m->len[s];
            memset(m->dln + o * C, 0, T * C * sizeof(float));
            note(st, nns_mean_pool_bwd(m->dln + o * C, m->dpooled + s * C, &m->len[s], 1, T, C));
        }
        check(m, "mean_pool_bwd", NULL, "din", m->dln, N * C);
        nns_share(N, t, nt, &lo, &hi);
        if (hi > lo) memset(m->dx + lo * C, 0, (hi - lo) * C * sizeof(float));
#pragma omp barrier
        layernorm_backward(m, m->dx, G + m->lnf_w, G + m->lnf_b, m->dln, m->xf, P + m->lnf_w,
                           m->meanf, m->rstdf, N, C, st);
        for (size_t l = m->cfg.layers; l-- > 0;) {
            nns_tf_acts *a = &m->a[l];
            const nns_tf_block *b = &m->blk[l];
            /* dx is dL/d(block output). fc2 (through the branch's dropout),
             * then GELU on the same rows */
            const float *g = branch_grad(m, t, nt, SITE_MLP(l), N, C, st);
            linear_backward(m, t, nt, m->dhid, G + b->fc2_w, G + b->fc2_b, g, a->hid,
                            P + b->fc2_w, N, 4 * C, C, st);
            nns_share(N, t, nt, &lo, &hi);
            if (hi > lo) {
                memset(m->dpre + lo * 4 * C, 0, (hi - lo) * 4 * C * sizeof(float));
                note(st, nns_gelu_bwd(m->dpre + lo * 4 * C, m->dhid + lo * 4 * C, a->pre + lo * 4 * C,
                                      (hi - lo) * 4 * C));
            }
            check_module(m, "gelu_bwd", P + b->fc1_w, "dpre", m->dpre, N * 4 * C);
#pragma omp barrier
            linear_backward(m, t, nt, m->dln, G + b->fc1_w, G + b->fc1_b, m->dpre, a->ln2,
                            P + b->fc1_w, N, C, 4 * C, st);
#pragma omp barrier
            /* dx += ln2's input gradient: dx is now dL/d(mid) */
            layernorm_backward(m, m->dx, G + b->ln2_w, G + b->ln2_b, m->dln, a->mid, P + b->ln2_w,
                               a->mean2, a->rstd2, N, C, st);
            g = branch_grad(m, t, nt, SITE_ATTENTION(l), N, C, st);
            linear_backward(m, t, nt, m->datt, G + b->proj_w, G + b->proj_b, g, a->att,
                            P + b->proj_w, N, C, C, st);
#pragma omp barrier
            seq_share(m, t, nt, &lo, &hi);
            for (size_t s = lo; s < hi; s++) {
                size_t o = m->off[s], T = (size_t)m->len[s];
                float *dq = m->dqkv + o * 3 * C;
                const float *q = a->qkv + o * 3 * C;
                memset(dq, 0, T * 3 * C * sizeof(float));
                note(st, nns_attention_bwd(dq, dq + C, dq + 2 * C, m->datt + o * C, q, q + C, q + 2 * C,
                                           a->att + o * C, a->lse + H * o, 3 * C, NULL, 1, T, H, D,
                                           0, m->ws[t]));
            }
            check_block(m, "attention_bwd", l, "dqkv", m->dqkv, N * 3 * C);
#pragma omp barrier
            linear_backward(m, t, nt, m->dln, G + b->qkv_w, G + b->qkv_b, m->dqkv, a->ln1,
                            P + b->qkv_w, N, C, 3 * C, st);
#pragma omp barrier
            /* dx += ln1's input gradient: dx is now dL/d(block input) */
            layernorm_backward(m, m->dx, G + b->ln1_w, G + b->ln1_b, m->dln, a->x, P + b->ln1_w,
                               a->mean1, a->rstd1, N, C, st);
        }
        /* the embeddings (through their dropout): two scatter-adds over
         * all rows, one per table */
        if (m->dropout > 0) {
            rows_dropout(m, t, nt, m->dx, m->dx, SITE_EMBEDDING, N, C, st);
#pragma omp barrier
        }
#pragma omp sections
        {
#pragma omp section
            note(st, nns_embedding_bwd(G + m->tok, m->dx, m->ids, N, C));
#pragma omp section
            note(st, nns_embedding_bwd(G + m->pos, m->dx, m->pos_ids, N, C));
        }
        check(m, "embedding_bwd", "tok_emb", "dweight", G + m->tok, m->cfg.vocab * C);
        check(m, "embedding_bwd", "pos_emb", "dweight", G + m->pos, m->cfg.max_len * C);
    }
    return nns_anomaly_status(&m->anomaly, status);
}

/* ---- update ------------------------------------------------------------ */

nns_status nns_transformer_grad_norm(const nns_transformer *m, float *norm)
{
    size_t chunks = (m->nparams + NORM_CHUNK - 1) / NORM_CHUNK;
    float *part = malloc((chunks ? chunks : 1) * sizeof *part);
    if (!part) return NNS_ERR_SIZE;
    nns_status status = NNS_OK;
#pragma omp parallel for num_threads(m->threads) schedule(static)
    for (size_t k = 0; k < chunks; k++) {
        size_t from = k * NORM_CHUNK, cnt = m->nparams - from < NORM_CHUNK ? m->nparams - from : NORM_CHUNK;
        note(&status, nns_sum_squares(&part[k], m->grads + from, cnt));
    }
    double total = 0;
    for (size_t k = 0; k < chunks; k++) total += part[k];
    free(part);
    *norm = (float)sqrt(total);
    return status;
}

nns_status nns_transformer_update(nns_transformer *m, const nns_adam_config *adam, uint64_t step,
                                  float clip, float *norm)
{
    nns_anomaly_reset(&m->anomaly);
    float gnorm = 0;
    nns_status status = nns_transformer_grad_norm(m, &gnorm);
    if (status != NNS_OK) return status;
    if (norm) *norm = gnorm;
    if (nns_anomaly_check(&m->anomaly, "sum_squares", NULL, "gradient norm", &gnorm, 1))
        return NNS_ANOMALY_STATUS;
    /* torch.nn.utils.clip_grad_norm_: coef = max_norm / (norm + 1e-6), applied when below 1 */
    float coef = clip > 0 ? clip / (gnorm + 1e-6f) : 1.0f;
    int scale = clip > 0 && coef < 1.0f;
    size_t chunks = (m->nparams + NORM_CHUNK - 1) / NORM_CHUNK;
#pragma omp parallel for num_threads(m->threads) schedule(static)
    for (size_t k = 0; k < chunks; k++) {
        size_t from = k * NORM_CHUNK, cnt = m->nparams - from < NORM_CHUNK ? m->nparams - from : NORM_CHUNK;
        if (scale) note(&status, nns_scale(m->grads + from, m->grads + from, coef, cnt));
        note(&status, nns_adam_step(m->params + from, m->m + from, m->v + from, m->grads + from, cnt,
                                    adam, step));
    }
    nns_anomaly *a = &m->anomaly;
    if (status == NNS_OK &&
        ((scale && nns_anomaly_check(a, "scale", NULL, "grads", m->grads, m->nparams)) ||
         nns_anomaly_check(a, "adam_step", NULL, "params", m->params, m->nparams) ||
         nns_anomaly_check(a, "adam_step", NULL, "exp_avg", m->m, m->nparams) ||
         nns_anomaly_check(a, "adam_step", NULL, "exp_avg_sq", m->v, m->nparams)))
        return NNS_ANOMALY_STATUS;
    return status;
}

double nns_transformer_flops(const nns_transformer_config *cfg, const int32_t *len, size_t n,
                             int bwd)
{
    double C = (double)cfg->dim, f = 0;
    for (size_t s = 0; s < n; s++) {
        double t = (double)len[s];
        f += (double)cfg->layers * (24.0 * t * C * C + 4.0 * t * t * C) + 2.0 * C * (double)cfg->classes;
    }
    return bwd ? 3.0 * f : f;
}
