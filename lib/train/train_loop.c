/* mlp_train: epochs of batch, stochastic or minibatch gradient descent with validation,
 * early stopping and a progress callback. Everything is allocated before the first step. */
#include "mlp_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define EVAL_BATCH 256

typedef struct trainer {
    mlp_net *net;
    mlp_optimizer *opt;
    const mlp_train_config *cfg;
    const float *x, *y, *vx, *vy;
    size_t count, val_count, batch; /* batch 0: whole epoch */
    mlp_workspace *ws, *eval_ws;
    size_t *order;
    float *bx, *by;                 /* gathered minibatch rows */
    float *best_params;
    /* The state at the start of the epoch, restored when it diverges. */
    float *snap_params, *snap_state;
    size_t state_count;
    uint64_t snap_steps;
    mlp_rng snap_rng;
    size_t bad_batch;               /* DIVERGED: the batch whose loss was not finite */
    mlp_progress progress;
} trainer;

static void trainer_free(trainer *t)
{
    mlp_workspace_free(t->ws);
    mlp_workspace_free(t->eval_ws);
    mlp_mem_free(t->order);
    mlp_mem_free(t->bx);
    mlp_mem_free(t->by);
    mlp_mem_free(t->best_params);
    mlp_mem_free(t->snap_params);
    mlp_mem_free(t->snap_state);
}

static void snapshot(trainer *t)
{
    memcpy(t->snap_params, t->net->params, t->net->param_count * sizeof(float));
    size_t n;
    const float *state = mlp_optimizer_state_const(t->opt, &n);
    if (n) memcpy(t->snap_state, state, n * sizeof(float));
    t->snap_steps = mlp_optimizer_step_count(t->opt);
    t->snap_rng = t->net->rng;
}

static void rollback(trainer *t)
{
    memcpy(t->net->params, t->snap_params, t->net->param_count * sizeof(float));
    size_t n;
    float *state = mlp_optimizer_state(t->opt, &n);
    if (n) memcpy(state, t->snap_state, n * sizeof(float));
    mlp_optimizer_set_step_count(t->opt, t->snap_steps);
    t->net->rng = t->snap_rng;
}

/* The workspace's threads only serve one-record plain-SGD steps on layers the engine
 * splits: no team is started where it would never run. */
static bool splits_a_layer(const trainer *t)
{
    if (t->batch != 1) return false;
    for (size_t k = 0; k < t->net->n_layers; k++)
        if (mlp_one_record_splits(t->net, k)) return true;
    return false;
}

static mlp_status trainer_alloc(trainer *t)
{
    const mlp_net *net = t->net;
    const size_t n0 = net->sizes[0], nl = net->sizes[net->n_layers];
    size_t cap = t->batch ? t->batch : (t->count < EVAL_BATCH ? t->count : EVAL_BATCH);
    mlp_status st = mlp_workspace_create(&t->ws, net, cap);
    if (st == MLP_OK) st = mlp_workspace_create_inference(&t->eval_ws, net, EVAL_BATCH);
    if (st == MLP_OK && t->cfg->threads > 1 && splits_a_layer(t))
        st = mlp_workspace_set_threads(t->ws, t->cfg->threads);
    if (st == MLP_OK && t->cfg->dropout > 0.0f)
        st = mlp_workspace_set_dropout(t->ws, t->cfg->dropout, t->cfg->dropout_seed);
    if (st == MLP_OK && t->cfg->precision != MLP_PRECISION_FP32)
        st = mlp_workspace_set_precision(t->ws, t->cfg->precision);
    if (st == MLP_OK && t->cfg->precision != MLP_PRECISION_FP32)
        st = mlp_workspace_set_precision(t->eval_ws, t->cfg->precision);
    if (st != MLP_OK) return st;
    t->order = mlp_mem_alloc(t->count * sizeof *t->order);
    t->bx = mlp_mem_alloc(cap * n0 * sizeof *t->bx);
    t->by = mlp_mem_alloc(cap * nl * sizeof *t->by);
    if (t->val_count && t->cfg->restore_best)
        t->best_params = mlp_mem_alloc(net->param_count * sizeof *t->best_params);
    t->snap_params = mlp_mem_alloc(net->param_count * sizeof *t->snap_params);
    (void)mlp_optimizer_state_const(t->opt, &t->state_count);
    if (t->state_count) t->snap_state = mlp_mem_alloc(t->state_count * sizeof *t->snap_state);
    if (!t->order || !t->bx || !t->by || (t->val_count && t->cfg->restore_best && !t->best_params) ||
        !t->snap_params || (t->state_count && !t->snap_state))
        return MLP_ERR_NO_MEMORY;
    for (size_t i = 0; i < t->count; i++) t->order[i] = i; /* the order without shuffling */
    return MLP_OK;
}

static bool report(trainer *t)
{
    return t->cfg->progress ? t->cfg->progress(&t->progress, t->cfg->user_data) : true;
}

/* Whole-epoch gradient summed over chunks, then one update (the source's batch rule). */
static mlp_status epoch_full_batch(trainer *t, double *loss_sum)
{
    const size_t n0 = t->net->sizes[0], nl = t->net->sizes[t->net->n_layers];
    float *grad = t->ws->grad;
    *loss_sum = 0.0;
    for (size_t start = 0; start < t->count; start += t->ws->max_batch) {
        size_t b = t->count - start < t->ws->max_batch ? t->count - start : t->ws->max_batch;
        *loss_sum += mlp_propagate_gradient(t->net, t->ws, t->x + start * n0, t->y + start * nl,
                                            b, t->cfg->loss, grad, start > 0);
    }
    t->net->trained_precision = t->ws->bf16 && t->count > 1 ? MLP_PRECISION_BF16
                                                             : MLP_PRECISION_FP32;
    t->progress.batch = 1;
    t->progress.samples_done = t->count;
    if (*loss_sum - *loss_sum != 0.0) { /* the update would spread the NaN to every weight */
        t->bad_batch = 0;
        return MLP_ERR_DIVERGED;
    }
    return mlp_optimizer_step(t->opt, t->net, grad, t->count);
}

/* Minibatches (stochastic when batch is 1) in the epoch's shuffled order. One-record plain
 * SGD leaves each record's first-layer update pending for the next record's forward pass
 * (one_record.c); it is applied before anything observes the parameters: a progress call,
 * the end of the epoch, or a step of another kind. */
static mlp_status epoch_minibatches(trainer *t, double *loss_sum, double epoch_start, bool *stop)
{
    const size_t n0 = t->net->sizes[0], nl = t->net->sizes[t->net->n_layers];
    const size_t interval = t->cfg->progress_interval ? t->cfg->progress_interval : 1;
    const bool per_batch = t->cfg->progress_every_batch && t->cfg->progress;
    mlp_pending pending = {.d = NULL};
    mlp_status st = MLP_OK;
    *loss_sum = 0.0;
    size_t done = 0, batch_index = 0;
    while (done < t->count && st == MLP_OK) {
        size_t b = t->count - done < t->batch ? t->count - done : t->batch;
        const float *bx, *by;
        if (b == 1) { /* one record: read it in place */
            bx = t->x + t->order[done] * n0;
            by = t->y + t->order[done] * nl;
        } else {
            for (size_t i = 0; i < b; i++) {
                memcpy(t->bx + i * n0, t->x + t->order[done + i] * n0, n0 * sizeof *t->bx);
                memcpy(t->by + i * nl, t->y + t->order[done + i] * nl, nl * sizeof *t->by);
            }
            bx = t->bx;
            by = t->by;
        }
        double c;
        st = mlp_step_unchecked(t->net, t->ws, t->opt, bx, by, b, t->cfg->loss, &c, &pending);
        if (st != MLP_OK) break;
        if (c - c != 0.0) { /* NaN or infinite: this batch's loss, before its update */
            t->bad_batch = batch_index;
            st = MLP_ERR_DIVERGED;
            break;
        }
        *loss_sum += c;
        done += b;
        batch_index++;
        if (per_batch && (batch_index % interval == 0 || done == t->count)) {
            mlp_one_record_flush(t->net, t->ws, &pending);
            t->progress.batch = batch_index;
            t->progress.samples_done = done;
            t->progress.train_loss = *loss_sum / (double)done;
            t->progress.epoch_seconds = mlp_now_seconds() - epoch_start;
            if (!report(t)) *stop = true;
            if (*stop) break;
        }
    }
    mlp_one_record_flush(t->net, t->ws, &pending);
    return st;
}

static mlp_status check_train_args(const mlp_net *net, const mlp_optimizer *opt, const float *x,
                                   const float *y, size_t count, const float *vx, const float *vy,
                                   size_t val_count, const mlp_train_config *cfg)
{
    if (!net || !opt || !x || !y || !cfg) return MLP_ERR_NULL_ARG;
    if (val_count && (!vx || !vy)) return MLP_ERR_NULL_ARG;
    if (count == 0 || cfg->epochs == 0 || cfg->start_epoch >= cfg->epochs) return MLP_ERR_INVALID_ARG;
    if (!mlp_is_finite(cfg->dropout)) return MLP_ERR_NON_FINITE;
    if (cfg->dropout < 0.0f || cfg->dropout >= 1.0f) return MLP_ERR_INVALID_ARG;
    if (cfg->threads < 1 || cfg->threads > 256) return MLP_ERR_INVALID_ARG;
    if ((unsigned)cfg->precision >= MLP_PRECISION_COUNT) return MLP_ERR_INVALID_ARG;
    if (cfg->precision != MLP_PRECISION_FP32) {
        mlp_status sup = mlp_precision_supported(cfg->precision, NULL);
        if (sup != MLP_OK) return sup;
    }
    if (!mlp_optimizer_fits(opt, net)) return MLP_ERR_WORKSPACE_MISMATCH;
    mlp_status st = mlp_check_loss(net, cfg->loss);
    if (st != MLP_OK) return st;
    /* One pass over the data, far less than an epoch; NaN or inf in it would otherwise
     * come back as a diverged run. (count * n0 floats exist, so the products fit.) */
    const size_t n0 = net->sizes[0], nl = net->sizes[net->n_layers];
    if (!mlp_all_finite(x, count * n0) || !mlp_all_finite(y, count * nl) ||
        (val_count && (!mlp_all_finite(vx, val_count * n0) || !mlp_all_finite(vy, val_count * nl))))
        return MLP_ERR_NON_FINITE;
    return MLP_OK;
}

mlp_status mlp_train(mlp_net *net, mlp_optimizer *opt, const float *inputs,
                     const float *targets, size_t count, const float *val_inputs,
                     const float *val_targets, size_t val_count,
                     const mlp_train_config *cfg, mlp_train_result *result)
{
    mlp_status st = check_train_args(net, opt, inputs, targets, count, val_inputs, val_targets,
                                     val_count, cfg);
    if (st != MLP_OK) return st;
    trainer t = {.net = net, .opt = opt, .cfg = cfg, .x = inputs, .y = targets,
                 .vx = val_inputs, .vy = val_targets, .count = count, .val_count = val_count,
                 .batch = cfg->batch_size > count ? count : cfg->batch_size};
    st = trainer_alloc(&t);
    if (st != MLP_OK) {
        trainer_free(&t);
        return st;
    }
    mlp_train_result r = {.best_val_loss = NAN, .best_val_accuracy = NAN};
    const double t0 = mlp_now_seconds();
    t.progress.epochs = cfg->epochs;
    t.progress.batches = t.batch ? (count + t.batch - 1) / t.batch : 1;
    bool stop = false, have_best = false;
    for (size_t epoch = cfg->start_epoch; epoch < cfg->epochs && !stop && st == MLP_OK; epoch++) {
        const double e0 = mlp_now_seconds();
        mlp_optimizer_set_epoch(opt, epoch);
        t.progress = (mlp_progress){.epoch = epoch, .epochs = cfg->epochs,
                                    .batches = t.progress.batches, .val_loss = NAN,
                                    .val_accuracy = NAN,
                                    .learning_rate = mlp_optimizer_learning_rate(opt)};
        snapshot(&t); /* before the shuffle draws from the RNG */
        if (t.batch && cfg->shuffle) { /* each epoch a fresh permutation: resumable */
            for (size_t i = 0; i < count; i++) t.order[i] = i;
            mlp_rng_shuffle(&net->rng, t.order, count);
        }
        double loss_sum = 0.0;
        st = t.batch ? epoch_minibatches(&t, &loss_sum, e0, &stop) : epoch_full_batch(&t, &loss_sum);
        if (st == MLP_OK && !mlp_all_finite(net->params, net->param_count)) {
            st = MLP_ERR_DIVERGED; /* every loss was finite: the last update overflowed */
            t.bad_batch = t.progress.batches - 1;
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
            st = mlp_evaluate(net, t.eval_ws, val_inputs, val_targets, val_count, cfg->loss, &vl, &va);
            if (st != MLP_OK) break;
            t.progress.val_loss = vl;
            t.progress.val_accuracy = va;
            if (epoch == cfg->start_epoch || vl < r.best_val_loss) {
                r.best_val_loss = vl;
                r.best_val_accuracy = va;
                r.best_epoch = epoch;
                if (t.best_params) {
                    memcpy(t.best_params, net->params, net->param_count * sizeof(float));
                    have_best = true;
                }
            } else if (cfg->patience && epoch - r.best_epoch >= cfg->patience) {
                r.stopped_early = true;
                stop = true;
            }
        }
        t.progress.batch = t.progress.batches;
        t.progress.samples_done = count;
        t.progress.train_loss = r.final_train_loss;
        t.progress.end_of_epoch = true;
        t.progress.epoch_seconds = mlp_now_seconds() - e0;
        if (!report(&t)) {
            r.stopped_by_callback = true;
            stop = true;
        }
    }
    if (st == MLP_OK && have_best)
        memcpy(net->params, t.best_params, net->param_count * sizeof(float));
    r.seconds = mlp_now_seconds() - t0;
    trainer_free(&t);
    if (result) *result = r;
    return st;
}
