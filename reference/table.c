/* The scalar table: every kernel has a reference. */
#include "nnsimd_internal.h"

const nns_kernel_table nns_table__scalar = {
#define NNS_KERNEL(name, type) .name = nns_##name##__scalar,
#define NNS_WORKSPACE(kernel, type) .kernel##_workspace_size = nns_##kernel##_workspace_size__scalar,
#include "nnsimd_kernels.def"
#undef NNS_WORKSPACE
#undef NNS_KERNEL
};
