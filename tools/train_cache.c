/* `mlp train --cache FILE`: a numeric CSV trained through its binary cache (mlp_csv_cache)
 * in bounded memory: the cache is built (or reused), split on record indices, the input
 * scaling fitted by streaming over the training part (mlp_source_fit_scaling), and the net
 * trained from the cache a batch at a time (mlp_train_source). The flags set the net and
 * the optimisation directly: the automatic procedure of mlp_model_fit (budget, model
 * selection, target scaling) needs the data in memory and is not applied. */
#include "model_io.h"
#include "train.h"

#include <stdlib.h>
#include <string.h>

typedef struct cache_run {
    const train_options *o;
    mlp_csv_cache *cache;
    mlp_preprocess *pre;
    mlp_net *net;
    mlp_optimizer *opt;
    mlp_source train, val;
    mlp_task task;
    size_t in, k;
} cache_run;

static int failed(const char *what, mlp_status st, const mlp_error_detail *d)
{
    cli_report_status(what, st, d);
    return CLI_DATA_ERROR;
}

static int open_cache(cache_run *c)
{
    const train_options *o = c->o;
    cli_label_spec label = cli_label_parse(o->label);
    mlp_csv_options co = mlp_csv_options_default();
    co.label_name = label.name;
    co.label_index = label.name ? -1 : label.index;
    co.task = c->task;
    mlp_error_detail d = {0};
    mlp_status st = mlp_csv_cache_open(&c->cache, o->train_path, o->cache, &co, &d);
    if (st != MLP_OK) return failed(cli_input_name(o->train_path), st, &d);
    c->in = mlp_csv_cache_input_size(c->cache);
    c->k = mlp_csv_cache_target_size(c->cache);
    if (c->task == MLP_TASK_CLASSIFY && c->k < 2) {
        cli_error("%s: classification needs at least 2 classes, found %zu", o->train_path,
                  c->k);
        return CLI_DATA_ERROR;
    }
    double val = (o->set & SET_VAL) ? o->val_fraction : 0.15;
    st = mlp_csv_cache_split(c->cache, (float)val, o->seed, &c->train, &c->val);
    if (st != MLP_OK) return failed("--val-fraction", st, NULL);
    fprintf(stdout, "cache %s: %zu records (%zu for training, %zu for validation), %zu "
            "inputs, %zu outputs\n", o->cache, mlp_csv_cache_count(c->cache), c->train.count,
            c->val.count, c->in, c->k);
    return CLI_OK;
}

/* Scaling over the training records, the label and classes: the model's preprocessing,
 * which the cache then applies to what it reads. */
static int make_preprocess(cache_run *c)
{
    const train_options *o = c->o;
    mlp_error_detail d = {0};
    mlp_status st = mlp_preprocess_create(&c->pre, c->in);
    if (st == MLP_OK) st = mlp_source_fit_scaling(c->pre, &c->train, c->k, o->scaling, &d);
    if (st != MLP_OK) return failed("--scale", st, &d);
    size_t n = c->task == MLP_TASK_CLASSIFY ? c->k : 0;
    const char **names = n ? calloc(n, sizeof *names) : NULL;
    if (n && !names) {
        cli_error("out of memory");
        return CLI_DATA_ERROR;
    }
    for (size_t i = 0; i < n; i++) names[i] = mlp_csv_cache_class_name(c->cache, i);
    cli_label_spec label = cli_label_parse(o->label);
    st = mlp_preprocess_set_label_info(c->pre, c->task, label.name,
                                       label.name ? -1 : label.index, n, names);
    free(names);
    if (st == MLP_OK) st = mlp_csv_cache_set_preprocess(c->cache, c->pre);
    return st == MLP_OK ? CLI_OK : failed("preprocessing", st, NULL);
}

static int make_net(cache_run *c)
{
    const train_options *o = c->o;
    size_t sizes[CLI_MAX_HIDDEN + 2];
    mlp_activation acts[CLI_MAX_HIDDEN + 1];
    size_t layers = o->n_hidden + 1;
    sizes[0] = c->in;
    for (size_t i = 0; i < o->n_hidden; i++) {
        sizes[i + 1] = o->hidden[i];
        acts[i] = o->activation;
    }
    sizes[layers] = c->k;
    acts[layers - 1] = c->task == MLP_TASK_CLASSIFY ? MLP_ACT_SOFTMAX : MLP_ACT_LINEAR;
    mlp_status st = mlp_net_create(&c->net, layers, sizes, acts, o->bias);
    if (st == MLP_OK) st = mlp_net_init(c->net, o->init, o->seed);
    mlp_optimizer_config oc = mlp_optimizer_config_default(o->optimizer);
    oc.learning_rate = (float)o->lr;
    oc.reduction = MLP_REDUCE_MEAN;
    oc.momentum = (float)o->momentum;
    oc.weight_decay = (float)o->weight_decay;
    oc.schedule = o->schedule;
    oc.total_epochs = o->epochs;
    if (st == MLP_OK) st = mlp_optimizer_create(&c->opt, c->net, &oc);
    return st == MLP_OK ? CLI_OK : failed("network", st, NULL);
}

static int train(cache_run *c)
{
    const train_options *o = c->o;
    mlp_train_config tc = mlp_train_config_default();
    tc.epochs = o->epochs;
    tc.batch_size = o->batch;
    tc.dropout = (float)o->dropout;
    tc.loss = c->task == MLP_TASK_CLASSIFY ? MLP_LOSS_CROSS_ENTROPY : MLP_LOSS_MSE;
    tc.patience = c->val.count ? o->patience : 0;
    int threads = mlp_threads();
    tc.threads = threads < 1 ? 1 : threads > 256 ? 256 : threads;
    mlp_train_result res;
    mlp_error_detail d = {0};
    mlp_status st = mlp_train_source(c->net, c->opt, &c->train, c->val.count ? &c->val : NULL,
                                     &tc, &res, &d);
    if (st != MLP_OK) return failed("training", st, &d);
    if (o->out) {
        if (cli_model_save(o->out, c->net, c->pre, c->opt, res.epochs_run) != CLI_OK)
            return CLI_DATA_ERROR;
        fprintf(stdout, "model saved to %s\n", o->out);
    }
    if (c->val.count && c->task == MLP_TASK_CLASSIFY)
        fprintf(stdout, "result: val_accuracy=%.4f val_loss=%.4f train_seconds=%.3g\n",
                res.best_val_accuracy, res.best_val_loss, res.seconds);
    else if (c->val.count)
        fprintf(stdout, "result: val_loss=%.4g train_seconds=%.3g\n", res.best_val_loss,
                res.seconds);
    else
        fprintf(stdout, "result: train_loss=%.4g train_seconds=%.3g\n", res.final_train_loss,
                res.seconds);
    return CLI_OK;
}

int train_cache_run(const train_options *o)
{
    cache_run c;
    memset(&c, 0, sizeof c);
    c.o = o;
    c.task = (o->set & SET_TASK) ? o->task : MLP_TASK_CLASSIFY;
    int rc = open_cache(&c);
    if (rc == CLI_OK) rc = make_preprocess(&c);
    if (rc == CLI_OK) rc = make_net(&c);
    if (rc == CLI_OK) rc = train(&c);
    mlp_optimizer_free(c.opt);
    mlp_net_free(c.net);
    mlp_csv_cache_close(c.cache);
    mlp_preprocess_free(c.pre);
    return rc;
}
