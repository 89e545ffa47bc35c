/* Model selection on the validation split: the trained net competes with a linear model of
 * the scaled inputs (ridge least squares for regression, L2-penalised softmax regression for
 * classification) and the constant prediction of the training targets. */
#include "fit/fit_internal.h"

#include <math.h>
#include <string.h>

#define EVAL_BATCH 256

/* Ridge penalties tried, per training record (the normal equations sum over records). */
const float fit_ridge_alphas[] = {1e-4f, 1e-3f, 1e-2f, 1e-1f, 1.0f, 10.0f};
const size_t fit_ridge_alpha_count = sizeof fit_ridge_alphas / sizeof fit_ridge_alphas[0];

double *fit_target_means(const mlp_dataset *train, const mlp_dataset *val)
{
    size_t k = mlp_dataset_target_size(train);
    size_t n = mlp_dataset_count(train) + (val ? mlp_dataset_count(val) : 0);
    double *m = mlp_mem_calloc(k ? k : 1, sizeof *m);
    if (!m) return NULL;
    const mlp_dataset *parts[] = {train, val};
    for (size_t d = 0; d < (val ? 2u : 1u); d++) {
        const float *y = mlp_dataset_targets_const(parts[d]);
        for (size_t i = 0; i < mlp_dataset_count(parts[d]); i++)
            for (size_t j = 0; j < k; j++) m[j] += y[i * k + j] / (double)n;
    }
    return m;
}

/* The last layer's weights zeroed and its biases set through the output activation's
 * inverse (log for softmax, logit for sigmoid). */
bool fit_set_constant_output(mlp_net *net, const double *c, size_t k)
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

mlp_status fit_model_replace_net(fit_model *m, mlp_net *net, mlp_workspace *ws)
{
    mlp_status st = ws ? MLP_OK : mlp_workspace_create_inference(&ws, net, EVAL_BATCH);
    if (st != MLP_OK) {
        mlp_net_free(net);
        return st;
    }
    mlp_optimizer_free(m->opt);
    mlp_workspace_free(m->ws);
    mlp_net_free(m->net);
    m->opt = NULL;
    m->net = net;
    m->ws = ws;
    return MLP_OK;
}

/* A candidate model with its own evaluation workspace and validation metrics. */
typedef struct candidate {
    mlp_net *net;
    mlp_workspace *ws;
    fit_metrics val;
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
    mlp_status st = c->ws ? MLP_OK : mlp_workspace_create_inference(&c->ws, c->net, EVAL_BATCH);
    return st == MLP_OK ? fit_evaluate(c->net, c->ws, val, loss, task, NULL, &c->val) : st;
}

/* *c replaces *best when it does better on validation, or *best is empty (true); the
 * other is freed. */
static bool keep_better(candidate *best, candidate *c)
{
    if (best->net && !(c->val.loss < best->val.loss)) {
        candidate_free(c);
        return false;
    }
    candidate_free(best);
    *best = *c;
    return true;
}

/* The linear model with the ridge penalty that does best on val; an empty candidate when
 * none can be fitted. */
static mlp_status ridge_candidate(const mlp_dataset *train, const mlp_dataset *val,
                                  mlp_loss loss, candidate *best, float *best_alpha)
{
    memset(best, 0, sizeof *best);
    size_t sizes[] = {mlp_dataset_input_size(train), mlp_dataset_target_size(train)};
    mlp_activation lin = MLP_ACT_LINEAR;
    for (size_t a = 0; a < fit_ridge_alpha_count; a++) {
        candidate c = {0};
        mlp_status st = mlp_net_create(&c.net, 1, sizes, &lin, MLP_BIAS_PER_NEURON);
        if (st != MLP_OK) return st;
        size_t n = mlp_dataset_count(train);
        st = mlp_refit_output_layer(c.net, mlp_dataset_inputs_const(train),
                                    mlp_dataset_targets_const(train), n,
                                    fit_ridge_alphas[a] * (float)n);
        if (st == MLP_ERR_NUMERICAL) { /* singular at this penalty: try the next */
            candidate_free(&c);
            continue;
        }
        if (st == MLP_OK) st = candidate_evaluate(&c, val, loss, MLP_TASK_REGRESS);
        if (st != MLP_OK) {
            candidate_free(&c);
            return st;
        }
        if (keep_better(best, &c)) *best_alpha = fit_ridge_alphas[a];
    }
    return MLP_OK;
}

/* Softmax regression penalties tried: l2 multiplies |W|^2 / 2 beside the mean cross-entropy,
 * so it is already per record. */
const double fit_softmax_l2s[] = {1e-4, 1e-3, 1e-2, 1e-1};
const size_t fit_softmax_l2_count = sizeof fit_softmax_l2s / sizeof fit_softmax_l2s[0];
/* Above this many multiply-adds per pass (records x (inputs + 1) x classes) the candidate is
 * skipped: up to 500 L-BFGS steps per penalty would outlast the net's own training. */
#define SOFTMAX_MAX_WORK 2e7

bool fit_softmax_affordable(size_t records, size_t inputs, size_t classes)
{
    return (double)records * (double)(inputs + 1) * (double)classes <= SOFTMAX_MAX_WORK;
}

mlp_status fit_linear_fit(mlp_net **out, const mlp_dataset *train, bool softmax, double penalty)
{
    size_t n = mlp_dataset_count(train);
    size_t sizes[] = {mlp_dataset_input_size(train), mlp_dataset_target_size(train)};
    mlp_activation act = softmax ? MLP_ACT_SOFTMAX : MLP_ACT_LINEAR;
    mlp_softmax_fit_info info;
    mlp_status st = mlp_net_create(out, 1, sizes, &act, MLP_BIAS_PER_NEURON);
    if (st == MLP_OK && softmax)
        st = mlp_softmax_fit_net(*out, mlp_dataset_inputs_const(train),
                                 mlp_dataset_targets_const(train), n, penalty, &info);
    else if (st == MLP_OK)
        st = mlp_refit_output_layer(*out, mlp_dataset_inputs_const(train),
                                    mlp_dataset_targets_const(train), n,
                                    (float)penalty * (float)n);
    if (st != MLP_OK) {
        mlp_net_free(*out);
        *out = NULL;
    }
    return st;
}

/* The softmax regression with the penalty that does best on val; an empty candidate when
 * the data are too large for it. */
static mlp_status softmax_candidate(const mlp_dataset *train, const mlp_dataset *val,
                                    candidate *best, float *best_l2, mlp_fit_report *r)
{
    memset(best, 0, sizeof *best);
    size_t n = mlp_dataset_count(train);
    size_t sizes[] = {mlp_dataset_input_size(train), mlp_dataset_target_size(train)};
    if (!fit_softmax_affordable(n, sizes[0], sizes[1])) {
        fit_report_line(r, "guard: softmax regression not tried (%zu records x %zu inputs x "
                           "%zu classes: too large for it)", n, sizes[0], sizes[1]);
        return MLP_OK;
    }
    for (size_t a = 0; a < fit_softmax_l2_count; a++) {
        candidate c = {0};
        mlp_status st = fit_linear_fit(&c.net, train, true, fit_softmax_l2s[a]);
        if (st == MLP_OK)
            st = candidate_evaluate(&c, val, MLP_LOSS_CROSS_ENTROPY, MLP_TASK_CLASSIFY);
        if (st != MLP_OK) {
            candidate_free(&c);
            return st;
        }
        if (keep_better(best, &c)) *best_l2 = (float)fit_softmax_l2s[a];
    }
    return MLP_OK;
}

static void say(mlp_fit_report *r, const char *constant, const candidate *trained,
                const candidate *mean, const candidate *linear, bool softmax)
{
    if (r->verdict == MLP_FIT_NET && linear->net)
        fit_report_line(r, "guard: validation loss %.4g, better than predicting the training "
                           "%s (%.4g) and than a linear model (%s, %.4g)", trained->val.loss,
                        constant, mean->val.loss, softmax ? "softmax regression" : "ridge",
                        linear->val.loss);
    else if (r->verdict == MLP_FIT_NET)
        fit_report_line(r, "guard: validation loss %.4g, better than predicting the training "
                           "%s (%.4g)", trained->val.loss, constant, mean->val.loss);
    else if (r->verdict == MLP_FIT_LINEAR && softmax)
        fit_report_line(r, "guard: a linear classifier of the inputs (softmax regression, l2 "
                           "%g) does better on the validation split than the trained net "
                           "(loss %.4g against %.4g; the class frequencies: %.4g): the model "
                           "saved is that softmax regression, without optimizer state",
                        r->linear_alpha, linear->val.loss, trained->val.loss, mean->val.loss);
    else if (r->verdict == MLP_FIT_LINEAR)
        fit_report_line(r, "guard: a linear model of the inputs (ridge least squares) does "
                           "better on the validation split than the trained net (loss %.4g "
                           "against %.4g; the mean: %.4g): the model saved is that linear "
                           "model, without optimizer state", linear->val.loss,
                        trained->val.loss, mean->val.loss);
    else
        fit_report_line(r, "guard: the trained net does worse on the validation split than "
                           "the training %s (loss %.4g against %.4g): it now predicts that "
                           "constant", constant, trained->val.loss, mean->val.loss);
}

mlp_status fit_select(fit_model *m, const mlp_dataset *train, const mlp_dataset *val,
                      mlp_loss loss, mlp_task task, mlp_fit_report *r)
{
    if (!val || mlp_dataset_count(val) == 0) return MLP_OK;
    candidate trained = {m->net, m->ws, {NAN, NAN}}, mean = {0}, linear = {0};
    float alpha = NAN;
    /* Judged fitted on train alone, as the others are; kept with the mean of all the
     * training data (train and val). */
    double *c = fit_target_means(train, NULL), *c_all = fit_target_means(train, val);
    mlp_status st = c && c_all ? mlp_net_clone(&mean.net, m->net) : MLP_ERR_NO_MEMORY;
    size_t k = mlp_dataset_target_size(train);
    bool constant_ok = st == MLP_OK && fit_set_constant_output(mean.net, c, k);
    if (st == MLP_OK) st = candidate_evaluate(&trained, val, loss, task);
    if (st == MLP_OK && constant_ok) st = candidate_evaluate(&mean, val, loss, task);
    size_t last = mlp_net_layer_count(m->net) - 1;
    bool softmax = task == MLP_TASK_CLASSIFY && loss == MLP_LOSS_CROSS_ENTROPY &&
                   mlp_net_activation(m->net, last) == MLP_ACT_SOFTMAX;
    if (st == MLP_OK && task == MLP_TASK_REGRESS)
        st = ridge_candidate(train, val, loss, &linear, &alpha);
    if (st == MLP_OK && softmax) st = softmax_candidate(train, val, &linear, &alpha, r);
    if (st == MLP_OK) {
        /* The loss the net was trained for decides; a classifier must also reach the
         * majority's accuracy. Ties go to the trained net. */
        candidate *pick = &trained;
        if (linear.net && linear.val.loss < pick->val.loss) pick = &linear;
        if (constant_ok && (!(pick->val.loss <= mean.val.loss) ||
                            (task == MLP_TASK_CLASSIFY && pick->val.metric < mean.val.metric)))
            pick = &mean;
        r->net_val_loss = trained.val.loss;
        r->constant_val_loss = constant_ok ? mean.val.loss : NAN;
        r->linear_val_loss = linear.net ? linear.val.loss : NAN;
        r->linear_alpha = linear.net ? alpha : NAN;
        r->verdict = pick == &trained ? MLP_FIT_NET : pick == &linear ? MLP_FIT_LINEAR
                                                                      : MLP_FIT_CONSTANT;
        say(r, task == MLP_TASK_CLASSIFY ? "class frequencies" : "mean", &trained, &mean,
            &linear, softmax);
        if (pick == &mean) { /* same topology: the optimizer state still fits */
            fit_set_constant_output(mean.net, c_all, k);
            memcpy(mlp_net_params(m->net), mlp_net_params_const(mean.net),
                   mlp_net_param_count(m->net) * sizeof(float));
        } else if (pick == &linear) { /* another net: the optimizer's state belongs to the old */
            st = fit_model_replace_net(m, linear.net, linear.ws);
            linear.net = NULL;
            linear.ws = NULL;
        }
    }
    mlp_mem_free(c);
    mlp_mem_free(c_all);
    candidate_free(&mean);
    candidate_free(&linear);
    return st;
}
