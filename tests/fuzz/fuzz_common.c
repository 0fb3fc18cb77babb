/* Scratch files for the fuzz targets; see fuzz_common.h. */
#include "fuzz_common.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

static char root[256];

static int rm_entry(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(p);
}

void fz_remove(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0) return;
    if (S_ISDIR(st.st_mode)) nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    else unlink(path);
}

static void cleanup(void)
{
    if (root[0]) fz_remove(root);
}

const char *fz_dir(void)
{
    if (root[0]) return root;
    struct stat st;
    const char *base = stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) ? "/dev/shm" : NULL;
    if (!base) base = getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    snprintf(root, sizeof root, "%s/nnsimd-fuzz-XXXXXX", base);
    if (!mkdtemp(root)) {
        perror("fuzz: mkdtemp");
        abort();
    }
    atexit(cleanup);
    return root;
}

char *fz_path(char *out, size_t len, const char *rel)
{
    snprintf(out, len, "%s/%s", fz_dir(), rel);
    return out;
}

void fz_mkdirs(const char *rel)
{
    char p[512];
    fz_path(p, sizeof p, rel);
    for (char *s = p + strlen(fz_dir()) + 1; *s; s++)
        if (*s == '/') {
            *s = '\0';
            mkdir(p, 0700);
            *s = '/';
        }
    mkdir(p, 0700);
}

void fz_write(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f || (len && fwrite(data, 1, len, f) != len) || fclose(f) != 0) {
        perror(path);
        abort();
    }
}

unsigned char *fz_gzip(const void *data, size_t len, size_t *out_len)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (deflateInit2(&zs, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) abort();
    size_t cap = deflateBound(&zs, (uLong)len) + 32;
    unsigned char *out = malloc(cap);
    if (!out) abort();
    zs.next_in = (unsigned char *)data;
    zs.avail_in = (uInt)len;
    zs.next_out = out;
    zs.avail_out = (uInt)cap;
    if (deflate(&zs, Z_FINISH) != Z_STREAM_END) abort();
    *out_len = cap - zs.avail_out;
    deflateEnd(&zs);
    return out;
}
