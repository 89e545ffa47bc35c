/* A model built for a data set (net sized from it, scaling fitted on it) and trained on raw
 * data sets: the steps of `mlp train` as library calls. */
#include "api/model_handle.h"

#include <stdlib.h>
#include <string.h>

#define DEFAULT_HIDDEN_WIDTH 32
#define MAX_LAYERS 64

/* The default hidden layers: what bench/accuracy measured for unseen tables. */
static const size_t default_hidden[2] = {128, 64};

mlp_model_config mlp_model_config_default(void)
{
    mlp_model_config c;
    memset(&c, 0, sizeof c);
    c.struct_size = sizeof c;
    c.hidden_count = 2;
    c.hidden_sizes = default_hidden;
    c.hidden_activation = MLP_ACT_RELU;
    c.output_activation = MLP_ACT_COUNT;
    c.bias_mode = MLP_BIAS_PER_NEURON;
    c.init = MLP_INIT_AUTO;
    c.seed = 1;
    c.task = MLP_TASK_COUNT;
    c.scaling = MLP_SCALE_STANDARD;
    c.optimizer = mlp_optimizer_config_default(MLP_OPT_ADAMW);
    c.optimizer.learning_rate = 0.001f;
    c.optimizer.weight_decay = 0.3f;
    c.optimizer.reduction = MLP_REDUCE_MEAN;
    return c;
}

/* The net's topology from the data set and config; INVALID_ARG naming the field otherwise. */
static mlp_status topology(const mlp_dataset *train, const mlp_model_config *c, mlp_task task,
                           size_t *sizes, mlp_activation *acts, mlp_error_detail *d)
{
    size_t L = c->hidden_count + 1, outputs = mlp_dataset_target_size(train);
    if (c->hidden_count >= MAX_LAYERS)
        return mlp_fail(d, MLP_ERR_INVALID_ARG, "config->hidden_count is %zu: at most %d hidden "
                        "layers", c->hidden_count, MAX_LAYERS - 1);
    if (outputs == 0)
        return mlp_fail(d, MLP_ERR_INVALID_ARG, "train has no target columns (target size 0): "
                        "nothing to learn");
    if (task == MLP_TASK_CLASSIFY && outputs < 2)
        return mlp_fail(d, MLP_ERR_INVALID_ARG, "train has %zu target column for classification:"
                        " one-hot targets need 2 classes or more", outputs);
    if ((unsigned)c->hidden_activation >= MLP_ACT_COUNT)
        return mlp_fail(d, MLP_ERR_INVALID_ARG, "config->hidden_activation is %d, not an "
                        "mlp_activation", (int)c->hidden_activation);
    if ((unsigned)c->output_activation > MLP_ACT_COUNT)
        return mlp_fail(d, MLP_ERR_INVALID_ARG, "config->output_activation is %d, not an "
                        "mlp_activation (MLP_ACT_COUNT: from the task)",
                        (int)c->output_activation);
    sizes[0] = mlp_dataset_input_size(train);
    for (size_t k = 0; k < c->hidden_count; k++) {
        sizes[k + 1] = c->hidden_sizes ? c->hidden_sizes[k] : DEFAULT_HIDDEN_WIDTH;
        if (sizes[k + 1] == 0)
            return mlp_fail(d, MLP_ERR_INVALID_ARG, "config->hidden_sizes[%zu] is 0: every "
                            "hidden layer needs 1 neuron or more", k);
        acts[k] = c->hidden_activation;
    }
    sizes[L] = outputs;
    acts[L - 1] = c->output_activation != MLP_ACT_COUNT ? c->output_activation
                  : task == MLP_TASK_CLASSIFY ? MLP_ACT_SOFTMAX : MLP_ACT_LINEAR;
    return MLP_OK;
}

/* Preprocessing fitted on train with its labels. */
static mlp_status make_preprocess(mlp_preprocess **pre, const mlp_dataset *train,
                                  const mlp_model_config *c, mlp_task task,
                                  mlp_error_detail *d)
{
    mlp_status st = mlp_preprocess_create(pre, mlp_dataset_input_size(train));
    if (st == MLP_OK) st = mlp_preprocess_fit(*pre, train, c->scaling);
    if (st == MLP_ERR_NON_FINITE) {
        size_t n = mlp_dataset_count(train) * mlp_dataset_input_size(train), i = 0;
        const float *x = mlp_dataset_inputs_const(train);
        while (i < n && mlp_is_finite(x[i])) i++;
        return mlp_fail(d, st, "train's inputs hold a NaN or infinite value (record %zu, "
                        "input %zu): the scaling cannot be fitted",
                        i / mlp_dataset_input_size(train), i % mlp_dataset_input_size(train));
    }
    if (st == MLP_OK) st = mlp_preprocess_set_labels(*pre, train, task);
    if (st != MLP_OK) return mlp_fail(d, st, "preprocessing: %s", mlp_strerror(st));
    return MLP_OK;
}

/* The optimizer's message names the field of config->optimizer, not of a config of its own. */
static mlp_status make_optimizer(mlp_optimizer **opt, const mlp_net *net,
                                 const mlp_optimizer_config *oc, mlp_error_detail *d)
{
    mlp_error_detail od = {0};
    mlp_status st = mlp_optimizer_create_ex(opt, net, oc, &od);
    if (st == MLP_OK) return MLP_OK;
    const char *field = strncmp(od.message, "config->", 8) == 0 ? od.message + 8 : NULL;
    if (field) return mlp_fail(d, st, "config->optimizer.%s", field);
    return mlp_fail(d, st, "config->optimizer: %s", od.message[0] ? od.message
                                                                   : mlp_strerror(st));
}

/* The config at this library's size, and the task it asks for or the data implies. */
static mlp_status read_build_config(const mlp_dataset *train, const mlp_model_config *config,
                                    mlp_model_config *c, mlp_task *task, mlp_error_detail *d)
{
    *c = mlp_model_config_default();
    mlp_status st = config ? mlp_read_config(c, sizeof *c, config, MLP_MODEL_CONFIG_MIN_SIZE,
                                             "config", "mlp_model_config", d)
                           : MLP_OK;
    if (st != MLP_OK) return st;
    if ((unsigned)c->task > MLP_TASK_COUNT)
        return mlp_fail(d, MLP_ERR_INVALID_ARG, "config->task is %d, not an mlp_task "
                        "(MLP_TASK_COUNT: from the data set)", (int)c->task);
    if ((unsigned)c->scaling >= MLP_SCALE_COUNT)
        return mlp_fail(d, MLP_ERR_INVALID_ARG, "config->scaling is %d, not an mlp_scaling",
                        (int)c->scaling);
    if (mlp_dataset_count(train) == 0)
        return mlp_fail(d, MLP_ERR_INVALID_ARG, "train has no records");
    /* one rule: a data set with class names is classification (mlp_dataset_set_classes) */
    *task = c->task != MLP_TASK_COUNT ? c->task
            : mlp_dataset_class_count(train) ? MLP_TASK_CLASSIFY : MLP_TASK_REGRESS;
    return MLP_OK;
}

mlp_status mlp_model_build(mlp_model **out, const mlp_dataset *train,
                           const mlp_model_config *config)
{
    return mlp_model_build_ex(out, train, config, NULL);
}

mlp_status mlp_model_build_ex(mlp_model **out, const mlp_dataset *train,
                              const mlp_model_config *config, mlp_error_detail *detail)
{
    if (!out) return mlp_fail(detail, MLP_ERR_NULL_ARG, "out is NULL");
    if (!train) return mlp_fail(detail, MLP_ERR_NULL_ARG, "train is NULL");
    mlp_model_config c;
    mlp_task task = MLP_TASK_REGRESS;
    mlp_status st = read_build_config(train, config, &c, &task, detail);
    size_t sizes[MAX_LAYERS + 1];
    mlp_activation acts[MAX_LAYERS];
    if (st == MLP_OK) st = topology(train, &c, task, sizes, acts, detail);
    mlp_net *net = NULL;
    mlp_preprocess *pre = NULL;
    mlp_optimizer *opt = NULL;
    if (st == MLP_OK)
        st = mlp_net_create_ex(&net, c.hidden_count + 1, sizes, acts, c.bias_mode, detail);
    if (st == MLP_OK && (st = mlp_net_init(net, c.init, c.seed)) != MLP_OK)
        mlp_fail(detail, st, "config->init is %d, not an mlp_init", (int)c.init);
    if (st == MLP_OK) st = make_preprocess(&pre, train, &c, task, detail);
    if (st == MLP_OK) st = make_optimizer(&opt, net, &c.optimizer, detail);
    if (st == MLP_OK) st = mlp_model_create_ex(out, net, pre, opt, detail);
    if (st != MLP_OK) {
        mlp_optimizer_free(opt);
        mlp_preprocess_free(pre);
        mlp_net_free(net);
    }
    return st;
}

/* A scaled copy of ds's inputs; *copy NULL for a NULL or empty data set. */
static mlp_status scaled_copy(const mlp_model *m, const mlp_dataset *ds, float **copy)
{
    *copy = NULL;
    size_t count = ds ? mlp_dataset_count(ds) : 0, in = mlp_net_input_size(m->net);
    if (count == 0) return MLP_OK;
    size_t n;
    if (!mlp_mul_size(count, in, &n) || n > SIZE_MAX / sizeof(float)) return MLP_ERR_NO_MEMORY;
    if (!(*copy = mlp_mem_alloc(n * sizeof(float)))) return MLP_ERR_NO_MEMORY;
    memcpy(*copy, mlp_dataset_inputs_const(ds), n * sizeof(float));
    return mlp_preprocess_apply_rows(m->pre, *copy, count, in);
}

/* The data set's sizes against the net's; DIMENSION naming which. */
static mlp_status check_data(const mlp_model *m, const mlp_dataset *ds, const char *name,
                             mlp_error_detail *d)
{
    if (!ds) return MLP_OK;
    size_t in = mlp_net_input_size(m->net), out = mlp_net_output_size(m->net);
    if (mlp_dataset_input_size(ds) != in)
        return mlp_fail(d, MLP_ERR_DIMENSION, "%s has %zu inputs per record, the model %zu",
                        name, mlp_dataset_input_size(ds), in);
    if (mlp_dataset_target_size(ds) != out)
        return mlp_fail(d, MLP_ERR_DIMENSION, "%s has %zu targets per record, the model %zu "
                        "outputs", name, mlp_dataset_target_size(ds), out);
    return MLP_OK;
}

mlp_status mlp_model_train(mlp_model *model, const mlp_dataset *train, const mlp_dataset *val,
                           const mlp_train_config *config, mlp_train_result *result)
{
    return mlp_model_train_ex(model, train, val, config, result, NULL);
}

mlp_status mlp_model_train_ex(mlp_model *model, const mlp_dataset *train,
                              const mlp_dataset *val, const mlp_train_config *config,
                              mlp_train_result *result, mlp_error_detail *detail)
{
    if (!model) return mlp_fail(detail, MLP_ERR_NULL_ARG, "model is NULL");
    if (!train) return mlp_fail(detail, MLP_ERR_NULL_ARG, "train is NULL");
    if (!model->opt)
        return mlp_fail(detail, MLP_ERR_INVALID_ARG, "the model has no optimizer (it was made "
                        "to predict: mlp_model_create without one, or a file saved without)");
    if (mlp_dataset_count(train) == 0)
        return mlp_fail(detail, MLP_ERR_INVALID_ARG, "train has no records");
    mlp_status st = check_data(model, train, "train", detail);
    if (st == MLP_OK) st = check_data(model, val, "val", detail);
    if (st != MLP_OK) return st;
    mlp_model_drop_packed(model); /* of the parameters before training */
    /* mlp_train reads config at the caller's size; its default loss follows the output */
    const mlp_train_config defaults = mlp_train_config_default();
    const mlp_train_config *cfg = config ? config : &defaults;
    size_t val_count = val ? mlp_dataset_count(val) : 0;
    if (cfg->struct_size >= MLP_TRAIN_CONFIG_MIN_SIZE && cfg->patience && val_count == 0)
        return mlp_fail(detail, MLP_ERR_INVALID_ARG, "config->patience is %zu but val is %s: "
                        "early stopping needs validation data (or patience 0)", cfg->patience,
                        val ? "empty" : "NULL");
    float *x = NULL, *vx = NULL;
    st = scaled_copy(model, train, &x);
    if (st == MLP_OK) st = scaled_copy(model, val, &vx);
    if (st != MLP_OK) mlp_fail(detail, st, "no memory for the scaled copy of the inputs");
    mlp_train_result res;
    if (st == MLP_OK)
        st = mlp_train_ex(model->net, model->opt, x, mlp_dataset_targets_const(train),
                          mlp_dataset_count(train), vx,
                          vx ? mlp_dataset_targets_const(val) : NULL, vx ? val_count : 0, cfg,
                          &res, detail);
    if (st == MLP_OK) model->epoch = res.epochs_run;
    if (result && (st == MLP_OK || st == MLP_ERR_DIVERGED)) *result = res;
    mlp_mem_free(x);
    mlp_mem_free(vx);
    return st;
}
