/* JSON-lines training log and progress display. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "train_log.h"

#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

double nns_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

int nns_log_open(nns_train_log *l, const char *path, int append, uint64_t total_steps, char *err,
                 size_t err_len)
{
    memset(l, 0, sizeof *l);
    l->tty = isatty(STDERR_FILENO);
    l->start = l->last_print = nns_now();
    l->total_steps = total_steps;
    if (!path) return 0;
    l->json = fopen(path, append ? "a" : "w");
    if (!l->json) {
        snprintf(err, err_len, "%s: cannot open the log: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

void nns_log_close(nns_train_log *l)
{
    if (l->tty) fputc('\n', stderr);
    if (l->json) fclose(l->json);
    l->json = NULL;
}

void nns_log_step(nns_train_log *l, uint64_t step, int epoch, float loss, float lr)
{
    double t = nns_now() - l->start;
    if (l->json)
        fprintf(l->json, "{\"step\":%llu,\"epoch\":%d,\"loss\":%.9g,\"lr\":%.9g,\"time_s\":%.6f}\n",
                (unsigned long long)step, epoch, (double)loss, (double)lr, t);
    double now = nns_now();
    if (now - l->last_print < (l->tty ? 0.2 : 10.0) && step != l->total_steps) return;
    l->last_print = now;
    double rate = t > 0 ? (double)step / t : 0;
    double eta = rate > 0 && l->total_steps > step ? (double)(l->total_steps - step) / rate : 0;
    if (l->tty) {
        int width = 30, done = l->total_steps ? (int)(width * step / l->total_steps) : 0;
        fprintf(stderr, "\r  epoch %d [%.*s%*s] step %llu/%llu loss %.4f %.1f steps/s ETA %.0f s ",
                epoch, done, "==============================", width - done, "",
                (unsigned long long)step, (unsigned long long)l->total_steps, (double)loss, rate, eta);
    } else {
        fprintf(stderr, "  epoch %d step %llu/%llu loss %.4f %.1f steps/s ETA %.0f s\n", epoch,
                (unsigned long long)step, (unsigned long long)l->total_steps, (double)loss, rate, eta);
    }
    fflush(stderr);
}

void nns_log_epoch(nns_train_log *l, int epoch, double test_loss, double test_acc,
                   double epoch_time)
{
    if (l->json) {
        fprintf(l->json, "{\"epoch\":%d,\"test_loss\":%.9g,\"test_acc\":%.6f,\"epoch_time_s\":%.6f}\n",
                epoch, test_loss, test_acc, epoch_time);
        fflush(l->json);
    }
    fprintf(stderr, "%sepoch %d: test loss %.4f, test accuracy %.4f, %.2f s\n", l->tty ? "\n" : "",
            epoch, test_loss, test_acc, epoch_time);
}
