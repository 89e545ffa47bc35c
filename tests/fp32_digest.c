/* Prints CRC-32s of float results (a forward pass, a gradient, minibatch training with
 * Adam and with fused plain SGD, one-record SGD): scripts/test runs it from the oneDNN build
 * and from a build without oneDNN and requires the same lines, so that compiling the bf16
 * backend in changes no float result by a single bit. Not a test by itself. */
#include "mlp.h"

#include <stdio.h>
#include <stdlib.h>
#include <zlib.h>

#define N 96

static unsigned long crc(const void *p, size_t bytes)
{
    return crc32(0L, (const Bytef *)p, (uInt)bytes);
}

static int train(mlp_optimizer_kind kind, size_t batch, const float *x, const float *y,
                 unsigned long *out)
{
    const size_t sizes[] = {13, 40, 24, 5};
    const mlp_activation acts[] = {MLP_ACT_RELU, MLP_ACT_TANH, MLP_ACT_SOFTMAX};
    mlp_net *net = NULL;
    mlp_optimizer *opt = NULL;
    mlp_optimizer_config oc = mlp_optimizer_config_default(kind);
    mlp_train_config tc = mlp_train_config_default();
    tc.loss = MLP_LOSS_CROSS_ENTROPY;
    tc.epochs = 4;
    tc.batch_size = batch;
    int ok = mlp_net_create(&net, 3, sizes, acts, MLP_BIAS_PER_NEURON) == MLP_OK &&
             mlp_net_init(net, MLP_INIT_AUTO, 9) == MLP_OK &&
             mlp_optimizer_create(&opt, net, &oc) == MLP_OK &&
             mlp_train(net, opt, x, y, N, NULL, NULL, 0, &tc, NULL) == MLP_OK;
    if (ok) *out = crc(mlp_net_params_const(net), mlp_net_param_count(net) * sizeof(float));
    mlp_optimizer_free(opt);
    mlp_net_free(net);
    return ok;
}

int main(void)
{
    float *x = malloc(N * 13 * sizeof *x), *y = calloc(N * 5, sizeof *y);
    if (!x || !y) return 1;
    for (size_t i = 0; i < N * 13; i++) x[i] = (float)((i * 7919u) % 1000u) / 500.0f - 1.0f;
    for (size_t i = 0; i < N; i++) y[i * 5 + (i * 31u) % 5u] = 1.0f;
    unsigned long adam = 0, sgd = 0, one = 0;
    int ok = train(MLP_OPT_ADAM, 16, x, y, &adam) && train(MLP_OPT_SGD, 16, x, y, &sgd) &&
             train(MLP_OPT_SGD, 1, x, y, &one);
    const size_t sizes[] = {13, 40, 24, 5};
    const mlp_activation acts[] = {MLP_ACT_RELU, MLP_ACT_TANH, MLP_ACT_SOFTMAX};
    mlp_net *net = NULL;
    mlp_workspace *ws = NULL;
    float out[N * 5], *grad = NULL;
    ok = ok && mlp_net_create(&net, 3, sizes, acts, MLP_BIAS_PER_NEURON) == MLP_OK &&
         mlp_net_init(net, MLP_INIT_AUTO, 3) == MLP_OK &&
         mlp_workspace_create(&ws, net, N) == MLP_OK &&
         (grad = malloc(mlp_net_param_count(net) * sizeof *grad)) != NULL &&
         mlp_forward(net, ws, x, N, out) == MLP_OK &&
         mlp_gradient(net, ws, x, y, N, MLP_LOSS_CROSS_ENTROPY, grad, NULL) == MLP_OK;
    if (ok)
        printf("forward %08lx\ngradient %08lx\nadam %08lx\nsgd %08lx\none-record %08lx\n",
               crc(out, sizeof out), crc(grad, mlp_net_param_count(net) * sizeof *grad), adam, sgd,
               one);
    free(grad);
    mlp_workspace_free(ws);
    mlp_net_free(net);
    free(x);
    free(y);
    return ok ? 0 : 1;
}
