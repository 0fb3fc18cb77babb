/* Checkpoints with a SHA-256 of their tensor bytes (OpenSSL's EVP API). */
#include "checkpoint.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmp_entry(const void *a, const void *b)
{
    return strcmp((*(const st_entry *const *)a)->name, (*(const st_entry *const *)b)->name);
}

static size_t bytes_of(const st_entry *e)
{
    size_t n = 4;
    for (int i = 0; i < e->rank; i++) n *= e->dims[i];
    return n;
}

static void hex(const unsigned char *d, unsigned n, char *out)
{
    for (unsigned i = 0; i < n; i++) snprintf(out + 2 * i, 3, "%02x", d[i]);
}

int nns_ckpt_save(const char *path, const st_entry *t, size_t n, const char *const *meta,
                  size_t n_meta, char *err, size_t err_len)
{
    const st_entry **order = malloc((n ? n : 1) * sizeof *order);
    const char **all = malloc((2 * n_meta + 4) * sizeof *all);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    int rc = -1;
    if (order && all && md && EVP_DigestInit_ex(md, EVP_sha256(), NULL)) {
        for (size_t i = 0; i < n; i++) order[i] = &t[i];
        qsort(order, n, sizeof *order, cmp_entry); /* the file's data order */
        int ok = 1;
        for (size_t i = 0; i < n; i++) ok &= EVP_DigestUpdate(md, order[i]->data, bytes_of(order[i]));
        unsigned char digest[EVP_MAX_MD_SIZE];
        unsigned len = 0;
        char sum[2 * EVP_MAX_MD_SIZE + 1];
        if (ok && EVP_DigestFinal_ex(md, digest, &len)) {
            hex(digest, len, sum);
            memcpy(all, meta, 2 * n_meta * sizeof *all);
            all[2 * n_meta] = "format", all[2 * n_meta + 1] = NNS_CKPT_FORMAT;
            all[2 * n_meta + 2] = "sha256", all[2 * n_meta + 3] = sum;
            rc = st_write(path, t, n, all, n_meta + 2, err, err_len);
        }
    }
    if (rc != 0 && (!order || !all || !md)) snprintf(err, err_len, "%s: out of memory", path);
    EVP_MD_CTX_free(md);
    free(order);
    free((void *)all);
    return rc;
}

st_file *nns_ckpt_open(const char *path, char *err, size_t err_len)
{
    st_file *f = st_open(path, err, err_len);
    if (!f) return NULL;
    const char *format = st_meta(f, "format"), *want = st_meta(f, "sha256");
    if (!format || strcmp(format, NNS_CKPT_FORMAT) != 0) {
        snprintf(err, err_len, "%s: not an nnsimd checkpoint (format %s, expected %s)", path,
                 format ? format : "missing", NNS_CKPT_FORMAT);
        st_close(f);
        return NULL;
    }
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    int ok = md && EVP_DigestInit_ex(md, EVP_sha256(), NULL);
    for (size_t i = 0; ok && i < st_count(f); i++) {
        size_t count = 0;
        const void *p = st_f32(f, st_name(f, i), &count);
        if (!p) p = st_i32(f, st_name(f, i), &count);
        ok = EVP_DigestUpdate(md, p, count * 4);
    }
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    char sum[2 * EVP_MAX_MD_SIZE + 1] = "";
    if (ok && EVP_DigestFinal_ex(md, digest, &len)) hex(digest, len, sum);
    EVP_MD_CTX_free(md);
    if (!want || strcmp(sum, want) != 0) {
        snprintf(err, err_len, "%s: checksum mismatch: the tensor bytes are corrupt (sha256 %.16s..., "
                               "metadata says %.16s...)", path, sum, want ? want : "nothing");
        st_close(f);
        return NULL;
    }
    return f;
}
