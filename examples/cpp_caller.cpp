// libmlp from C++: RAII handles around the C API, training from the program's own records
// through a data-source callback, errors turned into exceptions (with the library's message
// naming the argument) at the boundary, and a model handle opened from a memory image that
// answers from several threads at once.
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

// For the calls that say which argument is wrong and why.
void check(mlp_status st, const char *what, const mlp_error_detail &detail)
{
    if (st != MLP_OK)
        throw std::runtime_error(std::string(what) + ": " + mlp_strerror(st) + ": " +
                                 detail.message);
}

struct net_deleter { void operator()(mlp_net *p) const { mlp_net_free(p); } };
struct opt_deleter { void operator()(mlp_optimizer *p) const { mlp_optimizer_free(p); } };
struct model_deleter { void operator()(mlp_model *p) const { mlp_model_free(p); } };
struct buffer_deleter { void operator()(void *p) const { mlp_free(p); } };
using model_ptr = std::unique_ptr<mlp_model, model_deleter>;
using net_ptr = std::unique_ptr<mlp_net, net_deleter>;
using opt_ptr = std::unique_ptr<mlp_optimizer, opt_deleter>;

// The program's own records: y = x1 * x2 on [-1,1]^2, a smooth target a 2-32-1 tanh net
// learns in seconds.
struct sample {
    float a, b, product;
};

std::vector<sample> make_data(int n)
{
    std::vector<sample> v;
    for (int i = 0; i < n; i++) {
        float a = -1.0f + 2.0f * (i % 40) / 39.0f, b = -1.0f + 2.0f * (i / 40) / 39.0f;
        v.push_back({a, b, a * b});
    }
    return v;
}

// The data source: fills the rows the library asks for, straight from the vector (no copy
// of the whole set into arrays first).
mlp_status read_samples(void *user, const size_t *records, size_t n, float *inputs,
                        float *targets)
{
    const auto &samples = *static_cast<const std::vector<sample> *>(user);
    for (size_t i = 0; i < n; i++) {
        const sample &s = samples[records[i]];
        inputs[2 * i] = s.a;
        inputs[2 * i + 1] = s.b;
        targets[i] = s.product;
    }
    return MLP_OK;
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

    std::vector<sample> samples = make_data(1600);
    mlp_source source{};
    source.struct_size = sizeof source;
    source.count = samples.size();
    source.read = read_samples;
    source.user_data = &samples;
    mlp_train_config tc = mlp_train_config_default();
    tc.batch_size = 32;
    tc.epochs = 60;
    mlp_train_result res{};
    mlp_error_detail detail{};
    tc.patience = 5; // a mistake: early stopping needs validation data
    try {
        check(mlp_train_source(net.get(), opt.get(), &source, nullptr, &tc, &res, &detail),
              "train", detail);
    } catch (const std::exception &e) {
        std::printf("refused as it should be: %s\n", e.what());
    }
    tc.patience = 0;
    check(mlp_train_source(net.get(), opt.get(), &source, nullptr, &tc, &res, &detail), "train",
          detail);
    std::printf("trained %zu epochs, mean MSE %.5f\n", res.epochs_run, res.final_train_loss);

    // The model as an application stores it: an image in memory, opened as a model handle.
    mlp_model *handed = nullptr;
    check(mlp_model_create(&handed, net.get(), nullptr, opt.get()), "model");
    net.release(); // owned by the model from here on
    opt.release();
    model_ptr trained(handed);
    void *image = nullptr;
    size_t image_size = 0;
    check(mlp_model_write_mem(trained.get(), &image, &image_size), "write image");
    std::unique_ptr<void, buffer_deleter> image_owner(image);
    mlp_model *opened = nullptr;
    check(mlp_model_open_mem(&opened, image, image_size, nullptr, &detail), "open image", detail);
    model_ptr model(opened);

    // Four threads share the read-only model; each call brings its own scratch.
    mlp_set_threads(1); // threads x BLAS threads stays within the cores
    const float probes[4][2] = {{0.5f, 0.5f}, {-0.5f, 0.8f}, {0.9f, -0.9f}, {0.1f, 0.2f}};
    float answers[4] = {};
    std::vector<std::thread> pool;
    for (int t = 0; t < 4; t++)
        pool.emplace_back([&, t] { mlp_model_predict(model.get(), probes[t], 1, &answers[t]); });
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
