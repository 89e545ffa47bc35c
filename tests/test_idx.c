/* IDX reader: files written by the tests (plain and gzip) into a temporary directory. */
#define _POSIX_C_SOURCE 200809L
#include <check.h>
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "mlp.h"
#include "test_tmpdir.h"

static char tmpdir[64];

static void setup(void) { tu_tmpdir_create(tmpdir, "mlp_idx_"); }

static void teardown(void) { tu_tmpdir_remove(tmpdir); }

/* Path of `name` in the temporary directory (static buffers, two in rotation). */
static const char *tmp_path(const char *name)
{
    static char buf[4][512];
    static int next;
    char *p = buf[next++ % 4];
    snprintf(p, 512, "%s/%s", tmpdir, name);
    return p;
}

static uint32_t crc32_of(const unsigned char *p, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
    }
    return ~c;
}

static void put32le(FILE *f, uint32_t v)
{
    for (int i = 0; i < 4; i++) fputc((int)((v >> (8 * i)) & 0xFF), f);
}

/* Writes bytes to path; when gz, as a gzip member of stored deflate blocks (RFC 1951/1952,
 * written by hand: the tests do not link zlib, the library's gzread must decode it). */
static void write_bytes(const char *path, const unsigned char *data, size_t len, int gz)
{
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    if (!gz) {
        if (len) ck_assert_uint_eq(fwrite(data, 1, len, f), len);
    } else {
        static const unsigned char head[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff};
        fwrite(head, 1, sizeof head, f);
        size_t off = 0;
        do {
            size_t n = len - off > 65535 ? 65535 : len - off;
            fputc(off + n == len ? 1 : 0, f); /* BFINAL, BTYPE 00 (stored) */
            fputc((int)(n & 0xFF), f);
            fputc((int)(n >> 8), f);
            fputc((int)(~n & 0xFF), f);
            fputc((int)((~n >> 8) & 0xFF), f);
            if (n) fwrite(data + off, 1, n, f);
            off += n;
        } while (off < len);
        put32le(f, crc32_of(data, len));
        put32le(f, (uint32_t)len);
    }
    ck_assert_int_eq(fclose(f), 0);
}

/* An IDX image: header (type, dims) followed by body bytes; returns its total length. */
static size_t make_idx(unsigned char *out, unsigned char type, unsigned ndims,
                       const uint32_t *dims, const unsigned char *body, size_t body_len)
{
    size_t n = 0;
    out[n++] = 0;
    out[n++] = 0;
    out[n++] = type;
    out[n++] = (unsigned char)ndims;
    for (unsigned d = 0; d < ndims; d++) {
        out[n++] = (unsigned char)(dims[d] >> 24);
        out[n++] = (unsigned char)(dims[d] >> 16);
        out[n++] = (unsigned char)(dims[d] >> 8);
        out[n++] = (unsigned char)dims[d];
    }
    if (body_len) memcpy(out + n, body, body_len);
    return n + body_len;
}

/* Three 2x2 images and their labels {0, 2, 1}. */
static const unsigned char pixels[12] = {0, 1, 2, 3, 255, 128, 7, 9, 10, 11, 12, 254};
static const unsigned char labels[3] = {0, 2, 1};

static void write_valid(const char *img, const char *lab, int gz)
{
    unsigned char buf[256];
    uint32_t idims[3] = {3, 2, 2}, ldims[1] = {3};
    write_bytes(img, buf, make_idx(buf, 0x08, 3, idims, pixels, 12), gz);
    write_bytes(lab, buf, make_idx(buf, 0x08, 1, ldims, labels, 3), gz);
}

static void check_valid(const mlp_dataset *ds, size_t classes)
{
    ck_assert_uint_eq(mlp_dataset_count(ds), 3);
    ck_assert_uint_eq(mlp_dataset_input_size(ds), 4);
    ck_assert_uint_eq(mlp_dataset_target_size(ds), classes);
    const float *x = mlp_dataset_inputs_const(ds), *y = mlp_dataset_targets_const(ds);
    for (size_t i = 0; i < 12; i++) ck_assert_float_eq(x[i], (float)pixels[i]);
    for (size_t r = 0; r < 3; r++)
        for (size_t c = 0; c < classes; c++)
            ck_assert_float_eq(y[r * classes + c], c == labels[r] ? 1.0f : 0.0f);
    ck_assert_uint_eq(mlp_dataset_class_count(ds), classes);
    for (size_t c = 0; c < classes; c++) {
        char name[24];
        snprintf(name, sizeof name, "%zu", c);
        ck_assert_str_eq(mlp_dataset_class_name(ds, c), name);
    }
    ck_assert_ptr_null(mlp_dataset_class_name(ds, classes));
    ck_assert_ptr_null(mlp_dataset_label_name(ds));
    ck_assert_int_eq(mlp_dataset_label_index(ds), -1);
}

/* Loads and expects `want`, with a message in detail. */
static void expect_fail(const char *img, const char *lab, size_t classes, mlp_status want)
{
    mlp_dataset *ds = NULL;
    mlp_error_detail det;
    memset(&det, 0, sizeof det);
    mlp_status st = mlp_dataset_open_idx(&ds, img, lab, classes, &det);
    ck_assert_msg(st == want, "status %d (%s), want %d; detail: %s", st, mlp_strerror(st), want,
                  det.message);
    ck_assert_ptr_null(ds);
    ck_assert_msg(det.message[0] != '\0', "no message in detail");
}

START_TEST(valid_plain)
{
    const char *img = tmp_path("img"), *lab = tmp_path("lab");
    write_valid(img, lab, 0);
    mlp_dataset *ds = NULL;
    ck_assert_int_eq(mlp_dataset_open_idx(&ds, img, lab, 3, NULL), MLP_OK);
    check_valid(ds, 3);
    mlp_dataset_free(ds);
}
END_TEST

START_TEST(valid_gz_auto_classes)
{
    const char *img = tmp_path("img.gz"), *lab = tmp_path("lab.gz");
    write_valid(img, lab, 1);
    mlp_dataset *ds = NULL;
    ck_assert_int_eq(mlp_dataset_open_idx(&ds, img, lab, 0, NULL), MLP_OK); /* max label + 1 */
    check_valid(ds, 3);
    mlp_dataset_free(ds);
    ck_assert_int_eq(mlp_dataset_open_idx(&ds, img, lab, 10, NULL), MLP_OK);
    check_valid(ds, 10);
    mlp_dataset_free(ds);
}
END_TEST

START_TEST(truncated_header)
{
    const char *img = tmp_path("img"), *lab = tmp_path("lab");
    unsigned char buf[64];
    write_valid(img, lab, 0);
    /* Images: 2 bytes of magic only; then the magic and half a dimension. */
    uint32_t idims[3] = {3, 2, 2};
    size_t n = make_idx(buf, 0x08, 3, idims, NULL, 0);
    write_bytes(img, buf, 2, 0);
    expect_fail(img, lab, 3, MLP_ERR_TRUNCATED);
    write_bytes(img, buf, 6, _i);
    expect_fail(img, lab, 3, MLP_ERR_TRUNCATED);
    write_bytes(img, buf, n - 1, _i);
    expect_fail(img, lab, 3, MLP_ERR_TRUNCATED);
    /* Labels header cut inside its dimension. */
    uint32_t ldims[1] = {3};
    write_valid(img, lab, 0);
    make_idx(buf, 0x08, 1, ldims, labels, 3);
    write_bytes(lab, buf, 6, _i);
    expect_fail(img, lab, 3, MLP_ERR_TRUNCATED);
    /* Empty file. */
    write_bytes(lab, buf, 0, _i);
    expect_fail(img, lab, 3, MLP_ERR_TRUNCATED);
}
END_TEST

START_TEST(truncated_body)
{
    const char *img = tmp_path("img"), *lab = tmp_path("lab");
    unsigned char buf[256];
    uint32_t idims[3] = {3, 2, 2}, ldims[1] = {3};
    int gz = _i;
    write_valid(img, lab, gz);
    write_bytes(img, buf, make_idx(buf, 0x08, 3, idims, pixels, 12) - 1, gz);
    mlp_error_detail det;
    mlp_dataset *ds = NULL;
    ck_assert_int_eq(mlp_dataset_open_idx(&ds, img, lab, 3, &det), MLP_ERR_TRUNCATED);
    ck_assert_ptr_nonnull(strstr(det.message, "12")); /* the declared size */
    write_valid(img, lab, gz);
    write_bytes(lab, buf, make_idx(buf, 0x08, 1, ldims, labels, 2), gz);
    expect_fail(img, lab, 3, MLP_ERR_TRUNCATED);
}
END_TEST

START_TEST(gzip_stream_cut)
{
    /* A gzip file cut in the middle of its compressed stream (no trailer). */
    const char *img = tmp_path("img.gz"), *lab = tmp_path("lab.gz");
    unsigned char body[4000], buf[4100];
    for (size_t i = 0; i < sizeof body; i++) body[i] = (unsigned char)(i * 7919u >> 3);
    uint32_t idims[3] = {1000, 2, 2}, ldims[1] = {1000};
    write_bytes(img, buf, make_idx(buf, 0x08, 3, idims, body, 4000), 1);
    memset(body, 1, 1000);
    write_bytes(lab, buf, make_idx(buf, 0x08, 1, ldims, body, 1000), 1);
    FILE *f = fopen(img, "rb");
    unsigned char gz[8192];
    size_t n = fread(gz, 1, sizeof gz, f);
    fclose(f);
    ck_assert_uint_gt(n, 40);
    write_bytes(img, gz, n / 2, 0);
    expect_fail(img, lab, 2, MLP_ERR_TRUNCATED);
    write_bytes(img, gz, n - 4, 0); /* only the length field of the trailer missing */
    expect_fail(img, lab, 2, MLP_ERR_TRUNCATED);
    gz[n - 5] ^= 0x55; /* a wrong CRC: corrupt, not short */
    write_bytes(img, gz, n, 0);
    expect_fail(img, lab, 2, MLP_ERR_FORMAT);
}
END_TEST

START_TEST(wrong_magic)
{
    const char *img = tmp_path("img"), *lab = tmp_path("lab");
    write_valid(img, lab, _i);
    unsigned char buf[256];
    uint32_t idims[3] = {3, 2, 2};
    size_t n = make_idx(buf, 0x08, 3, idims, pixels, 12);
    buf[1] = 0x01;
    write_bytes(img, buf, n, _i);
    expect_fail(img, lab, 3, MLP_ERR_FORMAT);
    /* A text file is not IDX either. */
    write_bytes(img, (const unsigned char *)"hello, world", 12, _i);
    expect_fail(img, lab, 3, MLP_ERR_FORMAT);
}
END_TEST

START_TEST(wrong_type)
{
    const char *img = tmp_path("img"), *lab = tmp_path("lab");
    write_valid(img, lab, 0);
    unsigned char buf[256];
    uint32_t idims[3] = {3, 2, 2}, ldims[1] = {3};
    write_bytes(img, buf, make_idx(buf, 0x0D, 3, idims, pixels, 12), 0);
    mlp_error_detail det;
    mlp_dataset *ds = NULL;
    ck_assert_int_eq(mlp_dataset_open_idx(&ds, img, lab, 3, &det), MLP_ERR_FORMAT);
    ck_assert_msg(strstr(det.message, "0x0d") != NULL, "message: %s", det.message);
    write_valid(img, lab, 0);
    write_bytes(lab, buf, make_idx(buf, 0x09, 1, ldims, labels, 3), 0);
    expect_fail(img, lab, 3, MLP_ERR_FORMAT);
}
END_TEST

START_TEST(wrong_dimension_count)
{
    const char *img = tmp_path("img"), *lab = tmp_path("lab");
    unsigned char buf[256];
    uint32_t one[1] = {12}, two[2] = {3, 1}, lab2[2] = {3, 1};
    write_valid(img, lab, 0);
    write_bytes(img, buf, make_idx(buf, 0x08, 1, one, pixels, 12), 0); /* images, 1 dim */
    expect_fail(img, lab, 3, MLP_ERR_FORMAT);
    write_bytes(img, buf, make_idx(buf, 0x08, 0, one, NULL, 0), 0); /* no dims at all */
    expect_fail(img, lab, 3, MLP_ERR_FORMAT);
    write_bytes(img, buf, make_idx(buf, 0x08, 2, two, pixels, 3), 0); /* images, 2 dims: ok */
    mlp_dataset *ds = NULL;
    ck_assert_int_eq(mlp_dataset_open_idx(&ds, img, lab, 3, NULL), MLP_OK);
    ck_assert_uint_eq(mlp_dataset_input_size(ds), 1);
    mlp_dataset_free(ds);
    write_bytes(lab, buf, make_idx(buf, 0x08, 2, lab2, labels, 3), 0); /* labels, 2 dims */
    expect_fail(img, lab, 3, MLP_ERR_FORMAT);
}
END_TEST

START_TEST(zero_dimension)
{
    const char *img = tmp_path("img"), *lab = tmp_path("lab");
    unsigned char buf[256];
    uint32_t idims[3] = {3, 0, 2};
    write_valid(img, lab, 0);
    write_bytes(img, buf, make_idx(buf, 0x08, 3, idims, NULL, 0), 0);
    expect_fail(img, lab, 3, MLP_ERR_FORMAT);
}
END_TEST

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

START_TEST(lying_sizes_fail_fast)
{
#if !defined(__SANITIZE_ADDRESS__)
    /* Cap the address space (this test runs in its own process): a reader that allocates
     * what the header claims gets NO_MEMORY here instead of TRUNCATED. */
    struct rlimit rl = {(rlim_t)1 << 30, (rlim_t)1 << 30};
    setrlimit(RLIMIT_AS, &rl);
#endif
    const char *img = tmp_path("img"), *lab = tmp_path("lab");
    unsigned char buf[256];
    uint32_t idims[3] = {1u << 31, 28, 28}, ldims[1] = {1u << 31};
    int gz = _i;
    write_bytes(img, buf, make_idx(buf, 0x08, 3, idims, pixels, 12), gz);
    write_bytes(lab, buf, make_idx(buf, 0x08, 1, ldims, labels, 3), gz);
    double t0 = now();
    expect_fail(img, lab, 10, MLP_ERR_TRUNCATED);
    ck_assert_double_lt(now() - t0, 2.0);
    /* Images lie, labels are honest: the count mismatch is found first. */
    uint32_t honest[1] = {3};
    write_bytes(lab, buf, make_idx(buf, 0x08, 1, honest, labels, 3), gz);
    expect_fail(img, lab, 10, MLP_ERR_DIMENSION);
    /* Dimensions whose product overflows size_t. */
    uint32_t huge[4] = {0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu};
    write_bytes(img, buf, make_idx(buf, 0x08, 4, huge, pixels, 12), gz);
    write_bytes(lab, buf, make_idx(buf, 0x08, 1, huge, labels, 3), gz);
    expect_fail(img, lab, 10, MLP_ERR_FORMAT);
}
END_TEST

START_TEST(trailing_garbage)
{
    const char *img = tmp_path("img"), *lab = tmp_path("lab");
    unsigned char buf[256];
    uint32_t idims[3] = {3, 2, 2}, ldims[1] = {3};
    write_valid(img, lab, _i);
    size_t n = make_idx(buf, 0x08, 3, idims, pixels, 12);
    buf[n++] = 0x42;
    write_bytes(img, buf, n, _i);
    expect_fail(img, lab, 3, MLP_ERR_FORMAT);
    write_valid(img, lab, _i);
    n = make_idx(buf, 0x08, 1, ldims, labels, 3);
    buf[n++] = 0;
    write_bytes(lab, buf, n, _i);
    expect_fail(img, lab, 3, MLP_ERR_FORMAT);
}
END_TEST

START_TEST(count_mismatch)
{
    const char *img = tmp_path("img"), *lab = tmp_path("lab");
    unsigned char buf[256];
    uint32_t ldims[1] = {2};
    write_valid(img, lab, _i);
    write_bytes(lab, buf, make_idx(buf, 0x08, 1, ldims, labels, 2), _i);
    expect_fail(img, lab, 3, MLP_ERR_DIMENSION);
}
END_TEST

START_TEST(label_out_of_range)
{
    const char *img = tmp_path("img"), *lab = tmp_path("lab");
    write_valid(img, lab, _i);
    mlp_error_detail det;
    mlp_dataset *ds = NULL;
    /* Label 2 with two classes. */
    ck_assert_int_eq(mlp_dataset_open_idx(&ds, img, lab, 2, &det), MLP_ERR_FORMAT);
    ck_assert_ptr_null(ds);
    ck_assert_msg(strstr(det.message, "label 2") != NULL, "message: %s", det.message);
    ck_assert_int_eq(mlp_dataset_open_idx(&ds, img, lab, 3, NULL), MLP_OK);
    mlp_dataset_free(ds);
}
END_TEST

START_TEST(missing_file_and_null_args)
{
    const char *img = tmp_path("img"), *lab = tmp_path("lab");
    write_valid(img, lab, 0);
    expect_fail(tmp_path("nope"), lab, 3, MLP_ERR_IO);
    expect_fail(img, tmp_path("nope"), 3, MLP_ERR_IO);
    mlp_dataset *ds = NULL;
    ck_assert_int_eq(mlp_dataset_open_idx(NULL, img, lab, 3, NULL), MLP_ERR_NULL_ARG);
    ck_assert_int_eq(mlp_dataset_open_idx(&ds, NULL, lab, 3, NULL), MLP_ERR_NULL_ARG);
    ck_assert_ptr_null(ds);
    /* No labels file: the images alone, for prediction. */
    ck_assert_int_eq(mlp_dataset_open_idx(&ds, img, NULL, 3, NULL), MLP_OK);
    ck_assert_uint_eq(mlp_dataset_target_size(ds), 0);
    ck_assert_uint_eq(mlp_dataset_class_count(ds), 0);
    ck_assert_uint_gt(mlp_dataset_count(ds), 0);
    mlp_dataset_free(ds);
}
END_TEST

START_TEST(larger_than_one_chunk)
{
    /* 600 images of 40x50 (1.2 MB): the body arrives in several chunks. */
    const char *img = tmp_path("big.gz"), *lab = tmp_path("bigl.gz");
    size_t count = 600, d = 2000, n = count * d;
    unsigned char *body = malloc(n), *buf = malloc(n + 64), lb[600];
    ck_assert_ptr_nonnull(body);
    ck_assert_ptr_nonnull(buf);
    for (size_t i = 0; i < n; i++) body[i] = (unsigned char)((i * 31u) ^ (i >> 9));
    for (size_t i = 0; i < count; i++) lb[i] = (unsigned char)(i % 10);
    uint32_t idims[3] = {600, 40, 50}, ldims[1] = {600};
    write_bytes(img, buf, make_idx(buf, 0x08, 3, idims, body, n), _i);
    write_bytes(lab, buf, make_idx(buf, 0x08, 1, ldims, lb, count), _i);
    mlp_dataset *ds = NULL;
    ck_assert_int_eq(mlp_dataset_open_idx(&ds, img, lab, 0, NULL), MLP_OK);
    ck_assert_uint_eq(mlp_dataset_count(ds), count);
    ck_assert_uint_eq(mlp_dataset_input_size(ds), d);
    ck_assert_uint_eq(mlp_dataset_class_count(ds), 10);
    const float *x = mlp_dataset_inputs_const(ds), *y = mlp_dataset_targets_const(ds);
    size_t bad = 0, ones = 0;
    for (size_t i = 0; i < n; i++) bad += x[i] != (float)body[i];
    for (size_t i = 0; i < count * 10; i++) ones += y[i] == 1.0f;
    for (size_t i = 0; i < count; i++) bad += y[i * 10 + i % 10] != 1.0f;
    ck_assert_uint_eq(bad, 0);
    ck_assert_uint_eq(ones, count);
    mlp_dataset_free(ds);
    free(body);
    free(buf);
}
END_TEST

static Suite *idx_suite(void)
{
    Suite *s = suite_create("idx");
    TCase *tc = tcase_create("idx");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, valid_plain);
    tcase_add_test(tc, valid_gz_auto_classes);
    tcase_add_loop_test(tc, truncated_header, 0, 2);
    tcase_add_loop_test(tc, truncated_body, 0, 2);
    tcase_add_test(tc, gzip_stream_cut);
    tcase_add_loop_test(tc, wrong_magic, 0, 2);
    tcase_add_test(tc, wrong_type);
    tcase_add_test(tc, wrong_dimension_count);
    tcase_add_test(tc, zero_dimension);
    tcase_add_loop_test(tc, lying_sizes_fail_fast, 0, 2);
    tcase_add_loop_test(tc, trailing_garbage, 0, 2);
    tcase_add_loop_test(tc, count_mismatch, 0, 2);
    tcase_add_loop_test(tc, label_out_of_range, 0, 2);
    tcase_add_test(tc, missing_file_and_null_args);
    tcase_add_loop_test(tc, larger_than_one_chunk, 0, 2);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(idx_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
