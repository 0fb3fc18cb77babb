/* OpenBLAS baselines beside the linear layer: cblas_sgemm on the same
 * shapes, in the same run, named linear_fwd/openblas/<shape> and
 * linear_bwd/openblas/<shape>. One thread (openblas_set_num_threads(1);
 * set OPENBLAS_NUM_THREADS=1 too). OpenBLAS picks its kernels when it
 * loads, from OPENBLAS_CORETYPE if set (e.g. Haswell, for the AVX2
 * comparison on an AVX-512 CPU): the context names the core it chose.
 * Linked into nnsimd-bench only, never into the library. */
#include "bench.h"
#include "gbench_shim.h"

#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>

char *openblas_get_corename(void);
void openblas_set_num_threads(int n);

typedef struct blas_case {
    const nnsb_shape *shape;
    int bwd;
} blas_case;

/* Forward: out = in . W^T + b (the bias pre-loaded, beta = 1, as our
 * epilogue adds it). Backward: din += dout . W, dW += dout^T . in, and
 * db += column sums of dout (sgemv with a vector of ones). */
static void run_blas(nnsb_state *st, const void *arg)
{
    const blas_case *bc = arg;
    int n = (int)bc->shape->d[0], c = (int)bc->shape->d[1], oc = (int)bc->shape->d[2];
    size_t nc = (size_t)n * c, oo = (size_t)oc * c, no = (size_t)n * oc;
    float *in = nnsb_alloc_floats(nc), *w = nnsb_alloc_floats(oo), *b = nnsb_alloc_floats(oc);
    float *out = nnsb_alloc_floats(no), *dout = nnsb_alloc_floats(no), *din = nnsb_alloc_floats(nc);
    float *dw = nnsb_alloc_floats(oo), *ones = nnsb_alloc_floats(n);
    if (!in || !w || !b || !out || !dout || !din || !dw || !ones) {
        nnsb_skip_with_error(st, "out of memory");
    } else {
        nnsb_fill_uniform(in, nc, -1, 1, 1);
        nnsb_fill_uniform(w, oo, -1, 1, 2);
        nnsb_fill_uniform(b, oc, -1, 1, 3);
        nnsb_fill_uniform(dout, no, -1, 1, 4);
        nnsb_fill_uniform(din, nc, -1, 1, 5);
        nnsb_fill_uniform(dw, oo, -1, 1, 6);
        nnsb_fill_uniform(out, no, -1, 1, 8);
        for (int i = 0; i < n; i++) ones[i] = 1.0f;
        while (nnsb_keep_running(st)) {
            if (!bc->bwd) {
                for (int r = 0; r < n; r++)
                    for (int j = 0; j < oc; j++) out[(size_t)r * oc + j] = b[j];
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, oc, c, 1.0f, in, c, w, c,
                            1.0f, out, oc);
            } else {
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, c, oc, 1.0f, dout, oc, w,
                            c, 1.0f, din, c);
                cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, oc, c, n, 1.0f, dout, oc, in, c,
                            1.0f, dw, c);
                cblas_sgemv(CblasRowMajor, CblasTrans, n, oc, 1.0f, dout, oc, ones, 1, 1.0f, b, 1);
            }
        }
        double mnk = (double)n * c * oc;
        nnsb_set_rate_counter(st, "flops", (bc->bwd ? 4 : 2) * mnk);
        nnsb_set_label(st, openblas_get_corename());
    }
    free(in), free(w), free(b), free(out), free(dout), free(din), free(dw), free(ones);
}

void nnsb_register_openblas(void)
{
    static blas_case cases[2][NNSB_MAX_SHAPES];
    openblas_set_num_threads(1);
    nnsb_add_context("openblas_corename", openblas_get_corename());
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
