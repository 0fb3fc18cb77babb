/* The tokenizer: one pass over the bytes, words hashed (FNV-1a on the
 * lowercased bytes) as they are scanned and looked up in an
 * open-addressing table, so no word is copied while encoding. */
#include "tokenizer.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(char *err, size_t len, const char *fmt, ...)
{
    if (!err || !len) return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, len, fmt, ap);
    va_end(ap);
    return -1;
}

/* ------------------------------------------------------------------ */
/* Bytes                                                                */

size_t nns_utf8_invalid_at(const char *text, size_t len)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t i = 0;
    while (i < len) {
        if (len - i >= 8) { /* ASCII eight bytes at a time */
            uint64_t w;
            memcpy(&w, s + i, 8);
            if (!(w & 0x8080808080808080ull)) {
                i += 8;
                continue;
            }
        }
        unsigned c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        /* Unicode's table 3-7 of well-formed byte sequences. */
        size_t n;
        unsigned lo = 0x80, hi = 0xBF;
        if (c >= 0xC2 && c <= 0xDF) n = 1;
        else if (c == 0xE0) n = 2, lo = 0xA0;
        else if (c == 0xED) n = 2, hi = 0x9F;
        else if (c >= 0xE1 && c <= 0xEF) n = 2;
        else if (c == 0xF0) n = 3, lo = 0x90;
        else if (c == 0xF4) n = 3, hi = 0x8F;
        else if (c >= 0xF1 && c <= 0xF3) n = 3;
        else return i;
        if (len - i - 1 < n || s[i + 1] < lo || s[i + 1] > hi) return i;
        for (size_t k = 2; k <= n; k++)
            if ((s[i + k] & 0xC0) != 0x80) return i;
        i += n + 1;
    }
    return len;
}

static inline int is_word(unsigned char c)
{
    return c >= 0x80 || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '\'';
}

static inline unsigned char lower(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? (unsigned char)(c + ('a' - 'A')) : c;
}

#define FNV_OFFSET 0xcbf29ce484222325ull
#define FNV_PRIME 0x100000001b3ull

static inline uint64_t finish_hash(uint64_t h) { return h ^ h >> 29; }

/* The next word of t[*pos, len): its start in *start, its hash in *hash;
 * returns its length, 0 at the end of the text. */
static inline size_t next_word(const unsigned char *t, size_t len, size_t *pos, size_t *start,
                               uint64_t *hash)
{
    size_t i = *pos;
    while (i < len && !is_word(t[i])) {
        if (t[i] == '<' && len - i >= 6 && lower(t[i + 1]) == 'b' && lower(t[i + 2]) == 'r' &&
            t[i + 3] == ' ' && t[i + 4] == '/' && t[i + 5] == '>')
            i += 6; /* "<br />" is a space */
        else
            i++;
    }
    size_t s = i;
    uint64_t h = FNV_OFFSET;
    while (i < len && is_word(t[i])) h = (h ^ lower(t[i++])) * FNV_PRIME;
    *start = s, *pos = i, *hash = finish_hash(h);
    return i - s;
}

static uint64_t hash_lower(const unsigned char *w, size_t len)
{
    uint64_t h = FNV_OFFSET;
    for (size_t i = 0; i < len; i++) h = (h ^ lower(w[i])) * FNV_PRIME;
    return finish_hash(h);
}

size_t nns_words(const char *text, size_t len, char *out)
{
    out[0] = '\0';
    if (nns_utf8_invalid_at(text, len) < len) return SIZE_MAX;
    const unsigned char *t = (const unsigned char *)text;
    size_t pos = 0, start, n = 0, at = 0, wl;
    uint64_t h;
    while ((wl = next_word(t, len, &pos, &start, &h))) {
        if (n++) out[at++] = ' ';
        for (size_t i = 0; i < wl; i++) out[at++] = (char)lower(t[start + i]);
    }
    out[at] = '\0';
    return n;
}

/* ------------------------------------------------------------------ */
/* Word table: open addressing, linear probing, words in an arena       */

typedef struct slot {
    uint64_t hash;
    size_t off, len; /* len 0: empty (words are never empty) */
    uint64_t value;  /* a count while building, then an id */
} slot;

typedef struct table {
    slot *s;
    size_t mask, used;
} table;

static int table_init(table *t, size_t want)
{
    size_t cap = 1024;
    while (cap / 2 < want) cap *= 2;
    t->s = calloc(cap, sizeof *t->s);
    t->mask = cap - 1;
    t->used = 0;
    return t->s ? 0 : -1;
}

/* Whether the arena's word a (lowercase) equals w lowercased. */
static inline int same(const char *a, const unsigned char *w, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)a[i] != lower(w[i])) return 0;
    return 1;
}

/* The slot of word w (len bytes, hash h): its own, or the empty one where
 * it would go. */
static inline slot *table_find(const table *t, const char *arena, const unsigned char *w,
                               size_t len, uint64_t h)
{
    for (size_t i = h & t->mask;; i = (i + 1) & t->mask) {
        slot *s = &t->s[i];
        if (!s->len || (s->hash == h && s->len == len && same(arena + s->off, w, len))) return s;
    }
}

/* Doubles the table once it is half full. */
static int table_grow(table *t)
{
    if (t->used + 1 <= (t->mask + 1) / 2) return 0;
    size_t cap = 2 * (t->mask + 1);
    slot *s = calloc(cap, sizeof *s);
    if (!s) return -1;
    for (size_t i = 0; i <= t->mask; i++) {
        if (!t->s[i].len) continue;
        size_t j = t->s[i].hash & (cap - 1);
        while (s[j].len) j = (j + 1) & (cap - 1);
        s[j] = t->s[i];
    }
    free(t->s);
    t->s = s;
    t->mask = cap - 1;
    return 0;
}

/* ------------------------------------------------------------------ */
/* Vocabulary                                                           */

struct nns_vocab {
    size_t size;
    char *blob;      /* the words, NUL-terminated, in id order */
    size_t *off;     /* word id at blob + off[id] */
    size_t *len;
    uint64_t *count; /* training frequency (0: specials, rebuilt) */
    table tab;       /* word -> id */
};

void nns_vocab_free(nns_vocab *v)
{
    if (!v) return;
    free(v->blob), free(v->off), free(v->len), free(v->count), free(v->tab.s);
    free(v);
}

/* A vocabulary of n words stored in blob (n NUL-terminated words, taken
 * over); its lookup table filled. NULL if out of memory or (dup != NULL)
 * a word repeats: *dup = the later id. */
static nns_vocab *vocab_make(char *blob, size_t n, size_t *dup)
{
    nns_vocab *v = calloc(1, sizeof *v);
    if (!v) return free(blob), NULL;
    v->blob = blob;
    v->size = n;
    v->off = malloc(n * sizeof *v->off);
    v->len = malloc(n * sizeof *v->len);
    v->count = calloc(n, sizeof *v->count);
    if (!v->off || !v->len || !v->count || table_init(&v->tab, n)) return nns_vocab_free(v), NULL;
    size_t at = 0;
    for (size_t id = 0; id < n; id++) {
        size_t l = strlen(blob + at);
        v->off[id] = at, v->len[id] = l;
        const unsigned char *w = (const unsigned char *)blob + at;
        uint64_t h = hash_lower(w, l);
        slot *s = table_find(&v->tab, blob, w, l, h);
        if (s->len) {
            if (dup) *dup = id;
            return nns_vocab_free(v), NULL;
        }
        *s = (slot){h, at, l, id};
        v->tab.used++;
        at += l + 1;
    }
    return v;
}

typedef struct counted {
    const char *w;
    size_t len;
    uint64_t count;
} counted;

/* Falling count, then byte order (a prefix first). */
static int by_count(const void *a, const void *b)
{
    const counted *x = a, *y = b;
    if (x->count != y->count) return x->count > y->count ? -1 : 1;
    int c = memcmp(x->w, y->w, x->len < y->len ? x->len : y->len);
    if (c) return c;
    return x->len < y->len ? -1 : x->len > y->len;
}

nns_vocab *nns_vocab_build(const char *const *text, const size_t *len, const uint8_t *use,
                           size_t count, size_t max_size, char *err, size_t err_len)
{
    if (max_size < 2 || max_size > INT32_MAX) {
        fail(err, err_len, "vocabulary size %zu: must be 2 (the specials) to %d", max_size,
             INT32_MAX);
        return NULL;
    }
    /* A text of b bytes holds at most (b + 1) / 2 words: a table for 65,536
     * words at most to start with (it grows), less for a few short texts. */
    size_t text_bytes = 0;
    for (size_t r = 0; r < count && text_bytes < (size_t)1 << 17; r++)
        if (!use || use[r]) text_bytes += len[r] < (size_t)1 << 17 ? len[r] : (size_t)1 << 17;
    table t;
    char *arena = NULL;
    size_t used = 0, cap = 0;
    if (table_init(&t, text_bytes < (size_t)1 << 17 ? text_bytes / 2 + 1 : (size_t)1 << 16))
        return fail(err, err_len, "out of memory"), NULL;
    for (size_t r = 0; r < count; r++) {
        if (use && !use[r]) continue;
        const unsigned char *s = (const unsigned char *)text[r];
        size_t bad = nns_utf8_invalid_at(text[r], len[r]);
        if (bad < len[r]) {
            fail(err, err_len, "review %zu: invalid UTF-8 at byte %zu", r, bad);
            goto out;
        }
        size_t pos = 0, start, wl;
        uint64_t h;
        while ((wl = next_word(s, len[r], &pos, &start, &h))) {
            slot *sl = table_find(&t, arena, s + start, wl, h);
            if (sl->len) {
                sl->value++;
                continue;
            }
            if (used + wl + 1 > cap) {
                size_t nc = cap ? cap : 1 << 12;
                while (nc < used + wl + 1) nc *= 2;
                char *a = realloc(arena, nc);
                if (!a) {
                    fail(err, err_len, "out of memory");
                    goto out;
                }
                arena = a, cap = nc;
            }
            for (size_t i = 0; i < wl; i++) arena[used + i] = (char)lower(s[start + i]);
            arena[used + wl] = '\0';
            *sl = (slot){h, used, wl, 1};
            used += wl + 1;
            t.used++;
            if (table_grow(&t)) {
                fail(err, err_len, "out of memory");
                goto out;
            }
        }
    }
    counted *all = malloc((t.used ? t.used : 1) * sizeof *all);
    if (!all) {
        fail(err, err_len, "out of memory");
        goto out;
    }
    size_t n = 0;
    for (size_t i = 0; i <= t.mask; i++)
        if (t.s[i].len) all[n++] = (counted){arena + t.s[i].off, t.s[i].len, t.s[i].value};
    qsort(all, n, sizeof *all, by_count);
    size_t keep = n < max_size - 2 ? n : max_size - 2, bytes = 12;
    for (size_t i = 0; i < keep; i++) bytes += all[i].len + 1;
    char *blob = malloc(bytes);
    nns_vocab *v = NULL;
    if (blob) {
        memcpy(blob, "<pad>\0<unk>", 12);
        size_t at = 12;
        for (size_t i = 0; i < keep; i++) {
            memcpy(blob + at, all[i].w, all[i].len + 1);
            at += all[i].len + 1;
        }
        v = vocab_make(blob, keep + 2, NULL);
    }
    if (v)
        for (size_t i = 0; i < keep; i++) v->count[i + 2] = all[i].count;
    else
        fail(err, err_len, "out of memory");
    free(all);
    free(t.s);
    free(arena);
    return v;
out:
    free(t.s);
    free(arena);
    return NULL;
}

size_t nns_vocab_size(const nns_vocab *v) { return v ? v->size : 0; }

const char *nns_vocab_word(const nns_vocab *v, int32_t id)
{
    return v && id >= 0 && (size_t)id < v->size ? v->blob + v->off[id] : NULL;
}

uint64_t nns_vocab_count(const nns_vocab *v, int32_t id)
{
    return v && id >= 0 && (size_t)id < v->size ? v->count[id] : 0;
}

int32_t nns_vocab_id(const nns_vocab *v, const char *word, size_t len)
{
    if (!v || !len) return NNS_UNK;
    const unsigned char *w = (const unsigned char *)word;
    slot *s = table_find(&v->tab, v->blob, w, len, hash_lower(w, len));
    return s->len ? (int32_t)s->value : NNS_UNK;
}

static void reverse_ids(int32_t *a, size_t n)
{
    for (size_t i = 0; i < n / 2; i++) {
        int32_t t = a[i];
        a[i] = a[n - 1 - i], a[n - 1 - i] = t;
    }
}

static const char *const keep_names[] = {"first", "last", "ends"};

const char *nns_keep_name(nns_keep keep)
{
    return (unsigned)keep < sizeof keep_names / sizeof *keep_names ? keep_names[keep] : "?";
}

int nns_keep_parse(const char *name, nns_keep *keep)
{
    for (unsigned k = 0; k < sizeof keep_names / sizeof *keep_names; k++)
        if (strcmp(name, keep_names[k]) == 0) {
            *keep = (nns_keep)k;
            return 0;
        }
    return -1;
}

int32_t nns_vocab_encode(const nns_vocab *v, const char *text, size_t len, int32_t *ids,
                         size_t max_len, nns_keep keep)
{
    if (!v || max_len == 0 || max_len > INT32_MAX) return -1;
    if (nns_utf8_invalid_at(text, len) < len) return -1;
    const unsigned char *t = (const unsigned char *)text;
    /* The first `head` words go to ids[0, head); word w >= head goes to
     * the ring ids[head + (w - head) mod tail], which ends as a rotation
     * of the last `tail` words, undone by three reversals. */
    const size_t head = keep == NNS_KEEP_FIRST ? max_len : keep == NNS_KEEP_LAST ? 0 : max_len / 2;
    const size_t tail = max_len - head;
    size_t n = 0, pos = 0, start, wl;
    uint64_t h;
    while ((tail > 0 || n < max_len) && (wl = next_word(t, len, &pos, &start, &h))) {
        slot *s = table_find(&v->tab, v->blob, t + start, wl, h);
        ids[n < head ? n : head + (n - head) % tail] = s->len ? (int32_t)s->value : NNS_UNK;
        n++;
    }
    if (n > max_len) {
        size_t oldest = (n - head) % tail;
        int32_t *ring = ids + head;
        reverse_ids(ring, oldest);
        reverse_ids(ring + oldest, tail - oldest);
        reverse_ids(ring, tail);
        n = max_len;
    }
    if (n == 0) ids[n++] = NNS_UNK;
    int32_t valid = (int32_t)n;
    for (; n < max_len; n++) ids[n] = NNS_PAD;
    return valid;
}

int nns_vocab_encode_all(const nns_vocab *v, const char *const *text, const size_t *len,
                         size_t count, size_t max_len, nns_keep keep, int32_t *ids, int32_t *valid,
                         char *err, size_t err_len)
{
    if (!v || max_len == 0 || max_len > INT32_MAX)
        return fail(err, err_len, "max_len %zu: must be 1 to %d", max_len, INT32_MAX);
    for (size_t r = 0; r < count; r++) {
        valid[r] = nns_vocab_encode(v, text[r], len[r], ids + r * max_len, max_len, keep);
        if (valid[r] < 0)
            return fail(err, err_len, "review %zu: invalid UTF-8 at byte %zu", r,
                        nns_utf8_invalid_at(text[r], len[r]));
    }
    return 0;
}

char *nns_vocab_to_string(const nns_vocab *v)
{
    size_t bytes = 1;
    for (size_t id = 0; id < v->size; id++) bytes += v->len[id] + 1;
    char *s = malloc(bytes), *p = s;
    if (!s) return NULL;
    for (size_t id = 0; id < v->size; id++) {
        if (id) *p++ = '\n';
        memcpy(p, v->blob + v->off[id], v->len[id]);
        p += v->len[id];
    }
    *p = '\0';
    return s;
}

nns_vocab *nns_vocab_from_string(const char *s, char *err, size_t err_len)
{
    size_t n = strlen(s);
    if (n && s[n - 1] == '\n') n--;
    size_t bad = nns_utf8_invalid_at(s, n);
    if (bad < n) return fail(err, err_len, "vocabulary: invalid UTF-8 at byte %zu", bad), NULL;
    char *blob = malloc(n + 1);
    if (!blob) return fail(err, err_len, "out of memory"), NULL;
    memcpy(blob, s, n);
    blob[n] = '\0';
    size_t lines = 1;
    for (size_t i = 0, start = 0; i <= n; i++) {
        if (i < n && blob[i] != '\n') continue;
        const char *w = blob + start;
        size_t wl = i - start;
        const char *special = lines == 1 ? "<pad>" : lines == 2 ? "<unk>" : NULL;
        if (special && (wl != 5 || memcmp(w, special, 5) != 0)) {
            fail(err, err_len, "vocabulary: line %zu is \"%.*s\", expected %s", lines,
                 (int)(wl < 40 ? wl : 40), w, special);
            return free(blob), NULL;
        }
        if (!special && wl == 0) {
            fail(err, err_len, "vocabulary: line %zu is empty", lines);
            return free(blob), NULL;
        }
        for (size_t k = 0; !special && k < wl; k++) {
            unsigned char c = (unsigned char)w[k];
            if (!is_word(c) || lower(c) != c) {
                fail(err, err_len,
                     "vocabulary: line %zu (\"%.*s\") holds byte 0x%02x, which the tokenizer "
                     "never puts in a word",
                     lines, (int)(wl < 40 ? wl : 40), w, c);
                return free(blob), NULL;
            }
        }
        if (i < n) {
            blob[i] = '\0';
            lines++;
        }
        start = i + 1;
    }
    if (lines < 2) {
        fail(err, err_len, "vocabulary: holds %zu line, expected <pad> and <unk> first", lines);
        return free(blob), NULL;
    }
    size_t dup = 0;
    nns_vocab *v = vocab_make(blob, lines, &dup);
    if (!v) {
        if (dup) {
            const char *w = s;
            for (size_t k = 0; k < dup; k++) w = strchr(w, '\n') + 1;
            size_t wl = strcspn(w, "\n");
            fail(err, err_len, "vocabulary: line %zu repeats \"%.*s\"", dup + 1,
                 (int)(wl < 40 ? wl : 40), w);
        }
        else fail(err, err_len, "out of memory");
    }
    return v;
}
