/* The MPI module (include/mlp_mpi.h), run under mpirun: on 1, 2 and 3 ranks (every
 * sub-communicator of the world up to its size) training gives mlp_train's result on one
 * process and the double-precision reference's, all ranks agree bit for bit, batches split
 * with remainders (ranks with no records), mismatched nets fail on every rank.
 *
 * Not bit for bit equal to one process: each rank sums its share of the batch and the
 * allreduce adds the shares, another order of float additions than one sgemm over the
 * whole batch (and plain SGD under mlp_train fuses its update into the backward pass). */
#include "test_util.h"

#include <check.h>
#include <mlp_mpi.h>

#define COUNT 23   /* records: no batch size used below divides it */
#define VAL 7
#define EPOCHS 3
#define TOL 1e-5   /* relative, as the issue asks */

static int world_rank, world_size;

static const size_t sizes[] = {5, 7, 3};
static const mlp_activation acts[] = {MLP_ACT_TANH, MLP_ACT_SOFTMAX};

typedef struct data {
    float x[COUNT * 5], y[COUNT * 3], vx[VAL * 5], vy[VAL * 3];
} data;

static void make_data(data *d)
{
    uint64_t s = 42;
    tu_fill_uniform(&s, d->x, COUNT * 5, -1.0, 1.0);
    tu_fill_distributions(&s, d->y, COUNT, 3);
    tu_fill_uniform(&s, d->vx, VAL * 5, -1.0, 1.0);
    tu_fill_distributions(&s, d->vy, VAL, 3);
}

static tu_topo topo(void) { return tu_topo_make(2, sizes, acts, MLP_BIAS_PER_NEURON); }

/* The communicator of the first `n` world ranks (MPI_COMM_NULL on the others). */
static MPI_Comm first_ranks(int n)
{
    MPI_Comm c;
    MPI_Comm_split(MPI_COMM_WORLD, world_rank < n ? 0 : MPI_UNDEFINED, world_rank, &c);
    return c;
}

/* Whether every rank of comm holds exactly these bytes. */
static bool same_everywhere(MPI_Comm comm, const float *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, &p[i], sizeof u);
        h = (h ^ u) * 0x100000001b3ull;
    }
    uint64_t lo, hi;
    MPI_Allreduce(&h, &lo, 1, MPI_UINT64_T, MPI_MIN, comm);
    MPI_Allreduce(&h, &hi, 1, MPI_UINT64_T, MPI_MAX, comm);
    return lo == hi;
}

typedef struct curve {
    size_t n;
    double loss[EPOCHS], val[EPOCHS];
} curve;

static bool record_curve(const mlp_progress *p, void *user)
{
    curve *c = user;
    if (p->end_of_epoch && c->n < EPOCHS) {
        c->loss[c->n] = p->train_loss;
        c->val[c->n] = p->val_loss;
        c->n++;
    }
    return true;
}

typedef struct run {
    mlp_net *net;
    mlp_train_result res;
    curve curve;
    mlp_status st;
} run;

/* Trains a fresh net of seed 7 on d: over comm with mlp_mpi_train, or alone with mlp_train
 * (comm MPI_COMM_NULL). */
static run train_once(MPI_Comm comm, const data *d, mlp_optimizer_kind kind, size_t batch,
                      bool val)
{
    tu_topo t = topo();
    run r = {.net = tu_net_new(&t, 7)};
    ck_assert_ptr_nonnull(r.net);
    mlp_optimizer_config oc = mlp_optimizer_config_default(kind);
    oc.reduction = MLP_REDUCE_MEAN;
    oc.learning_rate = kind == MLP_OPT_ADAM ? 0.01f : 0.5f;
    mlp_optimizer *opt;
    ck_assert_int_eq(mlp_optimizer_create(&opt, r.net, &oc), MLP_OK);
    mlp_train_config tc = mlp_train_config_default();
    tc.loss = MLP_LOSS_CROSS_ENTROPY;
    tc.epochs = EPOCHS;
    tc.batch_size = batch;
    tc.progress = record_curve;
    tc.user_data = &r.curve;
    const size_t nv = val ? VAL : 0;
    if (comm == MPI_COMM_NULL) {
        r.st = mlp_train(r.net, opt, d->x, d->y, COUNT, d->vx, d->vy, nv, &tc, &r.res);
    } else {
        mlp_error_detail det = {0};
        r.st = mlp_mpi_train(comm, r.net, opt, d->x, d->y, COUNT, d->vx, d->vy, nv, &tc,
                             &r.res, &det);
    }
    mlp_optimizer_free(opt);
    return r;
}

/* mlp_mpi_train on 1 .. world_size ranks equals mlp_train (loss curve, validation, final
 * parameters) for one optimizer and batch size. */
static void compare_with_single(mlp_optimizer_kind kind, size_t batch, bool val)
{
    data d;
    make_data(&d);
    run alone = train_once(MPI_COMM_NULL, &d, kind, batch, val);
    ck_assert_int_eq(alone.st, MLP_OK);
    const size_t P = mlp_net_param_count(alone.net);
    for (int n = 1; n <= world_size; n++) {
        MPI_Comm comm = first_ranks(n);
        if (comm == MPI_COMM_NULL) continue;
        run r = train_once(comm, &d, kind, batch, val);
        ck_assert_int_eq(r.st, MLP_OK);
        ck_assert_uint_eq(r.res.epochs_run, alone.res.epochs_run);
        ck_assert_uint_eq(r.res.best_epoch, alone.res.best_epoch);
        double e = tu_rel_err_ff(mlp_net_params_const(r.net), mlp_net_params_const(alone.net),
                                 P, 1e-3);
        ck_assert_msg(e < TOL, "optimizer %d batch %zu on %d ranks: params differ by %g",
                      (int)kind, batch, n, e);
        ck_assert_uint_eq(r.curve.n, EPOCHS);
        ck_assert_double_eq_tol(r.res.final_train_loss, alone.res.final_train_loss,
                                TOL * fabs(alone.res.final_train_loss));
        for (size_t i = 0; i < EPOCHS; i++) {
            ck_assert_double_eq_tol(r.curve.loss[i], alone.curve.loss[i],
                                    TOL * fabs(alone.curve.loss[i]));
            if (val)
                ck_assert_double_eq_tol(r.curve.val[i], alone.curve.val[i],
                                        TOL * fabs(alone.curve.val[i]));
        }
        if (val)
            ck_assert_double_eq_tol(r.res.best_val_accuracy, alone.res.best_val_accuracy, 1e-12);
        ck_assert_msg(same_everywhere(comm, mlp_net_params_const(r.net), P),
                      "ranks disagree on the parameters (%d ranks)", n);
        mlp_net_free(r.net);
        MPI_Comm_free(&comm);
    }
    mlp_net_free(alone.net);
}

/* Batch 5 over 3 ranks: 2+2+1, the last batch 3: 1+1+1; batch 2: the third rank has none. */
START_TEST(sgd_matches_single_process)
{
    compare_with_single(MLP_OPT_SGD, 5, false);
    compare_with_single(MLP_OPT_SGD, 2, false);
}
END_TEST

START_TEST(momentum_matches_single_process)
{
    compare_with_single(MLP_OPT_MOMENTUM, 5, true);
    compare_with_single(MLP_OPT_MOMENTUM, 2, false);
}
END_TEST

START_TEST(adam_matches_single_process)
{
    compare_with_single(MLP_OPT_ADAM, 5, true);
    compare_with_single(MLP_OPT_ADAM, 2, false);
}
END_TEST

/* Whole-epoch batches, and one record per step (two ranks out of three idle each step). */
START_TEST(full_and_stochastic_batches_match)
{
    compare_with_single(MLP_OPT_MOMENTUM, 0, false);
    compare_with_single(MLP_OPT_ADAM, 1, false);
}
END_TEST

/* Plain SGD against the double-precision reference: the same permutation (mlp_net_shuffle
 * on a clone), the documented gradient summed in double, I <- I - (lr / B) sum grad. */
START_TEST(sgd_matches_double_reference)
{
    data d;
    make_data(&d);
    tu_topo t = topo();
    mlp_net *ref = tu_net_new(&t, 7);
    const size_t P = mlp_net_param_count(ref), batch = 5;
    double *p = malloc(P * sizeof *p), *g = malloc(P * sizeof *g);
    float *pf = malloc(P * sizeof *pf), *bx = malloc(batch * 5 * sizeof *bx);
    float *by = malloc(batch * 3 * sizeof *by);
    size_t order[COUNT];
    for (size_t i = 0; i < P; i++) p[i] = mlp_net_params_const(ref)[i];
    for (size_t e = 0; e < EPOCHS; e++) {
        for (size_t i = 0; i < COUNT; i++) order[i] = i;
        ck_assert_int_eq(mlp_net_shuffle(ref, order, COUNT), MLP_OK);
        for (size_t done = 0; done < COUNT; done += batch) {
            size_t b = COUNT - done < batch ? COUNT - done : batch;
            for (size_t i = 0; i < b; i++) {
                memcpy(bx + i * 5, d.x + order[done + i] * 5, 5 * sizeof *bx);
                memcpy(by + i * 3, d.y + order[done + i] * 3, 3 * sizeof *by);
            }
            for (size_t i = 0; i < P; i++) pf[i] = (float)p[i];
            memset(g, 0, P * sizeof *g);
            tu_ref_gradient(&t, pf, bx, by, b, MLP_LOSS_CROSS_ENTROPY, g);
            for (size_t i = 0; i < P; i++) p[i] -= 0.5 / (double)b * g[i];
        }
    }
    for (int n = 1; n <= world_size; n++) {
        MPI_Comm comm = first_ranks(n);
        if (comm == MPI_COMM_NULL) continue;
        run r = train_once(comm, &d, MLP_OPT_SGD, batch, false);
        ck_assert_int_eq(r.st, MLP_OK);
        double e = tu_rel_err_fd(mlp_net_params_const(r.net), p, P, 1e-3);
        ck_assert_msg(e < TOL, "%d ranks: %g from the double reference", n, e);
        mlp_net_free(r.net);
        MPI_Comm_free(&comm);
    }
    free(p);
    free(g);
    free(pf);
    free(bx);
    free(by);
    mlp_net_free(ref);
}
END_TEST

/* One step by hand: shares of 7 records over the world, the sum is the whole batch's. */
START_TEST(train_step_sums_the_shares)
{
    data d;
    make_data(&d);
    tu_topo t = topo();
    mlp_net *net = tu_net_new(&t, 3);
    const size_t P = mlp_net_param_count(net), B = 7;
    float *before = malloc(P * sizeof *before);
    memcpy(before, mlp_net_params_const(net), P * sizeof *before);
    double *g = calloc(P, sizeof *g), *expect = malloc(P * sizeof *expect);
    double ref_loss = tu_ref_gradient(&t, before, d.x, d.y, B, MLP_LOSS_CROSS_ENTROPY, g);
    for (size_t i = 0; i < P; i++) expect[i] = before[i] - 0.1 / (double)B * g[i];
    mlp_optimizer_config oc = mlp_optimizer_config_default(MLP_OPT_SGD);
    oc.learning_rate = 0.1f;
    oc.reduction = MLP_REDUCE_MEAN;
    mlp_optimizer *opt;
    ck_assert_int_eq(mlp_optimizer_create(&opt, net, &oc), MLP_OK);
    mlp_workspace *ws;
    ck_assert_int_eq(mlp_workspace_create(&ws, net, B), MLP_OK);
    size_t first, n;
    mlp_mpi_shard(B, world_rank, world_size, &first, &n);
    double loss = -1.0;
    ck_assert_int_eq(mlp_mpi_train_step(MPI_COMM_WORLD, net, ws, opt, d.x + first * 5,
                                        d.y + first * 3, n, B, MLP_LOSS_CROSS_ENTROPY, &loss),
                     MLP_OK);
    ck_assert_double_eq_tol(loss, ref_loss, 1e-5 * ref_loss);
    ck_assert(tu_rel_err_fd(mlp_net_params_const(net), expect, P, 1e-3) < TOL);
    ck_assert(same_everywhere(MPI_COMM_WORLD, mlp_net_params_const(net), P));
    /* a share larger than the global batch fails on every rank, parameters unchanged */
    float *after = tu_copy(mlp_net_params_const(net), P);
    size_t bad = world_rank == world_size - 1 ? B + 1 : 0;
    ck_assert_int_eq(mlp_mpi_train_step(MPI_COMM_WORLD, net, ws, opt, d.x, d.y, bad, B,
                                        MLP_LOSS_CROSS_ENTROPY, NULL),
                     MLP_ERR_INVALID_ARG);
    ck_assert_uint_eq(tu_first_diff(mlp_net_params_const(net), after, P), P);
    free(after);
    free(before);
    free(g);
    free(expect);
    mlp_workspace_free(ws);
    mlp_optimizer_free(opt);
    mlp_net_free(net);
}
END_TEST

START_TEST(shard_spreads_remainders)
{
    /* 7 over 3: 3, 2, 2 from 0, 3, 5 */
    size_t f, c;
    const size_t f7[] = {0, 3, 5}, c7[] = {3, 2, 2};
    for (int r = 0; r < 3; r++) {
        mlp_mpi_shard(7, r, 3, &f, &c);
        ck_assert_uint_eq(f, f7[r]);
        ck_assert_uint_eq(c, c7[r]);
    }
    /* 2 over 3: the third rank gets none; 9 over 3: 3 each */
    mlp_mpi_shard(2, 2, 3, &f, &c);
    ck_assert_uint_eq(c, 0);
    mlp_mpi_shard(2, 1, 3, &f, &c);
    ck_assert_uint_eq(f, 1);
    ck_assert_uint_eq(c, 1);
    mlp_mpi_shard(9, 2, 3, &f, &c);
    ck_assert_uint_eq(f, 6);
    ck_assert_uint_eq(c, 3);
    /* every split covers the batch exactly once, in order */
    for (size_t b = 0; b < 20; b++)
        for (int n = 1; n <= 5; n++) {
            size_t next = 0;
            for (int r = 0; r < n; r++) {
                mlp_mpi_shard(b, r, n, &f, &c);
                ck_assert_uint_eq(f, next);
                ck_assert(c == b / (size_t)n || c == b / (size_t)n + 1);
                next += c;
            }
            ck_assert_uint_eq(next, b);
        }
    mlp_mpi_shard(5, 3, 3, &f, &c); /* out of range: nothing */
    ck_assert_uint_eq(c, 0);
}
END_TEST

/* The last rank builds another net (or another optimizer): every rank fails at the start
 * with WORKSPACE_MISMATCH and the same message naming that rank; nothing trained. */
START_TEST(mismatch_fails_on_every_rank)
{
    if (world_size < 2) return; /* nothing to mismatch */
    data d;
    make_data(&d);
    const bool odd = world_rank == world_size - 1;
    const size_t other_sizes[] = {5, 8, 3};
    tu_topo t = tu_topo_make(2, odd ? other_sizes : sizes, acts, MLP_BIAS_PER_NEURON);
    mlp_net *net = tu_net_new(&t, 7);
    float *before = tu_copy(mlp_net_params_const(net), mlp_net_param_count(net));
    mlp_optimizer_config oc = mlp_optimizer_config_default(MLP_OPT_ADAM);
    mlp_optimizer *opt;
    ck_assert_int_eq(mlp_optimizer_create(&opt, net, &oc), MLP_OK);
    mlp_train_config tc = mlp_train_config_default();
    tc.loss = MLP_LOSS_CROSS_ENTROPY;
    mlp_error_detail det = {0};
    ck_assert_int_eq(mlp_mpi_train(MPI_COMM_WORLD, net, opt, d.x, d.y, COUNT, NULL, NULL, 0,
                                   &tc, NULL, &det),
                     MLP_ERR_WORKSPACE_MISMATCH);
    char expect[64];
    snprintf(expect, sizeof expect, "rank %d: the network's topology differs", world_size - 1);
    ck_assert_msg(strstr(det.message, expect), "message: %s", det.message);
    ck_assert_uint_eq(tu_first_diff(mlp_net_params_const(net), before, mlp_net_param_count(net)),
                      mlp_net_param_count(net));
    mlp_optimizer_free(opt);
    free(before);

    /* same nets, another learning rate on the last rank */
    mlp_net_free(net);
    t = topo();
    net = tu_net_new(&t, 7);
    oc.learning_rate = odd ? 0.5f : 0.01f;
    ck_assert_int_eq(mlp_optimizer_create(&opt, net, &oc), MLP_OK);
    ck_assert_int_eq(mlp_mpi_train(MPI_COMM_WORLD, net, opt, d.x, d.y, COUNT, NULL, NULL, 0,
                                   &tc, NULL, &det),
                     MLP_ERR_WORKSPACE_MISMATCH);
    ck_assert_msg(strstr(det.message, "optimizer's settings"), "message: %s", det.message);

    /* another batch size: the training settings */
    tc.batch_size = odd ? 4 : 5;
    oc.learning_rate = 0.01f;
    mlp_optimizer_free(opt);
    ck_assert_int_eq(mlp_optimizer_create(&opt, net, &oc), MLP_OK);
    ck_assert_int_eq(mlp_mpi_train(MPI_COMM_WORLD, net, opt, d.x, d.y, COUNT, NULL, NULL, 0,
                                   &tc, NULL, &det),
                     MLP_ERR_WORKSPACE_MISMATCH);
    ck_assert_msg(strstr(det.message, "training settings"), "message: %s", det.message);
    mlp_optimizer_free(opt);
    mlp_net_free(net);
}
END_TEST

/* Bad settings fail on every rank before anything changes, as in mlp_train. */
START_TEST(bad_settings_change_nothing)
{
    data d;
    make_data(&d);
    const size_t lin_sizes[] = {5, 7, 3};
    const mlp_activation lin_acts[] = {MLP_ACT_TANH, MLP_ACT_LINEAR};
    tu_topo t = tu_topo_make(2, lin_sizes, lin_acts, MLP_BIAS_PER_NEURON);
    mlp_net *net = tu_net_new(&t, 7);
    mlp_optimizer_config oc = mlp_optimizer_config_default(MLP_OPT_MOMENTUM);
    mlp_optimizer *opt;
    ck_assert_int_eq(mlp_optimizer_create(&opt, net, &oc), MLP_OK);
    uint64_t before[MLP_RNG_STATE_WORDS], after[MLP_RNG_STATE_WORDS];
    mlp_net_rng_state(net, before);
    float *p0 = tu_copy(mlp_net_params_const(net), mlp_net_param_count(net));
    mlp_train_config tc = mlp_train_config_default();
    tc.loss = MLP_LOSS_CROSS_ENTROPY; /* needs softmax */
    ck_assert_int_eq(mlp_mpi_train(MPI_COMM_WORLD, net, opt, d.x, d.y, COUNT, NULL, NULL, 0,
                                   &tc, NULL, NULL),
                     MLP_ERR_INVALID_ARG);
    tc.loss = MLP_LOSS_MSE;
    tc.struct_size = 3; /* not from mlp_train_config_default */
    ck_assert_int_eq(mlp_mpi_train(MPI_COMM_WORLD, net, opt, d.x, d.y, COUNT, NULL, NULL, 0,
                                   &tc, NULL, NULL),
                     MLP_ERR_INVALID_ARG);
    tc.struct_size = sizeof tc;
    tc.dropout = NAN;
    ck_assert_int_eq(mlp_mpi_train(MPI_COMM_WORLD, net, opt, d.x, d.y, COUNT, NULL, NULL, 0,
                                   &tc, NULL, NULL),
                     MLP_ERR_NON_FINITE);
    /* a NaN record on one rank only: every rank refuses */
    tc.dropout = 0.0f;
    if (world_rank == world_size - 1) d.x[3] = NAN;
    ck_assert_int_eq(mlp_mpi_train(MPI_COMM_WORLD, net, opt, d.x, d.y, COUNT, NULL, NULL, 0,
                                   &tc, NULL, NULL),
                     MLP_ERR_NON_FINITE);
    mlp_net_rng_state(net, after);
    ck_assert(memcmp(before, after, sizeof before) == 0);
    ck_assert_uint_eq(tu_first_diff(mlp_net_params_const(net), p0, mlp_net_param_count(net)),
                      mlp_net_param_count(net));
    ck_assert_uint_eq(mlp_optimizer_step_count(opt), 0);
    free(p0);
    mlp_optimizer_free(opt);
    mlp_net_free(net);
}
END_TEST

/* Rank 0's parameters, RNG and optimizer state reach every rank. */
START_TEST(sync_copies_rank_zero)
{
    tu_topo t = topo();
    mlp_net *net = tu_net_new(&t, 100 + (uint64_t)world_rank); /* different on each rank */
    mlp_optimizer_config oc = mlp_optimizer_config_default(MLP_OPT_MOMENTUM);
    mlp_optimizer *opt;
    ck_assert_int_eq(mlp_optimizer_create(&opt, net, &oc), MLP_OK);
    size_t n;
    float *state = mlp_optimizer_state(opt, &n);
    for (size_t i = 0; i < n; i++) state[i] = (float)world_rank + (float)i;
    mlp_optimizer_set_step_count(opt, 10 + (uint64_t)world_rank);
    ck_assert_int_eq(mlp_mpi_sync(MPI_COMM_WORLD, net, opt, NULL), MLP_OK);
    mlp_net *zero = tu_net_new(&t, 100);
    ck_assert_uint_eq(tu_first_diff(mlp_net_params_const(net), mlp_net_params_const(zero),
                                    mlp_net_param_count(net)),
                      mlp_net_param_count(net));
    uint64_t a[MLP_RNG_STATE_WORDS], b[MLP_RNG_STATE_WORDS];
    mlp_net_rng_state(net, a);
    mlp_net_rng_state(zero, b);
    ck_assert(memcmp(a, b, sizeof a) == 0);
    for (size_t i = 0; i < n; i++) ck_assert_float_eq(state[i], (float)i);
    ck_assert_uint_eq(mlp_optimizer_step_count(opt), 10);
    ck_assert_uint_eq(mlp_mpi_topology_hash(net), mlp_mpi_topology_hash(zero));
    mlp_optimizer_free(opt);
    mlp_net_free(net);
    mlp_net_free(zero);
}
END_TEST

/* The agreed status and message are the lowest failing rank's, on every rank. */
START_TEST(agree_reports_the_first_failure)
{
    mlp_error_detail mine = {0}, got = {0};
    int who = -2;
    ck_assert_int_eq(mlp_mpi_agree(MPI_COMM_WORLD, MLP_OK, NULL, &got, &who), MLP_OK);
    ck_assert_int_eq(who, -1);
    const int bad = world_size - 1;
    snprintf(mine.message, sizeof mine.message, "file of rank %d missing", world_rank);
    mlp_status st = world_rank == bad ? MLP_ERR_IO : MLP_OK;
    ck_assert_int_eq(mlp_mpi_agree(MPI_COMM_WORLD, st, &mine, &got, &who), MLP_ERR_IO);
    ck_assert_int_eq(who, bad);
    char expect[64];
    snprintf(expect, sizeof expect, "file of rank %d missing", bad);
    ck_assert_str_eq(got.message, expect);
    /* without a message: the status's words */
    ck_assert_int_eq(mlp_mpi_agree(MPI_COMM_WORLD, st, NULL, &got, NULL), MLP_ERR_IO);
    ck_assert_str_eq(got.message, mlp_strerror(MLP_ERR_IO));
}
END_TEST

/* Ranks whose data differ in content but not in size are refused before anything changes,
 * with a message that names the first such rank. */
START_TEST(different_data_of_the_same_size_refused)
{
    if (world_size < 2) return;
    data d;
    make_data(&d);
    if (world_rank == world_size - 1) d.x[10] += 0.25f; /* a stale copy on one host */
    tu_topo t = topo();
    mlp_net *net = tu_net_new(&t, 7);
    float *before = tu_copy(mlp_net_params_const(net), mlp_net_param_count(net));
    mlp_optimizer_config oc = mlp_optimizer_config_default(MLP_OPT_ADAM);
    mlp_optimizer *opt;
    ck_assert_int_eq(mlp_optimizer_create(&opt, net, &oc), MLP_OK);
    mlp_train_config tc = mlp_train_config_default();
    mlp_error_detail det = {0};
    ck_assert_int_eq(mlp_mpi_train(MPI_COMM_WORLD, net, opt, d.x, d.y, COUNT, d.vx, d.vy, VAL,
                                   &tc, NULL, &det),
                     MLP_ERR_WORKSPACE_MISMATCH);
    char expect[64];
    snprintf(expect, sizeof expect, "rank %d: the content of the training", world_size - 1);
    ck_assert_msg(strstr(det.message, expect), "message: %s", det.message);
    ck_assert_uint_eq(tu_first_diff(mlp_net_params_const(net), before, mlp_net_param_count(net)),
                      mlp_net_param_count(net));
    free(before);
    mlp_optimizer_free(opt);
    mlp_net_free(net);
}
END_TEST

/* A callback source that fails on one rank in epoch 2 (an I/O error there). */
typedef struct failing_source {
    const data *d;
    int fail;    /* whether this rank's reads fail from read number `after` on */
    size_t reads, after;
} failing_source;

static mlp_status read_rows(void *user, const size_t *records, size_t n, float *x, float *y)
{
    failing_source *f = user;
    if (f->fail && ++f->reads > f->after) return MLP_ERR_IO;
    for (size_t i = 0; i < n; i++) {
        memcpy(x + i * 5, f->d->x + records[i] * 5, 5 * sizeof *x);
        memcpy(y + i * 3, f->d->y + records[i] * 3, 3 * sizeof *y);
    }
    return MLP_OK;
}

/* mlp_train_source with a session attached: the same loop trains data-parallel; a read that
 * fails on one rank mid-training fails every rank with that rank's message, each rolled
 * back to the start of the epoch, all still identical. */
START_TEST(attached_config_and_a_failing_rank)
{
    data d;
    make_data(&d);
    mlp_mpi_session *s;
    mlp_mpi_options mo = mlp_mpi_options_default();
    mo.timeout_seconds = 60.0;
    ck_assert_int_eq(mlp_mpi_session_create(&s, MPI_COMM_WORLD, &mo, NULL), MLP_OK);
    tu_topo t = topo();
    mlp_net *net = tu_net_new(&t, 7), *alone = tu_net_new(&t, 7);
    mlp_optimizer_config oc = mlp_optimizer_config_default(MLP_OPT_ADAM);
    oc.reduction = MLP_REDUCE_MEAN;
    oc.learning_rate = 0.01f;
    mlp_optimizer *opt, *opt_alone;
    ck_assert_int_eq(mlp_optimizer_create(&opt, net, &oc), MLP_OK);
    ck_assert_int_eq(mlp_optimizer_create(&opt_alone, alone, &oc), MLP_OK);
    mlp_train_config tc = mlp_train_config_default();
    tc.epochs = EPOCHS;
    tc.batch_size = 5;
    ck_assert_int_eq(mlp_train(alone, opt_alone, d.x, d.y, COUNT, d.vx, d.vy, VAL, &tc, NULL),
                     MLP_OK);
    ck_assert_int_eq(mlp_mpi_train_config_attach(&tc, s), MLP_OK);
    failing_source fs = {.d = &d};
    mlp_source train = {.struct_size = sizeof train, .count = COUNT, .read = read_rows,
                        .user_data = &fs};
    mlp_source val = {.struct_size = sizeof val, .count = VAL, .inputs = d.vx,
                      .targets = d.vy};
    mlp_train_result r;
    mlp_error_detail det = {0};
    ck_assert_int_eq(mlp_train_source(net, opt, &train, &val, &tc, &r, &det), MLP_OK);
    const size_t P = mlp_net_param_count(net);
    ck_assert(tu_rel_err_ff(mlp_net_params_const(net), mlp_net_params_const(alone), P, 1e-3) <
              TOL);
    ck_assert(same_everywhere(MPI_COMM_WORLD, mlp_net_params_const(net), P));

    /* the last rank's reads fail in the second epoch (5 batches an epoch) */
    fs.fail = world_rank == world_size - 1;
    fs.after = 7;
    tc.start_epoch = 0;
    ck_assert_int_eq(mlp_train_source(net, opt, &train, &val, &tc, &r, &det), MLP_ERR_IO);
    char expect[64];
    snprintf(expect, sizeof expect, "rank %d: train source", world_size - 1);
    ck_assert_msg(strstr(det.message, expect), "message: %s", det.message);
    ck_assert_uint_eq(r.epochs_run, 1);
    ck_assert(same_everywhere(MPI_COMM_WORLD, mlp_net_params_const(net), P));
    mlp_optimizer_free(opt);
    mlp_optimizer_free(opt_alone);
    mlp_net_free(net);
    mlp_net_free(alone);
    mlp_mpi_session_free(s);
}
END_TEST

/* Rounded to bfloat16 (nearest even) and back: the test's own reading of the format. */
static float round_bf16(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    u = (u + 0x7fffu + ((u >> 16) & 1u)) & 0xffff0000u;
    memcpy(&f, &u, sizeof f);
    return f;
}

/* One SGD step on the whole batch with bf16_gradients: the update is the one built here from
 * each rank's share of the gradient rounded to bf16 and summed in rank order, and not the
 * float one; the ranks agree bit for bit; sharded and whole steps alike. */
static void one_bf16_step(bool shard)
{
    data d;
    make_data(&d);
    tu_topo t = topo();
    mlp_net *net = tu_net_new(&t, 7), *ref = tu_net_new(&t, 7), *f32 = tu_net_new(&t, 7);
    const size_t P = mlp_net_param_count(net);
    mlp_optimizer_config oc = mlp_optimizer_config_default(MLP_OPT_SGD);
    oc.reduction = MLP_REDUCE_MEAN;
    oc.learning_rate = 0.5f;
    mlp_optimizer *opt, *ref_opt;
    ck_assert_int_eq(mlp_optimizer_create(&opt, net, &oc), MLP_OK);
    ck_assert_int_eq(mlp_optimizer_create(&ref_opt, ref, &oc), MLP_OK);

    /* the expected step: every rank's share, rounded, summed in rank order */
    mlp_workspace *ws;
    ck_assert_int_eq(mlp_workspace_create(&ws, ref, COUNT), MLP_OK);
    float *g = malloc(P * sizeof *g), *sum = calloc(P, sizeof *sum);
    float *g32 = calloc(P, sizeof *g32);
    for (int r = 0; r < world_size; r++) {
        size_t first, n;
        mlp_mpi_shard(COUNT, r, world_size, &first, &n);
        memset(g, 0, P * sizeof *g);
        if (n)
            ck_assert_int_eq(mlp_gradient(ref, ws, d.x + first * 5, d.y + first * 3, n,
                                          MLP_LOSS_CROSS_ENTROPY, g, NULL), MLP_OK);
        for (size_t i = 0; i < P; i++) {
            sum[i] += world_size > 1 ? round_bf16(g[i]) : g[i];
            g32[i] += g[i];
        }
    }
    ck_assert_int_eq(mlp_optimizer_step(ref_opt, ref, sum, COUNT), MLP_OK);
    ck_assert_int_eq(mlp_optimizer_step(ref_opt, f32, g32, COUNT), MLP_OK);

    mlp_mpi_options mo = mlp_mpi_options_default();
    mo.shard_optimizer = shard;
    mo.bf16_gradients = true;
    mlp_mpi_session *s;
    ck_assert_int_eq(mlp_mpi_session_create(&s, MPI_COMM_WORLD, &mo, NULL), MLP_OK);
    mlp_train_config tc = mlp_train_config_default();
    tc.loss = MLP_LOSS_CROSS_ENTROPY;
    tc.epochs = 1;
    tc.batch_size = COUNT;
    tc.shuffle = false; /* each rank's share: the records mlp_mpi_shard gives it */
    ck_assert_int_eq(mlp_mpi_train_config_attach(&tc, s), MLP_OK);
    ck_assert_int_eq(mlp_train(net, opt, d.x, d.y, COUNT, NULL, NULL, 0, &tc, NULL), MLP_OK);

    const float *p = mlp_net_params_const(net);
    const double to_ref = tu_rel_err_ff(p, mlp_net_params_const(ref), P, 1e-3);
    ck_assert_msg(to_ref < 1e-6, "%d ranks, shard %d: %g from the bf16 reference", world_size,
                  (int)shard, to_ref);
    if (world_size > 1) { /* the float step is another one: the rounding took effect */
        const double to_f32 = tu_rel_err_ff(p, mlp_net_params_const(f32), P, 1e-3);
        ck_assert_msg(to_f32 > 1e-5, "%d ranks: bf16 step equals the float one (%g)",
                      world_size, to_f32);
    }
    ck_assert(same_everywhere(MPI_COMM_WORLD, p, P));
    mlp_mpi_session_free(s);
    free(g);
    free(sum);
    free(g32);
    mlp_workspace_free(ws);
    mlp_optimizer_free(opt);
    mlp_optimizer_free(ref_opt);
    mlp_net_free(net);
    mlp_net_free(ref);
    mlp_net_free(f32);
}

START_TEST(bf16_gradients_round_each_share)
{
    one_bf16_step(true);
    one_bf16_step(false);
}
END_TEST

/* A net whose gradient spans several buckets of the exchange and whose big layer's weight
 * gradient is computed in pieces: the exchange that starts during the backward pass gives
 * mlp_train's result (float gradients) or the one exchanged after the pass (bf16
 * gradients), with every rank bit-identical, sharded step or not. */
static void train_wide(MPI_Comm comm, const mlp_mpi_options *mo, mlp_net **out)
{
    static const size_t wide[] = {40, 700, 200, 4};
    static const mlp_activation wacts[] = {MLP_ACT_TANH, MLP_ACT_TANH, MLP_ACT_SOFTMAX};
    enum { N = 48 };
    static float x[N * 40], y[N * 4];
    uint64_t seed = 9;
    tu_fill_uniform(&seed, x, N * 40, -1.0, 1.0);
    tu_fill_distributions(&seed, y, N, 4);
    tu_topo t = tu_topo_make(3, wide, wacts, MLP_BIAS_PER_NEURON);
    mlp_net *net = tu_net_new(&t, 11);
    ck_assert_ptr_nonnull(net);
    /* momentum: Adam's g / sqrt(v) would magnify the rounding of near-zero entries */
    mlp_optimizer_config oc = mlp_optimizer_config_default(MLP_OPT_MOMENTUM);
    oc.reduction = MLP_REDUCE_MEAN;
    oc.learning_rate = 0.05f;
    mlp_optimizer *opt;
    ck_assert_int_eq(mlp_optimizer_create(&opt, net, &oc), MLP_OK);
    mlp_train_config tc = mlp_train_config_default();
    tc.loss = MLP_LOSS_CROSS_ENTROPY;
    tc.epochs = 2;
    tc.batch_size = 16;
    mlp_mpi_session *s = NULL;
    if (comm != MPI_COMM_NULL) {
        ck_assert_int_eq(mlp_mpi_session_create(&s, comm, mo, NULL), MLP_OK);
        ck_assert_int_eq(mlp_mpi_train_config_attach(&tc, s), MLP_OK);
    }
    ck_assert_int_eq(mlp_train(net, opt, x, y, N, NULL, NULL, 0, &tc, NULL), MLP_OK);
    mlp_mpi_session_free(s);
    mlp_optimizer_free(opt);
    *out = net;
}

START_TEST(overlapped_exchange_matches)
{
    mlp_net *alone;
    train_wide(MPI_COMM_NULL, NULL, &alone);
    const size_t P = mlp_net_param_count(alone);
    for (int n = 1; n <= world_size; n++) {
        MPI_Comm comm = first_ranks(n);
        if (comm == MPI_COMM_NULL) continue;
        for (int v = 0; v < 4; v++) {
            mlp_mpi_options mo = mlp_mpi_options_default();
            mo.shard_optimizer = v & 1;
            mo.bf16_gradients = v & 2;
            mo.overlap_backward = true;
            mlp_net *on, *off;
            train_wide(comm, &mo, &on);
            mo.overlap_backward = false;
            train_wide(comm, &mo, &off);
            const float *p = mlp_net_params_const(on);
            ck_assert(same_everywhere(comm, p, P));
            ck_assert(same_everywhere(comm, mlp_net_params_const(off), P));
            const double e = tu_rel_err_ff(p, mlp_net_params_const(off), P, 1e-3);
            const double a = tu_rel_err_ff(p, mlp_net_params_const(alone), P, 1e-3);
            ck_assert_msg(e < (mo.bf16_gradients ? 1e-4 : TOL),
                          "%d ranks, shard %d, bf16 %d: overlapped %g from after the pass", n,
                          v & 1, v >> 1, e);
            ck_assert_msg(mo.bf16_gradients || a < TOL,
                          "%d ranks, shard %d: overlapped %g from mlp_train", n, v & 1, a);
            mlp_net_free(on);
            mlp_net_free(off);
        }
        MPI_Comm_free(&comm);
    }
    mlp_net_free(alone);
}
END_TEST

/* Each rank holds only its own records (uneven shards, the first rank the fewest):
 * mlp_mpi_train_shards gives mlp_train's result on the whole set, minibatches and the
 * whole-set batch, with validation, every rank bit-identical. */
START_TEST(own_shards_match_single_process)
{
    data d;
    make_data(&d);
    const size_t batches[] = {5, 0};
    for (size_t k = 0; k < 2; k++) {
        run alone = train_once(MPI_COMM_NULL, &d, MLP_OPT_MOMENTUM, batches[k], true);
        ck_assert_int_eq(alone.st, MLP_OK);
        /* rank r holds records [cut(r), cut(r + 1)): 3 for rank 0, the rest split evenly */
        size_t cut[2], vcut[2];
        for (int e = 0; e < 2; e++) {
            const int r = world_rank + e;
            cut[e] = r == 0 ? 0 : r == world_size ? COUNT
                                                  : 3 + (COUNT - 3) * (size_t)(r - 1) /
                                                            (size_t)(world_size - 1);
            vcut[e] = VAL * (size_t)r / (size_t)world_size;
        }
        if (world_size == 1) cut[1] = COUNT;
        tu_topo t = topo();
        mlp_net *net = tu_net_new(&t, 7);
        mlp_optimizer_config oc = mlp_optimizer_config_default(MLP_OPT_MOMENTUM);
        oc.reduction = MLP_REDUCE_MEAN;
        oc.learning_rate = 0.5f;
        mlp_optimizer *opt;
        ck_assert_int_eq(mlp_optimizer_create(&opt, net, &oc), MLP_OK);
        mlp_train_config tc = mlp_train_config_default();
        tc.loss = MLP_LOSS_CROSS_ENTROPY;
        tc.epochs = EPOCHS;
        tc.batch_size = batches[k];
        mlp_mpi_session *s;
        ck_assert_int_eq(mlp_mpi_session_create(&s, MPI_COMM_WORLD, NULL, NULL), MLP_OK);
        mlp_train_result r;
        mlp_error_detail det = {0};
        mlp_status st = mlp_mpi_train_shards(MPI_COMM_WORLD, s, net, opt, d.x + cut[0] * 5,
                                             d.y + cut[0] * 3, cut[1] - cut[0],
                                             d.vx + vcut[0] * 5, d.vy + vcut[0] * 3,
                                             vcut[1] - vcut[0], &tc, &r, &det);
        ck_assert_msg(st == MLP_OK, "%s", det.message);
        ck_assert_uint_eq(r.best_epoch, alone.res.best_epoch);
        const size_t P = mlp_net_param_count(net);
        const double e = tu_rel_err_ff(mlp_net_params_const(net),
                                       mlp_net_params_const(alone.net), P, 1e-3);
        ck_assert_msg(e < TOL, "batch %zu on %d ranks: params differ by %g", batches[k],
                      world_size, e);
        ck_assert(fabs(r.best_val_loss - alone.res.best_val_loss) <
                  1e-5 * fabs(alone.res.best_val_loss));
        ck_assert(same_everywhere(MPI_COMM_WORLD, mlp_net_params_const(net), P));
        mlp_mpi_session_free(s);
        mlp_optimizer_free(opt);
        mlp_net_free(net);
        mlp_net_free(alone.net);
    }
}
END_TEST

/* A struct_size of the layout before bf16_gradients is read with the field false. */
START_TEST(options_of_the_first_layout_accepted)
{
    mlp_mpi_options mo = mlp_mpi_options_default();
    mo.bf16_gradients = true; /* beyond the old size: must not be read */
    mo.struct_size = offsetof(mlp_mpi_options, shard_optimizer) + sizeof(bool);
    mlp_mpi_session *s = NULL;
    ck_assert_int_eq(mlp_mpi_session_create(&s, MPI_COMM_WORLD, &mo, NULL), MLP_OK);
    mlp_mpi_session_free(s);
    mo.struct_size = 3;
    mlp_error_detail det = {0};
    ck_assert_int_eq(mlp_mpi_session_create(&s, MPI_COMM_WORLD, &mo, &det),
                     MLP_ERR_INVALID_ARG);
    ck_assert_ptr_null(s);
}
END_TEST

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &world_rank);
    MPI_Comm_size(MPI_COMM_WORLD, &world_size);
    Suite *s = suite_create("mpi");
    TCase *tc = tcase_create("mpi");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, shard_spreads_remainders);
    tcase_add_test(tc, agree_reports_the_first_failure);
    tcase_add_test(tc, sync_copies_rank_zero);
    tcase_add_test(tc, train_step_sums_the_shares);
    tcase_add_test(tc, sgd_matches_single_process);
    tcase_add_test(tc, momentum_matches_single_process);
    tcase_add_test(tc, adam_matches_single_process);
    tcase_add_test(tc, full_and_stochastic_batches_match);
    tcase_add_test(tc, sgd_matches_double_reference);
    tcase_add_test(tc, mismatch_fails_on_every_rank);
    tcase_add_test(tc, bad_settings_change_nothing);
    tcase_add_test(tc, different_data_of_the_same_size_refused);
    tcase_add_test(tc, attached_config_and_a_failing_rank);
    tcase_add_test(tc, bf16_gradients_round_each_share);
    tcase_add_test(tc, options_of_the_first_layout_accepted);
    tcase_add_test(tc, overlapped_exchange_matches);
    tcase_add_test(tc, own_shards_match_single_process);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    /* no fork: the ranks' MPI state lives in this process. A failed check on one rank
     * leaves the others in a collective: the test's timeout then fails it. */
    srunner_set_fork_status(sr, CK_NOFORK);
    srunner_run_all(sr, world_rank == 0 ? CK_NORMAL : CK_SILENT);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    int any;
    MPI_Allreduce(&failed, &any, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    if (any && world_rank != 0 && failed) fprintf(stderr, "rank %d: %d test(s) failed\n", world_rank, failed);
    MPI_Finalize();
    return any ? 1 : 0;
}
