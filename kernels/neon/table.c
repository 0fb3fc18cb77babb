/* The NEON table: the kernels this folder implements. */
#include "nnsimd_internal.h"

const nns_kernel_table nns_table__neon = {
    .relu_fwd = nns_relu_fwd__neon,
    .relu_bwd = nns_relu_bwd__neon,
    .gelu_fwd = nns_gelu_fwd__neon,
    .gelu_bwd = nns_gelu_bwd__neon,
    .gelu_tanh_fwd = nns_gelu_tanh_fwd__neon,
    .gelu_tanh_bwd = nns_gelu_tanh_bwd__neon,
    .linear_fwd = nns_linear_fwd__neon,
    .linear_bwd = nns_linear_bwd__neon,
    .linear_fwd_workspace_size = nns_linear_fwd_workspace_size__neon,
    .linear_bwd_workspace_size = nns_linear_bwd_workspace_size__neon,
};
