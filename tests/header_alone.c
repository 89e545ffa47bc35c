/* mlp.h stands alone: with MLP_NO_ADVANCED it declares the everyday API without the expert
 * calls of mlp_advanced.h, and a program using only the short path compiles against it. */
#define MLP_NO_ADVANCED
#include "mlp.h"

#ifdef MLP_ADVANCED_H
#error "mlp.h included mlp_advanced.h although MLP_NO_ADVANCED is defined"
#endif

/* Declared here only because mlp_advanced.h was not included: the name is free. */
static int mlp_net_shuffle = 0;

int main(void)
{
    mlp_model *m = NULL;
    mlp_error_detail why;
    mlp_status st = mlp_model_open(&m, "/nonexistent/model.mlp", NULL, &why);
    mlp_model_free(m);
    return (st == MLP_ERR_IO ? 0 : 1) + mlp_net_shuffle;
}
