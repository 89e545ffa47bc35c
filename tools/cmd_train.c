/* `mlp train`: load, scale, build, train, evaluate, save. */
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
    mlp_dataset *all, *train, *val, *test;
    mlp_preprocess *pre;
    mlp_net *net;
    mlp_optimizer *opt;
    mlp_workspace *eval_ws;
    train_monitor mon;
    const char **classes;
    train_tables tables; /* CSV: the encoding and its reports (data sets moved out) */
    size_t start_epoch;  /* > 0 when resuming */
    FILE *report;        /* stdout, or stderr when an output file is `-` */
    mlp_model_info resume_info;
    train_targets targets; /* regression targets standardised while training */
} train_run;

static void run_free(train_run *r)
{
    if (r->train != r->all) mlp_dataset_free(r->train);
    mlp_dataset_free(r->all);
    mlp_dataset_free(r->val);
    mlp_dataset_free(r->test);
    mlp_preprocess_free(r->pre);
    mlp_net_free(r->net);
    mlp_optimizer_free(r->opt);
    mlp_workspace_free(r->eval_ws);
    cli_history_free(&r->mon.history);
    train_targets_free(&r->targets);
    free(r->classes);
    train_tables_free(&r->tables);
}

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
    snprintf(img, sizeof img, "%s/train-images-idx3-ubyte.gz", dir);
    snprintf(lbl, sizeof lbl, "%s/train-labels-idx1-ubyte.gz", dir);
    int rc = cli_load_idx(img, lbl, 0, &r->all);
    if (rc != CLI_OK) return rc;
    snprintf(img, sizeof img, "%s/t10k-images-idx3-ubyte.gz", dir);
    snprintf(lbl, sizeof lbl, "%s/t10k-labels-idx1-ubyte.gz", dir);
    return cli_load_idx(img, lbl, mlp_dataset_target_size(r->all), &r->test);
}

/* CSV: the table encoding's splits and task (train_table.c). */
static int load_tables(train_run *r)
{
    train_tables *tt = &r->tables;
    int rc = train_tables_load(&r->o, r->pre, tt);
    if (rc != CLI_OK) return rc;
    r->all = tt->train;
    r->val = tt->val;
    r->test = tt->test;
    tt->train = tt->val = tt->test = NULL;
    r->o.task = tt->task;
    if ((r->o.set & SET_LOSS) && r->o.loss == MLP_LOSS_CROSS_ENTROPY &&
        tt->task == MLP_TASK_REGRESS) {
        cli_error("--loss ce needs classification, and the task is regression (--task "
                  "classify to change it)");
        return CLI_USAGE_ERROR;
    }
    if (!(r->o.set & SET_LOSS))
        r->o.loss = tt->task == MLP_TASK_CLASSIFY ? MLP_LOSS_CROSS_ENTROPY : MLP_LOSS_MSE;
    return CLI_OK;
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
        /* resuming: the model's classes, as eval reads the data */
        size_t classes = r->net ? mlp_net_output_size(r->net) : 0;
        rc = cli_load_idx(o->train_path, o->train_labels, classes, &r->all);
        if (rc == CLI_OK && o->test_path)
            rc = cli_load_idx(o->test_path, o->test_labels, mlp_dataset_target_size(r->all),
                              &r->test);
    } else if (!r->pre || mlp_preprocess_encoding(r->pre)) {
        rc = load_tables(r);
    } else { /* resuming a model trained before tables had an encoding */
        cli_label_spec label = cli_label_parse(o->label);
        /* Resuming, the labels must be the model's classes (a label outside them is an
         * error, as in eval), not a new list mapped onto them by sorted order. */
        size_t n = 0;
        const char **fixed = NULL;
        if (r->pre && o->task == MLP_TASK_CLASSIFY) {
            fixed = cli_preprocess_classes(r->pre, &n);
            if (n > 0 && !fixed) {
                cli_error("out of memory");
                return CLI_DATA_ERROR;
            }
        }
        rc = cli_load_csv(o->train_path, label, o->task, fixed, n, &r->all);
        free(fixed);
        if (rc == CLI_OK && o->test_path) {
            size_t n = 0;
            free(r->classes);
            r->classes = cli_dataset_classes(r->all, &n);
            if (n > 0 && !r->classes) {
                cli_error("out of memory");
                return CLI_DATA_ERROR;
            }
            rc = cli_load_csv(o->test_path, label, o->task, r->classes, n, &r->test);
        }
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
    if (o->task == MLP_TASK_CLASSIFY && mlp_dataset_target_size(r->all) < 2) {
        cli_error("%s: classification needs at least 2 classes, found %zu",
                  o->dataset ? o->dataset : o->train_path, mlp_dataset_target_size(r->all));
        return CLI_DATA_ERROR;
    }
    return CLI_OK;
}

/* IDX labels are numbers; the model file carries the names Fashion-MNIST gives them. */
static const char *const fashion_mnist_classes[10] = {
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
};

static int split_and_scale(train_run *r)
{
    const train_options *o = &r->o;
    mlp_status st = MLP_OK;
    if (!r->pre) st = mlp_preprocess_create(&r->pre, mlp_dataset_input_size(r->all));
    if (st == MLP_OK && !o->resume) st = mlp_preprocess_set_labels(r->pre, r->all, o->task);
    if (st == MLP_OK && !o->resume && o->dataset && strcmp(o->dataset, "fashion-mnist") == 0 &&
        mlp_dataset_target_size(r->all) == 10)
        st = mlp_preprocess_set_label_info(r->pre, MLP_TASK_CLASSIFY, NULL, -1, 10,
                                           fashion_mnist_classes);
    if (st == MLP_OK && !o->resume && r->tables.enc)
        st = mlp_preprocess_set_encoding(r->pre, r->tables.enc);
    if (st != MLP_OK) {
        cli_report_status("preprocessing", st, NULL);
        return CLI_DATA_ERROR;
    }
    if (o->val_fraction > 0 && !r->val) { /* tables were split before the encoding fit */
        if (mlp_dataset_count(r->all) < 2) {
            cli_error("--val-fraction: %zu record%s cannot be split", mlp_dataset_count(r->all),
                      mlp_dataset_count(r->all) == 1 ? "" : "s");
            return CLI_DATA_ERROR;
        }
        st = mlp_dataset_split(r->all, (float)o->val_fraction, o->seed, &r->train, &r->val);
        if (st != MLP_OK) {
            cli_report_status("--val-fraction", st, NULL);
            return CLI_DATA_ERROR;
        }
        if (mlp_dataset_count(r->val) == 0 || mlp_dataset_count(r->train) == 0) {
            cli_error("--val-fraction %g leaves %zu training and %zu validation records",
                      o->val_fraction, mlp_dataset_count(r->train), mlp_dataset_count(r->val));
            return CLI_DATA_ERROR;
        }
    } else {
        r->train = r->all;
    }
    /* Statistics from the training split only (or the resumed run's); the same transform
     * for every split. */
    if (!o->resume) st = mlp_preprocess_fit(r->pre, r->train, o->scaling);
    if (st == MLP_OK) st = mlp_preprocess_apply(r->pre, r->train);
    if (st == MLP_OK && r->val) st = mlp_preprocess_apply(r->pre, r->val);
    if (st == MLP_OK && r->test) st = mlp_preprocess_apply(r->pre, r->test);
    if (st != MLP_OK) {
        cli_report_status("scaling", st, NULL);
        return CLI_DATA_ERROR;
    }
    if (o->task == MLP_TASK_REGRESS && !o->resume) {
        if (train_targets_fit(&r->targets, r->train) != CLI_OK) {
            cli_error("out of memory");
            return CLI_DATA_ERROR;
        }
        train_targets_apply(&r->targets, r->train, false);
        if (r->train != r->all) train_targets_apply(&r->targets, r->all, false);
        train_targets_apply(&r->targets, r->val, false);
        train_targets_apply(&r->targets, r->test, false);
    }
    return CLI_OK;
}

/* The targets back in the data's units, the net's outputs too; then the guard. */
static int finish_model(train_run *r)
{
    if (r->targets.mean) {
        if (train_targets_fold(&r->targets, r->net) != CLI_OK) {
            cli_error("cannot fold the target scaling into this output layer");
            return CLI_DATA_ERROR;
        }
        train_targets_apply(&r->targets, r->train, true);
        if (r->train != r->all) train_targets_apply(&r->targets, r->all, true);
        train_targets_apply(&r->targets, r->val, true);
        train_targets_apply(&r->targets, r->test, true);
    }
    if (r->o.resume) return CLI_OK;
    if (r->o.loo_guard && !r->val)
        return train_loo_guard(&r->net, &r->eval_ws, &r->opt, r->train, r->o.task, r->report);
    return train_guard(&r->net, &r->eval_ws, &r->opt, r->train, r->val, r->o.loss, r->o.task,
                       r->report);
}

/* --resume: the net, optimizer and preprocessing of a saved run, loaded before the data
 * (whose labels must be the model's classes). */
static int open_resume(train_run *r)
{
    const train_options *o = &r->o;
    cli_model m;
    int rc = cli_model_load(o->resume, true, &m);
    if (rc != CLI_OK) return rc;
    if (!m.opt || !m.pre) {
        cli_error("%s: no optimizer state or preprocessing saved: it cannot be resumed",
                  o->resume);
        cli_model_free(&m);
        return CLI_DATA_ERROR;
    }
    if (m.info.epoch >= o->epochs) {
        cli_error("%s has already trained %zu epochs: pass --epochs above that", o->resume,
                  m.info.epoch);
        cli_model_free(&m);
        return CLI_USAGE_ERROR;
    }
    r->net = m.net;
    r->opt = m.opt;
    r->pre = m.pre;
    r->start_epoch = m.info.epoch;
    r->resume_info = m.info;
    return CLI_OK;
}

/* The resumed net fits the data. */
static int check_resume(train_run *r)
{
    cli_model m = {r->net, r->pre, r->opt, r->resume_info};
    return cli_model_check_sizes(&m, r->o.resume, mlp_dataset_input_size(r->all),
                                 mlp_dataset_target_size(r->all)) ? CLI_OK : CLI_DATA_ERROR;
}

static mlp_activation output_activation(const train_options *o)
{
    if (o->task == MLP_TASK_REGRESS) return MLP_ACT_LINEAR;
    return o->loss == MLP_LOSS_CROSS_ENTROPY ? MLP_ACT_SOFTMAX : MLP_ACT_SIGMOID;
}

static int build(train_run *r)
{
    const train_options *o = &r->o;
    if (o->resume) { /* net and optimizer came from the file */
        mlp_status st = mlp_workspace_create_inference(&r->eval_ws, r->net, CLI_EVAL_BATCH);
        if (st != MLP_OK) cli_report_status("workspace", st, NULL);
        return st == MLP_OK ? CLI_OK : CLI_DATA_ERROR;
    }
    size_t sizes[CLI_MAX_HIDDEN + 2];
    mlp_activation acts[CLI_MAX_HIDDEN + 1];
    size_t L = o->n_hidden + 1;
    sizes[0] = mlp_dataset_input_size(r->train);
    for (size_t i = 0; i < o->n_hidden; i++) {
        sizes[i + 1] = o->hidden[i];
        acts[i] = o->activation;
    }
    sizes[L] = mlp_dataset_target_size(r->train);
    acts[L - 1] = output_activation(o);
    mlp_status st = mlp_net_create(&r->net, L, sizes, acts, o->bias);
    if (st == MLP_OK) st = mlp_net_init(r->net, o->init, o->seed);
    if (st != MLP_OK) {
        cli_report_status("creating the network", st, NULL);
        return CLI_DATA_ERROR;
    }
    mlp_optimizer_config cfg = mlp_optimizer_config_default(o->optimizer);
    cfg.learning_rate = (float)o->lr;
    cfg.reduction = MLP_REDUCE_MEAN;
    cfg.momentum = (float)o->momentum;
    cfg.weight_decay = (float)o->weight_decay;
    cfg.schedule = o->schedule;
    cfg.total_epochs = o->epochs;
    cfg.step_epochs = o->epochs >= 3 ? o->epochs / 3 : 1;
    cfg.step_gamma = 0.1f;
    st = mlp_optimizer_create(&r->opt, r->net, &cfg);
    if (st == MLP_OK) st = mlp_workspace_create_inference(&r->eval_ws, r->net, CLI_EVAL_BATCH);
    if (st != MLP_OK) {
        cli_report_status("creating the optimizer", st, NULL);
        return CLI_DATA_ERROR;
    }
    return CLI_OK;
}

static void describe(const train_run *r, FILE *fp)
{
    const train_options *o = &r->o;
    char topo[512];
    cli_topology_string(r->net, topo, sizeof topo);
    train_tables_print(&r->tables, fp);
    fprintf(fp, "data: %zu training records", mlp_dataset_count(r->train));
    if (r->val) fprintf(fp, ", %zu validation", mlp_dataset_count(r->val));
    if (r->test) fprintf(fp, ", %zu test", mlp_dataset_count(r->test));
    fprintf(fp, "; %zu features (%s scaling)", mlp_dataset_input_size(r->train),
            cli_name(cli_scaling_names, MLP_SCALE_COUNT, (int)o->scaling));
    if (o->task == MLP_TASK_CLASSIFY)
        fprintf(fp, ", %zu classes\n", mlp_dataset_target_size(r->train));
    else
        fputs(", regression\n", fp);
    fprintf(fp, "net: %s, %s hidden, %s output, %s loss, %zu parameters\n", topo,
            cli_name(cli_activation_names, MLP_ACT_COUNT, (int)o->activation),
            cli_name(cli_activation_names, MLP_ACT_COUNT, (int)output_activation(o)),
            cli_name(cli_loss_names, MLP_LOSS_COUNT, (int)o->loss), mlp_param_count(r->net));
    fprintf(fp, "training: %s lr %g (%s), weight decay %g, batch %zu, %zu epochs, dropout %g, "
                "seed %llu\n",
            cli_name(cli_optimizer_names, MLP_OPT_COUNT, (int)o->optimizer), o->lr,
            cli_name(cli_schedule_names, MLP_SCHEDULE_COUNT, (int)o->schedule),
            o->weight_decay, o->batch, o->epochs, o->dropout, (unsigned long long)o->seed);
    fflush(fp);
}

static void plot_title(const train_run *r, char *buf, size_t size)
{
    char topo[256];
    cli_topology_string(r->net, topo, sizeof topo);
    const char *data = r->o.dataset ? r->o.dataset : cli_input_name(r->o.train_path);
    const char *base = strrchr(data, '/');
    snprintf(buf, size, "%s: %s %s, %s lr %g, batch %zu", base ? base + 1 : data, topo,
             cli_name(cli_activation_names, MLP_ACT_COUNT, (int)r->o.activation),
             cli_name(cli_optimizer_names, MLP_OPT_COUNT, (int)r->o.optimizer), r->o.lr,
             r->o.batch);
}

static void monitor_init(train_run *r)
{
    const train_options *o = &r->o;
    train_monitor *m = &r->mon;
    m->net = r->net;
    m->task = o->task;
    m->loss = o->loss;
    m->eval_ws = r->eval_ws;
    m->has_val = r->val != NULL;
    m->tty = isatty(STDERR_FILENO);
    m->quiet = o->quiet;
    m->train_count = mlp_dataset_count(r->train);
    m->history.regress = o->task == MLP_TASK_REGRESS;
    /* Per-epoch test evaluation when cheap next to an epoch of training (forward only,
     * so up to twice the training records). */
    if (r->test && mlp_dataset_count(r->test) <= 2 * mlp_dataset_count(r->train)) {
        m->eval_inputs = mlp_dataset_inputs_const(r->test);
        m->eval_targets = mlp_dataset_targets_const(r->test);
        m->eval_count = mlp_dataset_count(r->test);
        m->history.test_name = "test";
    } else if (r->val) {
        m->history.test_name = "validation";
    }
}

/* Runs mlp_train; *seconds is its time less the monitor's own test evaluations. */
static int run_training(train_run *r, mlp_train_result *res, double *seconds)
{
    const train_options *o = &r->o;
    train_monitor *m = &r->mon;
    mlp_train_config cfg = mlp_train_config_default();
    cfg.loss = o->loss;
    cfg.epochs = o->epochs;
    cfg.start_epoch = r->start_epoch;
    /* One-record SGD splits large layers across this many threads (it calls no BLAS then). */
    int threads = mlp_get_threads(); /* --threads, as cli_blas_start capped it */
    cfg.threads = threads < 1 ? 1 : threads > 256 ? 256 : threads;
    cfg.batch_size = o->batch;
    cfg.precision = o->precision;
    cfg.shuffle = true;
    cfg.dropout = (float)o->dropout;
    cfg.dropout_seed = o->seed + 1;
    cfg.patience = o->patience;
    cfg.restore_best = true;
    cfg.progress = train_monitor_callback;
    cfg.user_data = m;
    cfg.progress_every_batch = true; /* for the bar, and to stop soon after Ctrl-C */
    /* every ~256 records: often enough for both, and rare enough that one-record SGD keeps
     * its pipelined path (each call applies the pending first-layer update first) */
    cfg.progress_interval = o->batch && o->batch < 256 ? 256 / o->batch : 1;

    cli_install_interrupt_handler();
    memset(res, 0, sizeof *res);
    m->start = m->last_draw = cli_now();
    /* --mpi: the same call, each batch split over the ranks (train_mpi.c) */
    mlp_status st = o->mpi
        ? train_mpi_train(r->net, r->opt, mlp_dataset_inputs_const(r->train),
                          mlp_dataset_targets_const(r->train), mlp_dataset_count(r->train),
                          r->val ? mlp_dataset_inputs_const(r->val) : NULL,
                          r->val ? mlp_dataset_targets_const(r->val) : NULL,
                          r->val ? mlp_dataset_count(r->val) : 0, &cfg, res, r->report)
        : mlp_train(r->net, r->opt, mlp_dataset_inputs_const(r->train),
                    mlp_dataset_targets_const(r->train), mlp_dataset_count(r->train),
                    r->val ? mlp_dataset_inputs_const(r->val) : NULL,
                    r->val ? mlp_dataset_targets_const(r->val) : NULL,
                    r->val ? mlp_dataset_count(r->val) : 0, &cfg, res);
    *seconds = cli_now() - m->start - m->eval_seconds;
    train_monitor_clear(m);
    if (st == MLP_ERR_DIVERGED) { /* exit 1, and no model: its last finite state is not a result */
        cli_error("training diverged in epoch %zu, batch %zu (a NaN or infinite loss or "
                  "parameter): try a smaller --lr or --weight-decay; no model written",
                  res->diverged_epoch + 1, res->diverged_batch + 1);
        return CLI_DATA_ERROR;
    }
    if (st != MLP_OK) {
        if (!o->mpi) /* under --mpi train_mpi_train printed the failing rank's message */
            cli_report_status("training", st, NULL);
        return CLI_DATA_ERROR;
    }
    if (m->failed) {
        cli_report_status("evaluating the test data", m->fail_status, NULL);
        return CLI_DATA_ERROR;
    }
    size_t ran = res->epochs_run > r->start_epoch ? res->epochs_run - r->start_epoch : 0;
    fprintf(r->report, "trained %zu epoch%s in %.3g s (%.3g s/epoch)", ran, ran == 1 ? "" : "s",
            *seconds, ran ? *seconds / (double)ran : 0.0);
    if (r->start_epoch) fprintf(r->report, "; resumed after epoch %zu", r->start_epoch);
    if (res->stopped_early) fprintf(r->report, "; stopped early");
    if (cli_interrupted) fprintf(r->report, "; interrupted");
    if (r->val) fprintf(r->report, "; best validation epoch %zu restored", res->best_epoch + 1);
    fputc('\n', r->report);
    if (!isfinite(res->final_train_loss))
        cli_error("warning: the training loss is not finite: try a smaller --lr");
    return CLI_OK;
}

/* Model first (atomic in the library), then the curve and the plot (atomic here). */
static int write_outputs(train_run *r, size_t epochs_run)
{
    const train_options *o = &r->o;
    if (o->out) {
        if (cli_model_save(o->out, r->net, r->pre, r->opt, epochs_run) != CLI_OK)
            return CLI_DATA_ERROR;
        fprintf(r->report, "model saved to %s\n", o->out);
    }
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

static int train_and_report(train_run *r)
{
    const train_options *o = &r->o;
    monitor_init(r);
    describe(r, r->report);
    mlp_train_result res;
    double seconds;
    int rc = run_training(r, &res, &seconds);
    if (rc == CLI_OK) rc = finish_model(r);
    if (rc != CLI_OK) return rc;

    /* Final numbers: test data, else the validation split, else the training data. */
    const mlp_dataset *eval = r->test ? r->test : r->val ? r->val : r->train;
    cli_metrics met;
    mlp_status st = cli_evaluate(r->net, r->eval_ws, mlp_dataset_inputs_const(eval),
                                 mlp_dataset_targets_const(eval), mlp_dataset_count(eval),
                                 o->loss, o->task, &met);
    if (st != MLP_OK) {
        cli_report_status("evaluation", st, NULL);
        return CLI_DATA_ERROR;
    }
    rc = write_outputs(r, res.epochs_run);
    if (rc != CLI_OK) return rc;
    if (!r->test)
        fprintf(r->report, "note: no test data; the result below is on the %s (%zu records)\n",
                r->val ? "validation split" : "training data", met.count);
    if (o->task == MLP_TASK_REGRESS && mlp_net_output_size(r->net) > 1) {
        st = cli_print_output_rmse(r->report, r->net, r->eval_ws, r->pre,
                                   mlp_dataset_inputs_const(eval),
                                   mlp_dataset_targets_const(eval), mlp_dataset_count(eval),
                                   CLI_EVAL_BATCH);
        if (st != MLP_OK) {
            cli_report_status("evaluation", st, NULL);
            return CLI_DATA_ERROR;
        }
    }
    cli_print_result(r->report, r->test ? "test" : r->val ? "val" : "train", o->task, &met);
    fprintf(r->report, " train_seconds=%.3g\n", seconds);
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
    train_options_finish(&r.o, r.o.dataset || r.o.train_labels);
    r.o.mpi = train_mpi_wanted(&r.o);
    if (r.o.mpi && (rc = train_mpi_start(&r.o)) != CLI_OK) return rc;
    rc = check_outputs(&r.o);
    if (rc == CLI_OK && !cli_precision_ok(r.o.precision)) rc = CLI_DATA_ERROR;
    const char *outs[] = {r.o.out, r.o.curve, r.o.plot};
    r.report = stdout;
    for (size_t i = 0; i < 3; i++)
        if (outs[i] && strcmp(outs[i], "-") == 0) r.report = stderr;
    if (rc == CLI_OK && r.o.resume) rc = open_resume(&r);
    if (rc == CLI_OK) rc = load_data(&r);
    if (rc == CLI_OK && r.o.resume) rc = check_resume(&r);
    if (rc == CLI_OK) train_auto_settings(&r.o, mlp_dataset_count(r.all), r.report);
    if (rc == CLI_OK) rc = split_and_scale(&r);
    if (rc == CLI_OK) rc = build(&r);
    if (rc == CLI_OK) rc = cli_blas_start(CMD, r.o.threads);
    if (r.o.mpi) rc = train_mpi_agree(rc); /* one rank's failure ends them all, now */
    if (rc == CLI_OK) rc = train_and_report(&r);
    if (rc == CLI_OK && cli_interrupted) rc = CLI_INTERRUPTED; /* saved, but not complete */
    run_free(&r);
    return r.o.mpi ? train_mpi_finish(rc) : rc;
}
