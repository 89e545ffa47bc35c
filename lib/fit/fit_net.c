/* The net a fit trains, built and trained the same way for the final fit and for each
 * cross-validation fold. */
#include "fit/fit_internal.h"

#define MAX_LAYERS 64

mlp_status fit_net_create(const mlp_fit_config *c, size_t schedule_epochs, size_t inputs,
                          size_t outputs, mlp_activation output, mlp_net **net,
                          mlp_optimizer **opt, mlp_error_detail *detail)
{
    size_t sizes[MAX_LAYERS + 1];
    mlp_activation acts[MAX_LAYERS];
    size_t L = c->model.hidden_count + 1;
    sizes[0] = inputs;
    for (size_t i = 0; i < c->model.hidden_count; i++) {
        sizes[i + 1] = c->model.hidden_sizes ? c->model.hidden_sizes[i] : 32;
        acts[i] = c->model.hidden_activation;
    }
    sizes[L] = outputs;
    acts[L - 1] = output;
    *net = NULL;
    *opt = NULL;
    mlp_status st = mlp_net_create_ex(net, L, sizes, acts, c->model.bias_mode, detail);
    if (st == MLP_OK) st = mlp_net_init(*net, c->model.init, c->model.seed);
    mlp_optimizer_config oc = c->model.optimizer;
    size_t e = schedule_epochs;
    if (oc.total_epochs == 0) oc.total_epochs = e;
    if (oc.step_epochs == 0) oc.step_epochs = e >= 3 ? e / 3 : 1;
    if (st == MLP_OK) st = mlp_optimizer_create_ex(opt, *net, &oc, detail);
    if (st != MLP_OK) {
        mlp_net_free(*net);
        *net = NULL;
    }
    return st;
}

void fit_net_train_config(const mlp_fit_config *c, const fit_plan *p, mlp_loss loss,
                          mlp_train_config *tc)
{
    *tc = c->train;
    tc->loss = loss;
    tc->epochs = p->epochs;
    tc->start_epoch = 0;
    tc->batch_size = p->batch;
    tc->shuffle = true;
    if (tc->dropout_seed == 0) tc->dropout_seed = c->model.seed + 1;
    tc->patience = p->patience;
    tc->restore_best = true;
    tc->progress = NULL;
    tc->user_data = NULL;
}

mlp_status fit_net_train(const mlp_fit_config *c, mlp_net *net, mlp_optimizer *opt,
                         const mlp_dataset *train, const mlp_dataset *val,
                         const mlp_train_config *tc, mlp_train_result *res,
                         mlp_error_detail *detail)
{
    size_t nv = val ? mlp_dataset_count(val) : 0;
    const float *vx = nv ? mlp_dataset_inputs_const(val) : NULL;
    const float *vy = nv ? mlp_dataset_targets_const(val) : NULL;
    const float *x = mlp_dataset_inputs_const(train), *y = mlp_dataset_targets_const(train);
    size_t n = mlp_dataset_count(train);
    return c->trainer ? c->trainer(c->trainer_data, net, opt, x, y, n, vx, vy, nv, tc, res)
                      : mlp_train_ex(net, opt, x, y, n, vx, vy, nv, tc, res, detail);
}
