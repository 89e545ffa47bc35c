// The public header compiles as C++, the library trains from a C++ caller (from arrays and
// from a callback data source), argument errors come back with a message, and a model
// travels through a memory image (as parts, and as a model handle).
#include "mlp.h"

#include <cstdio>
#include <cstring>
#include <memory>
#include <vector>

static int fail(const char *what, mlp_status st)
{
    std::fprintf(stderr, "FAIL: %s: %s\n", what, mlp_strerror(st));
    return 1;
}

// The model handle from C++: a copy of net with a scaling x * 2 on raw rows x / 2 (exact in
// floats), owned by an RAII handle; its predictions are mlp_forward's on x, bit for bit.
static int check_model_handle(const mlp_net *net, mlp_workspace *ws, const std::vector<float> &x)
{
    mlp_net *handle_net = nullptr;
    mlp_preprocess *pre = nullptr;
    mlp_status st;
    if ((st = mlp_net_clone(&handle_net, net)) != MLP_OK) return fail("mlp_net_clone", st);
    if ((st = mlp_preprocess_create(&pre, 2)) != MLP_OK) {
        mlp_net_free(handle_net);
        return fail("mlp_preprocess_create", st);
    }
    const float offset[2] = {0.0f, 0.0f}, scale[2] = {2.0f, 2.0f};
    mlp_model *raw_model = nullptr;
    st = mlp_preprocess_set_scaling(pre, MLP_SCALE_MINMAX, offset, scale);
    if (st == MLP_OK) st = mlp_model_create(&raw_model, handle_net, pre, nullptr);
    if (st != MLP_OK) { // the parts are still ours
        mlp_preprocess_free(pre);
        mlp_net_free(handle_net);
        return fail("mlp_model_create", st);
    }
    std::unique_ptr<mlp_model, decltype(&mlp_model_free)> model(raw_model, &mlp_model_free);
    std::vector<float> raw(x.size()), out(16), ref(16);
    for (size_t i = 0; i < x.size(); i++) raw[i] = x[i] / 2.0f;
    if ((st = mlp_model_predict(model.get(), raw.data(), 16, out.data())) != MLP_OK)
        return fail("mlp_model_predict", st);
    if ((st = mlp_forward(net, ws, x.data(), 16, ref.data())) != MLP_OK)
        return fail("mlp_forward", st);
    mlp_model_scratch *raw_scratch = nullptr;
    if ((st = mlp_model_scratch_create(&raw_scratch, model.get(), 4)) != MLP_OK)
        return fail("mlp_model_scratch_create", st);
    std::unique_ptr<mlp_model_scratch, decltype(&mlp_model_scratch_free)> scratch(
        raw_scratch, &mlp_model_scratch_free);
    size_t classes[16];
    st = mlp_model_classify_with(model.get(), scratch.get(), raw.data(), 16, classes);
    if (st != MLP_ERR_INVALID_ARG) return fail("mlp_model_classify_with, one output", st);
    bool same = std::memcmp(out.data(), ref.data(), 16 * sizeof(float)) == 0;
    std::printf("model handle: predictions %s mlp_forward's\n", same ? "equal" : "DIFFER from");
    return same ? 0 : 1;
}

// Records kept as C++ objects, served by a data-source callback (a captureless lambda).
struct record {
    float in[2];
    float out;
};

static mlp_status read_records(void *user, const size_t *records, size_t n, float *inputs,
                               float *targets)
{
    const auto &store = *static_cast<const std::vector<record> *>(user);
    for (size_t i = 0; i < n; i++) {
        const record &r = store.at(records[i]);
        inputs[2 * i] = r.in[0];
        inputs[2 * i + 1] = r.in[1];
        targets[i] = r.out;
    }
    return MLP_OK;
}

// Training from the callback source equals training from the same records as arrays, bit
// for bit; a config that cannot mean what it says is refused with a message; a model handle
// written to memory opens from it and predicts as the original.
static int check_source_messages_handle(const mlp_net *net, const std::vector<float> &x,
                                        const std::vector<float> &y)
{
    std::vector<record> store;
    for (size_t i = 0; i < y.size(); i++) store.push_back({{x[2 * i], x[2 * i + 1]}, y[i]});
    mlp_net *a = nullptr, *b = nullptr;
    mlp_optimizer *oa = nullptr, *ob = nullptr;
    mlp_optimizer_config oc = mlp_optimizer_config_default(MLP_OPT_MOMENTUM);
    mlp_status st = mlp_net_clone(&a, net);
    if (st == MLP_OK) st = mlp_net_clone(&b, net);
    if (st == MLP_OK) st = mlp_optimizer_create(&oa, a, &oc);
    if (st == MLP_OK) st = mlp_optimizer_create(&ob, b, &oc);
    if (st != MLP_OK) return fail("setup", st);
    mlp_train_config tc = mlp_train_config_default();
    tc.batch_size = 4;
    tc.epochs = 5;
    mlp_source src{};
    src.struct_size = sizeof src;
    src.count = store.size();
    src.read = read_records;
    src.user_data = &store;
    mlp_error_detail detail{};
    if ((st = mlp_train(a, oa, x.data(), y.data(), y.size(), nullptr, nullptr, 0, &tc,
                        nullptr)) != MLP_OK)
        return fail("mlp_train", st);
    if ((st = mlp_train_source(b, ob, &src, nullptr, &tc, nullptr, &detail)) != MLP_OK)
        return fail("mlp_train_source", st);
    const size_t P = mlp_net_param_count(a);
    bool same = std::memcmp(mlp_net_params_const(a), mlp_net_params_const(b), P * 4) == 0;
    std::printf("callback source: parameters %s the arrays'\n", same ? "equal" : "DIFFER from");

    tc.patience = 3; // early stopping without validation data
    st = mlp_train_ex(a, oa, x.data(), y.data(), y.size(), nullptr, nullptr, 0, &tc, nullptr,
                      &detail);
    bool named = st == MLP_ERR_INVALID_ARG && std::strstr(detail.message, "patience");
    std::printf("patience without validation: %s\n", detail.message);

    mlp_model *model = nullptr, *reopened = nullptr;
    void *image = nullptr;
    size_t image_size = 0;
    std::vector<float> pa(y.size()), pb(y.size());
    st = mlp_model_create(&model, a, nullptr, oa); // the model owns a and oa from here
    if (st == MLP_OK) st = mlp_model_write_mem(model, &image, &image_size);
    if (st == MLP_OK) st = mlp_model_open_mem(&reopened, image, image_size, nullptr, &detail);
    mlp_free(image);
    if (st == MLP_OK) st = mlp_model_predict(model, x.data(), y.size(), pa.data());
    if (st == MLP_OK) st = mlp_model_predict(reopened, x.data(), y.size(), pb.data());
    bool reopened_same = st == MLP_OK && pa == pb;
    std::printf("model handle from memory: %s\n", reopened_same ? "predicts the same" : "DIFFERS");
    mlp_model_free(reopened);
    if (model) {
        mlp_model_free(model);
    } else {
        mlp_optimizer_free(oa);
        mlp_net_free(a);
    }
    mlp_optimizer_free(ob);
    mlp_net_free(b);
    return same && named && reopened_same ? 0 : 1;
}

int main()
{
    const size_t sizes[] = {2, 8, 1};
    const mlp_activation acts[] = {MLP_ACT_TANH, MLP_ACT_LINEAR};
    mlp_net *net = nullptr;
    mlp_status st = mlp_net_create(&net, 2, sizes, acts, MLP_BIAS_PER_NEURON);
    if (st != MLP_OK) return fail("mlp_net_create", st);
    if ((st = mlp_net_init(net, MLP_INIT_AUTO, 42)) != MLP_OK) return fail("mlp_net_init", st);

    std::vector<float> x, y;
    for (int i = 0; i < 16; i++) {
        float a = (float)(i % 4) / 3.0f - 0.5f, b = (float)(i / 4) / 3.0f - 0.5f;
        x.push_back(a);
        x.push_back(b);
        y.push_back(a * a - b);
    }
    mlp_workspace *ws = nullptr;
    if ((st = mlp_workspace_create(&ws, net, 16)) != MLP_OK) return fail("mlp_workspace_create", st);
    if (check_model_handle(net, ws, x) != 0) return 1;
    if (check_source_messages_handle(net, x, y) != 0) return 1;
    mlp_optimizer_config oc = mlp_optimizer_config_default(MLP_OPT_ADAM);
    oc.learning_rate = 0.01f;
    oc.reduction = MLP_REDUCE_MEAN;
    mlp_optimizer *opt = nullptr;
    if ((st = mlp_optimizer_create(&opt, net, &oc)) != MLP_OK) return fail("mlp_optimizer_create", st);

    double first = 0.0, last = 0.0;
    for (int step = 0; step < 200; step++) {
        double loss = 0.0;
        st = mlp_train_step(net, ws, opt, x.data(), y.data(), 16, MLP_LOSS_MSE, &loss);
        if (st != MLP_OK) return fail("mlp_train_step", st);
        if (step == 0) first = loss;
        last = loss;
    }
    double mean = 0.0;
    if ((st = mlp_evaluate(net, ws, x.data(), y.data(), 16, MLP_LOSS_MSE, &mean, nullptr)) != MLP_OK)
        return fail("mlp_evaluate", st);
    std::printf("loss: first step %.6f, last step %.6f, evaluated mean %.6f\n", first / 16,
                last / 16, mean);
    int ok = last < 0.5 * first && mean < 0.5 * first / 16;

    // The model through a memory image (as an application keeps it in its own container):
    // the copy predicts exactly what the original does.
    void *image = nullptr;
    size_t image_size = 0;
    if ((st = mlp_model_write_parts_mem(&image, &image_size, net, nullptr, opt, 200)) != MLP_OK)
        return fail("mlp_model_write_parts_mem", st);
    std::vector<unsigned char> blob(static_cast<unsigned char *>(image),
                                    static_cast<unsigned char *>(image) + image_size);
    mlp_free(image);
    // The same image into a buffer of our own, sized by the query.
    size_t needed = 0, written = 0;
    if ((st = mlp_model_write_parts_size(&needed, net, nullptr, opt)) != MLP_OK)
        return fail("mlp_model_write_parts_size", st);
    std::vector<unsigned char> own(needed);
    if ((st = mlp_model_write_parts_into(own.data(), own.size(), &written, net, nullptr, opt, 200)) !=
        MLP_OK)
        return fail("mlp_model_write_parts_into", st);
    mlp_net *copy = nullptr;
    mlp_optimizer *copy_opt = nullptr;
    mlp_model_info info;
    mlp_error_detail detail;
    if ((st = mlp_model_open_parts_mem(blob.data(), blob.size(), &copy, nullptr, &copy_opt, &info,
                                 &detail)) != MLP_OK) {
        std::fprintf(stderr, "%s\n", detail.message);
        return fail("mlp_model_open_parts_mem", st);
    }
    std::vector<float> out_a(16), out_b(16);
    if ((st = mlp_forward(net, ws, x.data(), 16, out_a.data())) != MLP_OK ||
        (st = mlp_forward(copy, ws, x.data(), 16, out_b.data())) != MLP_OK)
        return fail("mlp_forward", st);
    bool same = out_a == out_b && own == blob && written == blob.size() &&
                info.epoch == 200 && info.has_optimizer &&
                mlp_optimizer_step_count(copy_opt) == mlp_optimizer_step_count(opt);
    std::printf("model image: %zu bytes, loaded copy %s\n", blob.size(),
                same ? "predicts the same" : "DIFFERS");
    ok = ok && same;
    mlp_optimizer_free(copy_opt);
    mlp_net_free(copy);
    mlp_optimizer_free(opt);
    mlp_workspace_free(ws);
    mlp_net_free(net);
    if (!ok) {
        std::fprintf(stderr, "FAIL: the loss did not decrease enough\n");
        return 1;
    }
    std::printf("PASSED\n");
    return 0;
}
