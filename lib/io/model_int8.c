/* The "QNT8" section of the model format (model_format.h): a quantized net's int8
 * weights, their scales and the scales of its layers' inputs. */
#include "model_format.h"

#define FAIL(...) do { set_detail(detail, __VA_ARGS__); return MLP_ERR_FORMAT; } while (0)

uint64_t mlp_model_int8_size(const mlp_net *net)
{
    if (!net->int8) return 0;
    uint64_t total = 8;
    for (size_t k = 0; k < net->n_layers; k++) {
        const uint64_t in = net->sizes[k], out = net->sizes[k + 1];
        total += 8 + 4 * out + out * in;
    }
    return total;
}

void mlp_model_int8_put(writer *w, const mlp_net *net)
{
    const mlp_int8_net *q = net->int8;
    put_u32(w, (uint32_t)q->mode);
    put_u32(w, 0);
    for (size_t k = 0; k < q->n_layers; k++) {
        const mlp_int8_layer *l = &q->layers[k];
        put_u32(w, (uint32_t)l->in_zero);
        put_f32(w, l->in_scale);
        put_f32s(w, l->w_scale, l->n_out);
        put_bytes(w, l->w, l->n_out * l->n_in);
    }
}

mlp_status mlp_model_int8_check(const unsigned char *body, size_t len, const net_plan *np,
                                mlp_error_detail *detail)
{
    reader r = {body, len, 0};
    uint32_t mode, reserved;
    if (!get_u32(&r, &mode) || !get_u32(&r, &reserved)) FAIL("int8 section too short");
    if (mode >= MLP_QUANTIZE_COUNT) FAIL("unknown int8 activation mode %u", (unsigned)mode);
    if (reserved != 0) FAIL("reserved int8 field is not zero");
    for (size_t k = 0; k < np->n_layers; k++) {
        const size_t in = (size_t)ld_u64(np->sizes_at + 8 * k);
        const size_t out = (size_t)ld_u64(np->sizes_at + 8 * (k + 1));
        uint32_t zero;
        const unsigned char *scale_at = NULL, *ws_at = NULL, *w_at = NULL;
        if (get_u32(&r, &zero) && (scale_at = take(&r, 4)) && (ws_at = take_f32s(&r, out)))
            w_at = take_n(&r, out, in);
        if (!w_at) FAIL("int8 section too short for layer %zu", k);
        if (zero != 0 && zero != 128) FAIL("int8 zero point %u of layer %zu", (unsigned)zero, k);
        const float s = ld_f32(scale_at);
        if (mode == MLP_QUANTIZE_DYNAMIC ? s != 0.0f : !(mlp_is_finite(s) && s > 0.0f))
            FAIL("invalid int8 input scale of layer %zu", k);
        for (size_t j = 0; j < out; j++) {
            const float v = ld_f32(ws_at + 4 * j);
            if (!mlp_is_finite(v) || v < 0.0f) FAIL("invalid int8 weight scale %zu of layer %zu", j, k);
        }
        for (size_t i = 0; i < out * in; i++)
            if (w_at[i] == 0x80) FAIL("int8 weight -128 in layer %zu", k);
    }
    if (r.pos != r.len) FAIL("int8 section longer than its content");
    return MLP_OK;
}

mlp_status mlp_model_int8_build(const unsigned char *body, mlp_net *net)
{
    const uint32_t mode = ld_u32(body);
    mlp_int8_net *q = mlp_int8_net_alloc(net, (mlp_quantize_mode)mode);
    if (!q) return MLP_ERR_NO_MEMORY;
    const unsigned char *p = body + 8;
    for (size_t k = 0; k < q->n_layers; k++) {
        mlp_int8_layer *l = &q->layers[k];
        l->in_zero = (int)ld_u32(p);
        l->in_scale = ld_f32(p + 4);
        p += 8;
        for (size_t j = 0; j < l->n_out; j++) l->w_scale[j] = ld_f32(p + 4 * j);
        p += 4 * l->n_out;
        memcpy(l->w, p, l->n_out * l->n_in);
        p += l->n_out * l->n_in;
        mlp_int8_layer_pack(l);
    }
    mlp_int8_net_free(net->int8);
    net->int8 = q;
    return MLP_OK;
}

#undef FAIL
