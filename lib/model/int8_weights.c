/* The int8 weights of a quantized net: allocation, the kernels' packed layout, copies.
 * How they are computed is engine/int8_quantize.c's; how they run, engine/int8_gemm.c's. */
#include "mlp_internal.h"

#include <string.h>

static size_t round_up(size_t n, size_t m) { return (n + m - 1) / m * m; }

void mlp_int8_net_free(mlp_int8_net *q)
{
    if (!q) return;
    for (size_t k = 0; q->layers && k < q->n_layers; k++) {
        mlp_int8_layer *l = &q->layers[k];
        mlp_mem_free(l->w);
        mlp_mem_aligned_free(l->packed);
        mlp_mem_aligned_free(l->w_scale);
        mlp_mem_aligned_free(l->w_corr);
    }
    mlp_mem_free(q->layers);
    mlp_mem_free(q);
}

static int layer_alloc(mlp_int8_layer *l, size_t n_in, size_t n_out)
{
    l->n_in = n_in;
    l->n_out = n_out;
    l->k_pad = round_up(n_in, 4);
    l->n_pad = round_up(n_out, 16);
    size_t w, packed;
    if (!mlp_mul_size(n_out, n_in, &w) || !mlp_mul_size(l->n_pad, l->k_pad, &packed))
        return 0;
    l->w = mlp_mem_calloc(w ? w : 1, 1);
    l->packed = mlp_mem_aligned_alloc(64, round_up(packed, 64));
    l->w_scale = mlp_mem_aligned_alloc(64, l->n_pad * sizeof *l->w_scale);
    l->w_corr = mlp_mem_aligned_alloc(64, l->n_pad * sizeof *l->w_corr);
    if (!l->w || !l->packed || !l->w_scale || !l->w_corr) return 0;
    memset(l->w_scale, 0, l->n_pad * sizeof *l->w_scale);
    memset(l->w_corr, 0, l->n_pad * sizeof *l->w_corr);
    return 1;
}

mlp_int8_net *mlp_int8_net_alloc(const mlp_net *net, mlp_quantize_mode mode)
{
    mlp_int8_net *q = mlp_mem_calloc(1, sizeof *q);
    if (!q) return NULL;
    q->n_layers = net->n_layers;
    q->mode = mode;
    q->param_version = net->param_version;
    q->layers = mlp_mem_calloc(net->n_layers, sizeof *q->layers);
    int ok = q->layers != NULL;
    for (size_t k = 0; ok && k < net->n_layers; k++)
        ok = layer_alloc(&q->layers[k], net->sizes[k], net->sizes[k + 1]);
    if (!ok) {
        mlp_int8_net_free(q);
        return NULL;
    }
    return q;
}

/* [n_pad/16][k_pad/4][16][4]: one 64-byte vector holds 4 consecutive inputs of 16
 * consecutive outputs, which is what one VNNI instruction multiplies by 4 input bytes. */
void mlp_int8_layer_pack(mlp_int8_layer *l)
{
    const size_t k4 = l->k_pad / 4;
    memset(l->packed, 0, l->n_pad * l->k_pad);
    for (size_t j = 0; j < l->n_out; j++) {
        int32_t sum = 0;
        const int8_t *row = l->w + j * l->n_in;
        int8_t *block = l->packed + (j / 16) * k4 * 64 + (j % 16) * 4;
        for (size_t k = 0; k < l->n_in; k++) {
            block[(k / 4) * 64 + k % 4] = row[k];
            sum += row[k];
        }
        l->w_corr[j] = l->in_zero * sum;
    }
}

mlp_int8_net *mlp_int8_net_clone(const mlp_int8_net *q)
{
    mlp_int8_net *c = mlp_mem_calloc(1, sizeof *c);
    if (!c) return NULL;
    *c = *q;
    c->layers = mlp_mem_calloc(q->n_layers, sizeof *c->layers);
    int ok = c->layers != NULL;
    if (!ok) c->n_layers = 0;
    for (size_t k = 0; ok && k < q->n_layers; k++) {
        const mlp_int8_layer *s = &q->layers[k];
        mlp_int8_layer *d = &c->layers[k];
        ok = layer_alloc(d, s->n_in, s->n_out);
        if (!ok) break;
        memcpy(d->w, s->w, s->n_out * s->n_in);
        memcpy(d->packed, s->packed, s->n_pad * s->k_pad);
        memcpy(d->w_scale, s->w_scale, s->n_pad * sizeof *s->w_scale);
        memcpy(d->w_corr, s->w_corr, s->n_pad * sizeof *s->w_corr);
        d->in_scale = s->in_scale;
        d->in_zero = s->in_zero;
    }
    if (!ok) {
        mlp_int8_net_free(c);
        return NULL;
    }
    return c;
}

int mlp_int8_ready(const mlp_net *net)
{
    return net->int8 && net->int8->param_version == net->param_version;
}

int mlp_net_is_quantized(const mlp_net *net) { return net && net->int8; }

mlp_quantize_mode mlp_net_quantize_mode(const mlp_net *net)
{
    return net && net->int8 ? net->int8->mode : MLP_QUANTIZE_COUNT;
}

void mlp_net_dequantize(mlp_net *net)
{
    if (!net) return;
    mlp_int8_net_free(net->int8);
    net->int8 = NULL;
}
