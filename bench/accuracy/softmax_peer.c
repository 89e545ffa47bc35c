/* Accuracy benchmark peer: the library's softmax regression alone (lib/train/softmax_fit.c),
 * inputs standardised on the training split, the L2 penalty picked by 5-fold
 * cross-validation (lib/data/kfold.c) on the held-out cross-entropy: what the linear
 * candidate of model selection would give. Classification sets only.
 *
 * Usage: acc-softmax TRAIN.num TEST.num
 * Prints the class index of each test record; the penalty chosen on stderr. */
#include "mlp_internal.h"
#include "num_table.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FOLDS 5
static const double PENALTIES[] = {1e-5, 1e-4, 1e-3, 1e-2, 1e-1};
#define N_PENALTIES (sizeof PENALTIES / sizeof PENALTIES[0])

/* Standardised inputs (train statistics) and one-hot targets as floats. */
static void prepare(const num_table *t, const double *mean, const double *sd, float *x,
                    float *y)
{
    size_t d = t->inputs, k = t->classes;
    for (size_t i = 0; i < t->rows; i++) {
        for (size_t j = 0; j < d; j++) x[i * d + j] = (float)((t->x[i * d + j] - mean[j]) / sd[j]);
        if (!y) continue;
        for (size_t c = 0; c < k; c++) y[i * k + c] = (size_t)t->y[i] == c ? 1.0f : 0.0f;
    }
}

/* Class scores x W' + b of one record. */
static void scores(const double *theta, const float *x, size_t d, size_t k, double *z)
{
    for (size_t c = 0; c < k; c++) {
        z[c] = theta[k * d + c];
        for (size_t j = 0; j < d; j++) z[c] += theta[c * d + j] * x[j];
    }
}

/* Held-out cross-entropy of penalty l2 over the folds. */
static double cv_loss(const float *x, const float *y, size_t n, size_t d, size_t k, double l2,
                      const size_t *idx, const size_t *start)
{
    float *xt = malloc(n * d * sizeof *xt), *yt = malloc(n * k * sizeof *yt);
    double *theta = malloc(k * (d + 1) * sizeof *theta), *z = malloc(k * sizeof *z), loss = 0;
    for (size_t f = 0; f < FOLDS; f++) {
        size_t m = 0;
        for (size_t g = 0; g < FOLDS; g++)
            for (size_t i = start[g]; g != f && i < start[g + 1]; i++, m++) {
                memcpy(xt + m * d, x + idx[i] * d, d * sizeof *xt);
                memcpy(yt + m * k, y + idx[i] * k, k * sizeof *yt);
            }
        mlp_softmax_fit_info info;
        if (mlp_softmax_fit(xt, yt, m, d, k, l2, MLP_SOFTMAX_FIT_MAX_ITER, MLP_SOFTMAX_FIT_TOL,
                            theta, &info) != MLP_OK)
            return INFINITY;
        for (size_t i = start[f]; i < start[f + 1]; i++) {
            scores(theta, x + idx[i] * d, d, k, z);
            double top = z[0], sum = 0;
            for (size_t c = 1; c < k; c++) top = z[c] > top ? z[c] : top;
            for (size_t c = 0; c < k; c++) sum += exp(z[c] - top);
            for (size_t c = 0; c < k; c++)
                if (y[idx[i] * k + c] > 0) loss -= z[c] - top - log(sum);
        }
    }
    free(xt), free(yt), free(theta), free(z);
    return loss / (double)n;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: acc-softmax TRAIN.num TEST.num\n");
        return 2;
    }
    num_table tr, te;
    if (num_table_read(argv[1], &tr) != 0 || num_table_read(argv[2], &te) != 0) return 1;
    if (tr.classes < 2) {
        fprintf(stderr, "acc-softmax: classification sets only\n");
        return 1;
    }
    size_t n = tr.rows, d = tr.inputs, k = tr.classes;
    double *mean = calloc(d, sizeof *mean), *sd = calloc(d, sizeof *sd);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < d; j++) mean[j] += tr.x[i * d + j] / (double)n;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < d; j++) sd[j] += pow(tr.x[i * d + j] - mean[j], 2) / (double)n;
    for (size_t j = 0; j < d; j++) sd[j] = sd[j] > 0 ? sqrt(sd[j]) : 1.0;
    float *x = malloc(n * d * sizeof *x), *y = malloc(n * k * sizeof *y);
    float *xe = malloc(te.rows * d * sizeof *xe);
    prepare(&tr, mean, sd, x, y);
    prepare(&te, mean, sd, xe, NULL);
    size_t *idx, *start;
    if (mlp_kfold_indices(n, FOLDS, 1, &idx, &start) != MLP_OK) return 1;
    double best = INFINITY, l2 = PENALTIES[0];
    for (size_t p = 0; p < N_PENALTIES; p++) {
        double loss = cv_loss(x, y, n, d, k, PENALTIES[p], idx, start);
        if (loss < best) best = loss, l2 = PENALTIES[p];
    }
    double *theta = malloc(k * (d + 1) * sizeof *theta), *z = malloc(k * sizeof *z);
    mlp_softmax_fit_info info;
    if (mlp_softmax_fit(x, y, n, d, k, l2, MLP_SOFTMAX_FIT_MAX_ITER, MLP_SOFTMAX_FIT_TOL, theta,
                        &info) != MLP_OK)
        return 1;
    fprintf(stderr, "acc-softmax: l2 %g (5-fold cross-entropy %.4f), %zu iterations%s\n", l2,
            best, info.iterations, info.converged ? "" : " (not converged)");
    for (size_t i = 0; i < te.rows; i++) {
        scores(theta, xe + i * d, d, k, z);
        size_t arg = 0;
        for (size_t c = 1; c < k; c++) arg = z[c] > z[arg] ? c : arg;
        printf("%zu\n", arg);
    }
    mlp_mem_free(idx), mlp_mem_free(start);
    free(mean), free(sd), free(x), free(y), free(xe), free(theta), free(z);
    num_table_free(&tr), num_table_free(&te);
    return 0;
}
