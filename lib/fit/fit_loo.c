/* Tables too small for a validation split (regression): a net trained on a handful of
 * records cannot be judged, so a ridge linear model or the mean, whichever has the lower
 * leave-one-out error, replaces it. */
#include "fit/fit_internal.h"

#include <math.h>
#include <string.h>

#define EVAL_BATCH 256

/* Leave-one-out mean squared error of the ridge model at penalty alpha per record (or of
 * the mean, alpha < 0) on the n records of ds; NaN when a fit fails. */
static double loo_error(const mlp_dataset *ds, float alpha)
{
    size_t n = mlp_dataset_count(ds), in = mlp_dataset_input_size(ds);
    size_t k = mlp_dataset_target_size(ds);
    const float *x = mlp_dataset_inputs_const(ds), *y = mlp_dataset_targets_const(ds);
    float *xs = mlp_mem_alloc((n - 1) * in * sizeof *xs);
    float *ys = mlp_mem_alloc((n - 1) * k * sizeof *ys);
    float *out = mlp_mem_alloc(k * sizeof *out);
    size_t sizes[] = {in, k};
    mlp_activation lin = MLP_ACT_LINEAR;
    mlp_net *net = NULL;
    double sum = 0.0;
    if (!xs || !ys || !out ||
        mlp_net_create(&net, 1, sizes, &lin, MLP_BIAS_PER_NEURON) != MLP_OK)
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
    mlp_mem_free(xs);
    mlp_mem_free(ys);
    mlp_mem_free(out);
    return sum;
}

mlp_status fit_loo(fit_model *m, const mlp_dataset *train, mlp_fit_report *r)
{
    if (mlp_dataset_count(train) < 3) return MLP_OK;
    double best = loo_error(train, -1.0f), mean_err = best;
    float best_alpha = -1.0f;
    for (size_t a = 0; a < fit_ridge_alpha_count; a++) {
        double e = loo_error(train, fit_ridge_alphas[a]);
        if (e < best) best = e, best_alpha = fit_ridge_alphas[a];
    }
    if (isnan(best)) return MLP_ERR_NO_MEMORY;
    /* The winner, fitted on every training record, replaces the net. */
    size_t n = mlp_dataset_count(train);
    size_t sizes[] = {mlp_dataset_input_size(train), mlp_dataset_target_size(train)};
    mlp_activation lin = MLP_ACT_LINEAR;
    mlp_net *chosen = NULL;
    mlp_status st = mlp_net_create(&chosen, 1, sizes, &lin, MLP_BIAS_PER_NEURON);
    if (st == MLP_OK && best_alpha >= 0)
        st = mlp_refit_output_layer(chosen, mlp_dataset_inputs_const(train),
                                    mlp_dataset_targets_const(train), n, best_alpha * (float)n);
    if (st == MLP_OK && best_alpha < 0) {
        double *c = fit_target_means(train, NULL);
        st = c && fit_set_constant_output(chosen, c, sizes[1]) ? MLP_OK : MLP_ERR_NO_MEMORY;
        mlp_mem_free(c);
    }
    if (st != MLP_OK) {
        mlp_net_free(chosen);
        return st;
    }
    st = fit_model_replace_net(m, chosen, NULL);
    if (st != MLP_OK) return st;
    r->constant_val_loss = mean_err;
    r->linear_val_loss = best_alpha >= 0 ? best : NAN;
    r->linear_alpha = best_alpha >= 0 ? best_alpha : NAN;
    r->verdict = best_alpha >= 0 ? MLP_FIT_LOO_LINEAR : MLP_FIT_LOO_CONSTANT;
    if (best_alpha >= 0)
        fit_report_line(r, "guard: leave-one-out over the %zu training records prefers a "
                           "linear model (ridge, alpha %g; mse %.4g against %.4g for the "
                           "mean): the model saved is that linear model, not the net", n,
                        (double)best_alpha, best, mean_err);
    else
        fit_report_line(r, "guard: leave-one-out over the %zu training records prefers the "
                           "mean (mse %.4g) to a linear model: the model saved predicts the "
                           "training mean, not the net", n, mean_err);
    return MLP_OK;
}
