/* A barrier for the threads of one parallel region that waits by spinning
 * on a shared phase counter, so that passing it makes no system call.
 * libgomp's barriers (and the ends of its parallel regions) wake their
 * futex each time, even when no thread sleeps on it; in the sandboxed VM
 * the targets were set on (amd-oxide-f1a-m02) one system call made the
 * next 10 MB pass of AdamW 157-177 -> 196-245 us (a scratch test: a
 * getppid() before each pass), and an MLP step on two threads passed
 * about twenty of them. A model runs its phases in one region, kept apart
 * by this barrier.
 *
 * A waiter spins with the CPU's pause hint for a budget of rounds, then
 * yields its core at each round: the budget is nns_spin_budget's, about
 * 0.3 ms when the team fits the CPUs the process may run on, none when
 * it does not (a waiter spinning there holds the core the thread it waits
 * for needs: 4 threads on this VM's 2 cores took 40 ms a step with 20 ms
 * of spinning, as libgomp cuts its own spinning then). */
#ifndef NNS_SPIN_BARRIER_H
#define NNS_SPIN_BARRIER_H

#include <sched.h>
#include <stdatomic.h>
#include <unistd.h>

typedef struct nns_spin_barrier {
    _Alignas(64) atomic_uint arrived; /* threads at the barrier this phase */
    _Alignas(64) atomic_uint phase;   /* how many times it has opened */
    unsigned long spins;              /* pause rounds before yielding */
} nns_spin_barrier;

/* The spinning budget for a team of `threads` (once, at set-up: it asks
 * the system which CPUs the process may run on). */
static inline unsigned long nns_spin_budget(int threads)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
#ifdef CPU_COUNT
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0) cpus = CPU_COUNT(&set);
#endif
    return threads <= cpus ? 1ul << 14 : 0;
}

/* Before the region (on one thread), with nns_spin_budget's spins. */
static inline void nns_spin_barrier_init(nns_spin_barrier *b, unsigned long spins)
{
    atomic_init(&b->arrived, 0);
    atomic_init(&b->phase, 0);
    b->spins = spins;
}

static inline void nns_spin_pause(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

/* Returns once all nt threads of the region (the team's size, which can
 * be fewer than were asked for) have called it; what each wrote before
 * it is then visible to all. *seen is the caller's count of openings (0
 * at the start of the region). */
static inline void nns_spin_barrier_wait(nns_spin_barrier *b, unsigned nt, unsigned *seen)
{
    unsigned next = ++*seen;
    if (atomic_fetch_add_explicit(&b->arrived, 1, memory_order_acq_rel) + 1 == nt) {
        /* the last to arrive: reset the count, then open (the release
         * orders the reset before any thread can arrive again) */
        atomic_store_explicit(&b->arrived, 0, memory_order_relaxed);
        atomic_store_explicit(&b->phase, next, memory_order_release);
        return;
    }
    for (unsigned long spins = 0; atomic_load_explicit(&b->phase, memory_order_acquire) != next;)
        if (spins++ < b->spins) nns_spin_pause();
        else sched_yield();
}

#endif
