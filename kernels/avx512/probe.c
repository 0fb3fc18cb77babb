/* Machine probes for avx512: the generic loops over this ISA's vectors. */
#include "vec.h"
#define NNS_PROBE_CHAINS NNS_PROBE_CHAINS_AVX512
#include "../generic/probe.h"
