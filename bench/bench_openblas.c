/* OpenBLAS baselines beside the linear layer: cblas_sgemm on the same
 * shapes, in the same run, named linear_fwd/openblas/<shape> and
 * linear_bwd/openblas/<shape>. One thread (openblas_set_num_threads(1);
 * set OPENBLAS_NUM_THREADS=1 too). OpenBLAS picks its kernels when it
 * loads, from OPENBLAS_CORETYPE if set (e.g. Haswell, for the AVX2
 * comparison on an AVX-512 CPU): the context names the core it chose.
 * Linked into nnsimd-bench only, never into the library. */
#include "gbench_shim.h"

#include "openblas_ops.h"

#include <stdio.h>

typedef struct blas_case {
    const nnsb_shape *shape;
    int bwd;
} blas_case;

static void run_blas(nnsb_state *st, const void *arg)
{
    const blas_case *bc = arg;
    nnsb_blas_op op;
    if (nnsb_blas_op_init(&op, bc->shape, bc->bwd, NNSB_GRAD_ALL) != 0) {
        nnsb_skip_with_error(st, "out of memory");
        return;
    }
    while (nnsb_keep_running(st)) nnsb_blas_op_run(&op);
    double mnk = (double)op.n * op.c * op.oc;
    nnsb_set_rate_counter(st, "flops", (bc->bwd ? 4 : 2) * mnk);
    nnsb_set_label(st, nnsb_blas_setup());
    nnsb_blas_op_free(&op);
}

void nnsb_register_openblas(void)
{
    static blas_case cases[2][NNSB_MAX_SHAPES];
    nnsb_add_context("openblas_corename", nnsb_blas_setup());
    const nnsb_spec *specs[2] = {&nnsb_spec_linear_fwd, &nnsb_spec_linear_bwd};
    for (int dir = 0; dir < 2; dir++) {
        for (size_t s = 0; s < specs[dir]->nshapes; s++) {
            char shape[64], name[128];
            nnsb_shape_name(shape, sizeof shape, specs[dir], &specs[dir]->shapes[s]);
            snprintf(name, sizeof name, "%s/openblas/%s", dir ? "linear_bwd" : "linear_fwd", shape);
            cases[dir][s] = (blas_case){&specs[dir]->shapes[s], dir};
            nnsb_register(name, run_blas, &cases[dir][s]);
        }
    }
}
