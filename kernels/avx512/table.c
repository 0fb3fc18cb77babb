/* The AVX-512 table: the kernels this folder implements. */
#include "nnsimd_internal.h"

const nns_kernel_table nns_table__avx512 = {
    .relu_fwd = nns_relu_fwd__avx512,
    .relu_bwd = nns_relu_bwd__avx512,
    .gelu_fwd = nns_gelu_fwd__avx512,
    .gelu_bwd = nns_gelu_bwd__avx512,
    .gelu_tanh_fwd = nns_gelu_tanh_fwd__avx512,
    .gelu_tanh_bwd = nns_gelu_tanh_bwd__avx512,
    .linear_fwd = nns_linear_fwd__avx512,
    .linear_bwd = nns_linear_bwd__avx512,
    .linear_fwd_workspace_size = nns_linear_fwd_workspace_size__avx512,
    .linear_bwd_workspace_size = nns_linear_bwd_workspace_size__avx512,
};
