/* Machine probes for neon: the generic loops over this ISA's vectors. */
#include "vec.h"
#define NNS_PROBE_CHAINS NNS_PROBE_CHAINS_NEON
#include "../generic/probe.h"
