/* `mlp train`: flags into an mlp_fit_config, the data loaded, mlp_model_fit (or _fit_table,
 * or mlp_model_resume for --resume) called, its report printed and the files written. The
 * training procedure itself (budget, split, target scaling, model selection) is the
 * library's (lib/fit/). */
#include "model_io.h"
#include "train.h"
#include "train_mpi.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const CMD = "train";

typedef struct train_run {
    train_options o;
    mlp_table *table, *test_table;   /* CSV */
    mlp_dataset *all, *test;         /* IDX, or CSV of a model saved without an encoding */
    mlp_model *model;                /* --resume: the model continued; else the fit's */
    mlp_fit_config cfg;
    mlp_fit_report rep;
    train_monitor mon;
    const char **classes;
    FILE *report; /* stdout, or stderr when an output file is `-` */
    bool mpi_said; /* --mpi: train_mpi_train reported the failure (naming the rank) */
    unsigned given; /* the options the user gave (before data-set presets) */
    mlp_table_fit_options table_options; /* the table flags, lists split into arrays */
    cli_list lists[6]; /* label, ignore, categorical, numeric, date, missing */
} train_run;

static void run_free(train_run *r)
{
    for (size_t i = 0; i < 6; i++) cli_list_free(&r->lists[i]);
    mlp_table_free(r->table);
    mlp_table_free(r->test_table);
    mlp_dataset_free(r->all);
    mlp_dataset_free(r->test);
    mlp_model_free(r->model);
    cli_history_free(&r->mon.history);
    free(r->classes);
}

static bool idx_data(const train_options *o) { return o->dataset || o->train_labels; }

static int load_named_dataset(train_run *r)
{
    const char *root = getenv("MLP_DATASETS");
    if (!root || !*root) root = "/usr/share/datasets";
    char dir[4096], img[4200], lbl[4200];
    snprintf(dir, sizeof dir, "%s/%s", root, r->o.dataset);
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        cli_error("data set '%s' not found: no directory %s%s", r->o.dataset, dir,
                  strcmp(r->o.dataset, "fashion-mnist") == 0
                      ? " (install the Debian package dataset-fashion-mnist)" : "");
        return CLI_DATA_ERROR;
    }
    size_t classes = r->model ? mlp_model_output_size(r->model) : 0;
    snprintf(img, sizeof img, "%s/train-images-idx3-ubyte.gz", dir);
    snprintf(lbl, sizeof lbl, "%s/train-labels-idx1-ubyte.gz", dir);
    int rc = cli_load_idx(img, lbl, classes, &r->all);
    if (rc != CLI_OK) return rc;
    snprintf(img, sizeof img, "%s/t10k-images-idx3-ubyte.gz", dir);
    snprintf(lbl, sizeof lbl, "%s/t10k-labels-idx1-ubyte.gz", dir);
    return cli_load_idx(img, lbl, mlp_dataset_target_size(r->all), &r->test);
}

/* CSV of a model trained before tables had an encoding (--resume only): its classes. */
static int load_plain_csv(train_run *r)
{
    const train_options *o = &r->o;
    const mlp_preprocess *pre = mlp_model_preprocess(r->model);
    cli_label_spec label = cli_label_parse(o->label);
    size_t n = 0;
    const char **fixed = NULL;
    if (mlp_preprocess_task(pre) == MLP_TASK_CLASSIFY) {
        fixed = cli_preprocess_classes(pre, &n);
        if (n > 0 && !fixed) {
            cli_error("out of memory");
            return CLI_DATA_ERROR;
        }
    }
    int rc = cli_load_csv(o->train_path, label, mlp_preprocess_task(pre), fixed, n, &r->all);
    free(fixed);
    if (rc == CLI_OK && o->test_path) {
        r->classes = cli_dataset_classes(r->all, &n);
        if (n > 0 && !r->classes) {
            cli_error("out of memory");
            return CLI_DATA_ERROR;
        }
        rc = cli_load_csv(o->test_path, label, mlp_preprocess_task(pre), r->classes, n,
                          &r->test);
    }
    return rc;
}

static int load_data(train_run *r)
{
    const train_options *o = &r->o;
    int rc;
    const char *test_name = o->test_path ? cli_input_name(o->test_path) : NULL;
    if (o->dataset) {
        rc = load_named_dataset(r);
        test_name = "test data";
    } else if (o->train_labels) {
        size_t classes = r->model ? mlp_model_output_size(r->model) : 0;
        rc = cli_load_idx(o->train_path, o->train_labels, classes, &r->all);
        if (rc == CLI_OK && o->test_path)
            rc = cli_load_idx(o->test_path, o->test_labels, mlp_dataset_target_size(r->all),
                              &r->test);
    } else if (r->model && !mlp_preprocess_encoding(mlp_model_preprocess(r->model))) {
        rc = load_plain_csv(r);
    } else { /* tables: the fit encodes them */
        rc = cli_table_load(o->train_path, &r->table);
        if (rc == CLI_OK && o->test_path) rc = cli_table_load(o->test_path, &r->test_table);
        return rc;
    }
    if (rc != CLI_OK) return rc;
    size_t in = mlp_dataset_input_size(r->all);
    if (r->test && mlp_dataset_input_size(r->test) != in) {
        cli_error("%s has %zu input features, the training data %zu", test_name,
                  mlp_dataset_input_size(r->test), in);
        return CLI_DATA_ERROR;
    }
    if (r->test && mlp_dataset_target_size(r->test) != mlp_dataset_target_size(r->all)) {
        cli_error("%s has %zu outputs, the training data %zu", test_name,
                  mlp_dataset_target_size(r->test), mlp_dataset_target_size(r->all));
        return CLI_DATA_ERROR;
    }
    if (idx_data(o) && mlp_dataset_target_size(r->all) < 2) {
        cli_error("%s: classification needs at least 2 classes, found %zu",
                  o->dataset ? o->dataset : o->train_path, mlp_dataset_target_size(r->all));
        return CLI_DATA_ERROR;
    }
    return CLI_OK;
}

/* --resume: the saved run, opened before the data (whose labels must be its classes). */
static int open_resume(train_run *r)
{
    const train_options *o = &r->o;
    if (!cli_check_input_file(o->resume)) return CLI_DATA_ERROR;
    mlp_error_detail detail = {0};
    mlp_model_info info;
    mlp_status st = mlp_model_open(&r->model, o->resume, &info, &detail);
    if (st != MLP_OK) {
        cli_report_status(o->resume, st, &detail);
        return CLI_DATA_ERROR;
    }
    if (!info.has_optimizer || !info.has_preprocess) {
        cli_error("%s: no optimizer state or preprocessing saved: it cannot be resumed",
                  o->resume);
        return CLI_DATA_ERROR;
    }
    if (info.epoch >= o->epochs) {
        cli_error("%s has already trained %zu epochs: pass --epochs above that", o->resume,
                  info.epoch);
        return CLI_USAGE_ERROR;
    }
    return CLI_OK;
}

/* --resume keeps what the saved run is made of: a flag that would change it is refused,
 * naming the saved value, rather than ignored. */
static int keeps(const char *flag, const char *what, const char *saved)
{
    return cli_usage_error(CMD, "%s: --resume keeps the saved run's %s%s%s%s; leave %s out",
                           flag, what, saved ? " (" : "", saved ? saved : "", saved ? ")" : "",
                           flag);
}

static bool same_float(double given, float saved) { return (float)given == saved; }

/* --label against the columns the model's encoding reads its labels from. */
static bool same_label(const char *spec, const mlp_table_encoding *enc)
{
    size_t k = mlp_table_encoding_label_count(enc), n = 0;
    for (const char *p = spec;; n++) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (n >= k) return false;
        const char *name = mlp_table_encoding_label_name(enc, n);
        char idx[24];
        snprintf(idx, sizeof idx, "%zu", mlp_table_encoding_label_column(enc, n));
        bool by_name = name && strlen(name) == len && strncmp(p, name, len) == 0;
        bool by_index = strlen(idx) == len && strncmp(p, idx, len) == 0;
        if (!by_name && !by_index) return false;
        if (!comma) return n + 1 == k;
        p = comma + 1;
    }
}

static int check_resume_flags(const train_run *r)
{
    const train_options *o = &r->o;
    unsigned g = r->given;
    const mlp_net *net = mlp_model_net(r->model);
    const mlp_preprocess *pre = mlp_model_preprocess(r->model);
    const mlp_optimizer_config *oc = mlp_optimizer_settings(mlp_model_optimizer(r->model));
    const mlp_table_encoding *enc = mlp_preprocess_encoding(pre);
    size_t hidden = mlp_net_layer_count(net) - 1;
    char saved[512];
    size_t used = 0;
    saved[0] = '\0';
    for (size_t i = 0; i < hidden && used < sizeof saved; i++)
        used += (size_t)snprintf(saved + used, sizeof saved - used, "%s%zu", i ? "," : "",
                                 mlp_net_size(net, i + 1));
    bool layers_same = o->n_hidden == hidden;
    for (size_t i = 0; layers_same && i < hidden; i++)
        layers_same = o->hidden[i] == mlp_net_size(net, i + 1);
    if ((g & SET_LAYERS) && !layers_same) return keeps("--layers", "hidden layers", hidden ? saved : "none");
    if ((g & SET_ACTIVATION) && hidden && o->activation != mlp_net_activation(net, 0))
        return keeps("--activation", "hidden activation",
                     cli_name(cli_activation_names, MLP_ACT_COUNT, (int)mlp_net_activation(net, 0)));
    if ((g & SET_BIAS) && o->bias != mlp_net_bias_mode(net))
        return keeps("--bias", "bias mode",
                     cli_name(cli_bias_names, MLP_BIAS_COUNT, (int)mlp_net_bias_mode(net)));
    if (g & SET_INIT) return keeps("--init", "weights", NULL);
    mlp_task task = mlp_preprocess_task(pre);
    if ((g & SET_TASK) && task != MLP_TASK_COUNT && o->task != task)
        return keeps("--task", "task", cli_name(cli_task_names, MLP_TASK_COUNT, (int)task));
    if ((g & SET_SCALE) && o->scaling != mlp_preprocess_scaling(pre))
        return keeps("--scale", "input scaling",
                     cli_name(cli_scaling_names, MLP_SCALE_COUNT, (int)mlp_preprocess_scaling(pre)));
    if (o->label && enc && !same_label(o->label, enc)) {
        used = 0;
        for (size_t i = 0; i < mlp_table_encoding_label_count(enc) && used < sizeof saved; i++) {
            const char *name = mlp_table_encoding_label_name(enc, i);
            used += (size_t)snprintf(saved + used, sizeof saved - used, "%s%s", i ? "," : "",
                                     name ? name : "?");
        }
        return keeps("--label", "label", saved);
    }
    const char *table_flags[] = {"--ignore", "--categorical", "--numeric", "--date", "--missing"};
    const char *table_values[] = {o->ignore, o->categorical, o->numeric, o->date, o->missing};
    for (size_t i = 0; i < 5; i++)
        if (table_values[i]) return keeps(table_flags[i], "column encoding", NULL);
    if (o->max_categories) return keeps("--max-categories", "column encoding", NULL);
    if ((g & SET_OPTIMIZER) && o->optimizer != oc->kind)
        return keeps("--optimizer", "optimizer",
                     cli_name(cli_optimizer_names, MLP_OPT_COUNT, (int)oc->kind));
    if ((g & SET_SCHEDULE) && o->schedule != oc->schedule)
        return keeps("--schedule", "schedule",
                     cli_name(cli_schedule_names, MLP_SCHEDULE_COUNT, (int)oc->schedule));
    const char *num_flags[] = {"--lr", "--momentum", "--weight-decay"};
    const char *num_words[] = {"learning rate", "momentum", "weight decay"};
    unsigned num_set[] = {SET_LR, SET_MOMENTUM, SET_WEIGHT_DECAY};
    double num_given[] = {o->lr, o->momentum, o->weight_decay};
    float num_saved[] = {oc->learning_rate, oc->momentum, oc->weight_decay};
    for (size_t i = 0; i < 3; i++)
        if ((g & num_set[i]) && !same_float(num_given[i], num_saved[i])) {
            snprintf(saved, sizeof saved, "%g", (double)num_saved[i]);
            return keeps(num_flags[i], num_words[i], saved);
        }
    return CLI_OK;
}

/* IDX labels are numbers; the model file carries the names Fashion-MNIST gives them. */
static const char *const fashion_mnist_classes[10] = {
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
};

/* What the fit runs on the ranks of mpirun (train_mpi.c). */
static mlp_status mpi_trainer(void *user_data, mlp_net *net, mlp_optimizer *opt,
                              const float *inputs, const float *targets, size_t count,
                              const float *val_inputs, const float *val_targets,
                              size_t val_count, const mlp_train_config *config,
                              mlp_train_result *result)
{
    train_run *r = user_data;
    train_monitor_describe(&r->mon);
    mlp_status st = train_mpi_train(net, opt, inputs, targets, count, val_inputs, val_targets,
                                    val_count, config, result, r->report);
    r->mpi_said = st != MLP_OK && st != MLP_ERR_DIVERGED; /* it named the failing rank */
    return st;
}

/* The table flags as the encoding's options, each list flag's value split into its array. */
static bool make_table_options(train_run *r)
{
    const train_options *o = &r->o;
    mlp_table_fit_options *t = &r->table_options;
    *t = mlp_table_fit_options_default();
    t->task = (o->set & SET_TASK) ? o->task : MLP_TASK_COUNT;
    t->max_categories = o->max_categories;
    const char *given[6] = {o->label, o->ignore, o->categorical, o->numeric, o->date, o->missing};
    const char *const **arrays[6] = {&t->labels, &t->ignore_columns, &t->categorical_columns,
                                     &t->numeric_columns, &t->date_columns, &t->missing_values};
    size_t *counts[6] = {&t->label_count, &t->ignore_count, &t->categorical_count,
                         &t->numeric_count, &t->date_count, &t->missing_count};
    for (size_t i = 0; i < 6; i++) {
        if (!cli_list_split(&r->lists[i], given[i])) return false;
        *arrays[i] = r->lists[i].items;
        *counts[i] = r->lists[i].count;
    }
    return true;
}

/* The flags as a fit config: what the user left unset is MLP_FIT_AUTO for tables; IDX
 * data and its presets keep the tool's fixed settings (train_options_finish). */
static void make_config(train_run *r)
{
    const train_options *o = &r->o;
    mlp_fit_config *c = &r->cfg;
    *c = mlp_fit_config_default();
    bool idx = idx_data(o);
    c->model.hidden_count = o->n_hidden;
    c->model.hidden_sizes = o->hidden;
    c->model.hidden_activation = o->activation;
    c->model.bias_mode = o->bias;
    c->model.init = o->init;
    c->model.seed = o->seed;
    c->model.task = idx || (o->set & SET_TASK) ? o->task : MLP_TASK_COUNT;
    c->model.scaling = o->scaling;
    c->model.optimizer = mlp_optimizer_config_default(o->optimizer);
    c->model.optimizer.learning_rate = (float)o->lr;
    c->model.optimizer.reduction = MLP_REDUCE_MEAN;
    c->model.optimizer.momentum = (float)o->momentum;
    c->model.optimizer.weight_decay = (float)o->weight_decay;
    c->model.optimizer.schedule = o->schedule;
    c->model.optimizer.total_epochs = 0; /* the budget's */
    c->model.optimizer.step_epochs = 0;
    c->model.optimizer.step_gamma = 0.1f;
    c->train.loss = (o->set & SET_LOSS) ? o->loss : MLP_LOSS_AUTO;
    bool fixed = idx || o->resume; /* no data-sized budget */
    c->train.epochs = fixed || (o->set & SET_EPOCHS) ? o->epochs : MLP_FIT_AUTO;
    c->train.batch_size = !idx && !(o->set & SET_BATCH) ? MLP_FIT_AUTO
                          : o->batch ? o->batch : MLP_FIT_FULL_BATCH;
    if (o->set & SET_PATIENCE)
        c->train.patience = o->patience ? o->patience : MLP_FIT_NO_EARLY_STOP;
    else /* IDX: 5 epochs with a validation split, as before */
        c->train.patience = idx && o->val_fraction > 0 ? 5 : MLP_FIT_AUTO;
    c->val_fraction = (o->set & SET_VAL) ? o->val_fraction : fixed ? 0.0 : -1.0;
    if (o->set & SET_WEIGHT_DECAY) c->cv_decay_factor = 1.0; /* the decay asked for, alone */
    c->cv_folds = (o->set & SET_FOLDS) ? (int)(o->folds < 1000000 ? o->folds : 1000000) : -1;
    c->train.dropout = (float)o->dropout;
    int threads = mlp_threads(); /* --threads, as cli_blas_start capped it */
    c->train.threads = threads < 1 ? 1 : threads > 256 ? 256 : threads;
    c->train.precision = o->precision;
    c->train.progress = train_monitor_callback;
    c->train.user_data = &r->mon;
    c->train.progress_every_batch = true; /* for the bar, and to stop soon after Ctrl-C */
    c->epoch_callback = train_monitor_epoch;
    c->epoch_user_data = &r->mon;
    c->table_options = &r->table_options;
    if (o->dataset && strcmp(o->dataset, "fashion-mnist") == 0 && r->all &&
        mlp_dataset_target_size(r->all) == 10) {
        c->class_names = fashion_mnist_classes;
        c->class_count = 10;
    }
    c->test = r->test;
    c->test_table = r->test_table;
    if (o->mpi) {
        c->trainer = mpi_trainer;
        c->trainer_data = r;
    }
}

static void monitor_init(train_run *r)
{
    train_monitor *m = &r->mon;
    m->report = &r->rep;
    m->out = r->report;
    m->tty = isatty(STDERR_FILENO);
    m->quiet = r->o.quiet;
    m->table_names[0] = r->table ? cli_input_name(r->o.train_path) : NULL;
    m->table_names[1] = r->table ? "validation split" : NULL;
    m->table_names[2] = r->test_table ? cli_input_name(r->o.test_path) : NULL;
}

/* A setting the library refuses (it names config->...) is a usage error. */
static int fit_failed(const train_run *r, mlp_status st, const mlp_error_detail *detail)
{
    if (st == MLP_ERR_DIVERGED) {
        cli_error("%s; no model written", detail->message);
        return CLI_DATA_ERROR;
    }
    bool setting = st == MLP_ERR_INVALID_ARG && strncmp(detail->message, "config->", 8) == 0;
    if (r->mpi_said) return CLI_DATA_ERROR; /* one line, from train_mpi_train */
    cli_report_status(setting ? "settings" : "training", st, detail);
    return setting ? CLI_USAGE_ERROR : CLI_DATA_ERROR;
}

static int fit(train_run *r)
{
    if (!make_table_options(r)) {
        cli_error("out of memory");
        return CLI_DATA_ERROR;
    }
    make_config(r);
    monitor_init(r);
    memset(&r->rep, 0, sizeof r->rep);
    r->rep.struct_size = sizeof r->rep;
    mlp_error_detail detail = {0};
    cli_install_interrupt_handler();
    r->mon.start = r->mon.last_draw = cli_now();
    mlp_status st;
    if (r->model && r->table)
        st = mlp_model_resume_table(r->model, r->table, &r->cfg, &r->rep, &detail);
    else if (r->model)
        st = mlp_model_resume(r->model, r->all, &r->cfg, &r->rep, &detail);
    else if (r->table)
        st = mlp_model_fit_table(&r->model, r->table, &r->cfg, &r->rep, &detail);
    else
        st = mlp_model_fit(&r->model, r->all, &r->cfg, &r->rep, &detail);
    train_monitor_clear(&r->mon);
    if (st != MLP_OK) return fit_failed(r, st, &detail);
    if (r->mon.failed) {
        cli_error("out of memory");
        return CLI_DATA_ERROR;
    }
    train_monitor_describe(&r->mon); /* when no epoch ran */
    return CLI_OK;
}

static void plot_title(const train_run *r, char *buf, size_t size)
{
    char topo[256];
    cli_topology_string(mlp_model_net(r->model), topo, sizeof topo);
    const char *data = r->o.dataset ? r->o.dataset : cli_input_name(r->o.train_path);
    const char *base = strrchr(data, '/');
    const mlp_net *net = mlp_model_net(r->model);
    /* a model chosen without optimizer state (linear, the fold nets) was trained with the
     * config's */
    const mlp_optimizer *opt = mlp_model_optimizer(r->model);
    const mlp_optimizer_config *oc = opt ? mlp_optimizer_settings(opt) : &r->cfg.model.optimizer;
    snprintf(buf, size, "%s: %s %s, %s lr %g, batch %zu", base ? base + 1 : data, topo,
             cli_name(cli_activation_names, MLP_ACT_COUNT, (int)mlp_net_activation(net, 0)),
             cli_name(cli_optimizer_names, MLP_OPT_COUNT, (int)oc->kind),
             (double)oc->learning_rate, r->rep.batch_size);
}

static bool replaced(mlp_fit_verdict v)
{
    return v != MLP_FIT_UNJUDGED && v != MLP_FIT_NET;
}

/* Why a fit has no epochs to draw (NULL: it has some): cross-validation keeps the fold nets
 * averaged, none of which is the model alone, or a model fitted without epochs. */
static const char *curve_none_why(const mlp_fit_report *rep, char *buf, size_t size)
{
    if (rep->epochs_run > 0 || rep->cv_folds == 0) return NULL;
    const char *what = rep->verdict == MLP_FIT_NET ? "its fold nets, their outputs averaged "
                                                     "(no one training run is the model)"
                       : rep->verdict == MLP_FIT_LINEAR ? "a linear model, fitted without "
                                                          "epochs"
                       : "the constant prediction";
    snprintf(buf, size, "%zu-fold cross-validation chose %s; --folds 0 trains one net on a "
             "validation split, with a curve", rep->cv_folds, what);
    return buf;
}

/* Model first (atomic in the library), then the curve and the plot (atomic here). */
static int write_outputs(train_run *r)
{
    const train_options *o = &r->o;
    if (o->out) {
        if (cli_model_save(o->out, mlp_model_net(r->model), mlp_model_preprocess(r->model),
                           mlp_model_optimizer(r->model), mlp_model_epoch(r->model)) != CLI_OK)
            return CLI_DATA_ERROR;
        fprintf(r->report, "model saved to %s\n", o->out);
    }
    r->mon.history.regress = r->rep.task == MLP_TASK_REGRESS;
    r->mon.history.best_epoch = r->rep.val_count ? r->rep.best_epoch + 1 : 0;
    char why[256];
    r->mon.history.none_why = curve_none_why(&r->rep, why, sizeof why);
    if ((o->curve || o->plot) && r->mon.history.none_why)
        fprintf(r->report, "curve: no epochs: %s\n", r->mon.history.none_why);
    else if ((o->curve || o->plot) && replaced(r->rep.verdict))
        fprintf(r->report, "curve: the epochs of the net trained, which the model selection "
                           "then replaced (see the guard line)\n");
    if (o->curve) {
        if (cli_write_curve(o->curve, &r->mon.history) != CLI_OK) return CLI_DATA_ERROR;
        fprintf(r->report, "curve written to %s\n", o->curve);
    }
    if (o->plot) {
        char title[512];
        plot_title(r, title, sizeof title);
        if (cli_write_plot(o->plot, &r->mon.history, title) != CLI_OK) return CLI_DATA_ERROR;
        fprintf(r->report, "plot written to %s\n", o->plot);
    }
    return CLI_OK;
}

/* The report's lines after training, the files, and the result: on the test data, else
 * the validation split, else the training data. */
static int report_and_write(train_run *r)
{
    const mlp_fit_report *p = &r->rep;
    for (size_t i = p->lines_before_training; i < p->line_count; i++) {
        if (strncmp(p->lines[i], "rmse per output:", 16) == 0) continue; /* with the result */
        fprintf(r->report, "%s\n", p->lines[i]);
    }
    if (!isfinite(p->train_loss)) { /* the library refuses such a fit; never save one */
        cli_error("the training loss is %g: no model written (try a smaller --lr)",
                  p->train_loss);
        return CLI_DATA_ERROR;
    }
    int rc = write_outputs(r);
    if (rc != CLI_OK) return rc;
    const char *prefix = p->test_count ? "test" : p->val_count ? "val" : "train";
    cli_metrics met = {p->test_count ? p->test_count : p->val_count ? p->val_count
                                                                    : p->train_count,
                       NAN, NAN, NAN};
    met.loss = p->test_count ? p->test_loss : p->val_count ? p->val_loss : p->train_loss;
    double metric = p->test_count ? p->test_metric : p->val_count ? p->val_metric
                                                                  : p->train_metric;
    if (p->task == MLP_TASK_CLASSIFY) met.accuracy = metric;
    else met.rmse = metric;
    if (!p->test_count)
        fprintf(r->report, "note: no test data; the result below is on the %s (%zu records)\n",
                p->val_count ? "validation split" : "training data", met.count);
    for (size_t i = p->lines_before_training; i < p->line_count; i++)
        if (strncmp(p->lines[i], "rmse per output:", 16) == 0) fprintf(r->report, "%s\n", p->lines[i]);
    cli_print_result(r->report, prefix, p->task, &met);
    fprintf(r->report, " train_seconds=%.3g\n", p->train_seconds);
    return CLI_OK;
}

/* No output overwrites an input or another output (the model may replace the one resumed
 * from); usage errors. Then each output can be written. */
static int check_outputs(const train_options *o)
{
    const char *outs[] = {o->out, o->curve, o->plot};
    const char *out_flags[] = {"--out", "--curve", "--plot"};
    const char *ins[] = {o->train_path, o->train_labels, o->test_path, o->test_labels, o->resume};
    const char *in_flags[] = {"--train", "--train-labels", "--test", "--test-labels", "--resume"};
    for (size_t i = 0; i < 3; i++) {
        if (!outs[i]) continue;
        for (size_t j = i + 1; j < 3; j++)
            if (outs[j] && cli_same_output(outs[i], outs[j]))
                return cli_usage_error(CMD, "%s and %s name the same file '%s'", out_flags[i],
                                       out_flags[j], outs[i]);
        for (size_t j = 0; j < 5; j++) {
            if (!ins[j] || (i == 0 && j == 4)) continue;
            if (strcmp(outs[i], "-") != 0 && cli_same_output(outs[i], ins[j]))
                return cli_usage_error(CMD, "%s '%s' would overwrite the %s file", out_flags[i],
                                       outs[i], in_flags[j]);
        }
    }
    for (size_t i = 0; i < 3; i++)
        if (outs[i] && !cli_check_output_path(outs[i])) return CLI_DATA_ERROR;
    return CLI_OK;
}

int cmd_train(int argc, char **argv)
{
    train_run r;
    memset(&r, 0, sizeof r);
    int rc = train_options_parse(argc, argv, &r.o);
    if (rc == -1) return CLI_OK;
    if (rc != CLI_OK) return rc;
    r.given = r.o.set;
    train_options_finish(&r.o, idx_data(&r.o));
    if (r.o.cache) { /* a numeric CSV through its binary cache: train_cache.c */
        rc = check_outputs(&r.o);
        if (rc == CLI_OK) rc = cli_blas_start(CMD, r.o.threads);
        return rc == CLI_OK ? train_cache_run(&r.o) : rc;
    }
    r.o.mpi = train_mpi_wanted(&r.o);
    if (r.o.mpi && (rc = train_mpi_start(&r.o)) != CLI_OK) return rc;
    rc = check_outputs(&r.o);
    if (rc == CLI_OK && !cli_precision_ok(r.o.precision)) rc = CLI_DATA_ERROR;
    const char *outs[] = {r.o.out, r.o.curve, r.o.plot};
    r.report = stdout;
    for (size_t i = 0; i < 3; i++)
        if (outs[i] && strcmp(outs[i], "-") == 0) r.report = stderr;
    if (rc == CLI_OK && r.o.resume) rc = open_resume(&r);
    if (rc == CLI_OK && r.o.resume) rc = check_resume_flags(&r);
    if (rc == CLI_OK) rc = load_data(&r);
    if (rc == CLI_OK) rc = cli_blas_start(CMD, r.o.threads);
    if (r.o.mpi) rc = train_mpi_agree(rc); /* one rank's failure ends them all, now */
    if (rc == CLI_OK) rc = fit(&r);
    if (rc == CLI_OK) rc = report_and_write(&r);
    if (rc == CLI_OK && cli_interrupted) rc = CLI_INTERRUPTED; /* saved, but not complete */
    run_free(&r);
    return r.o.mpi ? train_mpi_finish(rc) : rc;
}
