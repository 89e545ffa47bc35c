/* CSV reader: files written by the tests into a temporary directory. */
#define _POSIX_C_SOURCE 200809L
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mlp.h"
#include "test_tmpdir.h"

static char tmpdir[64];

static void setup(void) { tu_tmpdir_create(tmpdir, "mlp_csv_"); }

static void teardown(void) { tu_tmpdir_remove(tmpdir); }

/* Writes text to the test's data.csv; returns its path (static). */
static const char *write_csv(const char *text) { return tu_tmpdir_write(tmpdir, "data.csv", text); }

static mlp_dataset *load_ok(const char *text, const mlp_csv_options *o)
{
    mlp_dataset *ds = NULL;
    mlp_error_detail det;
    memset(&det, 0, sizeof det);
    mlp_status st = mlp_dataset_open_csv(&ds, write_csv(text), o, &det);
    ck_assert_msg(st == MLP_OK, "status %s: %s", mlp_strerror(st), det.message);
    ck_assert_ptr_nonnull(ds);
    return ds;
}

/* Expects `want` with the given line and column in detail. */
static mlp_error_detail load_fail(const char *text, const mlp_csv_options *o, mlp_status want,
                                  size_t line, size_t column)
{
    mlp_dataset *ds = NULL;
    mlp_error_detail det;
    memset(&det, 0, sizeof det);
    mlp_status st = mlp_dataset_open_csv(&ds, write_csv(text), o, &det);
    ck_assert_msg(st == want, "status %d (%s), want %d; detail: %s", st, mlp_strerror(st), want,
                  det.message);
    ck_assert_ptr_null(ds);
    ck_assert_msg(det.line == line && det.column == column,
                  "line %zu column %zu, want %zu %zu; detail: %s", det.line, det.column, line,
                  column, det.message);
    ck_assert_msg(det.message[0] != '\0', "no message in detail");
    return det;
}

static void check_floats(const float *got, const float *want, size_t n)
{
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(got[i] == want[i], "[%zu] = %g, want %g", i, got[i], want[i]);
}

static void check_classes(const mlp_dataset *ds, const char *const *names, size_t n)
{
    ck_assert_uint_eq(mlp_dataset_class_count(ds), n);
    ck_assert_uint_eq(mlp_dataset_target_size(ds), n);
    for (size_t i = 0; i < n; i++) ck_assert_str_eq(mlp_dataset_class_name(ds, i), names[i]);
    ck_assert_ptr_null(mlp_dataset_class_name(ds, n));
}

START_TEST(header_label_by_name)
{
    mlp_csv_options o = mlp_csv_options_default();
    o.label_name = "kind";
    mlp_dataset *ds = load_ok("a,kind,b\n1,cat,2\n3,dog,4\n5.5,cat,-6e1\n", &o);
    ck_assert_uint_eq(mlp_dataset_count(ds), 3);
    ck_assert_uint_eq(mlp_dataset_input_size(ds), 2);
    const float x[] = {1, 2, 3, 4, 5.5f, -60};
    const float y[] = {1, 0, 0, 1, 1, 0};
    check_floats(mlp_dataset_inputs_const(ds), x, 6);
    check_floats(mlp_dataset_targets_const(ds), y, 6);
    const char *names[] = {"cat", "dog"};
    check_classes(ds, names, 2);
    ck_assert_str_eq(mlp_dataset_label_name(ds), "kind");
    ck_assert_int_eq(mlp_dataset_label_index(ds), 1);
    mlp_dataset_free(ds);
}
END_TEST

START_TEST(no_header_label_by_index)
{
    mlp_csv_options o = mlp_csv_options_default();
    o.has_header = 0;
    o.label_index = 0;
    mlp_dataset *ds = load_ok("b,1,2\na,3,4\n", &o);
    const float x[] = {1, 2, 3, 4};
    const float y[] = {0, 1, 1, 0};
    check_floats(mlp_dataset_inputs_const(ds), x, 4);
    check_floats(mlp_dataset_targets_const(ds), y, 4);
    ck_assert_ptr_null(mlp_dataset_label_name(ds));
    ck_assert_int_eq(mlp_dataset_label_index(ds), 0);
    mlp_dataset_free(ds);
    /* A forced header row is skipped even when it looks numeric. */
    o.has_header = 1;
    ds = load_ok("0,1,2\na,3,4\n", &o);
    ck_assert_uint_eq(mlp_dataset_count(ds), 1);
    ck_assert_str_eq(mlp_dataset_label_name(ds), "0");
    mlp_dataset_free(ds);
}
END_TEST

START_TEST(detect_header)
{
    mlp_csv_options o = mlp_csv_options_default(); /* detect, last column */
    mlp_dataset *ds = load_ok("x,y,label\n1,2,a\n3,4,b\n", &o);
    ck_assert_uint_eq(mlp_dataset_count(ds), 2);
    ck_assert_str_eq(mlp_dataset_label_name(ds), "label");
    ck_assert_int_eq(mlp_dataset_label_index(ds), 2);
    mlp_dataset_free(ds);
    /* A non-numeric label in the first row does not make it a header. */
    ds = load_ok("1,2,a\n3,4,b\n", &o);
    ck_assert_uint_eq(mlp_dataset_count(ds), 2);
    ck_assert_ptr_null(mlp_dataset_label_name(ds));
    const float x[] = {1, 2, 3, 4};
    check_floats(mlp_dataset_inputs_const(ds), x, 4);
    mlp_dataset_free(ds);
    /* Only one feature name non-numeric is enough. */
    ds = load_ok("1,y,c\n3,4,b\n", &o);
    ck_assert_uint_eq(mlp_dataset_count(ds), 1);
    ck_assert_str_eq(mlp_dataset_label_name(ds), "c");
    mlp_dataset_free(ds);
}
END_TEST

START_TEST(label_column_choice_errors)
{
    mlp_csv_options o = mlp_csv_options_default();
    o.label_name = "missing";
    load_fail("a,b\n1,2\n", &o, MLP_ERR_INVALID_ARG, 1, 0);
    o.label_name = NULL;
    o.label_index = 2;
    load_fail("a,b\n1,2\n", &o, MLP_ERR_INVALID_ARG, 1, 0);
    o.label_index = -3; /* -2 is MLP_CSV_NO_LABEL */
    load_fail("a,b\n1,2\n", &o, MLP_ERR_INVALID_ARG, 0, 0);
    o.label_index = -1;
    o.label_name = "b";
    o.has_header = 0;
    load_fail("a,b\n1,2\n", &o, MLP_ERR_INVALID_ARG, 0, 0);
    /* One column: no feature left. */
    o = mlp_csv_options_default();
    o.has_header = 0;
    load_fail("1\n2\n", &o, MLP_ERR_PARSE, 1, 0);
}
END_TEST

START_TEST(quoted_fields)
{
    mlp_csv_options o = mlp_csv_options_default();
    o.label_name = "class, with comma";
    const char *text = "\"x,1\",y,\"class, with comma\"\n"
                       "\"1.5\",2,\"a, b\"\n"
                       "\"3\",\"4\",\"say \"\"hi\"\"\"\n"
                       "5,6,\"a, b\"\n";
    mlp_dataset *ds = load_ok(text, &o);
    ck_assert_uint_eq(mlp_dataset_count(ds), 3);
    const float x[] = {1.5f, 2, 3, 4, 5, 6};
    check_floats(mlp_dataset_inputs_const(ds), x, 6);
    const char *names[] = {"a, b", "say \"hi\""};
    check_classes(ds, names, 2);
    const float y[] = {1, 0, 0, 1, 1, 0};
    check_floats(mlp_dataset_targets_const(ds), y, 6);
    ck_assert_str_eq(mlp_dataset_label_name(ds), "class, with comma");
    ck_assert_int_eq(mlp_dataset_label_index(ds), 2);
    mlp_dataset_free(ds);
    /* A bare quote inside an unquoted field breaks RFC 4180. */
    load_fail("a,b\n1,x\"y\n", NULL, MLP_ERR_PARSE, 2, 2);
    /* An unclosed quote at the end of the file. */
    load_fail("a,b\n1,\"xy\n", NULL, MLP_ERR_PARSE, 2, 2);
}
END_TEST

START_TEST(multiline_quoted_field_lines)
{
    /* Line 2's label spans lines 2-3; the bad number is on line 4, column 1. */
    mlp_csv_options o = mlp_csv_options_default();
    o.has_header = 1;
    load_fail("f,label\n1,\"two\nlines\"\nbad,x\n", &o, MLP_ERR_PARSE, 4, 1);
    /* A bad field that itself spans lines 3-5 is reported where it starts. */
    load_fail("f,label\n1,a\n\"1\n2\n3\",x\n", &o, MLP_ERR_PARSE, 3, 1);
    mlp_dataset *ds = load_ok("f,label\n1,\"two\nlines\"\n2,x\n", &o);
    const char *names[] = {"two\nlines", "x"};
    check_classes(ds, names, 2);
    mlp_dataset_free(ds);
}
END_TEST

START_TEST(classes_sorted)
{
    mlp_csv_options o = mlp_csv_options_default();
    o.has_header = 0;
    /* Numeric labels sort numerically: "10" after "9". */
    mlp_dataset *ds = load_ok("0,10\n1,9\n2,2\n3,9\n4,-1\n5,1.5\n", &o);
    const char *num[] = {"-1", "1.5", "2", "9", "10"};
    check_classes(ds, num, 5);
    const float *y = mlp_dataset_targets_const(ds);
    const size_t want[] = {4, 3, 2, 3, 0, 1};
    for (size_t r = 0; r < 6; r++)
        for (size_t c = 0; c < 5; c++)
            ck_assert_float_eq(y[r * 5 + c], c == want[r] ? 1.0f : 0.0f);
    mlp_dataset_free(ds);
    /* One non-number: strcmp order, so "10" before "9". */
    ds = load_ok("0,10\n1,9\n2,b\n3, 9 \n", &o);
    const char *txt[] = {"10", "9", "b"};
    check_classes(ds, txt, 3);
    y = mlp_dataset_targets_const(ds);
    ck_assert_float_eq(y[3 * 3 + 1], 1.0f); /* " 9 " trimmed to "9" */
    mlp_dataset_free(ds);
}
END_TEST

START_TEST(fixed_classes)
{
    const char *fixed[] = {"zebra", "ant", "moth"};
    mlp_csv_options o = mlp_csv_options_default();
    o.has_header = 0;
    o.class_names = fixed;
    o.class_count = 3;
    /* Order kept as given, absent classes kept. */
    mlp_dataset *ds = load_ok("1,ant\n2,zebra\n", &o);
    check_classes(ds, fixed, 3);
    const float y[] = {0, 1, 0, 1, 0, 0};
    check_floats(mlp_dataset_targets_const(ds), y, 6);
    mlp_dataset_free(ds);
    mlp_error_detail det = load_fail("1,ant\n2,zebra\n3,bee\n", &o, MLP_ERR_PARSE, 3, 2);
    ck_assert_msg(strstr(det.message, "bee") != NULL, "message: %s", det.message);
    /* Inconsistent or duplicate class lists are rejected up front. */
    o.class_count = 0;
    load_fail("1,ant\n", &o, MLP_ERR_INVALID_ARG, 0, 0);
    const char *dup[] = {"a", "a"};
    o.class_names = dup;
    o.class_count = 2;
    load_fail("1,a\n", &o, MLP_ERR_INVALID_ARG, 0, 0);
}
END_TEST

START_TEST(regress)
{
    mlp_csv_options o = mlp_csv_options_default();
    o.task = MLP_TASK_REGRESS;
    o.label_index = 1;
    mlp_dataset *ds = load_ok("a,y,b\n1,0.25,2\n3,-7,4\n", &o);
    ck_assert_uint_eq(mlp_dataset_target_size(ds), 1);
    ck_assert_uint_eq(mlp_dataset_class_count(ds), 0);
    const float x[] = {1, 2, 3, 4}, y[] = {0.25f, -7};
    check_floats(mlp_dataset_inputs_const(ds), x, 4);
    check_floats(mlp_dataset_targets_const(ds), y, 2);
    ck_assert_str_eq(mlp_dataset_label_name(ds), "y");
    mlp_dataset_free(ds);
    /* A regression label must be a number too. */
    load_fail("a,y,b\n1,0.25,2\n3,seven,4\n", &o, MLP_ERR_PARSE, 3, 2);
}
END_TEST

START_TEST(no_label_column)
{
    mlp_csv_options o = mlp_csv_options_default();
    o.label_index = MLP_CSV_NO_LABEL;
    mlp_dataset *ds = load_ok("a,b,c\n1,2,3\n4,5,6\n", &o); /* header detected */
    ck_assert_uint_eq(mlp_dataset_count(ds), 2);
    ck_assert_uint_eq(mlp_dataset_input_size(ds), 3);
    ck_assert_uint_eq(mlp_dataset_target_size(ds), 0);
    ck_assert_uint_eq(mlp_dataset_class_count(ds), 0);
    ck_assert_int_eq(mlp_dataset_label_index(ds), -1);
    const float x[] = {1, 2, 3, 4, 5, 6};
    check_floats(mlp_dataset_inputs_const(ds), x, 6);
    mlp_dataset_free(ds);
    /* One column is enough without a label; text is still an error. */
    o.has_header = 0;
    ds = load_ok("7\n8\n", &o);
    ck_assert_uint_eq(mlp_dataset_input_size(ds), 1);
    mlp_dataset_free(ds);
    load_fail("1,2\n3,x\n", &o, MLP_ERR_PARSE, 2, 2);
    o.label_index = -3;
    ds = NULL;
    ck_assert_int_eq(mlp_dataset_open_csv(&ds, write_csv("1,2\n"), &o, NULL), MLP_ERR_INVALID_ARG);
}
END_TEST

START_TEST(non_numeric_field)
{
    mlp_csv_options o = mlp_csv_options_default();
    o.has_header = 0;
    mlp_error_detail det = load_fail("1,2,x\n3,4abc,y\n", &o, MLP_ERR_PARSE, 2, 2);
    ck_assert_msg(strstr(det.message, "4abc") != NULL, "message: %s", det.message);
    ck_assert_msg(strstr(det.message, ":2:2:") != NULL, "message: %s", det.message);
    /* With a header line the data lines count from 2. */
    o.has_header = 1;
    load_fail("a,b,c\n1,2,x\n3,4,y\n5,6,z\n7,--8,w\n", &o, MLP_ERR_PARSE, 5, 2);
    /* Empty field, non-finite values, a value beyond float range. */
    load_fail("a,b,c\n1,,x\n", &o, MLP_ERR_PARSE, 2, 2);
    load_fail("a,b,c\n1,2,x\nnan,2,y\n", &o, MLP_ERR_PARSE, 3, 1);
    load_fail("a,b,c\n1,inf,x\n", &o, MLP_ERR_PARSE, 2, 2);
    load_fail("a,b,c\n1,1e39,x\n", &o, MLP_ERR_PARSE, 2, 2);
}
END_TEST

START_TEST(ragged_row)
{
    mlp_csv_options o = mlp_csv_options_default();
    load_fail("a,b,c\n1,2,x\n3,4\n", &o, MLP_ERR_PARSE, 3, 0);
    load_fail("a,b,c\n1,2,x\n3,4,y,5\n", &o, MLP_ERR_PARSE, 3, 0);
}
END_TEST

START_TEST(empty_and_blank)
{
    load_fail("", NULL, MLP_ERR_PARSE, 0, 0);
    load_fail("\n\n", NULL, MLP_ERR_PARSE, 0, 0);
    load_fail("a,b,c\n", NULL, MLP_ERR_PARSE, 0, 0); /* header only */
    /* Blank trailing lines, CRLF endings, no final newline: all fine. */
    mlp_dataset *ds = load_ok("a,b\r\n1,x\r\n2,y\r\n\r\n\n   \n", NULL);
    ck_assert_uint_eq(mlp_dataset_count(ds), 2);
    mlp_dataset_free(ds);
    ds = load_ok("a,b\n1,x\n2,y", NULL);
    ck_assert_uint_eq(mlp_dataset_count(ds), 2);
    mlp_dataset_free(ds);
    /* A UTF-8 byte-order mark does not stick to the first header name. */
    mlp_csv_options o = mlp_csv_options_default();
    o.label_name = "a";
    ds = load_ok("\xEF\xBB\xBF" "a,b\nx,1\n", &o);
    ck_assert_int_eq(mlp_dataset_label_index(ds), 0);
    mlp_dataset_free(ds);
}
END_TEST

START_TEST(delimiters)
{
    mlp_csv_options o = mlp_csv_options_default();
    o.delimiter = ';';
    /* "1,5" is one field, and not a number in the C locale. */
    load_fail("a;b;c\n1,5;2;x\n1;2;y\n", &o, MLP_ERR_PARSE, 2, 1);
    mlp_dataset *ds = load_ok("a;b;c\n1.5;2;x\n", &o);
    ck_assert_uint_eq(mlp_dataset_input_size(ds), 2);
    mlp_dataset_free(ds);
    o.delimiter = '\t';
    ds = load_ok("a\tb\tc\n1\t 2\tx\n", &o);
    const float x[] = {1, 2};
    check_floats(mlp_dataset_inputs_const(ds), x, 2);
    mlp_dataset_free(ds);
    o.delimiter = '\0';
    load_fail("a,b\n1,2\n", &o, MLP_ERR_INVALID_ARG, 0, 0);
}
END_TEST

START_TEST(missing_file_and_null_args)
{
    char path[600];
    snprintf(path, sizeof path, "%s/does-not-exist.csv", tmpdir);
    mlp_dataset *ds = NULL;
    mlp_error_detail det;
    memset(&det, 0, sizeof det);
    ck_assert_int_eq(mlp_dataset_open_csv(&ds, path, NULL, &det), MLP_ERR_IO);
    ck_assert_ptr_nonnull(strstr(det.message, "does-not-exist.csv"));
    ck_assert_ptr_null(ds);
    ck_assert_int_eq(mlp_dataset_open_csv(NULL, path, NULL, NULL), MLP_ERR_NULL_ARG);
    ck_assert_int_eq(mlp_dataset_open_csv(&ds, NULL, NULL, NULL), MLP_ERR_NULL_ARG);
    mlp_csv_options o = mlp_csv_options_default();
    o.has_header = 2;
    ck_assert_int_eq(mlp_dataset_open_csv(&ds, write_csv("a,b\n1,2\n"), &o, NULL), MLP_ERR_INVALID_ARG);
    o = mlp_csv_options_default();
    o.task = MLP_TASK_COUNT;
    ck_assert_int_eq(mlp_dataset_open_csv(&ds, write_csv("a,b\n1,2\n"), &o, NULL), MLP_ERR_INVALID_ARG);
    ck_assert_ptr_null(ds);
}
END_TEST

/* A pipe is read once, from where the caller left it, and stays open; the result is the
 * one the file gives. */
START_TEST(load_from_stream)
{
    const char *text = "a,b,label\n1,2,x\n3,4,y\n5,6,x\n";
    mlp_dataset *from_file = load_ok(text, NULL);
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    ck_assert_int_eq(write(fds[1], text, strlen(text)), (int)strlen(text));
    close(fds[1]);
    FILE *fp = fdopen(fds[0], "r");
    ck_assert_ptr_nonnull(fp);
    mlp_dataset *ds = NULL;
    mlp_error_detail det;
    memset(&det, 0, sizeof det);
    ck_assert_int_eq(mlp_dataset_open_csv_stream(&ds, fp, "pipe", NULL, &det), MLP_OK);
    ck_assert_uint_eq(mlp_dataset_count(ds), 3);
    ck_assert_uint_eq(mlp_dataset_class_count(ds), 2);
    ck_assert_mem_eq(mlp_dataset_inputs_const(ds), mlp_dataset_inputs_const(from_file),
                     6 * sizeof(float));
    ck_assert_mem_eq(mlp_dataset_targets_const(ds), mlp_dataset_targets_const(from_file),
                     6 * sizeof(float));
    ck_assert_int_eq(fgetc(fp), EOF); /* consumed, not closed */
    fclose(fp);
    mlp_dataset_free(ds);

    /* Errors name the stream; NULL arguments are refused. */
    FILE *bad = fmemopen((void *)"a,b\n1,x,3\n", 11, "r");
    ck_assert_ptr_nonnull(bad);
    ds = NULL;
    ck_assert_int_eq(mlp_dataset_open_csv_stream(&ds, bad, "stdin", NULL, &det), MLP_ERR_PARSE);
    ck_assert_ptr_null(ds);
    ck_assert_msg(strstr(det.message, "stdin") != NULL, "message: %s", det.message);
    fclose(bad);
    ck_assert_int_eq(mlp_dataset_open_csv_stream(&ds, NULL, "x", NULL, NULL), MLP_ERR_NULL_ARG);
    ck_assert_int_eq(mlp_dataset_open_csv_stream(NULL, stdin, "x", NULL, NULL), MLP_ERR_NULL_ARG);
    mlp_dataset_free(from_file);
}
END_TEST

START_TEST(many_rows)
{
    /* Enough rows and classes to grow every buffer several times. */
    size_t n = 5000, cap = n * 40 + 64;
    char *text = malloc(cap), *p = text;
    p += sprintf(p, "f1,f2,label\n");
    for (size_t i = 0; i < n; i++) p += sprintf(p, "%zu,%zu.5,c%zu\n", i, 2 * i, i % 300);
    mlp_dataset *ds = load_ok(text, NULL);
    free(text);
    ck_assert_uint_eq(mlp_dataset_count(ds), n);
    ck_assert_uint_eq(mlp_dataset_class_count(ds), 300);
    const float *x = mlp_dataset_inputs_const(ds), *y = mlp_dataset_targets_const(ds);
    for (size_t i = 0; i < n; i++) {
        ck_assert_float_eq(x[2 * i], (float)i);
        ck_assert_float_eq(x[2 * i + 1], (float)(2 * i) + 0.5f);
        char want[32];
        snprintf(want, sizeof want, "c%zu", i % 300);
        size_t hot = 0, ones = 0;
        for (size_t c = 0; c < 300; c++)
            if (y[i * 300 + c] == 1.0f) hot = c, ones++;
        ck_assert_uint_eq(ones, 1);
        ck_assert_str_eq(mlp_dataset_class_name(ds, hot), want);
    }
    mlp_dataset_free(ds);
}
END_TEST

static Suite *csv_suite(void)
{
    Suite *s = suite_create("csv");
    TCase *tc = tcase_create("csv");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, header_label_by_name);
    tcase_add_test(tc, load_from_stream);
    tcase_add_test(tc, no_header_label_by_index);
    tcase_add_test(tc, detect_header);
    tcase_add_test(tc, label_column_choice_errors);
    tcase_add_test(tc, quoted_fields);
    tcase_add_test(tc, multiline_quoted_field_lines);
    tcase_add_test(tc, classes_sorted);
    tcase_add_test(tc, fixed_classes);
    tcase_add_test(tc, regress);
    tcase_add_test(tc, no_label_column);
    tcase_add_test(tc, non_numeric_field);
    tcase_add_test(tc, ragged_row);
    tcase_add_test(tc, empty_and_blank);
    tcase_add_test(tc, delimiters);
    tcase_add_test(tc, missing_file_and_null_args);
    tcase_add_test(tc, many_rows);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(csv_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
