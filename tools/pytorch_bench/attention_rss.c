/* Peak memory of nnsimd's attention forward + backward, measured the way
 * fam_attention.py --memory measures PyTorch's: in a fresh process, the
 * inputs (packed q, k, v and dout, as bench/bench_attention.c makes them)
 * are allocated and touched first; then the outputs and gradients (out,
 * lse, dq, dk, dv) and the workspace are allocated, one forward and one
 * backward run, and the growth of the peak resident set (getrusage
 * ru_maxrss) over that is printed beside the analytic count.
 *
 *   gcc -O2 -Iinclude tools/pytorch_bench/attention_rss.c build/libnnsimd.a \
 *       -lhwloc -lpthread -lm -lcpuid -o build/attention_rss
 *   build/attention_rss [isa]       (every bench shape; isa: the active one)
 */
#include "nnsimd.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static void fill(float *p, size_t n, float lo, float hi, uint64_t seed)
{
    const float scale = (hi - lo) * 0x1p-24f;
    for (size_t i = 0; i < n; i++) p[i] = lo + scale * (float)(splitmix64(&seed) >> 40);
}

static long peak_kib(void)
{
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return u.ru_maxrss;
}

static float *touched(size_t n)
{
    float *p = malloc(n * sizeof *p);
    if (!p) exit(1);
    memset(p, 0, n * sizeof *p);
    return p;
}

static const char *active_isa_name(void)
{
    nns_isa isa = NNS_ISA_SCALAR;
    nns_isa_active(&isa, NULL);
    return nns_isa_name(isa);
}

/* One shape in this (fresh, forked) process. */
static int one(size_t b, size_t t, size_t h, size_t d, int ragged)
{
    const size_t c = h * d, bt = b * t;
    int32_t len[64];
    float u[64];
    fill(u, b, 0.0f, 1.0f, 42);
    for (size_t i = 0; i < b; i++) {
        size_t lo = t / 4, l = lo + (size_t)(u[i] * (float)(t - lo + 1));
        len[i] = (int32_t)(ragged ? (l > t ? t : l) : t);
    }
    float *qkv = touched(bt * 3 * c), *dout = touched(bt * c);
    fill(qkv, bt * 3 * c, -1.0f, 1.0f, 1);
    fill(dout, bt * c, -1.0f, 1.0f, 2);
    const long before = peak_kib();
    const size_t wf = nns_attention_fwd_workspace_size(t, d), wb = nns_attention_bwd_workspace_size(t, d);
    const size_t ws = wf > wb ? wf : wb;
    float *out = touched(bt * c), *lse = touched(bt * h), *dqkv = touched(bt * 3 * c);
    void *w = malloc(ws ? ws : 1);
    if (!w) return 1;
    if (nns_attention_fwd(out, lse, qkv, qkv + c, qkv + 2 * c, 3 * c, len, b, t, h, d, 0, w) ||
        nns_attention_bwd(dqkv, dqkv + c, dqkv + 2 * c, dout, qkv, qkv + c, qkv + 2 * c, out, lse,
                          3 * c, len, b, t, h, d, 0, w))
        return 1;
    const long after = peak_kib();
    const double analytic = (double)((bt * c + bt * h + bt * 3 * c) * sizeof(float) + ws) / 1024.0;
    printf("attention_fwd_bwd/%s/B%zu_T%zu_H%zu_D%zu peak_rss_delta_kib %ld analytic_kib %.0f "
           "(out %zu + lse %zu + dqkv %zu floats, workspace %zu B: fwd %zu, bwd %zu)\n",
           active_isa_name(), b, t, h, d, after - before, analytic, bt * c, bt * h,
           bt * 3 * c, ws, wf, wb);
    free(w), free(out), free(lse), free(dqkv), free(qkv), free(dout);
    fflush(stdout); /* the child leaves through _exit */
    return 0;
}

int main(int argc, char **argv)
{
    nns_isa isa;
    if (argc > 1 && (nns_isa_parse(argv[1], &isa) != NNS_OK || nns_set_isa(isa) != NNS_OK)) {
        fprintf(stderr, "attention_rss: cannot select isa %s\n", argv[1]);
        return 2;
    }
    static const size_t shapes[][4] = {
        {32, 256, 4, 32}, {1, 512, 4, 64}, {2, 512, 4, 64}, {4, 512, 4, 64}, {1, 1024, 4, 64}};
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0)
            _exit(one(shapes[i][0], shapes[i][1], shapes[i][2], shapes[i][3],
                      shapes[i][1] == 256 && shapes[i][3] == 32));
        int st = 0;
        waitpid(pid, &st, 0);
        if (!WIFEXITED(st) || WEXITSTATUS(st)) return 1;
    }
    return 0;
}
