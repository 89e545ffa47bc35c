/* Fitting a model in one call (lib/fit/ does the work) and continuing a saved fit: the
 * handle's side, which turns the fit's net, preprocessing and optimizer into a model. */
#include "api/model_handle.h"
#include "fit/fit_internal.h"

#include <string.h>

typedef struct fit_call {
    mlp_fit_config c;
    mlp_fit_report r;
    fit_plan plan;
    fit_data d;
    fit_result res;
} fit_call;

static mlp_status start(fit_call *f, const mlp_fit_config *config, mlp_fit_report *report,
                        mlp_error_detail *detail)
{
    memset(f, 0, sizeof *f);
    fit_report_init(&f->r);
    mlp_status st = fit_report_copy_out(report, &f->r, detail); /* its size checked first */
    return st == MLP_OK ? fit_config_read(&f->c, config, detail) : st;
}

/* Folds beyond the records; patience given without a validation split to watch. */
static mlp_status check_patience(const fit_call *f, mlp_error_detail *detail)
{
    size_t p = f->c.train.patience;
    if (f->plan.folds > f->d.records)
        return mlp_fail(detail, MLP_ERR_INVALID_ARG, "config->cv_folds is %zu, and there are "
                        "%zu records: at most one fold per record", f->plan.folds,
                        f->d.records);
    if (f->plan.val_fraction > 0 || f->plan.folds || p == MLP_FIT_AUTO ||
        p == MLP_FIT_NO_EARLY_STOP)
        return MLP_OK;
    return mlp_fail(detail, MLP_ERR_INVALID_ARG, "config->train.patience is %zu, and the %zu "
                    "records are too few for a validation split (20 or more): early stopping "
                    "needs one", p, f->d.records);
}

/* Budget, report lines, the fit; the report copied out at every stage a callback sees. */
static mlp_status run(fit_call *f, mlp_fit_report *report, mlp_error_detail *detail)
{
    fit_plan_budget(&f->plan, &f->c, mlp_dataset_count(f->d.train));
    if (!f->res.net) fit_plan_describe(&f->plan, f->d.records, &f->r);
    mlp_status st = check_patience(f, detail);
    if (st != MLP_OK) return st;
    st = fit_run(&f->c, &f->plan, &f->d, &f->res, &f->r, report, detail);
    if (st == MLP_OK) st = fit_report_copy_out(report, &f->r, detail);
    return st;
}

static mlp_status wrap(fit_call *f, mlp_model **out)
{
    mlp_status st = mlp_model_create(out, f->res.net, f->res.pre, f->res.opt);
    if (st != MLP_OK) {
        mlp_net_free(f->res.net);
        mlp_preprocess_free(f->res.pre);
        mlp_optimizer_free(f->res.opt);
        return st;
    }
    (*out)->epoch = f->res.epoch;
    return MLP_OK;
}

mlp_status mlp_model_fit(mlp_model **out, const mlp_dataset *train,
                         const mlp_fit_config *config, mlp_fit_report *report,
                         mlp_error_detail *detail)
{
    if (!out || !train) return mlp_fail(detail, MLP_ERR_NULL_ARG, "%s is NULL", out ? "train" : "out");
    fit_call f;
    mlp_status st = start(&f, config, report, detail);
    if (st != MLP_OK) return st;
    fit_plan_split(&f.plan, &f.c, mlp_dataset_count(train));
    st = fit_dataset_prepare(&f.c, &f.plan, train, &f.d, detail);
    if (st == MLP_OK) st = run(&f, report, detail);
    fit_data_free(&f.d);
    return st == MLP_OK ? wrap(&f, out) : st;
}

mlp_status mlp_model_fit_table(mlp_model **out, const mlp_table *train,
                               const mlp_fit_config *config, mlp_fit_report *report,
                               mlp_error_detail *detail)
{
    if (!out || !train) return mlp_fail(detail, MLP_ERR_NULL_ARG, "%s is NULL", out ? "train" : "out");
    fit_call f;
    mlp_status st = start(&f, config, report, detail);
    if (st != MLP_OK) return st;
    if (f.c.table.task == MLP_TASK_COUNT) f.c.table.task = f.c.model.task;
    fit_plan_split(&f.plan, &f.c, mlp_table_row_count(train));
    mlp_table_encoding *enc = NULL;
    st = fit_table_prepare(&f.c, &f.plan, train, NULL, &enc, &f.d, &f.r, detail);
    if (st == MLP_OK) st = run(&f, report, detail);
    fit_data_free(&f.d);
    mlp_table_encoding_free(enc);
    if (st == MLP_OK) st = wrap(&f, out);
    if (st == MLP_OK && report) { /* the model's copy of the encoding, valid while it lives */
        f.r.encoding = mlp_preprocess_encoding((*out)->pre);
        st = fit_report_copy_out(report, &f.r, detail);
    }
    return st;
}

/* ---- continuing a saved fit */

static mlp_status resume_start(fit_call *f, mlp_model *model, const mlp_fit_config *config,
                               mlp_fit_report *report, mlp_error_detail *detail)
{
    mlp_status st = start(f, config, report, detail);
    if (st != MLP_OK) return st;
    if (!model->opt)
        return mlp_fail(detail, MLP_ERR_INVALID_ARG, "model: no optimizer state (a linear or "
                        "constant model chosen by the fit, or a model saved without one): it "
                        "cannot be resumed");
    if (f->c.train.epochs <= model->epoch)
        return mlp_fail(detail, MLP_ERR_INVALID_ARG, "config->train.epochs is %zu, and the "
                        "model has already trained %zu epochs: the total must be above that",
                        f->c.train.epochs, model->epoch);
    /* no automatic split on a resumed run: only the one asked for */
    if (f->c.val_fraction < 0) f->c.val_fraction = 0;
    f->c.cv_folds = 0; /* nor cross-validation: the saved net is the one continued */
    f->res.net = model->net;
    f->res.pre = model->pre;
    f->res.opt = model->opt;
    f->res.epoch = model->epoch;
    return MLP_OK;
}

static mlp_status resume_run(fit_call *f, mlp_model *model, mlp_fit_report *report,
                             mlp_error_detail *detail)
{
    mlp_status st = MLP_OK;
    if (mlp_dataset_input_size(f->d.train) != mlp_net_input_size(model->net) ||
        mlp_dataset_target_size(f->d.train) != mlp_net_output_size(model->net))
        st = mlp_fail(detail, MLP_ERR_DIMENSION, "train has %zu inputs and %zu targets, the "
                      "model %zu and %zu", mlp_dataset_input_size(f->d.train),
                      mlp_dataset_target_size(f->d.train), mlp_net_input_size(model->net),
                      mlp_net_output_size(model->net));
    if (st == MLP_OK) st = run(f, report, detail);
    if (st == MLP_OK) model->epoch = f->res.epoch;
    return st;
}

mlp_status mlp_model_resume(mlp_model *model, const mlp_dataset *train,
                            const mlp_fit_config *config, mlp_fit_report *report,
                            mlp_error_detail *detail)
{
    if (!model || !train)
        return mlp_fail(detail, MLP_ERR_NULL_ARG, "%s is NULL", model ? "train" : "model");
    fit_call f;
    mlp_status st = resume_start(&f, model, config, report, detail);
    if (st != MLP_OK) return st;
    fit_plan_split(&f.plan, &f.c, mlp_dataset_count(train));
    st = fit_dataset_prepare(&f.c, &f.plan, train, &f.d, detail);
    if (st == MLP_OK) st = resume_run(&f, model, report, detail);
    fit_data_free(&f.d);
    return st;
}

mlp_status mlp_model_resume_table(mlp_model *model, const mlp_table *train,
                                  const mlp_fit_config *config, mlp_fit_report *report,
                                  mlp_error_detail *detail)
{
    if (!model || !train)
        return mlp_fail(detail, MLP_ERR_NULL_ARG, "%s is NULL", model ? "train" : "model");
    const mlp_table_encoding *enc = mlp_preprocess_encoding(model->pre);
    if (!enc)
        return mlp_fail(detail, MLP_ERR_INVALID_ARG, "model: no table encoding (trained on a "
                        "data set): resume it with mlp_model_resume");
    fit_call f;
    mlp_status st = resume_start(&f, model, config, report, detail);
    if (st != MLP_OK) return st;
    fit_plan_split(&f.plan, &f.c, mlp_table_row_count(train));
    st = fit_table_prepare(&f.c, &f.plan, train, enc, NULL, &f.d, &f.r, detail);
    if (st == MLP_OK) f.r.encoding = enc;
    if (st == MLP_OK) st = resume_run(&f, model, report, detail);
    fit_data_free(&f.d);
    return st;
}
