/* Checkpoints with a SHA-256 of their tensor bytes (OpenSSL's EVP API). */
#include "checkpoint.h"

#include "printable.h"

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
        char shown[4 * 64 + 4];
        snprintf(err, err_len, "%s: not an nnsimd checkpoint (format %s, expected %s)", path,
                 format ? nns_printable(format, shown, sizeof shown) : "missing", NNS_CKPT_FORMAT);
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

size_t nns_param_count(const nns_param_tensor *t)
{
    size_t n = 1;
    for (int i = 0; i < t->rank; i++) n *= t->dims[i];
    return n;
}

int nns_ckpt_save_groups(const char *path, const nns_param_tensor *t, size_t n,
                         const char *const *prefix, const float *const *buf, size_t ngroups,
                         const char *const *meta, size_t n_meta, char *err, size_t err_len)
{
    size_t total = n * ngroups;
    st_entry *e = calloc(total ? total : 1, sizeof *e);
    char (*names)[96] = calloc(total ? total : 1, sizeof *names);
    int rc = -1;
    if (!e || !names) {
        snprintf(err, err_len, "%s: out of memory", path);
    } else {
        for (size_t g = 0, k = 0; g < ngroups; g++)
            for (size_t i = 0; i < n; i++, k++) {
                snprintf(names[k], sizeof names[k], "%s%s", prefix[g], t[i].name);
                e[k] = (st_entry){names[k], "F32", t[i].rank, {t[i].dims[0], t[i].dims[1]},
                                  buf[g] + t[i].offset};
            }
        rc = nns_ckpt_save(path, e, total, meta, n_meta, err, err_len);
    }
    free(e);
    free(names);
    return rc;
}

int nns_ckpt_load_groups(const st_file *f, const char *path, const nns_param_tensor *t, size_t n,
                         const char *const *prefix, float *const *buf, size_t ngroups, char *err,
                         size_t err_len)
{
    for (size_t g = 0; g < ngroups; g++)
        for (size_t i = 0; i < n; i++) {
            char name[96];
            size_t count = 0, want = nns_param_count(&t[i]);
            snprintf(name, sizeof name, "%s%s", prefix[g], t[i].name);
            const float *p = st_f32(f, name, &count);
            if (!p || count != want) {
                snprintf(err, err_len, "%s: tensor %s %s", path, name, p ? "has the wrong size" : "missing");
                return -1;
            }
            memcpy(buf[g] + t[i].offset, p, want * sizeof(float));
        }
    return 0;
}
