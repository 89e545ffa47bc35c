/* Concurrent inference: 4 threads run mlp_forward on one const net, each with its own
 * workspace; every result equals the single-threaded reference bit for bit. */
#include "test_util.h"

#include <check.h>
#include <pthread.h>

enum { THREADS = 4, ROUNDS = 300, BATCH = 16, N_IN = 12, N_OUT = 5 };

static const mlp_net *shared_net;
static float inputs[BATCH * N_IN];
static float reference_batch[BATCH * N_OUT]; /* one call with the whole batch */
static float reference_rows[BATCH * N_OUT];  /* one call per record (sgemv path) */

typedef struct job {
    size_t mismatches, failures;
} job;

static void *worker(void *arg)
{
    job *j = arg;
    mlp_workspace *ws = NULL;
    if (mlp_workspace_create(&ws, shared_net, BATCH) != MLP_OK) {
        j->failures++;
        return NULL;
    }
    float out[BATCH * N_OUT];
    for (int r = 0; r < ROUNDS; r++) {
        if (r % 3 == 2) { /* record by record */
            size_t row = (size_t)r % BATCH;
            if (mlp_forward(shared_net, ws, inputs + row * N_IN, 1, out) != MLP_OK) j->failures++;
            j->mismatches += tu_first_diff(out, reference_rows + row * N_OUT, N_OUT) != N_OUT;
        } else {
            if (mlp_forward(shared_net, ws, inputs, BATCH, out) != MLP_OK) j->failures++;
            j->mismatches += tu_first_diff(out, reference_batch, BATCH * N_OUT) != BATCH * N_OUT;
        }
    }
    mlp_workspace_free(ws);
    return NULL;
}

START_TEST(forward_in_four_threads)
{
    ck_assert_int_eq(mlp_set_threads(1), MLP_OK);
    static const size_t sizes[] = {N_IN, 32, 24, N_OUT};
    static const mlp_activation acts[] = {MLP_ACT_RELU, MLP_ACT_TANH, MLP_ACT_SOFTMAX};
    tu_topo t = tu_topo_make(3, sizes, acts, MLP_BIAS_PER_NEURON);
    mlp_net *net = tu_net_new(&t, 2718);
    ck_assert_ptr_nonnull(net);
    shared_net = net;
    uint64_t s = 31;
    tu_fill_uniform(&s, inputs, BATCH * N_IN, -1, 1);
    float *params_before = tu_copy(mlp_net_params_const(net), mlp_net_param_count(net));

    mlp_workspace *ws = NULL;
    ck_assert_int_eq(mlp_workspace_create(&ws, net, BATCH), MLP_OK);
    ck_assert_int_eq(mlp_forward(net, ws, inputs, BATCH, reference_batch), MLP_OK);
    for (size_t r = 0; r < BATCH; r++)
        ck_assert_int_eq(mlp_forward(net, ws, inputs + r * N_IN, 1, reference_rows + r * N_OUT),
                         MLP_OK);
    mlp_workspace_free(ws);
    /* the reference is right, not just repeatable */
    double ref[BATCH * N_OUT];
    tu_ref_forward(&t, mlp_net_params_const(net), inputs, BATCH, ref);
    ck_assert_double_lt(tu_rel_err_fd(reference_batch, ref, BATCH * N_OUT, 1e-3), 1e-4);

    pthread_t th[THREADS];
    job jobs[THREADS];
    memset(jobs, 0, sizeof jobs);
    for (int i = 0; i < THREADS; i++) ck_assert_int_eq(pthread_create(&th[i], NULL, worker, &jobs[i]), 0);
    for (int i = 0; i < THREADS; i++) ck_assert_int_eq(pthread_join(th[i], NULL), 0);
    for (int i = 0; i < THREADS; i++) {
        ck_assert_msg(jobs[i].failures == 0, "thread %d: %zu failed calls", i, jobs[i].failures);
        ck_assert_msg(jobs[i].mismatches == 0, "thread %d: %zu of %d results differ from the "
                      "single-threaded reference", i, jobs[i].mismatches, ROUNDS);
    }
    size_t P = mlp_net_param_count(net);
    ck_assert_uint_eq(tu_first_diff(params_before, mlp_net_params_const(net), P), P);
    free(params_before);
    mlp_net_free(net);
}
END_TEST

static Suite *threads_suite(void)
{
    Suite *s = suite_create("threads");
    TCase *tc = tcase_create("threads");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, forward_in_four_threads);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(threads_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
