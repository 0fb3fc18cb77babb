/* --detect-anomaly: the models check every kernel's output for NaN and
 * infinity right after the call (after the parallel region that ran it,
 * the whole buffer, in program order, so the same kernel is named for any
 * thread count) and stop at the first fault, naming the kernel. Off, a
 * check costs one branch. The checks only read. */
#ifndef NNS_ANOMALY_H
#define NNS_ANOMALY_H

#include "nnsimd.h"

#include <stddef.h>

/* What a model call returns once a fault is recorded: the library has no
 * status for it, so an existing one; the message says what happened. */
#define NNS_ANOMALY_STATUS NNS_ERR_ARG

typedef struct nns_anomaly {
    int enabled;
    char msg[192]; /* the first fault, "" while none */
} nns_anomaly;

/* Scans p[0..n) unless a fault is already recorded; at its first NaN or
 * infinity records "<kernel> (<where>, <what>) produced a non-finite value
 * (nan at element i)" ("<kernel> (<what>) ..." when where is NULL).
 * Nonzero once a fault is recorded. */
int nns_anomaly_scan(nns_anomaly *a, const char *kernel, const char *where, const char *what,
                     const float *p, size_t n);

/* The check after a kernel call: one branch when checking is off. */
static inline int nns_anomaly_check(nns_anomaly *a, const char *kernel, const char *where,
                                    const char *what, const float *p, size_t n)
{
    return a->enabled && nns_anomaly_scan(a, kernel, where, what, p, n);
}

static inline int nns_anomaly_found(const nns_anomaly *a) { return a->msg[0] != '\0'; }

/* Forgets a recorded fault (a model call starts with a clean record). */
static inline void nns_anomaly_reset(nns_anomaly *a) { a->msg[0] = '\0'; }

/* A model call's status: st, or NNS_ANOMALY_STATUS if it was fine but a
 * fault was recorded. */
static inline nns_status nns_anomaly_status(const nns_anomaly *a, nns_status st)
{
    return st == NNS_OK && nns_anomaly_found(a) ? NNS_ANOMALY_STATUS : st;
}

#endif
