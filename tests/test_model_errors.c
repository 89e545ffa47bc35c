/* The model handle's calls say which argument is wrong and why (the _ex variants), the base
 * calls return the same status; data sets made in memory carry classes (integer labels or
 * one-hot plus names) that mlp_model_build infers classification from; mlp_model_evaluate
 * gives mlp_evaluate's numbers; a table without an encoding is read as numbers. */
#define _POSIX_C_SOURCE 200809L /* mkdtemp, fmemopen */
#include "mlp.h"
#include "test_tmpdir.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N 40
#define IN 3

static char tmp[64];

/* N records of IN inputs; targets one-hot over 2 classes (class = x0 > 0). */
static mlp_dataset *two_classes(void)
{
    float x[N * IN];
    size_t labels[N];
    for (size_t i = 0; i < N; i++) {
        for (size_t j = 0; j < IN; j++) x[i * IN + j] = (float)((i * 7 + j * 3) % 11) - 5.0f;
        labels[i] = x[i * IN] > 0.0f;
    }
    mlp_dataset *ds = NULL;
    static const char *const names[2] = {"low", "high"};
    ck_assert_int_eq(mlp_dataset_create_classes(&ds, N, IN, x, labels, 2, names, NULL), MLP_OK);
    return ds;
}

/* N records, one numeric target. */
static mlp_dataset *regression(size_t input_size)
{
    mlp_dataset *ds = NULL;
    ck_assert_int_eq(mlp_dataset_create(&ds, N, input_size, 1), MLP_OK);
    float *x = mlp_dataset_inputs(ds), *y = mlp_dataset_targets(ds);
    for (size_t i = 0; i < N; i++) {
        for (size_t j = 0; j < input_size; j++) x[i * input_size + j] = (float)(i + j) * 0.1f;
        y[i] = 100.0f + (float)i;
    }
    return ds;
}

/* status want, and a message that names `field`. */
static void expect(mlp_status got, mlp_status want, const mlp_error_detail *d,
                   const char *field)
{
    ck_assert_msg(got == want, "status %d, want %d (%s)", (int)got, (int)want, d->message);
    ck_assert_msg(strstr(d->message, field) != NULL, "message '%s' does not name '%s'",
                  d->message, field);
}

START_TEST(build_names_the_field)
{
    mlp_dataset *ds = two_classes();
    mlp_model *m = NULL;
    mlp_error_detail d;
    mlp_model_config c;

    memset(&c, 0, sizeof c); /* zeroed instead of taken from _default */
    expect(mlp_model_build_ex(&m, ds, &c, &d), MLP_ERR_INVALID_ARG, &d, "struct_size");
    ck_assert_int_eq(mlp_model_build(&m, ds, &c), MLP_ERR_INVALID_ARG);

    static const size_t zero_first[2] = {0, 4};
    c = mlp_model_config_default();
    c.hidden_sizes = zero_first;
    expect(mlp_model_build_ex(&m, ds, &c, &d), MLP_ERR_INVALID_ARG, &d, "hidden_sizes[0]");
    ck_assert_int_eq(mlp_model_build(&m, ds, &c), MLP_ERR_INVALID_ARG);

    c = mlp_model_config_default();
    c.optimizer.learning_rate = -0.1f;
    expect(mlp_model_build_ex(&m, ds, &c, &d), MLP_ERR_INVALID_ARG, &d,
           "config->optimizer.learning_rate");
    c.optimizer.learning_rate = NAN;
    expect(mlp_model_build_ex(&m, ds, &c, &d), MLP_ERR_NON_FINITE, &d,
           "config->optimizer.learning_rate");

    c = mlp_model_config_default();
    c.hidden_count = 1000;
    expect(mlp_model_build_ex(&m, ds, &c, &d), MLP_ERR_INVALID_ARG, &d, "hidden_count");
    c = mlp_model_config_default();
    c.task = (mlp_task)7;
    expect(mlp_model_build_ex(&m, ds, &c, &d), MLP_ERR_INVALID_ARG, &d, "config->task");
    c = mlp_model_config_default();
    c.scaling = (mlp_scaling)9;
    expect(mlp_model_build_ex(&m, ds, &c, &d), MLP_ERR_INVALID_ARG, &d, "config->scaling");
    c = mlp_model_config_default();
    c.hidden_activation = MLP_ACT_SOFTMAX;
    ck_assert_int_eq(mlp_model_build_ex(&m, ds, &c, &d), MLP_ERR_SOFTMAX_HIDDEN);
    ck_assert(d.message[0] != '\0');

    expect(mlp_model_build_ex(NULL, ds, NULL, &d), MLP_ERR_NULL_ARG, &d, "out");
    expect(mlp_model_build_ex(&m, NULL, NULL, &d), MLP_ERR_NULL_ARG, &d, "train");
    mlp_dataset *empty = NULL;
    ck_assert_int_eq(mlp_dataset_create(&empty, 0, IN, 2), MLP_OK);
    expect(mlp_model_build_ex(&m, empty, NULL, &d), MLP_ERR_INVALID_ARG, &d, "no records");
    mlp_dataset_free(empty);

    mlp_dataset *nan = regression(IN);
    mlp_dataset_inputs(nan)[5 * IN + 2] = NAN;
    expect(mlp_model_build_ex(&m, nan, NULL, &d), MLP_ERR_NON_FINITE, &d, "record 5, input 2");
    mlp_dataset_free(nan);

    mlp_dataset *no_targets = NULL;
    ck_assert_int_eq(mlp_dataset_create(&no_targets, N, IN, 0), MLP_OK);
    expect(mlp_model_build_ex(&m, no_targets, NULL, &d), MLP_ERR_INVALID_ARG, &d, "target");
    mlp_dataset_free(no_targets);
    ck_assert_ptr_null(m);
    mlp_dataset_free(ds);
}
END_TEST

START_TEST(train_names_the_field)
{
    mlp_dataset *ds = regression(IN), *narrow = regression(IN - 1);
    mlp_model *m = NULL;
    mlp_error_detail d;
    ck_assert_int_eq(mlp_model_build_ex(&m, ds, NULL, &d), MLP_OK);

    mlp_train_config c = mlp_train_config_default();
    c.dropout = 1.5f;
    expect(mlp_model_train_ex(m, ds, NULL, &c, NULL, &d), MLP_ERR_INVALID_ARG, &d, "dropout");
    ck_assert_int_eq(mlp_model_train(m, ds, NULL, &c, NULL), MLP_ERR_INVALID_ARG);

    c = mlp_train_config_default();
    c.patience = 5;
    expect(mlp_model_train_ex(m, ds, NULL, &c, NULL, &d), MLP_ERR_INVALID_ARG, &d, "patience");
    ck_assert_int_eq(mlp_model_train(m, ds, NULL, &c, NULL), MLP_ERR_INVALID_ARG);

    memset(&c, 0, sizeof c);
    expect(mlp_model_train_ex(m, ds, NULL, &c, NULL, &d), MLP_ERR_INVALID_ARG, &d,
           "struct_size");

    expect(mlp_model_train_ex(m, narrow, NULL, NULL, NULL, &d), MLP_ERR_DIMENSION, &d,
           "train has 2 inputs");
    expect(mlp_model_train_ex(m, ds, narrow, NULL, NULL, &d), MLP_ERR_DIMENSION, &d,
           "val has 2 inputs");
    expect(mlp_model_train_ex(NULL, ds, NULL, NULL, NULL, &d), MLP_ERR_NULL_ARG, &d, "model");
    ck_assert_uint_eq(mlp_model_epoch(m), 0); /* nothing ran */

    /* a model without an optimizer predicts but cannot train */
    mlp_net *net = NULL;
    ck_assert_int_eq(mlp_net_clone(&net, mlp_model_net(m)), MLP_OK);
    mlp_model *bare = NULL;
    ck_assert_int_eq(mlp_model_create_ex(&bare, net, NULL, NULL, &d), MLP_OK);
    expect(mlp_model_train_ex(bare, ds, NULL, NULL, NULL, &d), MLP_ERR_INVALID_ARG, &d,
           "optimizer");
    mlp_model_free(bare);
    mlp_model_free(m);
    mlp_dataset_free(ds);
    mlp_dataset_free(narrow);
}
END_TEST

START_TEST(predict_and_classify_name_the_argument)
{
    mlp_dataset *cls = two_classes(), *reg = regression(IN);
    mlp_model *mc = NULL, *mr = NULL;
    ck_assert_int_eq(mlp_model_build(&mc, cls, NULL), MLP_OK);
    ck_assert_int_eq(mlp_model_build(&mr, reg, NULL), MLP_OK);
    mlp_error_detail d;
    float rows[2 * IN] = {1, 2, 3, 4, 5, 6}, out[4] = {0};
    size_t classes[2] = {9, 9};

    expect(mlp_model_predict_ex(mc, NULL, 2, out, &d), MLP_ERR_NULL_ARG, &d, "raw_rows");
    expect(mlp_model_predict_ex(mc, rows, 0, out, &d), MLP_ERR_INVALID_ARG, &d, "n is 0");
    rows[IN + 2] = INFINITY;
    expect(mlp_model_predict_ex(mc, rows, 2, out, &d), MLP_ERR_NON_FINITE, &d,
           "record 1, input 2");
    ck_assert_int_eq(mlp_model_predict(mc, rows, 2, out), MLP_ERR_NON_FINITE);
    ck_assert_float_eq(out[0], 0.0f); /* unchanged */
    rows[IN + 2] = 6;
    expect(mlp_model_classify_ex(mr, rows, 2, classes, NULL, &d), MLP_ERR_INVALID_ARG, &d,
           "regression");
    ck_assert_int_eq(mlp_model_classify(mr, rows, 2, classes), MLP_ERR_INVALID_ARG);
    expect(mlp_model_classify_ex(mc, rows, 2, NULL, NULL, &d), MLP_ERR_NULL_ARG, &d,
           "classes");

    /* a scratch of another topology */
    mlp_dataset *wide = regression(IN + 2);
    mlp_model *mw = NULL;
    mlp_model_scratch *s = NULL;
    ck_assert_int_eq(mlp_model_build(&mw, wide, NULL), MLP_OK);
    ck_assert_int_eq(mlp_model_scratch_create(&s, mw, 4), MLP_OK);
    expect(mlp_model_predict_with_ex(mc, s, rows, 2, out, &d), MLP_ERR_WORKSPACE_MISMATCH, &d,
           "scratch");
    expect(mlp_model_classify_with_ex(mc, s, rows, 2, classes, NULL, &d),
           MLP_ERR_WORKSPACE_MISMATCH, &d, "scratch");
    mlp_model_scratch_free(s);

    /* classify_ex's outputs are predict's, and its classes their argmax */
    float probs[4], want[4];
    ck_assert_int_eq(mlp_model_classify_ex(mc, rows, 2, classes, probs, &d), MLP_OK);
    ck_assert_int_eq(mlp_model_predict(mc, rows, 2, want), MLP_OK);
    for (int i = 0; i < 4; i++) ck_assert_float_eq(probs[i], want[i]);
    for (int r = 0; r < 2; r++)
        ck_assert_uint_eq(classes[r], want[2 * r + 1] > want[2 * r] ? 1u : 0u);

    mlp_model_free(mw);
    mlp_dataset_free(wide);
    mlp_model_free(mc);
    mlp_model_free(mr);
    mlp_dataset_free(cls);
    mlp_dataset_free(reg);
}
END_TEST

START_TEST(create_open_write_name_the_part)
{
    mlp_error_detail d;
    size_t sizes[3] = {IN, 4, 2};
    mlp_activation acts[2] = {MLP_ACT_RELU, MLP_ACT_LINEAR};
    mlp_net *net = NULL;
    mlp_preprocess *pre = NULL;
    ck_assert_int_eq(mlp_net_create(&net, 2, sizes, acts, MLP_BIAS_PER_NEURON), MLP_OK);
    ck_assert_int_eq(mlp_preprocess_create(&pre, IN + 1), MLP_OK);
    mlp_model *m = NULL;
    expect(mlp_model_create_ex(&m, net, pre, NULL, &d), MLP_ERR_DIMENSION, &d, "pre");
    expect(mlp_model_create_ex(&m, NULL, NULL, NULL, &d), MLP_ERR_NULL_ARG, &d, "net");
    mlp_preprocess_free(pre);
    /* without pre, the task follows the output layer: linear is regression */
    ck_assert_int_eq(mlp_model_create_ex(&m, net, NULL, NULL, &d), MLP_OK);
    ck_assert_int_eq(mlp_preprocess_task(mlp_model_preprocess(m)), MLP_TASK_REGRESS);

    char path[128];
    snprintf(path, sizeof path, "%s/none/model.mlp", tmp);
    expect(mlp_model_write(m, path, &d), MLP_ERR_IO, &d, "/none");
    expect(mlp_model_write(m, "", &d), MLP_ERR_INVALID_ARG, &d, "path");
    void *image = NULL;
    size_t size = 0;
    expect(mlp_model_write_mem_ex(m, NULL, &size, &d), MLP_ERR_NULL_ARG, &d, "data");
    mlp_net_params(net)[0] = NAN; /* net is the model's now, still this pointer */
    expect(mlp_model_write_mem_ex(m, &image, &size, &d), MLP_ERR_NON_FINITE, &d, "NaN");
    ck_assert_int_eq(mlp_model_write_mem(m, &image, &size), MLP_ERR_NON_FINITE);
    ck_assert_ptr_null(image);
    mlp_model_scratch *s = NULL;
    expect(mlp_model_scratch_create_ex(&s, m, 0, &d), MLP_ERR_INVALID_ARG, &d, "max_batch");
    ck_assert_int_eq(mlp_model_scratch_create(&s, m, 0), MLP_ERR_INVALID_ARG);
    mlp_table *t = NULL;
    mlp_table_encoding *enc = NULL;
    FILE *fp = fmemopen((void *)"a,y\n1,2\n3,4\n", 12, "r");
    ck_assert_int_eq(mlp_table_open_stream(&t, fp, "mem", NULL, NULL), MLP_OK);
    fclose(fp);
    ck_assert_int_eq(mlp_table_encoding_fit(&enc, t, NULL, NULL), MLP_OK);
    expect(mlp_model_set_encoding_ex(m, enc, &d), MLP_ERR_DIMENSION, &d, "enc makes 1 inputs");
    ck_assert_int_eq(mlp_model_set_encoding(m, enc), MLP_ERR_DIMENSION);
    mlp_table_encoding_free(enc);
    mlp_table_free(t);
    mlp_model *back = NULL;
    expect(mlp_model_open(&back, path, NULL, &d), MLP_ERR_IO, &d, path);
    expect(mlp_model_open(&back, NULL, NULL, &d), MLP_ERR_NULL_ARG, &d, "path");
    mlp_model_free(m);
}
END_TEST

START_TEST(classes_from_labels)
{
    mlp_error_detail d;
    mlp_dataset *ds = NULL;
    float x[4 * 2] = {0, 1, 2, 3, 4, 5, 6, 7};
    size_t labels[4] = {2, 0, 1, 2};
    ck_assert_int_eq(mlp_dataset_create_classes(&ds, 4, 2, x, labels, 3, NULL, &d), MLP_OK);
    ck_assert_uint_eq(mlp_dataset_target_size(ds), 3);
    ck_assert_uint_eq(mlp_dataset_class_count(ds), 3);
    ck_assert_str_eq(mlp_dataset_class_name(ds, 2), "2");
    const float *t = mlp_dataset_targets_const(ds);
    for (size_t i = 0; i < 4; i++)
        for (size_t k = 0; k < 3; k++) ck_assert_float_eq(t[i * 3 + k], k == labels[i]);
    ck_assert_float_eq(mlp_dataset_inputs_const(ds)[5], 5.0f);
    mlp_dataset_free(ds);
    ds = NULL;

    labels[3] = 3;
    expect(mlp_dataset_create_classes(&ds, 4, 2, x, labels, 3, NULL, &d), MLP_ERR_INVALID_ARG,
           &d, "labels[3]");
    expect(mlp_dataset_create_classes(&ds, 4, 2, x, labels, 1, NULL, &d), MLP_ERR_INVALID_ARG,
           &d, "class_count");
    expect(mlp_dataset_create_classes(&ds, 4, 2, x, NULL, 3, NULL, &d), MLP_ERR_NULL_ARG, &d,
           "labels");
    ck_assert_ptr_null(ds);

    /* built from it: classification inferred, the names answered */
    mlp_dataset *two = two_classes();
    mlp_model *m = NULL;
    ck_assert_int_eq(mlp_model_build(&m, two, NULL), MLP_OK);
    ck_assert_int_eq(mlp_preprocess_task(mlp_model_preprocess(m)), MLP_TASK_CLASSIFY);
    ck_assert_int_eq(mlp_net_activation(mlp_model_net(m), 2), MLP_ACT_SOFTMAX);
    ck_assert_str_eq(mlp_model_class_name(m, 0), "low");
    ck_assert_str_eq(mlp_model_class_name(m, 1), "high");
    ck_assert_ptr_null(mlp_model_class_name(m, 2));
    mlp_model_free(m);
    mlp_dataset_free(two);
}
END_TEST

START_TEST(classes_for_one_hot_targets)
{
    mlp_error_detail d;
    mlp_dataset *ds = NULL;
    ck_assert_int_eq(mlp_dataset_create(&ds, N, IN, 3), MLP_OK);
    float *x = mlp_dataset_inputs(ds), *y = mlp_dataset_targets(ds);
    for (size_t i = 0; i < N; i++) {
        for (size_t j = 0; j < IN; j++) x[i * IN + j] = (float)(i % 3) + 0.1f * (float)j;
        y[i * 3 + i % 3] = 1.0f;
    }
    mlp_model *m = NULL;
    ck_assert_int_eq(mlp_model_build(&m, ds, NULL), MLP_OK); /* no names: a regressor */
    ck_assert_int_eq(mlp_preprocess_task(mlp_model_preprocess(m)), MLP_TASK_REGRESS);
    mlp_model_free(m);

    static const char *const names[3] = {"cat", "dog", "eel"};
    expect(mlp_dataset_set_classes(ds, 2, names, &d), MLP_ERR_DIMENSION, &d, "count");
    expect(mlp_dataset_set_classes(ds, 3, NULL, &d), MLP_ERR_NULL_ARG, &d, "names");
    ck_assert_uint_eq(mlp_dataset_class_count(ds), 0);
    ck_assert_int_eq(mlp_dataset_set_classes(ds, 3, names, &d), MLP_OK);
    ck_assert_int_eq(mlp_model_build(&m, ds, NULL), MLP_OK);
    ck_assert_int_eq(mlp_preprocess_task(mlp_model_preprocess(m)), MLP_TASK_CLASSIFY);
    ck_assert_str_eq(mlp_model_class_name(m, 1), "dog");
    size_t cls[1];
    ck_assert_int_eq(mlp_model_classify(m, x + 2 * IN, 1, cls), MLP_OK);
    mlp_model_free(m);
    ck_assert_int_eq(mlp_dataset_set_classes(ds, 0, NULL, &d), MLP_OK); /* back to regression */
    ck_assert_uint_eq(mlp_dataset_class_count(ds), 0);

    mlp_dataset *one = regression(IN);
    static const char *const single[1] = {"only"};
    expect(mlp_dataset_set_classes(one, 1, single, &d), MLP_ERR_INVALID_ARG, &d, "target");
    mlp_dataset_free(one);
    mlp_dataset_free(ds);
}
END_TEST

/* The scaled copy of ds's inputs, as the model sees them. */
static float *scaled_inputs(const mlp_model *m, const mlp_dataset *ds)
{
    size_t n = mlp_dataset_count(ds) * mlp_dataset_input_size(ds);
    float *x = malloc(n * sizeof *x);
    memcpy(x, mlp_dataset_inputs_const(ds), n * sizeof *x);
    ck_assert_int_eq(mlp_preprocess_apply_rows(mlp_model_preprocess(m), x, mlp_dataset_count(ds),
                                               mlp_dataset_input_size(ds)),
                     MLP_OK);
    return x;
}

START_TEST(evaluate_is_mlp_evaluate)
{
    mlp_dataset *cls = two_classes(), *reg = regression(IN);
    mlp_model *mc = NULL, *mr = NULL;
    ck_assert_int_eq(mlp_model_build(&mc, cls, NULL), MLP_OK);
    ck_assert_int_eq(mlp_model_build(&mr, reg, NULL), MLP_OK);
    ck_assert_int_eq(mlp_model_train(mc, cls, NULL, NULL, NULL), MLP_OK);
    mlp_error_detail d;

    mlp_model_metrics met = {.struct_size = sizeof met};
    ck_assert_int_eq(mlp_model_evaluate(mc, NULL, cls, &met, NULL, &d), MLP_OK);
    float *x = scaled_inputs(mc, cls);
    mlp_workspace *ws = NULL;
    double loss, acc;
    ck_assert_int_eq(mlp_workspace_create_inference(&ws, mlp_model_net(mc), N), MLP_OK);
    ck_assert_int_eq(mlp_evaluate(mlp_model_net(mc), ws, x, mlp_dataset_targets_const(cls), N,
                                  MLP_LOSS_AUTO, &loss, &acc),
                     MLP_OK);
    ck_assert_uint_eq(met.count, N);
    ck_assert_double_eq(met.loss, loss);
    ck_assert_double_eq(met.accuracy, acc);
    ck_assert(isnan(met.rmse));
    mlp_workspace_free(ws);
    free(x);

    /* regression: RMSE in the targets' units, per output from the outputs themselves */
    double per_output[1];
    ck_assert_int_eq(mlp_model_evaluate(mr, NULL, reg, &met, per_output, &d), MLP_OK);
    float y[N];
    ck_assert_int_eq(mlp_model_predict(mr, mlp_dataset_inputs_const(reg), N, y), MLP_OK);
    double sq = 0;
    for (size_t i = 0; i < N; i++) {
        double e = (double)y[i] - (double)mlp_dataset_targets_const(reg)[i];
        sq += e * e;
    }
    ck_assert_double_eq_tol(met.rmse, sqrt(sq / N), 1e-6 * met.rmse);
    ck_assert_double_eq_tol(per_output[0], sqrt(sq / N), 1e-9 * met.rmse);
    ck_assert_double_eq_tol(met.loss, sq / N, 1e-6 * met.loss);
    ck_assert(isnan(met.accuracy));
    ck_assert(met.rmse > 50.0); /* untrained: far from targets near 120 */

    /* errors name the argument, and leave metrics alone */
    mlp_dataset *narrow = regression(IN - 1);
    met.count = 77;
    expect(mlp_model_evaluate(mr, NULL, narrow, &met, NULL, &d), MLP_ERR_DIMENSION, &d,
           "inputs per record");
    expect(mlp_model_evaluate(mr, NULL, cls, &met, NULL, &d), MLP_ERR_DIMENSION, &d, "targets");
    ck_assert_uint_eq(met.count, 77);
    mlp_model_metrics zero = {0};
    expect(mlp_model_evaluate(mr, NULL, reg, &zero, NULL, &d), MLP_ERR_INVALID_ARG, &d,
           "struct_size");
    expect(mlp_model_evaluate(mr, NULL, NULL, &met, NULL, &d), MLP_ERR_NULL_ARG, &d, "data");
    mlp_model_scratch *s = NULL;
    ck_assert_int_eq(mlp_model_scratch_create(&s, mc, 8), MLP_OK);
    expect(mlp_model_evaluate(mr, s, reg, &met, NULL, &d), MLP_ERR_WORKSPACE_MISMATCH, &d,
           "scratch");
    /* with a scratch of its own (several chunks): the same numbers */
    mlp_model_metrics a = {.struct_size = sizeof a}, b = {.struct_size = sizeof b};
    ck_assert_int_eq(mlp_model_evaluate(mc, s, cls, &a, NULL, &d), MLP_OK);
    ck_assert_int_eq(mlp_model_evaluate(mc, NULL, cls, &b, NULL, &d), MLP_OK);
    ck_assert_double_eq_tol(a.loss, b.loss, 1e-6 * b.loss);
    ck_assert_double_eq(a.accuracy, b.accuracy);
    mlp_model_scratch_free(s);
    mlp_dataset_free(narrow);
    mlp_model_free(mc);
    mlp_model_free(mr);
    mlp_dataset_free(cls);
    mlp_dataset_free(reg);
}
END_TEST

static mlp_table *table_of(const char *text)
{
    FILE *fp = fmemopen((void *)text, strlen(text), "r");
    ck_assert_ptr_nonnull(fp);
    mlp_table *t = NULL;
    ck_assert_int_eq(mlp_table_open_stream(&t, fp, "mem.csv", NULL, NULL), MLP_OK);
    fclose(fp);
    return t;
}

START_TEST(table_without_encoding_is_numbers)
{
    mlp_dataset *reg = regression(2);
    mlp_model *m = NULL;
    ck_assert_int_eq(mlp_model_build(&m, reg, NULL), MLP_OK);
    mlp_error_detail d;
    mlp_dataset *ds = NULL;
    float want[2], got[2];
    const float rows[4] = {1.5f, 2, -3, 4};
    ck_assert_int_eq(mlp_model_predict(m, rows, 2, want), MLP_OK);

    mlp_table *plain = table_of("a,b\n1.5,2\n-3,4\n");
    mlp_table *labelled = table_of("y,a,b\n0,1.5,2\n0,-3,4\n");
    ck_assert_int_eq(mlp_model_table_inputs(m, plain, NULL, &ds, NULL, &d), MLP_OK);
    ck_assert_uint_eq(mlp_dataset_count(ds), 2);
    ck_assert_float_eq(mlp_dataset_inputs_const(ds)[2], -3.0f);
    mlp_dataset_free(ds);
    ck_assert_int_eq(mlp_model_predict_table(m, plain, got, NULL, &d), MLP_OK);
    ck_assert_float_eq(got[0], want[0]);
    ck_assert_float_eq(got[1], want[1]);
    /* one column more: the label column, named or by index, left out */
    ck_assert_int_eq(mlp_model_table_inputs(m, labelled, "y", &ds, NULL, &d), MLP_OK);
    ck_assert_float_eq(mlp_dataset_inputs_const(ds)[0], 1.5f);
    mlp_dataset_free(ds);
    ck_assert_int_eq(mlp_model_table_inputs(m, labelled, "0", &ds, NULL, &d), MLP_OK);
    ck_assert_float_eq(mlp_dataset_inputs_const(ds)[3], 4.0f);
    mlp_dataset_free(ds);
    ds = NULL;
    expect(mlp_model_table_inputs(m, labelled, "z", &ds, NULL, &d), MLP_ERR_INVALID_ARG, &d,
           "'z'");
    expect(mlp_model_table_inputs(m, labelled, "7", &ds, NULL, &d), MLP_ERR_INVALID_ARG, &d,
           "label column 7");
    mlp_table *bad = table_of("a,b\n1,2\n3,x\n"), *wide = table_of("a,b,c,d\n1,2,3,4\n");
    expect(mlp_model_table_inputs(m, bad, NULL, &ds, NULL, &d), MLP_ERR_PARSE, &d,
           "'x' is not a finite number");
    ck_assert_uint_eq(d.line, 3);
    ck_assert_uint_eq(d.column, 2);
    expect(mlp_model_table_inputs(m, wide, NULL, &ds, NULL, &d), MLP_ERR_INVALID_ARG, &d,
           "4 columns");
    ck_assert_ptr_null(ds);
    mlp_table_free(plain);
    mlp_table_free(labelled);
    mlp_table_free(bad);
    mlp_table_free(wide);
    mlp_model_free(m);
    mlp_dataset_free(reg);
}
END_TEST

START_TEST(file_write_atomic)
{
    char path[128], back[16] = {0};
    snprintf(path, sizeof path, "%s/out.txt", tmp);
    mlp_error_detail d;
    ck_assert_int_eq(mlp_file_write_atomic(path, "old", 3, &d), MLP_OK);
    ck_assert_int_eq(mlp_file_write_atomic(path, "new text", 8, &d), MLP_OK);
    FILE *fp = fopen(path, "rb");
    ck_assert_ptr_nonnull(fp);
    ck_assert_uint_eq(fread(back, 1, sizeof back, fp), 8);
    fclose(fp);
    ck_assert_str_eq(back, "new text");
    ck_assert_int_eq(mlp_file_write_atomic(path, NULL, 0, &d), MLP_OK); /* an empty file */
    snprintf(path, sizeof path, "%s/none/out.txt", tmp);
    expect(mlp_file_write_atomic(path, "x", 1, &d), MLP_ERR_IO, &d, "none");
    expect(mlp_file_write_atomic("", "x", 1, &d), MLP_ERR_INVALID_ARG, &d, "path");
    expect(mlp_file_write_atomic(path, NULL, 1, &d), MLP_ERR_NULL_ARG, &d, "data");
}
END_TEST

START_TEST(scratch_precision_names_the_argument)
{
    mlp_dataset *ds = two_classes();
    mlp_model *m = NULL;
    ck_assert_int_eq(mlp_model_build(&m, ds, NULL), MLP_OK);
    mlp_model_scratch *sc = NULL;
    ck_assert_int_eq(mlp_model_scratch_create(&sc, m, 8), MLP_OK);
    mlp_error_detail d;
    expect(mlp_model_scratch_set_precision_ex(NULL, MLP_PRECISION_FP32, &d), MLP_ERR_NULL_ARG,
           &d, "scratch");
    expect(mlp_model_scratch_set_precision_ex(sc, MLP_PRECISION_COUNT, &d),
           MLP_ERR_INVALID_ARG, &d, "precision");
    ck_assert_int_eq(mlp_model_scratch_set_precision(sc, MLP_PRECISION_COUNT),
                     MLP_ERR_INVALID_ARG);
    /* BF16: supported or not on this machine, the base call's status, and a message */
    mlp_status base = mlp_model_scratch_set_precision(sc, MLP_PRECISION_BF16);
    mlp_status ex = mlp_model_scratch_set_precision_ex(sc, MLP_PRECISION_BF16, &d);
    ck_assert_int_eq(ex, base);
    if (ex != MLP_OK) ck_assert_msg(d.message[0] != '\0', "no message for status %d", (int)ex);
    ck_assert_int_eq(mlp_model_scratch_set_precision_ex(sc, MLP_PRECISION_FP32, &d), MLP_OK);
    expect(mlp_model_scratch_set_threads_ex(sc, 0, &d), MLP_ERR_INVALID_ARG, &d, "threads");
    ck_assert_int_eq(mlp_model_scratch_set_threads(sc, 0), MLP_ERR_INVALID_ARG);
    expect(mlp_model_scratch_set_threads_ex(NULL, 2, &d), MLP_ERR_NULL_ARG, &d, "scratch");
    ck_assert_int_eq(mlp_model_scratch_set_threads_ex(sc, 2, &d), MLP_OK);
    ck_assert_int_eq(mlp_workspace_precision(NULL), MLP_PRECISION_FP32);
    mlp_model_scratch_free(sc);
    mlp_model_free(m);
    mlp_dataset_free(ds);
}
END_TEST

START_TEST(data_calls_name_the_argument)
{
    mlp_error_detail d;
    mlp_dataset *ds = NULL, *a = NULL, *b = NULL;
    expect(mlp_dataset_create_ex(&ds, 4, 0, 1, &d), MLP_ERR_INVALID_ARG, &d, "input_size");
    ck_assert_int_eq(mlp_dataset_create(&ds, 4, 0, 1), MLP_ERR_INVALID_ARG);
    expect(mlp_dataset_create_ex(NULL, 4, 1, 1, &d), MLP_ERR_NULL_ARG, &d, "out");
    ck_assert_int_eq(mlp_dataset_create_ex(&ds, 1, 2, 1, &d), MLP_OK);
    expect(mlp_dataset_split_ex(ds, 1.5f, 1, &a, &b, &d), MLP_ERR_INVALID_ARG, &d,
           "val_fraction");
    expect(mlp_dataset_split_ex(ds, 0.5f, 1, &a, &b, &d), MLP_ERR_INVALID_ARG, &d,
           "2 or more");
    ck_assert_int_eq(mlp_dataset_split(ds, 0.5f, 1, &a, &b), MLP_ERR_INVALID_ARG);
    expect(mlp_dataset_split_ex(ds, 0.5f, 1, NULL, &b, &d), MLP_ERR_NULL_ARG, &d, "train");
    ck_assert_ptr_null(a);
    mlp_dataset_free(ds);
    mlp_table *t = NULL, *ta = NULL, *tb = NULL;
    expect(mlp_table_split_ex(NULL, 0.5f, 1, &ta, &tb, &d), MLP_ERR_NULL_ARG, &d, "table");
    char path[96];
    snprintf(path, sizeof path, "%s/one.csv", tmp);
    ck_assert_int_eq(mlp_file_write_atomic(path, "a,b\n1,2\n", 8, NULL), MLP_OK);
    ck_assert_int_eq(mlp_table_open(&t, path, NULL, NULL), MLP_OK);
    expect(mlp_table_split_ex(t, 0.5f, 1, &ta, &tb, &d), MLP_ERR_INVALID_ARG, &d,
           "the table has 1 record");
    ck_assert_ptr_null(ta);
    mlp_table_free(t);
    mlp_source s1, s2;
    expect(mlp_csv_cache_split_ex(NULL, 0.5f, 1, &s1, &s2, &d), MLP_ERR_NULL_ARG, &d, "cache");
}
END_TEST

int main(void)
{
    snprintf(tmp, sizeof tmp, "/tmp/mlp-model-errorsXXXXXX");
    if (!mkdtemp(tmp)) return EXIT_FAILURE;
    Suite *s = suite_create("model_errors");
    TCase *tc = tcase_create("all");
    tcase_add_test(tc, build_names_the_field);
    tcase_add_test(tc, train_names_the_field);
    tcase_add_test(tc, predict_and_classify_name_the_argument);
    tcase_add_test(tc, create_open_write_name_the_part);
    tcase_add_test(tc, classes_from_labels);
    tcase_add_test(tc, classes_for_one_hot_targets);
    tcase_add_test(tc, evaluate_is_mlp_evaluate);
    tcase_add_test(tc, table_without_encoding_is_numbers);
    tcase_add_test(tc, file_write_atomic);
    tcase_add_test(tc, scratch_precision_names_the_argument);
    tcase_add_test(tc, data_calls_name_the_argument);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    tu_tmpdir_remove(tmp);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
