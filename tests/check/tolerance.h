/* The tolerance table: one row per kernel and direction. */
#ifndef NNS_TOLERANCE_H
#define NNS_TOLERANCE_H

#include <stddef.h>

/* Unit roundoff of float, 2^-24: |fl(a op b) - a op b| <= U * |a op b|. */
#define CHK_U 0x1p-24

typedef struct chk_tolerance {
    const char *kernel;
    /* Every implementation, reference included, must satisfy
     *   |result - truth| <= factor * U * S + floor
     * where S is the kernel's first-order error model in units of U
     * (derived beside the model in the family's check file) and truth is
     * evaluated in double. factor 0 means exact: result == truth. */
    double factor;
    const char *model;  /* what S is, in one line */
    const char *why;    /* why this factor */
} chk_tolerance;

/* The row of kernel k, NULL if the table lacks one (a test forbids that). */
const chk_tolerance *chk_tolerance_for(size_t k);

/* Results below FLT_MIN carry absolute, not relative, accuracy: exp and
 * erfc lose precision in the subnormal range and SIMD code may flush
 * there. So every elementwise bound adds FLT_MIN * (1 + |x|) * (1 + |dy|). */
double chk_subnormal_floor(double x, double dy);

#endif
