/* The tolerance table. A bound is derived once, here or beside its error
 * model, and never loosened to make a test pass. */
#include "tolerance.h"

#include "nnsimd.h"

#include <float.h>
#include <math.h>
#include <string.h>

static const chk_tolerance table[] = {
    {"relu_fwd", 0, "exact",
     "max(x, 0) is a select: no rounding at all"},
    {"relu_bwd", 1, "|t|",
     "one addition din + dout: a single rounding, |err| <= U |t| exactly"},
    {"gelu_fwd", 2, "(8 + 2k)|t|, k = |z erfc'(z)/erfc(z)|, z = -x/sqrt2",
     "first-order: erfc <= 3 ULP (6U), z's two roundings amplified by erfc's "
     "condition number k, one product; x2 covers second-order terms and the "
     "difference between SLEEF's and libm's erfc"},
    {"gelu_bwd", 2, "|t| + |dy|(2|g| + (7 + 2k)|Phi| + (7 + x^2/2)|x phi|)",
     "first-order: the Phi term as in gelu_fwd, the x phi(x) term with exp <= 2 ULP "
     "and the rounding of x^2 amplified by x^2/2, then sum, product and "
     "accumulation; x2 for second-order terms"},
    {"gelu_tanh_fwd", 2, "(9 + 14|w|(1-s))|t|, w = 2u, s = sigmoid(w)",
     "first-order: w carries 7 roundings, amplified by sigmoid's condition "
     "number |w|(1-s); exp <= 2 ULP, one division, two products; x2 for "
     "second-order terms"},
    {"gelu_tanh_bwd", 2, "|t| + |dy|(2|g| + (8 + 14|w|(1-s))|s| + (22 + 14|w|)|R|)",
     "first-order: s as in gelu_tanh_fwd; R = x s(1-s) dw/dx with s(1-s) = e a^2 "
     "sensitive to w by |w|, dw/dx with 6 roundings; then sum, product and "
     "accumulation; x2 for second-order terms"},
};

const chk_tolerance *chk_tolerance_for(size_t k)
{
    const char *name = nns_kernel_name(k);
    for (size_t i = 0; name && i < sizeof table / sizeof table[0]; i++)
        if (strcmp(table[i].kernel, name) == 0) return &table[i];
    return NULL;
}

double chk_subnormal_floor(double x, double dy)
{
    double ax = isfinite(x) ? fabs(x) : 0, ady = isfinite(dy) ? fabs(dy) : 0;
    return FLT_MIN * (1.0 + ax) * (1.0 + ady);
}
