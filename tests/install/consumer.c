/* A C program built against an installed libmlp with pkg-config (tests/install.sh): it
 * links, finds the library at run time and gets the version the header promises. */
#include <stdio.h>
#include <string.h>

#include <mlp.h>

int main(void)
{
    const size_t sizes[] = {2, 3, 1};
    const mlp_activation acts[] = {MLP_ACT_TANH, MLP_ACT_LINEAR};
    mlp_net *net;
    mlp_status st = mlp_net_create(&net, 2, sizes, acts, MLP_BIAS_PER_NEURON);
    if (st != MLP_OK) return fprintf(stderr, "mlp_net_create: %s\n", mlp_strerror(st)), 1;
    size_t params = mlp_net_param_count(net);
    mlp_net_free(net);
    if (strcmp(mlp_version(), MLP_VERSION_STRING) != 0)
        return fprintf(stderr, "library %s, header %s\n", mlp_version(), MLP_VERSION_STRING), 1;
    printf("c consumer: libmlp %s, 2-3-1 net with %zu parameters\n", mlp_version(), params);
    return params == 13 ? 0 : 1;
}
