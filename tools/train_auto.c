/* `mlp train` defaults that adapt to the data (chosen on bench/accuracy): a validation
 * split with early stopping, epochs and batch from the record count, regression targets
 * standardised while training and folded back into the output layer, and a guard that
 * the model does no worse on the validation split than predicting the training mean. */
#include "train.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Optimizer updates the epoch budget aims at (early stopping usually ends sooner). */
#define AUTO_UPDATES 20000.0
#define AUTO_MIN_EPOCHS 50
#define AUTO_MAX_EPOCHS 2000

void train_auto_settings(train_options *o, size_t records, FILE *report)
{
    /* IDX images, presets and saved runs keep their settings: this is for tables (CSV) */
    if (o->dataset || o->train_labels || o->resume) return;
    /* --epochs N keeps its meaning: N epochs on all the training data */
    if (!(o->set & (SET_VAL | SET_EPOCHS)) && records >= 20) {
        o->val_fraction = 0.15;
        o->set |= SET_VAL;
        fprintf(report, "auto: validation split 0.15 of the %zu training records, early "
                        "stopping, best epoch restored (--val-fraction 0 to train on all)\n",
                records);
    }
    size_t n = o->val_fraction > 0 ? records - (size_t)(o->val_fraction * (double)records)
                                   : records;
    if (!(o->set & SET_BATCH)) {
        /* at least 8 updates per epoch on small tables */
        o->batch = n / 8 < 8 ? 8 : n / 8 > 32 ? 32 : n / 8;
        o->set |= SET_BATCH;
    }
    if (!(o->set & SET_EPOCHS) && o->val_fraction > 0) {
        double per_epoch = o->batch ? ceil((double)n / (double)o->batch) : 1.0;
        double e = ceil(AUTO_UPDATES / per_epoch);
        o->epochs = e < AUTO_MIN_EPOCHS ? AUTO_MIN_EPOCHS : e > AUTO_MAX_EPOCHS
                                                             ? AUTO_MAX_EPOCHS : (size_t)e;
        o->set |= SET_EPOCHS;
        if (!(o->set & SET_PATIENCE)) {
            o->patience = o->epochs / 10 < 10 ? 10 : o->epochs / 10 > 50 ? 50 : o->epochs / 10;
            o->set |= SET_PATIENCE;
        }
        fprintf(report, "auto: batch %zu, up to %zu epochs (about %.0f updates), patience "
                        "%zu epochs\n", o->batch, o->epochs, AUTO_UPDATES, o->patience);
    }
}

/* ---- regression targets standardised while training */

int train_targets_fit(train_targets *t, const mlp_dataset *train)
{
    size_t n = mlp_dataset_count(train), k = mlp_dataset_target_size(train);
    const float *y = mlp_dataset_targets_const(train);
    t->k = k;
    t->mean = calloc(k, sizeof *t->mean);
    t->sd = calloc(k, sizeof *t->sd);
    if (!t->mean || !t->sd) return CLI_DATA_ERROR;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < k; j++) t->mean[j] += y[i * k + j] / (double)n;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < k; j++) {
            double d = y[i * k + j] - t->mean[j];
            t->sd[j] += d * d / (double)n;
        }
    for (size_t j = 0; j < k; j++) t->sd[j] = t->sd[j] > 0 ? sqrt(t->sd[j]) : 1.0;
    return CLI_OK;
}

void train_targets_apply(const train_targets *t, mlp_dataset *ds, bool inverse)
{
    if (!ds || !t->mean) return;
    size_t n = mlp_dataset_count(ds), k = t->k;
    float *y = mlp_dataset_targets(ds);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < k; j++) {
            double v = y[i * k + j];
            y[i * k + j] = (float)(inverse ? v * t->sd[j] + t->mean[j]
                                           : (v - t->mean[j]) / t->sd[j]);
        }
}

/* y = sd * (W h + b) + mean: the last layer's rows and biases scaled, the mean added. */
int train_targets_fold(const train_targets *t, mlp_net *net)
{
    size_t last = mlp_net_layer_count(net) - 1, in = mlp_net_size(net, last);
    if (mlp_net_activation(net, last) != MLP_ACT_LINEAR ||
        mlp_net_bias_count(net, last) != t->k)
        return CLI_DATA_ERROR;
    float *p = mlp_net_params(net);
    float *w = p + mlp_net_weights_offset(net, last), *b = p + mlp_net_bias_offset(net, last);
    for (size_t j = 0; j < t->k; j++) {
        for (size_t i = 0; i < in; i++) w[j * in + i] = (float)(w[j * in + i] * t->sd[j]);
        b[j] = (float)(b[j] * t->sd[j] + t->mean[j]);
    }
    return CLI_OK;
}

void train_targets_free(train_targets *t)
{
    free(t->mean);
    free(t->sd);
    memset(t, 0, sizeof *t);
}

/* ---- the guard: never worse than the training mean on validation data */

/* The constant prediction of the training targets: their mean (regression, and the class
 * frequencies for classification). */
static double *target_means(const mlp_dataset *train)
{
    size_t n = mlp_dataset_count(train), k = mlp_dataset_target_size(train);
    const float *y = mlp_dataset_targets_const(train);
    double *m = calloc(k, sizeof *m);
    if (!m) return NULL;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < k; j++) m[j] += y[i * k + j] / (double)n;
    return m;
}

/* Makes the net output the constant c: the last layer's weights zeroed and its biases
 * set through the output activation's inverse (log for softmax, logit for sigmoid). */
static bool set_constant_output(mlp_net *net, const double *c, size_t k)
{
    size_t last = mlp_net_layer_count(net) - 1, in = mlp_net_size(net, last);
    mlp_activation act = mlp_net_activation(net, last);
    if (mlp_net_bias_count(net, last) != k ||
        (act != MLP_ACT_LINEAR && act != MLP_ACT_SOFTMAX && act != MLP_ACT_SIGMOID))
        return false;
    float *p = mlp_net_params(net);
    float *w = p + mlp_net_weights_offset(net, last), *b = p + mlp_net_bias_offset(net, last);
    memset(w, 0, k * in * sizeof *w);
    for (size_t j = 0; j < k; j++) {
        double v = c[j], e = 1e-6;
        if (act == MLP_ACT_SOFTMAX) v = log(v > e ? v : e);
        if (act == MLP_ACT_SIGMOID) v = v < e ? e : v > 1 - e ? 1 - e : v, v = log(v / (1 - v));
        b[j] = (float)v;
    }
    return true;
}

int train_guard(mlp_net *net, mlp_workspace *ws, const mlp_dataset *train,
                const mlp_dataset *val, mlp_loss loss, mlp_task task, FILE *report)
{
    if (!val || mlp_dataset_count(val) == 0) return CLI_OK;
    cli_metrics model, base;
    mlp_net *mean_net = NULL;
    double *c = target_means(train);
    mlp_status st = c ? mlp_net_clone(&mean_net, net) : MLP_ERR_NO_MEMORY;
    if (st != MLP_OK) {
        free(c);
        cli_report_status("the mean-predictor guard", st, NULL);
        return CLI_DATA_ERROR;
    }
    bool ok = set_constant_output(mean_net, c, mlp_dataset_target_size(train));
    const float *x = mlp_dataset_inputs_const(val), *y = mlp_dataset_targets_const(val);
    size_t n = mlp_dataset_count(val);
    st = cli_evaluate(net, ws, x, y, n, loss, task, &model);
    if (st == MLP_OK && ok) st = cli_evaluate(mean_net, ws, x, y, n, loss, task, &base);
    if (st == MLP_OK && ok) {
        /* the loss the net was trained for; accuracy must not fall below the majority's */
        bool worse = !(model.loss <= base.loss) ||
                     (task == MLP_TASK_CLASSIFY && model.accuracy < base.accuracy);
        if (worse) {
            memcpy(mlp_net_params(net), mlp_net_params_const(mean_net),
                   mlp_param_count(net) * sizeof(float));
            fprintf(report, "guard: the trained net does worse on the validation split than "
                            "the training %s (loss %.4g against %.4g): it now predicts that "
                            "constant\n",
                    task == MLP_TASK_CLASSIFY ? "class frequencies" : "mean", model.loss,
                    base.loss);
        } else {
            fprintf(report, "guard: validation loss %.4g, better than predicting the training "
                            "%s (%.4g)\n", model.loss,
                    task == MLP_TASK_CLASSIFY ? "class frequencies" : "mean", base.loss);
        }
    }
    mlp_net_free(mean_net);
    free(c);
    if (st != MLP_OK) {
        cli_report_status("the mean-predictor guard", st, NULL);
        return CLI_DATA_ERROR;
    }
    return CLI_OK;
}
