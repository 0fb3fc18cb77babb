/* NNS_VARIANT(name) -> nns_<name>__<isa>, for the generic bodies; the
 * including ISA's vec.h defines NNS_ISA. */
#ifndef NNS_VARIANT_H
#define NNS_VARIANT_H

#define NNS_CAT_(a, b, c) a##b##c
#define NNS_CAT(a, b, c) NNS_CAT_(a, b, c)
#define NNS_VARIANT(name) NNS_CAT(nns_, name, NNS_CAT(__, NNS_ISA, ))

#endif
