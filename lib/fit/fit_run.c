/* The fit on encoded data sets: preprocessing fitted on the training part, regression
 * targets standardised, the net built and trained (early stopping, best epoch restored),
 * the scaling folded back, the model selection, the final metrics and the report. */
#include "fit/fit_watch.h"

#include <math.h>
#include <string.h>

#define EVAL_BATCH 256

typedef struct fit_state {
    const mlp_fit_config *c;
    fit_plan *plan;
    fit_data *d;
    fit_result *res;
    mlp_fit_report *r;
    mlp_error_detail *detail;
    bool resumed;
    mlp_task task;
    mlp_loss loss;
    mlp_activation output;
    fit_targets targets;
    fit_model m;
    fit_cv cv;     /* plan->folds: the cross-validation's verdict */
    bool unfolded; /* resumed: the net is in the standardised space */
} fit_state;

/* Task, loss and output activation, and what they cannot be; before anything is built. */
static mlp_status choose_task(fit_state *s)
{
    const mlp_fit_config *c = s->c;
    const mlp_dataset *train = s->d->train;
    size_t k = mlp_dataset_target_size(train);
    if (s->resumed) {
        s->task = mlp_preprocess_task(s->res->pre);
        size_t last = mlp_net_layer_count(s->res->net) - 1;
        s->output = mlp_net_activation(s->res->net, last);
        if (s->task == MLP_TASK_COUNT)
            s->task = s->output == MLP_ACT_LINEAR ? MLP_TASK_REGRESS : MLP_TASK_CLASSIFY;
    } else {
        s->task = s->d->task != MLP_TASK_COUNT ? s->d->task
                  : c->model.task != MLP_TASK_COUNT ? c->model.task
                  : mlp_dataset_class_count(train) || c->class_names ? MLP_TASK_CLASSIFY
                                                                     : MLP_TASK_REGRESS;
    }
    s->loss = c->train.loss != MLP_LOSS_AUTO ? c->train.loss
              : s->resumed ? (s->output == MLP_ACT_SOFTMAX ? MLP_LOSS_CROSS_ENTROPY : MLP_LOSS_MSE)
              : s->task == MLP_TASK_CLASSIFY ? MLP_LOSS_CROSS_ENTROPY : MLP_LOSS_MSE;
    if (s->loss == MLP_LOSS_CROSS_ENTROPY && s->task == MLP_TASK_REGRESS)
        return mlp_fail(s->detail, MLP_ERR_INVALID_ARG, "config->train.loss is cross-entropy, "
                        "and the task is regression (MSE, or config->model.task CLASSIFY)");
    if (k == 0)
        return mlp_fail(s->detail, MLP_ERR_INVALID_ARG, "train: the data set has no targets");
    if (s->task == MLP_TASK_CLASSIFY && k < 2)
        return mlp_fail(s->detail, MLP_ERR_INVALID_ARG, "train: classification needs at least "
                        "2 classes, found %zu", k);
    if (c->class_names && c->class_count != k)
        return mlp_fail(s->detail, MLP_ERR_INVALID_ARG, "config->class_count is %zu, and the "
                        "data set has %zu classes", c->class_count, k);
    if (!s->resumed)
        s->output = c->model.output_activation != MLP_ACT_COUNT ? c->model.output_activation
                    : s->task == MLP_TASK_REGRESS ? MLP_ACT_LINEAR
                    : s->loss == MLP_LOSS_CROSS_ENTROPY ? MLP_ACT_SOFTMAX : MLP_ACT_SIGMOID;
    if (s->task == MLP_TASK_REGRESS) { /* the target scaling must fold back: say so now */
        mlp_bias_mode bias = s->resumed ? mlp_net_bias_mode(s->res->net) : c->model.bias_mode;
        return fit_targets_check(bias, s->output, k, s->detail);
    }
    return MLP_OK;
}

/* Preprocessing: fitted on the training part (a resumed run keeps its own), applied to
 * every part; regression targets standardised. */
static mlp_status scale(fit_state *s)
{
    const mlp_fit_config *c = s->c;
    fit_data *d = s->d;
    mlp_status st = MLP_OK;
    if (!s->resumed) {
        st = mlp_preprocess_create(&s->res->pre, mlp_dataset_input_size(d->train));
        if (st == MLP_OK) st = mlp_preprocess_set_labels(s->res->pre, d->train, s->task);
        if (st == MLP_OK && c->class_names)
            st = mlp_preprocess_set_label_info(s->res->pre, MLP_TASK_CLASSIFY, NULL, -1,
                                               c->class_count, c->class_names);
        if (st == MLP_OK && d->enc) st = mlp_preprocess_set_encoding(s->res->pre, d->enc);
        if (st == MLP_OK) st = mlp_preprocess_fit(s->res->pre, d->train, c->model.scaling);
    }
    mlp_dataset *parts[] = {d->train, d->val, d->test};
    for (size_t i = 0; i < 3 && st == MLP_OK; i++)
        if (parts[i]) st = mlp_preprocess_apply(s->res->pre, parts[i]);
    if (st != MLP_OK) return mlp_fail(s->detail, st, "scaling the inputs: %s", mlp_strerror(st));
    if (s->task == MLP_TASK_REGRESS) {
        const char *names[] = {"train", "validation", "test"};
        for (size_t i = 0; i < 3 && st == MLP_OK; i++)
            st = fit_targets_check_range(parts[i], names[i], d->enc, NULL, s->detail);
        if (st == MLP_OK) st = fit_targets_fit(&s->targets, d->train);
        for (size_t i = 0; i < 3 && st == MLP_OK; i++)
            st = fit_targets_check_range(parts[i], names[i], d->enc, &s->targets, s->detail);
        for (size_t i = 0; i < 3 && st == MLP_OK; i++)
            fit_targets_apply(&s->targets, parts[i], false);
    }
    return st;
}

static mlp_status build(fit_state *s)
{
    const mlp_fit_config *c = s->c;
    if (s->resumed) { /* the saved net back in the space it trains in */
        s->m.net = s->res->net;
        s->m.opt = s->res->opt;
        fit_targets_fold(&s->targets, s->m.net, true);
        s->unfolded = s->targets.mean != NULL;
        return mlp_workspace_create_inference(&s->m.ws, s->m.net, EVAL_BATCH);
    }
    mlp_status st = fit_net_create(c, s->plan->schedule_epochs, mlp_dataset_input_size(s->d->train),
                                   mlp_dataset_target_size(s->d->train), s->output, &s->m.net,
                                   &s->m.opt, s->detail);
    if (st == MLP_OK) st = mlp_workspace_create_inference(&s->m.ws, s->m.net, EVAL_BATCH);
    return st;
}

static mlp_status train(fit_state *s)
{
    const mlp_fit_config *c = s->c;
    const fit_plan *p = s->plan;
    fit_data *d = s->d;
    mlp_fit_report *r = s->r;
    fit_watch w;
    memset(&w, 0, sizeof w);
    fit_watch_init(&w, c, &s->targets);
    w.net = s->m.net;
    w.ws = s->m.ws;
    w.val = d->val;
    w.test = d->test;
    w.loss = s->loss;
    w.task = s->task;
    w.test_each_epoch = d->test && c->epoch_callback &&
                        mlp_dataset_count(d->test) <= 2 * mlp_dataset_count(d->train);
    mlp_train_config tc;
    fit_net_train_config(c, p, s->loss, &tc);
    tc.start_epoch = s->resumed ? s->res->epoch : 0;
    bool watched = fit_watch_wanted(&w);
    tc.progress = watched ? fit_watch_progress : NULL;
    tc.user_data = watched ? &w : NULL;
    /* every ~256 records: often enough for a progress bar, rare enough that one-record SGD
     * keeps its pipelined path (each call applies the pending first-layer update first) */
    if (tc.progress_interval == 0) tc.progress_interval = p->batch && p->batch < 256 ? 256 / p->batch : 1;
    size_t nv = d->val ? mlp_dataset_count(d->val) : 0;
    mlp_train_result res;
    memset(&res, 0, sizeof res);
    double t0 = fit_now();
    mlp_status st = fit_net_train(c, s->m.net, s->m.opt, d->train, d->val, &tc, &res, s->detail);
    r->train_seconds = fit_now() - t0 - w.eval_seconds;
    if (st == MLP_OK && w.failed != MLP_OK) st = w.failed;
    if (st == MLP_ERR_DIVERGED)
        return mlp_fail(s->detail, st, "training diverged in epoch %zu, batch %zu (a NaN or "
                        "infinite loss or parameter): try a smaller learning rate or weight "
                        "decay", res.diverged_epoch + 1, res.diverged_batch + 1);
    if (st != MLP_OK) return st;
    s->res->epoch = res.epochs_run;
    r->start_epoch = tc.start_epoch;
    r->epochs_run = res.epochs_run;
    r->best_epoch = res.best_epoch;
    r->stopped_early = res.stopped_early;
    r->stopped_by_callback = res.stopped_by_callback || w.stopped;
    fit_report_trained(r, nv > 0);
    return MLP_OK;
}

/* The candidates scored on the folds. */
static mlp_status cross_validate(fit_state *s)
{
    fit_plan *p = s->plan;
    mlp_status st = fit_cv_run(&s->cv, s->c, p, s->d->train, &s->targets, s->loss, s->task,
                               s->output, s->detail);
    if (st == MLP_OK) s->r->cv_folds = p->folds;
    return st;
}

/* The net chosen by the folds replaces the one built (in the same standardised space); it
 * is not trained again, and holds no optimizer state. */
static mlp_status keep_cv_net(fit_state *s)
{
    s->r->train_seconds = s->cv.seconds;
    s->r->stopped_by_callback = s->cv.stopped_in != 0;
    fit_cv_describe(&s->cv, s->task, s->r);
    if (s->cv.verdict != MLP_FIT_NET) return MLP_OK;
    mlp_net *kept = s->cv.net_kept;
    s->cv.net_kept = NULL;
    return fit_model_replace_net(&s->m, kept, NULL);
}

/* The scaling folded back, the data in their units again, then the model selection. */
static mlp_status finish(fit_state *s)
{
    fit_data *d = s->d;
    fit_targets_fold(&s->targets, s->m.net, false);
    s->unfolded = false;
    mlp_dataset *parts[] = {d->train, d->val, d->test};
    for (size_t i = 0; i < 3; i++) fit_targets_apply(&s->targets, parts[i], true);
    if (s->resumed) return MLP_OK;
    if (s->plan->loo && !d->val && s->task == MLP_TASK_REGRESS)
        return fit_loo(&s->m, d->train, s->r);
    if (s->plan->folds) return fit_cv_apply(&s->m, d->train, &s->cv, s->r);
    return fit_select(&s->m, d->train, d->val, s->loss, s->task, s->r);
}

static mlp_status measure(fit_state *s)
{
    fit_data *d = s->d;
    mlp_fit_report *r = s->r;
    fit_metrics m;
    mlp_status st = fit_evaluate(s->m.net, s->m.ws, d->train, s->loss, s->task, NULL, &m);
    r->train_loss = m.loss, r->train_metric = m.metric;
    if (st == MLP_OK) st = fit_evaluate(s->m.net, s->m.ws, d->val, s->loss, s->task, NULL, &m);
    r->val_loss = m.loss, r->val_metric = m.metric;
    if (st == MLP_OK) st = fit_evaluate(s->m.net, s->m.ws, d->test, s->loss, s->task, NULL, &m);
    r->test_loss = m.loss, r->test_metric = m.metric;
    size_t k = mlp_net_output_size(s->m.net);
    if (st != MLP_OK || s->task != MLP_TASK_REGRESS || k < 2) return st;
    /* several outputs: the RMSE of each, on the data the result is measured on */
    const mlp_dataset *on = d->test ? d->test : d->val ? d->val : d->train;
    double *rmse = mlp_mem_calloc(k, sizeof *rmse);
    if (!rmse) return MLP_ERR_NO_MEMORY;
    st = fit_output_rmse(s->m.net, s->m.ws, on, rmse);
    char line[MLP_FIT_LINE_SIZE];
    size_t used = (size_t)snprintf(line, sizeof line, "rmse per output:");
    const mlp_table_encoding *enc = d->enc;
    for (size_t j = 0; st == MLP_OK && j < k && used < sizeof line; j++) {
        const char *name = enc ? mlp_table_encoding_label_name(enc, j) : NULL;
        int w = name ? snprintf(line + used, sizeof line - used, " %s=%.4f", name, rmse[j])
                     : snprintf(line + used, sizeof line - used, " output_%zu=%.4f", j, rmse[j]);
        if (w < 0) break;
        used += (size_t)w;
    }
    if (st == MLP_OK) fit_report_line(r, "%s", line);
    mlp_mem_free(rmse);
    return st;
}

/* The model handed back is finite, and so is its loss on the data it was trained on: a
 * fold of the target scaling that overflows float, or a trainer that left NaN behind, is
 * an error rather than a model that predicts inf. */
static mlp_status check_finite(const fit_state *s)
{
    const mlp_fit_report *r = s->r;
    if (!mlp_all_finite(mlp_net_params_const(s->m.net), mlp_net_param_count(s->m.net)))
        return mlp_fail(s->detail, MLP_ERR_NON_FINITE, "train: the fitted model has a NaN or "
                        "infinite parameter%s", s->targets.mean ? " (the target scaling "
                        "folded into the output layer overflows float): rescale the targets"
                        : "");
    const double losses[] = {r->train_loss, r->val_loss, r->test_loss};
    const char *names[] = {"training", "validation", "test"};
    const size_t counts[] = {r->train_count, r->val_count, r->test_count};
    for (size_t i = 0; i < 3; i++)
        if (counts[i] && !isfinite(losses[i]))
            return mlp_fail(s->detail, MLP_ERR_NON_FINITE, "train: the fitted model's %s "
                            "loss is %g (its outputs overflow float): rescale the inputs or "
                            "targets, or try a smaller learning rate", names[i], losses[i]);
    return MLP_OK;
}

mlp_status fit_run(const mlp_fit_config *c, fit_plan *plan, fit_data *d, fit_result *res,
                   mlp_fit_report *r, mlp_fit_report *caller, mlp_error_detail *detail)
{
    fit_state s;
    memset(&s, 0, sizeof s);
    s.c = c, s.plan = plan, s.d = d, s.res = res, s.r = r, s.detail = detail;
    s.resumed = res->net != NULL;
    mlp_status st = choose_task(&s);
    if (st != MLP_OK) return st;
    r->task = s.task;
    r->loss = s.loss;
    r->records = d->records;
    r->train_count = mlp_dataset_count(d->train);
    r->val_count = d->val ? mlp_dataset_count(d->val) : 0;
    r->test_count = d->test ? mlp_dataset_count(d->test) : 0;
    r->val_fraction = plan->val_fraction;
    r->val_auto = plan->val_auto;
    r->batch_size = plan->batch, r->batch_auto = plan->batch_auto;
    r->epochs = plan->epochs, r->epochs_auto = plan->epochs_auto;
    r->patience = plan->patience, r->patience_auto = plan->patience_auto;
    r->input_size = mlp_dataset_input_size(d->train);
    st = scale(&s);
    if (st == MLP_OK) st = build(&s);
    if (st == MLP_OK) {
        r->param_count = mlp_net_param_count(s.m.net);
        fit_describe(c, plan, s.m.net, s.m.opt, res->pre, s.task, s.loss,
                     s.targets.mean != NULL, r);
        r->lines_before_training = r->line_count;
        /* the callbacks may read what is known so far in the caller's report */
        st = fit_report_copy_out(caller, r, detail);
    }
    /* the folds train after the report is out: the caller's progress callback sees them */
    if (st == MLP_OK && plan->folds && !s.resumed) st = cross_validate(&s);
    if (st == MLP_OK) st = plan->folds && !s.resumed ? keep_cv_net(&s) : train(&s);
    if (st == MLP_OK) st = finish(&s);
    if (st == MLP_OK) st = measure(&s);
    if (st == MLP_OK) st = check_finite(&s);
    mlp_workspace_free(s.m.ws);
    fit_cv_free(&s.cv);
    if (s.resumed) { /* the model's own net and optimizer: the caller keeps them */
        if (st != MLP_OK && s.unfolded) fit_targets_fold(&s.targets, s.m.net, false);
        res->net = s.m.net;
        res->opt = s.m.opt;
        fit_targets_free(&s.targets);
        return st;
    }
    fit_targets_free(&s.targets);
    if (st != MLP_OK) {
        mlp_net_free(s.m.net);
        mlp_optimizer_free(s.m.opt);
        mlp_preprocess_free(res->pre);
        res->pre = NULL;
        return st;
    }
    res->net = s.m.net;
    res->opt = s.m.opt;
    return MLP_OK;
}
