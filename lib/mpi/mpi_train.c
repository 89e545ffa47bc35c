/* mlp_mpi_train: mlp_train's epoch loop with every global batch split over the ranks.
 * It follows lib/train/train_loop.c step for step (the same permutation, snapshot, rollback,
 * validation and early stopping), so that one rank reproduces mlp_train up to rounding. */
#include "mpi_internal.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define EVAL_BATCH 256

typedef struct mpi_trainer {
    MPI_Comm comm;
    int rank, ranks;
    mlp_net *net;
    mlp_optimizer *opt;
    const mlp_train_config *cfg;    /* &own once the caller's struct is read */
    mlp_train_config own;           /* the caller's fields over this version's defaults */
    mlp_loss loss;                  /* cfg->loss, AUTO resolved */
    const float *x, *y, *vx, *vy;
    size_t count, val_count, batch; /* batch 0: whole epoch */
    size_t n0, nl;
    mlp_workspace *ws, *eval_ws;
    size_t *order;
    float *bx, *by;                 /* this rank's rows of the global batch */
    float *best_params, *snap_params, *snap_state;
    size_t state_count;
    uint64_t snap_steps;
    uint64_t snap_rng[MLP_RNG_STATE_WORDS];
    size_t bad_batch;
    mlp_progress progress;
} mpi_trainer;

static void trainer_free(mpi_trainer *t)
{
    mlp_workspace_free(t->ws);
    mlp_workspace_free(t->eval_ws);
    free(t->order);
    free(t->bx);
    free(t->by);
    free(t->best_params);
    free(t->snap_params);
    free(t->snap_state);
}

static void snapshot(mpi_trainer *t)
{
    memcpy(t->snap_params, mlp_net_params(t->net), mlp_param_count(t->net) * sizeof(float));
    size_t n;
    const float *state = mlp_optimizer_state_const(t->opt, &n);
    if (n) memcpy(t->snap_state, state, n * sizeof(float));
    t->snap_steps = mlp_optimizer_step_count(t->opt);
    mlp_net_get_rng_state(t->net, t->snap_rng);
}

static void rollback(mpi_trainer *t)
{
    memcpy(mlp_net_params(t->net), t->snap_params, mlp_param_count(t->net) * sizeof(float));
    size_t n;
    float *state = mlp_optimizer_state(t->opt, &n);
    if (n) memcpy(state, t->snap_state, n * sizeof(float));
    mlp_optimizer_set_step_count(t->opt, t->snap_steps);
    mlp_net_set_rng_state(t->net, t->snap_rng);
}

/* This rank's largest share of a batch: the workspace and gather buffers hold it (a whole
 * epoch's share goes through the workspace in chunks). */
static size_t local_capacity(const mpi_trainer *t)
{
    size_t share;
    mlp_mpi_shard(t->batch ? t->batch : t->count, 0, t->ranks, NULL, &share);
    if (!t->batch && share > EVAL_BATCH) share = EVAL_BATCH;
    return share ? share : 1;
}

static mlp_status trainer_alloc(mpi_trainer *t)
{
    const size_t cap = local_capacity(t), params = mlp_param_count(t->net);
    mlp_status st = mlp_workspace_create(&t->ws, t->net, cap);
    if (st == MLP_OK) st = mlp_workspace_create_inference(&t->eval_ws, t->net, EVAL_BATCH);
    if (st == MLP_OK && t->cfg->dropout > 0.0f) /* each rank its own masks */
        st = mlp_workspace_set_dropout(t->ws, t->cfg->dropout,
                                       t->cfg->dropout_seed + (uint64_t)t->rank);
    if (st != MLP_OK) return st;
    t->order = malloc(t->count * sizeof *t->order);
    t->bx = malloc(cap * t->n0 * sizeof *t->bx);
    t->by = malloc(cap * t->nl * sizeof *t->by);
    const bool want_best = t->val_count && t->cfg->restore_best;
    if (want_best) t->best_params = malloc(params * sizeof *t->best_params);
    t->snap_params = malloc(params * sizeof *t->snap_params);
    (void)mlp_optimizer_state_const(t->opt, &t->state_count);
    if (t->state_count) t->snap_state = malloc(t->state_count * sizeof *t->snap_state);
    if (!t->order || !t->bx || !t->by || (want_best && !t->best_params) || !t->snap_params ||
        (t->state_count && !t->snap_state))
        return MLP_ERR_NO_MEMORY;
    for (size_t i = 0; i < t->count; i++) t->order[i] = i;
    return MLP_OK;
}

/* Copies this rank's rows of the global batch starting at `done` into bx/by. */
static size_t gather_share(mpi_trainer *t, size_t done, size_t global)
{
    size_t first, n;
    mlp_mpi_shard(global, t->rank, t->ranks, &first, &n);
    for (size_t i = 0; i < n; i++) {
        const size_t r = t->order[done + first + i];
        memcpy(t->bx + i * t->n0, t->x + r * t->n0, t->n0 * sizeof *t->bx);
        memcpy(t->by + i * t->nl, t->y + r * t->nl, t->nl * sizeof *t->by);
    }
    return n;
}

/* The callback on every rank; training stops when any rank's returns false. */
static bool report(mpi_trainer *t)
{
    int go = t->cfg->progress ? t->cfg->progress(&t->progress, t->cfg->user_data) : 1, all;
    MPI_Allreduce(&go, &all, 1, MPI_INT, MPI_LAND, t->comm);
    return all != 0;
}

/* The whole epoch as one batch: this rank's contiguous share, in workspace-sized chunks. */
static mlp_status epoch_full_batch(mpi_trainer *t, double *loss_sum)
{
    float *grad = mlp_workspace_gradient(t->ws);
    size_t first, n;
    mlp_mpi_shard(t->count, t->rank, t->ranks, &first, &n);
    mlp_status st = MLP_OK;
    double local = 0.0;
    memset(grad, 0, mlp_param_count(t->net) * sizeof *grad);
    for (size_t start = 0; start < n && st == MLP_OK; start += EVAL_BATCH) {
        size_t b = n - start < EVAL_BATCH ? n - start : EVAL_BATCH;
        double c = 0.0;
        st = mlp_gradient_accumulate(t->net, t->ws, t->x + (first + start) * t->n0,
                                     t->y + (first + start) * t->nl, b, t->loss, grad, &c);
        local += c;
    }
    t->progress.batch = 1;
    t->progress.samples_done = t->count;
    *loss_sum = local;
    /* the update goes ahead even on a NaN loss (as in mlp_train's minibatches): the epoch is
     * then rolled back */
    st = mlp_mpi_reduce_and_step(t->comm, t->net, t->opt, grad, t->count, st, loss_sum);
    if (st == MLP_OK && *loss_sum - *loss_sum != 0.0) {
        t->bad_batch = 0;
        st = MLP_ERR_DIVERGED;
    }
    return st;
}

static mlp_status epoch_minibatches(mpi_trainer *t, double *loss_sum, double epoch_start,
                                    bool *stop)
{
    const size_t interval = t->cfg->progress_interval ? t->cfg->progress_interval : 1;
    const bool per_batch = t->cfg->progress_every_batch;
    float *grad = mlp_workspace_gradient(t->ws);
    mlp_status st = MLP_OK;
    *loss_sum = 0.0;
    size_t done = 0, batch_index = 0;
    while (done < t->count && st == MLP_OK) {
        const size_t b = t->count - done < t->batch ? t->count - done : t->batch;
        const size_t n = gather_share(t, done, b);
        double c = 0.0;
        mlp_status local = MLP_OK;
        if (n > 0)
            local = mlp_gradient(t->net, t->ws, t->bx, t->by, n, t->loss, grad, &c);
        else
            memset(grad, 0, mlp_param_count(t->net) * sizeof *grad);
        st = mlp_mpi_reduce_and_step(t->comm, t->net, t->opt, grad, b, local, &c);
        if (st != MLP_OK) break;
        if (c - c != 0.0) { /* NaN or infinite: the same sum, so the same verdict, on every rank */
            t->bad_batch = batch_index;
            st = MLP_ERR_DIVERGED;
            break;
        }
        *loss_sum += c;
        done += b;
        batch_index++;
        if (per_batch && (batch_index % interval == 0 || done == t->count)) {
            t->progress.batch = batch_index;
            t->progress.samples_done = done;
            t->progress.train_loss = *loss_sum / (double)done;
            t->progress.epoch_seconds = MPI_Wtime() - epoch_start;
            if (!report(t)) *stop = true;
            if (*stop) break;
        }
    }
    return st;
}

/* Validation split over the ranks: summed loss and correct count, reduced. */
static mlp_status validate(mpi_trainer *t, double *mean_loss, double *accuracy)
{
    size_t first, n;
    mlp_mpi_shard(t->val_count, t->rank, t->ranks, &first, &n);
    double sums[3] = {0.0, 0.0, 0.0}; /* loss, correct, failures */
    if (n > 0) {
        double l, a;
        mlp_status st = mlp_evaluate(t->net, t->eval_ws, t->vx + first * t->n0,
                                     t->vy + first * t->nl, n, t->loss, &l, &a);
        if (st != MLP_OK) sums[2] = 1.0;
        sums[0] = l * (double)n;
        sums[1] = t->nl > 1 ? nearbyint(a * (double)n) : 0.0;
    }
    MPI_Allreduce(MPI_IN_PLACE, sums, 3, MPI_DOUBLE, MPI_SUM, t->comm);
    if (sums[2] != 0.0) return MLP_ERR_INVALID_ARG; /* checked at the start: never */
    *mean_loss = sums[0] / (double)t->val_count;
    *accuracy = t->nl > 1 ? sums[1] / (double)t->val_count : NAN;
    return MLP_OK;
}

/* The first layout of mlp_train_config (0.1) ends with threads: the least struct_size. */
#define TRAIN_CONFIG_MIN_SIZE (offsetof(mlp_train_config, threads) + sizeof(int))

/* The checks mlp_train makes, agreed over the ranks. */
static mlp_status check_start(mpi_trainer *t, const mlp_train_config *in,
                              mlp_error_detail *detail)
{
    mlp_error_detail mine = {0};
    mlp_status st = MLP_OK;
    t->own = mlp_train_config_default();
    const mlp_train_config *cfg = &t->own;
    if (!t->net || !t->opt || !t->x || !t->y || !in) st = MLP_ERR_NULL_ARG;
    else if (in->struct_size < TRAIN_CONFIG_MIN_SIZE || in->struct_size > sizeof t->own)
        st = MLP_ERR_INVALID_ARG; /* not from mlp_train_config_default, or a newer header */
    if (st == MLP_OK) { /* fields the caller's version lacks keep their defaults */
        memcpy(&t->own, in, in->struct_size);
        t->own.struct_size = sizeof t->own;
        t->cfg = cfg;
        const bool softmax =
            mlp_net_activation(t->net, mlp_net_layer_count(t->net) - 1) == MLP_ACT_SOFTMAX;
        t->loss = cfg->loss == MLP_LOSS_AUTO ? (softmax ? MLP_LOSS_CROSS_ENTROPY : MLP_LOSS_MSE)
                                             : cfg->loss;
        if (t->val_count && (!t->vx || !t->vy)) st = MLP_ERR_NULL_ARG;
        else if (t->count == 0 || cfg->epochs == 0 || cfg->start_epoch >= cfg->epochs)
            st = MLP_ERR_INVALID_ARG;
        else if (!isfinite(cfg->dropout)) st = MLP_ERR_NON_FINITE;
        else if (cfg->dropout < 0.0f || cfg->dropout >= 1.0f) st = MLP_ERR_INVALID_ARG;
        else if (cfg->patience > 0 && t->val_count == 0) st = MLP_ERR_INVALID_ARG;
        else if (cfg->precision != MLP_PRECISION_FP32) st = MLP_ERR_INVALID_ARG; /* not yet */
        else if ((unsigned)cfg->loss >= MLP_LOSS_COUNT ||
                 (t->loss == MLP_LOSS_CROSS_ENTROPY && !softmax))
            st = MLP_ERR_INVALID_ARG; /* as mlp_train: before anything changes */
        t->batch = cfg->batch_size > t->count ? t->count : cfg->batch_size;
    }
    if (st != MLP_OK)
        snprintf(mine.message, sizeof mine.message, "rank %d: %s", t->rank, mlp_strerror(st));
    return mlp_mpi_agree(t->comm, st, &mine, detail, NULL);
}

/* Rank 0's state everywhere, once the settings and data sizes are known to agree. */
static mlp_status sync_start(mpi_trainer *t, mlp_error_detail *detail)
{
    const mlp_train_config *cfg = t->cfg;
    mlp_status st = mlp_mpi_sync(t->comm, t->net, t->opt, detail);
    if (st != MLP_OK) return st;
    uint64_t h = MLP_MPI_HASH_START;
    const uint64_t words[] = {t->count, t->val_count, t->batch, t->loss, cfg->epochs,
                              cfg->start_epoch, cfg->shuffle, cfg->patience, cfg->restore_best,
                              cfg->progress_every_batch, cfg->progress_interval};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) h = mlp_mpi_hash_word(h, words[i]);
    uint32_t dropout_bits;
    memcpy(&dropout_bits, &cfg->dropout, sizeof dropout_bits);
    h = mlp_mpi_hash_word(h, dropout_bits);
    return mlp_mpi_check_same(t->comm, h, "training settings or data size", detail);
}

mlp_status mlp_mpi_train(MPI_Comm comm, mlp_net *net, mlp_optimizer *opt, const float *inputs,
                         const float *targets, size_t count, const float *val_inputs,
                         const float *val_targets, size_t val_count,
                         const mlp_train_config *config, mlp_train_result *result,
                         mlp_error_detail *detail)
{
    mpi_trainer t = {.comm = comm, .net = net, .opt = opt, .x = inputs, .y = targets,
                     .vx = val_inputs, .vy = val_targets, .count = count,
                     .val_count = val_count};
    MPI_Comm_rank(comm, &t.rank);
    MPI_Comm_size(comm, &t.ranks);
    mlp_status st = check_start(&t, config, detail);
    if (st != MLP_OK) return st;
    const mlp_train_config *cfg = t.cfg;
    t.n0 = mlp_net_input_size(net);
    t.nl = mlp_net_output_size(net);
    /* everything that can fail on one rank only, agreed before the first collective step */
    mlp_status local = trainer_alloc(&t);
    if (local == MLP_OK) {
        /* mlp_gradient and mlp_evaluate check these too, but on a share of the data: a bad
         * record seen by one rank only must stop all of them here */
        for (size_t i = 0; i < count * t.n0 && local == MLP_OK; i++)
            if (!isfinite(inputs[i])) local = MLP_ERR_NON_FINITE;
        for (size_t i = 0; i < count * t.nl && local == MLP_OK; i++)
            if (!isfinite(targets[i])) local = MLP_ERR_NON_FINITE;
        for (size_t i = 0; i < val_count * t.n0 && local == MLP_OK; i++)
            if (!isfinite(val_inputs[i])) local = MLP_ERR_NON_FINITE;
        for (size_t i = 0; i < val_count * t.nl && local == MLP_OK; i++)
            if (!isfinite(val_targets[i])) local = MLP_ERR_NON_FINITE;
    }
    mlp_error_detail mine = {0};
    if (local != MLP_OK)
        snprintf(mine.message, sizeof mine.message, "rank %d: %s", t.rank, mlp_strerror(local));
    st = mlp_mpi_agree(comm, local, &mine, detail, NULL);
    if (st == MLP_OK) st = sync_start(&t, detail);
    if (st != MLP_OK) {
        trainer_free(&t);
        return st;
    }

    mlp_train_result r = {.best_val_loss = NAN, .best_val_accuracy = NAN};
    const double t0 = MPI_Wtime();
    const size_t batches = t.batch ? (count + t.batch - 1) / t.batch : 1;
    bool stop = false, have_best = false;
    for (size_t epoch = cfg->start_epoch; epoch < cfg->epochs && !stop && st == MLP_OK; epoch++) {
        const double e0 = MPI_Wtime();
        mlp_optimizer_set_epoch(opt, epoch);
        t.progress = (mlp_progress){.epoch = epoch, .epochs = cfg->epochs, .batches = batches,
                                    .val_loss = NAN, .val_accuracy = NAN,
                                    .learning_rate = mlp_optimizer_learning_rate(opt)};
        snapshot(&t); /* before the shuffle draws from the RNG */
        if (t.batch && cfg->shuffle) { /* the same permutation on every rank */
            for (size_t i = 0; i < count; i++) t.order[i] = i;
            mlp_net_shuffle(net, t.order, count);
        }
        double loss_sum = 0.0;
        st = t.batch ? epoch_minibatches(&t, &loss_sum, e0, &stop)
                     : epoch_full_batch(&t, &loss_sum);
        if (st == MLP_OK) { /* identical parameters: the same verdict everywhere */
            const float *p = mlp_net_params_const(net);
            for (size_t i = 0; i < mlp_param_count(net); i++)
                if (!isfinite(p[i])) {
                    st = MLP_ERR_DIVERGED;
                    t.bad_batch = batches - 1;
                    break;
                }
        }
        if (st == MLP_ERR_DIVERGED) {
            rollback(&t);
            r.epochs_run = epoch;
            r.diverged_epoch = epoch;
            r.diverged_batch = t.bad_batch;
            break;
        }
        if (st != MLP_OK || stop) {
            r.stopped_by_callback = stop;
            break;
        }
        r.epochs_run = epoch + 1;
        r.final_train_loss = loss_sum / (double)count;
        r.best_epoch = val_count ? r.best_epoch : epoch;
        if (val_count) {
            double vl, va;
            st = validate(&t, &vl, &va);
            if (st != MLP_OK) break;
            t.progress.val_loss = vl;
            t.progress.val_accuracy = va;
            if (epoch == cfg->start_epoch || vl < r.best_val_loss) {
                r.best_val_loss = vl;
                r.best_val_accuracy = va;
                r.best_epoch = epoch;
                if (t.best_params) {
                    memcpy(t.best_params, mlp_net_params_const(net),
                           mlp_param_count(net) * sizeof(float));
                    have_best = true;
                }
            } else if (cfg->patience && epoch - r.best_epoch >= cfg->patience) {
                r.stopped_early = true;
                stop = true;
            }
        }
        t.progress.batch = batches;
        t.progress.samples_done = count;
        t.progress.train_loss = r.final_train_loss;
        t.progress.end_of_epoch = true;
        t.progress.epoch_seconds = MPI_Wtime() - e0;
        if (!report(&t)) {
            r.stopped_by_callback = true;
            stop = true;
        }
    }
    if (st == MLP_OK && have_best)
        memcpy(mlp_net_params(net), t.best_params, mlp_param_count(net) * sizeof(float));
    r.seconds = MPI_Wtime() - t0;
    trainer_free(&t);
    if (result) *result = r;
    return st;
}
