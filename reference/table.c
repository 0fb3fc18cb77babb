/* The scalar table: every kernel has a reference. */
#include "nnsimd_internal.h"

const nns_kernel_table nns_table__scalar = {
#define NNS_KERNEL(name, type) .name = nns_##name##__scalar,
#include "nnsimd_kernels.def"
#undef NNS_KERNEL
};
