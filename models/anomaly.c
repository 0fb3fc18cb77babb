/* --detect-anomaly's scan of a kernel's output. */
#include "anomaly.h"

#include <math.h>
#include <stdio.h>

int nns_anomaly_scan(nns_anomaly *a, const char *kernel, const char *where, const char *what,
                     const float *p, size_t n)
{
    if (nns_anomaly_found(a)) return 1;
    for (size_t i = 0; i < n; i++) {
        if (isfinite(p[i])) continue;
        const char *value = isnan(p[i]) ? "nan" : p[i] > 0 ? "inf" : "-inf";
        snprintf(a->msg, sizeof a->msg, "%s (%s%s%s) produced a non-finite value (%s at element %zu)",
                 kernel, where ? where : "", where ? ", " : "", what, value, i);
        return 1;
    }
    return 0;
}
