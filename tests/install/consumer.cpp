// A C++ program built against an installed libmlp with CMake's find_package(mlp)
// (tests/install.sh): the imported target mlp::mlp gives the header and the library.
#include <cstdio>
#include <memory>

#include <mlp.h>

int main()
{
    const size_t sizes[] = {4, 8, 3};
    const mlp_activation acts[] = {MLP_ACT_RELU, MLP_ACT_SOFTMAX};
    mlp_net *raw = nullptr;
    mlp_status st = mlp_net_create(&raw, 2, sizes, acts, MLP_BIAS_PER_NEURON);
    if (st != MLP_OK) {
        std::fprintf(stderr, "mlp_net_create: %s\n", mlp_strerror(st));
        return 1;
    }
    std::unique_ptr<mlp_net, void (*)(mlp_net *)> net(raw, mlp_net_free);
    st = mlp_net_init(net.get(), MLP_INIT_AUTO, 7);
    if (st != MLP_OK) {
        std::fprintf(stderr, "mlp_net_init: %s\n", mlp_strerror(st));
        return 1;
    }
    std::printf("c++ consumer: libmlp %s, 4-8-3 net with %zu parameters\n", mlp_version(),
                mlp_net_param_count(net.get()));
    return mlp_net_param_count(net.get()) == 67 ? 0 : 1;
}
