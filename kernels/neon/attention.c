/* The attention core for neon: the generic body over this ISA's vectors. */
#include "vec.h"
#include "../generic/attention.h"
