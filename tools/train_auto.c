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
    if (!(o->set & (SET_VAL | SET_EPOCHS)) && records < 20 && !o->loo_guard) {
        o->loo_guard = true;
        fprintf(report, "auto: %zu training records are too few to hold out a validation "
                        "split: for regression, a linear model (ridge) or the mean, "
                        "whichever leave-one-out prefers, replaces the net\n", records);
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

/* ---- the guard: model selection on the validation split. The trained net competes with
 * two models that need no training: a linear model of the scaled inputs fitted by ridge
 * least squares (regression), and the constant prediction of the training targets. */

/* The constant prediction of the targets of train (and of val, when not NULL): their mean
 * (regression), the class frequencies (classification). */
static double *target_means(const mlp_dataset *train, const mlp_dataset *val)
{
    size_t k = mlp_dataset_target_size(train);
    size_t n = mlp_dataset_count(train) + (val ? mlp_dataset_count(val) : 0);
    double *m = calloc(k, sizeof *m);
    if (!m) return NULL;
    const mlp_dataset *parts[] = {train, val};
    for (size_t d = 0; d < (val ? 2u : 1u); d++) {
        const float *y = mlp_dataset_targets_const(parts[d]);
        for (size_t i = 0; i < mlp_dataset_count(parts[d]); i++)
            for (size_t j = 0; j < k; j++) m[j] += y[i * k + j] / (double)n;
    }
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

/* A candidate model with its own evaluation workspace and validation metrics. */
typedef struct candidate {
    mlp_net *net;
    mlp_workspace *ws;
    cli_metrics val;
} candidate;

static void candidate_free(candidate *c)
{
    mlp_workspace_free(c->ws);
    mlp_net_free(c->net);
    memset(c, 0, sizeof *c);
}

static mlp_status candidate_evaluate(candidate *c, const mlp_dataset *val, mlp_loss loss,
                                     mlp_task task)
{
    mlp_status st = c->ws ? MLP_OK
                          : mlp_workspace_create_inference(&c->ws, c->net, CLI_EVAL_BATCH);
    if (st != MLP_OK) return st;
    return cli_evaluate(c->net, c->ws, mlp_dataset_inputs_const(val),
                        mlp_dataset_targets_const(val), mlp_dataset_count(val), loss, task,
                        &c->val);
}

/* Ridge penalties tried, per training record (the normal equations sum over records). */
static const float ridge_alphas[] = {1e-4f, 1e-3f, 1e-2f, 1e-1f, 1.0f, 10.0f};

/* The linear model (inputs -> outputs, a bias per output) with the ridge penalty that does
 * best on val; an empty candidate when none can be fitted. */
static mlp_status ridge_candidate(const mlp_dataset *train, const mlp_dataset *val,
                                  mlp_loss loss, candidate *best)
{
    memset(best, 0, sizeof *best);
    size_t sizes[] = {mlp_dataset_input_size(train), mlp_dataset_target_size(train)};
    mlp_activation lin = MLP_ACT_LINEAR;
    for (size_t a = 0; a < sizeof ridge_alphas / sizeof ridge_alphas[0]; a++) {
        candidate c = {0};
        mlp_status st = mlp_net_create(&c.net, 1, sizes, &lin, MLP_BIAS_PER_NEURON);
        if (st != MLP_OK) return st;
        size_t n = mlp_dataset_count(train);
        st = mlp_refit_output_layer(c.net, mlp_dataset_inputs_const(train),
                                    mlp_dataset_targets_const(train), n,
                                    ridge_alphas[a] * (float)n);
        if (st == MLP_ERR_NUMERICAL) { /* singular at this penalty: try the next */
            candidate_free(&c);
            continue;
        }
        if (st == MLP_OK) st = candidate_evaluate(&c, val, loss, MLP_TASK_REGRESS);
        if (st != MLP_OK) {
            candidate_free(&c);
            return st;
        }
        if (!best->net || c.val.loss < best->val.loss) {
            candidate_free(best);
            *best = c;
        } else {
            candidate_free(&c);
        }
    }
    return MLP_OK;
}

int train_guard(mlp_net **net, mlp_workspace **ws, mlp_optimizer **opt,
                const mlp_dataset *train, const mlp_dataset *val, mlp_loss loss, mlp_task task,
                FILE *report)
{
    if (!val || mlp_dataset_count(val) == 0) return CLI_OK;
    const char *constant = task == MLP_TASK_CLASSIFY ? "class frequencies" : "mean";
    candidate trained = {*net, *ws, {0}}, mean = {0}, linear = {0};
    /* Judged fitted on train alone, as the others are; kept, with the mean of all the
     * training data (train and val). */
    double *c = target_means(train, NULL), *c_all = target_means(train, val);
    mlp_status st = c && c_all ? mlp_net_clone(&mean.net, *net) : MLP_ERR_NO_MEMORY;
    size_t k = mlp_dataset_target_size(train);
    bool constant_ok = st == MLP_OK && set_constant_output(mean.net, c, k);
    if (st == MLP_OK) st = candidate_evaluate(&trained, val, loss, task);
    if (st == MLP_OK && constant_ok) st = candidate_evaluate(&mean, val, loss, task);
    if (st == MLP_OK && task == MLP_TASK_REGRESS) st = ridge_candidate(train, val, loss, &linear);
    if (st != MLP_OK) {
        free(c);
        free(c_all);
        candidate_free(&mean);
        candidate_free(&linear);
        cli_report_status("the validation guard", st, NULL);
        return CLI_DATA_ERROR;
    }
    /* The loss the net was trained for decides; a classifier must also reach the
     * majority's accuracy. Ties go to the trained net. */
    candidate *pick = &trained;
    if (linear.net && linear.val.loss < pick->val.loss) pick = &linear;
    if (constant_ok && (!(pick->val.loss <= mean.val.loss) ||
                        (task == MLP_TASK_CLASSIFY && pick->val.accuracy < mean.val.accuracy)))
        pick = &mean;
    if (pick == &trained) {
        fprintf(report, "guard: validation loss %.4g, better than predicting the training %s "
                        "(%.4g)%s", trained.val.loss, constant, mean.val.loss,
                linear.net ? "" : "\n");
        if (linear.net)
            fprintf(report, " and than a linear model (ridge, %.4g)\n", linear.val.loss);
    } else if (pick == &linear) {
        fprintf(report, "guard: a linear model of the inputs (ridge least squares) does better "
                        "on the validation split than the trained net (loss %.4g against "
                        "%.4g; the mean: %.4g): the model saved is that linear model, without "
                        "optimizer state\n", linear.val.loss, trained.val.loss, mean.val.loss);
    } else {
        fprintf(report, "guard: the trained net does worse on the validation split than the "
                        "training %s (loss %.4g against %.4g): it now predicts that constant\n",
                constant, trained.val.loss, mean.val.loss);
    }
    if (pick == &mean) { /* same topology: the optimizer state still fits */
        set_constant_output(mean.net, c_all, k);
        memcpy(mlp_net_params(*net), mlp_net_params_const(mean.net),
               mlp_param_count(*net) * sizeof(float));
    } else if (pick == &linear) { /* another net: the optimizer's state belongs to the old */
        mlp_optimizer_free(*opt);
        *opt = NULL;
        mlp_workspace_free(*ws);
        mlp_net_free(*net);
        *net = linear.net;
        *ws = linear.ws;
        linear.net = NULL;
        linear.ws = NULL;
    }
    free(c);
    free(c_all);
    candidate_free(&mean);
    candidate_free(&linear);
    return CLI_OK;
}

/* ---- tiny tables: leave-one-out between a ridge linear model and the mean */

/* Leave-one-out mean squared error of the ridge model at penalty alpha per record (or of
 * the mean, alpha < 0) on the n records of ds; NaN when a fit fails. */
static double loo_error(const mlp_dataset *ds, float alpha)
{
    size_t n = mlp_dataset_count(ds), in = mlp_dataset_input_size(ds);
    size_t k = mlp_dataset_target_size(ds);
    const float *x = mlp_dataset_inputs_const(ds), *y = mlp_dataset_targets_const(ds);
    float *xs = malloc((n - 1) * in * sizeof *xs), *ys = malloc((n - 1) * k * sizeof *ys);
    float out[64];
    size_t sizes[] = {in, k};
    mlp_activation lin = MLP_ACT_LINEAR;
    mlp_net *net = NULL;
    double sum = 0.0;
    if (!xs || !ys || k > 64 || mlp_net_create(&net, 1, sizes, &lin, MLP_BIAS_PER_NEURON) != MLP_OK)
        sum = NAN;
    for (size_t i = 0; i < n && !isnan(sum); i++) {
        for (size_t r = 0, w = 0; r < n; r++) {
            if (r == i) continue;
            memcpy(xs + w * in, x + r * in, in * sizeof *xs);
            memcpy(ys + w * k, y + r * k, k * sizeof *ys);
            w++;
        }
        if (alpha < 0) { /* the mean of the others */
            for (size_t j = 0; j < k; j++) {
                double m = 0.0;
                for (size_t r = 0; r < n - 1; r++) m += ys[r * k + j];
                out[j] = (float)(m / (double)(n - 1));
            }
        } else if (mlp_refit_output_layer(net, xs, ys, n - 1, alpha * (float)(n - 1)) == MLP_OK) {
            const float *p = mlp_net_params_const(net); /* one linear layer: W x + b */
            const float *w = p + mlp_net_weights_offset(net, 0);
            const float *b = p + mlp_net_bias_offset(net, 0);
            for (size_t j = 0; j < k; j++) {
                double v = b[j];
                for (size_t c = 0; c < in; c++) v += (double)w[j * in + c] * x[i * in + c];
                out[j] = (float)v;
            }
        } else {
            sum = NAN;
            break;
        }
        for (size_t j = 0; j < k; j++) {
            double d = (double)out[j] - y[i * k + j];
            sum += d * d / (double)(n * k);
        }
    }
    mlp_net_free(net);
    free(xs);
    free(ys);
    return sum;
}

int train_loo_guard(mlp_net **net, mlp_workspace **ws, mlp_optimizer **opt,
                    const mlp_dataset *train, mlp_task task, FILE *report)
{
    if (task != MLP_TASK_REGRESS || mlp_dataset_count(train) < 3) return CLI_OK;
    double best = loo_error(train, -1.0f), mean_err = best;
    float best_alpha = -1.0f;
    for (size_t a = 0; a < sizeof ridge_alphas / sizeof ridge_alphas[0]; a++) {
        double e = loo_error(train, ridge_alphas[a]);
        if (e < best) best = e, best_alpha = ridge_alphas[a];
    }
    if (isnan(best)) {
        cli_error("leave-one-out model selection failed (out of memory)");
        return CLI_DATA_ERROR;
    }
    /* The winner, fitted on every training record, replaces the net. */
    size_t n = mlp_dataset_count(train);
    size_t sizes[] = {mlp_dataset_input_size(train), mlp_dataset_target_size(train)};
    mlp_activation lin = MLP_ACT_LINEAR;
    mlp_net *chosen = NULL;
    mlp_workspace *chosen_ws = NULL;
    mlp_status st = mlp_net_create(&chosen, 1, sizes, &lin, MLP_BIAS_PER_NEURON);
    if (st == MLP_OK && best_alpha >= 0)
        st = mlp_refit_output_layer(chosen, mlp_dataset_inputs_const(train),
                                    mlp_dataset_targets_const(train), n, best_alpha * (float)n);
    if (st == MLP_OK && best_alpha < 0) {
        double *c = target_means(train, NULL);
        st = c && set_constant_output(chosen, c, sizes[1]) ? MLP_OK : MLP_ERR_NO_MEMORY;
        free(c);
    }
    if (st == MLP_OK) st = mlp_workspace_create_inference(&chosen_ws, chosen, CLI_EVAL_BATCH);
    if (st != MLP_OK) {
        mlp_net_free(chosen);
        cli_report_status("leave-one-out model selection", st, NULL);
        return CLI_DATA_ERROR;
    }
    if (best_alpha >= 0)
        fprintf(report, "guard: leave-one-out over the %zu training records prefers a linear "
                        "model (ridge, alpha %g; mse %.4g against %.4g for the mean): the model "
                        "saved is that linear model, not the net\n", n, best_alpha, best,
                mean_err);
    else
        fprintf(report, "guard: leave-one-out over the %zu training records prefers the mean "
                        "(mse %.4g) to a linear model: the model saved predicts the training "
                        "mean, not the net\n", n, mean_err);
    mlp_optimizer_free(*opt);
    *opt = NULL;
    mlp_workspace_free(*ws);
    mlp_net_free(*net);
    *net = chosen;
    *ws = chosen_ws;
    return CLI_OK;
}
