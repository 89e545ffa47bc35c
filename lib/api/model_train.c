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

/* The net's topology from the data set and config; INVALID_ARG for impossible choices. */
static mlp_status topology(const mlp_dataset *train, const mlp_model_config *c, mlp_task task,
                           size_t *sizes, mlp_activation *acts)
{
    size_t L = c->hidden_count + 1, outputs = mlp_dataset_target_size(train);
    if (c->hidden_count >= MAX_LAYERS || outputs == 0 ||
        (task == MLP_TASK_CLASSIFY && outputs < 2) ||
        (unsigned)c->hidden_activation >= MLP_ACT_COUNT ||
        (unsigned)c->output_activation > MLP_ACT_COUNT)
        return MLP_ERR_INVALID_ARG;
    sizes[0] = mlp_dataset_input_size(train);
    for (size_t k = 0; k < c->hidden_count; k++) {
        sizes[k + 1] = c->hidden_sizes ? c->hidden_sizes[k] : DEFAULT_HIDDEN_WIDTH;
        acts[k] = c->hidden_activation;
    }
    sizes[L] = outputs;
    acts[L - 1] = c->output_activation != MLP_ACT_COUNT ? c->output_activation
                  : task == MLP_TASK_CLASSIFY ? MLP_ACT_SOFTMAX : MLP_ACT_LINEAR;
    return MLP_OK;
}

/* Preprocessing fitted on train with its labels. */
static mlp_status make_preprocess(mlp_preprocess **pre, const mlp_dataset *train,
                                  const mlp_model_config *c, mlp_task task)
{
    mlp_status st = mlp_preprocess_create(pre, mlp_dataset_input_size(train));
    if (st == MLP_OK) st = mlp_preprocess_fit(*pre, train, c->scaling);
    if (st == MLP_OK) st = mlp_preprocess_set_labels(*pre, train, task);
    return st;
}

mlp_status mlp_model_build(mlp_model **out, const mlp_dataset *train,
                           const mlp_model_config *config)
{
    if (!out || !train) return MLP_ERR_NULL_ARG;
    mlp_model_config c = mlp_model_config_default();
    if (config && mlp_read_config(&c, sizeof c, config, MLP_MODEL_CONFIG_MIN_SIZE, "config",
                                  "mlp_model_config", NULL) != MLP_OK)
        return MLP_ERR_INVALID_ARG;
    if ((unsigned)c.task > MLP_TASK_COUNT || (unsigned)c.scaling >= MLP_SCALE_COUNT ||
        mlp_dataset_count(train) == 0)
        return MLP_ERR_INVALID_ARG;
    mlp_task task = c.task != MLP_TASK_COUNT ? c.task
                    : mlp_dataset_class_count(train) ? MLP_TASK_CLASSIFY : MLP_TASK_REGRESS;
    size_t sizes[MAX_LAYERS + 1];
    mlp_activation acts[MAX_LAYERS];
    mlp_status st = topology(train, &c, task, sizes, acts);
    mlp_net *net = NULL;
    mlp_preprocess *pre = NULL;
    mlp_optimizer *opt = NULL;
    if (st == MLP_OK) st = mlp_net_create(&net, c.hidden_count + 1, sizes, acts, c.bias_mode);
    if (st == MLP_OK) st = mlp_net_init(net, c.init, c.seed);
    if (st == MLP_OK) st = make_preprocess(&pre, train, &c, task);
    if (st == MLP_OK) st = mlp_optimizer_create(&opt, net, &c.optimizer);
    if (st == MLP_OK) st = mlp_model_create(out, net, pre, opt);
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

static mlp_status check_data(const mlp_model *m, const mlp_dataset *ds)
{
    if (!ds) return MLP_OK;
    if (mlp_dataset_input_size(ds) != mlp_net_input_size(m->net) ||
        mlp_dataset_target_size(ds) != mlp_net_output_size(m->net))
        return MLP_ERR_DIMENSION;
    return MLP_OK;
}

mlp_status mlp_model_train(mlp_model *model, const mlp_dataset *train, const mlp_dataset *val,
                           const mlp_train_config *config, mlp_train_result *result)
{
    if (!model || !train) return MLP_ERR_NULL_ARG;
    if (!model->opt || mlp_dataset_count(train) == 0) return MLP_ERR_INVALID_ARG;
    mlp_status st = check_data(model, train);
    if (st == MLP_OK) st = check_data(model, val);
    if (st != MLP_OK) return st;
    /* mlp_train reads config at the caller's size; its default loss follows the output */
    const mlp_train_config defaults = mlp_train_config_default();
    const mlp_train_config *cfg = config ? config : &defaults;
    float *x = NULL, *vx = NULL;
    st = scaled_copy(model, train, &x);
    if (st == MLP_OK) st = scaled_copy(model, val, &vx);
    size_t val_count = vx ? mlp_dataset_count(val) : 0;
    mlp_train_result res;
    if (st == MLP_OK)
        st = mlp_train(model->net, model->opt, x, mlp_dataset_targets_const(train),
                       mlp_dataset_count(train), vx,
                       vx ? mlp_dataset_targets_const(val) : NULL, val_count, cfg, &res);
    if (st == MLP_OK) model->epoch = res.epochs_run;
    if (result && (st == MLP_OK || st == MLP_ERR_DIVERGED)) *result = res;
    mlp_mem_free(x);
    mlp_mem_free(vx);
    return st;
}
