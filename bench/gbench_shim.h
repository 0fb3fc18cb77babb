/* A small C API over Google Benchmark, so the benchmarks are written in C.
 *
 * Google Benchmark's own flags (--benchmark_filter, --benchmark_format=json,
 * --benchmark_min_time, --benchmark_repetitions, ...) work unchanged: they
 * are parsed by nnsb_run. The header is plain C (no C++ types).
 *
 * Usage:
 *   static void body(nnsb_state *st, const void *arg) {
 *       ... setup (not timed) ...
 *       while (nnsb_keep_running(st)) kernel(...);
 *       nnsb_set_rate_counter(st, "flops", flops_per_call);
 *       ... teardown ...
 *   }
 *   nnsb_register("name/isa/N1024", body, arg);
 *   nnsb_add_context("key", "value");
 *   return nnsb_run(argc, argv);
 */
#ifndef NNSIMD_GBENCH_SHIM_H
#define NNSIMD_GBENCH_SHIM_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One running benchmark (a benchmark::State underneath). */
typedef struct nnsb_state nnsb_state;

/* A benchmark body; `arg` is the pointer given to nnsb_register. */
typedef void nnsb_fn(nnsb_state *st, const void *arg);

/* Registers benchmark `name` (copied); `arg` must outlive nnsb_run. */
void nnsb_register(const char *name, nnsb_fn *fn, const void *arg);

/* The timing loop: `while (nnsb_keep_running(st)) ...;`. The clock
 * starts at the first call and stops when it returns 0, so work before
 * and after the loop is not timed. */
int nnsb_keep_running(nnsb_state *st);
/* Iterations run so far (the final count after the loop). */
int64_t nnsb_iterations(const nnsb_state *st);

/* Marks the run as an error row with `msg`; do not enter the timing
 * loop afterwards (Google Benchmark 1.7.1 has no SkipWithMessage). */
void nnsb_skip_with_error(nnsb_state *st, const char *msg);

/* Counter reported as per_iteration * iterations / seconds
 * (kIsIterationInvariantRate): give the amount one iteration does. */
void nnsb_set_rate_counter(nnsb_state *st, const char *name, double per_iteration);
/* Plain counter, reported as given. */
void nnsb_set_counter(nnsb_state *st, const char *name, double value);
/* Items processed in total (Google Benchmark reports items_per_second). */
void nnsb_set_items_processed(nnsb_state *st, int64_t items);
/* A label shown at the end of the row. */
void nnsb_set_label(nnsb_state *st, const char *label);

/* Adds a key/value string to the run's context (console header and the
 * JSON "context" object). Call before nnsb_run. */
void nnsb_add_context(const char *key, const char *value);

/* Parses the flags, reports unrecognised arguments (returns 1), runs the
 * benchmarks the filter selects and shuts down; 0 on success. */
int nnsb_run(int argc, char **argv);

#ifdef __cplusplus
}
#endif

#endif
