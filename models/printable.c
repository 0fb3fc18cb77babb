#include "printable.h"

#include <stdio.h>
#include <string.h>

const char *nns_printable(const char *s, char *out, size_t len)
{
    size_t at = 0, i = 0;
    for (; s[i] && i < 64 && at + 5 < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f) at += (size_t)snprintf(out + at, len - at, "\\x%02x", c);
        else out[at++] = (char)c;
    }
    if (s[i] && at + 4 <= len) memcpy(out + at, "...", 3), at += 3;
    out[at] = '\0';
    return out;
}
