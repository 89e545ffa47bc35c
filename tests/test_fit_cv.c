/* Model selection by k-fold cross-validation (lib/fit/fit_cv.c): used below
 * MLP_FIT_CV_MAX_RECORDS and not from it, the constant wins on noise, the report says the
 * folds and every candidate's held-out loss, a seed gives one model, a callback can stop
 * it, and the fold nets held as one net (lib/fit/fit_ensemble.c) predict the mean of
 * theirs. */
#include "fit/fit_internal.h"

#include <check.h>
#include <math.h>
#include <string.h>

static uint64_t next(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
static double uniform(uint64_t *s) { return (double)(next(s) >> 11) * 0x1.0p-53; }

/* n records of 2 inputs in [0, 1): y = 10 sin(6 x0) + x1 (signal) or uniform noise. */
static mlp_dataset *regression_set(size_t n, bool signal, uint64_t seed)
{
    mlp_dataset *ds = NULL;
    ck_assert_int_eq(mlp_dataset_create(&ds, n, 2, 1), MLP_OK);
    float *x = mlp_dataset_inputs(ds), *y = mlp_dataset_targets(ds);
    for (size_t i = 0; i < n; i++) {
        x[2 * i] = (float)uniform(&seed), x[2 * i + 1] = (float)uniform(&seed);
        y[i] = signal ? (float)(10 * sin(6 * x[2 * i]) + x[2 * i + 1])
                      : (float)(100 * uniform(&seed));
    }
    return ds;
}

/* Two classes, 70/30, independent of the inputs. */
static mlp_dataset *noise_classes(size_t n, uint64_t seed)
{
    mlp_dataset *ds = NULL;
    ck_assert_int_eq(mlp_dataset_create(&ds, n, 3, 2), MLP_OK);
    float *x = mlp_dataset_inputs(ds), *y = mlp_dataset_targets(ds);
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < 3; j++) x[3 * i + j] = (float)uniform(&seed);
        y[2 * i + (uniform(&seed) < 0.7 ? 0 : 1)] = 1.0f;
    }
    return ds;
}

static mlp_fit_report new_report(void)
{
    mlp_fit_report r;
    memset(&r, 0, sizeof r);
    r.struct_size = sizeof r;
    return r;
}

/* A small net, so that the suite stays quick on a busy machine. */
static const size_t small_hidden[] = {16};
static mlp_fit_config small_config(uint64_t seed)
{
    mlp_fit_config c = mlp_fit_config_default();
    c.model.hidden_count = 1;
    c.model.hidden_sizes = small_hidden;
    c.model.seed = seed;
    return c;
}

static bool has_line(const mlp_fit_report *r, const char *prefix)
{
    for (size_t i = 0; i < r->line_count; i++)
        if (strncmp(r->lines[i], prefix, strlen(prefix)) == 0) return true;
    return false;
}

START_TEST(folds_below_the_threshold_and_not_from_it)
{
    size_t sizes[] = {MLP_FIT_CV_MAX_RECORDS - 1, MLP_FIT_CV_MAX_RECORDS};
    for (size_t i = 0; i < 2; i++) {
        mlp_dataset *ds = regression_set(sizes[i], true, 4);
        mlp_fit_config c = small_config(1);
        c.train.epochs = 2;
        mlp_model *m = NULL;
        mlp_fit_report r = new_report();
        mlp_error_detail d = {0};
        ck_assert_msg(mlp_model_fit(&m, ds, &c, &r, &d) == MLP_OK, "%s", d.message);
        bool cv = i == 0;
        ck_assert_uint_eq(r.cv_folds, cv ? MLP_FIT_CV_FOLDS : 0);
        ck_assert_uint_eq(r.val_count, cv ? 0 : sizes[i] * 15 / 100);
        ck_assert_uint_eq(r.train_count, cv ? sizes[i] : sizes[i] - r.val_count);
        ck_assert(has_line(&r, "guard: 5-fold cross-validation") == cv);
        ck_assert(has_line(&r, "auto: 5-fold cross-validation over the 1999") == cv);
        ck_assert(has_line(&r, "auto: validation split 0.15") == !cv);
        mlp_model_free(m);
        mlp_dataset_free(ds);
    }
}
END_TEST

START_TEST(given_folds_and_refusals)
{
    mlp_dataset *ds = regression_set(300, true, 5);
    mlp_fit_config c = small_config(1);
    c.train.epochs = 2;
    c.cv_folds = 0; /* never: the split */
    mlp_model *m = NULL;
    mlp_fit_report r = new_report();
    ck_assert_int_eq(mlp_model_fit(&m, ds, &c, &r, NULL), MLP_OK);
    ck_assert(r.cv_folds == 0 && r.val_count == 45);
    mlp_model_free(m);
    c.cv_folds = 3;
    c.val_fraction = 0; /* given folds replace no split */
    r = new_report();
    ck_assert_int_eq(mlp_model_fit(&m, ds, &c, &r, NULL), MLP_OK);
    ck_assert(r.cv_folds == 3 && r.val_count == 0);
    ck_assert(has_line(&r, "given: 3-fold cross-validation over the 300"));
    mlp_model_free(m);
    mlp_error_detail d = {0};
    c.val_fraction = 0.2;
    ck_assert_int_eq(mlp_model_fit(&m, ds, &c, NULL, &d), MLP_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(d.message, "config->cv_folds"));
    c.val_fraction = -1;
    c.cv_folds = 1;
    ck_assert_int_eq(mlp_model_fit(&m, ds, &c, NULL, &d), MLP_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(d.message, "2 or more"));
    c.cv_folds = 301;
    ck_assert_int_eq(mlp_model_fit(&m, ds, &c, NULL, &d), MLP_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(d.message, "one fold per record"));
    mlp_dataset_free(ds);
}
END_TEST

/* Noise targets: nothing beats the constant on the folds, whatever the seed. */
START_TEST(the_constant_wins_on_noise)
{
    for (uint64_t seed = 1; seed <= 3; seed++) {
        mlp_dataset *reg = regression_set(200, false, 10 + seed);
        mlp_fit_config c = small_config(seed);
        mlp_model *m = NULL;
        mlp_fit_report r = new_report();
        ck_assert_int_eq(mlp_model_fit(&m, reg, &c, &r, NULL), MLP_OK);
        ck_assert_uint_eq(r.cv_folds, MLP_FIT_CV_FOLDS);
        ck_assert_msg(r.verdict == MLP_FIT_CONSTANT, "seed %d: verdict %d (net %g, ridge %g, "
                      "mean %g)", (int)seed, (int)r.verdict, r.net_val_loss, r.linear_val_loss,
                      r.constant_val_loss);
        float x[2] = {0.5f, 0.5f}, y;
        ck_assert_int_eq(mlp_model_predict(m, x, 1, &y), MLP_OK);
        double mean = 0;
        for (size_t i = 0; i < 200; i++) mean += mlp_dataset_targets_const(reg)[i] / 200.0;
        ck_assert_msg(fabs(y - mean) < 1e-3 * fabs(mean), "predicts %g, mean %g", y, mean);
        mlp_model_free(m);
        mlp_dataset_free(reg);
        mlp_dataset *cls = noise_classes(300, 20 + seed);
        r = new_report();
        c.model.task = MLP_TASK_CLASSIFY;
        ck_assert_int_eq(mlp_model_fit(&m, cls, &c, &r, NULL), MLP_OK);
        ck_assert_msg(r.verdict == MLP_FIT_CONSTANT, "seed %d: verdict %d (net %g, softmax "
                      "%g, frequencies %g)", (int)seed, (int)r.verdict, r.net_val_loss,
                      r.linear_val_loss, r.constant_val_loss);
        mlp_model_free(m);
        mlp_dataset_free(cls);
    }
}
END_TEST

/* A nonlinear target: the net wins, the report holds every candidate's pooled held-out loss,
 * and the model is the fold nets side by side (5 x 16 hidden neurons), without optimizer. */
START_TEST(report_and_the_fold_nets_kept)
{
    mlp_dataset *ds = regression_set(400, true, 6);
    mlp_fit_config c = small_config(2);
    mlp_model *m = NULL;
    mlp_fit_report r = new_report();
    ck_assert_int_eq(mlp_model_fit(&m, ds, &c, &r, NULL), MLP_OK);
    ck_assert_uint_eq(r.cv_folds, 5);
    ck_assert_int_eq(r.verdict, MLP_FIT_NET);
    ck_assert(r.net_val_loss < r.linear_val_loss && r.linear_val_loss < r.constant_val_loss);
    ck_assert(r.linear_alpha > 0 && r.train_seconds > 0);
    ck_assert_msg(r.net_val_loss < 0.1 * r.constant_val_loss, "held-out mse %g", r.net_val_loss);
    ck_assert_msg(r.train_metric < 2.0, "train rmse %g", r.train_metric);
    ck_assert(has_line(&r, "guard: 5-fold cross-validation, held-out loss: net "));
    ck_assert(has_line(&r, "trained 5 nets, one per fold"));
    const mlp_net *net = mlp_model_net(m);
    ck_assert_uint_eq(mlp_net_size(net, 1), 5 * 16);
    ck_assert_ptr_null(mlp_model_optimizer(m));
    mlp_model_free(m);
    mlp_dataset_free(ds);
}
END_TEST

/* The one-standard-error rule takes the error from the records: 1000 records held out in 5
 * folds, where a candidate is right on 60 records the constant misses and wrong on 50 it
 * gets (a gain of 10 records), spread evenly over the folds. The folds' 5 differences are
 * alike, and their standard error says the gain is clear; the records' says it is not. */
START_TEST(the_standard_error_comes_from_the_records)
{
    enum { N = 1000 };
    static double pick[N], constant[N];
    for (size_t i = 0; i < N; i++) {
        pick[i] = constant[i] = 1.0;
        size_t r = i % 200; /* each fold: records f * 200 .. f * 200 + 199 */
        if (r < 12) constant[i] = 0.0;     /* the candidate right, the constant not */
        else if (r < 22) pick[i] = 0.0;    /* the reverse */
    }
    ck_assert(fit_cv_within_one_se(pick, constant, N));
    /* a gain without losses (14 records a fold, all its way) is clear */
    for (size_t i = 0; i < N; i++)
        if (i % 200 >= 12 && i % 200 < 22) pick[i] = 1.0, constant[i] = 1.0;
    for (size_t i = 0; i < N; i++)
        if (i % 200 >= 12 && i % 200 < 14) constant[i] = 0.0;
    ck_assert(!fit_cv_within_one_se(pick, constant, N));
    ck_assert(fit_cv_within_one_se(constant, pick, N)); /* not above in the other direction */
    ck_assert(fit_cv_within_one_se(pick, pick, 1));     /* one record: nothing is clear */
}
END_TEST

/* Two classes whose odds follow an input, the minority more likely only at its far end:
 * softmax regression's probabilities beat the class frequencies' clearly (a lower held-out
 * loss), but the records it classes differently are nearly as often wrong as right, so the
 * class frequencies are kept: a classifier must be clearly more accurate. */
START_TEST(a_lower_loss_without_clear_accuracy_keeps_the_frequencies)
{
    for (uint64_t seed = 1; seed <= 2; seed++) {
        mlp_dataset *ds = NULL;
        size_t n = 1000;
        ck_assert_int_eq(mlp_dataset_create(&ds, n, 1, 2), MLP_OK);
        float *x = mlp_dataset_inputs(ds), *y = mlp_dataset_targets(ds);
        uint64_t s = 40 + seed;
        for (size_t i = 0; i < n; i++) {
            x[i] = (float)(2 * uniform(&s) - 1);
            double p1 = 0.3 + 0.22 * x[i]; /* above one half only for x > 0.91 */
            y[2 * i + (uniform(&s) < p1 ? 1 : 0)] = 1.0f;
        }
        mlp_fit_config c = small_config(seed);
        c.model.task = MLP_TASK_CLASSIFY;
        mlp_model *m = NULL;
        mlp_fit_report r = new_report();
        ck_assert_int_eq(mlp_model_fit(&m, ds, &c, &r, NULL), MLP_OK);
        ck_assert_msg(r.linear_val_loss < r.constant_val_loss - 0.01, "seed %d: softmax %g, "
                      "frequencies %g", (int)seed, r.linear_val_loss, r.constant_val_loss);
        ck_assert_msg(r.verdict == MLP_FIT_CONSTANT, "seed %d: verdict %d", (int)seed,
                      (int)r.verdict);
        ck_assert(has_line(&r, "guard: kept: the class frequencies"));
        mlp_model_free(m);
        mlp_dataset_free(ds);
    }
}
END_TEST

/* The second net, with ten times the weight decay, is tried and said by default, not when
 * the factor is 1; a factor that is no number is refused. */
START_TEST(a_second_net_with_more_weight_decay)
{
    mlp_dataset *ds = regression_set(200, true, 9);
    mlp_fit_config c = small_config(1);
    c.train.epochs = 5;
    mlp_model *m = NULL;
    mlp_fit_report r = new_report();
    ck_assert_int_eq(mlp_model_fit(&m, ds, &c, &r, NULL), MLP_OK);
    ck_assert(has_line(&r, "trained 5 nets, one per fold, and 5 with weight decay 3,"));
    ck_assert(has_line(&r, "guard: 5-fold cross-validation, held-out loss: net "));
    bool said = false;
    for (size_t i = 0; i < r.line_count; i++)
        said = said || strstr(r.lines[i], ", net with weight decay 3 ") != NULL;
    ck_assert(said);
    mlp_model_free(m);
    c.cv_decay_factor = 1.0;
    r = new_report();
    ck_assert_int_eq(mlp_model_fit(&m, ds, &c, &r, NULL), MLP_OK);
    ck_assert(has_line(&r, "trained 5 nets, one per fold, in "));
    mlp_model_free(m);
    mlp_error_detail d = {0};
    c.cv_decay_factor = NAN;
    ck_assert_int_eq(mlp_model_fit(&m, ds, &c, NULL, &d), MLP_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(d.message, "config->cv_decay_factor"));
    mlp_dataset_free(ds);
}
END_TEST

/* The one replacement the three selections share: the new net installed with a workspace
 * of its own, the old net, its workspace and its optimizer freed (the sanitizer build
 * sees any leak). */
START_TEST(a_net_replaces_the_model_net)
{
    size_t sizes[] = {3, 4, 2}, lin_sizes[] = {3, 2};
    mlp_activation acts[] = {MLP_ACT_RELU, MLP_ACT_LINEAR}, lin = MLP_ACT_LINEAR;
    fit_model m = {0};
    ck_assert_int_eq(mlp_net_create(&m.net, 2, sizes, acts, MLP_BIAS_PER_NEURON), MLP_OK);
    mlp_optimizer_config oc = mlp_optimizer_config_default(MLP_OPT_ADAMW);
    ck_assert_int_eq(mlp_optimizer_create(&m.opt, m.net, &oc), MLP_OK);
    ck_assert_int_eq(mlp_workspace_create_inference(&m.ws, m.net, 8), MLP_OK);
    mlp_net *other = NULL;
    ck_assert_int_eq(mlp_net_create(&other, 1, lin_sizes, &lin, MLP_BIAS_PER_NEURON), MLP_OK);
    ck_assert_int_eq(fit_model_replace_net(&m, other, NULL), MLP_OK);
    ck_assert_ptr_eq(m.net, other);
    ck_assert_ptr_null(m.opt);
    ck_assert_ptr_nonnull(m.ws);
    float x[3] = {1, 2, 3}, y[2];
    ck_assert_int_eq(mlp_forward(m.net, m.ws, x, 1, y), MLP_OK);
    mlp_workspace_free(m.ws);
    mlp_net_free(m.net);
}
END_TEST

START_TEST(one_seed_one_model)
{
    mlp_dataset *ds = regression_set(150, true, 7);
    mlp_net *nets[3] = {NULL, NULL, NULL};
    uint64_t seeds[3] = {3, 3, 4};
    for (size_t i = 0; i < 3; i++) {
        mlp_fit_config c = small_config(seeds[i]);
        mlp_model *m = NULL;
        ck_assert_int_eq(mlp_model_fit(&m, ds, &c, NULL, NULL), MLP_OK);
        ck_assert_int_eq(mlp_net_clone(&nets[i], mlp_model_net(m)), MLP_OK);
        mlp_model_free(m);
    }
    size_t n = mlp_net_param_count(nets[0]);
    ck_assert_uint_eq(mlp_net_param_count(nets[1]), n);
    ck_assert(memcmp(mlp_net_params_const(nets[0]), mlp_net_params_const(nets[1]),
                     n * sizeof(float)) == 0);
    ck_assert(mlp_net_param_count(nets[2]) != n ||
              memcmp(mlp_net_params_const(nets[0]), mlp_net_params_const(nets[2]),
                     n * sizeof(float)) != 0);
    for (size_t i = 0; i < 3; i++) mlp_net_free(nets[i]);
    mlp_dataset_free(ds);
}
END_TEST

/* A progress callback that stops the run (Ctrl-C in the tool) stops the cross-validation
 * in the fold it is in: that fold's net, as trained so far, is the model, and it is said. */
static bool stop_after(const mlp_progress *p, void *user_data)
{
    (void)p;
    size_t *calls = user_data;
    return ++*calls < 20;
}

START_TEST(a_callback_stops_the_folds)
{
    mlp_dataset *ds = regression_set(300, true, 8);
    mlp_fit_config c = small_config(1);
    size_t calls = 0;
    c.train.progress = stop_after;
    c.train.user_data = &calls;
    mlp_model *m = NULL;
    mlp_fit_report r = new_report();
    ck_assert_int_eq(mlp_model_fit(&m, ds, &c, &r, NULL), MLP_OK);
    ck_assert(r.stopped_by_callback && r.cv_folds == 5 && r.verdict == MLP_FIT_NET);
    ck_assert_uint_eq(calls, 20);
    ck_assert(has_line(&r, "guard: 5-fold cross-validation interrupted in fold 1"));
    ck_assert_uint_eq(mlp_net_size(mlp_model_net(m), 1), 16); /* one net, not the five */
    mlp_model_free(m);
    mlp_dataset_free(ds);
}
END_TEST

/* The merged net's outputs before the output activation are the mean of the members', to
 * float rounding, against a double-precision mean; with two hidden layers (block-diagonal)
 * and with none (the output layer alone). */
START_TEST(merged_nets_predict_the_mean)
{
    size_t deep[] = {3, 7, 5, 2}, flat[] = {3, 2};
    mlp_activation deep_acts[] = {MLP_ACT_TANH, MLP_ACT_RELU, MLP_ACT_LINEAR};
    mlp_activation flat_acts[] = {MLP_ACT_LINEAR};
    for (int shape = 0; shape < 2; shape++) {
        size_t L = shape ? 1 : 3;
        mlp_net *nets[4] = {NULL};
        for (size_t f = 0; f < 4; f++) {
            ck_assert_int_eq(mlp_net_create(&nets[f], L, shape ? flat : deep,
                                            shape ? flat_acts : deep_acts,
                                            MLP_BIAS_PER_NEURON), MLP_OK);
            ck_assert_int_eq(mlp_net_init(nets[f], MLP_INIT_AUTO, 100 + f), MLP_OK);
            float *p = mlp_net_params(nets[f]);
            for (size_t i = 0; i < mlp_net_param_count(nets[f]); i++) p[i] += 0.01f * (float)i;
        }
        mlp_net *m = NULL;
        ck_assert_int_eq(fit_ensemble_merge(nets, 4, 1000, &m), MLP_OK);
        ck_assert_uint_eq(mlp_net_size(m, 1), shape ? 2 : 28);
        float x[3 * 5], out[2 * 5], one[2 * 5];
        uint64_t s = 9;
        for (size_t i = 0; i < 15; i++) x[i] = (float)(2 * uniform(&s) - 1);
        double want[10] = {0};
        mlp_workspace *ws = NULL;
        for (size_t f = 0; f < 4; f++) {
            ck_assert_int_eq(mlp_workspace_create_inference(&ws, nets[f], 5), MLP_OK);
            ck_assert_int_eq(mlp_forward(nets[f], ws, x, 5, one), MLP_OK);
            for (size_t i = 0; i < 10; i++) want[i] += one[i] / 4.0;
            mlp_workspace_free(ws);
            ws = NULL;
        }
        ck_assert_int_eq(mlp_workspace_create_inference(&ws, m, 5), MLP_OK);
        ck_assert_int_eq(mlp_forward(m, ws, x, 5, out), MLP_OK);
        for (size_t i = 0; i < 10; i++)
            ck_assert_msg(fabs(out[i] - want[i]) < 1e-5 * (1 + fabs(want[i])),
                          "output %zu: %g, mean of the nets %g", i, out[i], want[i]);
        mlp_workspace_free(ws);
        mlp_net_free(m);
        /* beyond the parameter limit, or another bias mode: refused */
        ck_assert_int_eq(fit_ensemble_merge(nets, 4, 5, &m), MLP_ERR_INVALID_ARG);
        ck_assert_ptr_null(m);
        for (size_t f = 0; f < 4; f++) mlp_net_free(nets[f]);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("fit_cv");
    TCase *tc = tcase_create("fit_cv");
    tcase_set_timeout(tc, 240);
    tcase_add_test(tc, merged_nets_predict_the_mean);
    tcase_add_test(tc, the_standard_error_comes_from_the_records);
    tcase_add_test(tc, a_lower_loss_without_clear_accuracy_keeps_the_frequencies);
    tcase_add_test(tc, a_second_net_with_more_weight_decay);
    tcase_add_test(tc, a_net_replaces_the_model_net);
    tcase_add_test(tc, given_folds_and_refusals);
    tcase_add_test(tc, the_constant_wins_on_noise);
    tcase_add_test(tc, report_and_the_fold_nets_kept);
    tcase_add_test(tc, one_seed_one_model);
    tcase_add_test(tc, a_callback_stops_the_folds);
    tcase_add_test(tc, folds_below_the_threshold_and_not_from_it);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
