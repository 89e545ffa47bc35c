/* The model handle (lib/api/) against the low-level path it is built on: predict is the
 * manual scaling + mlp_forward bit for bit, classify is their argmax, threads sharing one
 * model agree with one thread, bad arguments change nothing, and training from data sets
 * is the same run as the steps done by hand. */
#define _POSIX_C_SOURCE 200809L /* mkdtemp */
#include "mlp.h"
#include "test_tmpdir.h"

#include <check.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define N_FEAT 3
#define N_ROWS 90
#define N_PRED 300 /* more than MLP_MODEL_PREDICT_CHUNK: two chunks */

static const char *const CLASS_NAMES[3] = {"alpha", "beta", "gamma"};
static char tmp[64];
static mlp_dataset *data;   /* N_ROWS labelled records, 3 classes, features far from 0/1 */
static float pred_rows[N_PRED * N_FEAT];

static uint64_t rng_state = 12345;
static double uniform(void)
{
    rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
    return (double)(rng_state >> 11) * 0x1.0p-53;
}

/* Raw features with offsets and spreads that make the scaling matter. */
static void raw_record(float *x)
{
    x[0] = (float)(100.0 + 20.0 * uniform());
    x[1] = (float)(-3.0 + 0.01 * uniform());
    x[2] = (float)(5000.0 * uniform());
}

static size_t label_of(const float *x)
{
    return x[0] > 110.0f ? 0 : x[2] > 2500.0f ? 1 : 2;
}

static void setup(void)
{
    tu_tmpdir_create(tmp, "mlp_handle_");
    size_t len = 0, cap = 64 * (N_ROWS + 1);
    char *csv = malloc(cap);
    ck_assert_ptr_nonnull(csv);
    len += (size_t)snprintf(csv, cap, "f1,f2,f3,kind\n");
    for (int i = 0; i < N_ROWS; i++) {
        float x[N_FEAT];
        raw_record(x);
        len += (size_t)snprintf(csv + len, cap - len, "%.9g,%.9g,%.9g,%s\n", x[0], x[1], x[2],
                                CLASS_NAMES[label_of(x)]);
    }
    const char *path = tu_tmpdir_write(tmp, "train.csv", csv);
    free(csv);
    ck_assert_int_eq(mlp_dataset_open_csv(&data, path, NULL, NULL), MLP_OK);
    ck_assert_uint_eq(mlp_dataset_class_count(data), 3);
    for (int i = 0; i < N_PRED; i++) raw_record(pred_rows + i * N_FEAT);
}

static void teardown(void)
{
    mlp_dataset_free(data);
    data = NULL;
    tu_tmpdir_remove(tmp);
}

static mlp_model_config small_config(void)
{
    static const size_t hidden[] = {8, 6};
    mlp_model_config c = mlp_model_config_default();
    c.hidden_count = 2;
    c.hidden_sizes = hidden;
    c.hidden_activation = MLP_ACT_TANH;
    c.seed = 7;
    c.optimizer.learning_rate = 0.01f;
    return c;
}

static mlp_model *built_model(void)
{
    mlp_model_config c = small_config();
    mlp_model *m = NULL;
    ck_assert_int_eq(mlp_model_build(&m, data, &c), MLP_OK);
    return m;
}

/* The manual path: scale a copy with the model's preprocessing, mlp_forward in chunks. */
static void manual_predict(const mlp_model *m, const float *raw, size_t n, size_t chunk,
                           float *out)
{
    const mlp_net *net = mlp_model_net(m);
    size_t in = mlp_net_input_size(net), nl = mlp_net_output_size(net);
    float *x = malloc(n * in * sizeof *x);
    ck_assert_ptr_nonnull(x);
    memcpy(x, raw, n * in * sizeof *x);
    ck_assert_int_eq(mlp_preprocess_apply_rows(mlp_model_preprocess(m), x, n, in), MLP_OK);
    mlp_workspace *ws;
    ck_assert_int_eq(mlp_workspace_create(&ws, net, chunk), MLP_OK);
    for (size_t i = 0; i < n; i += chunk) {
        size_t c = n - i < chunk ? n - i : chunk;
        ck_assert_int_eq(mlp_forward(net, ws, x + i * in, c, out + i * nl), MLP_OK);
    }
    mlp_workspace_free(ws);
    free(x);
}

static size_t argmax(const float *v, size_t n)
{
    size_t best = 0;
    for (size_t j = 1; j < n; j++)
        if (v[j] > v[best]) best = j;
    return best;
}

START_TEST(build_from_data)
{
    mlp_model *m = built_model();
    const mlp_net *net = mlp_model_net(m);
    ck_assert_uint_eq(mlp_net_layer_count(net), 3);
    ck_assert_uint_eq(mlp_model_input_size(m), N_FEAT);
    ck_assert_uint_eq(mlp_model_output_size(m), 3);
    ck_assert_int_eq(mlp_net_activation(net, 0), MLP_ACT_TANH);
    ck_assert_int_eq(mlp_net_activation(net, 2), MLP_ACT_SOFTMAX); /* classification */
    ck_assert_int_eq(mlp_preprocess_scaling(mlp_model_preprocess(m)), MLP_SCALE_STANDARD);
    ck_assert_int_eq(mlp_preprocess_task(mlp_model_preprocess(m)), MLP_TASK_CLASSIFY);
    ck_assert_ptr_nonnull(mlp_model_optimizer(m));
    ck_assert_uint_eq(mlp_model_epoch(m), 0);
    for (size_t c = 0; c < 3; c++) ck_assert_str_eq(mlp_model_class_name(m, c), CLASS_NAMES[c]);
    ck_assert_ptr_null(mlp_model_class_name(m, 3));
    mlp_model_free(m);
}
END_TEST

START_TEST(predict_is_manual_scaling_and_forward)
{
    mlp_model *m = built_model();
    size_t nl = mlp_model_output_size(m);
    float raw_copy[N_PRED * N_FEAT];
    memcpy(raw_copy, pred_rows, sizeof raw_copy);
    float *out = malloc(N_PRED * nl * sizeof *out), *ref = malloc(N_PRED * nl * sizeof *ref);
    ck_assert_ptr_nonnull(out);
    ck_assert_ptr_nonnull(ref);
    /* The per-call variant runs MLP_MODEL_PREDICT_CHUNK records per forward pass. */
    ck_assert_int_eq(mlp_model_predict(m, pred_rows, N_PRED, out), MLP_OK);
    manual_predict(m, pred_rows, N_PRED, MLP_MODEL_PREDICT_CHUNK, ref);
    ck_assert_mem_eq(out, ref, N_PRED * nl * sizeof *out);
    ck_assert_mem_eq(pred_rows, raw_copy, sizeof raw_copy); /* the caller's rows untouched */
    /* Again: no second scaling of anything. From this second call over the same parameters
     * the passes may run from the model's packed weights: equal to float rounding. */
    ck_assert_int_eq(mlp_model_predict(m, pred_rows, N_PRED, out), MLP_OK);
    for (size_t i = 0; i < N_PRED * nl; i++)
        ck_assert_msg(fabsf(out[i] - ref[i]) <= 1e-5f * (1.0f + fabsf(ref[i])),
                      "output %zu: %g against %g", i, (double)out[i], (double)ref[i]);
    /* A scratch of 7 records: chunks of 7, the last one of 6 (one-record paths too). */
    mlp_model_scratch *s;
    ck_assert_int_eq(mlp_model_scratch_create(&s, m, 7), MLP_OK);
    ck_assert_int_eq(mlp_model_predict_with(m, s, pred_rows, N_PRED, out), MLP_OK);
    manual_predict(m, pred_rows, N_PRED, 7, ref);
    ck_assert_mem_eq(out, ref, N_PRED * nl * sizeof *out);
    /* One record: mlp_forward's one-record path, as by hand. */
    ck_assert_int_eq(mlp_model_predict_with(m, s, pred_rows + 4 * N_FEAT, 1, out), MLP_OK);
    manual_predict(m, pred_rows + 4 * N_FEAT, 1, 1, ref);
    ck_assert_mem_eq(out, ref, nl * sizeof *out);
    /* The scaling matters here: the unscaled rows give other outputs. */
    mlp_workspace *ws;
    ck_assert_int_eq(mlp_workspace_create(&ws, mlp_model_net(m), 1), MLP_OK);
    ck_assert_int_eq(mlp_forward(mlp_model_net(m), ws, pred_rows + 4 * N_FEAT, 1, ref), MLP_OK);
    ck_assert(memcmp(out, ref, nl * sizeof *out) != 0);
    mlp_workspace_free(ws);
    mlp_model_scratch_free(s);
    free(out);
    free(ref);
    mlp_model_free(m);
}
END_TEST

/* A scratch on threads (packed weights where the CPU has AVX-512): the same predictions as
 * by hand to float rounding, the first pass and the later (packed) ones alike. */
START_TEST(scratch_threads_predict_as_by_hand)
{
    mlp_model *m = built_model();
    size_t nl = mlp_model_output_size(m);
    float *out = malloc(N_PRED * nl * sizeof *out), *ref = malloc(N_PRED * nl * sizeof *ref);
    ck_assert_ptr_nonnull(out);
    ck_assert_ptr_nonnull(ref);
    manual_predict(m, pred_rows, N_PRED, 7, ref);
    mlp_model_scratch *s;
    ck_assert_int_eq(mlp_model_scratch_create(&s, m, 7), MLP_OK);
    ck_assert_int_eq(mlp_model_scratch_set_threads(NULL, 2), MLP_ERR_NULL_ARG);
    ck_assert_int_eq(mlp_model_scratch_set_threads(s, 0), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_model_scratch_set_threads(s, 2), MLP_OK);
    for (int pass = 0; pass < 3; pass++) {
        ck_assert_int_eq(mlp_model_predict_with(m, s, pred_rows, N_PRED, out), MLP_OK);
        for (size_t i = 0; i < N_PRED * nl; i++)
            ck_assert_msg(fabsf(out[i] - ref[i]) <= 1e-5f * (1.0f + fabsf(ref[i])),
                          "pass %d, output %zu: %g against %g", pass, i, out[i], ref[i]);
    }
    mlp_model_scratch_free(s);
    free(out);
    free(ref);
    mlp_model_free(m);
}
END_TEST

START_TEST(classify_is_argmax)
{
    mlp_model *m = built_model();
    ck_assert_int_eq(mlp_model_train(m, data, NULL, NULL, NULL), MLP_OK);
    size_t nl = mlp_model_output_size(m);
    float *out = malloc(N_PRED * nl * sizeof *out);
    size_t classes[N_PRED], classes2[N_PRED], seen[3] = {0, 0, 0};
    ck_assert_ptr_nonnull(out);
    ck_assert_int_eq(mlp_model_predict(m, pred_rows, N_PRED, out), MLP_OK);
    ck_assert_int_eq(mlp_model_classify(m, pred_rows, N_PRED, classes), MLP_OK);
    mlp_model_scratch *s;
    ck_assert_int_eq(mlp_model_scratch_create(&s, m, 5), MLP_OK);
    ck_assert_int_eq(mlp_model_classify_with(m, s, pred_rows, N_PRED, classes2), MLP_OK);
    size_t right = 0;
    for (size_t i = 0; i < N_PRED; i++) {
        ck_assert_uint_eq(classes[i], argmax(out + i * nl, nl));
        ck_assert_uint_eq(classes2[i], classes[i]);
        seen[classes[i]]++;
        right += classes[i] == label_of(pred_rows + i * N_FEAT);
    }
    /* Trained (default: cross-entropy for the softmax output), it mostly gets them right. */
    ck_assert_uint_gt(right, N_PRED / 2);
    ck_assert_uint_gt(seen[0] + seen[1] + seen[2], 0);
    mlp_model_scratch_free(s);
    free(out);
    mlp_model_free(m);
}
END_TEST

/* ------------------------------------------------------------------ threads */

typedef struct job {
    const mlp_model *m;
    int own_scratch;
    float rows[N_PRED * N_FEAT]; /* pred_rows rotated: each thread predicts other records */
    float out[N_PRED * 3], ref[N_PRED * 3];
    size_t classes[N_PRED], ref_classes[N_PRED];
    mlp_status st;
} job;

/* Outputs and classes of j->rows, with or without a scratch of 16 records. */
static mlp_status run_job(job *j, mlp_model_scratch *s, float *out, size_t *classes)
{
    mlp_status st;
    if (s) {
        st = mlp_model_predict_with(j->m, s, j->rows, N_PRED, out);
        if (st == MLP_OK) st = mlp_model_classify_with(j->m, s, j->rows, N_PRED, classes);
    } else {
        st = mlp_model_predict(j->m, j->rows, N_PRED, out);
        if (st == MLP_OK) st = mlp_model_classify(j->m, j->rows, N_PRED, classes);
    }
    return st;
}

static void *worker(void *arg)
{
    job *j = arg;
    mlp_model_scratch *s = NULL;
    j->st = MLP_OK;
    if (j->own_scratch) j->st = mlp_model_scratch_create(&s, j->m, 16);
    for (int rep = 0; rep < 400 && j->st == MLP_OK; rep++) {
        j->st = run_job(j, s, j->out, j->classes);
        if (j->st == MLP_OK && (memcmp(j->out, j->ref, sizeof j->out) != 0 ||
                                memcmp(j->classes, j->ref_classes, sizeof j->classes) != 0))
            j->st = MLP_STATUS_COUNT; /* differs from the one-thread run */
    }
    mlp_model_scratch_free(s);
    return NULL;
}

START_TEST(threads_agree_with_one_thread)
{
    mlp_model *m = built_model();
    ck_assert_int_eq(mlp_model_train(m, data, NULL, NULL, NULL), MLP_OK);
    enum { THREADS = 4 };
    static job jobs[THREADS];
    pthread_t th[THREADS];
    /* References from this thread alone, with the chunking each worker uses. */
    for (int i = 0; i < THREADS; i++) {
        job *j = &jobs[i];
        memset(j, 0, sizeof *j);
        j->m = m;
        j->own_scratch = i % 2;
        size_t shift = (size_t)i * 71 % N_PRED;
        for (size_t r = 0; r < N_PRED; r++)
            memcpy(j->rows + r * N_FEAT, pred_rows + (r + shift) % N_PRED * N_FEAT,
                   N_FEAT * sizeof(float));
        mlp_model_scratch *s = NULL;
        if (j->own_scratch) ck_assert_int_eq(mlp_model_scratch_create(&s, m, 16), MLP_OK);
        ck_assert_int_eq(run_job(j, s, j->ref, j->ref_classes), MLP_OK);
        mlp_model_scratch_free(s);
    }
    ck_assert(memcmp(jobs[0].ref, jobs[2].ref, sizeof jobs[0].ref) != 0);
    for (int i = 0; i < THREADS; i++)
        ck_assert_int_eq(pthread_create(&th[i], NULL, worker, &jobs[i]), 0);
    for (int i = 0; i < THREADS; i++) ck_assert_int_eq(pthread_join(th[i], NULL), 0);
    for (int i = 0; i < THREADS; i++) {
        ck_assert_int_eq(jobs[i].st, MLP_OK);
        ck_assert_mem_eq(jobs[i].out, jobs[i].ref, sizeof jobs[i].out);
        ck_assert_mem_eq(jobs[i].classes, jobs[i].ref_classes, sizeof jobs[i].classes);
    }
    mlp_model_free(m);
}
END_TEST

/* ------------------------------------------------------------------ bad arguments */

START_TEST(bad_prediction_args_change_nothing)
{
    mlp_model *m = built_model();
    float out[4 * 3], sentinel[4 * 3];
    size_t classes[4] = {9, 9, 9, 9};
    for (size_t i = 0; i < 12; i++) out[i] = sentinel[i] = -7.0f;
    ck_assert_int_eq(mlp_model_predict(NULL, pred_rows, 4, out), MLP_ERR_NULL_ARG);
    ck_assert_int_eq(mlp_model_predict(m, NULL, 4, out), MLP_ERR_NULL_ARG);
    ck_assert_int_eq(mlp_model_predict(m, pred_rows, 4, NULL), MLP_ERR_NULL_ARG);
    ck_assert_int_eq(mlp_model_predict(m, pred_rows, 0, out), MLP_ERR_INVALID_ARG);
    float bad[4 * N_FEAT];
    memcpy(bad, pred_rows, sizeof bad);
    bad[3 * N_FEAT + 2] = NAN;
    ck_assert_int_eq(mlp_model_predict(m, bad, 4, out), MLP_ERR_NON_FINITE);
    ck_assert_int_eq(mlp_model_classify(m, bad, 4, classes), MLP_ERR_NON_FINITE);
    bad[3 * N_FEAT + 2] = INFINITY;
    ck_assert_int_eq(mlp_model_predict(m, bad, 4, out), MLP_ERR_NON_FINITE);

    mlp_model_scratch *s = NULL, *other = NULL;
    ck_assert_int_eq(mlp_model_scratch_create(NULL, m, 4), MLP_ERR_NULL_ARG);
    ck_assert_int_eq(mlp_model_scratch_create(&s, NULL, 4), MLP_ERR_NULL_ARG);
    ck_assert_int_eq(mlp_model_scratch_create(&s, m, 0), MLP_ERR_INVALID_ARG);
    ck_assert_ptr_null(s);
    ck_assert_int_eq(mlp_model_scratch_create(&s, m, 4), MLP_OK);
    ck_assert_int_eq(mlp_model_predict_with(m, NULL, pred_rows, 4, out), MLP_ERR_NULL_ARG);
    /* A scratch made for another topology. */
    mlp_model_config c = mlp_model_config_default();
    mlp_model *m2;
    ck_assert_int_eq(mlp_model_build(&m2, data, &c), MLP_OK);
    ck_assert_int_eq(mlp_model_scratch_create(&other, m2, 4), MLP_OK);
    ck_assert_int_eq(mlp_model_predict_with(m, other, pred_rows, 4, out),
                     MLP_ERR_WORKSPACE_MISMATCH);
    ck_assert_int_eq(mlp_model_classify_with(m, other, pred_rows, 4, classes),
                     MLP_ERR_WORKSPACE_MISMATCH);
    ck_assert_int_eq(mlp_model_classify_with(m, s, pred_rows, 0, classes), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_model_classify(m, pred_rows, 4, NULL), MLP_ERR_NULL_ARG);
    ck_assert_mem_eq(out, sentinel, sizeof out);
    for (size_t i = 0; i < 4; i++) ck_assert_uint_eq(classes[i], 9);

    /* Classifying with a regression model. */
    c.task = MLP_TASK_REGRESS;
    mlp_model *reg;
    ck_assert_int_eq(mlp_model_build(&reg, data, &c), MLP_OK);
    ck_assert_int_eq(mlp_net_activation(mlp_model_net(reg),
                                        mlp_net_layer_count(mlp_model_net(reg)) - 1),
                     MLP_ACT_LINEAR);
    ck_assert_int_eq(mlp_model_classify(reg, pred_rows, 4, classes), MLP_ERR_INVALID_ARG);
    mlp_model_scratch *rs;
    ck_assert_int_eq(mlp_model_scratch_create(&rs, reg, 4), MLP_OK);
    ck_assert_int_eq(mlp_model_classify_with(reg, rs, pred_rows, 4, classes),
                     MLP_ERR_INVALID_ARG);
    mlp_model_scratch_free(rs);
    for (size_t i = 0; i < 4; i++) ck_assert_uint_eq(classes[i], 9);
    ck_assert_int_eq(mlp_model_predict(reg, pred_rows, 4, out), MLP_OK); /* it predicts */

    /* NULL handles in the accessors. */
    ck_assert_ptr_null(mlp_model_net(NULL));
    ck_assert_ptr_null(mlp_model_preprocess(NULL));
    ck_assert_ptr_null(mlp_model_optimizer(NULL));
    ck_assert_ptr_null(mlp_model_class_name(NULL, 0));
    ck_assert_uint_eq(mlp_model_input_size(NULL), 0);
    ck_assert_uint_eq(mlp_model_epoch(NULL), 0);
    mlp_model_free(NULL);
    mlp_model_scratch_free(NULL);

    mlp_model_scratch_free(s);
    mlp_model_scratch_free(other);
    mlp_model_free(reg);
    mlp_model_free(m2);
    mlp_model_free(m);
}
END_TEST

START_TEST(bad_parts_stay_the_callers)
{
    const size_t sizes[] = {N_FEAT, 4, 3}, sizes2[] = {N_FEAT, 5, 3};
    const mlp_activation acts[] = {MLP_ACT_RELU, MLP_ACT_SOFTMAX};
    mlp_net *net, *net2;
    mlp_preprocess *pre_bad, *pre;
    mlp_optimizer *opt_other;
    ck_assert_int_eq(mlp_net_create(&net, 2, sizes, acts, MLP_BIAS_PER_NEURON), MLP_OK);
    ck_assert_int_eq(mlp_net_create(&net2, 2, sizes2, acts, MLP_BIAS_PER_NEURON), MLP_OK);
    ck_assert_int_eq(mlp_preprocess_create(&pre_bad, N_FEAT + 1), MLP_OK);
    ck_assert_int_eq(mlp_preprocess_create(&pre, N_FEAT), MLP_OK);
    mlp_optimizer_config oc = mlp_optimizer_config_default(MLP_OPT_SGD);
    ck_assert_int_eq(mlp_optimizer_create(&opt_other, net2, &oc), MLP_OK);
    mlp_model *m = NULL;
    ck_assert_int_eq(mlp_model_create(NULL, net, pre, NULL), MLP_ERR_NULL_ARG);
    ck_assert_int_eq(mlp_model_create(&m, NULL, pre, NULL), MLP_ERR_NULL_ARG);
    ck_assert_int_eq(mlp_model_create(&m, net, pre_bad, NULL), MLP_ERR_DIMENSION);
    ck_assert_int_eq(mlp_model_create(&m, net, pre, opt_other), MLP_ERR_WORKSPACE_MISMATCH);
    /* Class names that are not the outputs. */
    const char *two[] = {"x", "y"};
    ck_assert_int_eq(mlp_preprocess_set_label_info(pre, MLP_TASK_CLASSIFY, NULL, -1, 2, two),
                     MLP_OK);
    ck_assert_int_eq(mlp_model_create(&m, net, pre, NULL), MLP_ERR_DIMENSION);
    ck_assert_ptr_null(m);
    /* The parts are still the caller's (ASan would see a double free otherwise). */
    mlp_preprocess_free(pre_bad);
    mlp_optimizer_free(opt_other);
    mlp_net_free(net2);
    ck_assert_int_eq(mlp_preprocess_set_label_info(pre, MLP_TASK_CLASSIFY, NULL, -1, 0, NULL),
                     MLP_OK);
    /* Now accepted, owned: freeing the model frees them. Without pre: identity scaling. */
    ck_assert_int_eq(mlp_model_create(&m, net, NULL, NULL), MLP_OK);
    ck_assert_int_eq(mlp_preprocess_scaling(mlp_model_preprocess(m)), MLP_SCALE_NONE);
    ck_assert_ptr_null(mlp_model_optimizer(m));
    ck_assert_int_eq(mlp_model_train(m, data, NULL, NULL, NULL), MLP_ERR_INVALID_ARG);
    mlp_model_free(m);
    mlp_preprocess_free(pre);
}
END_TEST

START_TEST(bad_training_args_change_nothing)
{
    mlp_model *m = built_model();
    const mlp_net *net = mlp_model_net(m);
    size_t np = mlp_net_param_count(net);
    float *before = malloc(np * sizeof *before);
    ck_assert_ptr_nonnull(before);
    memcpy(before, mlp_net_params_const(net), np * sizeof *before);
    mlp_dataset *wrong_in, *wrong_out, *empty;
    ck_assert_int_eq(mlp_dataset_create(&wrong_in, 4, N_FEAT + 1, 3), MLP_OK);
    ck_assert_int_eq(mlp_dataset_create(&wrong_out, 4, N_FEAT, 2), MLP_OK);
    ck_assert_int_eq(mlp_dataset_create(&empty, 0, N_FEAT, 3), MLP_OK);
    mlp_train_result res;
    memset(&res, 0xab, sizeof res);
    ck_assert_int_eq(mlp_model_train(NULL, data, NULL, NULL, &res), MLP_ERR_NULL_ARG);
    ck_assert_int_eq(mlp_model_train(m, NULL, NULL, NULL, &res), MLP_ERR_NULL_ARG);
    ck_assert_int_eq(mlp_model_train(m, wrong_in, NULL, NULL, &res), MLP_ERR_DIMENSION);
    ck_assert_int_eq(mlp_model_train(m, wrong_out, NULL, NULL, &res), MLP_ERR_DIMENSION);
    ck_assert_int_eq(mlp_model_train(m, data, wrong_out, NULL, &res), MLP_ERR_DIMENSION);
    ck_assert_int_eq(mlp_model_train(m, empty, NULL, NULL, &res), MLP_ERR_INVALID_ARG);
    mlp_train_config tc = mlp_train_config_default();
    tc.epochs = 0;
    tc.batch_size = 1;
    tc.dropout = 2.0f; /* mlp_train's own checks come through */
    ck_assert_int_eq(mlp_model_train(m, data, NULL, &tc, &res), MLP_ERR_INVALID_ARG);
    ck_assert_mem_eq(mlp_net_params_const(net), before, np * sizeof *before);
    ck_assert_uint_eq(mlp_optimizer_step_count(mlp_model_optimizer(m)), 0);
    ck_assert_uint_eq(mlp_model_epoch(m), 0);
    ck_assert_uint_eq(res.epochs_run, (size_t)0xabababababababab);

    mlp_model *m2 = (mlp_model *)&res; /* a value that must stay */
    mlp_model_config c = mlp_model_config_default();
    ck_assert_int_eq(mlp_model_build(NULL, data, &c), MLP_ERR_NULL_ARG);
    ck_assert_int_eq(mlp_model_build(&m2, NULL, &c), MLP_ERR_NULL_ARG);
    ck_assert_int_eq(mlp_model_build(&m2, empty, &c), MLP_ERR_INVALID_ARG);
    static const size_t zero[] = {0};
    c.hidden_count = 1;
    c.hidden_sizes = zero;
    ck_assert_int_eq(mlp_model_build(&m2, data, &c), MLP_ERR_INVALID_ARG);
    c = mlp_model_config_default();
    c.hidden_activation = MLP_ACT_SOFTMAX;
    ck_assert_int_eq(mlp_model_build(&m2, data, &c), MLP_ERR_SOFTMAX_HIDDEN);
    c = mlp_model_config_default();
    c.optimizer.learning_rate = -1.0f;
    ck_assert_int_eq(mlp_model_build(&m2, data, &c), MLP_ERR_INVALID_ARG);
    mlp_dataset *one_col;
    ck_assert_int_eq(mlp_dataset_create(&one_col, 4, N_FEAT, 1), MLP_OK);
    c = mlp_model_config_default();
    c.task = MLP_TASK_CLASSIFY; /* one target column: no classes to choose from */
    ck_assert_int_eq(mlp_model_build(&m2, one_col, &c), MLP_ERR_INVALID_ARG);
    mlp_dataset_free(one_col);
    c = mlp_model_config_default();
    c.task = (mlp_task)7;
    ck_assert_int_eq(mlp_model_build(&m2, data, &c), MLP_ERR_INVALID_ARG);
    c = mlp_model_config_default();
    c.scaling = MLP_SCALE_COUNT;
    ck_assert_int_eq(mlp_model_build(&m2, data, &c), MLP_ERR_INVALID_ARG);
    ck_assert_ptr_eq(m2, (mlp_model *)&res);
    ck_assert_int_eq(mlp_model_open(&m2, "/nonexistent/x.mlp", NULL, NULL), MLP_ERR_IO);
    ck_assert_int_eq(mlp_model_open(&m2, NULL, NULL, NULL), MLP_ERR_NULL_ARG);
    ck_assert_ptr_eq(m2, (mlp_model *)&res);
    ck_assert_int_eq(mlp_model_write(m, NULL, NULL), MLP_ERR_NULL_ARG);
    ck_assert_int_eq(mlp_model_write(NULL, "/tmp/x.mlp", NULL), MLP_ERR_NULL_ARG);
    mlp_dataset_free(wrong_in);
    mlp_dataset_free(wrong_out);
    mlp_dataset_free(empty);
    free(before);
    mlp_model_free(m);
}
END_TEST

/* ------------------------------------------------------------------ training */

/* The steps mlp_model_build + mlp_model_train stand for, done with the low-level calls;
 * returns the trained net (and its optimizer in *opt_out). */
static mlp_net *train_by_hand(const mlp_dataset *train, const mlp_dataset *val,
                              const mlp_train_config *tc, mlp_train_result *res,
                              mlp_optimizer **opt_out)
{
    mlp_model_config c = small_config();
    const size_t sizes[] = {N_FEAT, 8, 6, 3};
    const mlp_activation acts[] = {MLP_ACT_TANH, MLP_ACT_TANH, MLP_ACT_SOFTMAX};
    mlp_net *net;
    ck_assert_int_eq(mlp_net_create(&net, 3, sizes, acts, MLP_BIAS_PER_NEURON), MLP_OK);
    ck_assert_int_eq(mlp_net_init(net, MLP_INIT_AUTO, 7), MLP_OK);
    mlp_preprocess *pre;
    ck_assert_int_eq(mlp_preprocess_create(&pre, N_FEAT), MLP_OK);
    ck_assert_int_eq(mlp_preprocess_fit(pre, train, MLP_SCALE_STANDARD), MLP_OK);
    mlp_dataset *tr, *va, *none;
    ck_assert_int_eq(mlp_dataset_split(train, 0.0f, 1, &tr, &none), MLP_OK); /* copies */
    mlp_dataset_free(none);
    ck_assert_int_eq(mlp_dataset_split(val, 0.0f, 1, &va, &none), MLP_OK);
    mlp_dataset_free(none);
    ck_assert_int_eq(mlp_preprocess_apply(pre, tr), MLP_OK);
    ck_assert_int_eq(mlp_preprocess_apply(pre, va), MLP_OK);
    ck_assert_int_eq(mlp_optimizer_create(opt_out, net, &c.optimizer), MLP_OK);
    ck_assert_int_eq(mlp_train(net, *opt_out, mlp_dataset_inputs_const(tr),
                               mlp_dataset_targets_const(tr), mlp_dataset_count(tr),
                               mlp_dataset_inputs_const(va), mlp_dataset_targets_const(va),
                               mlp_dataset_count(va), tc, res),
                     MLP_OK);
    mlp_dataset_free(tr);
    mlp_dataset_free(va);
    mlp_preprocess_free(pre);
    return net;
}

static void check_same_run(const mlp_model *m, const mlp_net *net, const mlp_optimizer *opt,
                           const mlp_train_result *a, const mlp_train_result *b)
{
    size_t np = mlp_net_param_count(net);
    ck_assert_uint_eq(mlp_net_param_count(mlp_model_net(m)), np);
    ck_assert_mem_eq(mlp_net_params_const(mlp_model_net(m)), mlp_net_params_const(net),
                     np * sizeof(float));
    ck_assert_uint_eq(mlp_optimizer_step_count(mlp_model_optimizer((mlp_model *)m)),
                      mlp_optimizer_step_count(opt));
    ck_assert_uint_eq(a->epochs_run, b->epochs_run);
    ck_assert_uint_eq(a->best_epoch, b->best_epoch);
    ck_assert(a->final_train_loss == b->final_train_loss);
    ck_assert(a->best_val_loss == b->best_val_loss);
    ck_assert_uint_eq(mlp_model_epoch(m), a->epochs_run);
}

START_TEST(train_matches_steps_by_hand)
{
    mlp_dataset *train, *val;
    ck_assert_int_eq(mlp_dataset_split(data, 0.25f, 3, &train, &val), MLP_OK);
    size_t bytes = mlp_dataset_count(train) * N_FEAT * sizeof(float);
    float *raw_copy = malloc(bytes);
    ck_assert_ptr_nonnull(raw_copy);
    memcpy(raw_copy, mlp_dataset_inputs_const(train), bytes);

    /* An explicit config: minibatch, validation, early stopping. */
    mlp_train_config tc = mlp_train_config_default();
    tc.loss = MLP_LOSS_CROSS_ENTROPY;
    tc.epochs = 12;
    tc.batch_size = 8;
    tc.patience = 3;
    mlp_model_config c = small_config();
    mlp_model *m;
    ck_assert_int_eq(mlp_model_build(&m, train, &c), MLP_OK);
    mlp_train_result rm, rh;
    ck_assert_int_eq(mlp_model_train(m, train, val, &tc, &rm), MLP_OK);
    ck_assert_mem_eq(mlp_dataset_inputs_const(train), raw_copy, bytes); /* only read */
    mlp_optimizer *opt;
    mlp_net *net = train_by_hand(train, val, &tc, &rh, &opt);
    check_same_run(m, net, opt, &rm, &rh);
    ck_assert(isfinite(rm.best_val_loss));
    mlp_model_free(m);
    mlp_net_free(net);
    mlp_optimizer_free(opt);

    /* No config: the defaults with cross-entropy for the softmax output. */
    ck_assert_int_eq(mlp_model_build(&m, train, &c), MLP_OK);
    ck_assert_int_eq(mlp_model_train(m, train, val, NULL, &rm), MLP_OK);
    tc = mlp_train_config_default();
    tc.loss = MLP_LOSS_CROSS_ENTROPY;
    net = train_by_hand(train, val, &tc, &rh, &opt);
    check_same_run(m, net, opt, &rm, &rh);
    mlp_model_free(m);
    mlp_net_free(net);
    mlp_optimizer_free(opt);

    free(raw_copy);
    mlp_dataset_free(train);
    mlp_dataset_free(val);
}
END_TEST

START_TEST(write_and_open_round_trip)
{
    mlp_model *m = built_model();
    mlp_train_config tc = mlp_train_config_default();
    tc.loss = MLP_LOSS_CROSS_ENTROPY;
    tc.epochs = 3;
    ck_assert_int_eq(mlp_model_train(m, data, NULL, &tc, NULL), MLP_OK);
    ck_assert_uint_eq(mlp_model_epoch(m), 3);
    char path[128];
    snprintf(path, sizeof path, "%s/m.mlp", tmp);
    ck_assert_int_eq(mlp_model_write(m, path, NULL), MLP_OK);
    mlp_model *back;
    mlp_model_info info;
    ck_assert_int_eq(mlp_model_open(&back, path, &info, NULL), MLP_OK);
    ck_assert(info.has_optimizer && info.has_preprocess);
    ck_assert_uint_eq(mlp_model_epoch(back), 3);
    ck_assert_ptr_nonnull(mlp_model_optimizer(back));
    ck_assert_str_eq(mlp_model_class_name(back, 2), CLASS_NAMES[2]);
    float a[N_PRED * 3], b[N_PRED * 3];
    ck_assert_int_eq(mlp_model_predict(m, pred_rows, N_PRED, a), MLP_OK);
    ck_assert_int_eq(mlp_model_predict(back, pred_rows, N_PRED, b), MLP_OK);
    ck_assert_mem_eq(a, b, sizeof a);
    /* Resuming from the handle continues the run. */
    tc.start_epoch = mlp_model_epoch(back);
    tc.epochs = 5;
    ck_assert_int_eq(mlp_model_train(back, data, NULL, &tc, NULL), MLP_OK);
    ck_assert_uint_eq(mlp_model_epoch(back), 5);
    mlp_model_free(back);
    mlp_model_free(m);
}
END_TEST

/* A 1 -> width -> 1 regression model (no preprocessing), weights from its seed. */
static mlp_model *wide_model(size_t width)
{
    size_t sizes[] = {1, width, 1};
    mlp_activation acts[] = {MLP_ACT_TANH, MLP_ACT_LINEAR};
    mlp_net *net = NULL;
    ck_assert_int_eq(mlp_net_create(&net, 2, sizes, acts, MLP_BIAS_PER_NEURON), MLP_OK);
    ck_assert_int_eq(mlp_net_init(net, MLP_INIT_GLOROT, 7), MLP_OK);
    mlp_model *m = NULL;
    ck_assert_int_eq(mlp_model_create(&m, net, NULL, NULL), MLP_OK);
    return m;
}

/* mlp_model_open_mem_ex refuses, before building, an image beyond a limit the caller set,
 * naming the limit; within the limits (or with none) it opens as mlp_model_open_mem. */
START_TEST(open_mem_limits_what_an_image_costs)
{
    mlp_model *m = wide_model(1000); /* 3001 parameters, widest layer 1000 */
    void *img = NULL;
    size_t size = 0;
    ck_assert_int_eq(mlp_model_write_mem(m, &img, &size), MLP_OK);
    mlp_model_open_options o = mlp_model_open_options_default();
    ck_assert_uint_eq(o.struct_size, sizeof o);
    ck_assert(o.max_bytes == 0 && o.max_params == 0 && o.max_width == 0);
    mlp_model_open_options tight[3] = {o, o, o};
    tight[0].max_bytes = size - 1;
    tight[1].max_params = 3000;
    tight[2].max_width = 999;
    const char *says[3] = {"max_bytes", "max_params", "max_width"};
    for (size_t k = 0; k < 3; k++) {
        mlp_model *back = NULL;
        mlp_error_detail d = {0};
        ck_assert_int_eq(mlp_model_open_mem_ex(&back, img, size, &tight[k], NULL, &d),
                         MLP_ERR_INVALID_ARG);
        ck_assert_ptr_null(back);
        ck_assert_msg(strstr(d.message, says[k]) != NULL, "%s", d.message);
    }
    o.max_bytes = size, o.max_params = 3001, o.max_width = 1000;
    mlp_model *back = NULL;
    ck_assert_int_eq(mlp_model_open_mem_ex(&back, img, size, &o, NULL, NULL), MLP_OK);
    mlp_model_free(back);
    back = NULL;
    ck_assert_int_eq(mlp_model_open_mem_ex(&back, img, size, NULL, NULL, NULL), MLP_OK);
    mlp_model_free(back);
    o.struct_size = 8;
    back = NULL;
    ck_assert_int_eq(mlp_model_open_mem_ex(&back, img, size, &o, NULL, NULL),
                     MLP_ERR_INVALID_ARG);
    ck_assert_ptr_null(back);
    mlp_free(img);
    mlp_model_free(m);
}
END_TEST

/* A wide net predicts in chunks small enough for MLP_MODEL_PREDICT_MEMORY, with the same
 * results as one scratch for every record. */
START_TEST(wide_nets_predict_in_bounded_chunks)
{
    ck_assert_uint_eq(mlp_model_predict_batch(NULL, 5), 1);
    mlp_model *narrow = wide_model(10);
    ck_assert_uint_eq(mlp_model_predict_batch(narrow, 5), 5);
    ck_assert_uint_eq(mlp_model_predict_batch(narrow, 100000), MLP_MODEL_PREDICT_CHUNK);
    mlp_model_free(narrow);
    const size_t width = 200000, n = 256;
    mlp_model *m = wide_model(width);
    size_t b = mlp_model_predict_batch(m, n);
    ck_assert_uint_eq(b, MLP_MODEL_PREDICT_MEMORY / sizeof(float) / (2 + width + 1 + 1));
    ck_assert_uint_lt(b, n);
    float x[256], chunked[256], whole[256];
    for (size_t i = 0; i < n; i++) x[i] = (float)i / 64.0f - 2.0f;
    ck_assert_int_eq(mlp_model_predict(m, x, n, chunked), MLP_OK);
    mlp_model_scratch *s = NULL;
    ck_assert_int_eq(mlp_model_scratch_create(&s, m, n), MLP_OK);
    ck_assert_int_eq(mlp_model_predict_with(m, s, x, n, whole), MLP_OK);
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(fabsf(chunked[i] - whole[i]) <= 1e-6f * (1.0f + fabsf(whole[i])),
                      "record %zu: %.9g chunked, %.9g at once", i, (double)chunked[i],
                      (double)whole[i]);
    mlp_model_scratch_free(s);
    mlp_model_free(m);
}
END_TEST

static Suite *model_handle_suite(void)
{
    Suite *s = suite_create("model_handle");
    TCase *tc = tcase_create("model_handle");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, build_from_data);
    tcase_add_test(tc, predict_is_manual_scaling_and_forward);
    tcase_add_test(tc, scratch_threads_predict_as_by_hand);
    tcase_add_test(tc, classify_is_argmax);
    tcase_add_test(tc, threads_agree_with_one_thread);
    tcase_add_test(tc, bad_prediction_args_change_nothing);
    tcase_add_test(tc, bad_parts_stay_the_callers);
    tcase_add_test(tc, bad_training_args_change_nothing);
    tcase_add_test(tc, train_matches_steps_by_hand);
    tcase_add_test(tc, write_and_open_round_trip);
    tcase_add_test(tc, open_mem_limits_what_an_image_costs);
    tcase_add_test(tc, wide_nets_predict_in_bounded_chunks);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(model_handle_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
