/* mlp_fit_config: its defaults (the `mlp train` tool's) and the checks that name a bad
 * setting before anything is trained. */
#include "fit/fit_internal.h"

#include <math.h>
#include <string.h>

#define FIT_CONFIG_MIN_SIZE (offsetof(mlp_fit_config, trainer_data) + sizeof(void *))
#define FIT_REPORT_MIN_SIZE (offsetof(mlp_fit_report, lines) + sizeof(((mlp_fit_report *)0)->lines))
#define MAX_HIDDEN 63

mlp_fit_config mlp_fit_config_default(void)
{
    mlp_fit_config c;
    memset(&c, 0, sizeof c);
    c.struct_size = sizeof c;
    c.model = mlp_model_config_default();
    /* the schedule's length and steps follow the epoch budget */
    c.model.optimizer.total_epochs = 0;
    c.model.optimizer.step_epochs = 0;
    c.train = mlp_train_config_default();
    c.train.epochs = MLP_FIT_AUTO;
    c.train.batch_size = MLP_FIT_AUTO;
    c.train.patience = MLP_FIT_AUTO;
    c.train.progress_interval = 0;
    c.val_fraction = -1.0;
    c.cv_folds = -1;
    c.cv_decay_factor = 10.0;
    c.table = mlp_table_options_default();
    return c;
}

static mlp_status check_model(const mlp_model_config *m, mlp_error_detail *detail)
{
    if (m->hidden_count > MAX_HIDDEN)
        return mlp_fail(detail, MLP_ERR_INVALID_ARG, "config->model.hidden_count is %zu: at "
                        "most %d hidden layers", m->hidden_count, MAX_HIDDEN);
    for (size_t i = 0; m->hidden_sizes && i < m->hidden_count; i++)
        if (m->hidden_sizes[i] == 0 || m->hidden_sizes[i] > INT_MAX)
            return mlp_fail(detail, MLP_ERR_INVALID_ARG, "config->model.hidden_sizes[%zu] is "
                            "%zu: every hidden layer needs from 1 to %d neurons", i,
                            m->hidden_sizes[i], INT_MAX);
    if ((unsigned)m->hidden_activation >= MLP_ACT_COUNT ||
        m->hidden_activation == MLP_ACT_SOFTMAX)
        return mlp_fail(detail, MLP_ERR_INVALID_ARG, "config->model.hidden_activation is %d: "
                        "a hidden layer takes linear, sigmoid, tanh, relu or leaky relu "
                        "(softmax only belongs to the output)", (int)m->hidden_activation);
    if ((unsigned)m->output_activation > MLP_ACT_COUNT)
        return mlp_fail(detail, MLP_ERR_INVALID_ARG, "config->model.output_activation is %d: "
                        "not an activation (MLP_ACT_COUNT: from the task)",
                        (int)m->output_activation);
    if ((unsigned)m->bias_mode >= MLP_BIAS_COUNT)
        return mlp_fail(detail, MLP_ERR_INVALID_ARG, "config->model.bias_mode is %d: not a "
                        "bias mode", (int)m->bias_mode);
    if ((unsigned)m->init >= MLP_INIT_COUNT)
        return mlp_fail(detail, MLP_ERR_INVALID_ARG, "config->model.init is %d: not an "
                        "initialisation", (int)m->init);
    if ((unsigned)m->task > MLP_TASK_COUNT)
        return mlp_fail(detail, MLP_ERR_INVALID_ARG, "config->model.task is %d: not a task "
                        "(MLP_TASK_COUNT: from the data)", (int)m->task);
    if ((unsigned)m->scaling >= MLP_SCALE_COUNT)
        return mlp_fail(detail, MLP_ERR_INVALID_ARG, "config->model.scaling is %d: not a "
                        "scaling", (int)m->scaling);
    const mlp_optimizer_config *o = &m->optimizer;
    if ((unsigned)o->kind >= MLP_OPT_COUNT)
        return mlp_fail(detail, MLP_ERR_INVALID_ARG, "config->model.optimizer.kind is %d: not "
                        "an optimizer", (int)o->kind);
    if (!(o->learning_rate > 0) || !isfinite(o->learning_rate))
        return mlp_fail(detail, MLP_ERR_INVALID_ARG, "config->model.optimizer.learning_rate "
                        "is %g: it must be positive and finite", (double)o->learning_rate);
    if (!(o->weight_decay >= 0) || !isfinite(o->weight_decay))
        return mlp_fail(detail, MLP_ERR_INVALID_ARG, "config->model.optimizer.weight_decay is "
                        "%g: it must be 0 or more, and finite", (double)o->weight_decay);
    return MLP_OK;
}

static mlp_status check_train(const mlp_train_config *t, mlp_error_detail *detail)
{
    if ((unsigned)t->loss >= MLP_LOSS_COUNT)
        return mlp_fail(detail, MLP_ERR_INVALID_ARG, "config->train.loss is %d: not a loss",
                        (int)t->loss);
    if (!(t->dropout >= 0 && t->dropout < 1))
        return mlp_fail(detail, MLP_ERR_INVALID_ARG, "config->train.dropout is %g: it must be "
                        "in [0, 1)", (double)t->dropout);
    if (t->threads < 1 || t->threads > 256)
        return mlp_fail(detail, MLP_ERR_INVALID_ARG, "config->train.threads is %d: from 1 to "
                        "256", t->threads);
    if ((unsigned)t->precision >= MLP_PRECISION_COUNT)
        return mlp_fail(detail, MLP_ERR_INVALID_ARG, "config->train.precision is %d: not a "
                        "precision", (int)t->precision);
    return MLP_OK;
}

mlp_status fit_config_read(mlp_fit_config *c, const mlp_fit_config *given,
                           mlp_error_detail *detail)
{
    *c = mlp_fit_config_default();
    if (!given) return MLP_OK;
    mlp_status st = mlp_read_config(c, sizeof *c, given, FIT_CONFIG_MIN_SIZE, "config",
                                    "mlp_fit_config", detail);
    /* the embedded configs at their own sizes, the rest of their defaults kept */
    mlp_fit_config d = mlp_fit_config_default();
    if (st == MLP_OK) {
        c->model = d.model;
        st = mlp_read_config(&c->model, sizeof c->model, &given->model,
                             MLP_MODEL_CONFIG_MIN_SIZE, "config->model", "mlp_model_config",
                             detail);
    }
    if (st == MLP_OK) {
        c->train = d.train;
        st = mlp_read_config(&c->train, sizeof c->train, &given->train,
                             MLP_TRAIN_CONFIG_MIN_SIZE, "config->train", "mlp_train_config",
                             detail);
    }
    if (st == MLP_OK) st = check_model(&c->model, detail);
    if (st == MLP_OK) st = check_train(&c->train, detail);
    if (st != MLP_OK) return st;
    if (isnan(c->val_fraction) || c->val_fraction >= 1)
        return mlp_fail(detail, MLP_ERR_INVALID_ARG, "config->val_fraction is %g: it must be "
                        "below 1 (0: no validation split; negative: chosen from the record "
                        "count)", c->val_fraction);
    if (c->val_fraction == 0 && c->train.patience != MLP_FIT_AUTO &&
        c->train.patience != MLP_FIT_NO_EARLY_STOP)
        return mlp_fail(detail, MLP_ERR_INVALID_ARG, "config->train.patience is %zu but "
                        "config->val_fraction is 0: early stopping needs a validation split",
                        c->train.patience);
    if (c->cv_folds == 1 || (c->cv_folds >= 2 && c->val_fraction > 0))
        return mlp_fail(detail, MLP_ERR_INVALID_ARG, "config->cv_folds is %d%s", c->cv_folds,
                        c->cv_folds == 1 ? ": it must be 2 or more (0: no cross-validation, "
                                           "negative: automatic)"
                                         : ", and config->val_fraction holds out a split: "
                                           "cross-validation replaces it (set it to -1 or 0)");
    if (!(c->cv_decay_factor >= 0) || c->cv_decay_factor > 1e6)
        return mlp_fail(detail, MLP_ERR_INVALID_ARG, "config->cv_decay_factor is %g: it must "
                        "be from 0 to 1e6 (1 or less: no second net)", c->cv_decay_factor);
    if (c->class_count > 0 && !c->class_names)
        return mlp_fail(detail, MLP_ERR_INVALID_ARG, "config->class_names is NULL with "
                        "config->class_count %zu", c->class_count);
    for (size_t i = 0; c->class_names && i < c->class_count; i++)
        if (!c->class_names[i])
            return mlp_fail(detail, MLP_ERR_INVALID_ARG, "config->class_names[%zu] is NULL",
                            i);
    return MLP_OK;
}

void fit_report_init(mlp_fit_report *r)
{
    memset(r, 0, sizeof *r);
    r->struct_size = sizeof *r;
    r->task = MLP_TASK_COUNT;
    r->loss = MLP_LOSS_AUTO;
    r->net_val_loss = r->linear_val_loss = r->constant_val_loss = NAN;
    r->linear_alpha = NAN;
    r->train_loss = r->train_metric = r->val_loss = r->val_metric = NAN;
    r->test_loss = r->test_metric = NAN;
}

mlp_status fit_report_copy_out(mlp_fit_report *out, const mlp_fit_report *r,
                               mlp_error_detail *detail)
{
    if (!out) return MLP_OK;
    size_t given = out->struct_size;
    if (given < FIT_REPORT_MIN_SIZE || given > sizeof *r)
        return mlp_fail(detail, MLP_ERR_INVALID_ARG, "report->struct_size is %zu: set it to "
                        "sizeof(mlp_fit_report) (%zu here)", given, sizeof *r);
    memcpy(out, r, given);
    out->struct_size = given;
    return MLP_OK;
}
