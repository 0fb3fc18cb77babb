#include "phase_clock.h"

#include "train_log.h"

#include <stdlib.h>
#include <string.h>

int nns_phase_clock_init(nns_phase_clock *c, int threads)
{
    memset(c, 0, sizeof *c);
    c->threads = threads < 1 ? 1 : threads;
    c->rows = aligned_alloc(_Alignof(nns_phase_row), (size_t)c->threads * sizeof *c->rows);
    if (!c->rows) return -1;
    memset(c->rows, 0, (size_t)c->threads * sizeof *c->rows);
    return 0;
}

void nns_phase_clock_free(nns_phase_clock *c)
{
    free(c->rows);
    memset(c, 0, sizeof *c);
}

void nns_phase_clock_begin(nns_phase_clock *c, int t)
{
    c->rows[t].left = nns_now();
}

void nns_phase_clock_arrive(nns_phase_clock *c, int t, unsigned k, const char *name, size_t l)
{
    double at = nns_now();
    if (k >= NNS_PHASE_MAX || t >= c->threads) return;
    nns_phase_row *r = &c->rows[t];
    r->work[k] += at - r->left;
    r->wait[k] -= at; /* leave adds the time it left */
    if (t == 0 && c->steps == 0) {
        if (l == NNS_PHASE_NO_LAYER) snprintf(c->names[k], sizeof c->names[k], "%s", name);
        else snprintf(c->names[k], sizeof c->names[k], "%s %zu", name, l);
        if (k + 1 > c->phases) c->phases = k + 1;
    }
}

void nns_phase_clock_leave(nns_phase_clock *c, int t, unsigned k)
{
    double at = nns_now();
    if (k >= NNS_PHASE_MAX || t >= c->threads) return;
    c->rows[t].wait[k] += at;
    c->rows[t].left = at;
}

void nns_phase_clock_end_step(nns_phase_clock *c)
{
    c->steps++;
}

void nns_phase_clock_print(const nns_phase_clock *c, FILE *f)
{
    if (!c->steps) return;
    double us = 1e6 / (double)c->steps, total = 0;
    fprintf(f, "where a step's time went, mean over %lu steps on %d thread%s (us):\n", c->steps,
            c->threads, c->threads == 1 ? "" : "s");
    fprintf(f, "  %-14s %8s", "phase", "time");
    for (int t = 0; t < c->threads; t++) fprintf(f, "  work t%-2d", t);
    fprintf(f, "  %9s\n", "mean wait");
    for (unsigned k = 0; k < c->phases; k++) {
        double phase = 0, wait = 0;
        for (int t = 0; t < c->threads; t++) {
            phase += c->rows[t].work[k] + c->rows[t].wait[k];
            wait += c->rows[t].wait[k];
        }
        phase *= us / c->threads, wait *= us / c->threads;
        total += phase;
        fprintf(f, "  %-14s %8.1f", c->names[k], phase);
        for (int t = 0; t < c->threads; t++) fprintf(f, "  %8.1f", c->rows[t].work[k] * us);
        fprintf(f, "  %9.1f\n", wait);
    }
    fprintf(f, "  %-14s %8.1f\n", "step", total);
}
