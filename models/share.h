/* How the models split n independent items (rows, output features)
 * between threads: thread t owns the contiguous share [n t / nt, n (t + 1)
 * / nt), cut into chunks; inside a parallel region it takes its own chunks
 * in order, then whatever chunks of the other threads' shares are still
 * untaken. In a calm run each thread does exactly its own share, so the
 * data it touches stays in its core's cache from one step to the next; a
 * thread the machine slows down hands its last chunks to the others
 * instead of keeping them all waiting. Which thread computes an item never
 * changes its bits. */
#ifndef NNS_SHARE_H
#define NNS_SHARE_H

#include <stdatomic.h>
#include <stddef.h>

/* Thread t's share [*lo, *hi) of n items among nt. */
static inline void nns_share(size_t n, int t, int nt, size_t *lo, size_t *hi)
{
    *lo = n * (size_t)t / (size_t)nt;
    *hi = n * (size_t)(t + 1) / (size_t)nt;
}

/* One counter per owner, each on a cache line of its own. */
typedef struct nns_share_counter {
    _Alignas(64) atomic_size_t taken; /* chunks of the owner's share handed out */
} nns_share_counter;

typedef struct nns_shares {
    size_t n, chunk;
    int nt;
    nns_share_counter *owner; /* nt counters */
} nns_shares;

/* Before the parallel region (on one thread): n items in chunks of
 * `chunk`, over nt threads, using `counters` (nt of them). */
static inline nns_shares nns_shares_start(nns_share_counter *counters, size_t n, size_t chunk, int nt)
{
    for (int t = 0; t < nt; t++) atomic_store_explicit(&counters[t].taken, 0, memory_order_relaxed);
    return (nns_shares){n, chunk ? chunk : 1, nt, counters};
}

/* The next chunk for thread t: its own first, then the others' in turn.
 * 0 when every chunk is taken. */
static inline int nns_shares_take(nns_shares *s, int t, size_t *lo, size_t *hi)
{
    for (int k = 0; k < s->nt; k++) {
        int o = (t + k) % s->nt;
        size_t a, b;
        nns_share(s->n, o, s->nt, &a, &b);
        size_t chunks = (b - a + s->chunk - 1) / s->chunk;
        atomic_size_t *taken = &s->owner[o].taken;
        if (atomic_load_explicit(taken, memory_order_relaxed) >= chunks) continue;
        size_t i = atomic_fetch_add_explicit(taken, 1, memory_order_relaxed);
        if (i < chunks) {
            *lo = a + i * s->chunk;
            *hi = *lo + s->chunk < b ? *lo + s->chunk : b;
            return 1;
        }
    }
    return 0;
}

#endif
