/* Dropping memory a core has finished reading from every cache, so that
 * the core which writes it next need not take each line back from it.
 *
 * A line two cores have read is held by both; the next store to it, on
 * either, must first invalidate the other's copy, one cross-core exchange
 * per line (about 215 ns on the Zen 5 VM the targets were set on,
 * amd-oxide-f1a-m02), of which a stream of stores keeps only a few in
 * flight. Flushing the line from the reader's side once it is done makes
 * the writer find it in no cache: it reads it from memory, in a stream the
 * hardware prefetches, and owns it at once. The flush writes a modified
 * line back and invalidates every copy (x86's clflush, in every x86-64
 * CPU; AArch64's DC CIVAC, which Linux lets user code issue). Only speed
 * depends on it: what any thread reads afterwards is the same. */
#ifndef NNS_EVICT_H
#define NNS_EVICT_H

#include <stddef.h>
#include <stdint.h>

/* Lines are at least this long on the CPUs the project runs on; flushing
 * every 64 bytes reaches every line of a longer size too. */
#define NNS_EVICT_STRIDE 64

/* Flushes the lines holding [p, p + bytes) from every cache. */
static inline void nns_evict(const void *p, size_t bytes)
{
    if (!bytes) return;
    uintptr_t a = (uintptr_t)p / NNS_EVICT_STRIDE * NNS_EVICT_STRIDE, end = (uintptr_t)p + bytes;
    for (; a < end; a += NNS_EVICT_STRIDE) {
#if defined(__x86_64__) || defined(__i386__)
        __asm__ __volatile__("clflush %0" ::"m"(*(const volatile char *)a));
#elif defined(__aarch64__)
        __asm__ __volatile__("dc civac, %0" ::"r"(a) : "memory");
#endif
    }
}

#endif
