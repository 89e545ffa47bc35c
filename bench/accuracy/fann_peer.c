/* Accuracy benchmark: FANN 2.2 trained the plain way, as an experienced FANN user would:
 * in-32-out, symmetric sigmoid hidden and output layers, RPROP (FANN's default), 300
 * epochs over the whole training split; inputs and targets mapped to [-1, 1] with the
 * training split's min and max (classes one-hot as -1/+1).
 *
 * Usage: acc-fann SEED TRAIN.num TEST.num
 * Prints one prediction per test record: the outputs (regression) or the class index. */
#include "num_table.h"

#include <floatfann.h>
#include <stdio.h>
#include <stdlib.h>

#define HIDDEN 32
#define EPOCHS 300

typedef struct range {
    double lo, hi;
} range;

static float to_unit(double v, range r)
{
    return r.hi > r.lo ? (float)(2.0 * (v - r.lo) / (r.hi - r.lo) - 1.0) : 0.0f;
}

static void fit_ranges(const double *v, size_t rows, size_t cols, range *out)
{
    for (size_t j = 0; j < cols; j++) out[j] = (range){v[j], v[j]};
    for (size_t i = 0; i < rows; i++)
        for (size_t j = 0; j < cols; j++) {
            double x = v[i * cols + j];
            if (x < out[j].lo) out[j].lo = x;
            if (x > out[j].hi) out[j].hi = x;
        }
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fputs("usage: acc-fann SEED TRAIN.num TEST.num\n", stderr);
        return 2;
    }
    num_table tr, te;
    if (num_table_read(argv[2], &tr) || num_table_read(argv[3], &te)) return 1;
    size_t d = tr.inputs, k = num_table_targets(&tr);
    range *rx = malloc(d * sizeof *rx), *ry = malloc(k * sizeof *ry);
    double *y = malloc(k * sizeof *y);
    float *in = malloc(d * sizeof *in);
    if (!rx || !ry || !y || !in) return 1;
    fit_ranges(tr.x, tr.rows, d, rx);
    if (!tr.classes) fit_ranges(tr.y, tr.rows, k, ry);
    struct fann_train_data *data = fann_create_train((unsigned)tr.rows, (unsigned)d, (unsigned)k);
    struct fann *ann = fann_create_standard(3, (unsigned)d, HIDDEN, (unsigned)k);
    if (!data || !ann) return 1;
    for (size_t i = 0; i < tr.rows; i++) {
        for (size_t j = 0; j < d; j++) data->input[i][j] = to_unit(tr.x[i * d + j], rx[j]);
        num_table_target_row(&tr, i, -1, 1, y);
        for (size_t c = 0; c < k; c++)
            data->output[i][c] = tr.classes ? (float)y[c] : to_unit(y[c], ry[c]);
    }
    srand((unsigned)strtoul(argv[1], NULL, 10)); /* FANN draws its weights with rand() */
    fann_randomize_weights(ann, -0.1f, 0.1f);
    fann_set_activation_function_hidden(ann, FANN_SIGMOID_SYMMETRIC);
    fann_set_activation_function_output(ann, FANN_SIGMOID_SYMMETRIC);
    fann_set_training_algorithm(ann, FANN_TRAIN_RPROP);
    fann_train_on_data(ann, data, EPOCHS, 0, 0.0f);
    for (size_t i = 0; i < te.rows; i++) {
        for (size_t j = 0; j < d; j++) in[j] = to_unit(te.x[i * d + j], rx[j]);
        const float *o = fann_run(ann, in);
        if (tr.classes) {
            size_t best = 0;
            for (size_t c = 1; c < k; c++)
                if (o[c] > o[best]) best = c;
            printf("%zu\n", best);
            continue;
        }
        for (size_t c = 0; c < k; c++) /* back from [-1, 1] to the target's units */
            printf(c ? " %.9g" : "%.9g",
                   ry[c].lo + (o[c] + 1.0) * 0.5 * (ry[c].hi - ry[c].lo));
        putchar('\n');
    }
    fann_destroy(ann);
    fann_destroy_train(data);
    free(rx), free(ry), free(y), free(in);
    num_table_free(&tr), num_table_free(&te);
    return 0;
}
