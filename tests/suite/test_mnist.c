/* The MNIST reader (models/mnist.c) and the data-root lookup
 * (models/data_root.c).
 *
 * real_data reads the real files (NNSIMD_DATA, else ../shared/data, else
 * data/ at the project's top) and checks counts, label histograms and a few
 * pixel sums; it is SKIPPED when they are absent. (It runs under qemu too:
 * inflating all 70,000 images takes about 0.2 s natively, 0.7 s there.) The
 * other tests build small good and bad IDX files in a temporary folder:
 * every bad one must fail with a message naming the file and the problem. */
#include "suites.h"

#include "data_root.h"
#include "mnist.h"

#include <ftw.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <zlib.h>

#define SUITE "mnist"
#define N_IMG 3
#define ROWS 28
#define COLS 28

static char tmp_root[64];           /* the suite's temporary folder */
static char real_dir[PATH_MAX + 64]; /* the real MNIST folder, if found */

/* Folders here live under tmp_root (short); files in them. */
#define DIR_LEN 512
#define FILE_LEN (DIR_LEN + 128)

/* ---- writing IDX files ---------------------------------------------- */

static void be32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24), p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8), p[3] = (unsigned char)v;
}

/* An IDX image in memory: header (magic, dims), data, extra bytes. Caller frees. */
static unsigned char *idx_bytes(uint32_t magic, const uint32_t *dims, int ndims,
                                const unsigned char *data, size_t n, size_t *len)
{
    size_t h = 4 + 4 * (size_t)ndims;
    unsigned char *b = malloc(h + n + 1);
    if (!b) return NULL;
    be32(b, magic);
    for (int i = 0; i < ndims; i++) be32(b + 4 + 4 * i, dims[i]);
    if (n) memcpy(b + h, data, n);
    *len = h + n;
    return b;
}

static int write_raw(const char *path, const unsigned char *b, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    int ok = fwrite(b, 1, n, f) == n;
    return (fclose(f) == 0 && ok) ? 0 : -1;
}

static int write_gz(const char *path, const unsigned char *b, size_t n)
{
    gzFile g = gzopen(path, "wb1");
    if (!g) return -1;
    int ok = n == 0 || gzwrite(g, b, (unsigned)n) == (int)n;
    return (gzclose(g) == Z_OK && ok) ? 0 : -1;
}

static int read_all(const char *path, unsigned char **b, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    *b = malloc(len > 0 ? (size_t)len : 1);
    *n = *b && len >= 0 ? fread(*b, 1, (size_t)len, f) : 0;
    fclose(f);
    return *b && (long)*n == len ? 0 : -1;
}

/* Deterministic pixels and labels of a small data set: pixels mostly 0,
 * like MNIST's, so deflate codes them with Huffman blocks. */
static void sample(unsigned char *px, size_t npx, unsigned char *lb, size_t nlb)
{
    uint32_t s = 12345;
    for (size_t i = 0; i < npx; i++) {
        s = s * 1103515245u + 12345u;
        px[i] = (s >> 29) == 0 ? (unsigned char)(s >> 16) : 0;
    }
    for (size_t i = 0; i < nlb; i++) lb[i] = (unsigned char)(i % 10);
}

/* Files of one case, folder tmp_root/name. Each is written as given:
 * gz selects compression; NULL skips the file. */
typedef struct idx_spec {
    const char *name; /* file name in the folder */
    uint32_t magic;
    uint32_t dims[3];
    int ndims;
    size_t data;  /* bytes of data written (may differ from the dims) */
    size_t extra; /* trailing bytes after the data */
    int gz;
} idx_spec;

static unsigned char g_px[200 * ROWS * COLS + 64], g_lb[256];

static int write_spec(const char *dir, const idx_spec *s)
{
    char path[FILE_LEN];
    snprintf(path, sizeof path, "%s/%s", dir, s->name);
    size_t len;
    const unsigned char *src = s->ndims == 3 ? g_px : g_lb;
    unsigned char *b = idx_bytes(s->magic, s->dims, s->ndims, src, s->data + s->extra, &len);
    if (!b) return -1;
    int r = s->gz ? write_gz(path, b, len) : write_raw(path, b, len);
    free(b);
    return r;
}

static const char *make_dir(const char *name, char *out, size_t len)
{
    snprintf(out, len, "%s/%s", tmp_root, name);
    return mkdir(out, 0700) == 0 ? out : NULL;
}

/* A good images + labels pair (count images), gzip or raw. */
static idx_spec good_images(const char *split, int gz, uint32_t count)
{
    int train = strcmp(split, "train") == 0;
    const char *n = train ? (gz ? "train-images-idx3-ubyte.gz" : "train-images-idx3-ubyte")
                          : (gz ? "t10k-images-idx3-ubyte.gz" : "t10k-images-idx3-ubyte");
    return (idx_spec){n, 0x803, {count, ROWS, COLS}, 3, (size_t)count * ROWS * COLS, 0, gz};
}

static idx_spec good_labels(const char *split, int gz, uint32_t count)
{
    int train = strcmp(split, "train") == 0;
    const char *n = train ? (gz ? "train-labels-idx1-ubyte.gz" : "train-labels-idx1-ubyte")
                          : (gz ? "t10k-labels-idx1-ubyte.gz" : "t10k-labels-idx1-ubyte");
    return (idx_spec){n, 0x801, {count, 0, 0}, 1, count, 0, gz};
}

/* Makes folder `name` with the given files; NULL on failure. */
static const char *make_case(const char *name, const idx_spec *specs, int n, char *dir,
                             size_t len)
{
    if (!make_dir(name, dir, len)) return NULL;
    for (int i = 0; i < n; i++)
        if (write_spec(dir, &specs[i])) return NULL;
    return dir;
}

/* ---- suite setup ----------------------------------------------------- */

static int rm_entry(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(p);
}

static int suite_init(void)
{
    sample(g_px, sizeof g_px, g_lb, sizeof g_lb);
    snprintf(tmp_root, sizeof tmp_root, "/tmp/nnsimd-mnist-XXXXXX");
    return mkdtemp(tmp_root) ? 0 : -1;
}

static int suite_clean(void)
{
    if (tmp_root[0]) nftw(tmp_root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    tmp_root[0] = '\0';
    return 0;
}

/* ---- good inputs ----------------------------------------------------- */

static void check_good(const char *dir, const char *split, uint32_t count)
{
    nns_mnist m;
    char err[512] = "";
    int r = nns_mnist_load(dir, split, &m, err, sizeof err);
    CU_ASSERT_EQUAL_FATAL(r, 0);
    if (r) {
        printf("\n  unexpected error: %s\n", err);
        return;
    }
    CU_ASSERT_EQUAL(m.count, count);
    CU_ASSERT_EQUAL(m.rows, ROWS);
    CU_ASSERT_EQUAL(m.cols, COLS);
    CU_ASSERT(memcmp(m.pixels, g_px, (size_t)count * ROWS * COLS) == 0);
    CU_ASSERT(memcmp(m.labels, g_lb, count) == 0);
    nns_mnist_free(&m);
    CU_ASSERT_PTR_NULL(m.pixels);
}

static void test_good_inputs(void)
{
    char dir[DIR_LEN];
    idx_spec gz[] = {good_images("train", 1, N_IMG), good_labels("train", 1, N_IMG),
                     good_images("t10k", 1, 2), good_labels("t10k", 1, 2)};
    CU_ASSERT_PTR_NOT_NULL_FATAL(make_case("good_gz", gz, 4, dir, sizeof dir));
    check_good(dir, "train", N_IMG);
    check_good(dir, "t10k", 2);
    CU_ASSERT(nns_mnist_looks_like(dir));

    idx_spec raw[] = {good_images("train", 0, N_IMG), good_labels("train", 0, N_IMG)};
    CU_ASSERT_PTR_NOT_NULL_FATAL(make_case("good_raw", raw, 2, dir, sizeof dir));
    check_good(dir, "train", N_IMG);
    CU_ASSERT(nns_mnist_looks_like(dir));

    /* Both forms present: the .gz is read (the raw images here are bad). */
    idx_spec both[] = {good_images("train", 1, N_IMG), good_labels("train", 1, N_IMG),
                       good_images("train", 0, N_IMG), good_labels("train", 0, N_IMG)};
    both[2].magic = 0x801;
    CU_ASSERT_PTR_NOT_NULL_FATAL(make_case("good_both", both, 4, dir, sizeof dir));
    check_good(dir, "train", N_IMG);

    /* A raw file under a plain name may also be gzip: zlib reads both. */
    idx_spec gz_plain[] = {good_images("train", 1, N_IMG), good_labels("train", 1, N_IMG)};
    gz_plain[0].name = "train-images-idx3-ubyte";
    gz_plain[1].name = "train-labels-idx1-ubyte";
    CU_ASSERT_PTR_NOT_NULL_FATAL(make_case("good_gz_plain_name", gz_plain, 2, dir, sizeof dir));
    check_good(dir, "train", N_IMG);

    CU_ASSERT_FALSE(nns_mnist_looks_like(tmp_root));
    nns_mnist_free(NULL);
}

/* ---- bad inputs ------------------------------------------------------ */

/* Loading `split` from dir must fail with a message holding `file` and
 * `problem`, leave *out zeroed, and free what it allocated. */
static void expect_fail(const char *dir, const char *split, const char *file,
                        const char *problem)
{
    nns_mnist m;
    memset(&m, 0x5a, sizeof m);
    char err[1024] = "";
    int r = nns_mnist_load(dir, split, &m, err, sizeof err);
    CU_ASSERT_EQUAL(r, -1);
    CU_ASSERT(m.pixels == NULL && m.labels == NULL && m.count == 0);
    int ok = strstr(err, file) && strstr(err, problem) && !strchr(err, '\n');
    CU_ASSERT(ok);
    if (!ok || r != -1)
        printf("\n  %s: got \"%s\", wanted \"%s\" and \"%s\"\n", dir, err, file, problem);
    if (getenv("NNSIMD_TEST_VERBOSE")) printf("\n  %s\n", err);
}

/* A case from good train files with images[0]/labels[1] replaced. */
static const char *bad_case(const char *name, const idx_spec *images, const idx_spec *labels,
                            char *dir, size_t len)
{
    idx_spec s[2] = {images ? *images : good_images("train", 1, N_IMG),
                     labels ? *labels : good_labels("train", 1, N_IMG)};
    return make_case(name, s, 2, dir, len);
}

/* Rewrites dir/name with its bytes changed by `edit`. */
static int edit_file(const char *dir, const char *name, void (*edit)(unsigned char *, size_t *))
{
    char path[FILE_LEN];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    unsigned char *b;
    size_t n;
    if (read_all(path, &b, &n)) return -1;
    edit(b, &n);
    int r = write_raw(path, b, n);
    free(b);
    return r;
}

static void cut_half(unsigned char *b, size_t *n) { (void)b, *n /= 2; }
static void cut_trailer(unsigned char *b, size_t *n) { (void)b, *n -= 4; } /* gzip ISIZE */
static void flip_middle(unsigned char *b, size_t *n)
{
    for (size_t i = *n / 2; i < *n / 2 + 8; i++) b[i] ^= 0xa5;
}
/* The first bytes after the 10-byte gzip header: the first block's header. */
static void flip_head(unsigned char *b, size_t *n)
{
    (void)n;
    for (size_t i = 10; i < 14; i++) b[i] ^= 0xff;
}

static void test_bad_inputs(void)
{
    char dir[DIR_LEN];
    const char *IMG = "train-images-idx3-ubyte.gz", *LBL = "train-labels-idx1-ubyte.gz";
    const char *IMG_RAW = "train-images-idx3-ubyte";

    idx_spec s = good_images("train", 1, N_IMG);
    s.magic = 0x801;
    CU_ASSERT_PTR_NOT_NULL_FATAL(bad_case("wrong_magic", &s, NULL, dir, sizeof dir));
    expect_fail(dir, "train", IMG, "wrong magic 0x00000801 (expected 0x00000803: IDX images)");

    idx_spec l = good_labels("train", 1, N_IMG);
    l.magic = 0x803;
    CU_ASSERT_PTR_NOT_NULL_FATAL(bad_case("wrong_magic_labels", NULL, &l, dir, sizeof dir));
    expect_fail(dir, "train", LBL, "wrong magic 0x00000803 (expected 0x00000801: IDX labels)");

    s = good_images("train", 0, N_IMG);
    s.data -= 368;
    CU_ASSERT_PTR_NOT_NULL_FATAL(bad_case("truncated_raw", &s, NULL, dir, sizeof dir));
    expect_fail(dir, "train", IMG_RAW,
                "truncated: 2368 bytes expected (16-byte header + 3 x 28 x 28 pixels), 2000 found");

    s = good_images("train", 1, N_IMG);
    s.data -= 368;
    CU_ASSERT_PTR_NOT_NULL_FATAL(bad_case("truncated_data_gz", &s, NULL, dir, sizeof dir));
    expect_fail(dir, "train", IMG, "truncated: 2368 bytes expected");

    s = good_images("train", 1, 200);
    l = good_labels("train", 1, 200);
    CU_ASSERT_PTR_NOT_NULL_FATAL(bad_case("truncated_gzip", &s, &l, dir, sizeof dir));
    CU_ASSERT_EQUAL_FATAL(edit_file(dir, IMG, cut_half), 0);
    expect_fail(dir, "train", IMG, "truncated gzip stream");

    CU_ASSERT_PTR_NOT_NULL_FATAL(bad_case("gzip_trailer_cut", NULL, NULL, dir, sizeof dir));
    CU_ASSERT_EQUAL_FATAL(edit_file(dir, LBL, cut_trailer), 0);
    expect_fail(dir, "train", LBL, "truncated gzip stream");

    s = good_images("train", 1, 200);
    CU_ASSERT_PTR_NOT_NULL_FATAL(bad_case("corrupt_gzip", &s, &l, dir, sizeof dir));
    CU_ASSERT_EQUAL_FATAL(edit_file(dir, IMG, flip_middle), 0);
    expect_fail(dir, "train", IMG, "corrupt gzip stream: incorrect data check");
    CU_ASSERT_PTR_NOT_NULL_FATAL(bad_case("corrupt_gzip_head", &s, &l, dir, sizeof dir));
    CU_ASSERT_EQUAL_FATAL(edit_file(dir, IMG, flip_head), 0);
    expect_fail(dir, "train", IMG, "corrupt gzip stream: invalid ");

    s = good_images("train", 0, N_IMG);
    s.extra = 5;
    CU_ASSERT_PTR_NOT_NULL_FATAL(bad_case("trailing_raw", &s, NULL, dir, sizeof dir));
    expect_fail(dir, "train", IMG_RAW,
                "trailing bytes: 2368 bytes expected (16-byte header + 3 x 28 x 28 pixels), "
                "2373 found");

    l = good_labels("train", 1, N_IMG);
    l.extra = 1;
    CU_ASSERT_PTR_NOT_NULL_FATAL(bad_case("trailing_gz", NULL, &l, dir, sizeof dir));
    expect_fail(dir, "train", LBL,
                "trailing bytes: 11 bytes expected (8-byte header + 3 labels), 12 found");

    l = good_labels("train", 1, N_IMG - 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(bad_case("counts_disagree", NULL, &l, dir, sizeof dir));
    expect_fail(dir, "train", LBL, "2 labels, but ");
    expect_fail(dir, "train", IMG, "holds 3 images"); /* names both files */

    CU_ASSERT_PTR_NOT_NULL_FATAL(bad_case("label_10", NULL, NULL, dir, sizeof dir));
    {
        char p[FILE_LEN];
        snprintf(p, sizeof p, "%s/%s", dir, LBL);
        unsigned char b[8 + N_IMG] = {0, 0, 8, 1, 0, 0, 0, N_IMG, 3, 10, 4};
        CU_ASSERT_EQUAL_FATAL(write_gz(p, b, sizeof b), 0);
    }
    expect_fail(dir, "train", LBL, "label 10 at index 1 out of range 0..9");

    s = good_images("train", 1, N_IMG);
    s.dims[1] = 0;
    s.data = 0;
    CU_ASSERT_PTR_NOT_NULL_FATAL(bad_case("zero_dims", &s, NULL, dir, sizeof dir));
    expect_fail(dir, "train", IMG, "zero dimension: 3 x 0 x 28 images");

    l = good_labels("train", 1, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(bad_case("zero_labels", NULL, &l, dir, sizeof dir));
    expect_fail(dir, "train", LBL, "zero dimension: 0 labels");

    s = good_images("train", 1, 0xffffffffu);
    s.dims[1] = s.dims[2] = 0xffffffffu;
    s.data = 16;
    CU_ASSERT_PTR_NOT_NULL_FATAL(bad_case("overflow", &s, NULL, dir, sizeof dir));
    expect_fail(dir, "train", IMG,
                "dimensions 4294967295 x 4294967295 x 4294967295 images overflow");

    /* A huge claim that fits in size_t: truncated, without a huge allocation. */
    s = good_images("train", 1, 0xffffffffu);
    s.dims[1] = 65535;
    s.dims[2] = 1;
    s.data = 100;
    CU_ASSERT_PTR_NOT_NULL_FATAL(bad_case("huge_claim", &s, NULL, dir, sizeof dir));
    expect_fail(dir, "train", IMG, "truncated: 281470681677841 bytes expected");

    s = good_images("train", 0, N_IMG);
    CU_ASSERT_PTR_NOT_NULL_FATAL(bad_case("empty", &s, NULL, dir, sizeof dir));
    {
        char p[FILE_LEN];
        snprintf(p, sizeof p, "%s/%s", dir, IMG_RAW);
        CU_ASSERT_EQUAL_FATAL(write_raw(p, (const unsigned char *)"", 0), 0);
    }
    expect_fail(dir, "train", IMG_RAW, "empty file (expected an IDX header)");

    s = good_images("train", 0, N_IMG);
    s.ndims = 1; /* magic and one dimension: 8 of the 16 header bytes */
    s.data = 0;
    CU_ASSERT_PTR_NOT_NULL_FATAL(bad_case("short_header", &s, NULL, dir, sizeof dir));
    expect_fail(dir, "train", IMG_RAW, "truncated: the IDX header needs 16 bytes, 8 found");

    s = good_images("train", 0, N_IMG);
    s.name = IMG; /* raw bytes under a .gz name */
    CU_ASSERT_PTR_NOT_NULL_FATAL(bad_case("not_gzip", &s, NULL, dir, sizeof dir));
    expect_fail(dir, "train", IMG, "not in gzip format");

    CU_ASSERT_PTR_NOT_NULL_FATAL(make_case("missing_labels", &s, 0, dir, sizeof dir));
    s = good_images("train", 1, N_IMG);
    CU_ASSERT_EQUAL_FATAL(write_spec(dir, &s), 0);
    expect_fail(dir, "train", LBL, "no such file (nor ");
    expect_fail(dir, "t10k", "t10k-images-idx3-ubyte.gz", "no such file");

    snprintf(dir, sizeof dir, "%s/no_such_folder", tmp_root);
    expect_fail(dir, "train", "no_such_folder",
                "cannot open the folder: No such file or directory");
    snprintf(dir, sizeof dir, "%s/missing_labels/%s", tmp_root, IMG);
    expect_fail(dir, "train", IMG, "not a folder");
    expect_fail(tmp_root, "test", tmp_root, "unknown MNIST split 'test' (train or t10k)");
}

/* ---- the data-root lookup -------------------------------------------- */

static void test_data_dir(void)
{
    char root[DIR_LEN], mn[FILE_LEN], out[PATH_MAX + 64], err[1024];
    CU_ASSERT_PTR_NOT_NULL_FATAL(make_dir("root", root, sizeof root));
    snprintf(mn, sizeof mn, "%s/mnist", root);
    CU_ASSERT_EQUAL_FATAL(mkdir(mn, 0700), 0);
    idx_spec s = good_images("train", 1, N_IMG);
    CU_ASSERT_EQUAL_FATAL(write_spec(mn, &s), 0);

    const char *saved = getenv("NNSIMD_DATA");
    char *keep = saved ? strdup(saved) : NULL;
    unsetenv("NNSIMD_DATA");

    CU_ASSERT_EQUAL(nns_data_dir(root, "mnist", nns_mnist_looks_like, out, sizeof out, err,
                                 sizeof err), 0);
    CU_ASSERT_STRING_EQUAL(out, mn);
    CU_ASSERT_EQUAL(nns_data_dir(mn, "mnist", nns_mnist_looks_like, out, sizeof out, err,
                                 sizeof err), 0);
    CU_ASSERT_STRING_EQUAL(out, mn);

    char missing[DIR_LEN];
    snprintf(missing, sizeof missing, "%s/absent", tmp_root);
    CU_ASSERT_EQUAL(nns_data_dir(missing, "mnist", nns_mnist_looks_like, out, sizeof out, err,
                                 sizeof err), -1);
    CU_ASSERT(strstr(err, "--data ") && strstr(err, missing) && strstr(err, "mnist files"));
    /* A root without mnist/ is not an MNIST folder either. */
    CU_ASSERT_EQUAL(nns_data_dir(tmp_root, "mnist", nns_mnist_looks_like, out, sizeof out, err,
                                 sizeof err), -1);

    setenv("NNSIMD_DATA", root, 1);
    CU_ASSERT_EQUAL(nns_data_dir(NULL, "mnist", nns_mnist_looks_like, out, sizeof out, err,
                                 sizeof err), 0);
    CU_ASSERT_STRING_EQUAL(out, mn);
    /* --data wins over NNSIMD_DATA. */
    CU_ASSERT_EQUAL(nns_data_dir(missing, "mnist", nns_mnist_looks_like, out, sizeof out, err,
                                 sizeof err), -1);
    setenv("NNSIMD_DATA", mn, 1);
    CU_ASSERT_EQUAL(nns_data_dir(NULL, "mnist", nns_mnist_looks_like, out, sizeof out, err,
                                 sizeof err), 0);
    CU_ASSERT_STRING_EQUAL(out, mn);
    setenv("NNSIMD_DATA", missing, 1);
    CU_ASSERT_EQUAL(nns_data_dir(NULL, "mnist", nns_mnist_looks_like, out, sizeof out, err,
                                 sizeof err), -1);
    CU_ASSERT(strstr(err, "NNSIMD_DATA=") && strstr(err, missing));

    if (keep) setenv("NNSIMD_DATA", keep, 1);
    else unsetenv("NNSIMD_DATA");
    free(keep);
}

/* ---- the real data --------------------------------------------------- */

static const unsigned hist_train[10] = {5923, 6742, 5958, 6131, 5842,
                                        5421, 5918, 6265, 5851, 5949};
static const unsigned hist_test[10] = {980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009};

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void check_real(const nns_mnist *m, size_t count, const unsigned *hist, int first_label,
                       unsigned long sum0, unsigned long sum_last, unsigned long long total)
{
    CU_ASSERT_EQUAL(m->count, count);
    CU_ASSERT_EQUAL(m->rows, 28);
    CU_ASSERT_EQUAL(m->cols, 28);
    if (m->count != count || m->rows != 28 || m->cols != 28) return;
    unsigned h[10] = {0};
    for (size_t i = 0; i < count; i++) h[m->labels[i]]++;
    CU_ASSERT(memcmp(h, hist, sizeof h) == 0);
    CU_ASSERT_EQUAL(m->labels[0], first_label);
    unsigned long s0 = 0, sl = 0;
    unsigned long long all = 0;
    for (size_t i = 0; i < 784; i++) s0 += m->pixels[i], sl += m->pixels[(count - 1) * 784 + i];
    for (size_t i = 0; i < count * 784; i++) all += m->pixels[i];
    CU_ASSERT_EQUAL(s0, sum0);
    CU_ASSERT_EQUAL(sl, sum_last);
    CU_ASSERT_EQUAL(all, total);
}

static void test_real_data(void)
{
    nns_mnist tr, te;
    char err[1024];
    double t0 = now();
    int r1 = nns_mnist_load(real_dir, "train", &tr, err, sizeof err);
    if (r1) printf("\n  %s\n", err);
    int r2 = nns_mnist_load(real_dir, "t10k", &te, err, sizeof err);
    if (r2) printf("\n  %s\n", err);
    double t = now() - t0;
    CU_ASSERT_EQUAL(r1, 0);
    CU_ASSERT_EQUAL(r2, 0);
    if (r1 == 0) check_real(&tr, 60000, hist_train, 5, 27525, 20920, 1567298545ull);
    if (r2 == 0) check_real(&te, 10000, hist_test, 7, 18454, 41833, 264923200ull);
    if (r1 == 0 && r2 == 0) printf("\n  mnist: 70000 images from %s in %.3f s ", real_dir, t);
    nns_mnist_free(&tr);
    nns_mnist_free(&te);
}

/* The real MNIST folder: NNSIMD_DATA, else ../shared/data, else data/ at
 * the project's top (nns_data_dir's own fallback). */
static int find_real(void)
{
    char err[1024];
    const char *env = getenv("NNSIMD_DATA");
    if (!(env && *env) &&
        nns_data_dir("../shared/data", "mnist", nns_mnist_looks_like, real_dir, sizeof real_dir,
                     err, sizeof err) == 0)
        return 1;
    return nns_data_dir(NULL, "mnist", nns_mnist_looks_like, real_dir, sizeof real_dir, err,
                        sizeof err) == 0;
}

int register_mnist_suite(void)
{
    CU_pSuite s = CU_add_suite(SUITE, suite_init, suite_clean);
    CU_pTest real = NULL;
    if (!s || !CU_add_test(s, "good_inputs", test_good_inputs) ||
        !CU_add_test(s, "bad_inputs", test_bad_inputs) ||
        !CU_add_test(s, "data_dir", test_data_dir) ||
        !(real = CU_add_test(s, "real_data", test_real_data)))
        return CU_get_error();
    if (!find_real())
        skip_test(real, SUITE, "no MNIST data (set NNSIMD_DATA, or run `make data`)");
    return 0;
}
