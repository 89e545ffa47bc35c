/* The bf16 GEMMs in a build without oneDNN: bf16 is unsupported, so no workspace ever
 * holds a bf16 state and the products below are never reached. */
#include "mlp_internal.h"

#include <stdio.h>

mlp_status mlp_bf16_supported(mlp_error_detail *detail)
{
    if (detail) {
        detail->line = detail->column = 0;
        snprintf(detail->message, sizeof detail->message,
                 "bf16: this libmlp was built without oneDNN (meson option onednn)");
    }
    return MLP_ERR_UNSUPPORTED;
}

mlp_status mlp_bf16_create(mlp_bf16 **out, const mlp_workspace *ws, size_t *bytes)
{
    (void)out, (void)ws, (void)bytes;
    return MLP_ERR_UNSUPPORTED;
}

void mlp_bf16_free(mlp_bf16 *b) { (void)b; }

void mlp_bf16_round(uint16_t *dst, const float *src, size_t n) { (void)dst, (void)src, (void)n; }
int mlp_bf16_layer_on(const mlp_bf16 *b, size_t k) { return (void)b, (void)k, 0; }
int mlp_bf16_any_on(const mlp_bf16 *b) { return (void)b, 0; }
void mlp_bf16_set_layer(mlp_bf16 *b, size_t k, int on) { (void)b, (void)k, (void)on; }
uint16_t *mlp_bf16_inputs(mlp_bf16 *b, size_t k) { return (void)b, (void)k, NULL; }
void mlp_bf16_pass_begin(mlp_bf16 *b, const mlp_net *net) { (void)b, (void)net; }
void mlp_bf16_pass_end(mlp_bf16 *b, const mlp_net *net) { (void)b, (void)net; }
void mlp_bf16_weights_current(mlp_bf16 *b, const mlp_net *net) { (void)b, (void)net; }

void mlp_bf16_refresh_range(mlp_bf16 *b, const mlp_net *net, size_t first, size_t n)
{
    (void)b, (void)net, (void)first, (void)n;
}

void mlp_bf16_forward(mlp_bf16 *b, const mlp_net *net, size_t k, const float *in, size_t batch,
                      float *out, int in_ready)
{
    (void)b, (void)net, (void)k, (void)in, (void)batch, (void)out, (void)in_ready;
}

void mlp_bf16_activation_team(mlp_activation act, float *z, size_t batch, size_t n,
                              const float *bias, size_t bias_count, float *logits,
                              uint16_t *bf16, int team)
{
    (void)act, (void)z, (void)batch, (void)n, (void)bias, (void)bias_count, (void)logits;
    (void)bf16, (void)team;
}

int mlp_bf16_team(const mlp_bf16 *b) { return (void)b, 0; }

void mlp_bf16_delta_ready(mlp_bf16 *b, size_t k, mlp_activation act, const float *z,
                          float *delta, size_t batch, float alpha)
{
    (void)b, (void)k, (void)act, (void)z, (void)delta, (void)batch, (void)alpha;
}

void mlp_bf16_backward_data(mlp_bf16 *b, const mlp_net *net, size_t k, const float *delta,
                            size_t batch, float *delta_prev)
{
    (void)b, (void)net, (void)k, (void)delta, (void)batch, (void)delta_prev;
}

void mlp_bf16_backward_weights(mlp_bf16 *b, const mlp_net *net, size_t k, const float *delta,
                               const float *in, size_t batch, float alpha, int accumulate,
                               float keep, float *dst)
{
    (void)b, (void)net, (void)k, (void)delta, (void)in, (void)batch, (void)alpha;
    (void)accumulate, (void)keep, (void)dst;
}
