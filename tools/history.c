/* Per-epoch numbers kept during training, written as the --curve CSV. */
#include "cli.h"

#include <math.h>
#include <stdlib.h>

static bool grow(double **a, size_t cap)
{
    double *p = realloc(*a, cap * sizeof *p);
    if (!p) return false;
    *a = p;
    return true;
}

bool cli_history_push(cli_history *h, double train_loss, double val_loss, double val_metric,
                      double test_loss, double test_metric)
{
    if (h->count == h->capacity) {
        size_t cap = h->capacity ? 2 * h->capacity : 32;
        if (!grow(&h->train_loss, cap) || !grow(&h->val_loss, cap) ||
            !grow(&h->val_metric, cap) || !grow(&h->test_loss, cap) ||
            !grow(&h->test_metric, cap))
            return false;
        h->capacity = cap;
    }
    h->train_loss[h->count] = train_loss;
    h->val_loss[h->count] = val_loss;
    h->val_metric[h->count] = val_metric;
    h->test_loss[h->count] = test_loss;
    h->test_metric[h->count] = test_metric;
    h->count++;
    return true;
}

void cli_history_free(cli_history *h)
{
    free(h->train_loss);
    free(h->val_loss);
    free(h->val_metric);
    free(h->test_loss);
    free(h->test_metric);
    h->train_loss = h->val_loss = h->val_metric = h->test_loss = h->test_metric = NULL;
    h->count = h->capacity = 0;
}

static void put_number(FILE *fp, double v)
{
    if (isfinite(v))
        fprintf(fp, ",%.6g", v);
    else
        fputs(",", fp); /* no value (no such data, or not evaluated) */
}

int cli_write_curve(const char *path, const cli_history *h)
{
    cli_atomic_file af;
    if (!cli_atomic_open(&af, path)) return CLI_DATA_ERROR;
    const char *m = h->regress ? "rmse" : "accuracy";
    fprintf(af.fp, "epoch,train_loss,val_loss,val_%s,test_loss,test_%s\n", m, m);
    for (size_t i = 0; i < h->count; i++) {
        fprintf(af.fp, "%zu", i + 1);
        put_number(af.fp, h->train_loss[i]);
        put_number(af.fp, h->val_loss[i]);
        put_number(af.fp, h->val_metric[i]);
        put_number(af.fp, h->test_loss[i]);
        put_number(af.fp, h->test_metric[i]);
        fputc('\n', af.fp);
    }
    return cli_atomic_commit(&af) ? CLI_OK : CLI_DATA_ERROR;
}
