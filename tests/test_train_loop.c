/* mlp_train's loop: progress callback per epoch / per batch, stopping from the callback,
 * early stopping that restores the best parameters, schedules, dropout. */
#include "test_util.h"

#include <check.h>

#define MAX_EPOCHS 64
#define MAX_P 64

typedef struct recorder {
    const mlp_net *net;
    size_t epoch_calls, batch_calls;
    size_t epochs_seen[MAX_EPOCHS];
    size_t last_batch, batches, epochs_field;
    size_t bad_batch_order; /* per-batch calls out of order */
    size_t samples_at_end;
    double val_loss[MAX_EPOCHS], train_loss[MAX_EPOCHS];
    float lr[MAX_EPOCHS];
    float snapshot[MAX_EPOCHS][MAX_P]; /* params at the end of each epoch */
    size_t stop_after_epoch;           /* return false at the end of this epoch (SIZE_MAX: never) */
    size_t stop_after_batches;         /* return false after this many batch calls (0: never) */
} recorder;

static bool record(const mlp_progress *p, void *user)
{
    recorder *r = user;
    if (!p->end_of_epoch) {
        r->batch_calls++;
        if (p->batch != r->last_batch + 1) r->bad_batch_order++;
        r->last_batch = p->batch;
        r->batches = p->batches;
        return !(r->stop_after_batches && r->batch_calls >= r->stop_after_batches);
    }
    size_t e = p->epoch;
    if (r->epoch_calls < MAX_EPOCHS) r->epochs_seen[r->epoch_calls] = e;
    r->epoch_calls++;
    r->last_batch = 0;
    r->epochs_field = p->epochs;
    r->samples_at_end = p->samples_done;
    if (e < MAX_EPOCHS) {
        r->val_loss[e] = p->val_loss;
        r->train_loss[e] = p->train_loss;
        r->lr[e] = p->learning_rate;
        size_t P = mlp_net_param_count(r->net);
        memcpy(r->snapshot[e], mlp_net_params_const(r->net), (P < MAX_P ? P : MAX_P) * sizeof(float));
    }
    return e != r->stop_after_epoch;
}

static recorder *recorder_new(const mlp_net *net)
{
    recorder *r = calloc(1, sizeof *r);
    r->net = net;
    r->stop_after_epoch = SIZE_MAX;
    return r;
}

static mlp_net *small_net(uint64_t seed)
{
    static const size_t sizes[] = {2, 5, 1};
    static const mlp_activation acts[] = {MLP_ACT_TANH, MLP_ACT_LINEAR};
    mlp_net *net = NULL;
    ck_assert_int_eq(mlp_net_create(&net, 2, sizes, acts, MLP_BIAS_PER_NEURON), MLP_OK);
    ck_assert_int_eq(mlp_net_init(net, MLP_INIT_AUTO, seed), MLP_OK);
    return net;
}

enum { N = 8 };
static float data_x[N * 2], data_y[N];

static void make_data(void)
{
    uint64_t s = 99;
    tu_fill_uniform(&s, data_x, N * 2, -1, 1);
    for (size_t r = 0; r < N; r++) data_y[r] = (float)(data_x[2 * r] * data_x[2 * r + 1]);
}

static mlp_optimizer *sgd(const mlp_net *net, float lr)
{
    mlp_optimizer_config oc = mlp_optimizer_config_default(MLP_OPT_SGD);
    oc.learning_rate = lr;
    mlp_optimizer *opt = NULL;
    ck_assert_int_eq(mlp_optimizer_create(&opt, net, &oc), MLP_OK);
    return opt;
}

START_TEST(callback_every_epoch)
{
    make_data();
    mlp_net *net = small_net(1);
    mlp_optimizer *opt = sgd(net, 0.05f);
    recorder *r = recorder_new(net);
    mlp_train_config tc = mlp_train_config_default();
    tc.epochs = 5;
    tc.batch_size = 3;
    tc.progress = record;
    tc.user_data = r;
    mlp_train_result res;
    ck_assert_int_eq(mlp_train(net, opt, data_x, data_y, N, NULL, NULL, 0, &tc, &res), MLP_OK);
    ck_assert_uint_eq(r->epoch_calls, 5);
    ck_assert_uint_eq(r->batch_calls, 0); /* progress_every_batch is off */
    for (size_t e = 0; e < 5; e++) ck_assert_uint_eq(r->epochs_seen[e], e);
    ck_assert_uint_eq(r->epochs_field, 5);
    ck_assert_uint_eq(r->samples_at_end, N);
    ck_assert_uint_eq(res.epochs_run, 5);
    ck_assert(!res.stopped_by_callback);
    ck_assert_msg(isnan(r->val_loss[0]), "val_loss without validation data: %g", r->val_loss[0]);
    /* the end-of-epoch train_loss is the result's final_train_loss */
    ck_assert_double_eq_tol(r->train_loss[4], res.final_train_loss, 1e-12);
    /* the last snapshot is the final state */
    ck_assert_uint_eq(tu_first_diff(r->snapshot[4], mlp_net_params(net), mlp_net_param_count(net)),
                      mlp_net_param_count(net));
    free(r);
    mlp_optimizer_free(opt);
    mlp_net_free(net);
}
END_TEST

START_TEST(callback_every_batch)
{
    make_data();
    mlp_net *net = small_net(1);
    mlp_optimizer *opt = sgd(net, 0.05f);
    recorder *r = recorder_new(net);
    mlp_train_config tc = mlp_train_config_default();
    tc.epochs = 4;
    tc.batch_size = 3; /* 8 records: batches of 3, 3, 2 */
    tc.progress = record;
    tc.user_data = r;
    tc.progress_every_batch = true;
    ck_assert_int_eq(mlp_train(net, opt, data_x, data_y, N, NULL, NULL, 0, &tc, NULL), MLP_OK);
    ck_assert_uint_eq(r->epoch_calls, 4);
    ck_assert_uint_eq(r->batch_calls, 4 * 3);
    ck_assert_uint_eq(r->batches, 3);
    ck_assert_uint_eq(r->bad_batch_order, 0);
    ck_assert_uint_eq(mlp_optimizer_step_count(opt), 12);
    free(r);
    mlp_optimizer_free(opt);
    mlp_net_free(net);
}
END_TEST

/* Per-batch progress every 3 batches at batch 1 on a net the pipelined one-record engine
 * serves (widths above the tiny path's): calls after batches 3, 6 and 8 (the last), each
 * seeing the parameters of a record-by-record mlp_train_step loop, the pending first-layer
 * update applied. */
enum { WIDE_IN = 40, WIDE_HIDDEN = 48, WIDE_P = WIDE_HIDDEN * WIDE_IN + WIDE_HIDDEN * 2 + 1 };
typedef struct interval_probe {
    const mlp_net *net;
    float want[2 * N + 1][WIDE_P]; /* parameters after record r of the two epochs */
    size_t seen[8], calls;
    double max_err;
} interval_probe;

static bool probe_interval(const mlp_progress *p, void *user)
{
    interval_probe *q = user;
    if (p->end_of_epoch) return true;
    if (q->calls < 8) q->seen[q->calls] = p->batch;
    q->calls++;
    size_t r = p->epoch * N + p->batch;
    double e = tu_rel_err_ff(mlp_net_params_const(q->net), q->want[r], WIDE_P, 1e-3);
    q->max_err = e > q->max_err ? e : q->max_err;
    return true;
}

START_TEST(callback_interval_keeps_pipeline_exact)
{
    static const size_t sizes[] = {WIDE_IN, WIDE_HIDDEN, 1};
    static const mlp_activation acts[] = {MLP_ACT_TANH, MLP_ACT_LINEAR};
    mlp_net *net = NULL, *ref = NULL;
    ck_assert_int_eq(mlp_net_create(&net, 2, sizes, acts, MLP_BIAS_PER_NEURON), MLP_OK);
    ck_assert_int_eq(mlp_net_init(net, MLP_INIT_AUTO, 3), MLP_OK);
    ck_assert_uint_eq(mlp_net_param_count(net), WIDE_P);
    ck_assert_int_eq(mlp_net_clone(&ref, net), MLP_OK);
    float x[N * WIDE_IN], y[N];
    uint64_t s = 5;
    tu_fill_uniform(&s, x, N * WIDE_IN, -1, 1);
    tu_fill_uniform(&s, y, N, -1, 1);
    interval_probe *q = calloc(1, sizeof *q);
    q->net = net;
    memcpy(q->want[0], mlp_net_params_const(net), sizeof q->want[0]);
    mlp_optimizer *ro = sgd(ref, 0.05f), *opt = sgd(net, 0.05f);
    mlp_workspace *ws = NULL;
    ck_assert_int_eq(mlp_workspace_create(&ws, ref, 1), MLP_OK);
    for (size_t r = 1; r <= 2 * N; r++) {
        size_t i = (r - 1) % N;
        ck_assert_int_eq(mlp_train_step(ref, ws, ro, x + i * WIDE_IN, y + i, 1, MLP_LOSS_MSE, NULL),
                         MLP_OK);
        memcpy(q->want[r], mlp_net_params_const(ref), sizeof q->want[r]);
    }
    mlp_train_config tc = mlp_train_config_default();
    tc.epochs = 2;
    tc.batch_size = 1;
    tc.shuffle = false;
    tc.progress = probe_interval;
    tc.user_data = q;
    tc.progress_every_batch = true;
    tc.progress_interval = 3;
    ck_assert_int_eq(mlp_train(net, opt, x, y, N, NULL, NULL, 0, &tc, NULL), MLP_OK);
    ck_assert_uint_eq(q->calls, 6);
    const size_t expect[6] = {3, 6, 8, 3, 6, 8};
    for (size_t c = 0; c < 6; c++) ck_assert_uint_eq(q->seen[c], expect[c]);
    ck_assert_msg(q->max_err < 1e-6, "parameters at a progress call differ from the step loop's "
                  "by %.3g", q->max_err);
    ck_assert_double_lt(tu_rel_err_ff(mlp_net_params_const(net), q->want[2 * N], WIDE_P, 1e-3), 1e-6);
    /* and both equal the double-precision reference's sequence of steps */
    tu_topo t = tu_topo_make(2, sizes, acts, MLP_BIAS_PER_NEURON);
    float *p = tu_copy(q->want[0], WIDE_P);
    double *g = malloc(WIDE_P * sizeof *g);
    for (size_t r = 0; r < 2 * N; r++) {
        size_t i = r % N;
        for (size_t j = 0; j < WIDE_P; j++) g[j] = 0.0;
        tu_ref_gradient(&t, p, x + i * WIDE_IN, y + i, 1, MLP_LOSS_MSE, g);
        for (size_t j = 0; j < WIDE_P; j++) p[j] = (float)(p[j] - 0.05 * g[j]);
    }
    double e = tu_rel_err_ff(mlp_net_params_const(net), p, WIDE_P, 1e-3);
    ck_assert_msg(e < 1e-4, "pipelined epochs vs the double reference: err %.3g", e);
    free(p);
    free(g);
    free(q);
    mlp_workspace_free(ws);
    mlp_optimizer_free(ro);
    mlp_optimizer_free(opt);
    mlp_net_free(ref);
    mlp_net_free(net);
}
END_TEST

/* false at the end of epoch 2: three epochs ran; false after 5 batches stops mid-epoch. */
START_TEST(callback_stops)
{
    make_data();
    mlp_net *net = small_net(1);
    mlp_optimizer *opt = sgd(net, 0.05f);
    recorder *r = recorder_new(net);
    r->stop_after_epoch = 2;
    mlp_train_config tc = mlp_train_config_default();
    tc.epochs = 10;
    tc.batch_size = 4;
    tc.progress = record;
    tc.user_data = r;
    mlp_train_result res;
    ck_assert_int_eq(mlp_train(net, opt, data_x, data_y, N, NULL, NULL, 0, &tc, &res), MLP_OK);
    ck_assert(res.stopped_by_callback);
    ck_assert(!res.stopped_early);
    ck_assert_uint_eq(res.epochs_run, 3);
    ck_assert_uint_eq(r->epoch_calls, 3);
    ck_assert_uint_eq(mlp_optimizer_step_count(opt), 6);

    free(r);
    r = recorder_new(net);
    r->stop_after_batches = 5;
    tc.user_data = r;
    tc.progress_every_batch = true;
    mlp_optimizer_reset(opt);
    ck_assert_int_eq(mlp_train(net, opt, data_x, data_y, N, NULL, NULL, 0, &tc, &res), MLP_OK);
    ck_assert(res.stopped_by_callback);
    ck_assert_uint_eq(r->batch_calls, 5);
    ck_assert_uint_eq(mlp_optimizer_step_count(opt), 5);
    free(r);
    mlp_optimizer_free(opt);
    mlp_net_free(net);
}
END_TEST

/* y = w x (no bias), w from 0: training targets y = 2x, validation targets y = x. Batch GD
 * moves w monotonically from 0 to 2, so the validation loss falls until w passes 1 and
 * rises after: early stopping must fire `patience` epochs after the best epoch and end
 * with that epoch's parameters (the callback's snapshot), bit for bit. */
static void early_stopping_case(bool restore_best)
{
    static const size_t sizes[] = {1, 1};
    static const mlp_activation acts[] = {MLP_ACT_LINEAR};
    mlp_net *net = NULL;
    ck_assert_int_eq(mlp_net_create(&net, 1, sizes, acts, MLP_BIAS_NONE), MLP_OK);
    enum { M = 10 };
    float x[M], y[M], vy[M];
    for (int i = 0; i < M; i++) {
        x[i] = (float)(i - 4.5) / 4.5f;
        y[i] = 2 * x[i];
        vy[i] = x[i];
    }
    mlp_optimizer_config oc = mlp_optimizer_config_default(MLP_OPT_SGD);
    oc.learning_rate = 0.05f;
    oc.reduction = MLP_REDUCE_MEAN;
    mlp_optimizer *opt = NULL;
    ck_assert_int_eq(mlp_optimizer_create(&opt, net, &oc), MLP_OK);
    recorder *r = recorder_new(net);
    mlp_train_config tc = mlp_train_config_default();
    tc.epochs = 60;
    tc.batch_size = 0;
    tc.patience = 3;
    tc.restore_best = restore_best;
    tc.progress = record;
    tc.user_data = r;
    mlp_train_result res;
    ck_assert_int_eq(mlp_train(net, opt, x, y, M, x, vy, M, &tc, &res), MLP_OK);

    size_t best = 0;
    for (size_t e = 1; e < r->epoch_calls && e < MAX_EPOCHS; e++)
        if (r->val_loss[e] < r->val_loss[best]) best = e;
    ck_assert_msg(best > 2 && best + 4 < 60, "test setup: best epoch %zu", best);
    ck_assert(res.stopped_early);
    ck_assert(!res.stopped_by_callback);
    ck_assert_uint_eq(res.best_epoch, best);
    ck_assert_msg(res.epochs_run == best + 1 + 3, "epochs_run %zu, best %zu, patience 3",
                  res.epochs_run, best);
    ck_assert_double_eq(res.best_val_loss, r->val_loss[best]);
    /* the validation loss really got worse after the best epoch */
    ck_assert_double_gt(r->val_loss[res.epochs_run - 1], r->val_loss[best]);
    size_t final_epoch = restore_best ? best : res.epochs_run - 1;
    ck_assert_msg(tu_first_diff(r->snapshot[final_epoch], mlp_net_params(net), 1) == 1,
                  "restore_best %d: final w %.9g, snapshot of epoch %zu %.9g", restore_best,
                  (double)mlp_net_params(net)[0], final_epoch, (double)r->snapshot[final_epoch][0]);
    free(r);
    mlp_optimizer_free(opt);
    mlp_net_free(net);
}

START_TEST(early_stopping_restores_best)
{
    early_stopping_case(true);
}
END_TEST

START_TEST(early_stopping_without_restore)
{
    early_stopping_case(false);
}
END_TEST

/* The schedule is evaluated per epoch and reported in the progress. */
START_TEST(schedule_per_epoch)
{
    make_data();
    mlp_net *net = small_net(1);
    mlp_optimizer_config oc = mlp_optimizer_config_default(MLP_OPT_SGD);
    oc.learning_rate = 0.08f;
    oc.schedule = MLP_SCHEDULE_STEP;
    oc.step_epochs = 2;
    oc.step_gamma = 0.5f;
    mlp_optimizer *opt = NULL;
    ck_assert_int_eq(mlp_optimizer_create(&opt, net, &oc), MLP_OK);
    recorder *r = recorder_new(net);
    mlp_train_config tc = mlp_train_config_default();
    tc.epochs = 6;
    tc.progress = record;
    tc.user_data = r;
    ck_assert_int_eq(mlp_train(net, opt, data_x, data_y, N, NULL, NULL, 0, &tc, NULL), MLP_OK);
    for (size_t e = 0; e < 6; e++)
        ck_assert_float_eq_tol(r->lr[e], 0.08f * powf(0.5f, (float)(e / 2)), 1e-7f);
    free(r);
    mlp_optimizer_free(opt);
    mlp_net_free(net);
}
END_TEST

/* Batch GD, one epoch: final_train_loss is the mean loss before the update. */
START_TEST(final_train_loss_is_mean_before_update)
{
    make_data();
    mlp_net *net = small_net(4);
    mlp_workspace *ws = NULL;
    ck_assert_int_eq(mlp_workspace_create(&ws, net, N), MLP_OK);
    double before = -1;
    ck_assert_int_eq(mlp_evaluate(net, ws, data_x, data_y, N, MLP_LOSS_MSE, &before, NULL), MLP_OK);
    mlp_optimizer *opt = sgd(net, 0.1f);
    mlp_train_config tc = mlp_train_config_default();
    tc.epochs = 1;
    tc.batch_size = 0;
    mlp_train_result res;
    ck_assert_int_eq(mlp_train(net, opt, data_x, data_y, N, NULL, NULL, 0, &tc, &res), MLP_OK);
    ck_assert_double_eq_tol(res.final_train_loss, before, 1e-6 * fmax(1.0, before));
    mlp_workspace_free(ws);
    mlp_optimizer_free(opt);
    mlp_net_free(net);
}
END_TEST

/* Dropout changes training (and is reproducible by its seed); mlp_forward never drops. */
START_TEST(dropout)
{
    static const size_t sizes[] = {2, 16, 1};
    static const mlp_activation acts[] = {MLP_ACT_TANH, MLP_ACT_LINEAR};
    make_data();
    mlp_net *plain = NULL, *drop = NULL, *drop2 = NULL;
    ck_assert_int_eq(mlp_net_create(&plain, 2, sizes, acts, MLP_BIAS_PER_NEURON), MLP_OK);
    ck_assert_int_eq(mlp_net_init(plain, MLP_INIT_AUTO, 5), MLP_OK);
    ck_assert_int_eq(mlp_net_clone(&drop, plain), MLP_OK);
    ck_assert_int_eq(mlp_net_clone(&drop2, plain), MLP_OK);
    size_t P = mlp_net_param_count(plain);
    mlp_optimizer *o1 = sgd(plain, 0.05f), *o2 = sgd(drop, 0.05f), *o3 = sgd(drop2, 0.05f);
    mlp_train_config tc = mlp_train_config_default();
    tc.epochs = 5;
    tc.batch_size = 4;
    ck_assert_int_eq(mlp_train(plain, o1, data_x, data_y, N, NULL, NULL, 0, &tc, NULL), MLP_OK);
    tc.dropout = 0.5f;
    tc.dropout_seed = 11;
    ck_assert_int_eq(mlp_train(drop, o2, data_x, data_y, N, NULL, NULL, 0, &tc, NULL), MLP_OK);
    ck_assert_int_eq(mlp_train(drop2, o3, data_x, data_y, N, NULL, NULL, 0, &tc, NULL), MLP_OK);
    ck_assert_msg(tu_first_diff(mlp_net_params(plain), mlp_net_params(drop), P) < P,
                  "dropout 0.5 did not change training");
    ck_assert_msg(tu_first_diff(mlp_net_params(drop2), mlp_net_params(drop), P) == P,
                  "same dropout seed, different result");

    /* a workspace with dropout: forward is deterministic and equal to one without */
    mlp_workspace *wd = NULL, *wp = NULL;
    ck_assert_int_eq(mlp_workspace_create(&wd, drop, N), MLP_OK);
    ck_assert_int_eq(mlp_workspace_create(&wp, drop, N), MLP_OK);
    ck_assert_int_eq(mlp_workspace_set_dropout(wd, 0.5f, 3), MLP_OK);
    float a[N], b[N], c[N];
    ck_assert_int_eq(mlp_forward(drop, wd, data_x, N, a), MLP_OK);
    ck_assert_int_eq(mlp_forward(drop, wd, data_x, N, b), MLP_OK);
    ck_assert_int_eq(mlp_forward(drop, wp, data_x, N, c), MLP_OK);
    ck_assert_uint_eq(tu_first_diff(a, b, N), N);
    ck_assert_uint_eq(tu_first_diff(a, c, N), N);
    /* while mlp_gradient with that workspace does drop */
    float *g1 = malloc(P * sizeof(float)), *g2 = malloc(P * sizeof(float));
    ck_assert_int_eq(mlp_gradient(drop, wd, data_x, data_y, N, MLP_LOSS_MSE, g1, NULL), MLP_OK);
    ck_assert_int_eq(mlp_gradient(drop, wp, data_x, data_y, N, MLP_LOSS_MSE, g2, NULL), MLP_OK);
    ck_assert_msg(tu_first_diff(g1, g2, P) < P, "mlp_gradient ignores the workspace's dropout");
    /* rate 0 turns it off again */
    ck_assert_int_eq(mlp_workspace_set_dropout(wd, 0.0f, 3), MLP_OK);
    ck_assert_int_eq(mlp_gradient(drop, wd, data_x, data_y, N, MLP_LOSS_MSE, g1, NULL), MLP_OK);
    ck_assert_uint_eq(tu_first_diff(g1, g2, P), P);
    free(g1);
    free(g2);
    mlp_workspace_free(wd);
    mlp_workspace_free(wp);
    mlp_optimizer_free(o1);
    mlp_optimizer_free(o2);
    mlp_optimizer_free(o3);
    mlp_net_free(plain);
    mlp_net_free(drop);
    mlp_net_free(drop2);
}
END_TEST

static Suite *train_loop_suite(void)
{
    Suite *s = suite_create("train_loop");
    TCase *tc = tcase_create("train_loop");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, callback_every_epoch);
    tcase_add_test(tc, callback_every_batch);
    tcase_add_test(tc, callback_stops);
    tcase_add_test(tc, callback_interval_keeps_pipeline_exact);
    tcase_add_test(tc, early_stopping_restores_best);
    tcase_add_test(tc, early_stopping_without_restore);
    tcase_add_test(tc, schedule_per_epoch);
    tcase_add_test(tc, final_train_loss_is_mean_before_update);
    tcase_add_test(tc, dropout);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(train_loop_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
