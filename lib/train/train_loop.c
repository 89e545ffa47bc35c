/* mlp_train and mlp_train_source: epochs of batch, stochastic or minibatch gradient descent
 * with validation, early stopping and a progress callback, on records from arrays or from a
 * caller's callback (data_source.c). Everything is allocated before the first step.
 * With config->parallel the same loop trains data-parallel: each worker computes its share
 * of every batch and of the validation set, and the hook sums the shares (and agrees on
 * failures and stops), so every worker takes the same decisions on the same numbers. */
#include "mlp_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define EVAL_BATCH 256

typedef struct trainer {
    mlp_net *net;
    mlp_optimizer *opt;
    const mlp_train_config *cfg;
    mlp_loss loss;                  /* cfg->loss, AUTO resolved */
    mlp_feed train, val;
    const float *x, *y;             /* train's arrays (rows read in place), or NULL */
    size_t count, val_count, batch; /* batch 0: whole epoch */
    mlp_workspace *ws, *eval_ws;
    size_t *order;
    float *bx, *by;                 /* gathered minibatch rows; two one-record slots when a
                                       callback feeds one-record SGD (see epoch_minibatches) */
    size_t *val_order;              /* a callback's validation run: consecutive indices */
    float *vbx, *vby;               /* its rows */
    size_t epoch;
    mlp_error_detail *detail;
    float *best_params;
    /* The state at the start of the epoch, restored when it diverges. */
    float *snap_params, *snap_state;
    size_t state_count;
    uint64_t snap_steps;
    mlp_rng snap_rng;
    size_t bad_batch;               /* DIVERGED: the batch whose loss was not finite */
    mlp_progress progress;
    const mlp_train_parallel *par;  /* NULL: this process alone */
    bool owns;                      /* par->owns_records: this worker reads only its own */
    size_t *own_idx;                /* owns: a batch's records that this worker holds */
} trainer;

/* par->owns_records, where its struct_size reaches the field. */
static bool owns_records(const mlp_train_parallel *p)
{
    return p && p->struct_size >= offsetof(mlp_train_parallel, val_own_count) +
                                      sizeof p->val_own_count &&
           p->owns_records;
}

/* This worker's share [*first, *first + *n) of b records: all of them when alone; else the
 * split of mlp_mpi_shard (the first b % workers workers get one record more). */
static void share_of(const trainer *t, size_t b, size_t *first, size_t *n)
{
    *first = 0;
    *n = b;
    if (!t->par) return;

    const size_t w = (size_t)t->par->workers, r = (size_t)t->par->rank;
    const size_t base = b / w, extra = b % w;
    *n = base + (r < extra ? 1 : 0);
    *first = r * base + (r < extra ? r : extra);
}

/* The run of training (or validation) records this worker computes in a whole pass: the
 * records it holds when it owns them, else its share (share_of). */
static void run_of(const trainer *t, bool validation, size_t *first, size_t *n)
{
    if (t->owns) {
        *first = validation ? t->par->val_own_first : t->par->own_first;
        *n = validation ? t->par->val_own_count : t->par->own_count;
        return;
    }
    share_of(t, validation ? t->val_count : t->count, first, n);
}

/* Alone: local. In parallel: the sums over the workers and the agreed status. */
static mlp_status combine(const trainer *t, double *doubles, size_t n_doubles, mlp_status local)
{
    if (!t->par) return local;
    return t->par->sum(t->par->user_data, NULL, 0, doubles, n_doubles, local, t->detail);
}

static void trainer_free(trainer *t)
{
    mlp_workspace_free(t->ws);
    mlp_workspace_free(t->eval_ws);
    mlp_mem_free(t->order);
    mlp_mem_free(t->own_idx);
    mlp_mem_free(t->bx);
    mlp_mem_free(t->by);
    mlp_mem_free(t->val_order);
    mlp_mem_free(t->vbx);
    mlp_mem_free(t->vby);
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
    t->net->param_version++;
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
    if (t->owns && t->batch) { /* all of a batch may lie in this worker's records */
        cap = t->batch;
        t->own_idx = mlp_mem_alloc(cap * sizeof *t->own_idx);
        if (!t->own_idx) return MLP_ERR_NO_MEMORY;
    } else if (t->owns) {
        cap = t->count < EVAL_BATCH ? t->count : EVAL_BATCH;
    } else if (t->par) { /* worker 0's share is the largest */
        size_t first;
        share_of(&(trainer){.par = &(mlp_train_parallel){.workers = t->par->workers}},
                 t->batch ? t->batch : t->count, &first, &cap);
        if (!t->batch && cap > EVAL_BATCH) cap = EVAL_BATCH;
        if (cap == 0) cap = 1;
    }
    mlp_status st = mlp_workspace_create(&t->ws, net, cap);
    if (st == MLP_OK) st = mlp_workspace_create_inference(&t->eval_ws, net, EVAL_BATCH);
    if (st == MLP_OK && !t->par && t->cfg->threads > 1 && splits_a_layer(t))
        st = mlp_workspace_set_threads(t->ws, t->cfg->threads);
    if (st == MLP_OK && t->cfg->dropout > 0.0f)
        st = mlp_workspace_set_dropout(t->ws, t->cfg->dropout,
                                       t->cfg->dropout_seed +
                                           (uint64_t)(t->par ? t->par->rank : 0));
    if (st == MLP_OK && t->cfg->precision != MLP_PRECISION_FP32)
        st = mlp_workspace_set_precision(t->ws, t->cfg->precision);
    if (st == MLP_OK && t->cfg->precision != MLP_PRECISION_FP32)
        st = mlp_workspace_set_precision(t->eval_ws, t->cfg->precision);
    if (st != MLP_OK) return st;
    /* one-record SGD leaves a record's first-layer update pending, reading its input row
     * during the next record's pass: a callback's rows alternate between two slots */
    const size_t rows = cap == 1 && t->train.read && !t->par ? 2 : cap;
    t->order = mlp_mem_alloc(t->count * sizeof *t->order);
    t->bx = mlp_mem_alloc(rows * n0 * sizeof *t->bx);
    t->by = mlp_mem_alloc(rows * nl * sizeof *t->by);
    if (t->val.read) {
        t->val_order = mlp_mem_alloc(EVAL_BATCH * sizeof *t->val_order);
        t->vbx = mlp_mem_alloc(EVAL_BATCH * n0 * sizeof *t->vbx);
        t->vby = mlp_mem_alloc(EVAL_BATCH * nl * sizeof *t->vby);
        if (!t->val_order || !t->vbx || !t->vby) return MLP_ERR_NO_MEMORY;
    }
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

/* The callback; in parallel on every worker, and training stops when any says stop. */
static bool report(trainer *t)
{
    bool go = t->cfg->progress ? t->cfg->progress(&t->progress, t->cfg->user_data) : true;
    if (!t->par) return go;
    double stops = go ? 0.0 : 1.0;
    return combine(t, &stops, 1, MLP_OK) == MLP_OK && stops == 0.0;
}

/* Whole-epoch gradient summed over chunks, then one update (the source's batch rule). */
static mlp_status epoch_full_batch(trainer *t, double *loss_sum)
{
    const size_t n0 = t->net->sizes[0], nl = t->net->sizes[t->net->n_layers];
    float *grad = t->ws->grad;
    size_t first, n; /* this worker's run of records */
    run_of(t, false, &first, &n);
    mlp_status st = MLP_OK;
    *loss_sum = 0.0;
    if (n == 0) memset(grad, 0, t->net->param_count * sizeof *grad);
    for (size_t start = 0; start < n; start += t->ws->max_batch) {
        size_t b = n - start < t->ws->max_batch ? n - start : t->ws->max_batch;
        const size_t at = first + start;
        const float *x = t->x ? t->x + at * n0 : NULL, *y = t->y ? t->y + at * nl : NULL;
        if (!t->x) { /* order is the identity here: a run of consecutive records */
            st = mlp_feed_rows(&t->train, t->order + at, b, t->bx, t->by, t->epoch, t->detail);
            if (st != MLP_OK) break;
            x = t->bx;
            y = t->by;
        }
        *loss_sum += mlp_propagate_gradient(t->net, t->ws, x, y, b, t->loss, grad, start > 0);
    }
    if (t->par) /* summed, and applied unless the summed loss is not finite */
        st = t->par->update(t->par->user_data, t->net, t->opt, grad, t->count, loss_sum, 1, st,
                            t->detail);
    if (st != MLP_OK) return st;
    t->net->trained_precision = t->ws->bf16 && t->count > 1 && mlp_bf16_any_on(t->ws->bf16)
                                    ? MLP_PRECISION_BF16 : MLP_PRECISION_FP32;
    t->net->param_version++;
    t->progress.batch = 1;
    t->progress.samples_done = t->count;
    if (*loss_sum - *loss_sum != 0.0) { /* the update would spread the NaN to every weight */
        t->bad_batch = 0;
        return MLP_ERR_DIVERGED;
    }
    return t->par ? MLP_OK
                  : mlp_optimizer_step_bf16(t->opt, t->net, grad, t->count, t->ws->bf16);
}

/* One batch of b records from position `done` of the epoch's order, on this process alone
 * (the fused paths of mlp_train_step): *c receives its loss sum. */
static mlp_status local_step(trainer *t, size_t done, size_t b, size_t batch_index, double *c,
                             mlp_pending *pending)
{
    const size_t n0 = t->net->sizes[0], nl = t->net->sizes[t->net->n_layers];
    const float *bx, *by;
    if (b == 1 && t->x) { /* one record of an array: read it in place */
        bx = t->x + t->order[done] * n0;
        by = t->y + t->order[done] * nl;
    } else { /* gathered, or read by the callback (into the slot not pending) */
        const size_t slot = b == 1 ? batch_index & 1 : 0;
        float *rx = t->bx + slot * n0, *ry = t->by + slot * nl;
        mlp_status st = mlp_feed_rows(&t->train, t->order + done, b, rx, ry, t->epoch, t->detail);
        if (st != MLP_OK) return st;
        bx = rx;
        by = ry;
    }
    return mlp_step_unchecked(t->net, t->ws, t->opt, bx, by, b, t->loss, c, pending);
}

/* The hook's gradient_ready, where its struct_size has the field. */
static void (*ready_hook(const mlp_train_parallel *p))(void *, float *, size_t)
{
    if (p->struct_size < offsetof(mlp_train_parallel, gradient_ready) +
                             sizeof p->gradient_ready)
        return NULL;
    return p->gradient_ready;
}

/* The same batch in parallel: this worker's share's gradient, then the hook's update with
 * the whole batch's gradient (every optimizer takes the gradient path: the fused SGD update
 * needs the whole gradient inside the pass). A batch whose summed loss is not finite is
 * not applied (the caller rolls the epoch back). */
static mlp_status parallel_step(trainer *t, size_t done, size_t b, double *c)
{
    float *grad = t->ws->grad;
    size_t first = 0, n = 0;
    const size_t *records = t->order + done;
    if (t->owns) { /* the batch's records this worker holds, in the batch's order */
        const size_t lo = t->par->own_first, hi = lo + t->par->own_count;
        for (size_t i = 0; i < b; i++)
            if (records[i] >= lo && records[i] < hi) t->own_idx[n++] = records[i];
        records = t->own_idx;
    } else {
        share_of(t, b, &first, &n);
        records += first;
    }
    mlp_status st = MLP_OK;
    *c = 0.0;
    if (n > 0)
        st = mlp_feed_rows(&t->train, records, n, t->bx, t->by, t->epoch, t->detail);
    /* the hook may send each finished part of the gradient during the pass */
    const mlp_gradient_notify notify = {.ready = ready_hook(t->par), .user_data =
                                        t->par->user_data};
    if (st == MLP_OK && n > 0 && notify.ready)
        *c = mlp_propagate_gradient_notify(t->net, t->ws, t->bx, t->by, n, t->loss, grad,
                                           &notify);
    else if (st == MLP_OK && n > 0)
        *c = mlp_propagate_gradient(t->net, t->ws, t->bx, t->by, n, t->loss, grad, 0);
    else /* no records here this batch (or a failed read): this worker adds zeros */
        memset(grad, 0, t->net->param_count * sizeof *grad);
    t->net->param_version++;
    return t->par->update(t->par->user_data, t->net, t->opt, grad, b, c, 1, st, t->detail);
}

/* Minibatches (stochastic when batch is 1) in the epoch's shuffled order. One-record plain
 * SGD leaves each record's first-layer update pending for the next record's forward pass
 * (one_record.c); it is applied before anything observes the parameters: a progress call,
 * the end of the epoch, or a step of another kind. */
static mlp_status epoch_minibatches(trainer *t, double *loss_sum, double epoch_start, bool *stop)
{
    const size_t interval = t->cfg->progress_interval ? t->cfg->progress_interval : 1;
    /* in parallel every worker takes part in each report, with a callback or not */
    const bool per_batch = t->cfg->progress_every_batch && (t->cfg->progress || t->par);
    mlp_pending pending = {.d = NULL};
    mlp_status st = MLP_OK;
    *loss_sum = 0.0;
    size_t done = 0, batch_index = 0;
    while (done < t->count && st == MLP_OK) {
        size_t b = t->count - done < t->batch ? t->count - done : t->batch;
        double c;
        st = t->par ? parallel_step(t, done, b, &c)
                    : local_step(t, done, b, batch_index, &c, &pending);
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
/* Mean validation loss and accuracy, in runs of EVAL_BATCH records: mlp_evaluate's chunks
 * and sums, whether the rows are arrays or read by a callback. */
static mlp_status validate(trainer *t, double *mean_loss, double *accuracy)
{
    const mlp_feed *v = &t->val;
    size_t first, n; /* this worker's run of records */
    run_of(t, true, &first, &n);
    double sums[2] = {0.0, 0.0}; /* loss, correct */
    mlp_status st = MLP_OK;
    for (size_t start = 0; start < n && st == MLP_OK; start += EVAL_BATCH) {
        size_t b = n - start < EVAL_BATCH ? n - start : EVAL_BATCH;
        const size_t at = first + start;
        const float *x, *y;
        if (v->x) {
            x = v->x + at * v->n0;
            y = v->y + at * v->nl;
        } else {
            for (size_t i = 0; i < b; i++) t->val_order[i] = at + i;
            st = mlp_feed_rows(v, t->val_order, b, t->vbx, t->vby, t->epoch, t->detail);
            if (st != MLP_OK) break;
            x = t->vbx;
            y = t->vby;
        }
        size_t c = 0;
        sums[0] += mlp_evaluate_rows(t->net, t->eval_ws, x, y, b, t->loss, &c);
        sums[1] += (double)c;
    }
    st = combine(t, sums, 2, st);
    if (st != MLP_OK) return st;
    *mean_loss = sums[0] / (double)v->count;
    *accuracy = v->nl > 1 ? sums[1] / (double)v->count : NAN;
    return MLP_OK;
}

static mlp_status check_config(const mlp_net *net, const mlp_train_config *cfg, size_t val_count,
                               mlp_error_detail *d)
{
    if (cfg->epochs == 0)
        return mlp_fail(d, MLP_ERR_INVALID_ARG, "config->epochs is 0: train at least 1 epoch");
    if (cfg->start_epoch >= cfg->epochs)
        return mlp_fail(d, MLP_ERR_INVALID_ARG,
                        "config->start_epoch (%zu) is not below config->epochs (%zu): nothing "
                        "left to train", cfg->start_epoch, cfg->epochs);
    if (!mlp_is_finite(cfg->dropout))
        return mlp_fail(d, MLP_ERR_NON_FINITE, "config->dropout is NaN or infinite");
    if (cfg->dropout < 0.0f || cfg->dropout >= 1.0f)
        return mlp_fail(d, MLP_ERR_INVALID_ARG, "config->dropout is %g, outside [0, 1)",
                        (double)cfg->dropout);
    if (cfg->threads < 1 || cfg->threads > 256)
        return mlp_fail(d, MLP_ERR_INVALID_ARG, "config->threads is %d, outside [1, 256]",
                        cfg->threads);
    if ((unsigned)cfg->precision >= MLP_PRECISION_COUNT)
        return mlp_fail(d, MLP_ERR_INVALID_ARG, "config->precision is %d, not an mlp_precision",
                        (int)cfg->precision);
    if (cfg->precision != MLP_PRECISION_FP32) {
        mlp_status sup = mlp_precision_supported(cfg->precision, d);
        if (sup != MLP_OK) return sup;
    }
    if (cfg->patience > 0 && val_count == 0)
        return mlp_fail(d, MLP_ERR_INVALID_ARG,
                        "config->patience is %zu but there is no validation data (val_count is "
                        "0): early stopping needs a validation set, or set patience to 0",
                        cfg->patience);
    if ((unsigned)cfg->loss >= MLP_LOSS_COUNT)
        return mlp_fail(d, MLP_ERR_INVALID_ARG, "config->loss is %d, not an mlp_loss",
                        (int)cfg->loss);
    if (mlp_check_loss(net, mlp_loss_resolve(net, cfg->loss)) != MLP_OK)
        return mlp_fail(d, MLP_ERR_INVALID_ARG,
                        "config->loss is cross-entropy but the net's output layer is not "
                        "softmax: use MLP_LOSS_AUTO or MSE, or a softmax output layer");
    const mlp_train_parallel *p = cfg->parallel;
    if (p && (p->struct_size < MLP_TRAIN_PARALLEL_MIN_SIZE || !p->start || !p->sum || !p->update ||
              !p->finish || p->workers < 1 || p->rank < 0 || p->rank >= p->workers))
        return mlp_fail(d, MLP_ERR_INVALID_ARG,
                        "config->parallel is not a filled mlp_train_parallel (struct_size, "
                        "start, sum, update, finish, rank %d of %d workers)", p->rank,
                        p->workers);
    if (p && cfg->precision != MLP_PRECISION_FP32)
        return mlp_fail(d, MLP_ERR_INVALID_ARG,
                        "config->precision is not FP32 but config->parallel is set: "
                        "data-parallel training runs in FP32 only");
    return MLP_OK;
}

/* config->parallel where it can be read and is filled, else NULL. */
static const mlp_train_parallel *config_parallel(const mlp_train_config *config)
{
    if (!config || config->struct_size != sizeof *config) return NULL;
    const mlp_train_parallel *p = config->parallel;
    if (!p || p->struct_size < MLP_TRAIN_PARALLEL_MIN_SIZE || !p->start || !p->sum || !p->update || !p->finish ||
        p->workers < 1 || p->rank < 0 || p->rank >= p->workers)
        return NULL;
    return p;
}

/* A failure before the epochs: in parallel every worker learns of it (the others wait for
 * it in their start call), so all return the lowest failing worker's status. */
static mlp_status fail_start(const mlp_train_config *config, mlp_net *net, mlp_optimizer *opt,
                             mlp_status st, mlp_error_detail *detail)
{
    const mlp_train_parallel *p = config_parallel(config);
    return p ? p->start(p->user_data, net, opt, st, 0, 0, detail) : st;
}

static uint32_t crc_floats(uint32_t crc, const float *v, size_t n)
{
    const unsigned char *b = (const unsigned char *)v;
    for (size_t left = n * sizeof *v; left > 0;) { /* crc32 takes a uInt length */
        const uInt len = left > (1u << 30) ? (1u << 30) : (uInt)left;
        crc = (uint32_t)crc32(crc, b, len);
        b += len;
        left -= len;
    }
    return crc;
}

/* The settings every worker must share, and a checksum of the arrays (0 for callbacks):
 * workers that read different files of the same size must not train on a mix. */
static void parallel_hashes(const trainer *t, uint64_t *settings, uint64_t *data)
{
    const mlp_train_config *c = t->cfg;
    uint32_t dropout;
    memcpy(&dropout, &c->dropout, sizeof dropout);
    const uint64_t words[] = {t->count, t->val_count, t->batch, (uint64_t)t->loss, c->epochs,
                              c->start_epoch, c->shuffle, c->patience, c->restore_best,
                              c->progress_every_batch, c->progress_interval, dropout,
                              c->dropout_seed, (uint64_t)t->par->workers};
    uint32_t a = (uint32_t)crc32(0L, (const Bytef *)words, (uInt)sizeof words);
    *settings = (uint64_t)a << 32 | (uint32_t)crc32(0x5eedL, (const Bytef *)words, (uInt)sizeof words);
    uint32_t x = 0, y = 0;
    if (t->train.x) {
        x = crc_floats(x, t->train.x, t->count * t->train.n0);
        y = crc_floats(y, t->train.y, t->count * t->train.nl);
    }
    if (t->val.x) {
        x = crc_floats(x, t->val.x, t->val_count * t->val.n0);
        y = crc_floats(y, t->val.y, t->val_count * t->val.nl);
    }
    *data = (uint64_t)x << 32 | y;
}

/* The checks both entry points share, after their own (arrays or sources). */
/* *cfg receives the caller's config at this library's size. */
static mlp_status check_common(const mlp_net *net, const mlp_optimizer *opt, size_t count,
                               size_t val_count, const mlp_train_config *config,
                               mlp_train_config *cfg, mlp_error_detail *d)
{
    if (!net) return mlp_fail(d, MLP_ERR_NULL_ARG, "net is NULL");
    if (!opt) return mlp_fail(d, MLP_ERR_NULL_ARG, "opt is NULL");
    if (!config) return mlp_fail(d, MLP_ERR_NULL_ARG, "config is NULL");
    *cfg = mlp_train_config_default();
    mlp_status st = mlp_read_config(cfg, sizeof *cfg, config, MLP_TRAIN_CONFIG_MIN_SIZE,
                                    "config", "mlp_train_config", d);
    if (st != MLP_OK) return st;
    if (count == 0) return mlp_fail(d, MLP_ERR_INVALID_ARG, "there are no training records "
                                                           "(count is 0)");
    st = check_config(net, cfg, val_count, d);
    if (st != MLP_OK) return st;
    if (!mlp_optimizer_fits(opt, net))
        return mlp_fail(d, MLP_ERR_WORKSPACE_MISMATCH,
                        "opt was made for a net of another topology than net");
    return MLP_OK;
}

/* One epoch's steps, then its validation (*vl and *va untouched without validation data). */
static mlp_status run_epoch(trainer *t, size_t epoch, double e0, double *loss_sum, double *vl,
                            double *va, bool *stop)
{
    mlp_net *net = t->net;
    const mlp_train_config *cfg = t->cfg;
    t->epoch = epoch;
    mlp_optimizer_set_epoch(t->opt, epoch);
    t->progress = (mlp_progress){.epoch = epoch, .epochs = cfg->epochs,
                                 .batches = t->progress.batches, .val_loss = NAN,
                                 .val_accuracy = NAN,
                                 .learning_rate = mlp_optimizer_learning_rate(t->opt)};
    snapshot(t); /* before the shuffle draws from the RNG */
    if (t->batch && cfg->shuffle) { /* each epoch a fresh permutation: resumable */
        for (size_t i = 0; i < t->count; i++) t->order[i] = i;
        mlp_rng_shuffle(&net->rng, t->order, t->count);
    }
    *loss_sum = 0.0;
    mlp_status st = t->batch ? epoch_minibatches(t, loss_sum, e0, stop)
                             : epoch_full_batch(t, loss_sum);
    if (st == MLP_OK && !mlp_all_finite(net->params, net->param_count)) {
        st = MLP_ERR_DIVERGED; /* every loss was finite: the last update overflowed */
        t->bad_batch = t->progress.batches - 1;
    }
    if (st == MLP_OK && !*stop && t->val_count) st = validate(t, vl, va);
    return st;
}

/* A failed epoch (diverged, or a source failed): back to its start. */
static void fail_epoch(trainer *t, mlp_train_result *r, size_t epoch, mlp_status st)
{
    rollback(t);
    r->epochs_run = epoch;
    if (st == MLP_ERR_DIVERGED) {
        r->diverged_epoch = epoch;
        r->diverged_batch = t->bad_batch;
        mlp_fail(t->detail, st, "training diverged in epoch %zu, batch %zu: a loss or "
                 "parameter became NaN or infinite (try a smaller learning rate)",
                 epoch, t->bad_batch);
    }
}

/* A completed epoch into the result: the best parameters so far (*have_best), early
 * stopping, the end-of-epoch progress call. True when training stops here. */
static bool finish_epoch(trainer *t, mlp_train_result *r, size_t epoch, double e0,
                         double loss_sum, double vl, double va, bool *have_best)
{
    const mlp_train_config *cfg = t->cfg;
    bool stop = false;
    r->epochs_run = epoch + 1;
    r->final_train_loss = loss_sum / (double)t->count;
    r->best_epoch = t->val_count ? r->best_epoch : epoch;
    if (t->val_count) {
        t->progress.val_loss = vl;
        t->progress.val_accuracy = va;
        if (epoch == cfg->start_epoch || vl < r->best_val_loss) {
            r->best_val_loss = vl;
            r->best_val_accuracy = va;
            r->best_epoch = epoch;
            if (t->best_params) {
                memcpy(t->best_params, t->net->params, t->net->param_count * sizeof(float));
                *have_best = true;
            }
        } else if (cfg->patience && epoch - r->best_epoch >= cfg->patience) {
            r->stopped_early = true;
            stop = true;
        }
    }
    t->progress.batch = t->progress.batches;
    t->progress.samples_done = t->count;
    t->progress.train_loss = r->final_train_loss;
    t->progress.end_of_epoch = true;
    t->progress.epoch_seconds = mlp_now_seconds() - e0;
    if (!report(t)) {
        r->stopped_by_callback = true;
        stop = true;
    }
    return stop;
}

/* The epochs, on checked feeds. */
static mlp_status train_feeds(trainer *tp, mlp_train_result *result)
{
    trainer t = *tp;
    mlp_net *net = t.net;
    mlp_optimizer *opt = t.opt;
    const mlp_train_config *cfg = t.cfg;
    mlp_status st = trainer_alloc(&t);
    if (st != MLP_OK)
        mlp_fail(t.detail, st, "could not set up the training workspace and buffers: %s",
                 mlp_strerror(st));
    if (t.par) { /* every worker's outcome so far, then one starting state */
        uint64_t settings = 0, data = 0;
        if (st == MLP_OK) parallel_hashes(&t, &settings, &data);
        st = t.par->start(t.par->user_data, net, opt, st, settings, data, t.detail);
    }
    if (st != MLP_OK) {
        trainer_free(&t);
        return st;
    }
    mlp_train_result r = {.best_val_loss = NAN, .best_val_accuracy = NAN};
    const double t0 = mlp_now_seconds();
    t.progress.epochs = cfg->epochs;
    t.progress.batches = t.batch ? (t.count + t.batch - 1) / t.batch : 1;
    bool stop = false, have_best = false;
    for (size_t epoch = cfg->start_epoch; epoch < cfg->epochs && !stop && st == MLP_OK; epoch++) {
        const double e0 = mlp_now_seconds();
        double loss_sum = 0.0, vl = NAN, va = NAN;
        st = run_epoch(&t, epoch, e0, &loss_sum, &vl, &va, &stop);
        if (st != MLP_OK) {
            fail_epoch(&t, &r, epoch, st);
            break;
        }
        if (stop) {
            r.stopped_by_callback = true;
            break;
        }
        stop = finish_epoch(&t, &r, epoch, e0, loss_sum, vl, va, &have_best);
    }
    if (st == MLP_OK && have_best) {
        memcpy(net->params, t.best_params, net->param_count * sizeof(float));
        net->param_version++;
    }
    if (t.par) t.par->finish(t.par->user_data, opt); /* every worker ends here together */
    r.seconds = mlp_now_seconds() - t0;
    trainer_free(&t);
    if (result) *result = r;
    return st;
}

/* A trainer for checked arguments and feeds. */
static trainer make_trainer(mlp_net *net, mlp_optimizer *opt, const mlp_train_config *cfg,
                            const mlp_feed *train, const mlp_feed *val, mlp_error_detail *detail)
{
    return (trainer){.net = net, .opt = opt, .cfg = cfg, .loss = mlp_loss_resolve(net, cfg->loss),
                     .train = *train, .val = *val, .x = train->x, .y = train->y,
                     .count = train->count, .val_count = val->count,
                     .batch = cfg->batch_size > train->count ? train->count : cfg->batch_size,
                     .detail = detail, .par = cfg->parallel,
                     .owns = owns_records(cfg->parallel)};
}

mlp_status mlp_train_ex(mlp_net *net, mlp_optimizer *opt, const float *inputs,
                        const float *targets, size_t count, const float *val_inputs,
                        const float *val_targets, size_t val_count,
                        const mlp_train_config *config, mlp_train_result *result,
                        mlp_error_detail *detail)
{
    mlp_status st = MLP_OK;
    if (!inputs) st = mlp_fail(detail, MLP_ERR_NULL_ARG, "inputs is NULL");
    else if (!targets) st = mlp_fail(detail, MLP_ERR_NULL_ARG, "targets is NULL");
    else if (val_count && !val_inputs)
        st = mlp_fail(detail, MLP_ERR_NULL_ARG, "val_inputs is NULL but val_count is %zu",
                      val_count);
    else if (val_count && !val_targets)
        st = mlp_fail(detail, MLP_ERR_NULL_ARG, "val_targets is NULL but val_count is %zu",
                      val_count);
    mlp_train_config cfg;
    if (st == MLP_OK) st = check_common(net, opt, count, val_count, config, &cfg, detail);
    if (st == MLP_OK && owns_records(cfg.parallel))
        st = mlp_fail(detail, MLP_ERR_INVALID_ARG,
                      "config->parallel->owns_records needs callback sources: use "
                      "mlp_train_source");
    if (st != MLP_OK) return fail_start(config, net, opt, st, detail);
    const mlp_source ts = {.struct_size = sizeof ts, .count = count, .inputs = inputs,
                           .targets = targets};
    const mlp_source vs = {.struct_size = sizeof vs, .count = val_count, .inputs = val_inputs,
                           .targets = val_targets};
    mlp_feed tf, vf;
    st = mlp_feed_open(&tf, &ts, "train", net, detail);
    if (st == MLP_OK) st = mlp_feed_open(&vf, &vs, "val", net, detail);
    /* One pass over the data, far less than an epoch; NaN or inf in it would otherwise
     * come back as a diverged run. */
    if (st == MLP_OK) st = mlp_feed_check_arrays(&tf, detail);
    if (st == MLP_OK) st = mlp_feed_check_arrays(&vf, detail);
    if (st != MLP_OK) return fail_start(config, net, opt, st, detail);
    trainer t = make_trainer(net, opt, &cfg, &tf, &vf, detail);
    return train_feeds(&t, result);
}

mlp_status mlp_train(mlp_net *net, mlp_optimizer *opt, const float *inputs,
                     const float *targets, size_t count, const float *val_inputs,
                     const float *val_targets, size_t val_count,
                     const mlp_train_config *cfg, mlp_train_result *result)
{
    return mlp_train_ex(net, opt, inputs, targets, count, val_inputs, val_targets, val_count,
                        cfg, result, NULL);
}

/* A worker that holds only its own records reads them through callbacks, within range. */
static mlp_status check_owned(const mlp_train_parallel *p, const mlp_feed *train,
                              const mlp_feed *val, mlp_error_detail *d)
{
    if (!owns_records(p)) return MLP_OK;
    if (train->x || (val->count && val->x))
        return mlp_fail(d, MLP_ERR_INVALID_ARG, "config->parallel->owns_records needs "
                        "callback sources (mlp_source.read), not arrays");
    if (p->own_first > train->count || p->own_count > train->count - p->own_first ||
        p->val_own_first > val->count || p->val_own_count > val->count - p->val_own_first)
        return mlp_fail(d, MLP_ERR_INVALID_ARG, "config->parallel: this worker's records "
                        "lie beyond the %zu training or %zu validation records", train->count,
                        val->count);
    return MLP_OK;
}

mlp_status mlp_train_source(mlp_net *net, mlp_optimizer *opt, const mlp_source *train,
                            const mlp_source *val, const mlp_train_config *config,
                            mlp_train_result *result, mlp_error_detail *detail)
{
    mlp_feed tf, vf;
    mlp_status st = MLP_OK;
    if (!train) st = mlp_fail(detail, MLP_ERR_NULL_ARG, "train is NULL");
    else if (!net) st = mlp_fail(detail, MLP_ERR_NULL_ARG, "net is NULL");
    if (st == MLP_OK) st = mlp_feed_open(&tf, train, "train", net, detail);
    if (st == MLP_OK) st = mlp_feed_open(&vf, val, "val", net, detail);
    mlp_train_config cfg;
    if (st == MLP_OK) st = check_common(net, opt, tf.count, vf.count, config, &cfg, detail);
    if (st == MLP_OK) st = check_owned(cfg.parallel, &tf, &vf, detail);
    if (st == MLP_OK) st = mlp_feed_check_arrays(&tf, detail);
    if (st == MLP_OK) st = mlp_feed_check_arrays(&vf, detail);
    if (st != MLP_OK) return fail_start(config, net, opt, st, detail);
    trainer t = make_trainer(net, opt, &cfg, &tf, &vf, detail);
    return train_feeds(&t, result);
}
