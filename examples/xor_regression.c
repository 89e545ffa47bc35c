/* Trains XOR (2-4-1, tanh/sigmoid, stochastic gradient descent) and a small regression
 * (1-16-1 fitting sin(x), minibatch Adam), printing the loss as it falls. */
#include <math.h>
#include <stdio.h>

#include <mlp.h>

static bool print_epoch(const mlp_progress *p, void *user_data)
{
    size_t every = *(const size_t *)user_data;
    if (p->end_of_epoch && (p->epoch % every == 0 || p->epoch + 1 == p->epochs))
        printf("  epoch %4zu  loss %.6f\n", p->epoch + 1, p->train_loss);
    return true;
}

static int check(mlp_status st, const char *what)
{
    if (st != MLP_OK) fprintf(stderr, "%s: %s\n", what, mlp_strerror(st));
    return st != MLP_OK;
}

static int train_xor(void)
{
    const float x[] = {0, 0, 0, 1, 1, 0, 1, 1}, y[] = {0, 1, 1, 0};
    const size_t sizes[] = {2, 4, 1};
    const mlp_activation acts[] = {MLP_ACT_TANH, MLP_ACT_SIGMOID};
    mlp_net *net = NULL;
    mlp_optimizer *opt = NULL;
    mlp_optimizer_config oc = mlp_optimizer_config_default(MLP_OPT_SGD);
    oc.learning_rate = 0.5f;
    mlp_train_config tc = mlp_train_config_default();
    tc.batch_size = 1; /* stochastic gradient descent */
    tc.epochs = 2000;
    size_t every = 250;
    tc.progress = print_epoch;
    tc.user_data = &every;
    printf("XOR 2-4-1, stochastic gradient descent, lr %.2f\n", oc.learning_rate);
    int bad = check(mlp_net_create(&net, 2, sizes, acts, MLP_BIAS_PER_NEURON), "create") ||
              check(mlp_net_init(net, MLP_INIT_AUTO, 42), "init") ||
              check(mlp_optimizer_create(&opt, net, &oc), "optimizer") ||
              check(mlp_train(net, opt, x, y, 4, NULL, NULL, 0, &tc, NULL), "train");
    mlp_workspace *ws = NULL;
    float out[4];
    if (!bad && !check(mlp_workspace_create(&ws, net, 4), "workspace") &&
        !check(mlp_forward(net, ws, x, 4, out), "forward"))
        printf("  outputs %.3f %.3f %.3f %.3f\n", out[0], out[1], out[2], out[3]);
    mlp_workspace_free(ws);
    mlp_optimizer_free(opt);
    mlp_net_free(net);
    return bad;
}

static int train_regression(void)
{
    enum { N = 256 };
    float x[N], y[N];
    for (int i = 0; i < N; i++) {
        x[i] = -3.0f + 6.0f * (float)i / (N - 1);
        y[i] = sinf(x[i]);
    }
    const size_t sizes[] = {1, 16, 1};
    const mlp_activation acts[] = {MLP_ACT_TANH, MLP_ACT_LINEAR};
    mlp_net *net = NULL;
    mlp_optimizer *opt = NULL;
    mlp_optimizer_config oc = mlp_optimizer_config_default(MLP_OPT_ADAM);
    oc.learning_rate = 0.01f;
    oc.reduction = MLP_REDUCE_MEAN;
    mlp_train_config tc = mlp_train_config_default();
    tc.batch_size = 16;
    tc.epochs = 400;
    size_t every = 50;
    tc.progress = print_epoch;
    tc.user_data = &every;
    printf("Regression 1-16-1 of sin(x) on [-3,3], Adam, minibatch 16 (mean)\n");
    int bad = check(mlp_net_create(&net, 2, sizes, acts, MLP_BIAS_PER_NEURON), "create") ||
              check(mlp_net_init(net, MLP_INIT_AUTO, 7), "init") ||
              check(mlp_optimizer_create(&opt, net, &oc), "optimizer") ||
              check(mlp_train(net, opt, x, y, N, NULL, NULL, 0, &tc, NULL), "train");
    mlp_optimizer_free(opt);
    mlp_net_free(net);
    return bad;
}

int main(void)
{
    return train_xor() || train_regression();
}
