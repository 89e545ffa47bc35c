/* The data-sized budget (chosen on bench/accuracy): a validation split with early stopping
 * from 20 records up, batch and epochs from the record count, patience from the epochs. */
#include "fit/fit_internal.h"

#include <math.h>

/* Optimizer updates the epoch budget aims at (early stopping usually ends sooner). */
#define AUTO_UPDATES 20000.0
#define AUTO_MIN_EPOCHS 50
#define AUTO_MAX_EPOCHS 2000
/* Epochs without a validation split to stop on. */
#define PLAIN_EPOCHS 20
/* Fewer records than this hold out no validation split (leave-one-out instead). */
#define MIN_SPLIT_RECORDS 20
#define AUTO_VAL_FRACTION 0.15
_Static_assert(MLP_FIT_CV_MAX_RECORDS == 2000, "the report says 2000");

void fit_plan_split(fit_plan *p, const mlp_fit_config *c, size_t records)
{
    p->val_auto = c->val_fraction < 0;
    p->loo = p->val_auto && records < MIN_SPLIT_RECORDS;
    /* Below MLP_FIT_CV_MAX_RECORDS a 15% split holds under 300 records: one accuracy
     * measured on it varies by several points, more than the candidates differ by. */
    p->folds_auto = c->cv_folds < 0;
    p->folds = c->cv_folds >= 2 ? (size_t)c->cv_folds
               : p->folds_auto && p->val_auto && !p->loo && records < MLP_FIT_CV_MAX_RECORDS
                   ? MLP_FIT_CV_FOLDS : 0;
    p->val_fraction = p->folds ? 0.0 : !p->val_auto ? c->val_fraction
                      : p->loo ? 0.0 : AUTO_VAL_FRACTION;
}

static size_t clamp(size_t v, size_t lo, size_t hi) { return v < lo ? lo : v > hi ? hi : v; }

void fit_plan_budget(fit_plan *p, const mlp_fit_config *c, size_t n)
{
    const mlp_train_config *t = &c->train;
    p->batch_auto = t->batch_size == MLP_FIT_AUTO;
    /* at least 8 updates per epoch on small tables */
    p->batch = p->batch_auto ? clamp(n / 8, 8, 32)
               : t->batch_size == MLP_FIT_FULL_BATCH ? 0 : t->batch_size;
    bool val = p->val_fraction > 0 || p->folds; /* the folds' nets stop early */
    p->epochs_auto = t->epochs == MLP_FIT_AUTO;
    if (!p->epochs_auto) {
        p->epochs = t->epochs;
    } else if (val) {
        double per_epoch = p->batch ? ceil((double)n / (double)p->batch) : 1.0;
        double e = ceil(AUTO_UPDATES / per_epoch);
        p->epochs = e < AUTO_MIN_EPOCHS ? AUTO_MIN_EPOCHS
                    : e > AUTO_MAX_EPOCHS ? AUTO_MAX_EPOCHS : (size_t)e;
    } else {
        p->epochs = PLAIN_EPOCHS;
    }
    p->schedule_epochs = p->epochs;
    p->patience_auto = t->patience == MLP_FIT_AUTO;
    p->patience = !val || t->patience == MLP_FIT_NO_EARLY_STOP ? 0
                  : p->patience_auto ? clamp(p->epochs / 10, 10, 50) : t->patience;
}

void fit_plan_describe(const fit_plan *p, size_t records, mlp_fit_report *r)
{
    bool val = p->val_fraction > 0 || p->folds;
    if (p->folds)
        fit_report_line(r, "%s: %zu-fold cross-validation over the %zu training records "
                           "chooses the model (net, linear, constant)%s",
                        p->folds_auto ? "auto" : "given", p->folds, records,
                        p->folds_auto ? " (under 2000 records a validation split is too "
                                        "small to choose by; --folds 0 holds one out)"
                                      : "");
    if (p->val_auto && p->val_fraction > 0)
        fit_report_line(r, "auto: validation split %g of the %zu training records, %s, best "
                           "epoch restored (validation fraction 0 trains on all)",
                        p->val_fraction, records,
                        p->patience ? "early stopping" : "no early stopping");
    if (p->loo)
        fit_report_line(r, "auto: %zu training records are too few to hold out a validation "
                           "split: for regression, a linear model (ridge) or the mean, "
                           "whichever leave-one-out prefers, replaces the net", records);
    if (p->batch_auto && p->epochs_auto && p->patience_auto && val) {
        fit_report_line(r, "auto: batch %zu, up to %zu epochs (about %.0f updates), patience "
                           "%zu epochs", p->batch, p->epochs, AUTO_UPDATES, p->patience);
        return;
    }
    char batch[64], stop[128];
    if (p->batch)
        snprintf(batch, sizeof batch, "batch %zu (%s)", p->batch,
                 p->batch_auto ? "auto" : "given");
    else
        snprintf(batch, sizeof batch, "full batch (given)");
    if (p->patience)
        snprintf(stop, sizeof stop, "early stopping after %zu epochs without improvement (%s)",
                 p->patience, p->patience_auto ? "auto" : "given");
    else
        snprintf(stop, sizeof stop, "no early stopping (%s)",
                 val ? "patience off" : "no validation split");
    fit_report_line(r, "budget: %s, %s%zu epochs (%s), %s%s", batch,
                    val && p->patience ? "up to " : "", p->epochs,
                    !p->epochs_auto ? "given"
                    : val ? "auto, about 20000 updates" : "default without a validation split",
                    stop, p->folds ? ", best epoch of each fold" : val ? ", best validation "
                    "epoch restored" : "");
}
