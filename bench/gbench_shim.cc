// The C API of gbench_shim.h over Google Benchmark (1.7.1 and later).
#include "gbench_shim.h"

#include <benchmark/benchmark.h>

static benchmark::State &S(nnsb_state *st) { return *reinterpret_cast<benchmark::State *>(st); }

static const benchmark::State &S(const nnsb_state *st)
{
    return *reinterpret_cast<const benchmark::State *>(st);
}

extern "C" {

void nnsb_register(const char *name, nnsb_fn *fn, const void *arg)
{
    benchmark::RegisterBenchmark(name, [fn, arg](benchmark::State &s) {
        fn(reinterpret_cast<nnsb_state *>(&s), arg);
    });
}

int nnsb_keep_running(nnsb_state *st) { return S(st).KeepRunning() ? 1 : 0; }

int64_t nnsb_iterations(const nnsb_state *st) { return static_cast<int64_t>(S(st).iterations()); }

void nnsb_skip_with_error(nnsb_state *st, const char *msg) { S(st).SkipWithError(msg); }

void nnsb_set_rate_counter(nnsb_state *st, const char *name, double per_iteration)
{
    S(st).counters[name] = benchmark::Counter(per_iteration, benchmark::Counter::kIsIterationInvariantRate);
}

void nnsb_set_counter(nnsb_state *st, const char *name, double value)
{
    S(st).counters[name] = benchmark::Counter(value);
}

void nnsb_set_items_processed(nnsb_state *st, int64_t items) { S(st).SetItemsProcessed(items); }

void nnsb_set_label(nnsb_state *st, const char *label) { S(st).SetLabel(label); }

void nnsb_add_context(const char *key, const char *value) { benchmark::AddCustomContext(key, value); }

int nnsb_run(int argc, char **argv)
{
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}

} // extern "C"
