/* Preprocessing: fit/apply worked out by hand, labels, clone, setters, bad arguments. */
#define _POSIX_C_SOURCE 200809L
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mlp.h"
#include "test_tmpdir.h"

/* rows x cols data set from a row-major array; one zero target per row. */
static mlp_dataset *make(const float *x, size_t rows, size_t cols)
{
    mlp_dataset *ds = NULL;
    ck_assert_int_eq(mlp_dataset_create(&ds, rows, cols, 1), MLP_OK);
    memcpy(mlp_dataset_inputs(ds), x, rows * cols * sizeof(float));
    return ds;
}

/* Three records, two features: {1,10}, {3,20}, {5,40}. */
static const float base[6] = {1, 10, 3, 20, 5, 40};

START_TEST(create_defaults)
{
    mlp_preprocess *p = NULL;
    ck_assert_int_eq(mlp_preprocess_create(&p, 3), MLP_OK);
    ck_assert_int_eq(mlp_preprocess_scaling(p), MLP_SCALE_NONE);
    ck_assert_uint_eq(mlp_preprocess_input_size(p), 3);
    for (size_t j = 0; j < 3; j++) {
        ck_assert_float_eq(mlp_preprocess_offset(p)[j], 0.0f);
        ck_assert_float_eq(mlp_preprocess_scale(p)[j], 1.0f);
    }
    ck_assert_int_eq(mlp_preprocess_task(p), MLP_TASK_CLASSIFY);
    ck_assert_ptr_null(mlp_preprocess_label_name(p));
    ck_assert_int_eq(mlp_preprocess_label_index(p), -1);
    ck_assert_uint_eq(mlp_preprocess_class_count(p), 0);
    ck_assert_ptr_null(mlp_preprocess_class_name(p, 0));
    mlp_preprocess_free(p);
}
END_TEST

START_TEST(minmax_by_hand)
{
    mlp_dataset *ds = make(base, 3, 2);
    mlp_preprocess *p = NULL;
    ck_assert_int_eq(mlp_preprocess_create(&p, 2), MLP_OK);
    ck_assert_int_eq(mlp_preprocess_fit(p, ds, MLP_SCALE_MINMAX), MLP_OK);
    ck_assert_int_eq(mlp_preprocess_scaling(p), MLP_SCALE_MINMAX);
    /* min {1, 10}, max {5, 40}: scale {1/4, 1/30}. */
    ck_assert_float_eq(mlp_preprocess_offset(p)[0], 1.0f);
    ck_assert_float_eq(mlp_preprocess_offset(p)[1], 10.0f);
    ck_assert_float_eq(mlp_preprocess_scale(p)[0], 0.25f);
    ck_assert_float_eq(mlp_preprocess_scale(p)[1], (float)(1.0 / 30.0));
    ck_assert_int_eq(mlp_preprocess_apply(p, ds), MLP_OK);
    const float want[6] = {0, 0, 0.5f, 1.0f / 3.0f, 1, 1};
    for (size_t i = 0; i < 6; i++)
        ck_assert_float_eq_tol(mlp_dataset_inputs_const(ds)[i], want[i], 1e-6f);
    mlp_preprocess_free(p);
    mlp_dataset_free(ds);
}
END_TEST

/* A feature over +-3e38: x - offset overflows a float, so apply works in double. */
START_TEST(extreme_range_stays_finite)
{
    const float x[4] = {-3e38f, 1.0f, 3e38f, 2.0f};
    for (int sc = MLP_SCALE_MINMAX; sc <= MLP_SCALE_STANDARD; sc++) {
        mlp_dataset *ds = make(x, 2, 2);
        mlp_preprocess *p = NULL;
        ck_assert_int_eq(mlp_preprocess_create(&p, 2), MLP_OK);
        ck_assert_int_eq(mlp_preprocess_fit(p, ds, (mlp_scaling)sc), MLP_OK);
        ck_assert_int_eq(mlp_preprocess_apply(p, ds), MLP_OK);
        const float *y = mlp_dataset_inputs_const(ds);
        const float lo = sc == MLP_SCALE_MINMAX ? 0.0f : -1.0f;
        ck_assert_float_eq_tol(y[0], lo, 1e-5f);
        ck_assert_float_eq_tol(y[2], 1.0f, 1e-5f);
        ck_assert_float_eq_tol(y[1], lo, 1e-5f);
        ck_assert_float_eq_tol(y[3], 1.0f, 1e-5f);
        mlp_preprocess_free(p);
        mlp_dataset_free(ds);
    }
}
END_TEST

START_TEST(standard_by_hand)
{
    mlp_dataset *ds = make(base, 3, 2);
    mlp_preprocess *p = NULL;
    ck_assert_int_eq(mlp_preprocess_create(&p, 2), MLP_OK);
    ck_assert_int_eq(mlp_preprocess_fit(p, ds, MLP_SCALE_STANDARD), MLP_OK);
    /* Means 3 and 70/3; population variances 8/3 and 1400/9. */
    ck_assert_float_eq(mlp_preprocess_offset(p)[0], 3.0f);
    ck_assert_float_eq(mlp_preprocess_offset(p)[1], (float)(70.0 / 3.0));
    ck_assert_float_eq(mlp_preprocess_scale(p)[0], (float)(1.0 / sqrt(8.0 / 3.0)));
    ck_assert_float_eq(mlp_preprocess_scale(p)[1], (float)(1.0 / sqrt(1400.0 / 9.0)));
    ck_assert_int_eq(mlp_preprocess_apply(p, ds), MLP_OK);
    const float *x = mlp_dataset_inputs_const(ds);
    for (size_t j = 0; j < 2; j++) {
        double m = 0, v = 0;
        for (size_t i = 0; i < 3; i++) m += x[2 * i + j];
        m /= 3;
        for (size_t i = 0; i < 3; i++) v += (x[2 * i + j] - m) * (x[2 * i + j] - m);
        ck_assert_double_eq_tol(m, 0.0, 1e-6);
        ck_assert_double_eq_tol(v / 3, 1.0, 1e-5);
    }
    ck_assert_float_eq_tol(x[0], (float)(-2.0 / sqrt(8.0 / 3.0)), 1e-6f);
    mlp_preprocess_free(p);
    mlp_dataset_free(ds);
}
END_TEST

/* ROBUST by hand: feature 0 {1,2,3,4,100} has median 3 and quartiles 2 and 4 (the outlier
 * moves neither); feature 1 {0,0,0,0,5} has coinciding quartiles, so it keeps the standard
 * scaling (mean 1, population std 2); feature 2 is constant. Stored in a model image and
 * read back unchanged. */
START_TEST(robust_by_hand)
{
    const float x[15] = {4, 0, 7, 100, 0, 7, 1, 5, 7, 3, 0, 7, 2, 0, 7};
    mlp_dataset *ds = make(x, 5, 3);
    mlp_preprocess *p = NULL;
    ck_assert_int_eq(mlp_preprocess_create(&p, 3), MLP_OK);
    ck_assert_int_eq(mlp_preprocess_fit(p, ds, MLP_SCALE_ROBUST), MLP_OK);
    ck_assert_int_eq(mlp_preprocess_scaling(p), MLP_SCALE_ROBUST);
    ck_assert_float_eq(mlp_preprocess_offset(p)[0], 3.0f);
    ck_assert_float_eq(mlp_preprocess_scale(p)[0], (float)(1.349 / 2.0));
    ck_assert_float_eq(mlp_preprocess_offset(p)[1], 1.0f);
    ck_assert_float_eq(mlp_preprocess_scale(p)[1], 0.5f);
    ck_assert_float_eq(mlp_preprocess_offset(p)[2], 7.0f);
    ck_assert_float_eq(mlp_preprocess_scale(p)[2], 1.0f);
    ck_assert_int_eq(mlp_preprocess_apply(p, ds), MLP_OK);
    const float *y = mlp_dataset_inputs_const(ds);
    ck_assert_float_eq_tol(y[0], (float)(1.349 / 2.0), 1e-6f);    /* (4 - 3) * 1.349 / 2 */
    ck_assert_float_eq_tol(y[3], (float)(97 * 1.349 / 2.0), 1e-4f);
    ck_assert_float_eq_tol(y[7], (float)(4 * 0.5), 1e-6f);     /* (5 - 1) * 0.5 */

    const size_t sizes[] = {3, 1};
    const mlp_activation acts[] = {MLP_ACT_LINEAR};
    mlp_net *net = NULL, *net2 = NULL;
    mlp_preprocess *q = NULL;
    void *img = NULL;
    size_t size = 0;
    ck_assert_int_eq(mlp_net_create(&net, 1, sizes, acts, MLP_BIAS_PER_NEURON), MLP_OK);
    ck_assert_int_eq(mlp_model_write_parts_mem(&img, &size, net, p, NULL, 0), MLP_OK);
    ck_assert_int_eq(mlp_model_open_parts_mem(img, size, &net2, &q, NULL, NULL, NULL), MLP_OK);
    ck_assert_int_eq(mlp_preprocess_scaling(q), MLP_SCALE_ROBUST);
    ck_assert_mem_eq(mlp_preprocess_offset(q), mlp_preprocess_offset(p), 3 * sizeof(float));
    ck_assert_mem_eq(mlp_preprocess_scale(q), mlp_preprocess_scale(p), 3 * sizeof(float));
    mlp_free(img);
    mlp_net_free(net);
    mlp_net_free(net2);
    mlp_preprocess_free(q);
    mlp_preprocess_free(p);
    mlp_dataset_free(ds);
}
END_TEST

START_TEST(constant_feature)
{
    const float x[6] = {7, 1, 7, 2, 7, 3};
    mlp_scaling kinds[3] = {MLP_SCALE_MINMAX, MLP_SCALE_STANDARD, MLP_SCALE_ROBUST};
    for (int k = 0; k < 3; k++) {
        mlp_dataset *ds = make(x, 3, 2);
        mlp_preprocess *p = NULL;
        ck_assert_int_eq(mlp_preprocess_create(&p, 2), MLP_OK);
        ck_assert_int_eq(mlp_preprocess_fit(p, ds, kinds[k]), MLP_OK);
        ck_assert_float_eq(mlp_preprocess_offset(p)[0], 7.0f);
        ck_assert_float_eq(mlp_preprocess_scale(p)[0], 1.0f);
        ck_assert_int_eq(mlp_preprocess_apply(p, ds), MLP_OK);
        for (size_t i = 0; i < 3; i++) {
            ck_assert_float_eq(mlp_dataset_inputs_const(ds)[2 * i], 0.0f);
            ck_assert(isfinite(mlp_dataset_inputs_const(ds)[2 * i + 1]));
        }
        mlp_preprocess_free(p);
        mlp_dataset_free(ds);
    }
}
END_TEST

START_TEST(fit_uses_only_its_data)
{
    /* Fit on the training rows; the test rows (outside their range) are not looked at. */
    const float test_x[4] = {9, 0, -3, 70};
    mlp_dataset *train = make(base, 3, 2), *test = make(test_x, 2, 2);
    mlp_preprocess *p = NULL;
    ck_assert_int_eq(mlp_preprocess_create(&p, 2), MLP_OK);
    ck_assert_int_eq(mlp_preprocess_fit(p, train, MLP_SCALE_MINMAX), MLP_OK);
    ck_assert_int_eq(mlp_preprocess_apply(p, test), MLP_OK);
    const float *x = mlp_dataset_inputs_const(test);
    ck_assert_float_eq_tol(x[0], 2.0f, 1e-6f);   /* (9 - 1) / 4 */
    ck_assert_float_eq_tol(x[1], -1.0f / 3.0f, 1e-6f); /* (0 - 10) / 30 */
    ck_assert_float_eq_tol(x[2], -1.0f, 1e-6f);  /* (-3 - 1) / 4 */
    ck_assert_float_eq_tol(x[3], 2.0f, 1e-6f);   /* (70 - 10) / 30 */
    /* The training data were not changed by fit. */
    ck_assert_int_eq(memcmp(mlp_dataset_inputs_const(train), base, sizeof base), 0);
    mlp_preprocess_free(p);
    mlp_dataset_free(train);
    mlp_dataset_free(test);
}
END_TEST

START_TEST(none_is_identity)
{
    mlp_dataset *ds = make(base, 3, 2);
    mlp_preprocess *p = NULL;
    ck_assert_int_eq(mlp_preprocess_create(&p, 2), MLP_OK);
    ck_assert_int_eq(mlp_preprocess_fit(p, ds, MLP_SCALE_MINMAX), MLP_OK);
    ck_assert_int_eq(mlp_preprocess_fit(p, ds, MLP_SCALE_NONE), MLP_OK); /* resets */
    ck_assert_int_eq(mlp_preprocess_scaling(p), MLP_SCALE_NONE);
    ck_assert_float_eq(mlp_preprocess_offset(p)[1], 0.0f);
    ck_assert_float_eq(mlp_preprocess_scale(p)[1], 1.0f);
    ck_assert_int_eq(mlp_preprocess_apply(p, ds), MLP_OK);
    ck_assert_int_eq(memcmp(mlp_dataset_inputs_const(ds), base, sizeof base), 0);
    mlp_preprocess_free(p);
    mlp_dataset_free(ds);
}
END_TEST

START_TEST(apply_rows)
{
    mlp_dataset *ds = make(base, 3, 2);
    mlp_preprocess *p = NULL;
    ck_assert_int_eq(mlp_preprocess_create(&p, 2), MLP_OK);
    ck_assert_int_eq(mlp_preprocess_fit(p, ds, MLP_SCALE_MINMAX), MLP_OK);
    float row[2] = {3, 40};
    ck_assert_int_eq(mlp_preprocess_apply_rows(p, row, 1, 2), MLP_OK);
    ck_assert_float_eq_tol(row[0], 0.5f, 1e-6f);
    ck_assert_float_eq_tol(row[1], 1.0f, 1e-6f);
    ck_assert_int_eq(mlp_preprocess_apply_rows(p, row, 1, 3), MLP_ERR_DIMENSION);
    ck_assert_int_eq(mlp_preprocess_apply_rows(p, NULL, 1, 2), MLP_ERR_NULL_ARG);
    ck_assert_int_eq(mlp_preprocess_apply_rows(p, NULL, 0, 2), MLP_OK);
    mlp_preprocess_free(p);
    mlp_dataset_free(ds);
}
END_TEST

START_TEST(bad_args)
{
    mlp_dataset *ds = make(base, 3, 2), *wide = NULL, *empty = NULL;
    mlp_preprocess *p = NULL;
    ck_assert_int_eq(mlp_preprocess_create(NULL, 2), MLP_ERR_NULL_ARG);
    ck_assert_int_eq(mlp_preprocess_create(&p, 0), MLP_ERR_INVALID_ARG);
    ck_assert_ptr_null(p);
    ck_assert_int_eq(mlp_preprocess_create(&p, 2), MLP_OK);
    ck_assert_int_eq(mlp_preprocess_fit(NULL, ds, MLP_SCALE_MINMAX), MLP_ERR_NULL_ARG);
    ck_assert_int_eq(mlp_preprocess_fit(p, NULL, MLP_SCALE_MINMAX), MLP_ERR_NULL_ARG);
    ck_assert_int_eq(mlp_preprocess_fit(p, ds, MLP_SCALE_COUNT), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_preprocess_apply(NULL, ds), MLP_ERR_NULL_ARG);
    ck_assert_int_eq(mlp_preprocess_apply(p, NULL), MLP_ERR_NULL_ARG);
    ck_assert_int_eq(mlp_dataset_create(&wide, 2, 3, 1), MLP_OK);
    ck_assert_int_eq(mlp_preprocess_fit(p, wide, MLP_SCALE_MINMAX), MLP_ERR_DIMENSION);
    ck_assert_int_eq(mlp_preprocess_apply(p, wide), MLP_ERR_DIMENSION);
    ck_assert_int_eq(mlp_dataset_create(&empty, 0, 2, 1), MLP_OK);
    ck_assert_int_eq(mlp_preprocess_fit(p, empty, MLP_SCALE_STANDARD), MLP_ERR_INVALID_ARG);
    /* NaN in the data: NON_FINITE, and the preprocessing is left as it was. */
    ck_assert_int_eq(mlp_preprocess_fit(p, ds, MLP_SCALE_MINMAX), MLP_OK);
    mlp_dataset_inputs(ds)[3] = NAN;
    ck_assert_int_eq(mlp_preprocess_fit(p, ds, MLP_SCALE_STANDARD), MLP_ERR_NON_FINITE);
    ck_assert_int_eq(mlp_preprocess_scaling(p), MLP_SCALE_MINMAX);
    ck_assert_float_eq(mlp_preprocess_scale(p)[0], 0.25f);
    ck_assert_int_eq(mlp_preprocess_clone(NULL, p), MLP_ERR_NULL_ARG);
    mlp_preprocess *q = NULL;
    ck_assert_int_eq(mlp_preprocess_clone(&q, NULL), MLP_ERR_NULL_ARG);
    ck_assert_int_eq(mlp_preprocess_set_labels(p, NULL, MLP_TASK_CLASSIFY), MLP_ERR_NULL_ARG);
    ck_assert_int_eq(mlp_preprocess_set_labels(NULL, ds, MLP_TASK_CLASSIFY), MLP_ERR_NULL_ARG);
    ck_assert_int_eq(mlp_preprocess_set_labels(p, ds, MLP_TASK_COUNT), MLP_ERR_INVALID_ARG);
    /* NULL-safe accessors. */
    mlp_preprocess_free(NULL);
    ck_assert_ptr_null(mlp_preprocess_offset(NULL));
    ck_assert_uint_eq(mlp_preprocess_class_count(NULL), 0);
    mlp_preprocess_free(p);
    mlp_dataset_free(ds);
    mlp_dataset_free(wide);
    mlp_dataset_free(empty);
}
END_TEST

START_TEST(labels_and_clone)
{
    char dir[64];
    tu_tmpdir_create(dir, "mlp_pre_");
    const char *path = tu_tmpdir_write(dir, "d.csv", "a,species,b\n1,setosa,2\n3,virginica,4\n5,setosa,8\n");
    mlp_csv_options o = mlp_csv_options_default();
    o.label_name = "species";
    mlp_dataset *ds = NULL;
    mlp_status st = mlp_dataset_open_csv(&ds, path, &o, NULL);
    tu_tmpdir_remove(dir);
    ck_assert_int_eq(st, MLP_OK);

    mlp_preprocess *p = NULL, *q = NULL;
    ck_assert_int_eq(mlp_preprocess_create(&p, 2), MLP_OK);
    ck_assert_int_eq(mlp_preprocess_fit(p, ds, MLP_SCALE_STANDARD), MLP_OK);
    ck_assert_int_eq(mlp_preprocess_set_labels(p, ds, MLP_TASK_CLASSIFY), MLP_OK);
    mlp_dataset_free(ds); /* the preprocessing keeps its own copies */
    ck_assert_int_eq(mlp_preprocess_task(p), MLP_TASK_CLASSIFY);
    ck_assert_str_eq(mlp_preprocess_label_name(p), "species");
    ck_assert_int_eq(mlp_preprocess_label_index(p), 1);
    ck_assert_uint_eq(mlp_preprocess_class_count(p), 2);
    ck_assert_str_eq(mlp_preprocess_class_name(p, 0), "setosa");
    ck_assert_str_eq(mlp_preprocess_class_name(p, 1), "virginica");
    ck_assert_ptr_null(mlp_preprocess_class_name(p, 2));

    ck_assert_int_eq(mlp_preprocess_clone(&q, p), MLP_OK);
    float off[2], sc[2];
    memcpy(off, mlp_preprocess_offset(p), sizeof off);
    memcpy(sc, mlp_preprocess_scale(p), sizeof sc);
    ck_assert_ptr_ne(mlp_preprocess_class_name(q, 0), mlp_preprocess_class_name(p, 0));
    mlp_preprocess_free(p);
    ck_assert_int_eq(mlp_preprocess_scaling(q), MLP_SCALE_STANDARD);
    ck_assert_int_eq(memcmp(mlp_preprocess_offset(q), off, sizeof off), 0);
    ck_assert_int_eq(memcmp(mlp_preprocess_scale(q), sc, sizeof sc), 0);
    ck_assert_str_eq(mlp_preprocess_label_name(q), "species");
    ck_assert_int_eq(mlp_preprocess_label_index(q), 1);
    ck_assert_str_eq(mlp_preprocess_class_name(q, 1), "virginica");
    mlp_preprocess_free(q);
}
END_TEST

START_TEST(setters)
{
    mlp_preprocess *p = NULL;
    ck_assert_int_eq(mlp_preprocess_create(&p, 2), MLP_OK);
    const float off[2] = {1, -2}, sc[2] = {0.5f, 4};
    ck_assert_int_eq(mlp_preprocess_set_scaling(p, MLP_SCALE_MINMAX, off, sc), MLP_OK);
    ck_assert_int_eq(mlp_preprocess_scaling(p), MLP_SCALE_MINMAX);
    ck_assert_float_eq(mlp_preprocess_offset(p)[1], -2.0f);
    ck_assert_float_eq(mlp_preprocess_scale(p)[1], 4.0f);
    float row[2] = {3, 0};
    ck_assert_int_eq(mlp_preprocess_apply_rows(p, row, 1, 2), MLP_OK);
    ck_assert_float_eq(row[0], 1.0f);
    ck_assert_float_eq(row[1], 8.0f);
    const float bad[2] = {1, NAN};
    ck_assert_int_eq(mlp_preprocess_set_scaling(p, MLP_SCALE_STANDARD, off, bad),
                     MLP_ERR_NON_FINITE);
    ck_assert_int_eq(mlp_preprocess_set_scaling(p, MLP_SCALE_STANDARD, NULL, sc),
                     MLP_ERR_NULL_ARG);
    ck_assert_int_eq(mlp_preprocess_set_scaling(p, MLP_SCALE_COUNT, off, sc),
                     MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_preprocess_scaling(p), MLP_SCALE_MINMAX); /* unchanged */
    ck_assert_int_eq(mlp_preprocess_set_scaling(p, MLP_SCALE_NONE, NULL, NULL), MLP_OK);
    ck_assert_float_eq(mlp_preprocess_scale(p)[1], 1.0f);

    const char *names[3] = {"lo", "mid", "hi"};
    ck_assert_int_eq(mlp_preprocess_set_label_info(p, MLP_TASK_CLASSIFY, "grade", 4, 3, names),
                     MLP_OK);
    ck_assert_str_eq(mlp_preprocess_label_name(p), "grade");
    ck_assert_int_eq(mlp_preprocess_label_index(p), 4);
    ck_assert_uint_eq(mlp_preprocess_class_count(p), 3);
    ck_assert_str_eq(mlp_preprocess_class_name(p, 2), "hi");
    ck_assert_ptr_ne(mlp_preprocess_class_name(p, 2), names[2]);
    const char *holes[2] = {"a", NULL};
    ck_assert_int_eq(mlp_preprocess_set_label_info(p, MLP_TASK_CLASSIFY, NULL, 0, 2, holes),
                     MLP_ERR_NULL_ARG);
    ck_assert_int_eq(mlp_preprocess_set_label_info(p, MLP_TASK_COUNT, NULL, 0, 0, NULL),
                     MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_preprocess_set_label_info(p, MLP_TASK_REGRESS, NULL, -2, 0, NULL),
                     MLP_ERR_INVALID_ARG);
    ck_assert_uint_eq(mlp_preprocess_class_count(p), 3); /* unchanged by the failures */
    ck_assert_int_eq(mlp_preprocess_set_label_info(p, MLP_TASK_REGRESS, NULL, -1, 0, NULL),
                     MLP_OK);
    ck_assert_int_eq(mlp_preprocess_task(p), MLP_TASK_REGRESS);
    ck_assert_ptr_null(mlp_preprocess_label_name(p));
    ck_assert_uint_eq(mlp_preprocess_class_count(p), 0);
    mlp_preprocess_free(p);
}
END_TEST

static Suite *preprocess_suite(void)
{
    Suite *s = suite_create("preprocess");
    TCase *tc = tcase_create("preprocess");
    tcase_add_test(tc, create_defaults);
    tcase_add_test(tc, minmax_by_hand);
    tcase_add_test(tc, standard_by_hand);
    tcase_add_test(tc, robust_by_hand);
    tcase_add_test(tc, extreme_range_stays_finite);
    tcase_add_test(tc, constant_feature);
    tcase_add_test(tc, fit_uses_only_its_data);
    tcase_add_test(tc, none_is_identity);
    tcase_add_test(tc, apply_rows);
    tcase_add_test(tc, bad_args);
    tcase_add_test(tc, labels_and_clone);
    tcase_add_test(tc, setters);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(preprocess_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
