/* What a training run reports: JSON lines to --log FILE (one per step and
 * one per epoch), and progress on standard error (a bar with steps/s and
 * ETA on a terminal, a plain line every few seconds otherwise). */
#ifndef NNS_TRAIN_LOG_H
#define NNS_TRAIN_LOG_H

#include <stdint.h>
#include <stdio.h>

typedef struct nns_train_log {
    FILE *json;           /* NULL: no --log */
    int tty;              /* stderr is a terminal */
    double start;         /* monotonic seconds at the start of training */
    double last_print;
    uint64_t total_steps; /* for the ETA */
} nns_train_log;

/* Monotonic seconds. */
double nns_now(void);

/* Opens `path` for the JSON lines (NULL: none); appends when `append`
 * (a resumed run). 0, or -1 with a message in err. */
int nns_log_open(nns_train_log *l, const char *path, int append, uint64_t total_steps, char *err,
                 size_t err_len);
void nns_log_close(nns_train_log *l);
/* {"step","epoch","loss","lr","time_s"} and the progress display. */
void nns_log_step(nns_train_log *l, uint64_t step, int epoch, float loss, float lr);
/* {"epoch","test_loss","test_acc","epoch_time_s"}; and a line on stderr. */
void nns_log_epoch(nns_train_log *l, int epoch, double test_loss, double test_acc,
                   double epoch_time);

#endif
