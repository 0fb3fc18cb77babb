/* Kernel benchmark specs. Each kernel `k` of include/nnsimd_kernels.def
 * has a spec `nnsb_spec_<k>`, defined in its family's bench/bench_<family>.c;
 * bench/bench_main.c registers `<kernel>/<isa>/<shape>` for every kernel x
 * ISA x shape of the spec and runs it through nns_kernels_for(isa). */
#ifndef NNSIMD_BENCH_H
#define NNSIMD_BENCH_H

#include <stddef.h>
#include <stdint.h>

#include "nnsimd.h"

#define NNSB_MAX_DIMS 4
#define NNSB_MAX_SHAPES 12

/* One shape: a size per letter of the spec's `dims`. */
typedef struct nnsb_shape {
    size_t d[NNSB_MAX_DIMS];
} nnsb_shape;

typedef struct nnsb_spec {
    /* One letter per dimension, in order: "N", "MNK". The shape's name is
     * <letter><size> per dimension joined by '_': N16384, M1024_N1024_K1024. */
    const char *dims;
    size_t nshapes;
    nnsb_shape shapes[NNSB_MAX_SHAPES];
    /* Allocates the buffers of one shape and fills them from a fixed seed
     * (touching every page, so no page fault is timed); NULL if out of
     * memory. */
    void *(*setup)(const nnsb_shape *shape);
    /* One call of the kernel through `t` (an ISA's raw table). */
    void (*call)(void *ctx, const nns_kernel_table *t);
    void (*teardown)(void *ctx);
    /* Per call: nominal flops and the bytes that must move (each array
     * read or written once). */
    double (*flops)(const nnsb_shape *shape);
    double (*bytes)(const nnsb_shape *shape);
    /* Per call, optional (NULL): items for Google Benchmark's
     * items_per_second (elements for elementwise kernels). */
    double (*items)(const nnsb_shape *shape);
} nnsb_spec;

/* nnsb_spec_<kernel> for every kernel of the list. */
#define NNS_KERNEL(name, type) extern const nnsb_spec nnsb_spec_##name;
#include "nnsimd_kernels.def"
#undef NNS_KERNEL
/* The linear backward's din and dweight products alone (bench_linear.c),
 * timed apart by nnsimd-vs-openblas --parts. */
extern const nnsb_spec nnsb_spec_linear_bwd_din, nnsb_spec_linear_bwd_dweight;
/* The linear layer's fused activation epilogues and the same work
 * unfused (bench_linear.c), registered beside the kernels. */
extern const nnsb_spec nnsb_spec_linear_act_fwd, nnsb_spec_linear_act_fwd_unfused,
    nnsb_spec_linear_act_bwd, nnsb_spec_linear_act_bwd_unfused;

/* The scalar rows of shapes above this many flops per call are error rows
 * (the reference runs at a few GFLOP/s: 1024^3 would take a second a call). */
#define NNSB_SCALAR_MAX_FLOPS 1.5e9

/* The shape's name: <letter><size> per dimension joined by '_'. */
void nnsb_shape_name(char *buf, size_t size, const nnsb_spec *spec, const nnsb_shape *s);
/* Registers the OpenBLAS baselines (bench/bench_openblas.c). */
void nnsb_register_openblas(void);

/* Helpers for setups (bench/bench_main.c). */

/* n floats, 64-byte aligned; NULL if out of memory (or n == 0). */
float *nnsb_alloc_floats(size_t n);
/* Fills p[0..n) uniformly in [lo, hi) from `seed` (splitmix64). */
void nnsb_fill_uniform(float *p, size_t n, float lo, float hi, uint64_t seed);

#endif
