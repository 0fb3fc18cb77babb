/* Where a model's training step spends its time, phase by phase
 * (`nnsimd train mlp --profile`). The threads of a step meet at barriers;
 * each stamps the clock when it reaches one and when it leaves it, so the
 * phase a barrier closes splits, on each thread, into its work (from
 * leaving the previous barrier to reaching this one) and its wait for the
 * slowest thread. Each thread writes only its own row; the table is
 * printed after training. */
#ifndef NNS_PHASE_CLOCK_H
#define NNS_PHASE_CLOCK_H

#include <stddef.h>
#include <stdio.h>

#define NNS_PHASE_MAX 64

/* One thread's sums, in seconds. */
typedef struct nns_phase_row {
    _Alignas(64) double work[NNS_PHASE_MAX], wait[NNS_PHASE_MAX];
    double left; /* when it left the last barrier (or began the step) */
} nns_phase_row;

typedef struct nns_phase_clock {
    int threads;
    unsigned long steps;
    unsigned phases;                  /* barriers in a step */
    char names[NNS_PHASE_MAX][24];    /* the phase each closes */
    nns_phase_row *rows;              /* one per thread */
} nns_phase_clock;

/* 0, or -1 when out of memory. */
int nns_phase_clock_init(nns_phase_clock *c, int threads);
void nns_phase_clock_free(nns_phase_clock *c);
/* Thread t begins a step. */
void nns_phase_clock_begin(nns_phase_clock *c, int t);
/* Thread t reaches barrier k of the step, which closes the phase `name`
 * (of layer l, or of none when l is NNS_PHASE_NO_LAYER). */
#define NNS_PHASE_NO_LAYER ((size_t)-1)
void nns_phase_clock_arrive(nns_phase_clock *c, int t, unsigned k, const char *name, size_t l);
/* Thread t leaves barrier k. */
void nns_phase_clock_leave(nns_phase_clock *c, int t, unsigned k);
/* After a step, on one thread, once all have left its last barrier. */
void nns_phase_clock_end_step(nns_phase_clock *c);
/* The table: each phase's mean time a step, then each thread's work and
 * the mean wait, in microseconds. */
void nns_phase_clock_print(const nns_phase_clock *c, FILE *f);

#endif
