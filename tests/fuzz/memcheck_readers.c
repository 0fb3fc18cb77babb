/* The readers on real data, for valgrind memcheck (make check-long):
 * MNIST (all four files), the IMDb reviews.json.gz, a sample of it written
 * as an aclImdb folder and read back, the tokenizer on a sample, every
 * fixture, and a checkpoint written and opened again. Prints what it read;
 * exit status 0 when everything read as expected.
 *
 * Usage: memcheck-readers DATA_ROOT FIXTURES_DIR SCRATCH_DIR [REVIEWS]
 *   DATA_ROOT holds mnist/ and imdb/ (../shared/data); REVIEWS (default
 *   400) is the size of the IMDb sample. */
#include "checkpoint.h"
#include "imdb.h"
#include "mnist.h"
#include "safetensors.h"
#include "tokenizer.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int failures;

#define EXPECT(cond, ...)                                                                          \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "memcheck-readers: " __VA_ARGS__);                                     \
            fputc('\n', stderr);                                                                   \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

static void mnist(const char *root)
{
    char dir[4096], err[512];
    snprintf(dir, sizeof dir, "%s/mnist", root);
    static const char *const split[2] = {"train", "t10k"};
    static const size_t want[2] = {60000, 10000};
    for (int s = 0; s < 2; s++) {
        nns_mnist m;
        int rc = nns_mnist_load(dir, split[s], &m, err, sizeof err);
        EXPECT(rc == 0, "%s", err);
        if (rc) continue;
        EXPECT(m.count == want[s] && m.rows == 28 && m.cols == 28, "%s: %zu images", split[s], m.count);
        unsigned long long sum = 0;
        for (size_t i = 0; i < m.count * 784; i++) sum += m.pixels[i];
        printf("mnist %s: %zu images, pixel sum %llu\n", split[s], m.count, sum);
        nns_mnist_free(&m);
    }
    /* A bad folder: the error path. */
    nns_mnist m;
    EXPECT(nns_mnist_load(root, "train", &m, err, sizeof err) != 0, "%s/train-*: read", root);
}

static void write_file(const char *path, const char *text, size_t len)
{
    FILE *f = fopen(path, "wb");
    EXPECT(f && fwrite(text, 1, len, f) == len, "cannot write %s", path);
    if (f) fclose(f);
}

static void imdb(const char *root, const char *scratch, size_t sample)
{
    char dir[4096], err[512];
    snprintf(dir, sizeof dir, "%s/imdb", root);
    nns_imdb d;
    int rc = nns_imdb_load(dir, &d, err, sizeof err);
    EXPECT(rc == 0, "%s", err);
    if (rc) return;
    EXPECT(d.count == 50000 && d.n_train == 25000, "imdb: %zu reviews", d.count);
    printf("imdb: %zu reviews from %s\n", d.count, d.source);

    /* The tokenizer on a sample: every 50000/sample-th review. */
    size_t n = sample < d.count ? sample : d.count, step = d.count / (n ? n : 1);
    const char **text = malloc(n * sizeof *text);
    size_t *len = malloc(n * sizeof *len);
    uint8_t *use = malloc(n);
    int32_t *ids = malloc(n * 64 * sizeof *ids), *valid = malloc(n * sizeof *valid);
    if (!text || !len || !use || !ids || !valid) {
        EXPECT(0, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        text[i] = d.text[i * step], len[i] = d.len[i * step], use[i] = d.is_train[i * step];
    nns_vocab *v = nns_vocab_build(text, len, use, n, 2000, err, sizeof err);
    EXPECT(v != NULL, "%s", err);
    if (v) {
        EXPECT(nns_vocab_encode_all(v, text, len, n, 64, NNS_KEEP_FIRST, ids, valid, err, sizeof err) == 0, "%s", err);
        char *s = nns_vocab_to_string(v);
        nns_vocab *w = s ? nns_vocab_from_string(s, err, sizeof err) : NULL;
        EXPECT(w && nns_vocab_size(w) == nns_vocab_size(v), "vocabulary round trip: %s", err);
        printf("tokenizer: %zu words from %zu reviews\n", nns_vocab_size(v), n);
        nns_vocab_free(w);
        free(s);
        nns_vocab_free(v);
    }

    /* The sample as an aclImdb release, read back. */
    static const char *const folders[4] = {"test/neg", "train/neg", "test/pos", "train/pos"};
    char path[4200];
    snprintf(path, sizeof path, "%s/aclImdb", scratch);
    mkdir(path, 0700);
    snprintf(path, sizeof path, "%s/aclImdb/train", scratch), mkdir(path, 0700);
    snprintf(path, sizeof path, "%s/aclImdb/test", scratch), mkdir(path, 0700);
    for (int k = 0; k < 4; k++) snprintf(path, sizeof path, "%s/aclImdb/%s", scratch, folders[k]), mkdir(path, 0700);
    for (size_t i = 0; i < n; i++) {
        size_t r = i * step;
        int k = (int)(r / 12500);
        snprintf(path, sizeof path, "%s/aclImdb/%s/%zu_%d.txt", scratch, folders[k], r, 1 + (int)(r % 10));
        write_file(path, d.text[r], d.len[r]);
    }
    snprintf(path, sizeof path, "%s/aclImdb", scratch);
    nns_imdb a;
    rc = nns_imdb_load(path, &a, err, sizeof err);
    EXPECT(rc == 0, "%s", err);
    if (!rc) {
        EXPECT(a.count == n, "aclImdb sample: %zu reviews, wrote %zu", a.count, n);
        for (size_t i = 0; i < a.count && i < n; i++)
            EXPECT(a.len[i] == len[i] && memcmp(a.text[i], text[i], len[i]) == 0,
                   "aclImdb sample: review %zu differs", i);
        printf("aclImdb sample: %zu reviews read back\n", a.count);
        nns_imdb_free(&a);
    }
out:
    free(text), free(len), free(use), free(ids), free(valid);
    nns_imdb_free(&d);
}

static void fixtures(const char *dir)
{
    DIR *d = opendir(dir);
    EXPECT(d != NULL, "%s: cannot open", dir);
    if (!d) return;
    size_t files = 0, tensors = 0;
    for (struct dirent *e; (e = readdir(d));) {
        size_t l = strlen(e->d_name);
        if (l < 12 || strcmp(e->d_name + l - 12,".safetensors") != 0) continue;
        char path[4400], err[512];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        st_file *f = st_open(path, err, sizeof err);
        EXPECT(f != NULL, "%s", err);
        if (!f) continue;
        files++;
        for (size_t i = 0; i < st_count(f); i++) {
            size_t count = 0;
            const void *p = st_f32(f, st_name(f, i), &count);
            if (!p) p = st_i32(f, st_name(f, i), &count);
            EXPECT(p != NULL, "%s: tensor %s", path, st_name(f, i));
            volatile unsigned char x = 0;
            for (size_t k = 0; p && k < 4 * count; k++) x ^= ((const unsigned char *)p)[k];
            tensors++;
        }
        st_close(f);
    }
    closedir(d);
    EXPECT(files > 0, "%s: no fixtures", dir);
    printf("fixtures: %zu files, %zu tensors\n", files, tensors);
}

static void checkpoint(const char *scratch)
{
    float w[6] = {1, 2, 3, 4, 5, 6}, m[6] = {0};
    nns_param_tensor t[2] = {{"w", 0, 2, {2, 2}}, {"b", 4, 1, {2, 0}}};
    const char *prefix[2] = {"", "optimizer.exp_avg."};
    const float *buf[2] = {w, m};
    const char *meta[] = {"model", "memcheck", "vocab", "<pad>\n<unk>\nthe"};
    char path[4200], err[512];
    snprintf(path, sizeof path, "%s/ck.safetensors", scratch);
    for (int pass = 0; pass < 2; pass++) { /* a new file, then a replacement */
        EXPECT(nns_ckpt_save_groups(path, t, 2, prefix, buf, 2, meta, 2, err, sizeof err) == 0, "%s", err);
        st_file *f = nns_ckpt_open(path, err, sizeof err);
        EXPECT(f != NULL, "%s", err);
        float back[6] = {0}, mb[6] = {0};
        float *into[2] = {back, mb};
        if (f)
            EXPECT(nns_ckpt_load_groups(f, path, t, 2, prefix, into, 2, err, sizeof err) == 0 &&
                       memcmp(back, w, sizeof w) == 0,
                   "checkpoint round trip: %s", err);
        st_close(f);
        w[0] = 7;
    }
    printf("checkpoint: written twice and read back\n");
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: memcheck-readers DATA_ROOT FIXTURES_DIR SCRATCH_DIR [REVIEWS]\n");
        return 2;
    }
    mnist(argv[1]);
    imdb(argv[1], argv[3], argc > 4 ? (size_t)strtoul(argv[4], NULL, 10) : 400);
    fixtures(argv[2]);
    checkpoint(argv[3]);
    printf("memcheck-readers: %s\n", failures ? "FAILED" : "all read as expected");
    return failures ? 1 : 0;
}
