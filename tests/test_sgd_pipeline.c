/* mlp_train's stochastic plain-SGD epochs defer each record's first-layer weight update and
 * fuse it with the next record's forward pass (one pass over W0 fewer). They must give the
 * parameters of a loop of mlp_train_step over the same records in the same order (up to
 * float rounding), every bias mode, with and without weight decay, one and two workspace
 * threads; and a shuffled run must repeat bit for bit. */
#include "mlp.h"
#include "test_util.h"

#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { RECORDS = 40, EPOCHS = 2 };

typedef struct topo {
    size_t layers;
    size_t sizes[3];
} topo;

static const topo topos[] = {
    {2, {784, 128, 10}},
    {2, {300, 256, 10}},
};
enum { N_TOPOS = sizeof topos / sizeof topos[0] };


static mlp_net *make_net(const topo *t, mlp_bias_mode bias)
{
    const mlp_activation acts[2] = {MLP_ACT_SIGMOID, MLP_ACT_SIGMOID};
    mlp_net *net = NULL;
    ck_assert_int_eq(mlp_net_create(&net, t->layers, t->sizes, acts, bias), MLP_OK);
    ck_assert_int_eq(mlp_net_init(net, MLP_INIT_GLOROT, 7), MLP_OK);
    return net;
}

static void make_data(const topo *t, float **x, float **y)
{
    const size_t n0 = t->sizes[0], nl = t->sizes[t->layers];
    *x = malloc(RECORDS * n0 * sizeof **x);
    *y = malloc(RECORDS * nl * sizeof **y);
    ck_assert_ptr_nonnull(*x);
    ck_assert_ptr_nonnull(*y);
    uint64_t s = 11;
    tu_fill_uniform(&s, *x, RECORDS * n0, 0.0, 1.0);
    tu_fill_uniform(&s, *y, RECORDS * nl, 0.05, 0.95);
}

static mlp_optimizer *make_opt(mlp_net *net, float weight_decay)
{
    mlp_optimizer_config oc = mlp_optimizer_config_default(MLP_OPT_SGD);
    oc.learning_rate = 0.2f;
    oc.weight_decay = weight_decay;
    mlp_optimizer *opt = NULL;
    ck_assert_int_eq(mlp_optimizer_create(&opt, net, &oc), MLP_OK);
    return opt;
}

static mlp_train_config one_record_config(int threads, bool shuffle)
{
    mlp_train_config c = mlp_train_config_default();
    c.loss = MLP_LOSS_MSE;
    c.epochs = EPOCHS;
    c.batch_size = 1;
    c.shuffle = shuffle;
    c.threads = threads;
    return c;
}

/* Loop index i: topology, bias mode, weight decay on/off, threads 1/2. */
START_TEST(train_matches_step_loop)
{
    const topo *t = &topos[_i % N_TOPOS];
    const mlp_bias_mode bias = (mlp_bias_mode)(_i / N_TOPOS % MLP_BIAS_COUNT);
    const float wd = (_i / (N_TOPOS * MLP_BIAS_COUNT)) % 2 ? 1e-3f : 0.0f;
    const int threads = (int)(_i / (N_TOPOS * MLP_BIAS_COUNT * 2)) % 2 + 1;
    const size_t n0 = t->sizes[0], nl = t->sizes[t->layers];
    float *x, *y;
    make_data(t, &x, &y);

    mlp_net *a = make_net(t, bias), *b = make_net(t, bias);
    mlp_optimizer *oa = make_opt(a, wd), *ob = make_opt(b, wd);
    const mlp_train_config cfg = one_record_config(threads, false);
    mlp_train_result res;
    ck_assert_int_eq(mlp_train(a, oa, x, y, RECORDS, NULL, NULL, 0, &cfg, &res), MLP_OK);
    ck_assert_uint_eq(res.epochs_run, EPOCHS);
    ck_assert_uint_eq(mlp_optimizer_step_count(oa), EPOCHS * RECORDS);

    mlp_workspace *ws = NULL;
    ck_assert_int_eq(mlp_workspace_create(&ws, b, 1), MLP_OK);
    ck_assert_int_eq(mlp_workspace_set_threads(ws, threads), MLP_OK);
    double loss = 0.0;
    for (size_t e = 0; e < EPOCHS; e++) {
        ck_assert_int_eq(mlp_optimizer_set_epoch(ob, e), MLP_OK);
        loss = 0.0;
        for (size_t r = 0; r < RECORDS; r++) {
            double c;
            ck_assert_int_eq(mlp_train_step(b, ws, ob, x + r * n0, y + r * nl, 1, MLP_LOSS_MSE, &c),
                             MLP_OK);
            loss += c;
        }
    }
    ck_assert_uint_eq(mlp_optimizer_step_count(ob), EPOCHS * RECORDS);
    ck_assert(fabs(res.final_train_loss - loss / RECORDS) <= 1e-5 * fabs(loss / RECORDS) + 1e-9);

    const size_t n = mlp_net_param_count(a);
    const float *pa = mlp_net_params_const(a), *pb = mlp_net_params_const(b);
    size_t bad = 0;
    for (size_t i = 0; i < n; i++) {
        const float m = fmaxf(fabsf(pa[i]), fabsf(pb[i]));
        if (!(fabsf(pa[i] - pb[i]) <= 1e-5f * m + 1e-7f)) bad++;
    }
    ck_assert_msg(bad == 0, "%zu of %zu parameters differ (topology %zu, bias %d, wd %g, %d threads)",
                  bad, n, (size_t)(_i % N_TOPOS), (int)bias, (double)wd, threads);

    mlp_workspace_free(ws);
    mlp_optimizer_free(oa);
    mlp_optimizer_free(ob);
    mlp_net_free(a);
    mlp_net_free(b);
    free(x);
    free(y);
}
END_TEST

/* Shuffled epochs: two runs from the same start, the same bits. */
START_TEST(shuffled_train_repeats)
{
    const topo *t = &topos[_i % N_TOPOS];
    const int threads = (int)(_i / N_TOPOS) + 1;
    float *x, *y;
    make_data(t, &x, &y);
    mlp_net *a = make_net(t, MLP_BIAS_PER_NEURON), *b = make_net(t, MLP_BIAS_PER_NEURON);
    mlp_optimizer *oa = make_opt(a, 1e-4f), *ob = make_opt(b, 1e-4f);
    const mlp_train_config cfg = one_record_config(threads, true);
    mlp_train_result ra, rb;
    ck_assert_int_eq(mlp_train(a, oa, x, y, RECORDS, NULL, NULL, 0, &cfg, &ra), MLP_OK);
    ck_assert_int_eq(mlp_train(b, ob, x, y, RECORDS, NULL, NULL, 0, &cfg, &rb), MLP_OK);
    ck_assert(memcmp(mlp_net_params_const(a), mlp_net_params_const(b),
                     mlp_net_param_count(a) * sizeof(float)) == 0);
    ck_assert(memcmp(&ra.final_train_loss, &rb.final_train_loss, sizeof(double)) == 0);
    mlp_optimizer_free(oa);
    mlp_optimizer_free(ob);
    mlp_net_free(a);
    mlp_net_free(b);
    free(x);
    free(y);
}
END_TEST

typedef struct counter {
    size_t calls;
} counter;

static bool count_progress(const mlp_progress *p, void *user)
{
    (void)p;
    ((counter *)user)->calls++;
    return true;
}

/* Per-batch progress keeps the record-by-record path: the same parameters as without. */
START_TEST(per_batch_progress_same_result)
{
    const topo *t = &topos[0];
    float *x, *y;
    make_data(t, &x, &y);
    mlp_net *a = make_net(t, MLP_BIAS_PER_NEURON), *b = make_net(t, MLP_BIAS_PER_NEURON);
    mlp_optimizer *oa = make_opt(a, 0.0f), *ob = make_opt(b, 0.0f);
    mlp_train_config ca = one_record_config(2, false), cb = ca;
    counter cnt = {0};
    cb.progress = count_progress;
    cb.user_data = &cnt;
    cb.progress_every_batch = true;
    ck_assert_int_eq(mlp_train(a, oa, x, y, RECORDS, NULL, NULL, 0, &ca, NULL), MLP_OK);
    ck_assert_int_eq(mlp_train(b, ob, x, y, RECORDS, NULL, NULL, 0, &cb, NULL), MLP_OK);
    ck_assert_uint_eq(cnt.calls, EPOCHS * (RECORDS + 1));
    const float *pa = mlp_net_params_const(a), *pb = mlp_net_params_const(b);
    for (size_t i = 0; i < mlp_net_param_count(a); i++)
        ck_assert(fabsf(pa[i] - pb[i]) <= 1e-5f * fmaxf(fabsf(pa[i]), fabsf(pb[i])) + 1e-7f);
    mlp_optimizer_free(oa);
    mlp_optimizer_free(ob);
    mlp_net_free(a);
    mlp_net_free(b);
    free(x);
    free(y);
}
END_TEST

START_TEST(threads_validated)
{
    const topo *t = &topos[1];
    float *x, *y;
    make_data(t, &x, &y);
    mlp_net *net = make_net(t, MLP_BIAS_PER_NEURON);
    mlp_optimizer *opt = make_opt(net, 0.0f);
    mlp_train_config c = one_record_config(0, false);
    ck_assert_int_eq(mlp_train(net, opt, x, y, RECORDS, NULL, NULL, 0, &c, NULL), MLP_ERR_INVALID_ARG);
    c.threads = 257;
    ck_assert_int_eq(mlp_train(net, opt, x, y, RECORDS, NULL, NULL, 0, &c, NULL), MLP_ERR_INVALID_ARG);
    c.threads = 256;
    c.epochs = 1;
    ck_assert_int_eq(mlp_train(net, opt, x, y, 4, NULL, NULL, 0, &c, NULL), MLP_OK);
    ck_assert_int_eq(mlp_train_config_default().threads, 1);
    mlp_optimizer_free(opt);
    mlp_net_free(net);
    free(x);
    free(y);
}
END_TEST

static Suite *sgd_pipeline_suite(void)
{
    Suite *s = suite_create("sgd_pipeline");
    TCase *tc = tcase_create("sgd_pipeline");
    tcase_set_timeout(tc, 240);
    tcase_add_loop_test(tc, train_matches_step_loop, 0, N_TOPOS * MLP_BIAS_COUNT * 2 * 2);
    tcase_add_loop_test(tc, shuffled_train_repeats, 0, N_TOPOS * 2);
    tcase_add_test(tc, per_batch_progress_same_result);
    tcase_add_test(tc, threads_validated);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    mlp_set_threads(1);
    SRunner *sr = srunner_create(sgd_pipeline_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
