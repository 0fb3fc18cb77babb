/* nnsimd-vs-openblas: the linear layer against OpenBLAS in paired rounds.
 *
 *   build/nnsimd-vs-openblas [--isa ISA] [--rounds N] [--round-ms MS]
 *                            [--filter TEXT] [--json FILE] [--parts]
 *
 * On a shared machine the speed of a core drifts by tens of percent over
 * seconds, so two benchmarks timed a minute apart (as Google Benchmark
 * runs the rows of nnsimd-bench, even interleaved) compare two machines.
 * Here each round times ours and then OpenBLAS (the order alternating from
 * round to round), each for about --round-ms of back-to-back calls, and
 * takes their ratio; the report is the median of the rounds' ratios with
 * its quartiles, beside each side's median rate. Shapes and operations are
 * nnsimd-bench's: bench_linear.c's specs through the ISA's table, and
 * openblas_ops.c (bias and dbias included). One thread each; OpenBLAS's
 * kernels are those it chose when it loaded (OPENBLAS_CORETYPE). */
#include "../bench.h"
#include "../openblas_ops.h"
#include "rounds.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct opts {
    nns_isa isa;
    int rounds;
    double round_s;
    const char *filter, *json;
    int parts;
} opts;

static const char usage[] =
    "usage: nnsimd-vs-openblas [--isa ISA] [--rounds N] [--round-ms MS] [--filter TEXT] [--json FILE]\n"
    "                          [--parts]\n"
    "Times the linear layer (forward and backward, nnsimd-bench's shapes) against\n"
    "OpenBLAS's sgemm in alternating rounds and reports the median of the rounds'\n"
    "ratios (OpenBLAS time / ours: > 1, we are faster) with its quartiles.\n"
    "  --isa ISA      our variant: scalar, avx2, avx512, neon (default: the active ISA)\n"
    "  --rounds N     rounds per shape (default 15)\n"
    "  --round-ms MS  time per side per round (default 30)\n"
    "  --filter TEXT  only names containing TEXT (linear_fwd/N128_C784_O512)\n"
    "  --json FILE    also write the results as JSON\n"
    "  --parts        also time the backward's din and dweight products apart\n"
    "                 (linear_bwd_din/..., linear_bwd_dweight/...; no dbias)\n"
    "OpenBLAS picks its kernels from OPENBLAS_CORETYPE when it loads.\n";

static int parse(int argc, char **argv, opts *o)
{
    *o = (opts){.rounds = 15, .round_s = 0.03};
    if (nns_isa_active(&o->isa, NULL) != NNS_OK) return -1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(usage, stdout);
            exit(0);
        }
        if (strcmp(a, "--parts") == 0) {
            o->parts = 1;
            continue;
        }
        if (!v) break;
        i++;
        if (strcmp(a, "--isa") == 0 && nns_isa_parse(v, &o->isa) == NNS_OK) continue;
        if (strcmp(a, "--rounds") == 0 && (o->rounds = atoi(v)) > 0) continue;
        if (strcmp(a, "--round-ms") == 0 && (o->round_s = atof(v) / 1e3) > 0) continue;
        if (strcmp(a, "--filter") == 0) {
            o->filter = v;
            continue;
        }
        if (strcmp(a, "--json") == 0) {
            o->json = v;
            continue;
        }
        fprintf(stderr, "nnsimd-vs-openblas: bad option or value: %s %s\n%s", a, v, usage);
        return -1;
    }
    if (argc > 1 && strcmp(argv[argc - 1], "--help") && strcmp(argv[argc - 1], "--parts") &&
        (argc - 1 - o->parts) % 2) {
        fprintf(stderr, "nnsimd-vs-openblas: %s needs a value\n%s", argv[argc - 1], usage);
        return -1;
    }
    if (!nns_isa_supported(o->isa)) {
        fprintf(stderr, "nnsimd-vs-openblas: this CPU does not support %s\n", nns_isa_name(o->isa));
        return -1;
    }
    return 0;
}

typedef struct side {
    void (*call)(void *arg);
    void *arg;
    int iters;
} side;

/* Seconds per call over `iters` back-to-back calls. */
static double time_side(const side *s)
{
    double t0 = nnsp_now();
    for (int i = 0; i < s->iters; i++) s->call(s->arg);
    return (nnsp_now() - t0) / s->iters;
}

/* Enough calls for about `seconds`, from one timed call after a warm-up. */
static void calibrate(side *s, double seconds)
{
    s->iters = 1;
    s->call(s->arg);
    double t = time_side(s);
    s->iters = t > 0 ? (int)(seconds / t) + 1 : 1;
}

typedef struct ours_arg {
    const nnsb_spec *spec;
    void *ctx;
    const nns_kernel_table *table;
} ours_arg;

static void call_ours(void *p)
{
    ours_arg *a = p;
    a->spec->call(a->ctx, a->table);
}

static void call_blas(void *p) { nnsb_blas_op_run(p); }

typedef struct result {
    char name[96];
    double ratio, ratio_q1, ratio_q3, ours_gflops, blas_gflops;
} result;

/* The paired rounds of one kernel x shape; -1 if out of memory. */
static int run_pair(const opts *o, const nnsb_spec *spec, const nnsb_shape *shape, int bwd,
                    nnsb_grads grads, result *r)
{
    ours_arg oa = {spec, spec->setup(shape), nns_kernels_for(o->isa)};
    nnsb_blas_op op;
    if (!oa.ctx || nnsb_blas_op_init(&op, shape, bwd, grads) != 0) {
        if (oa.ctx) spec->teardown(oa.ctx);
        return -1;
    }
    side ours = {call_ours, &oa, 1}, blas = {call_blas, &op, 1};
    calibrate(&ours, o->round_s);
    calibrate(&blas, o->round_s);
    double *ratio = malloc(3 * (size_t)o->rounds * sizeof *ratio), *to = ratio + o->rounds,
           *tb = to + o->rounds;
    if (!ratio) {
        spec->teardown(oa.ctx), nnsb_blas_op_free(&op);
        return -1;
    }
    for (int i = 0; i < o->rounds; i++) {
        if (i % 2) {
            tb[i] = time_side(&blas);
            to[i] = time_side(&ours);
        } else {
            to[i] = time_side(&ours);
            tb[i] = time_side(&blas);
        }
        ratio[i] = tb[i] / to[i];
    }
    double flops = spec->flops(shape);
    r->ratio = nnsp_quantile(ratio, o->rounds, 0.5);
    r->ratio_q1 = nnsp_quantile(ratio, o->rounds, 0.25);
    r->ratio_q3 = nnsp_quantile(ratio, o->rounds, 0.75);
    r->ours_gflops = flops / nnsp_quantile(to, o->rounds, 0.5) / 1e9;
    r->blas_gflops = flops / nnsp_quantile(tb, o->rounds, 0.5) / 1e9;
    free(ratio);
    spec->teardown(oa.ctx);
    nnsb_blas_op_free(&op);
    return 0;
}

static int write_json(const opts *o, const char *core, const result *r, size_t n)
{
    json_t *rows = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(rows, json_pack("{s:s, s:f, s:f, s:f, s:f, s:f}", "name", r[i].name,
                                              "ratio_median", r[i].ratio, "ratio_q1", r[i].ratio_q1,
                                              "ratio_q3", r[i].ratio_q3, "ours_gflops", r[i].ours_gflops,
                                              "openblas_gflops", r[i].blas_gflops));
    json_t *doc = json_pack("{s:s, s:s, s:i, s:f, s:o}", "isa", nns_isa_name(o->isa), "openblas_corename",
                            core, "rounds", o->rounds, "round_ms", o->round_s * 1e3, "results", rows);
    int rc = json_dump_file(doc, o->json, JSON_INDENT(1));
    json_decref(doc);
    if (rc != 0) fprintf(stderr, "nnsimd-vs-openblas: cannot write %s\n", o->json);
    return rc;
}

int main(int argc, char **argv)
{
    opts o;
    if (parse(argc, argv, &o) != 0) return 2;
    const char *core = nnsb_blas_setup();
    printf("ours: %s; OpenBLAS: %s kernels; %d rounds of %.0f ms a side\n\n", nns_isa_name(o.isa), core,
           o.rounds, o.round_s * 1e3);
    printf("| benchmark | ours GFLOP/s | OpenBLAS GFLOP/s | OpenBLAS time / ours (median) | quartiles |\n");
    printf("|---|---|---|---|---|\n");
    /* The forward, the backward, and with --parts its din and dweight. */
    static const struct {
        const char *name;
        const nnsb_spec *spec;
        int bwd;
        nnsb_grads grads;
    } kinds[] = {{"linear_fwd", &nnsb_spec_linear_fwd, 0, NNSB_GRAD_ALL},
                 {"linear_bwd", &nnsb_spec_linear_bwd, 1, NNSB_GRAD_ALL},
                 {"linear_bwd_din", &nnsb_spec_linear_bwd_din, 1, NNSB_GRAD_DIN},
                 {"linear_bwd_dweight", &nnsb_spec_linear_bwd_dweight, 1, NNSB_GRAD_DWEIGHT}};
    result res[4 * NNSB_MAX_SHAPES];
    size_t n = 0;
    for (size_t k = 0; k < (o.parts ? 4u : 2u); k++) {
        const nnsb_spec *spec = kinds[k].spec;
        for (size_t s = 0; s < spec->nshapes; s++) {
            result *r = &res[n];
            char shape[64];
            nnsb_shape_name(shape, sizeof shape, spec, &spec->shapes[s]);
            snprintf(r->name, sizeof r->name, "%s/%s", kinds[k].name, shape);
            if (o.filter && !strstr(r->name, o.filter)) continue;
            if (run_pair(&o, spec, &spec->shapes[s], kinds[k].bwd, kinds[k].grads, r) != 0) {
                fprintf(stderr, "nnsimd-vs-openblas: %s: out of memory\n", r->name);
                return 1;
            }
            printf("| %s | %.1f | %.1f | %.2f | %.2f-%.2f |\n", r->name, r->ours_gflops, r->blas_gflops,
                   r->ratio, r->ratio_q1, r->ratio_q3);
            fflush(stdout);
            n++;
        }
    }
    return o.json && write_json(&o, core, res, n) != 0 ? 1 : 0;
}
