/* Loading at scale: the number parser against strtod, CSV read by byte ranges on threads
 * and as shards against the one-pass reader, and the readers' refusals (NUL bytes,
 * duplicate header names), whatever the caller's locale. */
#define _POSIX_C_SOURCE 200809L
#include <check.h>
#include <locale.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include "data/table_internal.h"
#include "mlp_internal.h"
#include "test_tmpdir.h"

static char tmpdir[64];
static size_t range_bytes; /* each thread's least share of a file; 0: the library's */
static void setup(void) { tu_tmpdir_create(tmpdir, "mlp_loading_"); }
static void teardown(void) { tu_tmpdir_remove(tmpdir); }

/* ------------------------------------------------------------------ numbers */

/* mlp_parse_double agrees with strtod (C locale) on s: same verdict, same bits. */
static void check_like_strtod(const char *s)
{
    char *end = NULL;
    double want = strtod(s, &end);
    int want_ok = *s && *end == '\0';
    double got = 0.0;
    int ok = mlp_parse_double(s, strlen(s), &got);
    ck_assert_msg(ok == want_ok, "'%s': parsed %d, strtod %d", s, ok, want_ok);
    if (!ok) return;
    if (isnan(want)) {
        ck_assert_msg(isnan(got), "'%s': %.17g, want nan", s, got);
        return;
    }
    ck_assert_msg(memcmp(&got, &want, sizeof got) == 0, "'%s': %.17g, strtod %.17g", s, got,
                  want);
    ck_assert_msg((float)got == (float)want, "'%s' as float", s);
}

START_TEST(numbers_edge_cases)
{
    static const char *const cases[] = {
        "0", "-0", "+0", "0.0", "00012", "1", "-1", "+1.5", "1.", ".5", "-.5", ".", "-", "+",
        "", " 1", "1 ", "1e5", "1E5", "1e+5", "1e-5", "1e", "1e+", "e5", "1.5e-3", "2.5E+10",
        "9007199254740992", "9007199254740993", "18446744073709551615",
        "18446744073709551616", "1234567890123456789", "12345678901234567890",
        "0.1", "0.30000000000000004", "3.4028234663852886e38", "3.4028235677973366e38",
        "1e22", "1e23", "1e-22", "1e-23", "123456789e15", "123456789e30", "1e308", "1e309",
        "-1e309", "4.9e-324", "2e-324", "1e-400", "inf", "-inf", "INF", "Infinity", "nan",
        "NaN", "nan(1)", "0x10", "0x1p3", "1,5", "1.5.3", "1e5e5", "--1", "+-1", "1_0",
        "0.000000000000000000000000000001", "100000000000000000000000e-10",
        "1.00000000000000000000000000001", "7.038531e-26", "1e0000000000000000000005",
        "0e99999999999", "1\t", "\v1", "12a", "١٢"};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) check_like_strtod(cases[i]);
}
END_TEST

static uint64_t next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

START_TEST(numbers_random_against_strtod)
{
    uint64_t rng = 0x9e3779b97f4a7c15ull;
    char buf[96];
    for (int i = 0; i < 400000; i++) {
        uint64_t r = next(&rng);
        int kind = (int)(r % 6);
        if (kind == 0) { /* printf of a random double, shortest to longest */
            double v;
            uint64_t bits = next(&rng);
            memcpy(&v, &bits, sizeof v);
            snprintf(buf, sizeof buf, "%.*g", (int)(next(&rng) % 19) + 1, v);
        } else if (kind == 1) { /* decimals as data files hold them */
            snprintf(buf, sizeof buf, "%s%llu.%0*llu", r & 64 ? "-" : "",
                     (unsigned long long)(next(&rng) % 100000), (int)(r >> 8) % 9 + 1,
                     (unsigned long long)(next(&rng) % 1000000000ull));
        } else if (kind == 2) { /* long mantissas with exponents */
            snprintf(buf, sizeof buf, "%llu%llue%d", (unsigned long long)next(&rng),
                     (unsigned long long)(next(&rng) % 1000), (int)(next(&rng) % 700) - 350);
        } else if (kind == 3) { /* float-sized values, written as floats are written */
            float f;
            uint32_t bits = (uint32_t)next(&rng);
            memcpy(&f, &bits, sizeof f);
            snprintf(buf, sizeof buf, "%.9g", (double)f);
        } else if (kind == 4) { /* near the exact-power limits of the fast path */
            snprintf(buf, sizeof buf, "%llue%d",
                     (unsigned long long)(next(&rng) % 20000000000000000ull),
                     (int)(next(&rng) % 90) - 45);
        } else { /* random characters from a number's alphabet */
            static const char alphabet[] = "0123456789.eE+- ";
            size_t n = (size_t)(r % 12) + 1;
            for (size_t k = 0; k < n; k++) buf[k] = alphabet[next(&rng) % (sizeof alphabet - 1)];
            buf[n] = '\0';
        }
        check_like_strtod(buf);
    }
}
END_TEST

/* The numbers stop at the span: a cell inside a line is parsed without a copy. */
START_TEST(numbers_span_only)
{
    double v = 0;
    ck_assert(mlp_parse_double("12.5,7", 4, &v) && v == 12.5);
    ck_assert(!mlp_parse_double("12.5,7", 5, &v));
    ck_assert(mlp_parse_double("1e5x", 3, &v) && v == 1e5);
    /* long forms: in place when NUL-terminated, without allocating */
    char long_num[400];
    memset(long_num, '0', sizeof long_num);
    long_num[0] = '1';
    long_num[1] = '.';
    long_num[sizeof long_num - 2] = '7';
    long_num[sizeof long_num - 1] = '\0';
    ck_assert(mlp_parse_double(long_num, strlen(long_num), &v) && v == 1.0);
    ck_assert(!mlp_parse_double(long_num, strlen(long_num) - 1, &v)); /* would read past */
}
END_TEST

/* ------------------------------------------------------------------ byte ranges */

static const char *write_file(const char *name, const char *text)
{
    return tu_tmpdir_write(tmpdir, name, text);
}

/* A classification CSV with a header, blank lines and CRLF line ends here and there. */
static char *make_csv(size_t rows, int regress)
{
    size_t cap = rows * 80 + 100, len = 0;
    char *s = malloc(cap);
    ck_assert_ptr_nonnull(s);
    len += (size_t)snprintf(s + len, cap - len, "a,b,c,label\n");
    for (size_t i = 0; i < rows; i++) {
        if (i % 17 == 5) len += (size_t)snprintf(s + len, cap - len, "\n  \n");
        if (regress)
            len += (size_t)snprintf(s + len, cap - len, "%zu.25, -%zu.5e-2 ,%.7g,%g%s", i,
                                    i * 7 % 13, sin((double)i), (double)i * 0.5,
                                    i % 5 == 0 ? "\r\n" : "\n");
        else
            len += (size_t)snprintf(s + len, cap - len, "%zu.25, -%zu.5e-2 ,%.7g,c%zu%s", i,
                                    i * 7 % 13, sin((double)i), i * 31 % 7,
                                    i % 5 == 0 ? "\r\n" : "\n");
    }
    return s;
}

static mlp_dataset *load(const char *path, int threads, mlp_task task)
{
    mlp_csv_options o = mlp_csv_options_default();
    o.threads = threads;
    o.task = task;
    mlp_dataset *ds = NULL;
    mlp_error_detail det;
    memset(&det, 0, sizeof det);
    mlp_status st = mlp_csv_load_ranged(&ds, path, &o, 0, 1, range_bytes, &det);
    ck_assert_msg(st == MLP_OK, "%s", det.message);
    return ds;
}

/* The one-pass reader's result: the same text through a pipe-like stream. */
static mlp_dataset *load_stream(const char *text, mlp_task task)
{
    FILE *fp = fmemopen((void *)text, strlen(text), "r");
    ck_assert_ptr_nonnull(fp);
    mlp_csv_options o = mlp_csv_options_default();
    o.task = task;
    mlp_dataset *ds = NULL;
    ck_assert_int_eq(mlp_dataset_open_csv_stream(&ds, fp, "mem", &o, NULL), MLP_OK);
    fclose(fp);
    return ds;
}

static void check_same(mlp_dataset *a, mlp_dataset *b)
{
    ck_assert_uint_eq(mlp_dataset_count(a), mlp_dataset_count(b));
    ck_assert_uint_eq(mlp_dataset_input_size(a), mlp_dataset_input_size(b));
    ck_assert_uint_eq(mlp_dataset_target_size(a), mlp_dataset_target_size(b));
    size_t n = mlp_dataset_count(a);
    ck_assert(memcmp(mlp_dataset_inputs(a), mlp_dataset_inputs(b),
                     n * mlp_dataset_input_size(a) * sizeof(float)) == 0);
    ck_assert(memcmp(mlp_dataset_targets(a), mlp_dataset_targets(b),
                     n * mlp_dataset_target_size(a) * sizeof(float)) == 0);
    ck_assert_uint_eq(mlp_dataset_class_count(a), mlp_dataset_class_count(b));
    for (size_t k = 0; k < mlp_dataset_class_count(a); k++)
        ck_assert_str_eq(mlp_dataset_class_name(a, k), mlp_dataset_class_name(b, k));
    ck_assert_int_eq(mlp_dataset_label_index(a), mlp_dataset_label_index(b));
}

START_TEST(ranges_equal_one_pass)
{
    range_bytes = 97;
    for (int regress = 0; regress <= 1; regress++) {
        mlp_task task = regress ? MLP_TASK_REGRESS : MLP_TASK_CLASSIFY;
        char *text = make_csv(700, regress);
        const char *path = write_file("r.csv", text);
        mlp_dataset *ref = load_stream(text, task);
        ck_assert_uint_eq(mlp_dataset_count(ref), 700);
        for (int threads = 1; threads <= 5; threads += 2) {
            mlp_dataset *ds = load(path, threads, task);
            check_same(ds, ref);
            mlp_dataset_free(ds);
        }
        mlp_dataset_free(ref);
        free(text);
    }
    range_bytes = 0;
}
END_TEST

/* A bad cell far into the file is named by the file's line on every thread count. */
START_TEST(ranges_error_names_file_line)
{
    range_bytes = 64;
    char *text = make_csv(300, 1);
    char *p = text;
    for (int line = 1; line < 250; line++) p = strchr(p, '\n') + 1;
    memcpy(p, "x", 1); /* line 250, first cell */
    const char *path = write_file("bad.csv", text);
    for (int threads = 1; threads <= 4; threads++) {
        mlp_csv_options o = mlp_csv_options_default();
        o.threads = threads;
        o.task = MLP_TASK_REGRESS;
        mlp_dataset *ds = NULL;
        mlp_error_detail det;
        memset(&det, 0, sizeof det);
        ck_assert_int_eq(mlp_csv_load_ranged(&ds, path, &o, 0, 1, range_bytes, &det),
                         MLP_ERR_PARSE);
        ck_assert_msg(det.line == 250 && det.column == 1, "line %zu col %zu: %s", det.line,
                      det.column, det.message);
        ck_assert_ptr_null(ds);
    }
    /* and in a share: the rank that holds the line names it */
    size_t failed = 0;
    for (size_t rank = 0; rank < 3; rank++) {
        mlp_csv_options o = mlp_csv_options_default();
        o.task = MLP_TASK_REGRESS;
        mlp_dataset *ds = NULL;
        mlp_error_detail det;
        memset(&det, 0, sizeof det);
        if (mlp_csv_load_ranged(&ds, path, &o, rank, 3, range_bytes, &det) == MLP_OK) {
            mlp_dataset_free(ds);
            continue;
        }
        failed++;
        ck_assert_msg(det.line == 250 && det.column == 1, "line %zu col %zu: %s", det.line,
                      det.column, det.message);
        ck_assert_ptr_nonnull(strstr(det.message, ":250:1:"));
    }
    ck_assert_uint_eq(failed, 1);
    free(text);
    range_bytes = 0;
}
END_TEST

START_TEST(shards_concatenate_to_the_file)
{
    range_bytes = 200;
    char *text = make_csv(500, 0);
    const char *path = write_file("s.csv", text);
    mlp_dataset *all = load(path, 1, MLP_TASK_CLASSIFY);
    const char *classes[7];
    for (size_t k = 0; k < 7; k++) classes[k] = mlp_dataset_class_name(all, k);
    for (size_t ranks = 1; ranks <= 4; ranks++) {
        size_t row = 0;
        for (size_t rank = 0; rank < ranks; rank++) {
            mlp_csv_options o = mlp_csv_options_default();
            o.class_names = classes;
            o.class_count = 7;
            o.threads = 2;
            mlp_dataset *ds = NULL;
            mlp_error_detail det;
            memset(&det, 0, sizeof det);
            ck_assert_msg(mlp_csv_load_ranged(&ds, path, &o, rank, ranks, range_bytes, &det) ==
                              MLP_OK, "%s", det.message);
            size_t n = mlp_dataset_count(ds);
            ck_assert(row + n <= 500);
            ck_assert(memcmp(mlp_dataset_inputs(ds), mlp_dataset_inputs(all) + row * 3,
                             n * 3 * sizeof(float)) == 0);
            ck_assert(memcmp(mlp_dataset_targets(ds), mlp_dataset_targets(all) + row * 7,
                             n * 7 * sizeof(float)) == 0);
            if (ranks > 1) ck_assert_uint_lt(n, 500 / ranks + 50);
            row += n;
            mlp_dataset_free(ds);
        }
        ck_assert_uint_eq(row, 500);
    }
    /* without the class list a share cannot know every class */
    mlp_dataset *ds = NULL;
    ck_assert_int_eq(mlp_dataset_open_csv_shard(&ds, path, 0, 2, NULL, NULL), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_dataset_open_csv_shard(&ds, path, 2, 2, NULL, NULL), MLP_ERR_INVALID_ARG);
    mlp_dataset_free(all);
    free(text);
    range_bytes = 0;
}
END_TEST

/* A quoted file is read by libcsv, whatever the thread count; a shard of one is refused. */
START_TEST(quoted_file_falls_back)
{
    const char *path = write_file("q.csv", "a,b,label\n1,2,x\n3,4,\"y\"\n5,6,x\n");
    mlp_dataset *ds = load(path, 4, MLP_TASK_CLASSIFY);
    ck_assert_uint_eq(mlp_dataset_count(ds), 3);
    ck_assert_uint_eq(mlp_dataset_class_count(ds), 2);
    mlp_dataset_free(ds);
    mlp_csv_options o = mlp_csv_options_default();
    o.task = MLP_TASK_REGRESS;
    path = write_file("q2.csv", "a,label\n1,2\n\"3\",4\n");
    ck_assert_int_eq(mlp_dataset_open_csv_shard(&ds, path, 0, 2, &o, NULL), MLP_ERR_INVALID_ARG);
}
END_TEST

/* A quote after the first block hands the rest of the file to libcsv: a quoted line break
 * and the lines after it keep their numbers, in both readers. */
START_TEST(quote_after_the_first_block)
{
    size_t rows = 100000, cap = rows * 24 + 256, len = 0;
    char *s = malloc(cap);
    len += (size_t)snprintf(s + len, cap - len, "a,b,label\n");
    for (size_t i = 0; i < rows; i++)
        len += (size_t)snprintf(s + len, cap - len, "%zu,%zu.5,%zu\n", i, i % 9, i % 2);
    ck_assert_uint_gt(len, (size_t)1 << 20);
    /* line rows + 2 opens a quoted cell that ends on the next line; rows + 4 is bad */
    len += (size_t)snprintf(s + len, cap - len, "\"7\",1,0\n\"8\n\",2,1\n1,2,3,4\n");
    const char *path = write_file("late_quote.csv", s);
    mlp_error_detail det;
    memset(&det, 0, sizeof det);
    mlp_table *t = NULL;
    ck_assert_int_eq(mlp_table_open(&t, path, NULL, &det), MLP_ERR_PARSE);
    ck_assert_msg(det.line == rows + 5, "line %zu, want %zu: %s", det.line, rows + 5, det.message);
    memset(&det, 0, sizeof det);
    mlp_dataset *ds = NULL;
    ck_assert_int_eq(mlp_dataset_open_csv(&ds, path, NULL, &det), MLP_ERR_PARSE);
    /* the numeric reader stops sooner: "8\n" is not a number, on the line the cell starts */
    ck_assert_msg(det.line == rows + 3 && det.column == 1, "line %zu, want %zu: %s", det.line,
                  rows + 3, det.message);
    /* without the bad row both read every record; the quoted break stays in its cell */
    s[len - strlen("1,2,3,4\n")] = '\0';
    path = write_file("late_quote.csv", s);
    ck_assert_int_eq(mlp_table_open(&t, path, NULL, &det), MLP_OK);
    ck_assert_uint_eq(mlp_table_row_count(t), rows + 2);
    ck_assert_str_eq(mlp_table_cell(t, rows + 1, 0), "8\n");
    mlp_table_free(t);
    free(s);
}
END_TEST

/* ------------------------------------------------------------------ refusals */

/* A NUL byte used to end the cell: 57\0junk read as 57. */
START_TEST(nul_byte_is_an_error_in_both_readers)
{
    static const char text[] = "a,b,label\n1,2,x\n57\0junk,3,y\n";
    const char *path = tu_tmpdir_write(tmpdir, "nul.csv", "");
    FILE *f = fopen(path, "wb");
    fwrite(text, 1, sizeof text - 1, f);
    fclose(f);
    mlp_error_detail det;
    memset(&det, 0, sizeof det);
    mlp_dataset *ds = NULL;
    ck_assert_int_eq(mlp_dataset_open_csv(&ds, path, NULL, &det), MLP_ERR_PARSE);
    ck_assert_msg(det.line == 3 && det.column == 1, "line %zu col %zu: %s", det.line,
                  det.column, det.message);
    ck_assert_ptr_nonnull(strstr(det.message, "NUL"));
    memset(&det, 0, sizeof det);
    mlp_table *t = NULL;
    ck_assert_int_eq(mlp_table_open(&t, path, NULL, &det), MLP_ERR_PARSE);
    ck_assert_msg(det.line == 3 && det.column == 1, "line %zu col %zu: %s", det.line,
                  det.column, det.message);
    ck_assert_ptr_nonnull(strstr(det.message, "NUL"));
    ck_assert_ptr_null(t);
}
END_TEST

/* Two columns named alike: matching by name took the first for both. */
START_TEST(duplicate_header_names_refused)
{
    const char *path = write_file("dup.csv", "num,x,num,y\n1,2,3,a\n4,5,6,b\n");
    mlp_error_detail det;
    memset(&det, 0, sizeof det);
    mlp_table *t = NULL;
    ck_assert_int_eq(mlp_table_open(&t, path, NULL, &det), MLP_ERR_PARSE);
    ck_assert_ptr_nonnull(strstr(det.message, "columns 1 and 3"));
    ck_assert_ptr_nonnull(strstr(det.message, "'num'"));
    ck_assert_ptr_null(t);
    /* the numeric reader: a label name matching two columns */
    path = write_file("dup2.csv", "y,a,y\n1,2,3\n");
    mlp_csv_options o = mlp_csv_options_default();
    o.label_name = "y";
    mlp_dataset *ds = NULL;
    memset(&det, 0, sizeof det);
    ck_assert_int_eq(mlp_dataset_open_csv(&ds, path, &o, &det), MLP_ERR_PARSE);
    ck_assert_ptr_nonnull(strstr(det.message, "columns 1 and 3"));
}
END_TEST

/* A German locale (decimal comma) for the whole process, or NULL where none is installed. */
static const char *set_german_locale(void)
{
    const char *german[] = {"de_DE.UTF-8", "de_DE.utf8", "de_DE"};
    const char *set = NULL;
    for (size_t i = 0; i < 3 && !set; i++) set = setlocale(LC_ALL, german[i]);
    return set;
}

/* Header detection and numbers must not follow the caller's locale: under a German locale
 * strtod stops at the '.', and the first data row of "1.5,2.5,A" became the header. */
START_TEST(locale_does_not_matter)
{
    const char *path = write_file("loc.csv", "1.5,2.5,A\n3.25,4.5,B\n");
    const char *set = set_german_locale();
    ck_assert_ptr_nonnull(set); /* the case is only added where one exists (main) */
    mlp_table *t = NULL;
    ck_assert_int_eq(mlp_table_open(&t, path, NULL, NULL), MLP_OK);
    ck_assert_uint_eq(mlp_table_row_count(t), 2);
    ck_assert_ptr_null(mlp_table_column_name(t, 0));
    mlp_table_encoding *enc = NULL;
    ck_assert_int_eq(mlp_table_encoding_fit(&enc, t, NULL, NULL), MLP_OK);
    mlp_dataset *ds = NULL;
    ck_assert_int_eq(mlp_table_encode(enc, t, &ds, NULL, NULL), MLP_OK);
    ck_assert(mlp_dataset_inputs(ds)[0] == 1.5f && mlp_dataset_inputs(ds)[3] == 4.5f);
    mlp_dataset_free(ds);
    mlp_table_encoding_free(enc);
    mlp_table_free(t);
    mlp_dataset *d2 = NULL;
    ck_assert_int_eq(mlp_dataset_open_csv(&d2, path, NULL, NULL), MLP_OK);
    ck_assert_uint_eq(mlp_dataset_count(d2), 2);
    ck_assert(mlp_dataset_inputs(d2)[2] == 3.25f);
    mlp_dataset_free(d2);
    setlocale(LC_ALL, "C");
}
END_TEST

/* Columns found by name in O(1) each: 60,000 columns, encoded by name in reverse order. */
START_TEST(many_columns_by_name)
{
    const size_t cols = 60000;
    size_t cap = cols * 16 * 3 + 64, len = 0;
    char *s = malloc(cap);
    for (int pass = 0; pass < 2; pass++) {
        len = 0;
        for (size_t row = 0; row < 3; row++)
            for (size_t j = 0; j < cols; j++) {
                size_t c = pass ? cols - 1 - j : j;
                if (row == 0) len += (size_t)snprintf(s + len, cap - len, "c%zu", c);
                else len += (size_t)snprintf(s + len, cap - len, "%zu", c + row);
                s[len++] = j + 1 < cols ? ',' : '\n';
            }
        s[len] = '\0';
        write_file(pass ? "wide_rev.csv" : "wide.csv", s);
    }
    free(s);
    char p1[512], p2[512];
    snprintf(p1, sizeof p1, "%s/wide.csv", tmpdir);
    snprintf(p2, sizeof p2, "%s/wide_rev.csv", tmpdir);
    mlp_table *a = NULL, *b = NULL;
    ck_assert_int_eq(mlp_table_open(&a, p1, NULL, NULL), MLP_OK);
    ck_assert_int_eq(mlp_table_open(&b, p2, NULL, NULL), MLP_OK);
    mlp_table_options o = mlp_table_options_default();
    o.task = MLP_TASK_REGRESS;
    mlp_table_encoding *enc = NULL;
    ck_assert_int_eq(mlp_table_encoding_fit(&enc, a, &o, NULL), MLP_OK);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    mlp_dataset *ds = NULL;
    ck_assert_int_eq(mlp_table_encode(enc, b, &ds, NULL, NULL), MLP_OK);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    /* column c of b is c's value: the reversed file maps back to the same features */
    ck_assert(mlp_dataset_inputs(ds)[0] == 1.0f && mlp_dataset_inputs(ds)[100] == 101.0f);
    /* by position it was 1.8e9 string compares (several seconds); by hash, milliseconds */
    ck_assert_msg(secs < 2.0, "encoding 60,000 columns by name took %.2f s", secs);
    mlp_dataset_free(ds);
    mlp_table_encoding_free(enc);
    mlp_table_free(a);
    mlp_table_free(b);
}
END_TEST

/* ------------------------------------------------------------------ the binary cache */

typedef struct trained {
    mlp_net *net;
    mlp_optimizer *opt;
} trained;

static trained train_on(const mlp_source *tr, const mlp_source *va, size_t n_in, size_t k,
                        int classify)
{
    size_t sizes[3] = {n_in, 6, k};
    mlp_activation acts[2] = {MLP_ACT_TANH, classify ? MLP_ACT_SOFTMAX : MLP_ACT_LINEAR};
    trained t = {NULL, NULL};
    ck_assert_int_eq(mlp_net_create(&t.net, 2, sizes, acts, MLP_BIAS_PER_NEURON), MLP_OK);
    ck_assert_int_eq(mlp_net_init(t.net, MLP_INIT_GLOROT, 5), MLP_OK);
    mlp_optimizer_config oc = mlp_optimizer_config_default(MLP_OPT_ADAM);
    oc.learning_rate = 0.01f;
    ck_assert_int_eq(mlp_optimizer_create(&t.opt, t.net, &oc), MLP_OK);
    mlp_train_config tc = mlp_train_config_default();
    tc.epochs = 3;
    tc.batch_size = 16;
    tc.loss = classify ? MLP_LOSS_CROSS_ENTROPY : MLP_LOSS_MSE;
    mlp_error_detail d;
    memset(&d, 0, sizeof d);
    ck_assert_msg(mlp_train_source(t.net, t.opt, tr, va, &tc, NULL, &d) == MLP_OK, "%s",
                  d.message);
    return t;
}

static mlp_source arrays(mlp_dataset *ds)
{
    mlp_source s;
    memset(&s, 0, sizeof s);
    s.struct_size = sizeof s;
    s.count = mlp_dataset_count(ds);
    s.inputs = mlp_dataset_inputs(ds);
    s.targets = mlp_dataset_targets(ds);
    return s;
}

/* Trained from the cache (read a batch at a time, shuffled on record indices, with a
 * validation split on indices) the net is the one trained on the same file in memory. */
START_TEST(cache_trains_like_memory)
{
    for (int regress = 0; regress <= 1; regress++) {
        mlp_task task = regress ? MLP_TASK_REGRESS : MLP_TASK_CLASSIFY;
        char *text = make_csv(900, regress);
        const char *csv = write_file("c.csv", text);
        char cache_path[512];
        snprintf(cache_path, sizeof cache_path, "%s/c.cache", tmpdir);
        mlp_csv_options o = mlp_csv_options_default();
        o.task = task;
        mlp_csv_cache *cache = NULL;
        mlp_error_detail d;
        memset(&d, 0, sizeof d);
        int built = 0;
        /* 4 KiB chunks: the cache is written in many pieces */
        ck_assert_msg(mlp_csv_cache_open_ex(&cache, csv, cache_path, &o, 4096, &built, &d) ==
                          MLP_OK, "%s", d.message);
        ck_assert(built);
        mlp_dataset *ds = load(csv, 1, task);
        size_t n = mlp_dataset_count(ds), n_in = mlp_dataset_input_size(ds);
        size_t k = mlp_dataset_target_size(ds);
        ck_assert_uint_eq(mlp_csv_cache_count(cache), n);
        ck_assert_uint_eq(mlp_csv_cache_input_size(cache), n_in);
        ck_assert_uint_eq(mlp_csv_cache_target_size(cache), k);
        for (size_t c = 0; !regress && c < k; c++)
            ck_assert_str_eq(mlp_csv_cache_class_name(cache, c), mlp_dataset_class_name(ds, c));
        /* every record as in memory */
        mlp_source all = mlp_csv_cache_source(cache);
        float *x = malloc(n * n_in * sizeof *x), *y = malloc(n * k * sizeof *y);
        size_t *idx = malloc(n * sizeof *idx);
        for (size_t i = 0; i < n; i++) idx[n - 1 - i] = i;
        ck_assert_int_eq(all.read(all.user_data, idx, n, x, y), MLP_OK);
        for (size_t i = 0; i < n; i++) {
            ck_assert(memcmp(x + i * n_in, mlp_dataset_inputs(ds) + (n - 1 - i) * n_in,
                             n_in * sizeof *x) == 0);
            ck_assert(memcmp(y + i * k, mlp_dataset_targets(ds) + (n - 1 - i) * k,
                             k * sizeof *y) == 0);
        }
        free(x);
        free(y);
        free(idx);
        /* the same split, the same training */
        mlp_source ctr, cva;
        ck_assert_int_eq(mlp_csv_cache_split(cache, 0.2f, 11, &ctr, &cva), MLP_OK);
        mlp_dataset *dtr = NULL, *dva = NULL;
        ck_assert_int_eq(mlp_dataset_split(ds, 0.2f, 11, &dtr, &dva), MLP_OK);
        mlp_source atr = arrays(dtr), ava = arrays(dva);
        ck_assert_uint_eq(ctr.count, atr.count);
        trained a = train_on(&ctr, &cva, n_in, k, !regress);
        trained b = train_on(&atr, &ava, n_in, k, !regress);
        size_t P = mlp_net_param_count(a.net);
        ck_assert(memcmp(mlp_net_params_const(a.net), mlp_net_params_const(b.net),
                         P * sizeof(float)) == 0);
        for (int i = 0; i < 2; i++) {
            trained *t = i ? &b : &a;
            mlp_optimizer_free(t->opt);
            mlp_net_free(t->net);
        }
        mlp_dataset_free(dtr);
        mlp_dataset_free(dva);
        mlp_csv_cache_close(cache);
        /* reused while the CSV is unchanged; rebuilt when it changes or the options do */
        ck_assert_int_eq(mlp_csv_cache_open_ex(&cache, csv, cache_path, &o, 4096, &built, &d),
                         MLP_OK);
        ck_assert(!built);
        mlp_csv_cache_close(cache);
        text[strlen("a,b,c,label\n")] = '7';
        write_file("c.csv", text);
        ck_assert_int_eq(mlp_csv_cache_open_ex(&cache, csv, cache_path, &o, 4096, &built, &d),
                         MLP_OK);
        ck_assert(built);
        mlp_csv_cache_close(cache);
        o.has_header = 1; /* the same records, but other options: built again */
        ck_assert_int_eq(mlp_csv_cache_open_ex(&cache, csv, cache_path, &o, 4096, &built, &d),
                         MLP_OK);
        ck_assert(built);
        ck_assert_uint_eq(mlp_csv_cache_count(cache), n);
        mlp_csv_cache_close(cache);
        mlp_dataset_free(ds);
        free(text);
    }
}
END_TEST

/* Scaling fitted by streaming over the cache's training records is mlp_preprocess_fit's on
 * the same records in memory, and training on the scaled cache is training on the scaled
 * arrays, bit for bit (what `mlp train --cache` does against the same steps in memory). */
START_TEST(cache_scaling_like_memory)
{
    const mlp_scaling scalings[] = {MLP_SCALE_STANDARD, MLP_SCALE_MINMAX};
    for (size_t si = 0; si < 2; si++) {
        mlp_scaling scaling = scalings[si];
        char *text = make_csv(700, 0);
        const char *csv = write_file("s.csv", text);
        char cache_path[512];
        snprintf(cache_path, sizeof cache_path, "%s/s.cache", tmpdir);
        mlp_csv_options o = mlp_csv_options_default();
        mlp_csv_cache *cache = NULL;
        mlp_error_detail d;
        memset(&d, 0, sizeof d);
        ck_assert_msg(mlp_csv_cache_open(&cache, csv, cache_path, &o, &d) == MLP_OK, "%s",
                      d.message);
        mlp_dataset *ds = load(csv, 1, MLP_TASK_CLASSIFY);
        size_t n_in = mlp_dataset_input_size(ds), k = mlp_dataset_target_size(ds);
        mlp_source ctr, cva;
        ck_assert_int_eq(mlp_csv_cache_split(cache, 0.25f, 5, &ctr, &cva), MLP_OK);
        mlp_dataset *dtr = NULL, *dva = NULL;
        ck_assert_int_eq(mlp_dataset_split(ds, 0.25f, 5, &dtr, &dva), MLP_OK);
        mlp_preprocess *streamed = NULL, *in_memory = NULL;
        ck_assert_int_eq(mlp_preprocess_create(&streamed, n_in), MLP_OK);
        ck_assert_int_eq(mlp_preprocess_create(&in_memory, n_in), MLP_OK);
        ck_assert_msg(mlp_source_fit_scaling(streamed, &ctr, k, scaling, &d) ==
                          MLP_OK, "%s", d.message);
        ck_assert_int_eq(mlp_preprocess_fit(in_memory, dtr, scaling), MLP_OK);
        ck_assert(memcmp(mlp_preprocess_offset(streamed), mlp_preprocess_offset(in_memory),
                         n_in * sizeof(float)) == 0);
        ck_assert(memcmp(mlp_preprocess_scale(streamed), mlp_preprocess_scale(in_memory),
                         n_in * sizeof(float)) == 0);
        /* ROBUST needs whole columns */
        ck_assert_int_eq(mlp_source_fit_scaling(streamed, &ctr, k, MLP_SCALE_ROBUST, NULL),
                         MLP_ERR_INVALID_ARG);
        ck_assert_int_eq(mlp_csv_cache_set_preprocess(cache, streamed), MLP_OK);
        ck_assert_int_eq(mlp_preprocess_apply(in_memory, dtr), MLP_OK);
        ck_assert_int_eq(mlp_preprocess_apply(in_memory, dva), MLP_OK);
        mlp_source atr = arrays(dtr), ava = arrays(dva);
        trained a = train_on(&ctr, &cva, n_in, k, 1);
        trained b = train_on(&atr, &ava, n_in, k, 1);
        ck_assert(memcmp(mlp_net_params_const(a.net), mlp_net_params_const(b.net),
                         mlp_net_param_count(a.net) * sizeof(float)) == 0);
        for (int i = 0; i < 2; i++) {
            trained *t = i ? &b : &a;
            mlp_optimizer_free(t->opt);
            mlp_net_free(t->net);
        }
        mlp_preprocess_free(streamed);
        mlp_preprocess_free(in_memory);
        mlp_dataset_free(dtr);
        mlp_dataset_free(dva);
        mlp_dataset_free(ds);
        mlp_csv_cache_close(cache);
        free(text);
    }
}
END_TEST

#if !defined(__SANITIZE_ADDRESS__) /* not under AddressSanitizer: see main */
/* Address space this process has mapped (bytes). */
static size_t mapped_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long pages = 0;
    if (f) {
        if (fscanf(f, "%lu", &pages) != 1) pages = 0;
        fclose(f);
    }
    return (size_t)pages * (size_t)sysconf(_SC_PAGESIZE);
}

/* A CSV 1.5 times the memory the process may still take (RLIMIT_AS: what it has mapped
 * plus 96 MiB) cannot be loaded in memory, and trains through the cache. */
START_TEST(cache_beyond_the_address_limit)
{
    const size_t headroom = (size_t)96 << 20, want = headroom * 3 / 2;
    char path[512], cache_path[512];
    snprintf(path, sizeof path, "%s/big.csv", tmpdir);
    snprintf(cache_path, sizeof cache_path, "%s/big.cache", tmpdir);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs("a,b,c,d,e,f,label\n", f);
    size_t rows = 0;
    for (long written = 0; (size_t)written < want; rows++) {
        int n = fprintf(f, "%zu.5,%zu,%zu.25,-%zu,%zu.125,%zu,%zu\n", rows % 1000, rows % 7,
                        rows % 13, rows % 3, rows % 101, rows % 5, rows % 2);
        written += n;
    }
    ck_assert_int_eq(fclose(f), 0);
    struct rlimit lim = {mapped_bytes() + headroom, RLIM_INFINITY};
    lim.rlim_max = lim.rlim_cur;
    ck_assert_int_eq(setrlimit(RLIMIT_AS, &lim), 0); /* this test's process only (Check forks) */
    mlp_csv_options o = mlp_csv_options_default();
    o.threads = 1;
    mlp_dataset *ds = NULL;
    ck_assert_int_eq(mlp_dataset_open_csv(&ds, path, &o, NULL), MLP_ERR_NO_MEMORY);
    mlp_csv_cache *cache = NULL;
    mlp_error_detail d;
    memset(&d, 0, sizeof d);
    ck_assert_msg(mlp_csv_cache_open(&cache, path, cache_path, &o, &d) == MLP_OK, "%s",
                  d.message);
    ck_assert_uint_eq(mlp_csv_cache_count(cache), rows);
    mlp_source all = mlp_csv_cache_source(cache);
    size_t sizes[2] = {6, 2};
    mlp_activation acts[1] = {MLP_ACT_SOFTMAX};
    mlp_net *net = NULL;
    mlp_optimizer *opt = NULL;
    ck_assert_int_eq(mlp_net_create(&net, 1, sizes, acts, MLP_BIAS_PER_NEURON), MLP_OK);
    mlp_optimizer_config oc = mlp_optimizer_config_default(MLP_OPT_ADAM);
    ck_assert_int_eq(mlp_optimizer_create(&opt, net, &oc), MLP_OK);
    mlp_train_config tc = mlp_train_config_default();
    tc.epochs = 1;
    tc.batch_size = 256;
    tc.shuffle = false; /* records in order: one pread per batch */
    tc.loss = MLP_LOSS_CROSS_ENTROPY;
    mlp_train_result res;
    ck_assert_msg(mlp_train_source(net, opt, &all, NULL, &tc, &res, &d) == MLP_OK, "%s",
                  d.message);
    ck_assert_uint_eq(res.epochs_run, 1);
    mlp_optimizer_free(opt);
    mlp_net_free(net);
    mlp_csv_cache_close(cache);
}
END_TEST
#endif


/* mlp_model_fit_csv_cache is the cache's steps in one call: the split on indices, the net
 * and its training from the cache a batch at a time give the same parameters. */
START_TEST(fit_csv_cache_is_the_steps)
{
    for (int regress = 0; regress <= 1; regress++) {
        mlp_task task = regress ? MLP_TASK_REGRESS : MLP_TASK_CLASSIFY;
        char *text = make_csv(900, regress);
        const char *csv = write_file("f.csv", text);
        char cache_path[512];
        snprintf(cache_path, sizeof cache_path, "%s/f.cache", tmpdir);
        mlp_csv_options o = mlp_csv_options_default();
        o.task = task;
        mlp_csv_cache *cache = NULL;
        ck_assert_int_eq(mlp_csv_cache_open(&cache, csv, cache_path, &o, NULL), MLP_OK);
        mlp_source ctr, cva;
        ck_assert_int_eq(mlp_csv_cache_split(cache, 0.2f, 5, &ctr, &cva), MLP_OK);
        size_t n_in = mlp_csv_cache_input_size(cache), k = mlp_csv_cache_target_size(cache);
        trained a = train_on(&ctr, &cva, n_in, k, !regress);
        size_t hidden[1] = {6};
        mlp_fit_config c = mlp_fit_config_default();
        c.model.hidden_count = 1;
        c.model.hidden_sizes = hidden;
        c.model.hidden_activation = MLP_ACT_TANH;
        c.model.init = MLP_INIT_GLOROT;
        c.model.seed = 5;
        c.model.scaling = MLP_SCALE_NONE;
        c.model.optimizer = mlp_optimizer_config_default(MLP_OPT_ADAM);
        c.model.optimizer.learning_rate = 0.01f;
        c.train.epochs = 3;
        c.train.batch_size = 16;
        c.train.patience = MLP_FIT_NO_EARLY_STOP;
        c.val_fraction = 0.2;
        mlp_fit_report r = {.struct_size = sizeof r};
        mlp_error_detail d;
        memset(&d, 0, sizeof d);
        mlp_model *m = NULL;
        ck_assert_msg(mlp_model_fit_csv_cache(&m, csv, cache_path, &o, &c, &r, &d) == MLP_OK,
                      "%s", d.message);
        const mlp_net *net = mlp_model_net(m);
        ck_assert_uint_eq(mlp_net_param_count(net), mlp_net_param_count(a.net));
        ck_assert(memcmp(mlp_net_params_const(net), mlp_net_params_const(a.net),
                         mlp_net_param_count(net) * sizeof(float)) == 0);
        ck_assert_uint_eq(r.records, mlp_csv_cache_count(cache));
        ck_assert_uint_eq(r.train_count, ctr.count);
        ck_assert_uint_eq(r.val_count, cva.count);
        ck_assert_uint_eq(r.input_size, n_in);
        ck_assert_uint_eq(r.epochs_run, 3);
        ck_assert_uint_eq(mlp_model_epoch(m), 3);
        ck_assert_int_eq(r.task, task);
        ck_assert(regress ? isnan(r.val_metric) : r.val_metric >= 0.0 && r.val_metric <= 1.0);
        mlp_model_free(m);
        /* what needs the data in memory is refused */
        m = NULL;
        c.cv_folds = 3;
        ck_assert_int_eq(mlp_model_fit_csv_cache(&m, csv, cache_path, &o, &c, NULL, &d),
                         MLP_ERR_INVALID_ARG);
        ck_assert_ptr_null(m);
        ck_assert_int_eq(mlp_model_fit_csv_cache(&m, NULL, cache_path, &o, &c, NULL, &d),
                         MLP_ERR_NULL_ARG);
        mlp_optimizer_free(a.opt);
        mlp_net_free(a.net);
        mlp_csv_cache_close(cache);
        free(text);
    }
}
END_TEST

/* ------------------------------------------------------------------ tables by ranges */

/* A table with what a share boundary can fall into: quoted cells with delimiters, quotes
 * and line breaks, text columns, missing cells, a column that turns into text half way
 * (rule of the whole file, not of a share), one that stays numeric with its text tail,
 * blank lines and CRLF line ends. */
static char *make_table_csv(size_t rows, unsigned seed)
{
    size_t cap = rows * 160 + 256, len = 0;
    char *s = malloc(cap);
    ck_assert_ptr_nonnull(s);
    len += (size_t)snprintf(s + len, cap - len, "id,\"quoted, name\",x,late_text,tail,y\n");
    for (size_t i = 0; i < rows; i++) {
        unsigned r = (unsigned)(i * 2654435761u) ^ seed;
        const char *end = r % 11 == 0 ? "\r\n" : "\n";
        if (r % 23 == 0) len += (size_t)snprintf(s + len, cap - len, "%s", end); /* blank */
        char name[64];
        switch (r % 5) {
        case 0: snprintf(name, sizeof name, "\"a, \"\"quoted\"\"\nline %zu\"", i); break;
        case 1: snprintf(name, sizeof name, "plain%u", r % 7); break;
        case 2: snprintf(name, sizeof name, "\"%zu\"", i % 13); break;
        case 3: snprintf(name, sizeof name, "%s", ""); break;
        default: snprintf(name, sizeof name, "\"\"\"\"");
        }
        char x[32];
        if (r % 17 == 0) snprintf(x, sizeof x, "NA");
        else if (r % 13 == 0) snprintf(x, sizeof x, "%s", "");
        else snprintf(x, sizeof x, "%.6g", (double)(r % 1000) / 7.0);
        char late[32], tail[32];
        if (i < rows * 2 / 5) snprintf(late, sizeof late, "%zu", i % 100);
        else snprintf(late, sizeof late, "t%u", r % 9);
        if (i < rows * 7 / 10) snprintf(tail, sizeof tail, "%.3f", (double)i / 3.0);
        else snprintf(tail, sizeof tail, "word%zu", i % 4);
        len += (size_t)snprintf(s + len, cap - len, "%zu,%s, %s ,%s,%s,%u%s", i, name, x, late,
                                tail, r % 3, end);
    }
    return s;
}

/* a and b hold the same cells, kinds of column, names and line numbers. */
static void check_same_table(const mlp_table *a, const mlp_table *b)
{
    ck_assert_uint_eq(a->rows, b->rows);
    ck_assert_uint_eq(a->cols, b->cols);
    ck_assert_int_eq(!a->names, !b->names);
    for (size_t j = 0; j < a->cols; j++) {
        if (a->names) ck_assert_str_eq(a->names[j], b->names[j]);
        ck_assert_int_eq(a->col[j].is_text, b->col[j].is_text);
        ck_assert_uint_eq(a->col[j].n_other, b->col[j].n_other);
    }
    for (size_t i = 0; i < a->rows; i++) {
        ck_assert_uint_eq(a->line[i], b->line[i]);
        for (size_t j = 0; j < a->cols; j++)
            ck_assert_str_eq(mlp_table_cell(a, i, j), mlp_table_cell(b, i, j));
    }
}

/* The table read by ranges on `threads` threads; OK expected unless may_fail. */
static mlp_status table_by_ranges(const char *path, int threads, int has_header,
                                  mlp_table **out)
{
    int fd = open(path, O_RDONLY);
    ck_assert_int_ge(fd, 0);
    off_t size = lseek(fd, 0, SEEK_END);
    mlp_table_read_options_ex o = mlp_table_read_options_ex_default();
    o.threads = threads;
    o.has_header = has_header;
    mlp_status st = mlp_table_read_ranges(out, fd, (size_t)size, path, &o, 61);
    close(fd);
    return st;
}

static mlp_table *table_one_thread(const char *path, int has_header)
{
    mlp_table_read_options_ex o = mlp_table_read_options_ex_default();
    o.threads = 1;
    o.has_header = has_header;
    mlp_table *t = NULL;
    mlp_error_detail det;
    ck_assert_msg(mlp_table_open_ex(&t, path, &o, &det) == MLP_OK, "%s", det.message);
    return t;
}

START_TEST(table_ranges_equal_one_reading)
{
    for (unsigned seed = 0; seed < 3; seed++) {
        char *text = make_table_csv(600 + seed * 77, seed * 0x9e3779b9u);
        const char *path = write_file("t.csv", text);
        mlp_table *ref = table_one_thread(path, -1);
        ck_assert_int_eq(ref->col[3].is_text, 1); /* the rule of the whole file */
        ck_assert_int_eq(ref->col[4].is_text, 0);
        ck_assert_uint_gt(ref->col[4].n_other, 0);
        for (int threads = 2; threads <= 9; threads += threads < 4 ? 1 : 5) {
            mlp_table *t = NULL;
            ck_assert_int_eq(table_by_ranges(path, threads, -1, &t), MLP_OK);
            check_same_table(ref, t);
            mlp_table_free(t);
        }
        mlp_table_free(ref);
        free(text);
    }
}
END_TEST

/* Without quotes the shares parse into the columns in place: with and without a header
 * (blank lines before it), text cells, missing cells, a column that turns into text, CRLF. */
START_TEST(table_ranges_in_place)
{
    for (int header = 0; header <= 1; header++) {
        size_t cap = 1 << 17, len = 0;
        char *s = malloc(cap);
        if (header) len += (size_t)snprintf(s + len, cap - len, "\n  \na,b,c,d\n");
        for (size_t i = 0; i < 1500; i++)
            len += (size_t)snprintf(s + len, cap - len, "%zu, %.4g ,%s,%s%s", i,
                                    (double)i / 7.0, i % 9 == 0 ? "NA" : i % 11 ? "1.5" : "",
                                    i < 600 ? "3" : "word", i % 4 ? "\n" : "\r\n");
        const char *path = write_file("plain.csv", s);
        mlp_table *ref = table_one_thread(path, -1), *t = NULL;
        ck_assert_int_eq(!ref->names, !header);
        ck_assert_int_eq(ref->col[3].is_text, 1);
        for (int threads = 2; threads <= 8; threads *= 2) {
            ck_assert_int_eq(table_by_ranges(path, threads, -1, &t), MLP_OK);
            check_same_table(ref, t);
            mlp_table_free(t);
        }
        mlp_table_free(ref);
        free(s);
    }
}
END_TEST

/* Random small files (quotes or none, blank lines, CRLF, a byte-order mark, a header or
 * none, words among numbers): whenever the ranges read a file, it is the one reading's
 * table; most files are read by ranges. */
START_TEST(table_ranges_random_files)
{
    static const char *const cells[] = {"1", "-2.5", "3e2", "", "NA", "word", "x y",
                                        "\"q,1\"", "\"line\nbreak\"", "\"a \"\"b\"\"\"",
                                        "\"7\"", "0.125"};
    uint64_t state = 12345;
    size_t read = 0, tried = 0;
    for (int file = 0; file < 60; file++) {
        size_t cap = 1 << 16, len = 0;
        char *s = malloc(cap);
        int quotes = file % 3 == 0, cols = 1 + file % 4;
        if (file % 7 == 0) len += (size_t)snprintf(s + len, cap - len, "\xEF\xBB\xBF");
        if (file % 2) {
            for (int j = 0; j < cols; j++)
                len += (size_t)snprintf(s + len, cap - len, "%sh%d", j ? "," : "", j);
            len += (size_t)snprintf(s + len, cap - len, "\n");
        }
        size_t rows = 40 + (size_t)(file * 37 % 300);
        for (size_t i = 0; i < rows && len + 256 < cap; i++) {
            state = state * 6364136223846793005u + 1442695040888963407u;
            unsigned r = (unsigned)(state >> 33);
            if (r % 17 == 0) len += (size_t)snprintf(s + len, cap - len, r % 2 ? "\n" : "  \n");
            for (int j = 0; j < cols; j++) {
                unsigned pick = (r >> (3 * j)) % (quotes ? 12 : 7);
                if ((r >> 20) % 3) pick = 0; /* mostly numbers */
                const char *c = pick == 0 ? NULL : cells[pick];
                if (c) len += (size_t)snprintf(s + len, cap - len, "%s%s", j ? "," : "", c);
                else len += (size_t)snprintf(s + len, cap - len, "%s%u.%u", j ? "," : "",
                                             r % 1000, (r >> 10) % 10);
            }
            len += (size_t)snprintf(s + len, cap - len, r % 5 == 0 ? "\r\n" : "\n");
        }
        const char *path = write_file("rand.csv", s);
        for (int header = -1; header <= 1; header++) {
            mlp_table_read_options_ex o = mlp_table_read_options_ex_default();
            o.threads = 1;
            o.has_header = header;
            mlp_table *ref = NULL, *t = NULL;
            mlp_error_detail det;
            mlp_status want = mlp_table_open_ex(&ref, path, &o, &det);
            for (int threads = 2; threads <= 7; threads += 5) {
                tried++;
                mlp_status got = table_by_ranges(path, threads, header, &t);
                if (got != MLP_OK) continue;
                ck_assert_msg(want == MLP_OK, "file %d: ranges read what one reading refuses",
                              file);
                check_same_table(ref, t);
                mlp_table_free(t);
                read++;
            }
            mlp_table_free(ref);
        }
        free(s);
    }
    ck_assert_msg(read * 2 > tried, "only %zu of %zu readings by ranges", read, tried);
}
END_TEST

/* No header, one column with blank lines, a text column from the start. */
START_TEST(table_ranges_small_shapes)
{
    size_t cap = 1 << 16, len = 0;
    char *s = malloc(cap);
    for (size_t i = 0; i < 900; i++)
        len += (size_t)snprintf(s + len, cap - len, i % 7 ? "%zu\n" : "\n", i);
    const char *path = write_file("one.csv", s);
    for (int header = -1; header <= 0; header++) {
        mlp_table *ref = table_one_thread(path, header), *t = NULL;
        ck_assert_int_eq(table_by_ranges(path, 4, header, &t), MLP_OK);
        check_same_table(ref, t);
        mlp_table_free(t);
        mlp_table_free(ref);
    }
    len = 0;
    for (size_t i = 0; i < 900; i++)
        len += (size_t)snprintf(s + len, cap - len, "w%zu,%zu,\"%zu\"\n", i % 5, i, i % 3);
    path = write_file("text.csv", s);
    mlp_table *ref = table_one_thread(path, -1), *t = NULL;
    ck_assert_ptr_null(ref->names);
    ck_assert_int_eq(ref->col[0].is_text, 1);
    ck_assert_int_eq(table_by_ranges(path, 3, -1, &t), MLP_OK);
    check_same_table(ref, t);
    mlp_table_free(t);
    mlp_table_free(ref);
    free(s);
}
END_TEST

/* A file one reading refuses is not read by ranges either: the one reading's message. */
START_TEST(table_ranges_leave_errors_to_one_reading)
{
    size_t cap = 1 << 16, len = 0;
    char *s = malloc(cap);
    len += (size_t)snprintf(s + len, cap - len, "a,b\n");
    for (size_t i = 0; i < 800; i++)
        len += (size_t)snprintf(s + len, cap - len, i == 600 ? "%zu,x\"y\n" : "%zu,%zu\n", i,
                                i);
    const char *path = write_file("bad.csv", s);
    mlp_table *t = NULL;
    ck_assert_int_ne(table_by_ranges(path, 4, -1, &t), MLP_OK);
    ck_assert_ptr_null(t);
    mlp_table_read_options_ex o = mlp_table_read_options_ex_default();
    mlp_error_detail det;
    ck_assert_int_eq(mlp_table_open_ex(&t, path, &o, &det), MLP_ERR_PARSE);
    ck_assert_uint_eq(det.line, 602);
    len = 0;
    len += (size_t)snprintf(s + len, cap - len, "a,b\n");
    for (size_t i = 0; i < 800; i++)
        len += (size_t)snprintf(s + len, cap - len, i == 700 ? "%zu\n" : "%zu,%zu\n", i, i);
    path = write_file("short.csv", s);
    ck_assert_int_ne(table_by_ranges(path, 4, -1, &t), MLP_OK);
    ck_assert_int_eq(mlp_table_open_ex(&t, path, &o, &det), MLP_ERR_PARSE);
    ck_assert_uint_eq(det.line, 702);
    free(s);
}
END_TEST

static Suite *suite(bool german)
{
    Suite *s = suite_create("loading");
    TCase *num = tcase_create("numbers");
    tcase_add_test(num, numbers_edge_cases);
    tcase_add_test(num, numbers_random_against_strtod);
    tcase_add_test(num, numbers_span_only);
    suite_add_tcase(s, num);
    TCase *rng = tcase_create("ranges");
    tcase_add_checked_fixture(rng, setup, teardown);
    tcase_add_test(rng, ranges_equal_one_pass);
    tcase_add_test(rng, ranges_error_names_file_line);
    tcase_add_test(rng, shards_concatenate_to_the_file);
    tcase_add_test(rng, quoted_file_falls_back);
    tcase_add_test(rng, quote_after_the_first_block);
    tcase_add_test(rng, table_ranges_equal_one_reading);
    tcase_add_test(rng, table_ranges_small_shapes);
    tcase_add_test(rng, table_ranges_in_place);
    tcase_add_test(rng, table_ranges_random_files);
    tcase_add_test(rng, table_ranges_leave_errors_to_one_reading);
    suite_add_tcase(s, rng);
    TCase *ref = tcase_create("refusals");
    tcase_add_checked_fixture(ref, setup, teardown);
    tcase_add_test(ref, nul_byte_is_an_error_in_both_readers);
    tcase_add_test(ref, duplicate_header_names_refused);
    if (german) tcase_add_test(ref, locale_does_not_matter);
    tcase_add_test(ref, many_columns_by_name);
    tcase_set_timeout(ref, 120);
    suite_add_tcase(s, ref);
    TCase *cache = tcase_create("cache");
    tcase_add_checked_fixture(cache, setup, teardown);
    tcase_add_test(cache, cache_trains_like_memory);
    tcase_add_test(cache, cache_scaling_like_memory);
    tcase_add_test(cache, fit_csv_cache_is_the_steps);
#if defined(__SANITIZE_ADDRESS__)
    /* AddressSanitizer maps terabytes of shadow and aborts where malloc would return NULL:
     * an address-space limit cannot be tested under it (the release build runs this case). */
    printf("test_loading: cache_beyond_the_address_limit not run under AddressSanitizer\n");
#else
    tcase_add_test(cache, cache_beyond_the_address_limit);
#endif
    tcase_set_timeout(cache, 240);
    suite_add_tcase(s, cache);
    return s;
}

/* Without a German locale the locale case cannot test its point: the rest runs, and the
 * result is a skip (77) rather than a pass. */
int main(void)
{
    const bool german = set_german_locale() != NULL;
    setlocale(LC_ALL, "C");
    SRunner *sr = srunner_create(suite(german));
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    if (failed) return EXIT_FAILURE;
    if (!german) {
        printf("test_loading: SKIP locale_does_not_matter: no German locale (apt-get install "
               "locales; localedef -i de_DE -f UTF-8 de_DE.UTF-8)\n");
        return 77;
    }
    return EXIT_SUCCESS;
}
