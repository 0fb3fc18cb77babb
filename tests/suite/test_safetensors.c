/* The safetensors reader and writer: a round trip, the byte layout the
 * Python writer of the fixtures produces, and files that must be refused
 * with a message naming the file and the problem. */
#include "suites.h"

#include "safetensors.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[] = "/tmp/nnsimd-st-XXXXXX";

static int setup(void) { return mkdtemp(dir) ? 0 : -1; }

static int teardown(void)
{
    char cmd[64];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void write_bytes(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    CU_ASSERT_EQUAL(fwrite(p, 1, n, f), n);
    fclose(f);
}

static void test_round_trip(void)
{
    float w[6] = {1, -2, 3.5f, 0, 1e-30f, -7};
    int32_t ids[3] = {7, -1, 42};
    st_entry t[] = {{"w", "F32", 2, {2, 3}, w}, {"ids", "I32", 1, {3}, ids}};
    const char *meta[] = {"format", "1", "note", "caf\xc3\xa9"};
    char path[128], err[256];
    snprintf(path, sizeof path, "%s/rt.safetensors", dir);
    CU_ASSERT_EQUAL_FATAL(st_write(path, t, 2, meta, 2, err, sizeof err), 0);
    st_file *f = st_open(path, err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    size_t n = 0, dims[4];
    const float *rw = st_f32(f, "w", &n);
    CU_ASSERT(rw && n == 6 && memcmp(rw, w, sizeof w) == 0);
    const int32_t *ri = st_i32(f, "ids", &n);
    CU_ASSERT(ri && n == 3 && memcmp(ri, ids, sizeof ids) == 0);
    CU_ASSERT_EQUAL(st_shape(f, "w", dims, 4), 2);
    CU_ASSERT(dims[0] == 2 && dims[1] == 3);
    CU_ASSERT_PTR_NULL(st_f32(f, "ids", NULL)); /* wrong dtype */
    CU_ASSERT_PTR_NULL(st_f32(f, "nope", NULL));
    CU_ASSERT_STRING_EQUAL(st_meta(f, "note"), "caf\xc3\xa9");
    CU_ASSERT_EQUAL(st_count(f), 2);
    CU_ASSERT_STRING_EQUAL(st_name(f, 0), "ids"); /* name order = offset order */
    st_close(f);
    /* The header is what tools/fixtures/safetensors_writer.py writes:
     * compact, sorted keys, UTF-8 as is, space-padded to 8 bytes. */
    FILE *fp = fopen(path, "rb");
    char buf[512] = {0};
    size_t got = fread(buf, 1, sizeof buf - 1, fp);
    fclose(fp);
    CU_ASSERT(got > 8);
    CU_ASSERT_PTR_NOT_NULL(strstr(buf + 8, "{\"__metadata__\":{\"format\":\"1\",\"note\":\"caf\xc3\xa9\"},"
                                           "\"ids\":{\"data_offsets\":[0,12],\"dtype\":\"I32\",\"shape\":[3]},"));
    CU_ASSERT_EQUAL(((unsigned char)buf[0] | (unsigned char)buf[1] << 8) % 8, 0);
}

/* A writer that cannot finish leaves the old file as it was. */
static void test_atomic_replace(void)
{
    float w = 1;
    st_entry t = {"w", "F32", 1, {1}, &w};
    char path[128], err[256];
    snprintf(path, sizeof path, "%s/nodir/x.safetensors", dir);
    CU_ASSERT_EQUAL(st_write(path, &t, 1, NULL, 0, err, sizeof err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "nodir/x.safetensors: cannot write"));
    /* Replacing a file leaves only the new file in the folder. */
    char sub[96], cmd[400];
    snprintf(sub, sizeof sub, "%s/replace", dir);
    snprintf(cmd, sizeof cmd, "mkdir -p %.80s", sub);
    CU_ASSERT_EQUAL_FATAL(system(cmd), 0);
    char file[128];
    snprintf(file, sizeof file, "%.80s/x.safetensors", sub);
    CU_ASSERT_EQUAL(st_write(file, &t, 1, NULL, 0, err, sizeof err), 0);
    w = 2;
    CU_ASSERT_EQUAL(st_write(file, &t, 1, NULL, 0, err, sizeof err), 0);
    st_file *f = st_open(file, err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    CU_ASSERT_EQUAL(st_f32(f, "w", NULL)[0], 2);
    st_close(f);
    snprintf(cmd, sizeof cmd, "test \"$(ls -A %.80s)\" = x.safetensors", sub);
    CU_ASSERT_EQUAL(system(cmd), 0);
}

static void expect_refused(const char *name, const void *bytes, size_t n, const char *why)
{
    char path[128], err[256] = "";
    snprintf(path, sizeof path, "%s/%s", dir, name);
    write_bytes(path, bytes, n);
    st_file *f = st_open(path, err, sizeof err);
    CU_ASSERT_PTR_NULL(f);
    st_close(f);
    if (!strstr(err, name) || !strstr(err, why)) printf("\n    %s: got \"%s\"", name, err);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, name));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, why));
}

/* 8-byte little-endian length, then the header, then data. */
static size_t make(unsigned char *out, const char *header, size_t data_bytes)
{
    size_t h = strlen(header);
    for (int i = 0; i < 8; i++) out[i] = (unsigned char)(h >> (8 * i));
    memcpy(out + 8, header, h);
    memset(out + 8 + h, 0, data_bytes);
    return 8 + h + data_bytes;
}

static void test_refuses_bad_files(void)
{
    unsigned char b[512] = {0};
    expect_refused("empty.st", b, 0, "empty file");
    expect_refused("short.st", "\x10\0\0", 3, "truncated");
    size_t n = make(b, "{}", 0);
    b[0] = 200;
    expect_refused("long.st", b, n, "exceeds the file");
    n = make(b, "{\"a\":", 0);
    expect_refused("json.st", b, n, "not a JSON object");
    n = make(b, "{\"a\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,8]}}", 8);
    expect_refused("dtype.st", b, n, "F32 or I32");
    n = make(b, "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}", 4);
    expect_refused("shape.st", b, n, "disagree with its shape");
    n = make(b, "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8);
    expect_refused("gap.st", b, n, "starts at byte 4");
    n = make(b, "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 8);
    expect_refused("trail.st", b, n, "4 stray bytes after the last tensor's data");
    n = make(b, "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 2);
    expect_refused("trunc.st", b, n, "truncated: the tensors need 4 data bytes, the file holds 2");
    n = make(b, "{\"__metadata__\":{\"k\":1}}", 0);
    expect_refused("meta.st", b, n, "not a string");
    n = make(b, "{\"__metadata__\":[1]}", 0);
    expect_refused("meta_array.st", b, n, "__metadata__ is not an object");
    /* Names from the file are quoted on one line (fuzzers' findings). */
    n = make(b, "{\"a\\nb\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,8]}}", 8);
    expect_refused("newline.st", b, n, "tensor 'a\\x0ab' has a dtype");
    n = make(b, "{\"__metadata__\":{\"k\\r\":1}}", 0);
    expect_refused("meta_cr.st", b, n, "value 'k\\x0d' is not a string");
    n = make(b, "{\"a\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904,8],\"data_offsets\":[0,4]}}", 4);
    expect_refused("overflow.st", b, n, "overflows");
    char err[256];
    CU_ASSERT_PTR_NULL(st_open("/nonexistent/x.st", err, sizeof err));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "/nonexistent/x.st: cannot open"));
    CU_ASSERT_PTR_NULL(st_open(dir, err, sizeof err));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "is a folder, not a file"));
}

int register_safetensors_suite(void)
{
    CU_pSuite s = CU_add_suite("safetensors", setup, teardown);
    if (!s || !CU_add_test(s, "round_trip", test_round_trip) ||
        !CU_add_test(s, "atomic_replace", test_atomic_replace) ||
        !CU_add_test(s, "refuses_bad_files", test_refuses_bad_files))
        return CU_get_error();
    return 0;
}
