/* Outside text (a JSON key, a file name, a metadata value) shown in a
 * one-line message. */
#ifndef NNS_PRINTABLE_H
#define NNS_PRINTABLE_H

#include <stddef.h>

/* s with control bytes as \xNN, cut at 64 bytes with "...", into out
 * (len bytes; 4 * 64 + 4 always suffices). Returns out. */
const char *nns_printable(const char *s, char *out, size_t len);

#endif
