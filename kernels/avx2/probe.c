/* Machine probes for avx2: the generic loops over this ISA's vectors. */
#include "vec.h"
#define NNS_PROBE_CHAINS NNS_PROBE_CHAINS_AVX2
#include "../generic/probe.h"
