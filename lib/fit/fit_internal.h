/* Internal: fitting a model in one call (lib/fit/), the layer between the model handle
 * (lib/api/, which wraps its result in an mlp_model) and training (lib/train/). */
#ifndef MLP_FIT_INTERNAL_H
#define MLP_FIT_INTERNAL_H

#include "mlp_internal.h"

#include <stdarg.h>
#include <stdbool.h>

/* ---- fit_config.c */
/* The caller's config (NULL: defaults) read at its struct_size into *c, embedded configs
 * at theirs, and checked: INVALID_ARG with the argument and the reason. */
mlp_status fit_config_read(mlp_fit_config *c, const mlp_fit_config *given,
                           mlp_error_detail *detail);
/* The report the fit fills (full size); copied out at the caller's struct_size. */
void fit_report_init(mlp_fit_report *r);
mlp_status fit_report_copy_out(mlp_fit_report *out, const mlp_fit_report *r,
                               mlp_error_detail *detail);

/* ---- fit_budget.c: the data-sized budget (bench/accuracy chose it). */
typedef struct fit_plan {
    double val_fraction;
    bool val_auto;
    bool loo;          /* too few records to split: leave-one-out selection (regression) */
    size_t folds;      /* k-fold cross-validation instead of the split (0: none) */
    bool folds_auto;   /* chosen from the record count */
    size_t batch;      /* for mlp_train: 0 = full batch */
    bool batch_auto;
    size_t epochs;
    size_t schedule_epochs; /* the learning-rate schedule's length: the budget */
    bool epochs_auto;
    size_t patience;   /* 0: off */
    bool patience_auto;
} fit_plan;
/* The validation split from the record count (before any split). */
void fit_plan_split(fit_plan *p, const mlp_fit_config *c, size_t records);
/* Batch, epochs and patience from the training records left after the split. */
void fit_plan_budget(fit_plan *p, const mlp_fit_config *c, size_t train_records);
/* Its lines on the report ("auto: ..." / "budget: ..."). */
void fit_plan_describe(const fit_plan *p, size_t records, mlp_fit_report *r);

/* ---- fit_targets.c: regression targets standardised while training, folded after. */
typedef struct fit_targets {
    size_t k;
    double *mean, *sd; /* NULL: not in use */
} fit_targets;
/* Whether the net's output layer can take the fold; INVALID_ARG naming the setting. */
mlp_status fit_targets_check(mlp_bias_mode bias, mlp_activation output, size_t outputs,
                             mlp_error_detail *detail);
mlp_status fit_targets_fit(fit_targets *t, const mlp_dataset *train);
/* NON_FINITE when a target of part (named in the detail: "train", "validation", "test") is
 * not finite, beyond FIT_MAX_TARGET in magnitude or, given t (fitted), beyond
 * FIT_MAX_TARGET_SPREAD from the training mean; enc (may be NULL) names the column. */
#define FIT_MAX_TARGET 1e30
#define FIT_MAX_TARGET_SPREAD 1e15
mlp_status fit_targets_check_range(const mlp_dataset *ds, const char *part,
                                   const mlp_table_encoding *enc, const fit_targets *t,
                                   mlp_error_detail *detail);
/* y' = (y - mean) / sd, or back with inverse; NULL ds or unfitted t: nothing. */
void fit_targets_apply(const fit_targets *t, mlp_dataset *ds, bool inverse);
/* Output layer W, b -> sd W, sd b + mean (inverse: back to the standardised space). */
void fit_targets_fold(const fit_targets *t, mlp_net *net, bool inverse);
void fit_targets_free(fit_targets *t);

/* ---- fit_eval.c: losses and metrics in the targets' units. */
typedef struct fit_metrics {
    double loss, metric; /* metric: accuracy (classify) or RMSE (regress) */
} fit_metrics;
/* ds (inputs scaled) evaluated with net; t (may be NULL) says the targets of ds are
 * standardised and the net trains in that space: the loss is then converted back. */
mlp_status fit_evaluate(const mlp_net *net, mlp_workspace *ws, const mlp_dataset *ds,
                        mlp_loss loss, mlp_task task, const fit_targets *t, fit_metrics *out);
/* The same for each record of ds: its loss into loss_each[i] and, classifying, 1 or 0 for
 * a record classed right or wrong into hit_each[i] (NaN for regression; may be NULL). */
mlp_status fit_evaluate_records(const mlp_net *net, mlp_workspace *ws, const mlp_dataset *ds,
                                mlp_loss loss, mlp_task task, const fit_targets *t,
                                double *loss_each, double *hit_each);
/* Root mean squared error of each output on ds (net and targets in the data's units). */
mlp_status fit_output_rmse(const mlp_net *net, mlp_workspace *ws, const mlp_dataset *ds,
                           double *rmse);

/* ---- fit_select.c and fit_loo.c: which model is kept. */
typedef struct fit_model {
    mlp_net *net;
    mlp_optimizer *opt; /* NULL once a linear model replaced the net */
    mlp_workspace *ws;  /* inference workspace of net */
} fit_model;
/* net (ws: its inference workspace, NULL: one is made) replaces m's net: the old net, its
 * workspace and its optimizer (whose state belonged to it) are freed; m owns the pair on
 * MLP_OK, and on an error net (and ws) are freed and m is unchanged. */
mlp_status fit_model_replace_net(fit_model *m, mlp_net *net, mlp_workspace *ws);
/* The trained net against a linear model (ridge for regression, softmax regression for a
 * softmax classifier trained on cross-entropy) and the constant on val. */
mlp_status fit_select(fit_model *m, const mlp_dataset *train, const mlp_dataset *val,
                      mlp_loss loss, mlp_task task, mlp_fit_report *r);
/* Leave-one-out between ridge and the mean on train (regression, no validation split). */
mlp_status fit_loo(fit_model *m, const mlp_dataset *train, mlp_fit_report *r);
/* Shared by both: the constant prediction (mean targets of train, and of val when not
 * NULL) and making the net output it. */
double *fit_target_means(const mlp_dataset *train, const mlp_dataset *val);
bool fit_set_constant_output(mlp_net *net, const double *c, size_t k);
extern const float fit_ridge_alphas[];
extern const size_t fit_ridge_alpha_count;
extern const double fit_softmax_l2s[];
extern const size_t fit_softmax_l2_count;
/* Whether softmax regression is cheap enough to be a candidate on data of this shape. */
bool fit_softmax_affordable(size_t records, size_t inputs, size_t classes);
/* A one-layer linear model of train: softmax regression with L2 penalty (per record), or
 * ridge least squares with penalty (per record); NUMERICAL when singular at it. */
mlp_status fit_linear_fit(mlp_net **out, const mlp_dataset *train, bool softmax, double penalty);

/* ---- fit_net.c: the net of the config, built and trained alike for every fit and fold. */
mlp_status fit_net_create(const mlp_fit_config *c, size_t schedule_epochs, size_t inputs,
                          size_t outputs, mlp_activation output, mlp_net **net,
                          mlp_optimizer **opt, mlp_error_detail *detail);
/* The training settings from the config and plan: no callbacks, best epoch restored. */
void fit_net_train_config(const mlp_fit_config *c, const fit_plan *p, mlp_loss loss,
                          mlp_train_config *tc);
/* One training run (val may be NULL), through config->trainer when set. */
mlp_status fit_net_train(const mlp_fit_config *c, mlp_net *net, mlp_optimizer *opt,
                         const mlp_dataset *train, const mlp_dataset *val,
                         const mlp_train_config *tc, mlp_train_result *res,
                         mlp_error_detail *detail);

/* ---- fit_cv.c: model selection by k-fold cross-validation (small data). */
typedef struct fit_cv {
    size_t folds;
    size_t epochs;                     /* the final net's: mean of the folds' best counts */
    fit_metrics net, linear, constant; /* held-out loss and metric pooled over the folds */
    fit_metrics net_each[2];           /* the config's net, and the one with more decay */
    bool decay_tried;                  /* a second net, with more weight decay, was tried */
    size_t net_pick;                   /* 0: the config's net; 1: the one with more decay */
    double net_decay;                  /* the second net's (decay_tried) */
    double penalty;                    /* the linear model's, chosen on the folds; NaN: none */
    bool softmax;                      /* the linear model is softmax regression */
    mlp_fit_verdict verdict;
    bool by_accuracy;                  /* net or linear: the clearly more accurate, not the
                                        * lower loss */
    mlp_net *net_kept;                 /* verdict NET: the fold nets as one (owned) */
    size_t members;                    /* nets in net_kept: the folds, or 1 (the best) */
    double seconds;                    /* training the fold nets */
    size_t stopped_in;                 /* 1 + the fold a callback stopped (0: none) */
} fit_cv;
/* Every candidate scored on plan->folds folds of train (inputs scaled; regression targets
 * standardised by t, the losses reported in the targets' units). */
mlp_status fit_cv_run(fit_cv *cv, const mlp_fit_config *c, const fit_plan *p,
                      const mlp_dataset *train, const fit_targets *t, mlp_loss loss,
                      mlp_task task, mlp_activation output, mlp_error_detail *detail);
/* Whether the mean over the n records of a[i] - b[i] (paired held-out values) is at most
 * its standard error, taken from the records: a is not clearly above b. */
bool fit_cv_within_one_se(const double *a, const double *b, size_t n);
/* Its report lines: the fold nets trained, the verdict. */
void fit_cv_describe(const fit_cv *cv, mlp_task task, mlp_fit_report *r);
void fit_cv_free(fit_cv *cv);
/* fit_ensemble.c: k nets of one topology (bias per neuron) as one net whose outputs before
 * the output activation are the mean of theirs; INVALID_ARG when they cannot merge or the
 * merged net would exceed max_params. */
mlp_status fit_ensemble_merge(mlp_net *const *nets, size_t k, size_t max_params,
                              mlp_net **out);
/* The verdict applied to m (the net kept already in it when the net won), train in the
 * targets' units: the linear model or the constant fitted on all of it. */
mlp_status fit_cv_apply(fit_model *m, const mlp_dataset *train, const fit_cv *cv,
                        mlp_fit_report *r);

/* ---- fit_report.c */
void fit_report_line(mlp_fit_report *r, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* The lines before training: the data, the net, the training settings. */
void fit_describe(const mlp_fit_config *c, const fit_plan *p, const mlp_net *net,
                  const mlp_optimizer *opt, const mlp_preprocess *pre, mlp_task task,
                  mlp_loss loss, bool standardised, mlp_fit_report *r);
/* "trained N epochs in S s ..." from the report's fields. */
void fit_report_trained(mlp_fit_report *r, bool validated);
const char *fit_name_activation(mlp_activation a);
const char *fit_name_optimizer(mlp_optimizer_kind k);
const char *fit_name_schedule(mlp_schedule s);
const char *fit_name_scaling(mlp_scaling s);
const char *fit_name_loss(mlp_loss l);

/* ---- fit_run.c: the fit itself, on encoded data sets (raw inputs). */
typedef struct fit_data {
    mlp_dataset *train, *val, *test; /* owned by the caller; modified (scaled) in place */
    size_t records;                  /* before the split */
    const mlp_table_encoding *enc;   /* tables: the encoding fitted, copied into pre */
    mlp_task task;                   /* MLP_TASK_COUNT: from the config and data */
} fit_data;
/* What a fit made (owned by the caller once it returns OK). */
typedef struct fit_result {
    mlp_net *net;
    mlp_preprocess *pre;
    mlp_optimizer *opt;
    size_t epoch;
} fit_result;
/* A new model (res empty on entry), or continuing res's (res->net set: resume). r is
 * filled; caller (may be NULL) receives a copy before training, for the callbacks. */
mlp_status fit_run(const mlp_fit_config *c, fit_plan *plan, fit_data *d, fit_result *res,
                   mlp_fit_report *r, mlp_fit_report *caller, mlp_error_detail *detail);

/* ---- fit_data.c: the parts trained on (copies the fit scales in place). */
mlp_status fit_dataset_prepare(const mlp_fit_config *c, fit_plan *plan,
                               const mlp_dataset *train, fit_data *d, mlp_error_detail *detail);
/* Tables: split before the encoding, which is fitted on the training part. */
/* enc NULL: fits one on the training part (*fitted receives it); else encodes with it. */
mlp_status fit_table_prepare(const mlp_fit_config *c, fit_plan *plan, const mlp_table *train,
                             const mlp_table_encoding *enc, mlp_table_encoding **fitted,
                             fit_data *d, mlp_fit_report *r, mlp_error_detail *detail);
void fit_data_free(fit_data *d);

/* ---- fit_cache.c: mlp_model_fit_csv_cache's procedure (c and csv read and checked); res
 * receives the net, preprocessing, optimizer and epochs run, r the report's fields. */
mlp_status fit_csv_cache_run(const mlp_fit_config *c, const char *csv_path,
                             const char *cache_path, const mlp_csv_options *csv,
                             fit_result *res, mlp_fit_report *r, mlp_error_detail *detail);

#endif /* MLP_FIT_INTERNAL_H */
