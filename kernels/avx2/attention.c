/* The attention core for avx2: the generic body over this ISA's vectors. */
#include "vec.h"
#include "../generic/attention.h"
