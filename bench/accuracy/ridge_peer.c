/* Accuracy benchmark baselines: the training mean (majority class), and ridge least squares
 * on standardised inputs with the penalty picked on the last fifth of the training split.
 *
 * Usage: acc-ridge mean|ridge TRAIN.num TEST.num
 * Prints one prediction per test record: the outputs (regression) or the class index. */
#include "num_table.h"

#include <lapacke.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Ridge weights (inputs+1 rows, k columns; the last row the intercept) fitted on records
 * [0, n) of t: standardised inputs, centred targets, (Z'Z + lambda n I) W = Z'Y. */
typedef struct ridge {
    size_t d, k;
    double *mean, *sd, *w, *bias;
} ridge;

static int ridge_fit(const num_table *t, size_t n, double lambda, ridge *r)
{
    size_t d = t->inputs, k = num_table_targets(t);
    r->d = d, r->k = k;
    r->mean = calloc(d, sizeof(double));
    r->sd = calloc(d, sizeof(double));
    r->w = calloc(d * k, sizeof(double));
    r->bias = calloc(k, sizeof(double));
    double *a = calloc(d * d, sizeof(double)), *ymean = calloc(k, sizeof(double));
    double *z = malloc(d * sizeof(double)), *y = malloc(k * sizeof(double));
    if (!r->mean || !r->sd || !r->w || !r->bias || !a || !ymean || !z || !y) return -1;
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < d; j++) r->mean[j] += t->x[i * d + j] / (double)n;
        num_table_target_row(t, i, 0, 1, y);
        for (size_t c = 0; c < k; c++) ymean[c] += y[c] / (double)n;
    }
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < d; j++) {
            double v = t->x[i * d + j] - r->mean[j];
            r->sd[j] += v * v / (double)n;
        }
    for (size_t j = 0; j < d; j++) r->sd[j] = r->sd[j] > 0 ? sqrt(r->sd[j]) : 1.0;
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < d; j++) z[j] = (t->x[i * d + j] - r->mean[j]) / r->sd[j];
        num_table_target_row(t, i, 0, 1, y);
        for (size_t j = 0; j < d; j++) {
            for (size_t l = 0; l < d; l++) a[j * d + l] += z[j] * z[l];
            for (size_t c = 0; c < k; c++) r->w[j * k + c] += z[j] * (y[c] - ymean[c]);
        }
    }
    for (size_t j = 0; j < d; j++) a[j * d + j] += lambda * (double)n + 1e-9;
    int info = LAPACKE_dposv(LAPACK_ROW_MAJOR, 'U', (lapack_int)d, (lapack_int)k, a,
                             (lapack_int)d, r->w, (lapack_int)k);
    memcpy(r->bias, ymean, k * sizeof(double));
    free(a), free(ymean), free(z), free(y);
    return info == 0 ? 0 : -1;
}

static void ridge_predict(const ridge *r, const double *x, double *out)
{
    for (size_t c = 0; c < r->k; c++) out[c] = r->bias[c];
    for (size_t j = 0; j < r->d; j++) {
        double z = (x[j] - r->mean[j]) / r->sd[j];
        for (size_t c = 0; c < r->k; c++) out[c] += z * r->w[j * r->k + c];
    }
}

static void ridge_free(ridge *r)
{
    free(r->mean), free(r->sd), free(r->w), free(r->bias);
}

/* Squared error (regression) or errors (classification) of r on records [from, to). */
static double ridge_loss(const ridge *r, const num_table *t, size_t from, size_t to)
{
    double *o = malloc(r->k * sizeof(double)), *y = malloc(r->k * sizeof(double)), s = 0;
    for (size_t i = from; i < to; i++) {
        ridge_predict(r, t->x + i * t->inputs, o);
        num_table_target_row(t, i, 0, 1, y);
        if (t->classes) {
            size_t best = 0;
            for (size_t c = 1; c < r->k; c++)
                if (o[c] > o[best]) best = c;
            s += y[best] != 1.0;
        } else {
            for (size_t c = 0; c < r->k; c++) s += (o[c] - y[c]) * (o[c] - y[c]);
        }
    }
    free(o), free(y);
    return s;
}

static void print_prediction(const num_table *t, const double *o, size_t k)
{
    if (t->classes) {
        size_t best = 0;
        for (size_t c = 1; c < k; c++)
            if (o[c] > o[best]) best = c;
        printf("%zu\n", best);
        return;
    }
    for (size_t c = 0; c < k; c++) printf(c ? " %.9g" : "%.9g", o[c]);
    putchar('\n');
}

int main(int argc, char **argv)
{
    if (argc != 4 || (strcmp(argv[1], "mean") && strcmp(argv[1], "ridge"))) {
        fputs("usage: acc-ridge mean|ridge TRAIN.num TEST.num\n", stderr);
        return 2;
    }
    num_table tr, te;
    if (num_table_read(argv[2], &tr) || num_table_read(argv[3], &te)) return 1;
    size_t k = num_table_targets(&tr);
    double *o = calloc(k, sizeof(double)), *y = malloc(k * sizeof(double));
    if (strcmp(argv[1], "mean") == 0) { /* the mean of each target: majority for one-hot */
        for (size_t i = 0; i < tr.rows; i++) {
            num_table_target_row(&tr, i, 0, 1, y);
            for (size_t c = 0; c < k; c++) o[c] += y[c] / (double)tr.rows;
        }
        for (size_t i = 0; i < te.rows; i++) print_prediction(&te, o, k);
        return 0;
    }
    static const double grid[] = {1e-6, 1e-4, 1e-3, 1e-2, 3e-2, 0.1, 0.3, 1, 3, 10};
    size_t n_fit = tr.rows - tr.rows / 5;
    double best_lambda = grid[0], best = INFINITY;
    for (size_t g = 0; g < sizeof grid / sizeof grid[0] && n_fit < tr.rows; g++) {
        ridge r;
        if (ridge_fit(&tr, n_fit, grid[g], &r) == 0) {
            double loss = ridge_loss(&r, &tr, n_fit, tr.rows);
            if (loss < best) best = loss, best_lambda = grid[g];
        }
        ridge_free(&r);
    }
    ridge r;
    if (ridge_fit(&tr, tr.rows, best_lambda, &r) != 0) {
        fputs("acc-ridge: the solve failed\n", stderr);
        return 1;
    }
    for (size_t i = 0; i < te.rows; i++) {
        ridge_predict(&r, te.x + i * te.inputs, o);
        print_prediction(&te, o, k);
    }
    fprintf(stderr, "ridge lambda %g\n", best_lambda);
    ridge_free(&r);
    free(o), free(y);
    num_table_free(&tr), num_table_free(&te);
    return 0;
}
