/* Fuzz target: the aclImdb folder reader (models/imdb.c) and what the
 * trainer does next with its texts (vocabulary, encoding).
 *
 * A release with one review in each of train/pos, train/neg and test/pos
 * is laid out once; each input becomes test/neg's only file. If the input
 * holds a newline within its first 40 bytes and the bytes before it make a
 * file name (no '/', not "." or ".."), they are its name and the rest its
 * text; else it is named 0_1.txt. */
#include "fuzz_common.h"

#include "imdb.h"
#include "tokenizer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char root[512], neg[600];

static void setup(void)
{
    char p[700];
    fz_mkdirs("aclImdb/train/pos");
    fz_mkdirs("aclImdb/train/neg");
    fz_mkdirs("aclImdb/test/pos");
    fz_mkdirs("aclImdb/test/neg");
    fz_path(root, sizeof root, "aclImdb");
    snprintf(neg, sizeof neg, "%s/test/neg", root);
    static const char good[] = "A fine film.<br /><br />Caf\xc3\xa9 scenes, don't miss them!";
    fz_write(fz_path(p, sizeof p, "aclImdb/train/pos/3_10.txt"), good, sizeof good - 1);
    fz_write(fz_path(p, sizeof p, "aclImdb/train/neg/7_2.txt"), "Dull. Dull, dull.", 17);
    fz_write(fz_path(p, sizeof p, "aclImdb/test/pos/12_8.txt"), "Great acting", 12);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!root[0]) setup();
    char name[64] = "0_1.txt";
    const uint8_t *nl = memchr(data, '\n', size < 40 ? size : 40);
    if (nl && nl > data) {
        size_t n = (size_t)(nl - data);
        if (!memchr(data, '/', n) && !memchr(data, '\0', n) &&
            !(n == 1 && data[0] == '.') && !(n == 2 && data[0] == '.' && data[1] == '.')) {
            memcpy(name, data, n);
            name[n] = '\0';
            size -= n + 1;
            data = nl + 1;
        }
    }
    char path[700];
    fz_remove(neg);
    fz_mkdirs("aclImdb/test/neg");
    snprintf(path, sizeof path, "%s/%s", neg, name);
    fz_write(path, data, size);

    nns_imdb d;
    char err[512];
    if (nns_imdb_load(root, &d, err, sizeof err) != 0) {
        if (!err[0] || strchr(err, '\n') || !strstr(err, root)) abort();
        nns_imdb_free(&d);
        return 0;
    }
    if (d.count < 3 || d.count > 4 || d.n_train != 2 || d.n_test != d.count - 2) abort();
    for (size_t i = 0; i < d.count; i++)
        if (strlen(d.text[i]) != d.len[i] || nns_utf8_invalid_at(d.text[i], d.len[i]) != d.len[i])
            abort();
    /* The trainer's next steps: a vocabulary from the training split,
     * every review encoded. */
    nns_vocab *v = nns_vocab_build(d.text, d.len, d.is_train, d.count, 64, err, sizeof err);
    if (!v) abort();
    int32_t ids[4 * 16], valid[4];
    if (nns_vocab_encode_all(v, d.text, d.len, d.count, 16, NNS_KEEP_FIRST, ids, valid, err, sizeof err) != 0)
        abort();
    for (size_t i = 0; i < d.count * 16; i++)
        if (ids[i] < 0 || (size_t)ids[i] >= nns_vocab_size(v)) abort();
    nns_vocab_free(v);
    nns_imdb_free(&d);
    return 0;
}
