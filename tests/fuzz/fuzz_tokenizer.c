/* Fuzz target: the tokenizer and vocabulary (models/tokenizer.c).
 *
 * Input: byte 0 bounds the vocabulary size (2 + byte), byte 1 the encoded
 * length (1 + byte % 64); the rest is review text, split into reviews at
 * NUL bytes (a review never holds one). The vocabulary is built from the
 * reviews, each is encoded, the vocabulary goes to its metadata string and
 * back (the same ids), and the text itself is also read as such a string
 * (nns_vocab_from_string: a checkpoint's "vocab" metadata). */
#include "tokenizer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_REVIEWS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2) return 0;
    size_t max_size = 2 + (size_t)data[0], max_len = 1 + (size_t)data[1] % 64;
    data += 2, size -= 2;
    /* A copy, so the reader sees exactly size bytes (ASan catches any
     * read past them). */
    char *buf = malloc(size ? size : 1);
    if (!buf) return 0;
    if (size) memcpy(buf, data, size);

    const char *text[MAX_REVIEWS];
    size_t len[MAX_REVIEWS], n = 0, valid_utf8 = 1;
    for (size_t at = 0; n < MAX_REVIEWS && at <= size;) {
        const char *z = memchr(buf + at, '\0', size - at);
        size_t l = z ? (size_t)(z - (buf + at)) : size - at;
        text[n] = buf + at, len[n] = l;
        if (nns_utf8_invalid_at(text[n], l) != l) valid_utf8 = 0;
        n++;
        at += l + 1;
    }

    /* nns_words: room for len + 1 bytes suffices. */
    for (size_t i = 0; i < n; i++) {
        char *w = malloc(len[i] + 1);
        if (!w) break;
        size_t words = nns_words(text[i], len[i], w);
        if (words != SIZE_MAX && strlen(w) > len[i]) abort();
        free(w);
    }

    char err[256];
    nns_vocab *v = nns_vocab_build(text, len, NULL, n, max_size, err, sizeof err);
    if (!v) {
        if (valid_utf8 || !strstr(err, "invalid UTF-8")) abort();
    } else {
        size_t vs = nns_vocab_size(v);
        if (vs < 2 || vs > max_size) abort();
        int32_t *ids = malloc(n * max_len * sizeof *ids), valid[MAX_REVIEWS];
        if (ids && nns_vocab_encode_all(v, text, len, n, max_len, NNS_KEEP_FIRST, ids, valid, err, sizeof err) == 0) {
            for (size_t i = 0; i < n; i++) {
                if (valid[i] < 1 || (size_t)valid[i] > max_len) abort();
                for (size_t k = 0; k < max_len; k++) {
                    int32_t id = ids[i * max_len + k];
                    if (id < 0 || (size_t)id >= vs || ((k >= (size_t)valid[i]) != (id == NNS_PAD)))
                        abort();
                }
            }
            /* The metadata string and back: the same words, the same ids. */
            char *s = nns_vocab_to_string(v);
            nns_vocab *w = s ? nns_vocab_from_string(s, err, sizeof err) : NULL;
            if (s && !w) abort();
            if (w) {
                if (nns_vocab_size(w) != vs) abort();
                for (int32_t id = 0; (size_t)id < vs; id++) {
                    const char *a = nns_vocab_word(v, id), *b = nns_vocab_word(w, id);
                    if (!a || !b || strcmp(a, b) != 0) abort();
                    if (id >= 2 && nns_vocab_id(w, a, strlen(a)) != id) abort();
                }
                int32_t *again = malloc(max_len * sizeof *again);
                for (size_t i = 0; again && i < n; i++) {
                    if (nns_vocab_encode(w, text[i], len[i], again, max_len, NNS_KEEP_FIRST) != valid[i] ||
                        memcmp(again, ids + i * max_len, max_len * sizeof *again) != 0)
                        abort();
                }
                free(again);
            }
            nns_vocab_free(w);
            free(s);
        } else if (ids) {
            abort(); /* the texts were valid UTF-8 if the vocabulary was built */
        }
        free(ids);
        nns_vocab_free(v);
    }

    /* The text as a vocabulary string (up to its first NUL). */
    char *str = malloc(size + 1);
    if (str) {
        memcpy(str, buf, size);
        str[size] = '\0';
        nns_vocab *u = nns_vocab_from_string(str, err, sizeof err);
        if (u) {
            if (nns_vocab_size(u) < 2 || strcmp(nns_vocab_word(u, 0), "<pad>") != 0) abort();
        } else if (!err[0] || strchr(err, '\n')) {
            abort();
        }
        nns_vocab_free(u);
        free(str);
    }
    free(buf);
    return 0;
}
