/* mlp_model_fit and friends: the same model as `mlp train`, bit for bit; the sin(x) case
 * reaches the tool's error; every verdict of the model selection; the report; the
 * messages for bad settings; resume continues a regression run exactly. */
#define _POSIX_C_SOURCE 200809L
#include "mlp.h"
#include "test_tmpdir.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A data set of n records of `in` inputs and one target: y = f(x). */
typedef double (*target_fn)(const float *x, size_t in, uint64_t *rng);

static uint64_t next(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
static double uniform(uint64_t *s) { return (double)(next(s) >> 11) * 0x1.0p-53; }

static mlp_dataset *regression_set(size_t n, size_t in, double lo, double hi, target_fn f,
                                   uint64_t seed)
{
    mlp_dataset *ds = NULL;
    ck_assert_int_eq(mlp_dataset_create(&ds, n, in, 1), MLP_OK);
    float *x = mlp_dataset_inputs(ds), *y = mlp_dataset_targets(ds);
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < in; j++) x[i * in + j] = (float)(lo + (hi - lo) * uniform(&seed));
        y[i] = (float)f(x + i * in, in, &seed);
    }
    return ds;
}

static double sine(const float *x, size_t in, uint64_t *s)
{
    (void)in, (void)s;
    return 1000.0 + 500.0 * sin(x[0]);
}
static double linear(const float *x, size_t in, uint64_t *s)
{
    (void)in, (void)s;
    return 5000.0 + 1000.0 * (2.0 * x[0] - x[1]);
}
static double noise(const float *x, size_t in, uint64_t *s)
{
    (void)x, (void)in;
    return 100.0 * uniform(s);
}

static mlp_fit_report new_report(void)
{
    mlp_fit_report r;
    memset(&r, 0, sizeof r);
    r.struct_size = sizeof r;
    return r;
}

START_TEST(sin_reaches_the_tools_error)
{
    mlp_dataset *ds = regression_set(2000, 1, -3.14159, 3.14159, sine, 7);
    mlp_model *m = NULL;
    mlp_fit_report r = new_report();
    mlp_error_detail d = {0};
    ck_assert_msg(mlp_model_fit(&m, ds, NULL, &r, &d) == MLP_OK, "%s", d.message);
    /* the budget of a 2000-record table: 1700 training, batch 32, patience from epochs */
    ck_assert_uint_eq(r.records, 2000);
    ck_assert_uint_eq(r.val_count, 300);
    ck_assert_uint_eq(r.train_count, 1700);
    ck_assert_uint_eq(r.batch_size, 32);
    ck_assert(r.batch_auto && r.epochs_auto && r.patience_auto && r.val_auto);
    ck_assert_uint_eq(r.epochs, 371); /* ceil(20000 / ceil(1700 / 32)) */
    ck_assert_uint_eq(r.patience, 37);
    ck_assert_int_eq(r.task, MLP_TASK_REGRESS);
    ck_assert_int_eq(r.verdict, MLP_FIT_NET);
    ck_assert(r.net_val_loss < r.linear_val_loss && r.net_val_loss < r.constant_val_loss);
    ck_assert_msg(r.val_metric < 20, "val rmse %g", r.val_metric);
    ck_assert(r.best_epoch < r.epochs_run && r.epochs_run <= r.epochs);
    ck_assert_uint_gt(r.line_count, r.lines_before_training);
    ck_assert(strncmp(r.lines[0], "auto: validation split 0.15 of the 2000", 39) == 0);
    ck_assert_uint_eq(r.cv_folds, 0); /* from MLP_FIT_CV_MAX_RECORDS up: the split */
    ck_assert_uint_eq(mlp_model_epoch(m), r.epochs_run);
    float x[3] = {(float)(-3.14159 / 2), 0.0f, (float)(3.14159 / 2)}, y[3];
    ck_assert_int_eq(mlp_model_predict(m, x, 3, y), MLP_OK);
    ck_assert_msg(fabs(y[0] - 500) < 30 && fabs(y[1] - 1000) < 30 && fabs(y[2] - 1500) < 30,
                  "predicted %g %g %g for 500 1000 1500", y[0], y[1], y[2]);
    mlp_model_free(m);
    mlp_dataset_free(ds);
}
END_TEST

START_TEST(linear_target_keeps_the_ridge_model)
{
    mlp_dataset *ds = regression_set(400, 2, 0, 1, linear, 9);
    mlp_fit_config c = mlp_fit_config_default();
    c.cv_folds = 0; /* the validation split, which cross-validation replaces below 2000 */
    c.train.epochs = 4;
    mlp_model *m = NULL;
    mlp_fit_report r = new_report();
    ck_assert_int_eq(mlp_model_fit(&m, ds, &c, &r, NULL), MLP_OK);
    ck_assert_int_eq(r.verdict, MLP_FIT_LINEAR);
    ck_assert(!r.epochs_auto && r.epochs == 4 && r.val_count == 60); /* the split kept */
    ck_assert(r.linear_val_loss < r.net_val_loss && r.linear_alpha > 0);
    ck_assert_ptr_null(mlp_model_optimizer(m));
    ck_assert_uint_eq(mlp_net_layer_count(mlp_model_net(m)), 1);
    ck_assert(r.val_metric < 1);
    mlp_model_free(m);
    mlp_dataset_free(ds);
}
END_TEST

/* Labels independent of the inputs, a net that cannot learn: the class frequencies win. */
START_TEST(noise_classes_give_the_constant)
{
    static const char *const names[] = {"x", "y"};
    mlp_dataset *ds = NULL;
    ck_assert_int_eq(mlp_dataset_create(&ds, 400, 2, 2), MLP_OK);
    uint64_t s = 5;
    float *x = mlp_dataset_inputs(ds), *y = mlp_dataset_targets(ds);
    for (size_t i = 0; i < 400; i++) {
        x[2 * i] = (float)uniform(&s), x[2 * i + 1] = (float)uniform(&s);
        int k = uniform(&s) < 0.7 ? 0 : 1;
        y[2 * i + k] = 1.0f;
    }
    mlp_fit_config c = mlp_fit_config_default();
    c.class_names = names;
    c.class_count = 2;
    c.train.epochs = 1;
    c.model.optimizer.learning_rate = 1e-9f;
    c.val_fraction = 0.25;
    c.model.seed = 2;
    mlp_model *m = NULL;
    mlp_fit_report r = new_report();
    ck_assert_int_eq(mlp_model_fit(&m, ds, &c, &r, NULL), MLP_OK);
    ck_assert_int_eq(r.task, MLP_TASK_CLASSIFY);
    ck_assert_int_eq(r.verdict, MLP_FIT_CONSTANT);
    ck_assert(!isnan(r.linear_val_loss)); /* the softmax regression competed, and lost */
    ck_assert_str_eq(mlp_model_class_name(m, 1), "y");
    mlp_model_free(m);
    mlp_dataset_free(ds);
}
END_TEST

/* Two classes from the inputs: label = rule(x), flipped with probability flip. */
typedef int (*class_fn)(const float *x);
static mlp_dataset *class_set(size_t n, class_fn rule, double flip, uint64_t seed)
{
    mlp_dataset *ds = NULL;
    ck_assert_int_eq(mlp_dataset_create(&ds, n, 2, 2), MLP_OK);
    float *x = mlp_dataset_inputs(ds), *y = mlp_dataset_targets(ds);
    for (size_t i = 0; i < n; i++) {
        x[2 * i] = (float)uniform(&seed), x[2 * i + 1] = (float)uniform(&seed);
        int k = rule(x + 2 * i);
        if (uniform(&seed) < flip) k = !k;
        y[2 * i + k] = 1.0f;
    }
    return ds;
}
static int half_plane(const float *x) { return x[0] + x[1] > 1.0f; }
static int xor_quadrants(const float *x) { return (x[0] > 0.5f) != (x[1] > 0.5f); }

/* A linear boundary with 5% label noise and a net that cannot learn (one epoch at a
 * vanishing learning rate): the softmax regression is kept, a one-layer net without
 * optimizer state, and it classifies. */
START_TEST(linear_classes_keep_the_softmax_regression)
{
    mlp_dataset *ds = class_set(400, half_plane, 0.05, 21);
    mlp_fit_config c = mlp_fit_config_default();
    c.cv_folds = 0; /* the validation split, which cross-validation replaces below 2000 */
    c.model.task = MLP_TASK_CLASSIFY;
    c.train.epochs = 1;
    c.model.optimizer.learning_rate = 1e-9f;
    mlp_model *m = NULL;
    mlp_fit_report r = new_report();
    ck_assert_int_eq(mlp_model_fit(&m, ds, &c, &r, NULL), MLP_OK);
    ck_assert_int_eq(r.task, MLP_TASK_CLASSIFY);
    ck_assert_int_eq(r.verdict, MLP_FIT_LINEAR);
    ck_assert(r.linear_val_loss < r.net_val_loss && r.linear_val_loss < r.constant_val_loss);
    ck_assert(r.linear_alpha > 0);
    ck_assert_ptr_null(mlp_model_optimizer(m));
    const mlp_net *net = mlp_model_net(m);
    ck_assert_uint_eq(mlp_net_layer_count(net), 1);
    ck_assert_int_eq(mlp_net_activation(net, 0), MLP_ACT_SOFTMAX);
    ck_assert_msg(r.val_metric > 0.85, "val accuracy %g", r.val_metric);
    bool said = false;
    for (size_t i = 0; i < r.line_count; i++)
        said = said || (strncmp(r.lines[i], "guard: ", 7) == 0 &&
                        strstr(r.lines[i], "softmax regression") != NULL);
    ck_assert(said);
    float x[4] = {0.1f, 0.2f, 0.9f, 0.8f}, p[4];
    ck_assert_int_eq(mlp_model_predict(m, x, 2, p), MLP_OK);
    ck_assert_msg(p[0] > 0.5f && p[3] > 0.5f, "p(0|low) %g, p(1|high) %g", p[0], p[3]);
    mlp_model_free(m);
    mlp_dataset_free(ds);
}
END_TEST

/* XOR: no linear boundary, the net learns it and wins over the softmax regression. */
START_TEST(xor_classes_keep_the_net)
{
    mlp_dataset *ds = class_set(400, xor_quadrants, 0.0, 22);
    mlp_fit_config c = mlp_fit_config_default();
    c.cv_folds = 0; /* the validation split, which cross-validation replaces below 2000 */
    c.model.task = MLP_TASK_CLASSIFY;
    mlp_model *m = NULL;
    mlp_fit_report r = new_report();
    ck_assert_int_eq(mlp_model_fit(&m, ds, &c, &r, NULL), MLP_OK);
    ck_assert_int_eq(r.task, MLP_TASK_CLASSIFY);
    ck_assert_int_eq(r.verdict, MLP_FIT_NET);
    ck_assert(r.net_val_loss < r.linear_val_loss); /* a candidate, and a worse one */
    ck_assert_msg(r.val_metric > 0.9, "val accuracy %g", r.val_metric);
    ck_assert_ptr_nonnull(mlp_model_optimizer(m));
    ck_assert_uint_gt(mlp_net_layer_count(mlp_model_net(m)), 1);
    mlp_model_free(m);
    mlp_dataset_free(ds);
}
END_TEST

START_TEST(tiny_tables_use_leave_one_out)
{
    mlp_dataset *lin = regression_set(12, 2, 0, 1, linear, 3);
    mlp_model *m = NULL;
    mlp_fit_report r = new_report();
    ck_assert_int_eq(mlp_model_fit(&m, lin, NULL, &r, NULL), MLP_OK);
    ck_assert_int_eq(r.verdict, MLP_FIT_LOO_LINEAR);
    ck_assert_uint_eq(r.val_count, 0);
    ck_assert(r.linear_val_loss < r.constant_val_loss);
    mlp_model_free(m);
    mlp_dataset_free(lin);
    mlp_dataset *noisy = regression_set(12, 2, 0, 1, noise, 11);
    r = new_report();
    ck_assert_int_eq(mlp_model_fit(&m, noisy, NULL, &r, NULL), MLP_OK);
    ck_assert_int_eq(r.verdict, MLP_FIT_LOO_CONSTANT);
    ck_assert(isnan(r.linear_val_loss));
    mlp_model_free(m);
    mlp_dataset_free(noisy);
}
END_TEST

/* Leave-one-out with more outputs than it once had room for (64): a model, not NO_MEMORY. */
START_TEST(leave_one_out_takes_many_outputs)
{
    const size_t n = 12, in = 2, k = 65;
    mlp_dataset *ds = NULL;
    ck_assert_int_eq(mlp_dataset_create(&ds, n, in, k), MLP_OK);
    float *x = mlp_dataset_inputs(ds), *y = mlp_dataset_targets(ds);
    uint64_t seed = 5;
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < in; j++) x[i * in + j] = (float)uniform(&seed);
        for (size_t j = 0; j < k; j++) y[i * k + j] = (float)(j * x[i * in] - x[i * in + 1]);
    }
    mlp_model *m = NULL;
    mlp_fit_report r = new_report();
    mlp_error_detail d = {0};
    mlp_status st = mlp_model_fit(&m, ds, NULL, &r, &d);
    ck_assert_msg(st == MLP_OK, "%s: %s", mlp_strerror(st), d.message);
    ck_assert(r.verdict == MLP_FIT_LOO_LINEAR || r.verdict == MLP_FIT_LOO_CONSTANT);
    mlp_model_free(m);
    mlp_dataset_free(ds);
}
END_TEST

/* Each bad setting is refused before training, naming the argument. */
static void refused(const mlp_fit_config *c, const mlp_dataset *ds, const char *says)
{
    mlp_model *m = NULL;
    mlp_error_detail d = {0};
    ck_assert_int_eq(mlp_model_fit(&m, ds, c, NULL, &d), MLP_ERR_INVALID_ARG);
    ck_assert_ptr_null(m);
    ck_assert_msg(strstr(d.message, says) != NULL, "'%s' does not say '%s'", d.message, says);
}

START_TEST(bad_settings_are_named)
{
    mlp_dataset *ds = regression_set(100, 2, 0, 1, linear, 1);
    mlp_fit_config zero;
    memset(&zero, 0, sizeof zero);
    refused(&zero, ds, "config->struct_size is 0");
    mlp_fit_config c = mlp_fit_config_default();
    size_t widths[] = {0, 4};
    c.model.hidden_sizes = widths;
    refused(&c, ds, "config->model.hidden_sizes[0] is 0");
    c = mlp_fit_config_default();
    c.model.optimizer.learning_rate = -0.1f;
    refused(&c, ds, "config->model.optimizer.learning_rate is -0.1");
    c = mlp_fit_config_default();
    c.train.dropout = 1.5f;
    refused(&c, ds, "config->train.dropout is 1.5");
    c = mlp_fit_config_default();
    c.val_fraction = 0;
    c.train.patience = 5;
    refused(&c, ds, "early stopping needs a validation split");
    c = mlp_fit_config_default();
    c.model.bias_mode = MLP_BIAS_PER_NETWORK;
    refused(&c, ds, "config->model.bias_mode is PER_NETWORK");
    c = mlp_fit_config_default();
    c.model.bias_mode = MLP_BIAS_NONE;
    refused(&c, ds, "config->model.bias_mode is NONE");
    mlp_fit_report r;
    memset(&r, 0, sizeof r);
    mlp_model *m = NULL;
    mlp_error_detail d = {0};
    ck_assert_int_eq(mlp_model_fit(&m, ds, NULL, &r, &d), MLP_ERR_INVALID_ARG);
    ck_assert(strstr(d.message, "report->struct_size is 0") != NULL);
    mlp_dataset_free(ds);
}
END_TEST

static double huge(const float *x, size_t in, uint64_t *s)
{
    (void)in, (void)s;
    return x[0] < 0.5f ? -3.4e38 : 3.4e38;
}

/* Targets whose squared errors overflow float are refused before training, naming the
 * output and the record, rather than fitted into an infinite RMSE; far from 0 but close
 * together (nanosecond timestamps) still trains. */
static void target_refused(const mlp_dataset *ds, const mlp_fit_config *c, const char *says)
{
    mlp_model *m = NULL;
    mlp_error_detail d = {0};
    mlp_fit_report r = new_report();
    ck_assert_int_eq(mlp_model_fit(&m, ds, c, &r, &d), MLP_ERR_NON_FINITE);
    ck_assert_ptr_null(m);
    ck_assert_msg(strstr(d.message, "regression target output 0 of record") != NULL &&
                  strstr(d.message, says) != NULL, "'%s' does not say '%s'", d.message, says);
    ck_assert_uint_eq(r.epochs_run, 0);
}

START_TEST(overflowing_targets_are_refused)
{
    mlp_dataset *ds = regression_set(100, 2, 0, 1, huge, 3);
    mlp_fit_config c = mlp_fit_config_default();
    c.train.epochs = 3;
    target_refused(ds, &c, "finite and within +-1e+30");
    float *y = mlp_dataset_targets(ds);
    for (size_t i = 0; i < 100; i++) y[i] = y[i] < 0 ? -1e16f : 1e16f;
    target_refused(ds, &c, "within +-1e+15 of the training mean");
    /* far from 0, close together: trains, to finite metrics */
    for (size_t i = 0; i < 100; i++) y[i] = 1.7e18f + (float)i * 1e12f;
    mlp_model *m = NULL;
    mlp_fit_report r = new_report();
    mlp_error_detail d = {0};
    ck_assert_int_eq(mlp_model_fit(&m, ds, &c, &r, &d), MLP_OK);
    ck_assert(isfinite(r.train_metric) && isfinite(r.train_loss));
    mlp_model_free(m);
    mlp_dataset_free(ds);
}
END_TEST

/* A trainer that returns OK and leaves the last weight at user_data's value: a NaN, or a
 * finite weight that the fold of the target scaling takes beyond float. */
static mlp_status poisoning_trainer(void *user_data, mlp_net *net, mlp_optimizer *opt,
                                    const float *x, const float *y, size_t n, const float *vx,
                                    const float *vy, size_t nv, const mlp_train_config *tc,
                                    mlp_train_result *res)
{
    mlp_status st = mlp_train(net, opt, x, y, n, vx, vy, nv, tc, res);
    mlp_net_params(net)[mlp_net_param_count(net) - 2] = *(const float *)user_data;
    return st;
}

/* The fit never hands back a model with a NaN or infinite parameter or loss: NON_FINITE,
 * no model, the detail says why. */
static void poisoned_fit_fails(const mlp_dataset *ds, float weight, const char *says)
{
    mlp_fit_config c = mlp_fit_config_default();
    c.train.epochs = 2;
    c.val_fraction = 0; /* no model selection to replace the net */
    c.trainer = poisoning_trainer;
    c.trainer_data = &weight;
    mlp_model *m = NULL;
    mlp_fit_report r = new_report();
    mlp_error_detail d = {0};
    ck_assert_int_eq(mlp_model_fit(&m, ds, &c, &r, &d), MLP_ERR_NON_FINITE);
    ck_assert_ptr_null(m);
    ck_assert_msg(strstr(d.message, says) != NULL, "'%s' does not say '%s'", d.message, says);
}

START_TEST(non_finite_results_are_errors)
{
    mlp_dataset *ds = regression_set(100, 2, 0, 1, linear, 3);
    poisoned_fit_fails(ds, NAN, "NaN or infinite parameter");
    /* targets spread over 1e14 (accepted): a weight of 1e30 folds to 1e44 */
    float *y = mlp_dataset_targets(ds);
    for (size_t i = 0; i < 100; i++) y[i] = (float)(i % 2 ? 1e14 : -1e14);
    poisoned_fit_fails(ds, 1e30f, "folded into the output layer overflows float");
    mlp_dataset_free(ds);
}
END_TEST

/* A regression model with one bias per layer and one output folds the scaling correctly. */
START_TEST(layer_bias_regression_predicts_in_units)
{
    mlp_dataset *ds = regression_set(400, 2, 0, 1, linear, 9);
    mlp_fit_config c = mlp_fit_config_default();
    c.model.bias_mode = MLP_BIAS_PER_LAYER;
    c.val_fraction = 0;
    c.train.epochs = 30;
    mlp_model *m = NULL;
    mlp_fit_report r = new_report();
    ck_assert_int_eq(mlp_model_fit(&m, ds, &c, &r, NULL), MLP_OK);
    ck_assert_msg(r.train_metric < 100, "train rmse %g on targets near 5000", r.train_metric);
    mlp_model_free(m);
    mlp_dataset_free(ds);
}
END_TEST

/* 50 epochs, saved and resumed for 50 more, end where a straight 100 ends. */
START_TEST(resume_continues_a_regression_run)
{
    mlp_dataset *ds = regression_set(300, 1, -3.14159, 3.14159, sine, 4);
    mlp_fit_config c = mlp_fit_config_default();
    c.val_fraction = 0;
    c.train.epochs = 100;
    mlp_model *straight = NULL, *first = NULL, *resumed = NULL;
    mlp_fit_report r = new_report();
    ck_assert_int_eq(mlp_model_fit(&straight, ds, &c, &r, NULL), MLP_OK);
    double want = r.train_metric;
    c.train.epochs = 50;
    ck_assert_int_eq(mlp_model_fit(&first, ds, &c, NULL, NULL), MLP_OK);
    char dir[64];
    tu_tmpdir_create(dir, "mlp-fit-");
    char path[128];
    snprintf(path, sizeof path, "%s/first.mlp", dir);
    ck_assert_int_eq(mlp_model_write(first, path, NULL), MLP_OK);
    ck_assert_int_eq(mlp_model_open(&resumed, path, NULL, NULL), MLP_OK);
    c.train.epochs = 100;
    r = new_report();
    mlp_error_detail d = {0};
    ck_assert_msg(mlp_model_resume(resumed, ds, &c, &r, &d) == MLP_OK, "%s", d.message);
    ck_assert_uint_eq(r.start_epoch, 50);
    ck_assert_uint_eq(mlp_model_epoch(resumed), 100);
    ck_assert_msg(fabs(r.train_metric - want) <= 0.02 * want + 0.5,
                  "resumed rmse %g, straight %g", r.train_metric, want);
    tu_tmpdir_remove(dir);
    mlp_model_free(straight);
    mlp_model_free(first);
    mlp_model_free(resumed);
    mlp_dataset_free(ds);
}
END_TEST

/* `mlp train` and mlp_model_fit_table with the same settings: the same parameters. */
static void same_as_tool(const char *csv, const char *tool_flags, const mlp_fit_config *c)
{
    const char *tool = getenv("MLP_TOOL");
    ck_assert_msg(tool && *tool, "MLP_TOOL is not set (meson sets it to the tool's path)");
    char dir[64];
    tu_tmpdir_create(dir, "mlp-fit-");
    char data[512], out[128], cmd[2048];
    snprintf(data, sizeof data, "%s", tu_tmpdir_write(dir, "t.csv", csv));
    snprintf(out, sizeof out, "%s/tool.mlp", dir);
    snprintf(cmd, sizeof cmd, "'%s' train --train '%s' %s --quiet --out '%s' >/dev/null 2>&1",
             tool, data, tool_flags, out);
    ck_assert_int_eq(system(cmd), 0);
    mlp_table *t = NULL;
    ck_assert_int_eq(mlp_table_open(&t, data, NULL, NULL), MLP_OK);
    mlp_model *mine = NULL, *theirs = NULL;
    mlp_error_detail d = {0};
    ck_assert_msg(mlp_model_fit_table(&mine, t, c, NULL, &d) == MLP_OK, "%s", d.message);
    ck_assert_int_eq(mlp_model_open(&theirs, out, NULL, NULL), MLP_OK);
    const mlp_net *a = mlp_model_net(mine), *b = mlp_model_net(theirs);
    ck_assert_uint_eq(mlp_net_param_count(a), mlp_net_param_count(b));
    ck_assert(memcmp(mlp_net_params_const(a), mlp_net_params_const(b),
                     mlp_net_param_count(a) * sizeof(float)) == 0);
    ck_assert_uint_eq(mlp_model_epoch(mine), mlp_model_epoch(theirs));
    mlp_model_free(mine);
    mlp_model_free(theirs);
    mlp_table_free(t);
    tu_tmpdir_remove(dir);
}

static char *csv_text(size_t n, bool classify)
{
    size_t cap = 64 + n * 64, used = 0;
    char *s = malloc(cap);
    used += (size_t)snprintf(s, cap, "a,b,colour,y\n");
    uint64_t r = 13;
    for (size_t i = 0; i < n; i++) {
        double a = uniform(&r), b = uniform(&r);
        const char *colour = uniform(&r) < 0.5 ? "red" : "blue";
        if (classify)
            used += (size_t)snprintf(s + used, cap - used, "%.4f,%.4f,%s,%s\n", a, b, colour,
                                     a + b > 1 ? "hi" : "lo");
        else
            used += (size_t)snprintf(s + used, cap - used, "%.4f,%.4f,%s,%.4f\n", a, b, colour,
                                     300 + 100 * sin(6 * a) + 50 * b);
    }
    return s;
}

START_TEST(tool_and_library_give_the_same_model)
{
    char *reg = csv_text(300, false), *cls = csv_text(300, true);
    mlp_fit_config c = mlp_fit_config_default();
    c.model.seed = 3;
    same_as_tool(reg, "--seed 3", &c);
    same_as_tool(cls, "--seed 3", &c);
    c.train.epochs = 7;
    size_t widths[] = {16};
    c.model.hidden_count = 1;
    c.model.hidden_sizes = widths;
    same_as_tool(reg, "--seed 3 --epochs 7 --layers 16", &c);
    free(reg);
    free(cls);
}
END_TEST

START_TEST(table_report_and_encoding)
{
    char *cls = csv_text(200, true);
    char dir[64];
    tu_tmpdir_create(dir, "mlp-fit-");
    const char *path = tu_tmpdir_write(dir, "c.csv", cls);
    mlp_table *t = NULL;
    ck_assert_int_eq(mlp_table_open(&t, path, NULL, NULL), MLP_OK);
    mlp_model *m = NULL;
    mlp_fit_report r = new_report();
    mlp_fit_config c = mlp_fit_config_default();
    c.cv_folds = 0; /* the validation split's report */
    ck_assert_int_eq(mlp_model_fit_table(&m, t, &c, &r, NULL), MLP_OK);
    ck_assert_int_eq(r.task, MLP_TASK_CLASSIFY);
    ck_assert_ptr_nonnull(r.encoding);
    ck_assert_ptr_eq(r.encoding, mlp_preprocess_encoding(mlp_model_preprocess(m)));
    ck_assert_uint_eq(r.table_reports[0].rows_read, 170);
    ck_assert_uint_eq(r.table_reports[1].rows_read, 30);
    ck_assert_uint_eq(r.batch_size, 21); /* 170 / 8 */
    ck_assert(r.val_metric > 0.8);
    for (size_t i = 0; i < r.line_count; i++) ck_assert_uint_gt(strlen(r.lines[i]), 10);
    mlp_model_free(m);
    mlp_table_free(t);
    tu_tmpdir_remove(dir);
    free(cls);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("fit");
    TCase *tc = tcase_create("fit");
    tcase_set_timeout(tc, 240);
    tcase_add_test(tc, bad_settings_are_named);
    tcase_add_test(tc, overflowing_targets_are_refused);
    tcase_add_test(tc, non_finite_results_are_errors);
    tcase_add_test(tc, linear_target_keeps_the_ridge_model);
    tcase_add_test(tc, noise_classes_give_the_constant);
    tcase_add_test(tc, linear_classes_keep_the_softmax_regression);
    tcase_add_test(tc, xor_classes_keep_the_net);
    tcase_add_test(tc, tiny_tables_use_leave_one_out);
    tcase_add_test(tc, leave_one_out_takes_many_outputs);
    tcase_add_test(tc, layer_bias_regression_predicts_in_units);
    tcase_add_test(tc, table_report_and_encoding);
    tcase_add_test(tc, resume_continues_a_regression_run);
    tcase_add_test(tc, tool_and_library_give_the_same_model);
    tcase_add_test(tc, sin_reaches_the_tools_error);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
