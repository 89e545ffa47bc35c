/* The model format's encoder: a net, its preprocessing and optimizer into one image in
 * memory (model_format.h); mlp_model_write_parts writes that image to a file. */
#include "model_format.h"

#include <zlib.h>

/* ------------------------------------------------------------------ sizes */

static uint64_t net_body_size(const mlp_net *net)
{
    uint64_t L = mlp_net_layer_count(net);
    return NET_FIXED_LEN + 8 * (L + 1) + 4 * L + 4 * (uint64_t)mlp_net_param_count(net) +
           8 * MLP_RNG_STATE_WORDS;
}

/* ------------------------------------------------------------------ saving */

/* Checks that pre fits net and can be encoded; returns its body size in *size. */
static mlp_status check_preprocess(const mlp_preprocess *pre, const mlp_net *net,
                                   uint64_t *size)
{
    size_t n = mlp_preprocess_input_size(pre);
    if (n != mlp_net_input_size(net)) return MLP_ERR_DIMENSION;
    if ((unsigned)mlp_preprocess_scaling(pre) >= MLP_SCALE_COUNT ||
        (unsigned)mlp_preprocess_task(pre) >= MLP_TASK_COUNT ||
        mlp_preprocess_label_index(pre) < -1)
        return MLP_ERR_INVALID_ARG;
    const float *offset = mlp_preprocess_offset(pre), *scale = mlp_preprocess_scale(pre);
    if (!offset || !scale) return MLP_ERR_INVALID_ARG;
    for (size_t i = 0; i < n; i++)
        if (!mlp_is_finite(offset[i]) || !mlp_is_finite(scale[i])) return MLP_ERR_NON_FINITE;
    size_t classes = mlp_preprocess_class_count(pre);
    if (classes != 0 && classes != mlp_net_output_size(net)) return MLP_ERR_DIMENSION;

    uint64_t total = PREP_FIXED_LEN + 8 * (uint64_t)n;
    uint64_t s = str_size(mlp_preprocess_label_name(pre));
    if (!s) return MLP_ERR_INVALID_ARG;
    total += s;
    for (size_t c = 0; c < classes; c++) {
        const char *name = mlp_preprocess_class_name(pre, c);
        if (!name || !(s = str_size(name))) return MLP_ERR_INVALID_ARG;
        total += s;
    }
    /* A file whose sections contradict each other would be refused on load. */
    if (mlp_model_sections_agree(net, pre, mlp_preprocess_encoding(pre), NULL, 0) != MLP_OK)
        return MLP_ERR_INVALID_ARG;
    *size = total;
    return MLP_OK;
}

/* Checks that opt was made for net; returns its body size in *size. */
static mlp_status check_optimizer(const mlp_optimizer *opt, const mlp_net *net,
                                  uint64_t *size)
{
    size_t count = 0, P = mlp_net_param_count(net);
    const float *state = mlp_optimizer_state_const(opt, &count);
    if (!mlp_optimizer_fits(opt, net)) return MLP_ERR_WORKSPACE_MISMATCH;
    if (count != 0 && count != P && count != 2 * P) return MLP_ERR_WORKSPACE_MISMATCH;
    if (count && !state) return MLP_ERR_INVALID_ARG;
    if (!mlp_optimizer_settings(opt)) return MLP_ERR_INVALID_ARG;
    *size = OPTM_FIXED_LEN + 4 * (uint64_t)count;
    return MLP_OK;
}

static void put_section_header(writer *w, uint32_t tag, uint64_t body)
{
    put_u32(w, tag);
    put_u32(w, 0);
    put_u64(w, body);
}

static void put_net(writer *w, const mlp_net *net)
{
    size_t L = mlp_net_layer_count(net);
    put_u32(w, (uint32_t)L);
    put_u32(w, (uint32_t)mlp_net_bias_mode(net));
    for (size_t i = 0; i <= L; i++) put_u64(w, mlp_net_size(net, i));
    for (size_t k = 0; k < L; k++) put_u32(w, (uint32_t)mlp_net_activation(net, k));
    put_u64(w, mlp_net_param_count(net));
    put_f32s(w, mlp_net_params_const(net), mlp_net_param_count(net));
    uint64_t rng[MLP_RNG_STATE_WORDS];
    mlp_net_rng_state(net, rng);
    for (size_t i = 0; i < MLP_RNG_STATE_WORDS; i++) put_u64(w, rng[i]);
}

static void put_preprocess(writer *w, const mlp_preprocess *pre)
{
    size_t n = mlp_preprocess_input_size(pre), classes = mlp_preprocess_class_count(pre);
    put_u64(w, n);
    put_u32(w, (uint32_t)mlp_preprocess_scaling(pre));
    put_u32(w, (uint32_t)mlp_preprocess_task(pre));
    put_u64(w, (uint64_t)(int64_t)mlp_preprocess_label_index(pre));
    put_str(w, mlp_preprocess_label_name(pre));
    put_u64(w, classes);
    put_f32s(w, mlp_preprocess_offset(pre), n);
    put_f32s(w, mlp_preprocess_scale(pre), n);
    for (size_t c = 0; c < classes; c++) put_str(w, mlp_preprocess_class_name(pre, c));
}

static void put_optimizer(writer *w, const mlp_optimizer *opt)
{
    const mlp_optimizer_config *c = mlp_optimizer_settings(opt);
    size_t count = 0;
    const float *state = mlp_optimizer_state_const(opt, &count);
    put_u32(w, (uint32_t)c->kind);
    put_u32(w, (uint32_t)c->reduction);
    put_u32(w, (uint32_t)c->schedule);
    put_u32(w, 0);
    put_f32(w, c->learning_rate);
    put_f32(w, c->momentum);
    put_f32(w, c->beta1);
    put_f32(w, c->beta2);
    put_f32(w, c->rho);
    put_f32(w, c->epsilon);
    put_f32(w, c->weight_decay);
    put_f32(w, c->step_gamma);
    put_f32(w, c->min_learning_rate);
    put_u64(w, c->step_epochs);
    put_u64(w, c->total_epochs);
    put_u64(w, mlp_optimizer_step_count(opt));
    put_u64(w, count);
    put_f32s(w, state, count);
}

/* ------------------------------------------------------------------ images */

/* The sizes of an image's parts, computed once its inputs are checked. */
typedef struct image_plan {
    uint64_t net, pre, opt, table, total; /* table 0: no "TABL" section */
    int has_prec; /* a "PREC" section: the net's last step was not float */
    uint64_t int8; /* the "QNT8" section's body; 0: none */
} image_plan;

static mlp_status plan_image(const mlp_net *net, const mlp_preprocess *pre,
                             const mlp_optimizer *opt, image_plan *ip, mlp_error_detail *d)
{
    size_t L = mlp_net_layer_count(net);
    if (L == 0 || L > UINT32_MAX)
        return mlp_fail(d, MLP_ERR_INVALID_ARG, "net has %zu layers", L);
    ip->net = net_body_size(net);
    ip->pre = ip->opt = ip->table = 0;
    mlp_status st;
    if (pre && (st = check_preprocess(pre, net, &ip->pre)) != MLP_OK)
        return st == MLP_ERR_DIMENSION
                   ? mlp_fail(d, st, "pre has %zu inputs and %zu classes, net %zu inputs and "
                              "%zu outputs", mlp_preprocess_input_size(pre),
                              mlp_preprocess_class_count(pre), mlp_net_input_size(net),
                              mlp_net_output_size(net))
                   : mlp_fail(d, st, "pre holds an out-of-range setting or a NaN or infinite "
                              "offset or scale");
    const mlp_table_encoding *enc = pre ? mlp_preprocess_encoding(pre) : NULL;
    if (enc && !(ip->table = mlp_model_table_size(enc)))
        return mlp_fail(d, MLP_ERR_INVALID_ARG, "pre's table encoding is too large to store");
    if (opt && (st = check_optimizer(opt, net, &ip->opt)) != MLP_OK)
        return mlp_fail(d, st, "opt was made for a net of another topology than net");
    if (!mlp_all_finite(mlp_net_params_const(net), mlp_net_param_count(net)))
        return mlp_fail(d, MLP_ERR_NON_FINITE, "net holds a NaN or infinite parameter");
    if (opt) {
        size_t n;
        const float *state = mlp_optimizer_state_const(opt, &n);
        if (!mlp_all_finite(state, n))
            return mlp_fail(d, MLP_ERR_NON_FINITE, "opt holds a NaN or infinite state value");
    }
    uint64_t total = MODEL_HEADER_LEN + SECTION_HEADER_LEN + ip->net + MODEL_CRC_LEN;
    if (pre) total += SECTION_HEADER_LEN + ip->pre;
    if (opt) total += SECTION_HEADER_LEN + ip->opt;
    if (ip->table) total += SECTION_HEADER_LEN + ip->table;
    ip->has_prec = mlp_net_trained_precision(net) != MLP_PRECISION_FP32;
    if (ip->has_prec) total += SECTION_HEADER_LEN + PREC_LEN;
    /* Stale int8 weights (the parameters changed since) would be saved as if current. */
    if (net->int8 && !mlp_int8_ready(net))
        return mlp_fail(d, MLP_ERR_STATE, "net's int8 weights are stale (its parameters "
                        "changed since it was quantized): quantize it again");
    ip->int8 = mlp_model_int8_size(net);
    if (ip->int8) total += SECTION_HEADER_LEN + ip->int8;
    if (total > MODEL_MAX_BYTES || total > SIZE_MAX)
        return mlp_fail(d, MLP_ERR_INVALID_ARG, "the image (%llu bytes) is larger than a model "
                        "file may be", (unsigned long long)total);
    ip->total = total;
    return MLP_OK;
}

/* Writes the image planned in ip to p (ip->total bytes); returns the bytes written, which
 * differ from ip->total only through a bug in the sizes above. */
static size_t write_image(unsigned char *p, const image_plan *ip, const mlp_net *net,
                          const mlp_preprocess *pre, const mlp_optimizer *opt, size_t epoch)
{
    writer w = {p, 0};
    put_bytes(&w, MODEL_MAGIC, MODEL_MAGIC_LEN);
    /* The lowest version that holds the model, so that older readers still read it. */
    put_u32(&w, ip->int8 ? 4u : ip->has_prec ? 3u : ip->table ? 2u : 1u);
    put_u32(&w, 1u + (pre != NULL) + (opt != NULL) + (ip->table != 0) + (uint32_t)ip->has_prec +
                    (ip->int8 != 0));
    put_u64(&w, ip->total);
    put_u64(&w, epoch);
    put_section_header(&w, TAG_NET, ip->net);
    put_net(&w, net);
    if (pre) {
        put_section_header(&w, TAG_PREP, ip->pre);
        put_preprocess(&w, pre);
    }
    if (opt) {
        put_section_header(&w, TAG_OPTM, ip->opt);
        put_optimizer(&w, opt);
    }
    if (ip->table) {
        put_section_header(&w, TAG_TABL, ip->table);
        mlp_model_table_put(&w, mlp_preprocess_encoding(pre));
    }
    if (ip->has_prec) {
        put_section_header(&w, TAG_PREC, PREC_LEN);
        put_u32(&w, (uint32_t)mlp_net_trained_precision(net));
    }
    if (ip->int8) {
        put_section_header(&w, TAG_QNT8, ip->int8);
        mlp_model_int8_put(&w, net);
    }
    st_u32(w.p + w.pos, (uint32_t)crc32(0L, w.p, (uInt)w.pos));
    return w.pos + MODEL_CRC_LEN;
}

static const char image_size_bug[] = "the image's planned and written sizes differ";

mlp_status mlp_model_write_parts_mem(void **data, size_t *size, const mlp_net *net,
                                     const mlp_preprocess *pre, const mlp_optimizer *opt,
                                     size_t epoch)
{
    return mlp_model_write_parts_mem_ex(data, size, net, pre, opt, epoch, NULL);
}

mlp_status mlp_model_write_parts_mem_ex(void **data, size_t *size, const mlp_net *net,
                                        const mlp_preprocess *pre, const mlp_optimizer *opt,
                                        size_t epoch, mlp_error_detail *detail)
{
    if (!data) return mlp_fail(detail, MLP_ERR_NULL_ARG, "data is NULL");
    if (!size) return mlp_fail(detail, MLP_ERR_NULL_ARG, "size is NULL");
    if (!net) return mlp_fail(detail, MLP_ERR_NULL_ARG, "net is NULL");
    image_plan ip;
    mlp_status st = plan_image(net, pre, opt, &ip, detail);
    if (st != MLP_OK) return st;
    unsigned char *p = mlp_mem_alloc((size_t)ip.total);
    if (!p)
        return mlp_fail(detail, MLP_ERR_NO_MEMORY, "no memory for an image of %llu bytes",
                        (unsigned long long)ip.total);
    if (write_image(p, &ip, net, pre, opt, epoch) != ip.total) {
        mlp_mem_free(p);
        return mlp_fail(detail, MLP_ERR_INVALID_ARG, "%s", image_size_bug);
    }
    *data = p;
    *size = (size_t)ip.total;
    return MLP_OK;
}

mlp_status mlp_model_write_parts_size(size_t *size, const mlp_net *net, const mlp_preprocess *pre,
                                      const mlp_optimizer *opt)
{
    return mlp_model_write_parts_size_ex(size, net, pre, opt, NULL);
}

mlp_status mlp_model_write_parts_size_ex(size_t *size, const mlp_net *net,
                                         const mlp_preprocess *pre, const mlp_optimizer *opt,
                                         mlp_error_detail *detail)
{
    if (!size) return mlp_fail(detail, MLP_ERR_NULL_ARG, "size is NULL");
    if (!net) return mlp_fail(detail, MLP_ERR_NULL_ARG, "net is NULL");
    image_plan ip;
    mlp_status st = plan_image(net, pre, opt, &ip, detail);
    if (st == MLP_OK) *size = (size_t)ip.total;
    return st;
}

mlp_status mlp_model_write_parts_into(void *buf, size_t capacity, size_t *written,
                                      const mlp_net *net, const mlp_preprocess *pre,
                                      const mlp_optimizer *opt, size_t epoch)
{
    return mlp_model_write_parts_into_ex(buf, capacity, written, net, pre, opt, epoch, NULL);
}

mlp_status mlp_model_write_parts_into_ex(void *buf, size_t capacity, size_t *written,
                                         const mlp_net *net, const mlp_preprocess *pre,
                                         const mlp_optimizer *opt, size_t epoch,
                                         mlp_error_detail *detail)
{
    if (!buf) return mlp_fail(detail, MLP_ERR_NULL_ARG, "buf is NULL");
    if (!written) return mlp_fail(detail, MLP_ERR_NULL_ARG, "written is NULL");
    if (!net) return mlp_fail(detail, MLP_ERR_NULL_ARG, "net is NULL");
    image_plan ip;
    mlp_status st = plan_image(net, pre, opt, &ip, detail);
    if (st != MLP_OK) return st;
    if (capacity < ip.total)
        return mlp_fail(detail, MLP_ERR_DIMENSION, "capacity is %zu bytes, the image needs "
                        "%llu (mlp_model_write_parts_size)", capacity,
                        (unsigned long long)ip.total);
    if (write_image(buf, &ip, net, pre, opt, epoch) != ip.total)
        return mlp_fail(detail, MLP_ERR_INVALID_ARG, "%s", image_size_bug);
    *written = (size_t)ip.total;
    return MLP_OK;
}

void mlp_free(void *p)
{
    mlp_mem_free(p);
}
