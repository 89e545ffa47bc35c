/* Data set object and the seeded split. */
#define _POSIX_C_SOURCE 200809L
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mlp.h"
#include "test_tmpdir.h"

/* count records of 2 inputs {i, -i} and 1 target {10 i}: every record knows its index. */
static mlp_dataset *numbered(size_t count)
{
    mlp_dataset *ds = NULL;
    ck_assert_int_eq(mlp_dataset_create(&ds, count, 2, 1), MLP_OK);
    float *x = mlp_dataset_inputs(ds), *y = mlp_dataset_targets(ds);
    for (size_t i = 0; i < count; i++) {
        x[2 * i] = (float)i;
        x[2 * i + 1] = -(float)i;
        y[i] = 10.0f * (float)i;
    }
    return ds;
}

/* Checks that train and val partition ds's records, each part in increasing order;
 * marks[i] is set to 1 for the records in val. */
static void check_partition(const mlp_dataset *train, const mlp_dataset *val, size_t count,
                            unsigned char *marks)
{
    memset(marks, 0, count);
    const mlp_dataset *parts[2] = {train, val};
    for (int p = 0; p < 2; p++) {
        const float *x = mlp_dataset_inputs_const(parts[p]);
        const float *y = mlp_dataset_targets_const(parts[p]);
        ck_assert_uint_eq(mlp_dataset_input_size(parts[p]), 2);
        ck_assert_uint_eq(mlp_dataset_target_size(parts[p]), 1);
        for (size_t r = 0; r < mlp_dataset_count(parts[p]); r++) {
            size_t i = (size_t)x[2 * r];
            ck_assert_uint_lt(i, count);
            ck_assert_float_eq(x[2 * r + 1], -(float)i);
            ck_assert_float_eq(y[r], 10.0f * (float)i);
            ck_assert_msg(marks[i] == 0, "record %zu twice", i);
            marks[i] = (unsigned char)(p ? 1 : 2);
            if (r) ck_assert_float_lt(x[2 * (r - 1)], x[2 * r]);
        }
    }
    for (size_t i = 0; i < count; i++) ck_assert_msg(marks[i] != 0, "record %zu lost", i);
    for (size_t i = 0; i < count; i++) marks[i] = marks[i] == 1;
}

START_TEST(create_zero_filled)
{
    mlp_dataset *ds = NULL;
    ck_assert_int_eq(mlp_dataset_create(&ds, 4, 3, 2), MLP_OK);
    ck_assert_uint_eq(mlp_dataset_count(ds), 4);
    ck_assert_uint_eq(mlp_dataset_input_size(ds), 3);
    ck_assert_uint_eq(mlp_dataset_target_size(ds), 2);
    for (size_t i = 0; i < 12; i++) ck_assert_float_eq(mlp_dataset_inputs_const(ds)[i], 0.0f);
    for (size_t i = 0; i < 8; i++) ck_assert_float_eq(mlp_dataset_targets_const(ds)[i], 0.0f);
    ck_assert_ptr_eq(mlp_dataset_inputs(ds), mlp_dataset_inputs_const(ds));
    ck_assert_ptr_eq(mlp_dataset_targets(ds), mlp_dataset_targets_const(ds));
    ck_assert_uint_eq(mlp_dataset_class_count(ds), 0);
    ck_assert_ptr_null(mlp_dataset_class_name(ds, 0));
    ck_assert_ptr_null(mlp_dataset_label_name(ds));
    ck_assert_int_eq(mlp_dataset_label_index(ds), -1);
    mlp_dataset_free(ds);
    /* Empty data sets exist (a split with fraction 0 gives one); pointers stay valid. */
    ck_assert_int_eq(mlp_dataset_create(&ds, 0, 3, 0), MLP_OK);
    ck_assert_uint_eq(mlp_dataset_count(ds), 0);
    ck_assert_ptr_nonnull(mlp_dataset_inputs(ds));
    ck_assert_ptr_nonnull(mlp_dataset_targets(ds));
    mlp_dataset_free(ds);
}
END_TEST

START_TEST(create_bad_args)
{
    mlp_dataset *ds = NULL;
    ck_assert_int_eq(mlp_dataset_create(NULL, 1, 1, 1), MLP_ERR_NULL_ARG);
    ck_assert_int_eq(mlp_dataset_create(&ds, 1, 0, 1), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_dataset_create(&ds, SIZE_MAX / 2, 4, 1), MLP_ERR_NO_MEMORY);
    ck_assert_int_eq(mlp_dataset_create(&ds, 2, 1, SIZE_MAX / 2), MLP_ERR_NO_MEMORY);
    ck_assert_ptr_null(ds);
    /* NULL-safe accessors and free. */
    mlp_dataset_free(NULL);
    ck_assert_uint_eq(mlp_dataset_count(NULL), 0);
    ck_assert_ptr_null(mlp_dataset_inputs(NULL));
    ck_assert_ptr_null(mlp_dataset_class_name(NULL, 0));
    ck_assert_int_eq(mlp_dataset_label_index(NULL), -1);
}
END_TEST

START_TEST(split_sizes)
{
    mlp_dataset *ds = numbered(10), *tr = NULL, *va = NULL;
    unsigned char marks[10];
    const struct { float f; size_t want; } cases[] = {
        {0.3f, 3}, {0.25f, 3} /* 2.5 rounds up */, {0.5f, 5}, {0.01f, 1} /* never empty */,
        {0.99f, 9} /* train never empty */, {0.04f, 1}, {0.14f, 1}, {0.16f, 2},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        ck_assert_int_eq(mlp_dataset_split(ds, cases[k].f, 7, &tr, &va), MLP_OK);
        ck_assert_msg(mlp_dataset_count(va) == cases[k].want, "fraction %g: val %zu, want %zu",
                      cases[k].f, mlp_dataset_count(va), cases[k].want);
        ck_assert_uint_eq(mlp_dataset_count(tr), 10 - cases[k].want);
        check_partition(tr, va, 10, marks);
        mlp_dataset_free(tr);
        mlp_dataset_free(va);
    }
    mlp_dataset_free(ds);
}
END_TEST

START_TEST(split_fraction_zero)
{
    mlp_dataset *ds = numbered(5), *tr = NULL, *va = NULL;
    unsigned char marks[5];
    ck_assert_int_eq(mlp_dataset_split(ds, 0.0f, 1, &tr, &va), MLP_OK);
    ck_assert_uint_eq(mlp_dataset_count(tr), 5);
    ck_assert_uint_eq(mlp_dataset_count(va), 0);
    ck_assert_uint_eq(mlp_dataset_input_size(va), 2);
    check_partition(tr, va, 5, marks);
    ck_assert_int_eq(memcmp(mlp_dataset_inputs_const(tr), mlp_dataset_inputs_const(ds),
                            10 * sizeof(float)), 0);
    mlp_dataset_free(tr);
    mlp_dataset_free(va);
    mlp_dataset_free(ds);
}
END_TEST

START_TEST(split_deterministic)
{
    size_t n = 200;
    mlp_dataset *ds = numbered(n), *tr = NULL, *va = NULL;
    unsigned char a[200], b[200], c[200];
    ck_assert_int_eq(mlp_dataset_split(ds, 0.2f, 42, &tr, &va), MLP_OK);
    ck_assert_uint_eq(mlp_dataset_count(va), 40);
    check_partition(tr, va, n, a);
    mlp_dataset_free(tr);
    mlp_dataset_free(va);
    ck_assert_int_eq(mlp_dataset_split(ds, 0.2f, 42, &tr, &va), MLP_OK);
    check_partition(tr, va, n, b);
    mlp_dataset_free(tr);
    mlp_dataset_free(va);
    ck_assert_int_eq(memcmp(a, b, n), 0);
    ck_assert_int_eq(mlp_dataset_split(ds, 0.2f, 43, &tr, &va), MLP_OK);
    check_partition(tr, va, n, c);
    mlp_dataset_free(tr);
    mlp_dataset_free(va);
    ck_assert_msg(memcmp(a, c, n) != 0, "seeds 42 and 43 gave the same split");
    /* Random, not a prefix or suffix of the records. */
    size_t first = 0;
    for (size_t i = 0; i < 40; i++) first += a[i];
    ck_assert_uint_lt(first, 40);
    ck_assert_uint_gt(first, 0);
    mlp_dataset_free(ds);
}
END_TEST

START_TEST(split_bad_args)
{
    mlp_dataset *ds = numbered(4), *one = numbered(1), *tr = NULL, *va = NULL;
    ck_assert_int_eq(mlp_dataset_split(ds, 1.0f, 0, &tr, &va), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_dataset_split(ds, -0.1f, 0, &tr, &va), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_dataset_split(ds, NAN, 0, &tr, &va), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_dataset_split(ds, INFINITY, 0, &tr, &va), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_dataset_split(one, 0.5f, 0, &tr, &va), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_dataset_split(NULL, 0.5f, 0, &tr, &va), MLP_ERR_NULL_ARG);
    ck_assert_int_eq(mlp_dataset_split(ds, 0.5f, 0, NULL, &va), MLP_ERR_NULL_ARG);
    ck_assert_int_eq(mlp_dataset_split(ds, 0.5f, 0, &tr, NULL), MLP_ERR_NULL_ARG);
    ck_assert_ptr_null(tr);
    ck_assert_ptr_null(va);
    ck_assert_int_eq(mlp_dataset_split(one, 0.0f, 0, &tr, &va), MLP_OK);
    ck_assert_uint_eq(mlp_dataset_count(tr), 1);
    mlp_dataset_free(tr);
    mlp_dataset_free(va);
    mlp_dataset_free(one);
    mlp_dataset_free(ds);
}
END_TEST

START_TEST(split_copies_labels)
{
    /* Class names and label column come from a CSV and travel into both parts. */
    char dir[64];
    tu_tmpdir_create(dir, "mlp_ds_");
    const char *path = tu_tmpdir_write(dir, "d.csv", "x,kind\n1,b\n2,a\n3,b\n4,c\n");
    mlp_dataset *ds = NULL, *tr = NULL, *va = NULL;
    mlp_status st = mlp_dataset_open_csv(&ds, path, NULL, NULL);
    tu_tmpdir_remove(dir);
    ck_assert_int_eq(st, MLP_OK);
    ck_assert_int_eq(mlp_dataset_split(ds, 0.5f, 3, &tr, &va), MLP_OK);
    mlp_dataset *parts[2] = {tr, va};
    for (int p = 0; p < 2; p++) {
        ck_assert_uint_eq(mlp_dataset_count(parts[p]), 2);
        ck_assert_uint_eq(mlp_dataset_class_count(parts[p]), 3);
        ck_assert_uint_eq(mlp_dataset_target_size(parts[p]), 3);
        ck_assert_str_eq(mlp_dataset_class_name(parts[p], 0), "a");
        ck_assert_str_eq(mlp_dataset_class_name(parts[p], 2), "c");
        ck_assert_str_eq(mlp_dataset_label_name(parts[p]), "kind");
        ck_assert_int_eq(mlp_dataset_label_index(parts[p]), 1);
        /* Deep copies: not the source's strings. */
        ck_assert_ptr_ne(mlp_dataset_class_name(parts[p], 0), mlp_dataset_class_name(ds, 0));
    }
    mlp_dataset_free(ds);
    ck_assert_str_eq(mlp_dataset_class_name(tr, 1), "b"); /* still valid after the free */
    mlp_dataset_free(tr);
    mlp_dataset_free(va);
}
END_TEST

static Suite *dataset_suite(void)
{
    Suite *s = suite_create("dataset");
    TCase *tc = tcase_create("dataset");
    tcase_add_test(tc, create_zero_filled);
    tcase_add_test(tc, create_bad_args);
    tcase_add_test(tc, split_sizes);
    tcase_add_test(tc, split_fraction_zero);
    tcase_add_test(tc, split_deterministic);
    tcase_add_test(tc, split_bad_args);
    tcase_add_test(tc, split_copies_labels);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(dataset_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
