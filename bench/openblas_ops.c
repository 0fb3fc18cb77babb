/* OpenBLAS's side of the linear-layer comparisons (openblas_ops.h). */
#include "openblas_ops.h"

#include <cblas.h>
#include <stdlib.h>

char *openblas_get_corename(void);
void openblas_set_num_threads(int n);

const char *nnsb_blas_setup(void)
{
    openblas_set_num_threads(1);
    return openblas_get_corename();
}

int nnsb_blas_op_init(nnsb_blas_op *op, const nnsb_shape *shape, int bwd, nnsb_grads grads)
{
    int n = (int)shape->d[0], c = (int)shape->d[1], oc = (int)shape->d[2];
    size_t nc = (size_t)n * c, oo = (size_t)oc * c, no = (size_t)n * oc;
    *op = (nnsb_blas_op){n, c, oc, bwd, grads, nnsb_alloc_floats(nc), nnsb_alloc_floats(oo),
                         nnsb_alloc_floats(oc), nnsb_alloc_floats(no), nnsb_alloc_floats(no),
                         nnsb_alloc_floats(nc), nnsb_alloc_floats(oo), nnsb_alloc_floats(n)};
    if (!op->in || !op->w || !op->b || !op->out || !op->dout || !op->din || !op->dw || !op->ones) {
        nnsb_blas_op_free(op);
        return -1;
    }
    nnsb_fill_uniform(op->in, nc, -1, 1, 1);
    nnsb_fill_uniform(op->w, oo, -1, 1, 2);
    nnsb_fill_uniform(op->b, oc, -1, 1, 3);
    nnsb_fill_uniform(op->dout, no, -1, 1, 4);
    nnsb_fill_uniform(op->din, nc, -1, 1, 5);
    nnsb_fill_uniform(op->dw, oo, -1, 1, 6);
    nnsb_fill_uniform(op->out, no, -1, 1, 8);
    for (int i = 0; i < n; i++) op->ones[i] = 1.0f;
    return 0;
}

void nnsb_blas_op_run(const nnsb_blas_op *op)
{
    int n = op->n, c = op->c, oc = op->oc;
    if (!op->bwd) {
        for (int r = 0; r < n; r++)
            for (int j = 0; j < oc; j++) op->out[(size_t)r * oc + j] = op->b[j];
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, oc, c, 1.0f, op->in, c, op->w, c,
                    1.0f, op->out, oc);
    } else {
        if (op->grads != NNSB_GRAD_DWEIGHT)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, c, oc, 1.0f, op->dout, oc, op->w,
                        c, 1.0f, op->din, c);
        if (op->grads != NNSB_GRAD_DIN)
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, oc, c, n, 1.0f, op->dout, oc, op->in,
                        c, 1.0f, op->dw, c);
        if (op->grads == NNSB_GRAD_ALL)
            cblas_sgemv(CblasRowMajor, CblasTrans, n, oc, 1.0f, op->dout, oc, op->ones, 1, 1.0f, op->b, 1);
    }
}

void nnsb_blas_op_free(nnsb_blas_op *op)
{
    free(op->in), free(op->w), free(op->b), free(op->out);
    free(op->dout), free(op->din), free(op->dw), free(op->ones);
    *op = (nnsb_blas_op){0};
}
