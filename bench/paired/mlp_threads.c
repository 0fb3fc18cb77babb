/* nnsimd-mlp-threads: the MLP's training step on one thread against N
 * threads, in paired rounds.
 *
 *   build/nnsimd-mlp-threads [--data DIR] [--threads N] [--rounds R]
 *                            [--steps K] [--json FILE]
 *
 * The speed of a core on a shared machine drifts by tens of percent over
 * seconds (on the Zen 5 VM, amd-oxide-f1a-m02, one-thread runs of 300
 * steps a few seconds apart took 2.2 to 2.9 ms a step), so two training
 * runs timed one after the other compare two machines as much as two
 * thread counts. Here two copies of `nnsimd train mlp`'s default model
 * (784-512-512-10 ReLU, batch 128, AdamW at lr 1e-3 and weight decay
 * 0.01, initialized from the same seed) train side by side in one
 * process on the real MNIST training images: each round runs K steps on
 * the one-thread copy and K on the N-thread copy (which goes first
 * alternates), and takes the ratio of their median step times, leaving
 * out each side's first step, which finds the caches as the other copy
 * left them. Both copies draw the same batches, so after the rounds
 * their parameters and AdamW moments must be equal bit for bit (the
 * models never split a reduction: DESIGN.md); the program checks it and
 * fails if not. */
#include "data_root.h"
#include "floats.h"
#include "mlp.h"
#include "mnist_set.h"
#include "rng.h"
#include "rounds.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BATCH 128

typedef struct opts {
    const char *data, *json;
    int threads, rounds, steps;
} opts;

static const char usage[] =
    "usage: nnsimd-mlp-threads [--data DIR] [--threads N] [--rounds R] [--steps K] [--json FILE]\n"
    "Trains two copies of `nnsimd train mlp`'s default model (784-512-512-10 ReLU,\n"
    "batch 128, AdamW) side by side on MNIST, one on 1 thread and one on N, in\n"
    "alternating rounds of K steps each, and reports the median of the rounds'\n"
    "speed-ups (1-thread step time / N-thread step time) with its quartiles. Both\n"
    "copies see the same batches; their parameters must end equal bit for bit.\n"
    "  --data DIR     the data root or its mnist/ folder (default: NNSIMD_DATA, then\n"
    "                 data/ at the project's top)\n"
    "  --threads N    the second copy's threads (default 2)\n"
    "  --rounds R     rounds (default 20)\n"
    "  --steps K      steps per copy per round, at least 2 (default 40)\n"
    "  --json FILE    also write the rounds and the summary as JSON\n";

static int positive(const char *flag, const char *v, int min, int *out)
{
    char *end;
    long x = strtol(v, &end, 10);
    if (end == v || *end || x < min || x > 1000000) {
        fprintf(stderr, "nnsimd-mlp-threads: %s %s: expected an integer >= %d\n", flag, v, min);
        return -1;
    }
    *out = (int)x;
    return 0;
}

static int parse(int argc, char **argv, opts *o)
{
    *o = (opts){.threads = 2, .rounds = 20, .steps = 40};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(usage, stdout);
            exit(0);
        }
        if (i + 1 == argc) {
            fprintf(stderr, "nnsimd-mlp-threads: %s needs a value (or is unknown)\n%s", a, usage);
            return -1;
        }
        const char *v = argv[++i];
        int bad = 0;
        if (strcmp(a, "--data") == 0) o->data = v;
        else if (strcmp(a, "--json") == 0) o->json = v;
        else if (strcmp(a, "--threads") == 0) bad = positive(a, v, 1, &o->threads);
        else if (strcmp(a, "--rounds") == 0) bad = positive(a, v, 1, &o->rounds);
        else if (strcmp(a, "--steps") == 0) bad = positive(a, v, 2, &o->steps);
        else {
            fprintf(stderr, "nnsimd-mlp-threads: unknown option %s\n%s", a, usage);
            return -1;
        }
        if (bad) return -1;
    }
    return 0;
}

/* One copy of the model and its place in the batches. */
typedef struct copy {
    nns_mlp m;
    int threads;
    uint64_t step; /* steps taken */
    size_t at;     /* next index into the permutation */
    float *bx, last_loss;
    int32_t by[BATCH];
} copy;

/* AdamW over the parameters [lo, hi) (nns_mlp_update_fn). */
typedef struct adamw_call {
    nns_mlp *m;
    uint64_t step;
} adamw_call;

static nns_status adamw_range(void *ctx, size_t lo, size_t hi)
{
    const adamw_call *k = ctx;
    nns_mlp *m = k->m;
    nns_adam_config c = {1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f, 1};
    return nns_adam_step(m->params + lo, m->m + lo, m->v + lo, m->grads + lo, hi - lo, &c, k->step);
}

/* The training data and the order both copies draw it in. */
typedef struct batches {
    const nns_mnist_set *set;
    uint32_t *perm;
} batches;

/* One training step of c on the next batch; its seconds, or -1 on failure. */
static double train_step(copy *c, const batches *b)
{
    if (c->at + BATCH > b->set->count) c->at = 0;
    const uint32_t *idx = b->perm + c->at;
    for (size_t i = 0; i < BATCH; i++) c->by[i] = b->set->y[idx[i]];
    nns_mnist_batch fill = {b->set, idx};
    adamw_call call = {&c->m, ++c->step};
    double t0 = nnsp_now();
    nns_status s = nns_mlp_train_step(&c->m, c->bx, nns_mnist_batch_fill, &fill, c->by, BATCH,
                                      &c->last_loss, adamw_range, &call);
    double t = nnsp_now() - t0;
    c->at += BATCH;
    if (s != NNS_OK) {
        fprintf(stderr, "nnsimd-mlp-threads: step %llu on %d thread(s): %s\n",
                (unsigned long long)c->step, c->threads, nns_status_str(s));
        return -1;
    }
    return t;
}

/* K steps of c: the median step time in ms, its first step left out. */
static double timed_steps(copy *c, const batches *b, int k, double *scratch)
{
    if (train_step(c, b) < 0) return -1;
    for (int i = 0; i < k - 1; i++)
        if ((scratch[i] = train_step(c, b)) < 0) return -1;
    return 1e3 * nnsp_quantile(scratch, k - 1, 0.5);
}

/* The q-quantile of v[0..n), v left as it is (tmp holds n). */
static double quantile_of(const double *v, int n, double q, double *tmp)
{
    memcpy(tmp, v, (size_t)n * sizeof *v);
    return nnsp_quantile(tmp, n, q);
}

static int make_copy(copy *c, int threads, size_t dim)
{
    nns_mlp_config cfg = {.act = NNS_ACT_RELU};
    char err[256];
    memset(c, 0, sizeof *c);
    c->threads = threads;
    if (nns_mlp_parse_hidden(&cfg, "512,512", dim, 10, err, sizeof err) != 0 ||
        nns_mlp_create(&c->m, &cfg, BATCH, threads, err, sizeof err) != 0) {
        fprintf(stderr, "nnsimd-mlp-threads: %s\n", err);
        return -1;
    }
    nns_rng rng;
    nns_rng_seed(&rng, 1);
    nns_mlp_init(&c->m, &rng);
    if (!(c->bx = nns_floats(BATCH * dim))) {
        fprintf(stderr, "nnsimd-mlp-threads: out of memory\n");
        return -1;
    }
    return 0;
}

static void free_copy(copy *c)
{
    nns_mlp_free(&c->m);
    free(c->bx);
}

/* 1 if the copies' parameters, moments and last losses are the same bits. */
static int same_bits(const copy *a, const copy *b)
{
    size_t bytes = a->m.nparams * sizeof(float);
    return memcmp(a->m.params, b->m.params, bytes) == 0 && memcmp(a->m.m, b->m.m, bytes) == 0 &&
           memcmp(a->m.v, b->m.v, bytes) == 0 &&
           memcmp(&a->last_loss, &b->last_loss, sizeof a->last_loss) == 0;
}

static int write_json(const opts *o, const char *isa, const double *one, const double *many,
                      const double *ratio, const double q[3], int same)
{
    json_t *r1 = json_array(), *rn = json_array(), *rr = json_array();
    for (int r = 0; r < o->rounds; r++) {
        json_array_append_new(r1, json_real(one[r]));
        json_array_append_new(rn, json_real(many[r]));
        json_array_append_new(rr, json_real(ratio[r]));
    }
    json_t *j = json_pack("{s:s, s:s, s:i, s:i, s:i, s:o, s:o, s:o, s:f, s:f, s:f, s:b}", "model",
                          "784-512-512-10 relu, batch 128, adamw", "isa", isa, "threads", o->threads,
                          "rounds", o->rounds, "steps", o->steps, "ms_one_thread", r1,
                          "ms_threads", rn, "speedup", rr, "speedup_median", q[1],
                          "speedup_q1", q[0], "speedup_q3", q[2], "same_bits", same);
    int rc = j && json_dump_file(j, o->json, JSON_INDENT(2)) == 0 ? 0 : -1;
    if (rc) fprintf(stderr, "nnsimd-mlp-threads: cannot write %s\n", o->json);
    json_decref(j);
    return rc;
}

int main(int argc, char **argv)
{
    opts o;
    if (parse(argc, argv, &o) != 0) return 2;
    char dir[4096], err[512];
    nns_mnist train = {0};
    nns_mnist_set set = {0};
    copy one = {0}, many = {0};
    batches b = {&set, NULL};
    double *ms1 = calloc((size_t)o.rounds, sizeof *ms1), *msn = calloc((size_t)o.rounds, sizeof *msn);
    double *ratio = calloc((size_t)o.rounds, sizeof *ratio);
    double *scratch = calloc((size_t)(o.steps > o.rounds ? o.steps : o.rounds), sizeof *scratch);
    int rc = 1;
    if (!ms1 || !msn || !ratio || !scratch) {
        fprintf(stderr, "nnsimd-mlp-threads: out of memory\n");
        goto out;
    }
    if (nns_data_dir(o.data, "mnist", nns_mnist_looks_like, dir, sizeof dir, err, sizeof err) != 0 ||
        nns_mnist_load(dir, "train", &train, err, sizeof err) != 0) {
        fprintf(stderr, "nnsimd-mlp-threads: %s\n", err);
        goto out;
    }
    if (train.count < BATCH) {
        fprintf(stderr, "nnsimd-mlp-threads: %s holds %zu training images, fewer than a batch (%d)\n",
                dir, train.count, BATCH);
        goto out;
    }
    float mean, std;
    nns_mnist_pixel_stats(&train, train.count, &mean, &std);
    b.perm = malloc(train.count * sizeof *b.perm);
    if (nns_mnist_set_make(&set, &train, 0, train.count, mean, std) != 0 || !b.perm) {
        fprintf(stderr, "nnsimd-mlp-threads: out of memory for the data\n");
        goto out;
    }
    for (size_t i = 0; i < train.count; i++) b.perm[i] = (uint32_t)i;
    nns_rng shuffle;
    nns_rng_seed(&shuffle, 1);
    nns_rng_shuffle(&shuffle, b.perm, train.count);
    if (make_copy(&one, 1, set.dim) != 0 || make_copy(&many, o.threads, set.dim) != 0) goto out;
    nns_isa isa;
    nns_isa_active(&isa, NULL);
    printf("mlp 784-512-512-10 relu, batch %d, adamw, isa %s: %d rounds of %d steps, 1 thread "
           "against %d, alternating\n", BATCH, nns_isa_name(isa), o.rounds, o.steps, o.threads);
    for (int r = 0; r < o.rounds; r++) {
        copy *first = r % 2 ? &many : &one, *second = r % 2 ? &one : &many;
        double a = timed_steps(first, &b, o.steps, scratch);
        double c = a < 0 ? -1 : timed_steps(second, &b, o.steps, scratch);
        if (c < 0) goto out;
        ms1[r] = r % 2 ? c : a, msn[r] = r % 2 ? a : c, ratio[r] = ms1[r] / msn[r];
        printf("round %2d: 1 thread %.3f ms, %d threads %.3f ms, speed-up %.3f\n", r + 1, ms1[r],
               o.threads, msn[r], ratio[r]);
        fflush(stdout);
    }
    double q[3] = {quantile_of(ratio, o.rounds, 0.25, scratch),
                   quantile_of(ratio, o.rounds, 0.5, scratch),
                   quantile_of(ratio, o.rounds, 0.75, scratch)};
    printf("1 thread: median %.3f ms a step; %d threads: median %.3f ms a step\n",
           quantile_of(ms1, o.rounds, 0.5, scratch), o.threads,
           quantile_of(msn, o.rounds, 0.5, scratch));
    printf("speed-up from 1 to %d threads: median %.3f (quartiles %.3f-%.3f) over %d rounds\n",
           o.threads, q[1], q[0], q[2], o.rounds);
    int same = same_bits(&one, &many);
    if (same)
        printf("both copies took %llu steps on the same batches: parameters, moments and loss "
               "equal bit for bit\n", (unsigned long long)one.step);
    else
        fprintf(stderr, "nnsimd-mlp-threads: the copies on 1 and %d threads differ after %llu "
                        "steps on the same batches\n", o.threads, (unsigned long long)one.step);
    rc = same ? 0 : 1;
    if (o.json && write_json(&o, nns_isa_name(isa), ms1, msn, ratio, q, same) != 0) rc = 1;
out:
    free_copy(&one), free_copy(&many);
    nns_mnist_set_free(&set);
    nns_mnist_free(&train);
    free(b.perm), free(ms1), free(msn), free(ratio), free(scratch);
    return rc;
}
