/* The OpenBLAS operations that match the linear layer's kernels, for the
 * baselines of nnsimd-bench (bench_openblas.c) and the paired runs of
 * nnsimd-vs-openblas (bench/paired/vs_openblas.c). Linked into those
 * programs only, never into the library. */
#ifndef NNSB_OPENBLAS_OPS_H
#define NNSB_OPENBLAS_OPS_H

#include "bench.h"

/* Which gradients a backward op forms (NNSB_GRAD_ALL for the layer's). */
typedef enum nnsb_grads { NNSB_GRAD_ALL, NNSB_GRAD_DIN, NNSB_GRAD_DWEIGHT } nnsb_grads;

/* One shape's buffers, filled from fixed seeds. */
typedef struct nnsb_blas_op {
    int n, c, oc, bwd;
    nnsb_grads grads;
    float *in, *w, *b, *out, *dout, *din, *dw, *ones;
} nnsb_blas_op;

/* Allocates and fills; -1 if out of memory (then nothing is left to free). */
int nnsb_blas_op_init(nnsb_blas_op *op, const nnsb_shape *shape, int bwd, nnsb_grads grads);

/* One call. Forward: out = in . W^T + b (the bias pre-loaded, beta = 1, as
 * our epilogue adds it). Backward: din += dout . W, dW += dout^T . in, and
 * db += column sums of dout (sgemv with a vector of ones); only din or only
 * dW for NNSB_GRAD_DIN or NNSB_GRAD_DWEIGHT. */
void nnsb_blas_op_run(const nnsb_blas_op *op);

void nnsb_blas_op_free(nnsb_blas_op *op);

/* One OpenBLAS thread; the name of the kernels it chose when it loaded. */
const char *nnsb_blas_setup(void);

#endif
