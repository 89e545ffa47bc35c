// libmlp from C++: RAII handles around the C API, inference from several threads on one
// net (each thread with its own workspace), errors turned into exceptions at the boundary.
#include <cmath>
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <thread>
#include <vector>

#include <mlp.h>

namespace {

void check(mlp_status st, const char *what)
{
    if (st != MLP_OK) throw std::runtime_error(std::string(what) + ": " + mlp_strerror(st));
}

struct net_deleter { void operator()(mlp_net *p) const { mlp_net_free(p); } };
struct ws_deleter { void operator()(mlp_workspace *p) const { mlp_workspace_free(p); } };
struct opt_deleter { void operator()(mlp_optimizer *p) const { mlp_optimizer_free(p); } };
using net_ptr = std::unique_ptr<mlp_net, net_deleter>;
using ws_ptr = std::unique_ptr<mlp_workspace, ws_deleter>;
using opt_ptr = std::unique_ptr<mlp_optimizer, opt_deleter>;

// y = x1 * x2 on [-1,1]^2, a smooth target a 2-32-1 tanh net learns in seconds.
void make_data(std::vector<float> &x, std::vector<float> &y, int n)
{
    for (int i = 0; i < n; i++) {
        float a = -1.0f + 2.0f * (i % 40) / 39.0f, b = -1.0f + 2.0f * (i / 40) / 39.0f;
        x.push_back(a);
        x.push_back(b);
        y.push_back(a * b);
    }
}

} // namespace

int main()
try {
    const size_t sizes[] = {2, 32, 1};
    const mlp_activation acts[] = {MLP_ACT_TANH, MLP_ACT_LINEAR};
    mlp_net *raw = nullptr;
    check(mlp_net_create(&raw, 2, sizes, acts, MLP_BIAS_PER_NEURON), "create");
    net_ptr net(raw);
    check(mlp_net_init(net.get(), MLP_INIT_AUTO, 3), "init");

    mlp_optimizer_config oc = mlp_optimizer_config_default(MLP_OPT_ADAM);
    oc.learning_rate = 0.01f;
    oc.reduction = MLP_REDUCE_MEAN;
    mlp_optimizer *rawopt = nullptr;
    check(mlp_optimizer_create(&rawopt, net.get(), &oc), "optimizer");
    opt_ptr opt(rawopt);

    std::vector<float> x, y;
    make_data(x, y, 1600);
    mlp_train_config tc = mlp_train_config_default();
    tc.batch_size = 32;
    tc.epochs = 60;
    mlp_train_result res{};
    check(mlp_train(net.get(), opt.get(), x.data(), y.data(), y.size(), nullptr, nullptr, 0, &tc,
                    &res),
          "train");
    std::printf("trained %zu epochs, mean MSE %.5f\n", res.epochs_run, res.final_train_loss);

    // Four threads share the read-only net; each brings its own workspace.
    mlp_set_threads(1); // threads x BLAS threads stays within the cores
    const float probes[4][2] = {{0.5f, 0.5f}, {-0.5f, 0.8f}, {0.9f, -0.9f}, {0.1f, 0.2f}};
    float answers[4] = {};
    std::vector<std::thread> pool;
    for (int t = 0; t < 4; t++)
        pool.emplace_back([&, t] {
            mlp_workspace *w = nullptr;
            if (mlp_workspace_create(&w, net.get(), 1) != MLP_OK) return;
            ws_ptr ws(w);
            mlp_forward(net.get(), ws.get(), probes[t], 1, &answers[t]);
        });
    for (auto &th : pool) th.join();
    int bad = 0;
    for (int t = 0; t < 4; t++) {
        float want = probes[t][0] * probes[t][1];
        std::printf("  %5.2f * %5.2f = %6.3f (net says %6.3f)\n", probes[t][0], probes[t][1],
                    want, answers[t]);
        bad += std::fabs(answers[t] - want) > 0.05f;
    }
    return bad ? 1 : 0;
} catch (const std::exception &e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
}
