/* Per-epoch numbers kept during training, written as the --curve CSV. */
#include "cli.h"

#include <math.h>
#include <stdlib.h>

bool cli_history_push(cli_history *h, double train_loss, double test_loss, double metric)
{
    if (h->count == h->capacity) {
        size_t cap = h->capacity ? 2 * h->capacity : 32;
        double *a = realloc(h->train_loss, cap * sizeof *a);
        if (!a) return false;
        h->train_loss = a;
        a = realloc(h->test_loss, cap * sizeof *a);
        if (!a) return false;
        h->test_loss = a;
        a = realloc(h->test_metric, cap * sizeof *a);
        if (!a) return false;
        h->test_metric = a;
        h->capacity = cap;
    }
    h->train_loss[h->count] = train_loss;
    h->test_loss[h->count] = test_loss;
    h->test_metric[h->count] = metric;
    h->count++;
    return true;
}

void cli_history_free(cli_history *h)
{
    free(h->train_loss);
    free(h->test_loss);
    free(h->test_metric);
    h->train_loss = h->test_loss = h->test_metric = NULL;
    h->count = h->capacity = 0;
}

static void put_number(FILE *fp, double v)
{
    if (isfinite(v))
        fprintf(fp, ",%.6g", v);
    else
        fputs(",", fp); /* no value (no test data, or not evaluated) */
}

int cli_write_curve(const char *path, const cli_history *h)
{
    cli_atomic_file af;
    if (!cli_atomic_open(&af, path)) return CLI_DATA_ERROR;
    fprintf(af.fp, "epoch,train_loss,test_loss,%s\n", h->regress ? "test_rmse" : "test_accuracy");
    for (size_t i = 0; i < h->count; i++) {
        fprintf(af.fp, "%zu", i + 1);
        put_number(af.fp, h->train_loss[i]);
        put_number(af.fp, h->test_loss[i]);
        put_number(af.fp, h->test_metric[i]);
        fputc('\n', af.fp);
    }
    return cli_atomic_commit(&af) ? CLI_OK : CLI_DATA_ERROR;
}
