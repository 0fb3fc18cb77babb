/* The data-root lookup: --data, NNSIMD_DATA, then data/ above the executable. */
#include "data_root.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* dir/name if it looks like the data set, else dir itself if it does. */
static int try_root(const char *dir, const char *name, int (*looks_like)(const char *),
                    char *out, size_t len)
{
    char sub[PATH_MAX + 64];
    snprintf(sub, sizeof sub, "%s/%.32s", dir, name);
    if (looks_like(sub)) return snprintf(out, len, "%s", sub), 0;
    if (looks_like(dir)) return snprintf(out, len, "%s", dir), 0;
    return -1;
}

int nns_data_dir(const char *flag, const char *name, int (*looks_like)(const char *dir),
                 char *out, size_t out_len, char *err, size_t err_len)
{
    if (flag) {
        if (try_root(flag, name, looks_like, out, out_len) == 0) return 0;
        snprintf(err, err_len, "--data %s: neither it nor %s/%s holds the %s files", flag, flag,
                 name, name);
        return -1;
    }
    const char *env = getenv("NNSIMD_DATA");
    if (env && *env) {
        if (try_root(env, name, looks_like, out, out_len) == 0) return 0;
        snprintf(err, err_len, "NNSIMD_DATA=%s: neither it nor %s/%s holds the %s files", env,
                 env, name, name);
        return -1;
    }
    /* data/ in the executable's folder or up to three folders above it
     * (build/nnsimd, build/aarch64/nnsimd, an installed bin/). */
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        for (int up = 0; up < 4; up++) {
            char *slash = strrchr(exe, '/');
            if (!slash) break;
            *slash = '\0';
            char sub[PATH_MAX + 64];
            snprintf(sub, sizeof sub, "%s/data/%.32s", exe, name);
            if (looks_like(sub)) return snprintf(out, out_len, "%s", sub), 0;
        }
    }
    snprintf(err, err_len, "no %s data: pass --data DIR, set NNSIMD_DATA, or run `make data` "
                           "to fill data/ at the project's top", name);
    return -1;
}
