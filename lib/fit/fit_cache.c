/* Fitting a net to a numeric CSV through its binary cache (mlp_model_fit_csv_cache): memory
 * bounded by a batch rather than the file. The cache is built or reused, the records split
 * on indices, the input scaling fitted by one streaming pass over the training part, and
 * the net trained from the cache a batch at a time. Only what needs no data in memory is
 * taken from mlp_model_fit: the budget from the record count; target scaling, model
 * selection and cross-validation are not applied. */
#include "fit/fit_internal.h"

#include <math.h>
#include <string.h>

#define CACHE_VAL_FRACTION 0.15 /* automatic: mlp_model_fit's split on large data */

typedef struct cache_fit {
    const mlp_fit_config *c;
    const mlp_csv_options *csv;
    mlp_csv_cache *cache;
    mlp_source train, val;
    mlp_task task;
    size_t in, k;
    fit_plan plan;
} cache_fit;

static mlp_status check_config(const mlp_fit_config *c, const mlp_csv_options *csv,
                               mlp_error_detail *detail)
{
    if (c->cv_folds > 0)
        return mlp_fail(detail, MLP_ERR_INVALID_ARG, "config->cv_folds is %d: a cached fit "
                        "holds out a validation split (cv_folds -1 or 0)", c->cv_folds);
    if (c->test || c->test_table)
        return mlp_fail(detail, MLP_ERR_INVALID_ARG, "config->%s: a cached fit takes no test "
                        "data", c->test ? "test" : "test_table");
    if (c->model.task != MLP_TASK_COUNT && c->model.task != csv->task)
        return mlp_fail(detail, MLP_ERR_INVALID_ARG, "config->model.task differs from the CSV "
                        "options' task, which reads the label");
    return MLP_OK;
}

/* The cache, its split and the budget from the training records. */
static mlp_status open_cache(cache_fit *f, const char *csv_path, const char *cache_path,
                             mlp_fit_report *r, mlp_error_detail *detail)
{
    mlp_status st = mlp_csv_cache_open(&f->cache, csv_path, cache_path, f->csv, detail);
    if (st != MLP_OK) return st;
    f->in = mlp_csv_cache_input_size(f->cache);
    f->k = mlp_csv_cache_target_size(f->cache);
    if (f->task == MLP_TASK_CLASSIFY && f->k < 2)
        return mlp_fail(detail, MLP_ERR_INVALID_ARG, "%s: classification needs at least 2 "
                        "classes, found %zu", csv_path, f->k);
    const mlp_fit_config *c = f->c;
    f->plan.val_auto = c->val_fraction < 0;
    f->plan.val_fraction = f->plan.val_auto ? CACHE_VAL_FRACTION : c->val_fraction;
    st = mlp_csv_cache_split_ex(f->cache, (float)f->plan.val_fraction, c->model.seed,
                                &f->train, &f->val, detail);
    if (st != MLP_OK) return st;
    if (f->val.count == 0) f->plan.val_fraction = 0;
    fit_plan_budget(&f->plan, c, f->train.count);
    r->task = f->task;
    r->records = mlp_csv_cache_count(f->cache);
    r->train_count = f->train.count;
    r->val_count = f->val.count;
    r->val_fraction = f->plan.val_fraction;
    r->val_auto = f->plan.val_auto;
    r->batch_size = f->plan.batch;
    r->batch_auto = f->plan.batch_auto;
    r->epochs = f->plan.epochs;
    r->epochs_auto = f->plan.epochs_auto;
    r->patience = f->plan.patience;
    r->patience_auto = f->plan.patience_auto;
    r->input_size = f->in;
    return MLP_OK;
}

/* Scaling over the training records, the label and classes: the model's preprocessing,
 * which the cache then applies to what it reads. */
static mlp_status make_preprocess(cache_fit *f, mlp_preprocess **pre, mlp_error_detail *detail)
{
    mlp_status st = mlp_preprocess_create(pre, f->in);
    if (st == MLP_OK)
        st = mlp_source_fit_scaling(*pre, &f->train, f->k, f->c->model.scaling, detail);
    if (st != MLP_OK) return st;
    size_t n = f->task == MLP_TASK_CLASSIFY ? f->k : 0;
    const char **names = n ? mlp_mem_calloc(n, sizeof *names) : NULL;
    if (n && !names) return MLP_ERR_NO_MEMORY;
    for (size_t i = 0; i < n; i++) names[i] = mlp_csv_cache_class_name(f->cache, i);
    const char *label = f->csv->label_name;
    st = mlp_preprocess_set_label_info(*pre, f->task, label, label ? -1 : f->csv->label_index,
                                       n, names);
    mlp_mem_free(names);
    if (st == MLP_OK) st = mlp_csv_cache_set_preprocess(f->cache, *pre);
    return st;
}

static mlp_status make_net(cache_fit *f, fit_result *res)
{
    const mlp_model_config *m = &f->c->model;
    size_t layers = m->hidden_count + 1;
    size_t *sizes = mlp_mem_alloc((layers + 1) * sizeof *sizes);
    mlp_activation *acts = mlp_mem_alloc(layers * sizeof *acts);
    mlp_status st = sizes && acts ? MLP_OK : MLP_ERR_NO_MEMORY;
    if (st == MLP_OK) {
        sizes[0] = f->in;
        for (size_t i = 0; i < m->hidden_count; i++) {
            sizes[i + 1] = m->hidden_sizes ? m->hidden_sizes[i] : 32;
            acts[i] = m->hidden_activation;
        }
        sizes[layers] = f->k;
        acts[layers - 1] = m->output_activation != MLP_ACT_COUNT ? m->output_activation
                           : f->task == MLP_TASK_CLASSIFY      ? MLP_ACT_SOFTMAX
                                                               : MLP_ACT_LINEAR;
        st = mlp_net_create(&res->net, layers, sizes, acts, m->bias_mode);
    }
    mlp_mem_free(sizes);
    mlp_mem_free(acts);
    if (st == MLP_OK) st = mlp_net_init(res->net, m->init, m->seed);
    mlp_optimizer_config oc = m->optimizer;
    if (oc.total_epochs == 0) oc.total_epochs = f->plan.schedule_epochs;
    if (st == MLP_OK) st = mlp_optimizer_create(&res->opt, res->net, &oc);
    return st;
}

static mlp_status train(cache_fit *f, fit_result *res, mlp_fit_report *r,
                        mlp_error_detail *detail)
{
    mlp_train_config tc = f->c->train;
    tc.epochs = f->plan.epochs;
    tc.batch_size = f->plan.batch;
    tc.patience = f->val.count ? f->plan.patience : 0;
    if (tc.loss == MLP_LOSS_AUTO)
        tc.loss = mlp_net_activation(res->net, mlp_net_layer_count(res->net) - 1) ==
                          MLP_ACT_SOFTMAX
                      ? MLP_LOSS_CROSS_ENTROPY
                      : MLP_LOSS_MSE;
    mlp_train_result out;
    mlp_status st = mlp_train_source(res->net, res->opt, &f->train,
                                     f->val.count ? &f->val : NULL, &tc, &out, detail);
    if (st != MLP_OK) return st;
    res->epoch = out.epochs_run;
    r->loss = tc.loss;
    r->param_count = mlp_net_param_count(res->net);
    r->epochs_run = out.epochs_run;
    r->best_epoch = out.best_epoch;
    r->stopped_early = out.stopped_early;
    r->stopped_by_callback = out.stopped_by_callback;
    r->train_seconds = out.seconds;
    r->verdict = MLP_FIT_UNJUDGED;
    r->train_loss = out.final_train_loss;
    r->val_loss = f->val.count ? out.best_val_loss : NAN;
    r->val_metric = f->val.count && f->task == MLP_TASK_CLASSIFY ? out.best_val_accuracy : NAN;
    return MLP_OK;
}

mlp_status fit_csv_cache_run(const mlp_fit_config *c, const char *csv_path,
                             const char *cache_path, const mlp_csv_options *csv,
                             fit_result *res, mlp_fit_report *r, mlp_error_detail *detail)
{
    cache_fit f;
    memset(&f, 0, sizeof f);
    f.c = c;
    f.csv = csv;
    f.task = csv->task;
    mlp_status st = check_config(c, csv, detail);
    if (st == MLP_OK) st = open_cache(&f, csv_path, cache_path, r, detail);
    if (st == MLP_OK) st = make_preprocess(&f, &res->pre, detail);
    if (st == MLP_OK) st = make_net(&f, res);
    if (st == MLP_OK) st = train(&f, res, r, detail);
    mlp_csv_cache_close(f.cache);
    if (st != MLP_OK) {
        mlp_optimizer_free(res->opt);
        mlp_net_free(res->net);
        mlp_preprocess_free(res->pre);
        memset(res, 0, sizeof *res);
    }
    return st;
}
