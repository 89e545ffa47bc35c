/* mlp_train_source: records from a callback (memory, or a file read with pread) train
 * exactly as the same records as arrays; the callback is asked for the records the shuffle
 * semantics promise; a failing or NaN-returning callback stops training with its status and
 * leaves net, RNG and optimizer as at the start of that epoch. */
#define _POSIX_C_SOURCE 200809L
#include "test_util.h"

#include <check.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define N 37   /* records: not a multiple of any batch size below */
#define NV 300 /* validation records: more than one run of 256 */
static const size_t sizes[] = {5, 7, 3};
static const mlp_activation acts[] = {MLP_ACT_TANH, MLP_ACT_SOFTMAX};
#define N0 5
#define NL 3

static float X[N * N0], Y[N * NL], VX[NV * N0], VY[NV * NL];

static void make_data(void)
{
    uint64_t s = 11;
    tu_fill_uniform(&s, X, N * N0, -1, 1);
    tu_fill_distributions(&s, Y, N, NL);
    tu_fill_uniform(&s, VX, NV * N0, -1, 1);
    tu_fill_distributions(&s, VY, NV, NL);
}

/* A callback source over arrays, recording every index it is asked for. */
typedef struct mem_reader {
    const float *x, *y;
    size_t *log, logged, log_cap;
    size_t fail_at_call, calls; /* fail_at_call 0: never */
    mlp_status fail_with;
    int nan_at_call;
} mem_reader;

static mlp_status mem_read(void *user, const size_t *records, size_t n, float *inputs,
                           float *targets)
{
    mem_reader *r = user;
    r->calls++;
    if (r->fail_at_call && r->calls == r->fail_at_call) return r->fail_with;
    for (size_t i = 0; i < n; i++) {
        memcpy(inputs + i * N0, r->x + records[i] * N0, N0 * sizeof(float));
        memcpy(targets + i * NL, r->y + records[i] * NL, NL * sizeof(float));
        if (r->log && r->logged < r->log_cap) r->log[r->logged++] = records[i];
    }
    if (r->nan_at_call && r->calls == (size_t)r->nan_at_call) inputs[n * N0 - 1] = NAN;
    return MLP_OK;
}

static mlp_source callback_source(mem_reader *r, size_t count)
{
    return (mlp_source){.struct_size = sizeof(mlp_source), .count = count, .read = mem_read,
                        .user_data = r};
}

typedef struct run {
    mlp_net *net;
    mlp_optimizer *opt;
} run;

static run make_run(mlp_optimizer_kind kind)
{
    tu_topo t = tu_topo_make(2, sizes, acts, MLP_BIAS_PER_NEURON);
    run r = {tu_net_new(&t, 3), NULL};
    ck_assert_ptr_nonnull(r.net);
    mlp_net_seed(r.net, 99);
    mlp_optimizer_config oc = mlp_optimizer_config_default(kind);
    oc.learning_rate = 0.05f;
    ck_assert_int_eq(mlp_optimizer_create(&r.opt, r.net, &oc), MLP_OK);
    return r;
}

static void free_run(run *r)
{
    mlp_optimizer_free(r->opt);
    mlp_net_free(r->net);
}

/* Parameters, RNG, optimizer state and step count equal bit for bit. */
static void assert_same(const run *a, const run *b)
{
    size_t P = mlp_net_param_count(a->net);
    ck_assert_uint_eq(tu_first_diff(mlp_net_params_const(a->net), mlp_net_params_const(b->net), P), P);
    uint64_t ra[MLP_RNG_STATE_WORDS], rb[MLP_RNG_STATE_WORDS];
    mlp_net_rng_state(a->net, ra);
    mlp_net_rng_state(b->net, rb);
    ck_assert_mem_eq(ra, rb, sizeof ra);
    size_t na, nb;
    const float *sa = mlp_optimizer_state_const(a->opt, &na), *sb = mlp_optimizer_state_const(b->opt, &nb);
    ck_assert_uint_eq(na, nb);
    if (na) ck_assert_uint_eq(tu_first_diff(sa, sb, na), na);
    ck_assert_uint_eq(mlp_optimizer_step_count(a->opt), mlp_optimizer_step_count(b->opt));
}

static const struct {
    mlp_optimizer_kind kind;
    size_t batch;
    bool shuffle;
} cases[] = {
    {MLP_OPT_SGD, 1, true},   /* the pipelined one-record path */
    {MLP_OPT_SGD, 1, false},
    {MLP_OPT_ADAM, 1, true},
    {MLP_OPT_SGD, 8, true},   /* minibatches, a short last one */
    {MLP_OPT_ADAM, 8, false},
    {MLP_OPT_MOMENTUM, 0, true}, /* whole-epoch batch GD (never shuffles) */
};

static mlp_train_config config_for(int i)
{
    mlp_train_config tc = mlp_train_config_default();
    tc.epochs = 4;
    tc.batch_size = cases[i].batch;
    tc.shuffle = cases[i].shuffle;
    tc.patience = 2;
    tc.restore_best = true;
    return tc;
}

/* The same records from a callback, as arrays through mlp_train_source, and through
 * mlp_train: the same parameters, RNG, optimizer and result, bit for bit. */
START_TEST(callback_equals_arrays)
{
    make_data();
    mlp_train_config tc = config_for(_i);
    run a = make_run(cases[_i].kind), b = make_run(cases[_i].kind), c = make_run(cases[_i].kind);
    mlp_train_result ra, rb, rc;
    ck_assert_int_eq(mlp_train(a.net, a.opt, X, Y, N, VX, VY, NV, &tc, &ra), MLP_OK);
    mem_reader tr = {.x = X, .y = Y}, vr = {.x = VX, .y = VY};
    mlp_source ts = callback_source(&tr, N), vs = callback_source(&vr, NV);
    mlp_error_detail d = {0, 0, ""};
    ck_assert_int_eq(mlp_train_source(b.net, b.opt, &ts, &vs, &tc, &rb, &d), MLP_OK);
    mlp_source as = {.struct_size = sizeof as, .count = N, .inputs = X, .targets = Y};
    mlp_source av = {.struct_size = sizeof av, .count = NV, .inputs = VX, .targets = VY};
    ck_assert_int_eq(mlp_train_source(c.net, c.opt, &as, &av, &tc, &rc, NULL), MLP_OK);
    assert_same(&a, &b);
    assert_same(&a, &c);
    ck_assert_uint_eq(ra.epochs_run, rb.epochs_run);
    ck_assert_uint_eq(ra.best_epoch, rb.best_epoch);
    ck_assert(memcmp(&ra.best_val_loss, &rb.best_val_loss, sizeof(double)) == 0);
    ck_assert(memcmp(&ra.final_train_loss, &rb.final_train_loss, sizeof(double)) == 0);
    ck_assert(tr.calls > 0 && vr.calls > 0);
    free_run(&a);
    free_run(&b);
    free_run(&c);
}
END_TEST

/* Shuffle semantics: every epoch reads each record exactly once; without shuffling in order
 * 0..N-1, with shuffling in a new order each epoch. */
START_TEST(shuffle_semantics)
{
    make_data();
    for (int shuffle = 0; shuffle <= 1; shuffle++) {
        size_t log[3 * N];
        mem_reader tr = {.x = X, .y = Y, .log = log, .log_cap = 3 * N};
        mlp_source ts = callback_source(&tr, N);
        run r = make_run(MLP_OPT_SGD);
        mlp_train_config tc = mlp_train_config_default();
        tc.epochs = 3;
        tc.batch_size = 4;
        tc.shuffle = shuffle;
        ck_assert_int_eq(mlp_train_source(r.net, r.opt, &ts, NULL, &tc, NULL, NULL), MLP_OK);
        ck_assert_uint_eq(tr.logged, 3 * N);
        for (size_t e = 0; e < 3; e++) {
            int seen[N] = {0};
            for (size_t i = 0; i < N; i++) {
                size_t rec = log[e * N + i];
                ck_assert_uint_lt(rec, N);
                seen[rec]++;
                if (!shuffle) ck_assert_uint_eq(rec, i);
            }
            for (size_t i = 0; i < N; i++) ck_assert_int_eq(seen[i], 1);
        }
        if (shuffle) { /* a fresh permutation per epoch, not the identity */
            ck_assert(memcmp(log, log + N, N * sizeof *log) != 0);
            size_t in_place = 0;
            for (size_t i = 0; i < N; i++) in_place += log[i] == i;
            ck_assert_uint_lt(in_place, N);
        }
        free_run(&r);
    }
}
END_TEST

/* A read failing in epoch 2 (or a row with a NaN): its status comes back, result names
 * epoch 2 as the last completed, and everything is as after 2 epochs trained from arrays. */
START_TEST(callback_error_rolls_back_the_epoch)
{
    make_data();
    const size_t batch = _i < 2 ? 4 : 1;
    const size_t calls_per_epoch = (N + batch - 1) / batch;
    mlp_train_config tc = mlp_train_config_default();
    tc.epochs = 5;
    tc.batch_size = batch;
    run ref = make_run(MLP_OPT_ADAM), r = make_run(MLP_OPT_ADAM);
    if (_i == 3) { /* plain SGD: the pipelined one-record path */
        free_run(&ref);
        free_run(&r);
        ref = make_run(MLP_OPT_SGD);
        r = make_run(MLP_OPT_SGD);
    }
    mlp_train_config t2 = tc;
    t2.epochs = 2;
    ck_assert_int_eq(mlp_train(ref.net, ref.opt, X, Y, N, NULL, NULL, 0, &t2, NULL), MLP_OK);
    mem_reader tr = {.x = X, .y = Y, .fail_with = MLP_ERR_IO};
    const size_t at = 2 * calls_per_epoch + 3; /* the 3rd batch of epoch 2 (0-based) */
    if (_i == 1) tr.nan_at_call = (int)at;
    else tr.fail_at_call = at;
    mlp_source ts = callback_source(&tr, N);
    mlp_train_result res;
    mlp_error_detail d = {0, 0, ""};
    mlp_status want = _i == 1 ? MLP_ERR_NON_FINITE : MLP_ERR_IO;
    ck_assert_int_eq(mlp_train_source(r.net, r.opt, &ts, NULL, &tc, &res, &d), want);
    ck_assert_uint_eq(res.epochs_run, 2);
    assert_same(&ref, &r);
    ck_assert_ptr_nonnull(strstr(d.message, "train source"));
    ck_assert_ptr_nonnull(strstr(d.message, "epoch 2"));
    if (_i == 1) ck_assert_ptr_nonnull(strstr(d.message, "NaN"));
    free_run(&ref);
    free_run(&r);
}
END_TEST

/* A validation read failing after epoch 1's training: that epoch is undone too. */
START_TEST(validation_error_rolls_back_the_epoch)
{
    make_data();
    mlp_train_config tc = mlp_train_config_default();
    tc.epochs = 4;
    tc.batch_size = 8;
    run ref = make_run(MLP_OPT_SGD), r = make_run(MLP_OPT_SGD);
    mlp_train_config t1 = tc;
    t1.epochs = 1;
    ck_assert_int_eq(mlp_train(ref.net, ref.opt, X, Y, N, VX, VY, NV, &t1, NULL), MLP_OK);
    mem_reader vr = {.x = VX, .y = VY, .fail_at_call = 3, .fail_with = MLP_ERR_FORMAT};
    mlp_source ts = {.struct_size = sizeof ts, .count = N, .inputs = X, .targets = Y};
    mlp_source vs = callback_source(&vr, NV); /* 2 reads per epoch: the 3rd is epoch 1's */
    mlp_train_result res;
    mlp_error_detail d = {0, 0, ""};
    ck_assert_int_eq(mlp_train_source(r.net, r.opt, &ts, &vs, &tc, &res, &d), MLP_ERR_FORMAT);
    ck_assert_uint_eq(res.epochs_run, 1);
    assert_same(&ref, &r);
    ck_assert_ptr_nonnull(strstr(d.message, "val source"));
    free_run(&ref);
    free_run(&r);
}
END_TEST

/* Sources that cannot be read are refused before anything changes, with a message. */
START_TEST(bad_sources)
{
    make_data();
    run r = make_run(MLP_OPT_SGD);
    float *before = tu_copy(mlp_net_params_const(r.net), mlp_net_param_count(r.net));
    mlp_train_config tc = mlp_train_config_default();
    mem_reader tr = {.x = X, .y = Y};
    mlp_error_detail d = {0, 0, ""};
    mlp_source s = callback_source(&tr, N);
    s.struct_size = sizeof s - 1;
    ck_assert_int_eq(mlp_train_source(r.net, r.opt, &s, NULL, &tc, NULL, &d), MLP_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(d.message, "train->struct_size"));
    ck_assert_ptr_nonnull(strstr(d.message, "mlp_source"));
    s = callback_source(&tr, N);
    s.inputs = X;
    s.targets = Y;
    ck_assert_int_eq(mlp_train_source(r.net, r.opt, &s, NULL, &tc, NULL, &d), MLP_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(d.message, "both"));
    s = callback_source(&tr, N);
    s.read = NULL;
    ck_assert_int_eq(mlp_train_source(r.net, r.opt, &s, NULL, &tc, NULL, &d), MLP_ERR_NULL_ARG);
    ck_assert_ptr_nonnull(strstr(d.message, "neither"));
    s = (mlp_source){.struct_size = sizeof s, .count = N, .inputs = X};
    ck_assert_int_eq(mlp_train_source(r.net, r.opt, &s, NULL, &tc, NULL, &d), MLP_ERR_NULL_ARG);
    ck_assert_ptr_nonnull(strstr(d.message, "train->targets"));
    s = callback_source(&tr, 0);
    ck_assert_int_eq(mlp_train_source(r.net, r.opt, &s, NULL, &tc, NULL, &d), MLP_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(d.message, "no training records"));
    s = callback_source(&tr, N);
    tc.patience = 3; /* early stopping with nothing to validate on */
    ck_assert_int_eq(mlp_train_source(r.net, r.opt, &s, NULL, &tc, NULL, &d), MLP_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(d.message, "patience"));
    ck_assert_uint_eq(tr.calls, 0);
    ck_assert_uint_eq(tu_first_diff(before, mlp_net_params_const(r.net), mlp_net_param_count(r.net)),
                      mlp_net_param_count(r.net));
    free(before);
    free_run(&r);
}
END_TEST

/* ------------------------------------------------------------------ a file source */

/* Records stored as N0 + NL floats each in a file larger than any buffer we keep: read with
 * pread per run of consecutive records (one call), or per record when shuffled. */
typedef struct file_reader {
    int fd;
    size_t preads;
} file_reader;

static mlp_status file_read(void *user, const size_t *records, size_t n, float *inputs,
                            float *targets)
{
    file_reader *f = user;
    float rec[N0 + NL];
    for (size_t i = 0; i < n; i++) {
        off_t at = (off_t)(records[i] * sizeof rec);
        f->preads++;
        if (pread(f->fd, rec, sizeof rec, at) != (ssize_t)sizeof rec) return MLP_ERR_IO;
        memcpy(inputs + i * N0, rec, N0 * sizeof(float));
        memcpy(targets + i * NL, rec + N0, NL * sizeof(float));
    }
    return MLP_OK;
}

START_TEST(file_source_equals_arrays)
{
    make_data();
    FILE *tmp = tmpfile();
    ck_assert_ptr_nonnull(tmp);
    for (size_t i = 0; i < N; i++) {
        ck_assert_uint_eq(fwrite(X + i * N0, sizeof(float), N0, tmp), N0);
        ck_assert_uint_eq(fwrite(Y + i * NL, sizeof(float), NL, tmp), NL);
    }
    ck_assert_int_eq(fflush(tmp), 0);
    file_reader f = {.fd = fileno(tmp)};
    mlp_source fs = {.struct_size = sizeof fs, .count = N, .read = file_read, .user_data = &f};
    mlp_train_config tc = mlp_train_config_default();
    tc.epochs = 3;
    tc.batch_size = 1;
    run a = make_run(MLP_OPT_SGD), b = make_run(MLP_OPT_SGD);
    ck_assert_int_eq(mlp_train(a.net, a.opt, X, Y, N, NULL, NULL, 0, &tc, NULL), MLP_OK);
    ck_assert_int_eq(mlp_train_source(b.net, b.opt, &fs, NULL, &tc, NULL, NULL), MLP_OK);
    assert_same(&a, &b);
    ck_assert_uint_eq(f.preads, 3 * N);
    /* a file cut short: the read fails with IO and nothing of that epoch is kept */
    ck_assert_int_eq(ftruncate(f.fd, (off_t)((N0 + NL) * sizeof(float) * (N - 1))), 0);
    float *before = tu_copy(mlp_net_params_const(b.net), mlp_net_param_count(b.net));
    mlp_train_result res;
    ck_assert_int_eq(mlp_train_source(b.net, b.opt, &fs, NULL, &tc, &res, NULL), MLP_ERR_IO);
    ck_assert_uint_eq(res.epochs_run, 0);
    ck_assert_uint_eq(tu_first_diff(before, mlp_net_params_const(b.net), mlp_net_param_count(b.net)),
                      mlp_net_param_count(b.net));
    free(before);
    fclose(tmp);
    free_run(&a);
    free_run(&b);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("data_source");
    TCase *tc = tcase_create("core");
    tcase_add_loop_test(tc, callback_equals_arrays, 0, (int)(sizeof cases / sizeof cases[0]));
    tcase_add_test(tc, shuffle_semantics);
    tcase_add_loop_test(tc, callback_error_rolls_back_the_epoch, 0, 4);
    tcase_add_test(tc, validation_error_rolls_back_the_epoch);
    tcase_add_test(tc, bad_sources);
    tcase_add_test(tc, file_source_equals_arrays);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
