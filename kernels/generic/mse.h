/* The MSE loss with its gradient, written once over the vf_* operations;
 * each ISA's mse.c includes its vec.h and then this file, which defines
 * nns_mse_fwd_bwd__<isa>. One pass: d = pred - target, the squares summed
 * in float lanes (the tolerance row allows any order of the n-term sum),
 * and dpred += fl(2/n) * d as reference/loss.c computes it (product, then
 * the accumulation: the reference's bits).
 *
 * The summation order depends only on n, never on the pointers (blocks
 * counted from element 0, nothing peeled for alignment), and is the same
 * with and without dpred, so the loss-only call gives the same bits. */
#include "variant.h"

#define MSE_NV 4

/* The pass over n elements, the gradient written if dpred is not NULL.
 * One loop serves both calls (a well-predicted branch per vector, free in
 * a memory-bound loop): with two specialised loops the compiler may pick
 * different FMA operand orders, and where two NaNs meet, x86 keeps the
 * first operand's: the loss-only call would then differ in a NaN's sign. */
static float mse_pass(float *dpred, const float *pred, const float *target, size_t n, vf vc)
{
    const int grad = dpred != NULL;
    vf acc[MSE_NV];
#pragma GCC unroll 8
    for (int k = 0; k < MSE_NV; k++) acc[k] = vf_set1(0.0f);
    size_t i = 0;
    for (; i + MSE_NV * VF_LANES <= n; i += MSE_NV * VF_LANES) {
#pragma GCC unroll 8
        for (int k = 0; k < MSE_NV; k++) {
            const size_t o = i + k * VF_LANES;
            vf d = vf_sub(vf_load(pred + o), vf_load(target + o));
            acc[k] = vf_fma(d, d, acc[k]);
            if (grad) vf_store(dpred + o, vf_add(vf_load(dpred + o), vf_mul(vc, d)));
        }
    }
    for (; i + VF_LANES <= n; i += VF_LANES) {
        vf d = vf_sub(vf_load(pred + i), vf_load(target + i));
        acc[0] = vf_fma(d, d, acc[0]);
        if (grad) vf_store(dpred + i, vf_add(vf_load(dpred + i), vf_mul(vc, d)));
    }
    if (i < n) {
        const size_t r = n - i;
        vf d = vf_sub(vf_load_n(pred + i, r), vf_load_n(target + i, r)); /* 0 beyond n */
        acc[1] = vf_fma(d, d, acc[1]);
        if (grad) vf_store_n(dpred + i, vf_add(vf_load_n(dpred + i, r), vf_mul(vc, d)), r);
    }
    return vf_hsum(vf_add(vf_add(acc[0], acc[1]), vf_add(acc[2], acc[3])));
}

void NNS_VARIANT(mse_fwd_bwd)(float *loss, float *dpred, const float *pred, const float *target,
                              size_t n)
{
    if (n == 0) {
        *loss = 0.0f;
        return;
    }
    const vf vc = vf_set1((float)(2.0 / (double)n));
    *loss = mse_pass(dpred, pred, target, n, vc) / (float)n;
}
