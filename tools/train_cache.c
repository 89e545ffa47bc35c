/* `mlp train --cache FILE`: a numeric CSV trained through its binary cache in bounded
 * memory (mlp_model_fit_csv_cache). The flags set the net and the optimisation directly:
 * the automatic procedure of mlp_model_fit (budget, model selection, target scaling) needs
 * the data in memory and is not applied. */
#include "model_io.h"
#include "train.h"

#include <string.h>

/* The flags as the cached fit's config: every setting given, none automatic. */
static mlp_fit_config cache_config(const train_options *o)
{
    mlp_fit_config c = mlp_fit_config_default();
    c.model.hidden_count = o->n_hidden;
    c.model.hidden_sizes = o->hidden;
    c.model.hidden_activation = o->activation;
    c.model.bias_mode = o->bias;
    c.model.init = o->init;
    c.model.seed = o->seed;
    c.model.scaling = o->scaling;
    c.model.optimizer = mlp_optimizer_config_default(o->optimizer);
    c.model.optimizer.learning_rate = (float)o->lr;
    c.model.optimizer.reduction = MLP_REDUCE_MEAN;
    c.model.optimizer.momentum = (float)o->momentum;
    c.model.optimizer.weight_decay = (float)o->weight_decay;
    c.model.optimizer.schedule = o->schedule;
    c.model.optimizer.total_epochs = o->epochs;
    c.train.epochs = o->epochs;
    c.train.batch_size = o->batch ? o->batch : MLP_FIT_FULL_BATCH;
    c.train.dropout = (float)o->dropout;
    c.train.patience = o->patience ? o->patience : MLP_FIT_NO_EARLY_STOP;
    int threads = mlp_threads();
    c.train.threads = threads < 1 ? 1 : threads > 256 ? 256 : threads;
    c.val_fraction = (o->set & SET_VAL) ? o->val_fraction : -1.0;
    c.cv_folds = 0;
    return c;
}

int train_cache_run(const train_options *o)
{
    cli_label_spec label = cli_label_parse(o->label);
    mlp_csv_options co = mlp_csv_options_default();
    co.label_name = label.name;
    co.label_index = label.name ? -1 : label.index;
    co.task = (o->set & SET_TASK) ? o->task : MLP_TASK_CLASSIFY;
    mlp_fit_config c = cache_config(o);
    mlp_fit_report r = {.struct_size = sizeof r};
    mlp_error_detail d = {0};
    mlp_model *m = NULL;
    mlp_status st = mlp_model_fit_csv_cache(&m, o->train_path, o->cache, &co, &c, &r, &d);
    if (st != MLP_OK) {
        cli_report_status(cli_input_name(o->train_path), st, &d);
        return CLI_DATA_ERROR;
    }
    const mlp_net *net = mlp_model_net(m);
    fprintf(stdout, "cache %s: %zu records (%zu for training, %zu for validation), %zu "
            "inputs, %zu outputs\n", o->cache, r.records, r.train_count, r.val_count,
            r.input_size, mlp_net_output_size(net));
    int rc = CLI_OK;
    if (o->out) {
        rc = cli_model_save(o->out, net, mlp_model_preprocess(m), mlp_model_optimizer(m),
                            mlp_model_epoch(m));
        if (rc == CLI_OK) fprintf(stdout, "model saved to %s\n", o->out);
    }
    if (rc == CLI_OK && r.val_count && co.task == MLP_TASK_CLASSIFY)
        fprintf(stdout, "result: val_accuracy=%.4f val_loss=%.4f train_seconds=%.3g\n",
                r.val_metric, r.val_loss, r.train_seconds);
    else if (rc == CLI_OK && r.val_count)
        fprintf(stdout, "result: val_loss=%.4g train_seconds=%.3g\n", r.val_loss,
                r.train_seconds);
    else if (rc == CLI_OK)
        fprintf(stdout, "result: train_loss=%.4g train_seconds=%.3g\n", r.train_loss,
                r.train_seconds);
    mlp_model_free(m);
    return rc == CLI_OK ? CLI_OK : CLI_DATA_ERROR;
}
