/* The safetensors reader: whole file in memory, header parsed with
 * jansson, every offset and size checked before any tensor is handed out. */
#include "safetensors.h"

#include "printable.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ST_MAX_RANK 8

typedef struct st_tensor {
    char *name;
    int dtype_size;
    char dtype[8];
    int rank;
    size_t dims[ST_MAX_RANK];
    size_t begin, end; /* byte offsets into the data */
} st_tensor;

struct st_file {
    unsigned char *data; /* 64-byte aligned copy of the data section */
    size_t data_len;
    st_tensor *tensors;
    size_t count;
    json_t *meta;
};

static st_file *fail(st_file *f, char *err, size_t len, const char *path, const char *fmt, ...)
{
    va_list ap;
    size_t n = (size_t)snprintf(err, len, "%s: ", path);
    va_start(ap, fmt);
    if (n < len) vsnprintf(err + n, len - n, fmt, ap);
    va_end(ap);
    st_close(f);
    return NULL;
}

static int by_begin(const void *a, const void *b)
{
    const st_tensor *x = a, *y = b;
    return x->begin < y->begin ? -1 : x->begin > y->begin;
}

/* Parses one header entry into t; returns NULL or a message. */
static const char *parse_entry(st_tensor *t, const char *name, json_t *v)
{
    json_t *dtype = json_object_get(v, "dtype"), *shape = json_object_get(v, "shape");
    json_t *offs = json_object_get(v, "data_offsets");
    if (!json_is_string(dtype) || !json_is_array(shape) || !json_is_array(offs) ||
        json_array_size(offs) != 2)
        return "needs dtype, shape and data_offsets [begin, end]";
    const char *dt = json_string_value(dtype);
    if (strcmp(dt, "F32") == 0 || strcmp(dt, "I32") == 0) t->dtype_size = 4;
    else return "has a dtype other than F32 or I32";
    snprintf(t->dtype, sizeof t->dtype, "%s", dt);
    if (json_array_size(shape) > ST_MAX_RANK) return "has too many dimensions";
    t->rank = (int)json_array_size(shape);
    size_t elems = 1;
    for (int i = 0; i < t->rank; i++) {
        json_t *d = json_array_get(shape, (size_t)i);
        if (!json_is_integer(d) || json_integer_value(d) < 0) return "has a bad dimension";
        t->dims[i] = (size_t)json_integer_value(d);
        if (t->dims[i] && elems > SIZE_MAX / 4 / t->dims[i]) return "has a shape that overflows";
        elems *= t->dims[i];
    }
    json_t *b = json_array_get(offs, 0), *e = json_array_get(offs, 1);
    if (!json_is_integer(b) || !json_is_integer(e) || json_integer_value(b) < 0 ||
        json_integer_value(e) < json_integer_value(b))
        return "has bad data_offsets";
    t->begin = (size_t)json_integer_value(b);
    t->end = (size_t)json_integer_value(e);
    if (t->end - t->begin != elems * (size_t)t->dtype_size)
        return "has data_offsets that disagree with its shape";
    t->name = strdup(name);
    return t->name ? NULL : "cannot be stored (out of memory)";
}

st_file *st_open(const char *path, char *err, size_t err_len)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) return fail(NULL, err, err_len, path, "cannot open: %s", strerror(errno));
    struct stat sb;
    if (fstat(fileno(fp), &sb) != 0) {
        int e = errno;
        fclose(fp);
        return fail(NULL, err, err_len, path, "cannot stat: %s", strerror(e));
    }
    if (!S_ISREG(sb.st_mode)) {
        fclose(fp);
        return fail(NULL, err, err_len, path, "%s",
                    S_ISDIR(sb.st_mode) ? "is a folder, not a file" : "not a regular file");
    }
    unsigned char len8[8];
    if (fread(len8, 1, 8, fp) != 8) {
        fclose(fp);
        if (sb.st_size == 0) return fail(NULL, err, err_len, path, "empty file");
        return fail(NULL, err, err_len, path, "truncated: %lld bytes, no 8-byte header length",
                    (long long)sb.st_size);
    }
    uint64_t hlen = 0;
    for (int i = 7; i >= 0; i--) hlen = hlen << 8 | len8[i];
    if (fseek(fp, 0, SEEK_END) != 0) {
        fclose(fp);
        return fail(NULL, err, err_len, path, "cannot seek");
    }
    long size = ftell(fp);
    if (size < 8 || hlen > (uint64_t)size - 8) {
        fclose(fp);
        return fail(NULL, err, err_len, path,
                    "truncated or not safetensors: header length %llu exceeds the file (%ld bytes)",
                    (unsigned long long)hlen, size);
    }
    st_file *f = calloc(1, sizeof *f);
    char *header = malloc(hlen ? hlen : 1);
    size_t dlen = (size_t)size - 8 - hlen;
    if (f) f->data = aligned_alloc(64, (dlen + 63) / 64 * 64 + 64);
    if (!f || !header || !f->data) {
        free(header);
        fclose(fp);
        return fail(f, err, err_len, path, "out of memory");
    }
    f->data_len = dlen;
    int ok = fseek(fp, 8, SEEK_SET) == 0 && fread(header, 1, hlen, fp) == hlen &&
             fread(f->data, 1, dlen, fp) == dlen;
    fclose(fp);
    if (!ok) {
        free(header);
        return fail(f, err, err_len, path, "read error");
    }
    json_error_t jerr;
    json_t *root = json_loadb(header, hlen, 0, &jerr);
    free(header);
    if (!json_is_object(root)) {
        json_decref(root);
        char shown[4 * 64 + 4]; /* jansson quotes the text near the error: it may hold a newline */
        return fail(f, err, err_len, path, "header is not a JSON object (at byte %d: %s)",
                    jerr.position, nns_printable(jerr.text, shown, sizeof shown));
    }
    f->tensors = calloc(json_object_size(root) + 1, sizeof *f->tensors);
    if (!f->tensors) {
        json_decref(root);
        return fail(f, err, err_len, path, "out of memory");
    }
    const char *key;
    json_t *val;
    json_object_foreach(root, key, val) {
        char shown[300];
        if (strcmp(key, "__metadata__") == 0) {
            const char *mk;
            json_t *mv;
            if (!json_is_object(val)) {
                json_decref(root);
                return fail(f, err, err_len, path, "__metadata__ is not an object");
            }
            json_object_foreach(val, mk, mv) if (!json_is_string(mv)) {
                fail(NULL, err, err_len, path, "__metadata__ value '%s' is not a string",
                     nns_printable(mk, shown, sizeof shown));
                json_decref(root);
                st_close(f);
                return NULL;
            }
            f->meta = json_incref(val);
            continue;
        }
        const char *why = parse_entry(&f->tensors[f->count], key, val);
        if (why) {
            /* key lives in root */
            fail(NULL, err, err_len, path, "tensor '%s' %s", nns_printable(key, shown, sizeof shown), why);
            json_decref(root);
            st_close(f);
            return NULL;
        }
        f->count++;
    }
    json_decref(root);
    /* The offsets must tile [0, data_len) exactly. */
    qsort(f->tensors, f->count, sizeof *f->tensors, by_begin);
    size_t at = 0;
    for (size_t i = 0; i < f->count; i++) {
        char shown[300];
        if (f->tensors[i].begin != at)
            return fail(f, err, err_len, path, "tensor '%s' starts at byte %zu, expected %zu",
                        nns_printable(f->tensors[i].name, shown, sizeof shown), f->tensors[i].begin, at);
        at = f->tensors[i].end;
    }
    if (at > dlen)
        return fail(f, err, err_len, path,
                    "truncated: the tensors need %zu data bytes, the file holds %zu", at, dlen);
    if (at < dlen)
        return fail(f, err, err_len, path, "%zu stray bytes after the last tensor's data",
                    dlen - at);
    return f;
}

void st_close(st_file *f)
{
    if (!f) return;
    for (size_t i = 0; i < f->count; i++) free(f->tensors[i].name);
    free(f->tensors);
    free(f->data);
    json_decref(f->meta);
    free(f);
}

static const st_tensor *find(const st_file *f, const char *name)
{
    for (size_t i = 0; f && i < f->count; i++)
        if (strcmp(f->tensors[i].name, name) == 0) return &f->tensors[i];
    return NULL;
}

static const void *typed(const st_file *f, const char *name, const char *dtype, size_t *count)
{
    const st_tensor *t = find(f, name);
    if (!t || strcmp(t->dtype, dtype) != 0) return NULL;
    if (count) *count = (t->end - t->begin) / (size_t)t->dtype_size;
    return f->data + t->begin;
}

const float *st_f32(const st_file *f, const char *name, size_t *count)
{
    return typed(f, name, "F32", count);
}

const int32_t *st_i32(const st_file *f, const char *name, size_t *count)
{
    return typed(f, name, "I32", count);
}

int st_shape(const st_file *f, const char *name, size_t *dims, int max_dims)
{
    const st_tensor *t = find(f, name);
    if (!t) return -1;
    for (int i = 0; i < t->rank && i < max_dims; i++) dims[i] = t->dims[i];
    return t->rank;
}

const char *st_meta(const st_file *f, const char *key)
{
    return f && f->meta ? json_string_value(json_object_get(f->meta, key)) : NULL;
}

size_t st_count(const st_file *f) { return f ? f->count : 0; }

const char *st_name(const st_file *f, size_t i) { return f && i < f->count ? f->tensors[i].name : NULL; }

/* ---- writing ---- */

static int by_name(const void *a, const void *b)
{
    return strcmp((*(const st_entry *const *)a)->name, (*(const st_entry *const *)b)->name);
}

static size_t entry_bytes(const st_entry *e)
{
    size_t n = 4;
    for (int i = 0; i < e->rank; i++) n *= e->dims[i];
    return n;
}

/* The header: compact JSON with sorted keys (jansson's JSON_SORT_KEYS),
 * padded with spaces to a multiple of 8. */
static char *build_header(const st_entry **sorted, size_t n, const char *const *meta,
                          size_t n_meta, size_t *len)
{
    json_t *root = json_object();
    size_t offset = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *shape = json_array();
        for (int d = 0; d < sorted[i]->rank; d++)
            json_array_append_new(shape, json_integer((json_int_t)sorted[i]->dims[d]));
        size_t bytes = entry_bytes(sorted[i]);
        json_object_set_new(root, sorted[i]->name,
                            json_pack("{s:s, s:o, s:[I, I]}", "dtype", sorted[i]->dtype, "shape",
                                      shape, "data_offsets", (json_int_t)offset,
                                      (json_int_t)(offset + bytes)));
        offset += bytes;
    }
    if (n_meta) {
        json_t *m = json_object();
        for (size_t i = 0; i < n_meta; i++) json_object_set_new(m, meta[2 * i], json_string(meta[2 * i + 1]));
        json_object_set_new(root, "__metadata__", m);
    }
    char *text = json_dumps(root, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(root);
    if (!text) return NULL;
    size_t l = strlen(text), padded = (l + 7) / 8 * 8;
    char *out = realloc(text, padded + 1);
    if (!out) {
        free(text);
        return NULL;
    }
    memset(out + l, ' ', padded - l);
    out[padded] = '\0';
    *len = padded;
    return out;
}

/* Writes the file's bytes to fp, flushes and fsyncs it; 0 or -1 (errno). */
static int write_body(FILE *fp, const char *header, size_t hlen, const st_entry **sorted, size_t n)
{
    unsigned char len8[8];
    for (int i = 0; i < 8; i++) len8[i] = (unsigned char)((uint64_t)hlen >> (8 * i));
    int ok = fwrite(len8, 1, 8, fp) == 8 && fwrite(header, 1, hlen, fp) == hlen;
    for (size_t i = 0; ok && i < n; i++)
        ok = fwrite(sorted[i]->data, 1, entry_bytes(sorted[i]), fp) == entry_bytes(sorted[i]);
    ok = fflush(fp) == 0 && ok;
    ok = fsync(fileno(fp)) == 0 && ok;
    return ok ? 0 : -1;
}

/* The new file is written where no one sees it and renamed over `path` only
 * once complete and on disk, so `path` always holds a whole file, the old
 * or the new, whenever the process is killed. Where Linux allows it
 * (O_TMPFILE) the file has no name while it is written and is linked to the
 * temporary name just before the rename, so a kill leaves no stray file
 * either (but in the two system calls between link and rename); elsewhere a
 * named temporary file is written. The folder is fsynced after the rename. */
int st_write(const char *path, const st_entry *t, size_t n, const char *const *meta,
             size_t n_meta, char *err, size_t err_len)
{
    char tmp[4096], dir[4096];
    int len = snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    const char *slash = strrchr(path, '/');
    if (len < 0 || (size_t)len >= sizeof tmp)
        return snprintf(err, err_len, "%s: cannot write: path too long", path), -1;
    if (!slash) snprintf(dir, sizeof dir, ".");
    else if (slash == path) snprintf(dir, sizeof dir, "/");
    else snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    const st_entry **sorted = malloc((n ? n : 1) * sizeof *sorted);
    if (!sorted) return snprintf(err, err_len, "%s: out of memory", path), -1;
    for (size_t i = 0; i < n; i++) sorted[i] = &t[i];
    qsort(sorted, n, sizeof *sorted, by_name);
    size_t hlen = 0;
    char *header = build_header(sorted, n, meta, n_meta, &hlen);
    int ok = 0, named = 0, saved = ENOMEM, try_named = header != NULL;
#ifdef O_TMPFILE
    if (header) {
        int fd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0666);
        FILE *fp = fd >= 0 ? fdopen(fd, "wb") : NULL;
        if (fd >= 0 && !fp) close(fd);
        if (fp) {
            int wrote = write_body(fp, header, hlen, sorted, n) == 0, linked = 0;
            saved = errno;
            if (wrote) {
                char self[64];
                snprintf(self, sizeof self, "/proc/self/fd/%d", fileno(fp));
                unlink(tmp); /* a stale file of an earlier process with our id */
                linked = linkat(AT_FDCWD, self, AT_FDCWD, tmp, AT_SYMLINK_FOLLOW) == 0;
                if (!linked) saved = errno;
            }
            int closed = fclose(fp) == 0;
            if (!closed && wrote && linked) saved = errno;
            named = linked;
            ok = wrote && linked && closed;
            /* Written but not linkable (no /proc): write a named file
             * instead; a failed write is final. */
            try_named = wrote && !linked;
        }
    }
#endif
    if (try_named) {
        FILE *fp = fopen(tmp, "wb");
        named = fp != NULL;
        ok = fp && write_body(fp, header, hlen, sorted, n) == 0;
        saved = errno;
        if (fp && fclose(fp) != 0 && ok) ok = 0, saved = errno;
    }
    if (ok && rename(tmp, path) != 0) ok = 0, saved = errno;
    if (ok) { /* the rename itself on disk: fsync the folder (best effort) */
        int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0) fsync(dfd), close(dfd);
    }
    if (!ok) {
        if (named) unlink(tmp);
        snprintf(err, err_len, "%s: cannot write: %s", path, header ? strerror(saved) : "out of memory");
    }
    free(header);
    free(sorted);
    return ok ? 0 : -1;
}
