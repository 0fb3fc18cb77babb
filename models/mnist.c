/* The MNIST IDX reader: zlib's gz* functions read gzip and raw files alike;
 * every header field and the exact data size are checked, and the stream is
 * read to its end so a bad gzip CRC or length is seen too. */
#include "mnist.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#define IDX_IMAGES 0x00000803u /* u8, 3 dimensions */
#define IDX_LABELS 0x00000801u /* u8, 1 dimension */
#define READ_CHUNK (1u << 30)  /* gzread takes an unsigned and returns an int */

typedef struct idx_file {
    char path[PATH_MAX + 64];
    gzFile gz;
    size_t dims[3];
    int ndims;
    size_t header; /* bytes */
    size_t data;   /* bytes after the header */
} idx_file;

static int fail(char *err, size_t len, const char *path, const char *fmt, ...)
{
    va_list ap;
    size_t n = (size_t)snprintf(err, len, "%s: ", path);
    va_start(ap, fmt);
    if (n < len) vsnprintf(err + n, len - n, fmt, ap);
    va_end(ap);
    return -1;
}

static size_t be32(const unsigned char *p)
{
    return (size_t)((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]);
}

static int is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* dir/name without a doubled slash. */
static void join(char *out, size_t len, const char *dir, const char *name)
{
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/') n--;
    snprintf(out, len, "%.*s/%s", (int)n, dir, name);
}

/* "what the file holds" for size messages: "16-byte header + 60000 x 28 x 28". */
static void describe(const idx_file *f, char *out, size_t len)
{
    if (f->ndims == 3)
        snprintf(out, len, "%zu-byte header + %zu x %zu x %zu pixels", f->header, f->dims[0],
                 f->dims[1], f->dims[2]);
    else
        snprintf(out, len, "%zu-byte header + %zu labels", f->header, f->dims[0]);
}

/* The zlib error after a short read, as a message; NULL if there was none
 * (a clean end of the stream). */
static const char *gz_problem(const idx_file *f, int *truncated)
{
    int errnum = Z_OK;
    const char *msg = gzerror(f->gz, &errnum);
    size_t n = strlen(f->path);
    if (msg && strncmp(msg, f->path, n) == 0 && strncmp(msg + n, ": ", 2) == 0)
        msg += n + 2; /* gzerror prefixes the path, which our message already names */
    *truncated = 0;
    if (errnum == Z_OK || errnum == Z_STREAM_END) return NULL;
    if (errnum == Z_BUF_ERROR) { /* zlib's "unexpected end of file" */
        *truncated = 1;
        return msg;
    }
    if (errnum == Z_ERRNO) return strerror(errno);
    return msg && *msg ? msg : "unknown zlib error";
}

/* Opens dir/stem.gz (else dir/stem) and reads and checks its header. */
static int idx_open(idx_file *f, const char *dir, const char *stem, uint32_t magic,
                    const char *kind, char *err, size_t len)
{
    memset(f, 0, sizeof *f);
    struct stat st;
    if (stat(dir, &st) != 0)
        return fail(err, len, dir, "cannot open the folder: %s", strerror(errno));
    if (!S_ISDIR(st.st_mode)) return fail(err, len, dir, "not a folder");
    char raw[PATH_MAX + 64];
    join(f->path, sizeof f->path, dir, stem);
    snprintf(raw, sizeof raw, "%s", f->path);
    size_t n = strlen(f->path);
    snprintf(f->path + n, sizeof f->path - n, ".gz");
    int gz_name = 1;
    if (stat(f->path, &st) != 0) {
        if (errno != ENOENT) return fail(err, len, f->path, "cannot open: %s", strerror(errno));
        if (stat(raw, &st) != 0) {
            if (errno == ENOENT) return fail(err, len, f->path, "no such file (nor %s)", raw);
            return fail(err, len, raw, "cannot open: %s", strerror(errno));
        }
        snprintf(f->path, sizeof f->path, "%s", raw);
        gz_name = 0;
    }
    if (!S_ISREG(st.st_mode)) return fail(err, len, f->path, "not a regular file");
    if (st.st_size == 0) return fail(err, len, f->path, "empty file (expected an IDX header)");

    errno = 0;
    f->gz = gzopen(f->path, "rb");
    if (!f->gz)
        return fail(err, len, f->path, "cannot open: %s",
                    errno ? strerror(errno) : "out of memory");
    /* Big buffers for the big files, zlib's 8 KiB for small ones. */
    gzbuffer(f->gz, st.st_size > 256 * 1024 ? 256 * 1024 : 8 * 1024);
    if (gz_name && gzdirect(f->gz))
        return fail(err, len, f->path, "not in gzip format (the name ends in .gz)");

    /* Magic, then the dimensions its low byte announces. */
    unsigned char h[16];
    int ndims = (int)(magic & 0xff);
    size_t header = 4 + 4 * (size_t)ndims, got = 0;
    while (got < header) {
        int r = gzread(f->gz, h + got, (unsigned)(header - got));
        if (r <= 0) break;
        got += (size_t)r;
        if (got >= 4) {
            uint32_t m = (uint32_t)be32(h);
            if (m != magic)
                return fail(err, len, f->path, "wrong magic 0x%08x (expected 0x%08x: IDX %s)", m,
                            magic, kind);
        }
    }
    if (got < header) {
        int trunc;
        const char *p = gz_problem(f, &trunc);
        if (p && !trunc) return fail(err, len, f->path, "corrupt gzip stream: %s", p);
        return fail(err, len, f->path, "truncated%s: the IDX header needs %zu bytes, %zu found",
                    trunc ? " gzip stream" : "", header, got);
    }
    f->ndims = ndims;
    f->header = header;
    size_t total = 1;
    int zero = 0, overflow = 0;
    for (int i = 0; i < ndims; i++) {
        f->dims[i] = be32(h + 4 + 4 * i);
        if (f->dims[i] == 0) zero = 1;
        else if (total > SIZE_MAX / f->dims[i]) overflow = 1;
        else total *= f->dims[i];
    }
    if (!overflow && total > SIZE_MAX - header) overflow = 1;
    if (zero || overflow) {
        char dims[96];
        if (ndims == 3)
            snprintf(dims, sizeof dims, "%zu x %zu x %zu", f->dims[0], f->dims[1], f->dims[2]);
        else
            snprintf(dims, sizeof dims, "%zu", f->dims[0]);
        return fail(err, len, f->path, zero ? "zero dimension: %s %s" : "dimensions %s %s overflow",
                    dims, kind);
    }
    f->data = total;
    return 0;
}

static void idx_close(idx_file *f)
{
    if (f->gz) gzclose(f->gz);
    f->gz = NULL;
}

/* Reads exactly f->data bytes into a new buffer *out, then checks that the
 * stream ends there, cleanly. The buffer grows as data arrives, so a header
 * that claims far more than the file holds costs no huge allocation. */
static int idx_read(idx_file *f, uint8_t **out, char *err, size_t len)
{
    size_t want = f->data, cap = want < (1u << 20) ? want : (1u << 20), have = 0;
    uint8_t *buf = malloc(cap);
    *out = NULL;
    if (!buf) return fail(err, len, f->path, "out of memory");
    char what[128];
    describe(f, what, sizeof what);
    while (have < want) {
        if (have == cap) {
            size_t ncap = cap > want / 2 ? want : cap * 2;
            uint8_t *nb = realloc(buf, ncap);
            if (!nb) {
                free(buf);
                return fail(err, len, f->path, "out of memory (%zu bytes for %s)", want, what);
            }
            buf = nb;
            cap = ncap;
        }
        size_t ask = cap - have < READ_CHUNK ? cap - have : READ_CHUNK;
        int r = gzread(f->gz, buf + have, (unsigned)ask);
        if (r <= 0) break;
        have += (size_t)r;
    }
    int trunc;
    const char *p = gz_problem(f, &trunc);
    if (have < want || (p && !trunc)) {
        free(buf);
        if (p && !trunc) return fail(err, len, f->path, "corrupt gzip stream: %s", p);
        return fail(err, len, f->path, "truncated%s: %zu bytes expected (%s), %zu found",
                    trunc ? " gzip stream" : "", f->header + want, what, f->header + have);
    }
    /* The end: no trailing data, and (gzip) a complete stream whose CRC and
     * length check out, which zlib verifies only when it reaches them. */
    size_t extra = 0;
    unsigned char tail[4096];
    for (;;) {
        int r = gzread(f->gz, tail, sizeof tail);
        if (r <= 0) break;
        extra += (size_t)r;
    }
    p = gz_problem(f, &trunc);
    if (p || extra) free(buf);
    if (p && !trunc) return fail(err, len, f->path, "corrupt gzip stream: %s", p);
    if (extra)
        return fail(err, len, f->path, "trailing bytes: %zu bytes expected (%s), %zu found",
                    f->header + want, what, f->header + want + extra);
    if (p) return fail(err, len, f->path, "truncated gzip stream: %s (the data is complete, the "
                                          "gzip trailer is not)", p);
    *out = buf;
    return 0;
}

int nns_mnist_load(const char *dir, const char *split, nns_mnist *out, char *err, size_t err_len)
{
    if (!out || !dir || !split) return fail(err, err_len, "nns_mnist_load", "NULL argument");
    memset(out, 0, sizeof *out);
    if (strcmp(split, "train") != 0 && strcmp(split, "t10k") != 0)
        return fail(err, err_len, dir, "unknown MNIST split '%s' (train or t10k)", split);
    char stem[32];
    idx_file im, lb;
    snprintf(stem, sizeof stem, "%s-images-idx3-ubyte", split);
    if (idx_open(&im, dir, stem, IDX_IMAGES, "images", err, err_len)) goto fail_im;
    if (idx_read(&im, &out->pixels, err, err_len)) goto fail_im;
    idx_close(&im);
    snprintf(stem, sizeof stem, "%s-labels-idx1-ubyte", split);
    if (idx_open(&lb, dir, stem, IDX_LABELS, "labels", err, err_len)) goto fail_lb;
    if (lb.dims[0] != im.dims[0]) {
        fail(err, err_len, lb.path, "%zu labels, but %s holds %zu images", lb.dims[0], im.path,
             im.dims[0]);
        goto fail_lb;
    }
    if (idx_read(&lb, &out->labels, err, err_len)) goto fail_lb;
    idx_close(&lb);
    for (size_t i = 0; i < lb.dims[0]; i++)
        if (out->labels[i] > 9) {
            fail(err, err_len, lb.path, "label %u at index %zu out of range 0..9",
                 out->labels[i], i);
            nns_mnist_free(out);
            return -1;
        }
    out->count = im.dims[0];
    out->rows = im.dims[1];
    out->cols = im.dims[2];
    return 0;
fail_lb:
    idx_close(&lb);
    nns_mnist_free(out);
    return -1;
fail_im:
    idx_close(&im);
    nns_mnist_free(out);
    return -1;
}

void nns_mnist_free(nns_mnist *m)
{
    if (!m) return;
    free(m->pixels);
    free(m->labels);
    memset(m, 0, sizeof *m);
}

int nns_mnist_looks_like(const char *dir)
{
    char p[PATH_MAX + 64];
    join(p, sizeof p, dir, "train-images-idx3-ubyte.gz");
    if (is_file(p)) return 1;
    join(p, sizeof p, dir, "train-images-idx3-ubyte");
    return is_file(p);
}
