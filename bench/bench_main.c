/* nnsimd-bench: Google Benchmark over every kernel x ISA x shape.
 *
 *   build/nnsimd-bench [--benchmark_filter=gelu] [--benchmark_format=json] ...
 *
 * Benchmarks are named <kernel>/<isa>/<shape> (gelu_fwd/avx2/N16777216)
 * and registered from include/nnsimd_kernels.def. Each reports, per
 * second of cpu time: `flops` (nominal), `bytes` (that must move), and
 * `frac_peak`, the fraction of the roofline reached. The roofline of a
 * call is min(peak FMA rate of its ISA, arithmetic intensity x bandwidth),
 * from the machine probes (bench/probes.c) run at start-up and recorded
 * in the context with the CPU's description. An ISA the CPU lacks, one
 * above the NNSIMD_ISA cap, or a kernel without a native variant in that
 * ISA's table gives an error row that says so. */
#include "bench.h"
#include "gbench_shim.h"
#include "probes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The ISAs benchmarked on this architecture, ascending. */
static const nns_isa bench_isas[] = {
#if defined(__x86_64__)
    NNS_ISA_SCALAR, NNS_ISA_AVX2, NNS_ISA_AVX512,
#elif defined(__aarch64__)
    NNS_ISA_SCALAR, NNS_ISA_NEON,
#else
    NNS_ISA_SCALAR,
#endif
};
#define N_BENCH_ISAS (sizeof bench_isas / sizeof bench_isas[0])

static nnsb_machine machine;
static nns_isa active_isa;

/* ---- one benchmark: kernel x ISA x shape ---- */

typedef struct bench_case {
    const nnsb_spec *spec;
    size_t kernel; /* NNS_K_<name> */
    nns_isa isa;
    const nnsb_shape *shape;
} bench_case;

/* Seconds one call needs at the roofline: max(flops / peak, bytes / bw),
 * i.e. flops / min(peak, intensity x bw); 0 if either figure is missing. */
static double roofline_seconds(nns_isa isa, double flops, double bytes, const char **bound)
{
    double peak = machine.peak_gflops[isa] * 1e9, bw = machine.bandwidth_gbs * 1e9;
    if (peak <= 0 || bw <= 0) return 0;
    double tc = flops / peak, tm = bytes / bw;
    *bound = tc >= tm ? "compute-bound" : "memory-bound";
    return tc >= tm ? tc : tm;
}

static void run_case(nnsb_state *st, const void *arg)
{
    const bench_case *c = arg;
    const char *isa = nns_isa_name(c->isa);
    char msg[96];
    if (!nns_isa_supported(c->isa)) {
        snprintf(msg, sizeof msg, "cpu lacks %s", isa);
        nnsb_skip_with_error(st, msg);
        return;
    }
    if (!nnsb_isa_allowed(c->isa, active_isa)) {
        snprintf(msg, sizeof msg, "skipped: capped at %s", nns_isa_name(active_isa));
        nnsb_skip_with_error(st, msg);
        return;
    }
    const nns_kernel_table *t = nns_kernels_for(c->isa);
    if (!nns_kernel_present(t, c->kernel)) {
        snprintf(msg, sizeof msg, "no native %s variant", isa);
        nnsb_skip_with_error(st, msg);
        return;
    }
    double flops = c->spec->flops(c->shape), bytes = c->spec->bytes(c->shape);
    if (c->isa == NNS_ISA_SCALAR && flops > NNSB_SCALAR_MAX_FLOPS) {
        nnsb_skip_with_error(st, "skipped: the scalar reference needs seconds per call at this size");
        return;
    }
    void *ctx = c->spec->setup(c->shape);
    if (!ctx) {
        nnsb_skip_with_error(st, "out of memory");
        return;
    }
    while (nnsb_keep_running(st)) c->spec->call(ctx, t);
    c->spec->teardown(ctx);

    nnsb_set_rate_counter(st, "flops", flops);
    nnsb_set_rate_counter(st, "bytes", bytes);
    /* Per-call roofline time as an iteration-invariant rate: Google
     * Benchmark multiplies by iterations and divides by the cpu time, so
     * the figure is (ideal time) / (measured time) = achieved / roofline. */
    const char *bound = NULL;
    double ideal = roofline_seconds(c->isa, flops, bytes, &bound);
    if (ideal > 0) {
        nnsb_set_rate_counter(st, "frac_peak", ideal);
        nnsb_set_label(st, bound);
    }
    if (c->spec->items)
        nnsb_set_items_processed(st, (int64_t)(c->spec->items(c->shape) * (double)nnsb_iterations(st)));
}

/* What is registered: every kernel of the list, then the linear layer's
 * epilogues fused and unfused (they need the kernel named here). */
typedef struct bench_entry {
    const char *name;
    size_t kernel;
    const nnsb_spec *spec;
} bench_entry;

static const bench_entry entries[] = {
#define NNS_KERNEL(name, type) {#name, NNS_K_##name, &nnsb_spec_##name},
#include "nnsimd_kernels.def"
#undef NNS_KERNEL
    {"linear_act_fwd", NNS_K_linear_fwd, &nnsb_spec_linear_act_fwd},
    {"linear_act_fwd_unfused", NNS_K_linear_fwd, &nnsb_spec_linear_act_fwd_unfused},
    {"linear_act_bwd", NNS_K_linear_bwd, &nnsb_spec_linear_act_bwd},
    {"linear_act_bwd_unfused", NNS_K_linear_bwd, &nnsb_spec_linear_act_bwd_unfused},
};
#define N_ENTRIES (sizeof entries / sizeof entries[0])

static bench_case cases[N_ENTRIES * N_BENCH_ISAS * NNSB_MAX_SHAPES];

static void register_all(void)
{
    size_t nc = 0;
    for (size_t k = 0; k < N_ENTRIES; k++) {
        const nnsb_spec *spec = entries[k].spec;
        for (size_t i = 0; i < N_BENCH_ISAS; i++) {
            for (size_t s = 0; s < spec->nshapes && s < NNSB_MAX_SHAPES; s++) {
                bench_case *c = &cases[nc++];
                *c = (bench_case){spec, entries[k].kernel, bench_isas[i], &spec->shapes[s]};
                char shape[96], name[192];
                nnsb_shape_name(shape, sizeof shape, spec, c->shape);
                snprintf(name, sizeof name, "%s/%s/%s", entries[k].name, nns_isa_name(c->isa), shape);
                nnsb_register(name, run_case, c);
            }
        }
    }
}

/* ---- context ---- */

static void context_str(const char *key, const char *value) { nnsb_add_context(key, value); }

static void context_int(const char *key, long long v)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%lld", v);
    nnsb_add_context(key, buf);
}

static void add_context(int probed)
{
    const nns_cpu_info *cpu = nns_cpu();
    char buf[160];
    context_str("nns_cpu_brand", cpu->brand);
    context_str("nns_cpu_vendor", cpu->vendor);
    context_int("nns_cpu_family", cpu->family);
    context_int("nns_cpu_model", cpu->model);
    context_int("nns_cpu_stepping", cpu->stepping);
    context_str("nns_cpu_id", cpu->cpu_id);
    context_int("nns_cores", cpu->cores);
    context_int("nns_threads", cpu->threads);
    context_int("nns_l1d_bytes", (long long)cpu->l1d_bytes);
    context_int("nns_l2_bytes", (long long)cpu->l2_bytes);
    context_int("nns_l3_bytes", (long long)cpu->l3_bytes);
    context_int("nns_l3_usable_bytes", (long long)cpu->l3_usable_bytes);

    nns_isa_reason why;
    nns_isa_active(NULL, &why);
    snprintf(buf, sizeof buf, "%s%s", nns_isa_name(active_isa),
             why == NNS_ISA_CAPPED_ENV ? " (capped by NNSIMD_ISA)" : "");
    context_str("nns_isa_active", buf);

    for (size_t i = 0; i < N_BENCH_ISAS; i++) {
        nns_isa isa = bench_isas[i];
        char key[48];
        snprintf(key, sizeof key, "nns_peak_gflops_%s", nns_isa_name(isa));
        if (!probed)
            snprintf(buf, sizeof buf, "not probed");
        else if (machine.status[isa][0])
            snprintf(buf, sizeof buf, "%s", machine.status[isa]);
        else
            snprintf(buf, sizeof buf, "%.2f", machine.peak_gflops[isa]);
        context_str(key, buf);
    }
    if (probed && machine.bandwidth_gbs > 0) {
        snprintf(buf, sizeof buf, "%.2f", machine.bandwidth_gbs);
        context_str("nns_bandwidth_gbs", buf);
        snprintf(buf, sizeof buf, "one-core STREAM triad (%s%s), 3 arrays x %zu MiB, 12 B/element, best of %d",
                 nns_isa_name(machine.bandwidth_isa),
                 machine.bandwidth_isa == NNS_ISA_SCALAR || machine.bandwidth_isa == NNS_ISA_NEON
                     ? "" : ", streaming stores", machine.triad_array_bytes >> 20, machine.triad_runs);
        context_str("nns_bandwidth_method", buf);
    } else {
        context_str("nns_bandwidth_gbs", probed ? "not measured: out of memory" : "not probed");
    }
    context_str("nns_peak_method",
                "one core, FP32, independent chains: scalar mul+add (unfused), vector FMA = 2 flops/lane");
    context_str("nns_time", "cpu time (Google Benchmark's default); rates are per cpu second");
}

/* Listing or help needs no probes. */
static int wants_probes(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) return 0;
        if (strncmp(argv[i], "--benchmark_list_tests", 22) == 0 && strcmp(argv[i] + 22, "=false") != 0 &&
            strcmp(argv[i] + 22, "=0") != 0)
            return 0;
    }
    return 1;
}

int main(int argc, char **argv)
{
    nns_status st = nns_isa_active(&active_isa, NULL);
    if (st != NNS_OK) {
        fprintf(stderr, "nnsimd-bench: NNSIMD_ISA=%s: %s\n", getenv("NNSIMD_ISA"), nns_status_str(st));
        return 2;
    }
    int probed = wants_probes(argc, argv);
    if (probed) nnsb_probe_machine(&machine, bench_isas, N_BENCH_ISAS, active_isa);
    add_context(probed);
    register_all();
    nnsb_register_openblas();
    return nnsb_run(argc, argv);
}
