/* A model trained on a table (mlp train --train survey-train.csv --label Sex), used from C
 * on raw text rows: the encoding fitted in training (categories, means, dates) travels in
 * the model file, so the rows go in as text, as they are.
 *   build/examples/table_predict survey.mlp
 * Without a model file it trains a small one on a table made here first. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mlp.h"

static const char *const TRAIN =
    "colour,size,when,fruit\n"
    "red,3.1,2024-09-01,apple\ngreen,3.4,2024-09-15,apple\nyellow,7.9,2024-03-01,banana\n"
    "yellow,8.3,NA,banana\nred,2.9,2024-10-02,apple\nyellow,,2024-04-11,banana\n"
    "green,3.0,2024-08-20,apple\nyellow,8.8,2024-02-14,banana\n";

/* Rows to predict, text as it comes: a missing size, an unseen colour, no label column. */
static const char *const ROWS = "size,colour,when\nNA,red,2024-09-09\n8.1,brown,2024/03/03\n";

static int fail(const char *what, mlp_status st, const mlp_error_detail *d)
{
    fprintf(stderr, "%s: %s%s%s\n", what, mlp_strerror(st), d && d->message[0] ? ": " : "",
            d ? d->message : "");
    return 1;
}

static mlp_table *table_of(const char *text, mlp_error_detail *d, mlp_status *st)
{
    mlp_table *t = NULL;
    FILE *fp = fmemopen((void *)text, strlen(text), "r");
    *st = fp ? mlp_table_open_stream(&t, fp, "text", NULL, d) : MLP_ERR_IO;
    if (fp) fclose(fp);
    return t;
}

/* Fits the encoding, builds and trains a model, attaches the encoding. */
static mlp_status train_small(mlp_model **m, mlp_error_detail *d)
{
    mlp_status st;
    mlp_table *t = table_of(TRAIN, d, &st);
    mlp_table_encoding *enc = NULL;
    mlp_dataset *ds = NULL;
    if (st == MLP_OK) st = mlp_table_encoding_fit(&enc, t, NULL, d); /* label: the last */
    if (st == MLP_OK) st = mlp_table_encode(enc, t, &ds, NULL, d);
    mlp_model_config cfg = mlp_model_config_default();
    if (st == MLP_OK) st = mlp_model_build(m, ds, &cfg);
    if (st == MLP_OK) st = mlp_model_set_encoding(*m, enc);
    mlp_train_config tc = mlp_train_config_default();
    tc.epochs = 200;
    tc.loss = MLP_LOSS_CROSS_ENTROPY;
    if (st == MLP_OK) st = mlp_model_train(*m, ds, NULL, &tc, NULL);
    mlp_dataset_free(ds);
    mlp_table_encoding_free(enc);
    mlp_table_free(t);
    return st;
}

int main(int argc, char **argv)
{
    mlp_error_detail d;
    memset(&d, 0, sizeof d);
    mlp_model *m = NULL;
    mlp_status st = argc > 1 ? mlp_model_open(&m, argv[1], NULL, &d) : train_small(&m, &d);
    if (st != MLP_OK) return fail(argc > 1 ? argv[1] : "training", st, &d);
    mlp_table *rows = NULL;
    if (argc > 2) st = mlp_table_open(&rows, argv[2], NULL, &d);
    else rows = table_of(ROWS, &d, &st);
    if (st != MLP_OK) return fail("rows", st, &d);
    size_t n = mlp_table_row_count(rows), k = mlp_model_output_size(m);
    float *out = malloc((n ? n : 1) * k * sizeof *out);
    mlp_table_report rep;
    st = out ? mlp_model_predict_table(m, rows, out, &rep, &d) : MLP_ERR_NO_MEMORY;
    if (st != MLP_OK) return fail("predicting", st, &d);
    printf("%zu rows, %zu missing cells imputed, %zu unseen categories\n", rep.rows_read,
           rep.missing_cells, rep.unseen_categories);
    for (size_t r = 0; r < n; r++) {
        size_t best = 0;
        for (size_t j = 1; j < k; j++)
            if (out[r * k + j] > out[r * k + best]) best = j;
        const char *name = mlp_model_class_name(m, best);
        printf("row %zu: %s (%.3f)\n", r + 1, name ? name : "?", (double)out[r * k + best]);
    }
    free(out);
    mlp_table_free(rows);
    mlp_model_free(m);
    return 0;
}
