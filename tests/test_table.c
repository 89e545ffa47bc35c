/* Tables: reading, column-type inference, encoding (one-hot, imputation, dates), the task
 * choice, missing labels, unseen categories, and the encoding's round trip through the
 * model file and the model handle. Expected values are worked out by hand in each test. */
#define _POSIX_C_SOURCE 200809L
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "mlp.h"

/* A table from CSV text in memory. */
static mlp_table *table_of(const char *text)
{
    FILE *fp = fmemopen((void *)text, strlen(text), "r");
    ck_assert_ptr_nonnull(fp);
    mlp_table *t = NULL;
    mlp_error_detail det;
    memset(&det, 0, sizeof det);
    mlp_status st = mlp_table_open_stream(&t, fp, "mem.csv", NULL, &det);
    fclose(fp);
    ck_assert_msg(st == MLP_OK, "%s: %s", mlp_strerror(st), det.message);
    return t;
}

static mlp_table_encoding *fit_ok(const mlp_table *t, const mlp_table_options *o)
{
    mlp_table_encoding *enc = NULL;
    mlp_error_detail det;
    memset(&det, 0, sizeof det);
    mlp_status st = mlp_table_encoding_fit(&enc, t, o, &det);
    ck_assert_msg(st == MLP_OK, "%s: %s", mlp_strerror(st), det.message);
    return enc;
}

/* Fit must fail with `want`, and the detail must contain `needle`. */
static void fit_fails(const char *text, const mlp_table_options *o, mlp_status want,
                      const char *needle)
{
    mlp_table *t = table_of(text);
    mlp_table_encoding *enc = NULL;
    mlp_error_detail det;
    memset(&det, 0, sizeof det);
    ck_assert_int_eq(mlp_table_encoding_fit(&enc, t, o, &det), want);
    ck_assert_ptr_null(enc);
    ck_assert_msg(strstr(det.message, needle) != NULL, "'%s' not in '%s'", needle, det.message);
    mlp_table_free(t);
}

static mlp_dataset *encode_ok(const mlp_table_encoding *enc, const mlp_table *t,
                              mlp_table_report *rep)
{
    mlp_dataset *ds = NULL;
    mlp_error_detail det;
    memset(&det, 0, sizeof det);
    mlp_status st = mlp_table_encode(enc, t, &ds, rep, &det);
    ck_assert_msg(st == MLP_OK, "%s: %s", mlp_strerror(st), det.message);
    return ds;
}

static void row_is(const mlp_dataset *ds, size_t r, const float *want, size_t n)
{
    ck_assert_uint_eq(mlp_dataset_input_size(ds), n);
    const float *x = mlp_dataset_inputs_const(ds) + r * n;
    for (size_t j = 0; j < n; j++)
        ck_assert_msg(fabsf(x[j] - want[j]) <= 1e-5f * (1.0f + fabsf(want[j])),
                      "row %zu feature %zu: %g, want %g", r, j, (double)x[j], (double)want[j]);
}

/* ------------------------------------------------------------------ reading */

START_TEST(read_header_quotes_blank_lines)
{
    mlp_table *t = table_of("name,\"size, cm\",kind\n\"a, b\", 1.5 ,x\n\nc,2,\"y\"\n");
    ck_assert_uint_eq(mlp_table_row_count(t), 2);
    ck_assert_uint_eq(mlp_table_column_count(t), 3);
    ck_assert_str_eq(mlp_table_column_name(t, 1), "size, cm");
    ck_assert_str_eq(mlp_table_cell(t, 0, 0), "a, b");
    ck_assert_str_eq(mlp_table_cell(t, 0, 1), "1.5"); /* trimmed */
    ck_assert_str_eq(mlp_table_cell(t, 1, 2), "y");
    ck_assert_ptr_null(mlp_table_cell(t, 2, 0));
    mlp_table_free(t);
    /* A first row with a number is data. */
    t = table_of("a,1\nb,2\n");
    ck_assert_ptr_null(mlp_table_column_name(t, 0));
    ck_assert_uint_eq(mlp_table_row_count(t), 2);
    mlp_table_free(t);
}
END_TEST

START_TEST(read_ragged_row_names_line)
{
    const char *text = "a,b\n1,2\n3\n";
    FILE *fp = fmemopen((void *)text, strlen(text), "r");
    mlp_table *t = NULL;
    mlp_error_detail det;
    memset(&det, 0, sizeof det);
    ck_assert_int_eq(mlp_table_open_stream(&t, fp, "r.csv", NULL, &det), MLP_ERR_PARSE);
    fclose(fp);
    ck_assert_ptr_null(t);
    ck_assert_uint_eq(det.line, 3);
    ck_assert_ptr_nonnull(strstr(det.message, "r.csv:3"));
}
END_TEST

START_TEST(split_is_seeded_and_complete)
{
    char text[4096] = "x,y\n";
    for (int i = 0; i < 40; i++) snprintf(text + strlen(text), 64, "%d,%d\n", i, i % 2);
    mlp_table *t = table_of(text), *a = NULL, *b = NULL, *c = NULL, *d = NULL;
    ck_assert_int_eq(mlp_table_split(t, 0.25f, 7, &a, &b), MLP_OK);
    ck_assert_int_eq(mlp_table_split(t, 0.25f, 7, &c, &d), MLP_OK);
    ck_assert_uint_eq(mlp_table_row_count(a), 30);
    ck_assert_uint_eq(mlp_table_row_count(b), 10);
    ck_assert_str_eq(mlp_table_column_name(b, 0), "x");
    /* Every row exactly once, in file order; the same seed gives the same split. */
    int seen[40] = {0};
    for (size_t r = 0; r < 10; r++) {
        ck_assert_str_eq(mlp_table_cell(b, r, 0), mlp_table_cell(d, r, 0));
        seen[atoi(mlp_table_cell(b, r, 0))]++;
        if (r) ck_assert_int_lt(atoi(mlp_table_cell(b, r - 1, 0)), atoi(mlp_table_cell(b, r, 0)));
    }
    for (size_t r = 0; r < 30; r++) seen[atoi(mlp_table_cell(a, r, 0))]++;
    for (int i = 0; i < 40; i++) ck_assert_int_eq(seen[i], 1);
    mlp_table_free(t);
    mlp_table_free(a);
    mlp_table_free(b);
    mlp_table_free(c);
    mlp_table_free(d);
}
END_TEST

/* Numbers are kept as floats: they read back as the shortest text of their float, in a
 * numeric column and in a text one alike; other cells keep their text. */
START_TEST(numbers_read_back_as_their_float)
{
    char text[8192] = "n,mixed,word\n1.50,007,a\n-2,x,b\nNA,1e3,c\n";
    /* 'mixed' is mostly text further down: it turns into a text column */
    for (int i = 0; i < 40; i++) snprintf(text + strlen(text), 64, "%d.25,w%d,d\n", i, i);
    mlp_table *t = table_of(text);
    ck_assert_uint_eq(mlp_table_row_count(t), 43);
    ck_assert_str_eq(mlp_table_cell(t, 0, 0), "1.5");
    ck_assert_str_eq(mlp_table_cell(t, 1, 0), "-2");
    ck_assert_str_eq(mlp_table_cell(t, 2, 0), "NA");   /* not a number: its own text */
    ck_assert_str_eq(mlp_table_cell(t, 3, 0), "0.25");
    ck_assert_str_eq(mlp_table_cell(t, 0, 1), "7");    /* numbers in a text column too */
    ck_assert_str_eq(mlp_table_cell(t, 1, 1), "x");
    ck_assert_str_eq(mlp_table_cell(t, 2, 1), "1000");
    ck_assert_str_eq(mlp_table_cell(t, 42, 1), "w39");
    ck_assert_str_eq(mlp_table_cell(t, 42, 2), "d");
    /* The encoding sees the same cells: n numeric (one missing), mixed categorical with
     * "7" among its categories. */
    mlp_table_options o = mlp_table_options_default();
    o.label = "word";
    mlp_table_encoding *enc = fit_ok(t, &o);
    ck_assert_int_eq(mlp_table_encoding_column_type(enc, 0), MLP_COLUMN_NUMERIC);
    ck_assert_uint_eq(mlp_table_encoding_column_missing(enc, 0), 1);
    ck_assert_int_eq(mlp_table_encoding_column_type(enc, 1), MLP_COLUMN_CATEGORICAL);
    ck_assert_uint_eq(mlp_table_encoding_column_width(enc, 1), 43);
    int seven = 0;
    for (size_t k = 0; k < 43; k++)
        seven += strcmp(mlp_table_encoding_category(enc, 1, k), "7") == 0;
    ck_assert_int_eq(seven, 1);
    mlp_table_encoding_free(enc);
    mlp_table_free(t);
}
END_TEST

/* A split shares the columns of its table: it outlives the table it came from. */
START_TEST(split_outlives_its_table)
{
    char text[4096] = "x,y\n";
    for (int i = 0; i < 40; i++) snprintf(text + strlen(text), 64, "%d,%s\n", i, i % 2 ? "a" : "b");
    mlp_table *t = table_of(text), *a = NULL, *b = NULL, *c = NULL, *d = NULL;
    ck_assert_int_eq(mlp_table_split(t, 0.25f, 7, &a, &b), MLP_OK);
    mlp_table_free(t);
    ck_assert_int_eq(mlp_table_split(a, 0.5f, 3, &c, &d), MLP_OK); /* a split of a split */
    mlp_table_free(a);
    ck_assert_uint_eq(mlp_table_row_count(c) + mlp_table_row_count(d), 30);
    for (size_t r = 0; r < mlp_table_row_count(c); r++) {
        int x = atoi(mlp_table_cell(c, r, 0));
        ck_assert_str_eq(mlp_table_cell(c, r, 1), x % 2 ? "a" : "b");
    }
    mlp_table_free(b);
    mlp_table_free(c);
    mlp_table_free(d);
}
END_TEST

static void count_progress(size_t done, size_t total, void *user)
{
    size_t *calls = user;
    ck_assert_uint_le(done, total);
    ++*calls;
}

/* The versioned options: struct_size checked, progress called, threads accepted. */
START_TEST(read_options_ex)
{
    char path[] = "/tmp/mlp_table_ex_XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    FILE *fp = fdopen(fd, "w");
    fputs("a,b\n1,2\n3,4\n", fp);
    fclose(fp);
    mlp_table_read_options_ex o = mlp_table_read_options_ex_default();
    size_t calls = 0;
    o.threads = 2;
    o.progress = count_progress;
    o.progress_user_data = &calls;
    mlp_table *t = NULL;
    mlp_error_detail det;
    memset(&det, 0, sizeof det);
    ck_assert_int_eq(mlp_table_open_ex(&t, path, &o, &det), MLP_OK);
    ck_assert_uint_eq(mlp_table_row_count(t), 2);
    ck_assert_uint_ge(calls, 1);
    mlp_table_free(t);
    t = NULL;
    o.struct_size = 3; /* below the first layout */
    ck_assert_int_eq(mlp_table_open_ex(&t, path, &o, &det), MLP_ERR_INVALID_ARG);
    ck_assert_ptr_null(t);
    unlink(path);
}
END_TEST

typedef struct progress_seen {
    size_t calls, last, total;
    int backwards;
} progress_seen;

static void watch_progress(size_t done, size_t total, void *user)
{
    progress_seen *p = user;
    if (done < p->last) p->backwards = 1;
    p->calls++;
    p->last = done;
    p->total = total;
}

/* A file large enough for two threads reads as on one, through the path and through a
 * stream at its start; progress never goes back and ends at the file's size. */
START_TEST(read_on_threads_as_on_one)
{
    char path[] = "/tmp/mlp_table_threads_XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    FILE *fp = fdopen(fd, "w");
    fputs("id,x,word,y\n", fp);
    for (int i = 0; i < 400000; i++)
        fprintf(fp, "%d,%.6f,%s,%d\n", i, i * 0.001, i % 1000 == 7 ? "\"a, b\"" : "w", i % 3);
    long size = ftell(fp);
    fclose(fp);
    ck_assert_int_gt(size, 8L << 20); /* two threads' least shares (4 MiB each) */
    mlp_table_read_options_ex o = mlp_table_read_options_ex_default();
    o.threads = 1;
    mlp_table *one = NULL, *two = NULL, *streamed = NULL;
    ck_assert_int_eq(mlp_table_open_ex(&one, path, &o, NULL), MLP_OK);
    progress_seen seen = {0, 0, 0, 0};
    o.threads = 2;
    o.progress = watch_progress;
    o.progress_user_data = &seen;
    ck_assert_int_eq(mlp_table_open_ex(&two, path, &o, NULL), MLP_OK);
    ck_assert_uint_ge(seen.calls, 1);
    ck_assert_int_eq(seen.backwards, 0);
    ck_assert_uint_eq(seen.last, (size_t)size);
    ck_assert_uint_eq(seen.total, (size_t)size);
    fp = fopen(path, "rb");
    ck_assert_int_eq(mlp_table_open_stream_ex(&streamed, fp, "s", &o, NULL), MLP_OK);
    ck_assert_int_eq(fgetc(fp), EOF); /* read to its end, as a stream would be */
    fclose(fp);
    ck_assert_uint_eq(mlp_table_row_count(one), 400000);
    for (int k = 0; k < 2; k++) {
        const mlp_table *t = k ? two : streamed;
        ck_assert_uint_eq(mlp_table_row_count(t), mlp_table_row_count(one));
        ck_assert_uint_eq(mlp_table_column_count(t), 4);
        ck_assert_str_eq(mlp_table_column_name(t, 2), "word");
        for (size_t r = 0; r < 400000; r += 997)
            for (size_t j = 0; j < 4; j++)
                ck_assert_str_eq(mlp_table_cell(t, r, j), mlp_table_cell(one, r, j));
    }
    mlp_table_free(one);
    mlp_table_free(two);
    mlp_table_free(streamed);
    unlink(path);
}
END_TEST

/* ------------------------------------------------------------------ inference */

START_TEST(infer_types)
{
    /* 60 rows: id (distinct text: an identifier), num, color (text), day (dates),
     * empty (all missing), code (numbers), label (text). */
    char text[8192] = "id,num,color,day,empty,code,label\n";
    for (int i = 0; i < 60; i++)
        snprintf(text + strlen(text), 128, "row%d,%d.5,%s,2020-01-%02d,NA,%d,%s\n", i, i,
                 i % 3 == 0 ? "red" : i % 3 == 1 ? "green" : "blue", i % 28 + 1, i % 4,
                 i % 2 ? "yes" : "no");
    mlp_table *t = table_of(text);
    mlp_table_options o = mlp_table_options_default();
    mlp_table_encoding *enc = fit_ok(t, &o);
    ck_assert_uint_eq(mlp_table_encoding_column_count(enc), 7);
    ck_assert_int_eq(mlp_table_encoding_column_type(enc, 0), MLP_COLUMN_IGNORED);
    ck_assert_uint_eq(mlp_table_encoding_column_distinct(enc, 0), 60);
    ck_assert_int_eq(mlp_table_encoding_column_type(enc, 1), MLP_COLUMN_NUMERIC);
    ck_assert_double_eq_tol(mlp_table_encoding_column_mean(enc, 1), 30.0, 1e-12);
    ck_assert_int_eq(mlp_table_encoding_column_type(enc, 2), MLP_COLUMN_CATEGORICAL);
    ck_assert_str_eq(mlp_table_encoding_category(enc, 2, 0), "blue"); /* sorted */
    ck_assert_str_eq(mlp_table_encoding_category(enc, 2, 2), "red");
    ck_assert_int_eq(mlp_table_encoding_column_type(enc, 3), MLP_COLUMN_DATE);
    ck_assert_int_eq(mlp_table_encoding_column_type(enc, 4), MLP_COLUMN_IGNORED);
    ck_assert_uint_eq(mlp_table_encoding_column_missing(enc, 4), 60);
    ck_assert_int_eq(mlp_table_encoding_column_type(enc, 5), MLP_COLUMN_NUMERIC);
    ck_assert_int_eq(mlp_table_encoding_column_type(enc, 6), MLP_COLUMN_LABEL);
    /* num 1 + color 3 + date 3 + code 1 */
    ck_assert_uint_eq(mlp_table_encoding_input_size(enc), 8);
    ck_assert_int_eq(mlp_table_encoding_task(enc), MLP_TASK_CLASSIFY);
    ck_assert_uint_eq(mlp_table_encoding_class_count(enc), 2);
    ck_assert_str_eq(mlp_table_encoding_class_name(enc, 0), "no");
    mlp_table_encoding_free(enc);

    /* Overrides: codes as categories, the identifier used, color ignored. */
    o.categorical = "code,id";
    o.ignore = "2";
    enc = fit_ok(t, &o);
    ck_assert_int_eq(mlp_table_encoding_column_type(enc, 5), MLP_COLUMN_CATEGORICAL);
    ck_assert_uint_eq(mlp_table_encoding_column_width(enc, 5), 4);
    ck_assert_str_eq(mlp_table_encoding_category(enc, 5, 3), "3");
    ck_assert_int_eq(mlp_table_encoding_column_type(enc, 0), MLP_COLUMN_CATEGORICAL);
    ck_assert_int_eq(mlp_table_encoding_column_type(enc, 2), MLP_COLUMN_IGNORED);
    ck_assert_uint_eq(mlp_table_encoding_input_size(enc), 60 + 1 + 3 + 4);
    mlp_table_encoding_free(enc);
    mlp_table_free(t);
}
END_TEST

START_TEST(infer_errors_name_the_column)
{
    mlp_table_options o = mlp_table_options_default();
    o.numeric = "island";
    fit_fails("island,mass,species\nDream,3.5,a\nBiscoe,4,b\n", &o, MLP_ERR_INVALID_ARG,
              "column 0 'island' is in the numeric option, but none of its 2 cells is a number");
    o = mlp_table_options_default();
    o.label = "colour";
    fit_fails("island,mass,species\nDream,3.5,a\n", &o, MLP_ERR_INVALID_ARG, "'colour'");
    o.label = "species";
    o.ignore = "species";
    fit_fails("island,mass,species\nDream,3.5,a\n", &o, MLP_ERR_INVALID_ARG, "named twice");
    /* Several labels are regression only. */
    o = mlp_table_options_default();
    o.label = "0,1";
    o.task = MLP_TASK_CLASSIFY;
    fit_fails("a,b,c\n1,2,3\n", &o, MLP_ERR_INVALID_ARG, "classification takes one");
    /* A regression label with text. */
    o = mlp_table_options_default();
    o.task = MLP_TASK_REGRESS;
    fit_fails("a,b\n1,x\n2,y\n", &o, MLP_ERR_PARSE, "label column 1 'b' has no number");
    /* A label with no value at all: said so, not "no feature column left". */
    o = mlp_table_options_default();
    fit_fails("a,b,y\n1,2,NA\n3,4,\n5,6,NA\n", &o, MLP_ERR_INVALID_ARG,
              "the label column 2 'y' has no value in any row");
}
END_TEST

START_TEST(task_choice)
{
    mlp_table_options o = mlp_table_options_default();
    char text[8192];
    /* 25 distinct integers: regression. */
    strcpy(text, "x,y\n");
    for (int i = 0; i < 25; i++) snprintf(text + strlen(text), 64, "%d,%d\n", i, 3 * i);
    mlp_table *t = table_of(text);
    mlp_table_encoding *enc = fit_ok(t, &o);
    ck_assert_int_eq(mlp_table_encoding_task(enc), MLP_TASK_REGRESS);
    ck_assert_ptr_nonnull(strstr(mlp_table_encoding_task_reason(enc), "25 distinct"));
    mlp_table_encoding_free(enc);
    /* ... unless asked for classification. */
    o.task = MLP_TASK_CLASSIFY;
    enc = fit_ok(t, &o);
    ck_assert_int_eq(mlp_table_encoding_task(enc), MLP_TASK_CLASSIFY);
    ck_assert_uint_eq(mlp_table_encoding_class_count(enc), 25);
    ck_assert_str_eq(mlp_table_encoding_class_name(enc, 2), "6"); /* numeric order */
    mlp_table_encoding_free(enc);
    mlp_table_free(t);
    /* 3 distinct integers: classification; one non-integer: regression. */
    o = mlp_table_options_default();
    t = table_of("x,y\n1,0\n2,1\n3,2\n4,1\n");
    enc = fit_ok(t, &o);
    ck_assert_int_eq(mlp_table_encoding_task(enc), MLP_TASK_CLASSIFY);
    mlp_table_encoding_free(enc);
    mlp_table_free(t);
    t = table_of("x,y\n1,0\n2,1.5\n3,2\n");
    enc = fit_ok(t, &o);
    ck_assert_int_eq(mlp_table_encoding_task(enc), MLP_TASK_REGRESS);
    mlp_table_encoding_free(enc);
    mlp_table_free(t);
}
END_TEST


/* ------------------------------------------------------------------ valid tables never stop */

START_TEST(stray_text_is_a_missing_value)
{
    /* 30 numbers and one "rotary": numeric, the cell imputed with the mean of the numbers. */
    char text[4096] = "cyl,y\n";
    for (int i = 0; i < 30; i++) snprintf(text + strlen(text), 64, "%d,%s\n", i, i % 2 ? "a" : "b");
    strcat(text, "rotary,a\nNA,b\nrotary,a\nwankel,b\n");
    mlp_table *t = table_of(text);
    mlp_table_encoding *enc = fit_ok(t, NULL);
    ck_assert_int_eq(mlp_table_encoding_column_type(enc, 0), MLP_COLUMN_NUMERIC);
    ck_assert_uint_eq(mlp_table_encoding_column_missing(enc, 0), 1);
    ck_assert_uint_eq(mlp_table_encoding_column_invalid(enc, 0), 3);
    ck_assert_str_eq(mlp_table_encoding_column_invalid_value(enc, 0, 0), "rotary");
    ck_assert_str_eq(mlp_table_encoding_column_invalid_value(enc, 0, 1), "wankel");
    ck_assert_ptr_null(mlp_table_encoding_column_invalid_value(enc, 0, 2));
    ck_assert_double_eq_tol(mlp_table_encoding_column_mean(enc, 0), 14.5, 1e-12);
    ck_assert_uint_eq(mlp_table_encoding_column_width(enc, 0), 2); /* + indicator */
    mlp_table_report rep;
    mlp_dataset *ds = encode_ok(enc, t, &rep);
    row_is(ds, 30, (const float[]){14.5f, 1}, 2);
    row_is(ds, 29, (const float[]){29, 0}, 2);
    ck_assert_uint_eq(rep.missing_cells, 4);
    mlp_dataset_free(ds);
    /* The copy keeps what the fit saw. */
    mlp_table_encoding *copy = NULL;
    ck_assert_int_eq(mlp_table_encoding_clone(&copy, enc), MLP_OK);
    ck_assert_str_eq(mlp_table_encoding_column_invalid_value(copy, 0, 1), "wankel");
    mlp_table_encoding_free(copy);
    mlp_table_encoding_free(enc);
    mlp_table_free(t);
    /* Mostly text (3 numbers of 8 cells): categories, the numbers among them. */
    t = table_of("c,y\n1,a\nlow,b\n2,a\nhigh,b\nlow,a\n3,b\nhigh,a\nmid,b\n");
    enc = fit_ok(t, NULL);
    ck_assert_int_eq(mlp_table_encoding_column_type(enc, 0), MLP_COLUMN_CATEGORICAL);
    ck_assert_uint_eq(mlp_table_encoding_column_width(enc, 0), 6);
    ck_assert_uint_eq(mlp_table_encoding_column_invalid(enc, 0), 0);
    mlp_table_encoding_free(enc);
    mlp_table_free(t);
}
END_TEST

START_TEST(count_label_is_regression)
{
    /* Counts 0..11, the high ones in one row each: a count, not 12 classes. */
    char text[4096] = "x,cases\n";
    for (int i = 0; i < 60; i++) {
        int c = i < 50 ? i % 8 : 8 + (i - 50) % 4;
        snprintf(text + strlen(text), 64, "%d.5,%d\n", i, c);
    }
    mlp_table *t = table_of(text);
    mlp_table_encoding *enc = fit_ok(t, NULL);
    ck_assert_int_eq(mlp_table_encoding_task(enc), MLP_TASK_REGRESS);
    const char *why = mlp_table_encoding_task_reason(enc);
    ck_assert_msg(strstr(why, "12 distinct integer values, one of them in 2 rows (fewer than "
                             "5): counts or measures") != NULL, "%s", why);
    mlp_table_encoding_free(enc);
    /* The task option overrides; the reason says so. */
    mlp_table_fit_options o = mlp_table_fit_options_default();
    o.task = MLP_TASK_CLASSIFY;
    ck_assert_int_eq(mlp_table_encoding_fit_ex(&enc, t, &o, NULL), MLP_OK);
    ck_assert_int_eq(mlp_table_encoding_task(enc), MLP_TASK_CLASSIFY);
    ck_assert_str_eq(mlp_table_encoding_task_reason(enc), "as asked");
    mlp_table_encoding_free(enc);
    mlp_table_free(t);
    /* Digit codes, each in many rows, stay classes. */
    char digits[4096] = "x,digit\n";
    for (int i = 0; i < 100; i++) snprintf(digits + strlen(digits), 64, "%d,%d\n", i, i % 10);
    t = table_of(digits);
    enc = fit_ok(t, NULL);
    ck_assert_int_eq(mlp_table_encoding_task(enc), MLP_TASK_CLASSIFY);
    mlp_table_encoding_free(enc);
    mlp_table_free(t);
    /* A regression label with a stray text cell: that row is left out, said so. */
    t = table_of("x,y\n1,1.5\n2,2.5\n3,n/a\n4,4.5\n");
    enc = fit_ok(t, NULL);
    ck_assert_int_eq(mlp_table_encoding_task(enc), MLP_TASK_REGRESS);
    ck_assert_ptr_nonnull(strstr(mlp_table_encoding_task_reason(enc), "1 row whose label is "
                                                                     "not a number left out"));
    ck_assert_double_eq_tol(mlp_table_encoding_column_mean(enc, 0), 7.0 / 3.0, 1e-12);
    mlp_table_report rep;
    mlp_dataset *ds = encode_ok(enc, t, &rep);
    ck_assert_uint_eq(mlp_dataset_count(ds), 3);
    ck_assert_uint_eq(rep.rows_dropped, 1);
    mlp_dataset_free(ds);
    mlp_table_encoding_free(enc);
    mlp_table_free(t);
}
END_TEST

START_TEST(unseen_class_is_counted_not_fatal)
{
    mlp_table *train = table_of("x,kind\n1,a\n2,b\n3,a\n4,b\n");
    mlp_table_encoding *enc = fit_ok(train, NULL);
    mlp_table *test = table_of("x,kind\n1,a\n2,zebra\n3,b\n4,zebra\n5,NA\n");
    mlp_table_report_ex ex;
    memset(&ex, 0, sizeof ex);
    ex.struct_size = sizeof ex;
    mlp_dataset *ds = NULL;
    mlp_error_detail det;
    ck_assert_int_eq(mlp_table_encode_ex(enc, test, true, &ds, &ex, &det), MLP_OK);
    ck_assert_uint_eq(mlp_dataset_count(ds), 2);
    ck_assert_uint_eq(ex.unseen_classes, 2);
    ck_assert_uint_eq(ex.unseen_line, 3);
    ck_assert_str_eq(ex.unseen_class, "zebra");
    ck_assert_uint_eq(ex.rows_dropped, 1);
    row_is(ds, 1, (const float[]){3}, 1);
    ck_assert_float_eq(mlp_dataset_targets_const(ds)[1 * 2 + 1], 1.0f);
    mlp_dataset_free(ds);
    /* The short report counts them with the dropped rows; inputs alone keep every row. */
    mlp_table_report rep;
    ds = encode_ok(enc, test, &rep);
    ck_assert_uint_eq(rep.rows_dropped, 3);
    mlp_dataset_free(ds);
    ck_assert_int_eq(mlp_table_encode_inputs(enc, test, &ds, &rep, &det), MLP_OK);
    ck_assert_uint_eq(mlp_dataset_count(ds), 5);
    mlp_dataset_free(ds);
    mlp_table_free(test);
    mlp_table_free(train);
    mlp_table_encoding_free(enc);
}
END_TEST

START_TEST(invalid_date_is_a_missing_value)
{
    /* 100 dates, one of them 2024-02-30: still a date column, that cell imputed. */
    char text[8192] = "day,y\n";
    for (int i = 0; i < 100; i++)
        snprintf(text + strlen(text), 64, "2024-%02d-%02d,%c\n", i == 40 ? 2 : 1 + i % 12,
                 i == 40 ? 30 : 1 + i % 28, i % 2 ? 'a' : 'b');
    mlp_table *t = table_of(text);
    mlp_table_encoding *enc = fit_ok(t, NULL);
    ck_assert_int_eq(mlp_table_encoding_column_type(enc, 0), MLP_COLUMN_DATE);
    ck_assert_uint_eq(mlp_table_encoding_column_invalid(enc, 0), 1);
    ck_assert_str_eq(mlp_table_encoding_column_invalid_value(enc, 0, 0), "2024-02-30");
    ck_assert_uint_eq(mlp_table_encoding_column_width(enc, 0), 4); /* + indicator */
    mlp_table_report rep;
    mlp_dataset *ds = encode_ok(enc, t, &rep);
    ck_assert_float_eq(mlp_dataset_inputs_const(ds)[40 * 4 + 3], 1.0f);
    ck_assert_uint_eq(rep.missing_cells, 1);
    mlp_dataset_free(ds);
    mlp_table_encoding_free(enc);
    mlp_table_free(t);
    /* The date option: a column of few distinct dates (else categories) read as dates. */
    t = table_of("day,y\n2024-01-05,a\n2024-01-05,b\nsoon,a\n2024-03-01,b\nlater,a\nsoon,b\n");
    enc = fit_ok(t, NULL);
    ck_assert_int_eq(mlp_table_encoding_column_type(enc, 0), MLP_COLUMN_CATEGORICAL);
    mlp_table_encoding_free(enc);
    mlp_table_fit_options o = mlp_table_fit_options_default();
    o.date = "day";
    ck_assert_int_eq(mlp_table_encoding_fit_ex(&enc, t, &o, NULL), MLP_OK);
    ck_assert_int_eq(mlp_table_encoding_column_type(enc, 0), MLP_COLUMN_DATE);
    ck_assert_uint_eq(mlp_table_encoding_column_invalid(enc, 0), 3);
    mlp_table_encoding_free(enc);
    /* Named twice, or in a struct this library does not know: refused. */
    o.numeric = "0";
    mlp_error_detail det;
    ck_assert_int_eq(mlp_table_encoding_fit_ex(&enc, t, &o, &det), MLP_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(det.message, "named twice (in the numeric and date options)"));
    o = mlp_table_fit_options_default();
    o.struct_size = 3;
    ck_assert_int_eq(mlp_table_encoding_fit_ex(&enc, t, &o, &det), MLP_ERR_INVALID_ARG);
    mlp_table_free(t);
}
END_TEST

START_TEST(wide_table_columns_by_name)
{
    /* 3000 columns, the test table's in reverse order: each found by its name. */
    enum { N = 3000 };
    size_t size = (size_t)N * 24 + 64;
    char *a = malloc(size), *b = malloc(size);
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(b);
    size_t la = 0, lb = 0;
    for (int j = 0; j < N; j++) la += (size_t)snprintf(a + la, size - la, "c%d,", j);
    la += (size_t)snprintf(a + la, size - la, "y\n");
    for (int j = 0; j < N; j++) la += (size_t)snprintf(a + la, size - la, "%d,", j);
    snprintf(a + la, size - la, "1.5\n");
    lb += (size_t)snprintf(b + lb, size - lb, "y");
    for (int j = N - 1; j >= 0; j--) lb += (size_t)snprintf(b + lb, size - lb, ",c%d", j);
    lb += (size_t)snprintf(b + lb, size - lb, "\n2.5");
    for (int j = N - 1; j >= 0; j--) lb += (size_t)snprintf(b + lb, size - lb, ",%d", 2 * j);
    snprintf(b + lb, size - lb, "\n");
    mlp_table *ta = table_of(a), *tb = table_of(b);
    mlp_table_fit_options o = mlp_table_fit_options_default();
    o.task = MLP_TASK_REGRESS;
    mlp_table_encoding *enc = NULL;
    ck_assert_int_eq(mlp_table_encoding_fit_ex(&enc, ta, &o, NULL), MLP_OK);
    mlp_table_report rep;
    mlp_dataset *ds = encode_ok(enc, tb, &rep);
    const float *x = mlp_dataset_inputs_const(ds);
    for (int j = 0; j < N; j++) ck_assert_float_eq(x[j], (float)(2 * j));
    ck_assert_float_eq(mlp_dataset_targets_const(ds)[0], 2.5f);
    mlp_dataset_free(ds);
    mlp_table_encoding_free(enc);
    mlp_table_free(ta);
    mlp_table_free(tb);
    free(a);
    free(b);
}
END_TEST

/* ------------------------------------------------------------------ encoding */

START_TEST(encode_impute_fit_on_train_apply_to_test)
{
    /* Training: num 1, NA, 3 (mean 2, indicator); color red, blue, NA ("(missing)"). */
    mlp_table *train = table_of("num,color,y\n1,red,0\nNA,blue,1\n3,,0\n");
    mlp_table_options o = mlp_table_options_default();
    mlp_table_encoding *enc = fit_ok(train, &o);
    ck_assert_uint_eq(mlp_table_encoding_column_missing(enc, 0), 1);
    ck_assert_uint_eq(mlp_table_encoding_column_width(enc, 0), 2);
    ck_assert_uint_eq(mlp_table_encoding_column_width(enc, 1), 3);
    ck_assert_str_eq(mlp_table_encoding_category(enc, 1, 2), "(missing)");
    mlp_table_report rep;
    mlp_dataset *ds = encode_ok(enc, train, &rep);
    row_is(ds, 1, (const float[]){2, 1, 1, 0, 0}, 5); /* blue = category 0 */
    ck_assert_uint_eq(rep.missing_cells, 2);
    mlp_dataset_free(ds);
    /* Test data: the training mean (2, not the test data's own), an unseen category. */
    mlp_table *test = table_of("y,color,num\n1,green,?\n0,red,10\n1,NULL,7\n");
    ds = encode_ok(enc, test, &rep); /* columns found by name, in another order */
    ck_assert_uint_eq(mlp_dataset_count(ds), 3);
    row_is(ds, 0, (const float[]){2, 1, 0, 0, 0}, 5);
    row_is(ds, 1, (const float[]){10, 0, 0, 1, 0}, 5);
    row_is(ds, 2, (const float[]){7, 0, 0, 0, 1}, 5);
    ck_assert_uint_eq(rep.unseen_categories, 1);
    ck_assert_uint_eq(rep.missing_cells, 2);
    ck_assert_float_eq(mlp_dataset_targets_const(ds)[2 * 2 + 1], 1.0f);
    mlp_dataset_free(ds);
    /* Inputs only, the label column absent. */
    mlp_table *nolabel = table_of("color,num\nred,4\n");
    mlp_error_detail det;
    ck_assert_int_eq(mlp_table_encode_inputs(enc, nolabel, &ds, &rep, &det), MLP_OK);
    ck_assert_uint_eq(mlp_dataset_target_size(ds), 0);
    row_is(ds, 0, (const float[]){4, 0, 0, 1, 0}, 5);
    mlp_dataset_free(ds);
    /* ... but evaluation needs it, and a numeric column needs numbers. */
    ck_assert_int_eq(mlp_table_encode(enc, nolabel, &ds, &rep, &det), MLP_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(det.message, "'y'"));
    /* A cell that is not a number, only in the test data: imputed and counted. */
    mlp_table *bad = table_of("num,color,y\n1,red,0\nmany,red,1\n");
    ds = encode_ok(enc, bad, &rep);
    row_is(ds, 1, (const float[]){2, 1, 0, 1, 0}, 5);
    ck_assert_uint_eq(rep.missing_cells, 1);
    mlp_dataset_free(ds);
    mlp_table_report_ex ex;
    memset(&ex, 0, sizeof ex);
    ex.struct_size = sizeof ex;
    ck_assert_int_eq(mlp_table_encode_ex(enc, bad, true, &ds, &ex, &det), MLP_OK);
    ck_assert_uint_eq(ex.invalid_cells, 1);
    ck_assert_uint_eq(ex.invalid_line, 3);
    ck_assert_uint_eq(ex.invalid_column, 0);
    ck_assert_str_eq(ex.invalid_value, "many");
    mlp_dataset_free(ds);
    ex.struct_size = 8; /* not a layout this library knows */
    ck_assert_int_eq(mlp_table_encode_ex(enc, bad, true, &ds, &ex, &det), MLP_ERR_INVALID_ARG);
    mlp_table_free(bad);
    mlp_table_free(nolabel);
    mlp_table_free(test);
    mlp_table_free(train);
    mlp_table_encoding_free(enc);
}
END_TEST

START_TEST(encode_dates)
{
    /* 1970-01-02 is day 1; 2000-03-01 is day 11017; 2012/01/01 is day 15340. */
    mlp_table *t = table_of("when,y\n1970-01-02,1\n2000-03-01T10:00,2\n2012/01/01,3\n");
    mlp_table_options o = mlp_table_options_default();
    mlp_table_encoding *enc = fit_ok(t, &o);
    ck_assert_int_eq(mlp_table_encoding_column_type(enc, 0), MLP_COLUMN_DATE);
    ck_assert_double_eq_tol(mlp_table_encoding_column_mean(enc, 0), (1 + 11017 + 15340) / 3.0,
                            1e-9);
    mlp_dataset *ds = encode_ok(enc, t, NULL);
    const double two_pi = 6.283185307179586, year = 365.2425;
    double days[3] = {1, 11017, 15340};
    for (size_t r = 0; r < 3; r++) {
        double ph = two_pi * fmod(days[r], year) / year;
        row_is(ds, r, (const float[]){(float)days[r], (float)sin(ph), (float)cos(ph)}, 3);
    }
    mlp_dataset_free(ds);
    mlp_table_encoding_free(enc);
    mlp_table_free(t);
    /* Not dates: a 13th month, 29 February of a common year. */
    t = table_of("when,y\n2001-13-01,1\n2001-02-29,2\n");
    enc = fit_ok(t, &o);
    ck_assert_int_eq(mlp_table_encoding_column_type(enc, 0), MLP_COLUMN_CATEGORICAL);
    mlp_table_encoding_free(enc);
    mlp_table_free(t);
}
END_TEST

START_TEST(missing_labels_drop_rows)
{
    mlp_table *t = table_of("x,y\n1,a\n2,NA\n3,b\n4,\n5,a\n");
    mlp_table_options o = mlp_table_options_default();
    mlp_table_encoding *enc = fit_ok(t, &o);
    ck_assert_uint_eq(mlp_table_encoding_class_count(enc), 2);
    mlp_table_report rep;
    mlp_dataset *ds = encode_ok(enc, t, &rep);
    ck_assert_uint_eq(rep.rows_read, 5);
    ck_assert_uint_eq(rep.rows_dropped, 2);
    ck_assert_uint_eq(mlp_dataset_count(ds), 3);
    ck_assert_float_eq(mlp_dataset_inputs_const(ds)[1], 3.0f);
    /* The mean is over the rows kept: (1 + 3 + 5) / 3. */
    ck_assert_double_eq_tol(mlp_table_encoding_column_mean(enc, 0), 3.0, 1e-12);
    mlp_dataset_free(ds);
    /* Prediction keeps every row. */
    ck_assert_int_eq(mlp_table_encode_inputs(enc, t, &ds, &rep, NULL), MLP_OK);
    ck_assert_uint_eq(mlp_dataset_count(ds), 5);
    mlp_dataset_free(ds);
    mlp_table_encoding_free(enc);
    mlp_table_free(t);
    /* Configurable missing tokens. */
    t = table_of("x,y\n1,a\n-999,b\n3,a\n");
    o.missing = "-999";
    enc = fit_ok(t, &o);
    ck_assert_double_eq_tol(mlp_table_encoding_column_mean(enc, 0), 2.0, 1e-12);
    mlp_table_encoding_free(enc);
    mlp_table_free(t);
}
END_TEST

START_TEST(multi_output_labels)
{
    mlp_table *t = table_of("a,b,c,d\n1,2,3,x\n4,5,6,y\n");
    mlp_table_options o = mlp_table_options_default();
    o.label = "c,a";
    mlp_table_encoding *enc = fit_ok(t, &o);
    ck_assert_int_eq(mlp_table_encoding_task(enc), MLP_TASK_REGRESS);
    ck_assert_uint_eq(mlp_table_encoding_label_count(enc), 2);
    ck_assert_str_eq(mlp_table_encoding_label_name(enc, 0), "c");
    ck_assert_uint_eq(mlp_table_encoding_label_column(enc, 1), 0);
    mlp_dataset *ds = encode_ok(enc, t, NULL);
    ck_assert_uint_eq(mlp_dataset_target_size(ds), 2);
    const float *y = mlp_dataset_targets_const(ds);
    ck_assert_float_eq(y[0], 3.0f);
    ck_assert_float_eq(y[1], 1.0f);
    ck_assert_float_eq(y[3], 4.0f);
    mlp_dataset_free(ds);
    mlp_table_encoding_free(enc);
    mlp_table_free(t);
}
END_TEST

/* Column arrays: the same encoding as the comma strings, names that hold a comma, missing
 * values as an array, and the arguments named on failure. */
START_TEST(column_arrays)
{
    mlp_table *t = table_of("\"city, state\",code,n,when,y\n"
                            "\"Reno, NV\",7,1,2020-01-02,u\nAmes,8,-,2020-03-04,v\n"
                            "\"Reno, NV\",7,3,2021-05-06,u\nAmes,9,4,--,v\n");
    mlp_table_fit_options o = mlp_table_fit_options_default();
    static const char *const labels[] = {"y"};
    static const char *const ignore[] = {"city, state"};
    static const char *const categorical[] = {"1"};
    static const char *const dates[] = {"when"};
    static const char *const missing[] = {"-", "--"};
    o.labels = labels;
    o.label_count = 1;
    o.ignore_columns = ignore;
    o.ignore_count = 1;
    o.categorical_columns = categorical;
    o.categorical_count = 1;
    o.date_columns = dates;
    o.date_count = 1;
    o.missing_values = missing;
    o.missing_count = 2;
    mlp_table_encoding *enc = NULL;
    mlp_error_detail det;
    mlp_status st = mlp_table_encoding_fit_ex(&enc, t, &o, &det);
    ck_assert_msg(st == MLP_OK, "%s", det.message);
    ck_assert_int_eq(mlp_table_encoding_column_type(enc, 0), MLP_COLUMN_IGNORED);
    ck_assert_int_eq(mlp_table_encoding_column_type(enc, 1), MLP_COLUMN_CATEGORICAL);
    ck_assert_int_eq(mlp_table_encoding_column_type(enc, 2), MLP_COLUMN_NUMERIC);
    ck_assert_int_eq(mlp_table_encoding_column_type(enc, 3), MLP_COLUMN_DATE);
    ck_assert_int_eq(mlp_table_encoding_column_type(enc, 4), MLP_COLUMN_LABEL);
    ck_assert_uint_eq(mlp_table_encoding_column_missing(enc, 2), 1);
    ck_assert_uint_eq(mlp_table_encoding_column_missing(enc, 3), 1);
    ck_assert_uint_eq(mlp_table_encoding_column_invalid(enc, 3), 0);

    /* the deprecated strings give the same encoding (but for the name with a comma) */
    mlp_table_fit_options s = mlp_table_fit_options_default();
    s.label = "y";
    s.ignore = "0";
    s.categorical = "code";
    s.date = "3";
    s.missing = "-,--";
    mlp_table_encoding *enc2 = NULL;
    ck_assert_int_eq(mlp_table_encoding_fit_ex(&enc2, t, &s, &det), MLP_OK);
    mlp_dataset *a = encode_ok(enc, t, NULL), *b = encode_ok(enc2, t, NULL);
    ck_assert_uint_eq(mlp_dataset_input_size(a), mlp_dataset_input_size(b));
    ck_assert(memcmp(mlp_dataset_inputs_const(a), mlp_dataset_inputs_const(b),
                     4 * mlp_dataset_input_size(a) * sizeof(float)) == 0);
    mlp_dataset_free(a);
    mlp_dataset_free(b);
    mlp_table_encoding_free(enc2);
    mlp_table_encoding_free(enc);

    /* a column in a string and an array is named twice */
    s = o;
    s.ignore = "code";
    enc = NULL;
    ck_assert_int_eq(mlp_table_encoding_fit_ex(&enc, t, &s, &det), MLP_ERR_INVALID_ARG);
    ck_assert_msg(strstr(det.message, "named twice"), "%s", det.message);
    static const char *const comma[] = {"-", "a,b"};
    s = o;
    s.missing_values = comma;
    ck_assert_int_eq(mlp_table_encoding_fit_ex(&enc, t, &s, &det), MLP_ERR_INVALID_ARG);
    ck_assert_msg(strstr(det.message, "missing_values[1]"), "%s", det.message);
    static const char *const hole[] = {"code", NULL};
    s = o;
    s.numeric_columns = hole;
    s.numeric_count = 2;
    s.categorical_count = 0;
    ck_assert_int_eq(mlp_table_encoding_fit_ex(&enc, t, &s, &det), MLP_ERR_NULL_ARG);
    ck_assert_msg(strstr(det.message, "numeric_columns[1]"), "%s", det.message);
    s = o;
    s.labels = NULL;
    ck_assert_int_eq(mlp_table_encoding_fit_ex(&enc, t, &s, &det), MLP_ERR_NULL_ARG);
    ck_assert_msg(strstr(det.message, "labels"), "%s", det.message);
    static const char *const nowhere[] = {"nowhere"};
    s = o;
    s.ignore_columns = nowhere;
    ck_assert_int_eq(mlp_table_encoding_fit_ex(&enc, t, &s, &det), MLP_ERR_INVALID_ARG);
    ck_assert_msg(strstr(det.message, "'nowhere' is not in the table"), "%s", det.message);
    ck_assert_ptr_null(enc);
    mlp_table_free(t);
}
END_TEST

/* mlp_fit_config.table_options: the arrays reach the fitted encoding, replacing table. */
START_TEST(fit_takes_table_options)
{
    char text[2048] = "id,\"x, cm\",y\n";
    for (int i = 0; i < 40; i++) {
        size_t n = strlen(text);
        snprintf(text + n, sizeof text - n, "r%d,%d,%s\n", i, i % 10, i % 10 < 5 ? "lo" : "hi");
    }
    mlp_table *t = table_of(text);
    static const char *const ignore[] = {"id"}, *const label[] = {"y"};
    mlp_table_fit_options to = mlp_table_fit_options_default();
    to.ignore_columns = ignore;
    to.ignore_count = 1;
    to.labels = label;
    to.label_count = 1;
    mlp_fit_config c = mlp_fit_config_default();
    c.table.label = "id"; /* ignored: table_options replaces table */
    c.table_options = &to;
    c.train.epochs = 2;
    mlp_model *m = NULL;
    mlp_error_detail det;
    mlp_status st = mlp_model_fit_table(&m, t, &c, NULL, &det);
    ck_assert_msg(st == MLP_OK, "%s", det.message);
    const mlp_table_encoding *enc = mlp_preprocess_encoding(mlp_model_preprocess(m));
    ck_assert_int_eq(mlp_table_encoding_column_type(enc, 0), MLP_COLUMN_IGNORED);
    ck_assert_int_eq(mlp_table_encoding_column_type(enc, 1), MLP_COLUMN_NUMERIC);
    ck_assert_int_eq(mlp_table_encoding_column_type(enc, 2), MLP_COLUMN_LABEL);
    ck_assert_int_eq(mlp_table_encoding_task(enc), MLP_TASK_CLASSIFY);
    mlp_model_free(m);
    to.struct_size = 4;
    ck_assert_int_eq(mlp_model_fit_table(&m, t, &c, NULL, &det), MLP_ERR_INVALID_ARG);
    ck_assert_msg(strstr(det.message, "config->table_options"), "%s", det.message);
    mlp_table_free(t);
}
END_TEST

/* Programs written before the arrays fill mlp_fit_config.table's comma-separated strings
 * (and table_date): they still fit the encoding the arrays give. */
START_TEST(fit_takes_comma_strings)
{
    char text[2048] = "id,code,day,x,y\n";
    for (int i = 0; i < 40; i++) {
        size_t n = strlen(text);
        snprintf(text + n, sizeof text - n, "r%d,%d,2020-01-%02d,%s,%s\n", i, i % 3, i % 28 + 1,
                 i % 7 ? "1.5" : "-", i % 10 < 5 ? "lo" : "hi");
    }
    mlp_table *t = table_of(text);
    mlp_fit_config c = mlp_fit_config_default();
    c.table.label = "y";
    c.table.ignore = "id";
    c.table.categorical = "code";
    c.table.missing = "-,NA";
    c.table_date = "day";
    c.train.epochs = 1;
    mlp_model *old = NULL, *now = NULL;
    mlp_error_detail det;
    mlp_status st = mlp_model_fit_table(&old, t, &c, NULL, &det);
    ck_assert_msg(st == MLP_OK, "%s", det.message);
    static const char *const label[] = {"y"}, *const ignore[] = {"id"},
                             *const categorical[] = {"code"}, *const date[] = {"day"},
                             *const missing[] = {"-", "NA"};
    mlp_table_fit_options to = mlp_table_fit_options_default();
    to.labels = label;
    to.label_count = 1;
    to.ignore_columns = ignore;
    to.ignore_count = 1;
    to.categorical_columns = categorical;
    to.categorical_count = 1;
    to.date_columns = date;
    to.date_count = 1;
    to.missing_values = missing;
    to.missing_count = 2;
    mlp_fit_config a = mlp_fit_config_default();
    a.table_options = &to;
    a.train.epochs = 1;
    st = mlp_model_fit_table(&now, t, &a, NULL, &det);
    ck_assert_msg(st == MLP_OK, "%s", det.message);
    const mlp_table_encoding *e1 = mlp_preprocess_encoding(mlp_model_preprocess(old));
    const mlp_table_encoding *e2 = mlp_preprocess_encoding(mlp_model_preprocess(now));
    static const mlp_column_type want[5] = {MLP_COLUMN_IGNORED, MLP_COLUMN_CATEGORICAL,
                                            MLP_COLUMN_DATE, MLP_COLUMN_NUMERIC,
                                            MLP_COLUMN_LABEL};
    for (size_t j = 0; j < 5; j++) {
        mlp_table_column_info i1 = {.struct_size = sizeof i1}, i2 = {.struct_size = sizeof i2};
        ck_assert_int_eq(mlp_table_encoding_column_info(e1, j, &i1, NULL), MLP_OK);
        ck_assert_int_eq(mlp_table_encoding_column_info(e2, j, &i2, NULL), MLP_OK);
        ck_assert_int_eq(i1.type, want[j]);
        ck_assert_int_eq(i2.type, want[j]);
        ck_assert_uint_eq(i1.width, i2.width);
        ck_assert_uint_eq(i1.missing, i2.missing);
    }
    ck_assert_uint_eq(mlp_table_encoding_column_missing(e1, 3), 6); /* the "-" cells */
    ck_assert_uint_eq(mlp_table_encoding_input_size(e1), mlp_table_encoding_input_size(e2));
    mlp_model_free(old);
    mlp_model_free(now);
    mlp_table_free(t);
}
END_TEST

/* ------------------------------------------------------------------ model file, handle */

static const char *TRAIN_TEXT =
    "island,mass,when,species\n"
    "Dream,3.5,2020-01-01,a\nBiscoe,NA,2020-02-01,b\nDream,4.2,,a\nTorgersen,3.9,2020-03-05,b\n"
    "Biscoe,4.8,2020-04-01,a\n,4.1,2020-05-01,b\nDream,3.3,2020-06-01,NA\n";

/* A categorical column keeps its max_categories most frequent values (ties in sorted
 * order); the rarer ones are all zeros, counted in the column and in the report, so that the
 * encoded width stays bounded whatever the number of values. */
static mlp_table_encoding *fit_capped(const mlp_table *t, size_t max_categories)
{
    mlp_table_fit_options o = mlp_table_fit_options_default();
    ck_assert_uint_eq(o.max_categories, 0);
    o.max_categories = max_categories;
    mlp_table_encoding *enc = NULL;
    mlp_error_detail det = {0};
    ck_assert_msg(mlp_table_encoding_fit_ex(&enc, t, &o, &det) == MLP_OK, "%s", det.message);
    return enc;
}

START_TEST(rare_categories_beyond_the_cap)
{
    /* a x5, b x3, c x3, d x3, e x1, two missing */
    const char *vals[] = {"a", "a", "a", "a", "a", "c", "c", "c", "b", "b", "b", "d", "d",
                          "d", "e", "NA", "NA"};
    char text[512] = "c,y\n";
    for (size_t i = 0; i < sizeof vals / sizeof *vals; i++)
        snprintf(text + strlen(text), sizeof text - strlen(text), "%s,%zu\n", vals[i], i % 2);
    mlp_table *t = table_of(text);
    mlp_table_encoding *enc = fit_capped(t, 2);
    ck_assert_uint_eq(mlp_table_encoding_column_width(enc, 0), 3); /* a, b, (missing) */
    ck_assert_str_eq(mlp_table_encoding_category(enc, 0, 0), "a");
    ck_assert_str_eq(mlp_table_encoding_category(enc, 0, 1), "b");
    ck_assert_str_eq(mlp_table_encoding_category(enc, 0, 2), "(missing)");
    ck_assert_uint_eq(mlp_table_encoding_column_distinct(enc, 0), 5);
    ck_assert_uint_eq(mlp_table_encoding_column_other(enc, 0), 7); /* c, d, e */
    mlp_table_report_ex rep = {.struct_size = sizeof rep};
    mlp_dataset *ds = NULL;
    ck_assert_int_eq(mlp_table_encode_ex(enc, t, true, &ds, &rep, NULL), MLP_OK);
    ck_assert_uint_eq(rep.other_cells, 7);
    ck_assert_uint_eq(rep.unseen_categories, 0);
    const float a[] = {1, 0, 0}, other[] = {0, 0, 0}, missing[] = {0, 0, 1};
    row_is(ds, 0, a, 3);
    row_is(ds, 5, other, 3);  /* c */
    row_is(ds, 14, other, 3); /* e */
    row_is(ds, 15, missing, 3);
    mlp_dataset_free(ds);
    mlp_table_encoding_free(enc);
    /* the default keeps them all; so does SIZE_MAX */
    enc = fit_capped(t, 0);
    ck_assert_uint_eq(mlp_table_encoding_column_width(enc, 0), 6);
    ck_assert_uint_eq(mlp_table_encoding_column_other(enc, 0), 0);
    mlp_table_encoding_free(enc);
    enc = fit_capped(t, SIZE_MAX);
    ck_assert_uint_eq(mlp_table_encoding_column_width(enc, 0), 6);
    mlp_table_encoding_free(enc);
    mlp_table_free(t);
}
END_TEST

/* mlp_table_encoding_column_info gives what the one-field accessors give, column by column,
 * and names what is wrong with its arguments. */
static void info_matches_accessors(const mlp_table_encoding *enc)
{
    for (size_t j = 0; j < mlp_table_encoding_column_count(enc); j++) {
        mlp_table_column_info c = {.struct_size = sizeof c};
        ck_assert_int_eq(mlp_table_encoding_column_info(enc, j, &c, NULL), MLP_OK);
        ck_assert_uint_eq(c.struct_size, sizeof c);
        ck_assert_ptr_eq(c.name, mlp_table_encoding_column_name(enc, j));
        ck_assert_int_eq(c.type, mlp_table_encoding_column_type(enc, j));
        ck_assert_uint_eq(c.missing, mlp_table_encoding_column_missing(enc, j));
        ck_assert_uint_eq(c.distinct, mlp_table_encoding_column_distinct(enc, j));
        ck_assert_uint_eq(c.width, mlp_table_encoding_column_width(enc, j));
        ck_assert_uint_eq(c.invalid, mlp_table_encoding_column_invalid(enc, j));
        ck_assert_uint_eq(c.other, mlp_table_encoding_column_other(enc, j));
        ck_assert(c.mean == mlp_table_encoding_column_mean(enc, j));
        for (size_t k = 0; k < MLP_TABLE_INVALID_EXAMPLES; k++)
            ck_assert_ptr_eq(c.invalid_values[k],
                             mlp_table_encoding_column_invalid_value(enc, j, k));
        ck_assert_ptr_nonnull(c.categories ? mlp_table_encoding_category(enc, j, c.categories - 1)
                                           : "none");
        ck_assert_ptr_null(mlp_table_encoding_category(enc, j, c.categories));
        ck_assert_uint_eq(c.label, c.type == MLP_COLUMN_LABEL ? 0 : SIZE_MAX);
    }
}

START_TEST(column_info_in_one_call)
{
    char text[4096] = "cyl,c,y\n";
    for (int i = 0; i < 30; i++)
        snprintf(text + strlen(text), 64, "%d,%s,%s\n", i, i % 3 ? "p" : "q", i % 2 ? "a" : "b");
    strcat(text, "rotary,p,a\nNA,NA,b\nwankel,q,b\n");
    mlp_table *t = table_of(text);
    mlp_table_encoding *enc = fit_ok(t, NULL);
    info_matches_accessors(enc);
    mlp_table_column_info c = {.struct_size = sizeof c};
    ck_assert_int_eq(mlp_table_encoding_column_info(enc, 0, &c, NULL), MLP_OK);
    ck_assert_str_eq(c.name, "cyl");
    ck_assert_uint_eq(c.invalid, 2);
    ck_assert_str_eq(c.invalid_values[1], "wankel");
    ck_assert_int_eq(mlp_table_encoding_column_info(enc, 2, &c, NULL), MLP_OK);
    ck_assert_int_eq(c.type, MLP_COLUMN_LABEL);
    ck_assert_uint_eq(c.label, 0);
    mlp_error_detail d;
    mlp_table_column_info zero;
    memset(&zero, 0, sizeof zero);
    ck_assert_int_eq(mlp_table_encoding_column_info(enc, 0, &zero, &d), MLP_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(d.message, "info->struct_size is 0"));
    ck_assert_ptr_null(zero.name); /* unchanged */
    ck_assert_int_eq(mlp_table_encoding_column_info(enc, 3, &c, &d), MLP_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(d.message, "col is 3"));
    ck_assert_int_eq(mlp_table_encoding_column_info(NULL, 0, &c, &d), MLP_ERR_NULL_ARG);
    ck_assert_ptr_nonnull(strstr(d.message, "enc"));
    mlp_table_encoding_free(enc);
    /* a capped categorical column: other cells and the categories kept */
    enc = fit_capped(t, 1);
    info_matches_accessors(enc);
    mlp_table_encoding_free(enc);
    mlp_table_free(t);
}
END_TEST

/* 6,000 categories in 18,000 rows (not an identifier: 3 rows each) encoded 6,000 wide took
 * 432 MB; by default the width is MLP_TABLE_MAX_CATEGORIES. */
START_TEST(many_categories_keep_a_bounded_width)
{
    size_t n = 18000, size = 32 * n + 16;
    char *text = malloc(size);
    ck_assert_ptr_nonnull(text);
    size_t used = (size_t)snprintf(text, size, "c,y\n");
    for (size_t i = 0; i < n; i++) /* 3 rows a value; the first 6 rows 'v0', the most */
        used += (size_t)snprintf(text + used, size - used, "v%zu,%zu\n",
                                 i < 6 ? 0 : (i % 6000), i % 2);
    mlp_table *t = table_of(text);
    free(text);
    mlp_table_encoding *enc = fit_capped(t, 0);
    ck_assert_uint_eq(mlp_table_encoding_input_size(enc), MLP_TABLE_MAX_CATEGORIES);
    ck_assert_str_eq(mlp_table_encoding_category(enc, 0, 0), "v0"); /* the most frequent */
    ck_assert_uint_eq(mlp_table_encoding_column_distinct(enc, 0), 6000);
    mlp_dataset *ds = encode_ok(enc, t, NULL);
    ck_assert_uint_eq(mlp_dataset_input_size(ds), MLP_TABLE_MAX_CATEGORIES);
    mlp_dataset_free(ds);
    mlp_table_encoding_free(enc);
    mlp_table_free(t);
}
END_TEST

START_TEST(round_trip_through_model_file)
{
    mlp_table *t = table_of(TRAIN_TEXT);
    mlp_table_encoding *enc = fit_ok(t, NULL);
    mlp_dataset *ds = encode_ok(enc, t, NULL);
    size_t in = mlp_dataset_input_size(ds);
    ck_assert_uint_eq(in, mlp_table_encoding_input_size(enc));
    mlp_model_config cfg = mlp_model_config_default();
    mlp_model *m = NULL;
    ck_assert_int_eq(mlp_model_build(&m, ds, &cfg), MLP_OK);
    ck_assert_int_eq(mlp_model_set_encoding(m, enc), MLP_OK);
    ck_assert_int_eq(mlp_model_train(m, ds, NULL, NULL, NULL), MLP_OK);
    char path[] = "/tmp/mlp_table_XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    ck_assert_int_eq(mlp_model_write(m, path, NULL), MLP_OK);
    mlp_model *back = NULL;
    mlp_model_info info;
    mlp_error_detail det;
    ck_assert_int_eq(mlp_model_open(&back, path, &info, &det), MLP_OK);
    unlink(path);
    ck_assert_uint_eq(info.format_version, 2);
    const mlp_table_encoding *e2 = mlp_preprocess_encoding(mlp_model_preprocess(back));
    ck_assert_ptr_nonnull(e2);
    /* Every fitted field back. */
    ck_assert_uint_eq(mlp_table_encoding_column_count(e2), 4);
    for (size_t j = 0; j < 4; j++) {
        ck_assert_str_eq(mlp_table_encoding_column_name(e2, j),
                         mlp_table_encoding_column_name(enc, j));
        ck_assert_int_eq(mlp_table_encoding_column_type(e2, j),
                         mlp_table_encoding_column_type(enc, j));
        ck_assert_uint_eq(mlp_table_encoding_column_missing(e2, j),
                          mlp_table_encoding_column_missing(enc, j));
        ck_assert(mlp_table_encoding_column_mean(e2, j) == mlp_table_encoding_column_mean(enc, j));
        for (size_t k = 0; k < mlp_table_encoding_column_width(enc, j); k++) {
            const char *c = mlp_table_encoding_category(enc, j, k);
            if (c) ck_assert_str_eq(mlp_table_encoding_category(e2, j, k), c);
        }
    }
    ck_assert_str_eq(mlp_table_encoding_class_name(e2, 1), "b");
    /* Same predictions from raw text rows, before and after, bit for bit; unseen island. */
    mlp_table *rows = table_of("when,mass,island\n2020-07-01,4.0,Dream\n,NA,Atlantis\n");
    float before[4], after[4];
    mlp_table_report rep;
    ck_assert_int_eq(mlp_model_predict_table(m, rows, before, &rep, NULL), MLP_OK);
    ck_assert_uint_eq(rep.unseen_categories, 1);
    ck_assert_uint_eq(rep.missing_cells, 2);
    ck_assert_int_eq(mlp_model_predict_table(back, rows, after, NULL, NULL), MLP_OK);
    ck_assert_int_eq(memcmp(before, after, sizeof before), 0);
    /* ... and the same as encoding by hand and predicting the records. */
    mlp_dataset *x = NULL;
    ck_assert_int_eq(mlp_table_encode_inputs(enc, rows, &x, NULL, NULL), MLP_OK);
    float direct[4];
    ck_assert_int_eq(mlp_model_predict(back, mlp_dataset_inputs_const(x), 2, direct), MLP_OK);
    ck_assert_int_eq(memcmp(before, direct, sizeof before), 0);
    mlp_dataset_free(x);
    mlp_table_free(rows);
    mlp_model_free(back);
    mlp_model_free(m);
    mlp_dataset_free(ds);
    mlp_table_encoding_free(enc);
    mlp_table_free(t);
}
END_TEST

START_TEST(model_file_checks_the_table_section)
{
    mlp_table *t = table_of(TRAIN_TEXT);
    mlp_table_encoding *enc = fit_ok(t, NULL);
    size_t in = mlp_table_encoding_input_size(enc);
    mlp_net *net = NULL;
    size_t sizes[2] = {in, 2};
    mlp_activation act = MLP_ACT_SOFTMAX;
    ck_assert_int_eq(mlp_net_create(&net, 1, sizes, &act, MLP_BIAS_PER_NEURON), MLP_OK);
    mlp_preprocess *pre = NULL;
    ck_assert_int_eq(mlp_preprocess_create(&pre, in + 1), MLP_OK);
    ck_assert_int_eq(mlp_preprocess_set_encoding(pre, enc), MLP_ERR_DIMENSION);
    mlp_preprocess_free(pre);
    ck_assert_int_eq(mlp_preprocess_create(&pre, in), MLP_OK);
    ck_assert_int_eq(mlp_preprocess_set_encoding(pre, enc), MLP_OK);
    void *buf = NULL;
    size_t len = 0;
    ck_assert_int_eq(mlp_model_write_parts_mem(&buf, &len, net, pre, NULL, 0), MLP_OK);
    unsigned char *b = buf;
    ck_assert_uint_eq(b[8], 2); /* version 2: it has a table */
    mlp_net *n2 = NULL;
    mlp_preprocess *p2 = NULL;
    ck_assert_int_eq(mlp_model_open_parts_mem(buf, len, &n2, &p2, NULL, NULL, NULL), MLP_OK);
    ck_assert_ptr_nonnull(mlp_preprocess_encoding(p2));
    mlp_net_free(n2);
    mlp_preprocess_free(p2);
    /* The same bytes called version 1, CRC fixed: version 1 has no table section. */
    b[8] = 1;
    uint32_t crc = (uint32_t)crc32(0L, b, (uInt)(len - 4));
    for (int i = 0; i < 4; i++) b[len - 4 + i] = (unsigned char)(crc >> (8 * i));
    mlp_error_detail det;
    ck_assert_int_eq(mlp_model_open_parts_mem(buf, len, &n2, &p2, NULL, NULL, &det), MLP_ERR_FORMAT);
    ck_assert_ptr_nonnull(strstr(det.message, "section"));
    /* A clone keeps the encoding; removing it gives a version 1 file again. */
    mlp_preprocess *clone = NULL;
    ck_assert_int_eq(mlp_preprocess_clone(&clone, pre), MLP_OK);
    ck_assert_ptr_nonnull(mlp_preprocess_encoding(clone));
    ck_assert_int_eq(mlp_preprocess_set_encoding(clone, NULL), MLP_OK);
    void *buf1 = NULL;
    ck_assert_int_eq(mlp_model_write_parts_mem(&buf1, &len, net, clone, NULL, 0), MLP_OK);
    ck_assert_uint_eq(((unsigned char *)buf1)[8], 1);
    mlp_free(buf1);
    mlp_free(buf);
    mlp_preprocess_free(clone);
    mlp_preprocess_free(pre);
    mlp_net_free(net);
    mlp_table_encoding_free(enc);
    mlp_table_free(t);
}
END_TEST


/* The first place at or after `from` where needle (n bytes) is in buf; len when none. */
static size_t find_bytes(const unsigned char *buf, size_t len, size_t from, const void *needle,
                         size_t n)
{
    for (size_t i = from; i + n <= len; i++)
        if (memcmp(buf + i, needle, n) == 0) return i;
    return len;
}

static void fix_crc(unsigned char *b, size_t len)
{
    uint32_t crc = (uint32_t)crc32(0L, b, (uInt)(len - 4));
    for (int i = 0; i < 4; i++) b[len - 4 + i] = (unsigned char)(crc >> (8 * i));
}

/* Sections valid alone that contradict each other: refused on load, with the reason; and
 * the model handle refuses an encoding that does not fit its net. */
START_TEST(contradicting_sections_are_refused)
{
    mlp_table *t = table_of(TRAIN_TEXT);
    mlp_table_encoding *enc = fit_ok(t, NULL);
    size_t in = mlp_table_encoding_input_size(enc);
    mlp_net *net = NULL;
    size_t sizes[2] = {in, 2};
    mlp_activation act = MLP_ACT_SOFTMAX;
    ck_assert_int_eq(mlp_net_create(&net, 1, sizes, &act, MLP_BIAS_PER_NEURON), MLP_OK);
    mlp_preprocess *pre = NULL;
    ck_assert_int_eq(mlp_preprocess_create(&pre, in), MLP_OK);
    const char *names[] = {"a", "b"};
    ck_assert_int_eq(mlp_preprocess_set_label_info(pre, MLP_TASK_CLASSIFY, "species", 3, 2,
                                                   names), MLP_OK);
    ck_assert_int_eq(mlp_preprocess_set_encoding(pre, enc), MLP_OK);
    void *buf = NULL;
    size_t len = 0;
    ck_assert_int_eq(mlp_model_write_parts_mem(&buf, &len, net, pre, NULL, 0), MLP_OK);
    unsigned char *b = buf;
    mlp_net *n2 = NULL;
    mlp_preprocess *p2 = NULL;
    mlp_error_detail det;
    ck_assert_int_eq(mlp_model_open_parts_mem(buf, len, &n2, &p2, NULL, NULL, &det), MLP_OK);
    mlp_net_free(n2);
    mlp_preprocess_free(p2);
    /* The table section's classes in the other order: "b", "a". */
    const unsigned char classes[] = {1, 0, 0, 0, 'a', 1, 0, 0, 0, 'b'};
    size_t tabl = find_bytes(b, len, 0, "TABL", 4);
    size_t at = find_bytes(b, len, tabl, classes, sizeof classes);
    ck_assert_uint_lt(at, len);
    b[at + 4] = 'b';
    b[at + 9] = 'a';
    fix_crc(b, len);
    ck_assert_int_eq(mlp_model_open_parts_mem(buf, len, &n2, &p2, NULL, NULL, &det), MLP_ERR_FORMAT);
    ck_assert_msg(strstr(det.message, "contradict each other: class 0 is 'b' in the table "
                                      "encoding, 'a' in the preprocessing") != NULL,
                  "%s", det.message);
    b[at + 4] = 'a';
    b[at + 9] = 'b';
    /* A regression task in the preprocessing of a softmax net. */
    size_t prep = find_bytes(b, len, 0, "PREP", 4);
    ck_assert_uint_lt(prep, len);
    b[prep + 16 + 12] = (unsigned char)MLP_TASK_REGRESS;
    fix_crc(b, len);
    ck_assert_int_eq(mlp_model_open_parts_mem(buf, len, &n2, &p2, NULL, NULL, &det), MLP_ERR_FORMAT);
    ck_assert_msg(strstr(det.message, "regression, the net's output is a softmax") != NULL,
                  "%s", det.message);
    /* ... which saving refuses to write in the first place. */
    ck_assert_int_eq(mlp_preprocess_set_label_info(pre, MLP_TASK_REGRESS, NULL, -1, 0, NULL),
                     MLP_OK);
    void *none = NULL;
    ck_assert_int_eq(mlp_model_write_parts_mem(&none, &len, net, pre, NULL, 0), MLP_ERR_INVALID_ARG);
    mlp_free(buf);
    /* The handle: an encoding of three classes on a net of two outputs is refused. */
    mlp_dataset *ds = encode_ok(enc, t, NULL);
    mlp_model *m = NULL;
    ck_assert_int_eq(mlp_model_build(&m, ds, NULL), MLP_OK);
    ck_assert_int_eq(mlp_model_set_encoding(m, enc), MLP_OK);
    char text3[512];
    snprintf(text3, sizeof text3, "%s", TRAIN_TEXT);
    strstr(text3, "2020-04-01,a")[11] = 'c'; /* a third class, the same features */
    mlp_table *t3 = table_of(text3);
    mlp_table_encoding *enc3 = fit_ok(t3, NULL);
    ck_assert_uint_eq(mlp_table_encoding_input_size(enc3), in);
    ck_assert_int_eq(mlp_model_set_encoding(m, enc3), MLP_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(mlp_preprocess_encoding(mlp_model_preprocess(m))); /* unchanged */
    ck_assert_str_eq(mlp_table_encoding_class_name(
                         mlp_preprocess_encoding(mlp_model_preprocess(m)), 1), "b");
    mlp_table_encoding_free(enc3);
    mlp_table_free(t3);
    mlp_model_free(m);
    mlp_dataset_free(ds);
    mlp_preprocess_free(pre);
    mlp_net_free(net);
    mlp_table_encoding_free(enc);
    mlp_table_free(t);
}
END_TEST

static Suite *table_suite(void)
{
    Suite *s = suite_create("table");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, read_header_quotes_blank_lines);
    tcase_add_test(tc, read_ragged_row_names_line);
    tcase_add_test(tc, split_is_seeded_and_complete);
    tcase_add_test(tc, numbers_read_back_as_their_float);
    tcase_add_test(tc, split_outlives_its_table);
    tcase_add_test(tc, read_options_ex);
    tcase_add_test(tc, read_on_threads_as_on_one);
    tcase_add_test(tc, infer_types);
    tcase_add_test(tc, infer_errors_name_the_column);
    tcase_add_test(tc, task_choice);
    tcase_add_test(tc, stray_text_is_a_missing_value);
    tcase_add_test(tc, count_label_is_regression);
    tcase_add_test(tc, unseen_class_is_counted_not_fatal);
    tcase_add_test(tc, invalid_date_is_a_missing_value);
    tcase_add_test(tc, wide_table_columns_by_name);
    tcase_add_test(tc, encode_impute_fit_on_train_apply_to_test);
    tcase_add_test(tc, encode_dates);
    tcase_add_test(tc, missing_labels_drop_rows);
    tcase_add_test(tc, multi_output_labels);
    tcase_add_test(tc, column_arrays);
    tcase_add_test(tc, column_info_in_one_call);
    tcase_add_test(tc, fit_takes_table_options);
    tcase_add_test(tc, fit_takes_comma_strings);
    tcase_add_test(tc, rare_categories_beyond_the_cap);
    tcase_add_test(tc, many_categories_keep_a_bounded_width);
    tcase_add_test(tc, round_trip_through_model_file);
    tcase_add_test(tc, model_file_checks_the_table_section);
    tcase_add_test(tc, contradicting_sections_are_refused);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(table_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
