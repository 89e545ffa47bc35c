/* Model selection by k-fold cross-validation, for data too small for one validation split to
 * tell the candidates apart: the net (stopped early on a part of its training folds), the
 * linear model at each penalty and the constant are fitted on k-1 folds and scored on the one
 * left out; the losses pooled over the folds decide, and the constant wins unless clearly
 * beaten. A linear model or the constant is then fitted on every record; the net kept is the
 * ensemble of the fold nets, held as one net (fit_ensemble.c). */
#include "fit/fit_watch.h"

#include <math.h>
#include <string.h>

#define EVAL_BATCH 256
/* The fold nets merge into one net up to this many parameters (64 MiB); beyond, the fold
 * net with the lowest held-out loss is kept alone. */
#define ENSEMBLE_MAX_PARAMS ((size_t)1 << 24)
#define MAX_PENALTIES 8
/* Of each fold's training records, the part its net stops early on (as the split would). */
#define STOP_FRACTION 0.15

/* The records idx[0 .. count) of ds, in that order. */
static mlp_status gather(const mlp_dataset *ds, const size_t *idx, size_t count,
                         mlp_dataset **out)
{
    size_t in = mlp_dataset_input_size(ds), k = mlp_dataset_target_size(ds);
    mlp_status st = mlp_dataset_create(out, count, in, k);
    if (st != MLP_OK) return st;
    const float *x = mlp_dataset_inputs_const(ds), *y = mlp_dataset_targets_const(ds);
    float *xo = mlp_dataset_inputs(*out), *yo = mlp_dataset_targets(*out);
    for (size_t i = 0; i < count; i++) {
        memcpy(xo + i * in, x + idx[i] * in, in * sizeof *xo);
        memcpy(yo + i * k, y + idx[i] * k, k * sizeof *yo);
    }
    return MLP_OK;
}

/* Held-out sums over the folds: loss x records, and correct records (classification); and
 * each record's own, where its fold put it (every record is held out once). */
typedef struct pooled {
    double loss, metric;
    bool failed;
    double *rec;      /* each record's held-out loss */
    double *rec_hits; /* classification: 1 or 0, each record classed right or wrong */
} pooled;

/* The fold held out (its records at rec[at ..]) scored with net. */
static mlp_status score(const mlp_net *net, const mlp_dataset *val, size_t at, mlp_loss loss,
                        mlp_task task, const fit_targets *t, pooled *into)
{
    mlp_workspace *ws = NULL;
    mlp_status st = mlp_workspace_create_inference(&ws, net, EVAL_BATCH);
    if (st == MLP_OK)
        st = fit_evaluate_records(net, ws, val, loss, task, t, into->rec + at,
                                  into->rec_hits + at);
    mlp_workspace_free(ws);
    if (st != MLP_OK) return st;
    for (size_t i = 0; i < mlp_dataset_count(val); i++) {
        if (!isfinite(into->rec[at + i])) into->failed = true;
        into->loss += into->rec[at + i];
        if (task == MLP_TASK_CLASSIFY) into->metric += into->rec_hits[at + i];
    }
    return MLP_OK;
}

/* A net candidate: the config it trains with, and its k fold nets. */
typedef struct net_cand {
    mlp_fit_config c;
    pooled p;
    mlp_net **nets;   /* each fold's */
    size_t epochs_sum;
    double best_fold_loss;
    size_t best_fold;
} net_cand;

/* What one fold adds to every candidate's sums. */
typedef struct cv_run {
    const fit_plan *p;
    const fit_targets *t;
    mlp_loss loss;
    mlp_task task;
    mlp_activation output;
    bool linear, softmax;
    net_cand nets[2];                    /* the config's net, and with more weight decay */
    size_t net_count;
    pooled constant, linear_at[MAX_PENALTIES]; /* one per penalty tried */
    size_t stopped_in;                   /* 1 + the fold a callback stopped (0: none) */
    size_t stopped_net;                  /* and which net it stopped */
    double seconds;
    mlp_error_detail *detail;
} cv_run;

/* The fold's net stops early on a part of its own training records: stopping on the
 * held-out fold would pick the epoch that fold likes best, and score the net too well
 * against the candidates that never saw it. */
static mlp_status fold_net(cv_run *cv, net_cand *nc, size_t f, size_t at,
                           const mlp_dataset *tr, const mlp_dataset *va)
{
    mlp_net *net = NULL;
    mlp_optimizer *opt = NULL;
    mlp_dataset *fit_part = NULL, *stop_part = NULL;
    mlp_status st = mlp_dataset_split(tr, (float)STOP_FRACTION, nc->c.model.seed + f,
                                      &fit_part, &stop_part);
    if (st == MLP_OK)
        st = fit_net_create(&nc->c, cv->p->schedule_epochs, mlp_dataset_input_size(tr),
                            mlp_dataset_target_size(tr), cv->output, &net, &opt, cv->detail);
    mlp_train_config tc;
    fit_net_train_config(&nc->c, cv->p, cv->loss, &tc);
    /* the caller's progress callback sees the fold nets train (and may stop them); its
     * epoch callback is kept for the model's own epochs, which there are none of here */
    mlp_fit_config quiet = nc->c;
    quiet.epoch_callback = NULL;
    fit_watch w;
    memset(&w, 0, sizeof w);
    fit_watch_init(&w, &quiet, cv->t);
    if (quiet.train.progress) {
        tc.progress = fit_watch_progress;
        tc.user_data = &w;
        if (tc.progress_interval == 0)
            tc.progress_interval = cv->p->batch && cv->p->batch < 256 ? 256 / cv->p->batch : 1;
    }
    mlp_train_result res;
    memset(&res, 0, sizeof res);
    double t0 = fit_now();
    if (st == MLP_OK)
        st = fit_net_train(&nc->c, net, opt, fit_part, stop_part, &tc, &res, cv->detail);
    cv->seconds += fit_now() - t0;
    if (st == MLP_OK && (res.stopped_by_callback || w.stopped)) cv->stopped_in = f + 1;
    mlp_optimizer_free(opt);
    mlp_dataset_free(fit_part);
    mlp_dataset_free(stop_part);
    if (st == MLP_ERR_DIVERGED)
        st = mlp_fail(cv->detail, st, "training diverged in epoch %zu, batch %zu of the net of "
                      "cross-validation fold %zu of %zu (a NaN or infinite loss or parameter): "
                      "try a smaller learning rate or weight decay", res.diverged_epoch + 1,
                      res.diverged_batch + 1, f + 1, cv->p->folds);
    double before = nc->p.loss;
    if (st == MLP_OK) {
        nc->epochs_sum += res.best_epoch + 1;
        st = score(net, va, at, cv->loss, cv->task, cv->t, &nc->p);
    }
    if (st != MLP_OK) {
        mlp_net_free(net);
        return st;
    }
    if (cv->stopped_in) { /* the caller stopped: this net, as trained so far, is kept */
        cv->stopped_net = (size_t)(nc - cv->nets);
        nc->nets[f] = net;
        nc->best_fold = f;
        return MLP_OK;
    }
    double loss = (nc->p.loss - before) / (double)mlp_dataset_count(va);
    if (f == 0 || !(loss >= nc->best_fold_loss)) nc->best_fold_loss = loss, nc->best_fold = f;
    nc->nets[f] = net;
    return MLP_OK;
}

static mlp_status fold_constant(cv_run *cv, size_t at, const mlp_dataset *tr,
                                const mlp_dataset *va)
{
    size_t sizes[] = {mlp_dataset_input_size(tr), mlp_dataset_target_size(tr)};
    mlp_net *net = NULL;
    double *c = fit_target_means(tr, NULL);
    mlp_status st = c ? mlp_net_create(&net, 1, sizes, &cv->output, MLP_BIAS_PER_NEURON)
                      : MLP_ERR_NO_MEMORY;
    if (st == MLP_OK && !fit_set_constant_output(net, c, sizes[1])) st = MLP_ERR_INVALID_ARG;
    if (st == MLP_OK) st = score(net, va, at, cv->loss, cv->task, cv->t, &cv->constant);
    mlp_net_free(net);
    mlp_mem_free(c);
    return st;
}

static size_t penalty_count(bool softmax)
{
    size_t n = softmax ? fit_softmax_l2_count : fit_ridge_alpha_count;
    return n < MAX_PENALTIES ? n : MAX_PENALTIES;
}

static mlp_status fold_linear(cv_run *cv, size_t at, const mlp_dataset *tr,
                              const mlp_dataset *va)
{
    size_t count = penalty_count(cv->softmax);
    for (size_t a = 0; a < count; a++) {
        double penalty = cv->softmax ? fit_softmax_l2s[a] : fit_ridge_alphas[a];
        mlp_net *net = NULL;
        mlp_status st = fit_linear_fit(&net, tr, cv->softmax, penalty);
        if (st == MLP_ERR_NUMERICAL) { /* singular at this penalty: it drops out */
            cv->linear_at[a].failed = true;
            continue;
        }
        if (st == MLP_OK)
            st = score(net, va, at, cv->softmax ? MLP_LOSS_CROSS_ENTROPY : cv->loss, cv->task,
                       cv->t, &cv->linear_at[a]);
        mlp_net_free(net);
        if (st != MLP_OK) return st;
    }
    return MLP_OK;
}

static void pooled_out(const pooled *p, size_t n, mlp_loss loss, mlp_task task, fit_metrics *m)
{
    m->loss = p->failed ? INFINITY : p->loss / (double)n;
    m->metric = task == MLP_TASK_CLASSIFY ? p->metric / (double)n
                : loss == MLP_LOSS_MSE ? sqrt(m->loss) : NAN;
}

/* Whether the mean over the n records of a - b (each record's held-out values, paired) is
 * at most its standard error: a is not clearly above b. The error comes from the records,
 * not from the k fold means: with k - 1 degrees of freedom those often put it at half its
 * size, and a gain of a few records in a thousand then looks clear. */
bool fit_cv_within_one_se(const double *a, const double *b, size_t n)
{
    if (n < 2) return true;
    double mean = 0, var = 0;
    for (size_t i = 0; i < n; i++) mean += (a[i] - b[i]) / (double)n;
    for (size_t i = 0; i < n; i++) {
        double d = a[i] - b[i] - mean;
        var += d * d / (double)(n - 1);
    }
    return mean <= sqrt(var / (double)n);
}

/* The net or the linear model, whichever has the lower pooled loss, unless the other is
 * clearly more accurate (a classifier: by one standard error; the loss rewards confident
 * probabilities, and a net stopped early on a few dozen records is rarely calibrated while
 * it classes better); then the constant unless clearly beaten by the pick: by more than one
 * standard error of the paired difference in the loss (regression) or in accuracy (a
 * classifier, whose pooled loss must also be below the constant's). */
static void decide(fit_cv *cv, const cv_run *run, size_t n)
{
    /* the nets: the lower pooled loss of the two */
    size_t best = 0;
    pooled_out(&run->nets[0].p, n, run->loss, run->task, &cv->net_each[0]);
    for (size_t i = 1; i < run->net_count; i++) {
        pooled_out(&run->nets[i].p, n, run->loss, run->task, &cv->net_each[i]);
        const pooled *a = &run->nets[i].p, *b = &run->nets[best].p;
        if (!a->failed && (b->failed || a->loss < b->loss)) best = i;
    }
    cv->net_pick = best;
    cv->decay_tried = run->net_count > 1;
    cv->net_decay = run->nets[run->net_count - 1].c.model.optimizer.weight_decay;
    const pooled *net = &run->nets[best].p;
    cv->net = cv->net_each[best];
    pooled_out(&run->constant, n, run->loss, run->task, &cv->constant);
    cv->penalty = NAN;
    cv->linear.loss = cv->linear.metric = NAN;
    size_t count = run->linear ? penalty_count(run->softmax) : 0;
    const pooled *linear = NULL;
    for (size_t a = 0; a < count; a++) {
        fit_metrics m;
        pooled_out(&run->linear_at[a], n, run->loss, run->task, &m);
        if (!run->linear_at[a].failed && !(m.loss >= cv->linear.loss)) {
            cv->linear = m;
            cv->penalty = run->softmax ? fit_softmax_l2s[a] : fit_ridge_alphas[a];
            linear = &run->linear_at[a];
        }
    }
    const pooled *pick = net;
    cv->verdict = MLP_FIT_NET;
    bool classify = run->task == MLP_TASK_CLASSIFY;
    if (linear && (net->failed || cv->linear.loss < cv->net.loss)) {
        pick = linear;
        cv->verdict = MLP_FIT_LINEAR;
    }
    cv->by_accuracy = false;
    if (classify && linear && !net->failed) {
        const pooled *other = pick == linear ? net : linear;
        if (!fit_cv_within_one_se(other->rec_hits, pick->rec_hits, n)) {
            pick = other;
            cv->verdict = pick == linear ? MLP_FIT_LINEAR : MLP_FIT_NET;
            cv->by_accuracy = true;
        }
    }
    /* a classifier is scored by its classes: beaten in accuracy clearly, the constant's
     * probabilities need only be beaten (a net's loss has a heavy tail of confident misses,
     * and its error would hide a clear gain in accuracy) */
    bool not_beaten = classify ? !(pick->loss < run->constant.loss) ||
                                 fit_cv_within_one_se(pick->rec_hits, run->constant.rec_hits, n)
                           : fit_cv_within_one_se(run->constant.rec, pick->rec, n);
    if (pick->failed || not_beaten) cv->verdict = MLP_FIT_CONSTANT;
    cv->epochs = (run->nets[best].epochs_sum + cv->folds / 2) / cv->folds;
    if (cv->epochs == 0) cv->epochs = 1;
}

/* The net kept: the fold nets as one, else (too large, or no bias per neuron) the best one. */
static mlp_status keep_nets(fit_cv *cv, cv_run *run)
{
    net_cand *nc = &run->nets[cv->net_pick];
    mlp_status st = fit_ensemble_merge(nc->nets, cv->folds, ENSEMBLE_MAX_PARAMS,
                                       &cv->net_kept);
    if (st == MLP_OK) {
        cv->members = cv->folds;
        return MLP_OK;
    }
    if (st != MLP_ERR_INVALID_ARG) return st;
    cv->net_kept = nc->nets[nc->best_fold];
    nc->nets[nc->best_fold] = NULL;
    cv->members = 1;
    return MLP_OK;
}

mlp_status fit_cv_run(fit_cv *cv, const mlp_fit_config *c, const fit_plan *p,
                      const mlp_dataset *train, const fit_targets *t, mlp_loss loss,
                      mlp_task task, mlp_activation output, mlp_error_detail *detail)
{
    memset(cv, 0, sizeof *cv);
    cv->folds = p->folds;
    size_t n = mlp_dataset_count(train);
    size_t in = mlp_dataset_input_size(train), k = mlp_dataset_target_size(train);
    cv_run run = {.p = p, .t = t, .loss = loss, .task = task, .output = output,
                  .detail = detail};
    /* the config's net, and the same with its weight decay times cv_decay_factor: on a few
     * hundred records the default decay is often too weak, on more the folds say so */
    run.nets[0].c = *c;
    run.nets[1].c = *c;
    run.nets[1].c.model.optimizer.weight_decay *= (float)c->cv_decay_factor;
    run.net_count = c->cv_decay_factor > 1 && c->model.optimizer.weight_decay > 0 ? 2 : 1;
    /* the linear candidates fit_select offers: ridge for regression, softmax regression
     * for a softmax classifier trained on cross-entropy */
    run.softmax = task == MLP_TASK_CLASSIFY && loss == MLP_LOSS_CROSS_ENTROPY &&
                  output == MLP_ACT_SOFTMAX && fit_softmax_affordable(n, in, k);
    run.linear = task == MLP_TASK_REGRESS || run.softmax;
    cv->softmax = run.softmax;
    size_t *idx = NULL, *start = NULL;
    bool nets_ok = true;
    for (size_t i = 0; i < run.net_count; i++) {
        run.nets[i].nets = mlp_mem_calloc(p->folds, sizeof *run.nets[i].nets);
        nets_ok = nets_ok && run.nets[i].nets;
    }
    double *recs = mlp_mem_calloc(2 * (3 + MAX_PENALTIES) * (n ? n : 1), sizeof *recs);
    pooled *each[3 + MAX_PENALTIES] = {&run.nets[0].p, &run.nets[1].p, &run.constant};
    for (size_t a = 0; a < MAX_PENALTIES; a++) each[3 + a] = &run.linear_at[a];
    for (size_t i = 0; recs && i < 3 + MAX_PENALTIES; i++) {
        each[i]->rec = recs + 2 * i * n;
        each[i]->rec_hits = recs + (2 * i + 1) * n;
    }
    mlp_status st = nets_ok && recs
                    ? mlp_kfold_indices(n, p->folds, c->model.seed, &idx, &start)
                    : MLP_ERR_NO_MEMORY;
    size_t *rest = st == MLP_OK ? mlp_mem_alloc(n * sizeof *rest) : NULL;
    if (st == MLP_OK && !rest) st = MLP_ERR_NO_MEMORY;
    for (size_t f = 0; st == MLP_OK && f < p->folds; f++) {
        size_t m = 0; /* every record outside fold f, in file order of the folds */
        for (size_t g = 0; g < p->folds; g++)
            for (size_t i = start[g]; g != f && i < start[g + 1]; i++) rest[m++] = idx[i];
        mlp_dataset *tr = NULL, *va = NULL;
        st = gather(train, rest, m, &tr);
        if (st == MLP_OK) st = gather(train, idx + start[f], start[f + 1] - start[f], &va);
        size_t at = start[f]; /* where the fold's records go in the per-record arrays */
        for (size_t i = 0; st == MLP_OK && !run.stopped_in && i < run.net_count; i++)
            st = fold_net(&run, &run.nets[i], f, at, tr, va);
        if (st == MLP_OK && !run.stopped_in) st = fold_constant(&run, at, tr, va);
        if (st == MLP_OK && !run.stopped_in && run.linear) st = fold_linear(&run, at, tr, va);
        mlp_dataset_free(tr);
        mlp_dataset_free(va);
        if (run.stopped_in) break;
    }
    cv->seconds = run.seconds;
    cv->stopped_in = run.stopped_in;
    if (st == MLP_OK && run.stopped_in) { /* interrupted: no verdict, that fold's net */
        cv->verdict = MLP_FIT_NET;
        cv->penalty = NAN;
        cv->net.loss = cv->linear.loss = cv->constant.loss = NAN;
        net_cand *nc = &run.nets[run.stopped_net];
        cv->net_kept = nc->nets[nc->best_fold];
        nc->nets[nc->best_fold] = NULL;
        cv->members = 1;
    } else if (st == MLP_OK) {
        decide(cv, &run, n);
        if (cv->verdict == MLP_FIT_NET) st = keep_nets(cv, &run);
    }
    for (size_t i = 0; i < run.net_count; i++) {
        for (size_t f = 0; run.nets[i].nets && f < p->folds; f++)
            mlp_net_free(run.nets[i].nets[f]);
        mlp_mem_free(run.nets[i].nets);
    }
    mlp_mem_free(recs);
    mlp_mem_free(rest);
    mlp_mem_free(idx);
    mlp_mem_free(start);
    return st;
}

void fit_cv_describe(const fit_cv *cv, mlp_task task, mlp_fit_report *r)
{
    if (cv->stopped_in) {
        fit_report_line(r, "guard: %zu-fold cross-validation interrupted in fold %zu: the model "
                           "is that fold's net as trained so far, chosen by nothing",
                        cv->folds, cv->stopped_in);
        return;
    }
    const char *constant = task == MLP_TASK_CLASSIFY ? "class frequencies" : "mean";
    const char *linear = cv->softmax ? "softmax regression" : "ridge";
    char lin[96] = "";
    if (!isnan(cv->penalty))
        snprintf(lin, sizeof lin, ", %s (penalty %g) %.4g", linear, cv->penalty,
                 cv->linear.loss);
    char verdict[200];
    if (cv->verdict != MLP_FIT_NET)
        snprintf(verdict, sizeof verdict, "the %s, fitted on all records%s",
                 cv->verdict == MLP_FIT_LINEAR ? linear : constant,
                 cv->by_accuracy && cv->verdict == MLP_FIT_LINEAR
                     ? " (its higher loss, its accuracy clearly higher)" : "");
    else if (cv->members > 1)
        snprintf(verdict, sizeof verdict, "the %zu fold nets%s, their outputs averaged in one "
                 "net (no optimizer state)%s", cv->members,
                 cv->net_pick ? " with more weight decay" : "", cv->by_accuracy
                     ? "; its loss higher than the linear model's, its accuracy clearly higher"
                     : "");
    else
        snprintf(verdict, sizeof verdict, "the fold net with the lowest held-out loss (the "
                 "%zu together would be too large)", cv->folds);
    char more[64] = "", nets[96] = "";
    if (cv->decay_tried) {
        snprintf(more, sizeof more, ", and %zu with weight decay %g", cv->folds,
                 (double)cv->net_decay);
        snprintf(nets, sizeof nets, ", net with weight decay %g %.4g", (double)cv->net_decay,
                 cv->net_each[1].loss);
    }
    fit_report_line(r, "trained %zu nets, one per fold%s, in %.3g s (best epoch %zu on average, "
                       "each stopped early on a part of its training folds)", cv->folds, more,
                    cv->seconds, cv->epochs);
    char acc[160] = "";
    if (task == MLP_TASK_CLASSIFY && !isnan(cv->penalty))
        snprintf(acc, sizeof acc, "; accuracy: net %.4g, %s %.4g, %s %.4g", cv->net.metric,
                 linear, cv->linear.metric, constant, cv->constant.metric);
    else if (task == MLP_TASK_CLASSIFY)
        snprintf(acc, sizeof acc, "; accuracy: net %.4g, %s %.4g", cv->net.metric, constant,
                 cv->constant.metric);
    fit_report_line(r, "guard: %zu-fold cross-validation, held-out loss: net %.4g%s%s, %s %.4g%s",
                    cv->folds, cv->net_each[0].loss, nets, lin, constant, cv->constant.loss,
                    acc);
    fit_report_line(r, "guard: kept: %s (the constant unless clearly beaten: by one standard "
                       "error of the paired difference over the records)", verdict);
}

void fit_cv_free(fit_cv *cv)
{
    mlp_net_free(cv->net_kept);
    cv->net_kept = NULL;
}

mlp_status fit_cv_apply(fit_model *m, const mlp_dataset *train, const fit_cv *cv,
                        mlp_fit_report *r)
{
    r->cv_folds = cv->folds;
    r->net_val_loss = cv->net.loss;
    r->linear_val_loss = cv->linear.loss;
    r->constant_val_loss = cv->constant.loss;
    r->linear_alpha = cv->penalty;
    r->verdict = cv->verdict;
    size_t k = mlp_dataset_target_size(train);
    if (cv->verdict == MLP_FIT_NET) return MLP_OK;
    double *c = cv->verdict == MLP_FIT_CONSTANT ? fit_target_means(train, NULL) : NULL;
    if (cv->verdict == MLP_FIT_CONSTANT && !c) return MLP_ERR_NO_MEMORY;
    /* same topology: the optimizer state still fits */
    if (c && fit_set_constant_output(m->net, c, k)) {
        mlp_mem_free(c);
        return MLP_OK;
    }
    mlp_net *net = NULL;
    mlp_status st;
    if (c) { /* an output layer without a bias per output: a one-layer net holds it */
        size_t sizes[] = {mlp_dataset_input_size(train), k};
        mlp_activation act = mlp_net_activation(m->net, mlp_net_layer_count(m->net) - 1);
        st = mlp_net_create(&net, 1, sizes, &act, MLP_BIAS_PER_NEURON);
        if (st == MLP_OK && !fit_set_constant_output(net, c, k)) st = MLP_ERR_INVALID_ARG;
        mlp_mem_free(c);
    } else {
        st = fit_linear_fit(&net, train, cv->softmax, cv->penalty);
    }
    if (st != MLP_OK) {
        mlp_net_free(net);
        return st;
    }
    return fit_model_replace_net(m, net, NULL); /* the optimizer's state belonged to the old */
}
