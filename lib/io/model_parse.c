/* The model format's validating parser: every field of an image is checked against the
 * specification in model_format.h before anything sized by it is allocated. */
#include "model_format.h"

#include <limits.h>
#include <zlib.h>

#define FAIL(...) do { set_detail(detail, __VA_ARGS__); return MLP_ERR_FORMAT; } while (0)

static mlp_status parse_net(reader *r, net_plan *np, mlp_error_detail *detail)
{
    uint32_t L, bias;
    uint64_t P;
    if (!get_u32(r, &L) || !get_u32(r, &bias)) FAIL("net section too short");
    if (L == 0) FAIL("net has no layers");
    if (bias >= MLP_BIAS_COUNT) FAIL("unknown bias mode %u", (unsigned)bias);
    /* L+1 widths and L activations must fit the section before anything is read. */
    np->sizes_at = take_n(r, (size_t)L + 1, 8);
    np->acts_at = np->sizes_at ? take_n(r, L, 4) : NULL;
    if (!np->acts_at) FAIL("net section too short for %u layers", (unsigned)L);
    for (size_t i = 0; i <= L; i++) {
        uint64_t n = ld_u64(np->sizes_at + 8 * i);
        if (n == 0 || n > SIZE_MAX) FAIL("invalid width %llu of layer %zu",
                                         (unsigned long long)n, i);
    }
    for (size_t k = 0; k < L; k++) {
        uint32_t a = ld_u32(np->acts_at + 4 * k);
        if (a >= MLP_ACT_COUNT) FAIL("unknown activation %u of layer %zu", (unsigned)a, k);
        if (a == MLP_ACT_SOFTMAX && k + 1 < L) FAIL("softmax on hidden layer %zu", k);
    }
    if (!get_u64(r, &P)) FAIL("net section too short");

    /* The implied count, computed without allocating: widths are read one pair at a time. */
    size_t total = 0, w, b;
    for (size_t k = 0; k < L; k++) {
        size_t in = (size_t)ld_u64(np->sizes_at + 8 * k);
        size_t out = (size_t)ld_u64(np->sizes_at + 8 * (k + 1));
        if (!mlp_mul_size(out, in, &w)) FAIL("layer %zu is too large", k);
        b = bias == MLP_BIAS_PER_NEURON ? out : bias == MLP_BIAS_PER_LAYER;
        if (w > SIZE_MAX - total || b > SIZE_MAX - total - w) FAIL("net is too large");
        total += w + b;
    }
    if (bias == MLP_BIAS_PER_NETWORK) {
        if (total == SIZE_MAX) FAIL("net is too large");
        total++;
    }
    if (P != total) FAIL("parameter count %llu does not match the topology (%zu)",
                         (unsigned long long)P, total);
    np->params_at = take_f32s(r, total);
    if (!np->params_at) FAIL("net section too short for %zu parameters", total);
    /* A NaN model is no model: the library never writes one (see mlp_model_write_parts). */
    size_t bad = first_non_finite(np->params_at, total);
    if (bad < total) FAIL("parameter %zu is not finite", bad);
    np->rng_at = take_n(r, MLP_RNG_STATE_WORDS, 8);
    if (!np->rng_at) FAIL("net section too short for the RNG state");
    if (r->pos != r->len) FAIL("net section longer than its content");
    np->n_layers = L;
    np->bias = (mlp_bias_mode)bias;
    np->param_count = total;
    return MLP_OK;
}

static mlp_status parse_preprocess(reader *r, const net_plan *np, pre_plan *pp,
                                   mlp_error_detail *detail)
{
    uint64_t n, index, classes;
    uint32_t scaling, task;
    if (!get_u64(r, &n) || !get_u32(r, &scaling) || !get_u32(r, &task) ||
        !get_u64(r, &index))
        FAIL("preprocess section too short");
    if (n != ld_u64(np->sizes_at)) FAIL("preprocess input size %llu differs from the net's",
                                        (unsigned long long)n);
    if (scaling >= MLP_SCALE_COUNT) FAIL("unknown scaling %u", (unsigned)scaling);
    if (task >= MLP_TASK_COUNT) FAIL("unknown task %u", (unsigned)task);
    int64_t li = (int64_t)index;
    if (li < -1 || li > LONG_MAX) FAIL("invalid label index %lld", (long long)li);
    if (!get_str(r, &pp->label_name)) FAIL("invalid label name");
    if (!get_u64(r, &classes)) FAIL("preprocess section too short");
    if (classes != 0 && classes != ld_u64(np->sizes_at + 8 * np->n_layers))
        FAIL("class count %llu differs from the net's output size",
             (unsigned long long)classes);
    pp->offset_at = take_f32s(r, (size_t)n);
    pp->scale_at = pp->offset_at ? take_f32s(r, (size_t)n) : NULL;
    if (!pp->scale_at) FAIL("preprocess section too short for %llu features",
                            (unsigned long long)n);
    for (size_t i = 0; i < n; i++)
        if (!mlp_is_finite(ld_f32(pp->offset_at + 4 * i)) ||
            !mlp_is_finite(ld_f32(pp->scale_at + 4 * i)))
            FAIL("non-finite scaling of feature %zu", i);
    pp->classes_at = r->p + r->pos;
    pp->classes_len = r->len - r->pos;
    for (size_t c = 0; c < classes; c++) {
        str_ref s;
        if (!get_str(r, &s) || !s.present) FAIL("invalid name of class %zu", c);
    }
    if (r->pos != r->len) FAIL("preprocess section longer than its content");
    pp->input_size = (size_t)n;
    pp->scaling = (mlp_scaling)scaling;
    pp->task = (mlp_task)task;
    pp->label_index = (long)li;
    pp->class_count = (size_t)classes;
    return MLP_OK;
}

static mlp_status parse_optimizer(reader *r, const net_plan *np, opt_plan *op,
                                  mlp_error_detail *detail)
{
    const unsigned char *f = take(r, OPTM_FIXED_LEN);
    if (!f) FAIL("optimizer section too short");
    uint32_t kind = ld_u32(f), reduction = ld_u32(f + 4), schedule = ld_u32(f + 8);
    if (kind >= MLP_OPT_COUNT) FAIL("unknown optimizer kind %u", (unsigned)kind);
    if (reduction >= MLP_REDUCE_COUNT) FAIL("unknown reduction %u", (unsigned)reduction);
    if (schedule >= MLP_SCHEDULE_COUNT) FAIL("unknown schedule %u", (unsigned)schedule);
    if (ld_u32(f + 12) != 0) FAIL("reserved optimizer field is not zero");

    mlp_optimizer_config *c = &op->config;
    *c = mlp_optimizer_config_default((mlp_optimizer_kind)kind);
    c->reduction = (mlp_reduction)reduction;
    c->schedule = (mlp_schedule)schedule;
    float *floats[9] = {&c->learning_rate, &c->momentum, &c->beta1, &c->beta2, &c->rho,
                        &c->epsilon, &c->weight_decay, &c->step_gamma,
                        &c->min_learning_rate};
    for (size_t i = 0; i < 9; i++) {
        *floats[i] = ld_f32(f + 16 + 4 * i);
        if (!mlp_is_finite(*floats[i])) FAIL("non-finite optimizer setting %zu", i);
    }
    uint64_t step_epochs = ld_u64(f + 52), total_epochs = ld_u64(f + 60);
    if (step_epochs > SIZE_MAX || total_epochs > SIZE_MAX) FAIL("epoch counts too large");
    c->step_epochs = (size_t)step_epochs;
    c->total_epochs = (size_t)total_epochs;
    op->step_count = ld_u64(f + 68);

    uint64_t count = ld_u64(f + 76), P = np->param_count;
    if (count != 0 && count != P && count != 2 * P)
        FAIL("optimizer state of %llu floats does not fit %llu parameters",
             (unsigned long long)count, (unsigned long long)P);
    op->state_at = take_f32s(r, (size_t)count);
    if (!op->state_at) FAIL("optimizer section too short for its state");
    size_t bad = first_non_finite(op->state_at, (size_t)count);
    if (bad < count) FAIL("optimizer state value %zu is not finite", bad);
    if (r->pos != r->len) FAIL("optimizer section longer than its content");
    op->state_count = (size_t)count;
    return MLP_OK;
}

/* ------------------------------------------------------------------ header */

mlp_status mlp_model_check_header(const unsigned char *h, size_t have, uint64_t total,
                                  uint32_t *version, uint64_t *length,
                                  mlp_error_detail *detail)
{
    size_t m = have < MODEL_MAGIC_LEN ? have : MODEL_MAGIC_LEN;
    if (memcmp(h, MODEL_MAGIC, m) != 0) FAIL("not a libmlp model file (bad magic)");
    if (have >= 12) {
        *version = ld_u32(h + 8);
        if (*version == 0) FAIL("invalid format version 0");
        if (*version > MLP_MODEL_FORMAT_VERSION) {
            set_detail(detail, "format version %u is newer than this library's (%u)",
                       (unsigned)*version, (unsigned)MLP_MODEL_FORMAT_VERSION);
            return MLP_ERR_VERSION;
        }
    }
    if (have < MODEL_HEADER_LEN) {
        set_detail(detail, "model ends inside the header (%zu bytes)", have);
        return MLP_ERR_TRUNCATED;
    }
    *length = ld_u64(h + 16);
    if (*length < MODEL_HEADER_LEN + SECTION_HEADER_LEN + MODEL_CRC_LEN)
        FAIL("declared length %llu is too small", (unsigned long long)*length);
    if (*length > MODEL_MAX_BYTES || *length > SIZE_MAX)
        FAIL("declared length %llu exceeds the 4 GiB limit", (unsigned long long)*length);
    if (total < *length) {
        set_detail(detail, "model has %llu of its %llu bytes", (unsigned long long)total,
                   (unsigned long long)*length);
        return MLP_ERR_TRUNCATED;
    }
    if (total > *length)
        FAIL("%llu bytes after the declared end", (unsigned long long)(total - *length));
    return MLP_OK;
}

/* ------------------------------------------------------------------ sections */

/* The training precision section (version 3). */
static mlp_status parse_precision(reader *r, mlp_precision *out, mlp_error_detail *detail)
{
    uint32_t p;
    if (!get_u32(r, &p)) FAIL("precision section too short");
    if (r->pos != r->len) FAIL("precision section longer than its content");
    if (p > MLP_PRECISION_BF16) FAIL("unknown training precision %u", (unsigned)p);
    *out = (mlp_precision)p;
    return MLP_OK;
}

/* Walks the sections of a checked image and validates each; nothing is allocated. */
static mlp_status parse_sections(const unsigned char *b, size_t len, model_plan *plan,
                                 mlp_error_detail *detail)
{
    net_plan *np = &plan->net;
    uint32_t count = ld_u32(b + 12);
    uint32_t max = plan->version >= 4 ? 6 : plan->version >= 3 ? 5 : plan->version >= 2 ? 4 : 3;
    if (count == 0 || count > max) FAIL("invalid section count %u", (unsigned)count);
    reader file = {b, len - MODEL_CRC_LEN, MODEL_HEADER_LEN};
    reader body[6] = {{NULL, 0, 0}, {NULL, 0, 0}, {NULL, 0, 0}, {NULL, 0, 0}, {NULL, 0, 0},
                      {NULL, 0, 0}};
    int seen[6] = {0, 0, 0, 0, 0, 0};
    for (uint32_t i = 0; i < count; i++) {
        const unsigned char *h = take(&file, SECTION_HEADER_LEN);
        if (!h) FAIL("section %u header overruns the file", (unsigned)i);
        uint32_t tag = ld_u32(h), flags = ld_u32(h + 4);
        uint64_t size = ld_u64(h + 8);
        int which = tag == TAG_NET ? 0 : tag == TAG_PREP ? 1 : tag == TAG_OPTM ? 2
                    : tag == TAG_TABL && plan->version >= 2 ? 3
                    : tag == TAG_PREC && plan->version >= 3 ? 4
                    : tag == TAG_QNT8 && plan->version >= 4 ? 5 : -1;
        if (which < 0) FAIL("unknown section tag 0x%08x", (unsigned)tag);
        if (seen[which]) FAIL("duplicate section 0x%08x", (unsigned)tag);
        if (flags != 0) FAIL("section 0x%08x has unknown flags", (unsigned)tag);
        if (size > file.len - file.pos) FAIL("section 0x%08x overruns the file", (unsigned)tag);
        body[which] = (reader){take(&file, (size_t)size), (size_t)size, 0};
        seen[which] = 1;
    }
    if (file.pos != file.len) FAIL("bytes after the last section");
    if (!seen[0]) FAIL("no net section");

    mlp_status s = parse_net(&body[0], np, detail);
    if (s == MLP_OK && seen[1]) s = parse_preprocess(&body[1], np, &plan->pre, detail);
    if (s == MLP_OK && seen[2]) s = parse_optimizer(&body[2], np, &plan->opt, detail);
    if (s == MLP_OK && seen[3] && !seen[1]) FAIL("table section without a preprocess section");
    if (s == MLP_OK && seen[3])
        s = mlp_model_table_check(body[3].p, body[3].len, plan->pre.input_size,
                                  (size_t)ld_u64(np->sizes_at + 8 * np->n_layers), detail);
    plan->has_pre = seen[1];
    plan->has_opt = seen[2];
    plan->has_table = seen[3];
    plan->table_at = body[3].p;
    plan->table_len = body[3].len;
    plan->trained_precision = MLP_PRECISION_FP32;
    if (s == MLP_OK && seen[4]) s = parse_precision(&body[4], &plan->trained_precision, detail);
    plan->int8_at = seen[5] ? body[5].p : NULL;
    if (s == MLP_OK && seen[5]) s = mlp_model_int8_check(body[5].p, body[5].len, np, detail);
    return s;
}

mlp_status mlp_model_parse(const unsigned char *b, size_t len, model_plan *plan,
                           mlp_error_detail *detail)
{
    uint64_t length = 0;
    mlp_status s = mlp_model_check_header(b, len, len, &plan->version, &length, detail);
    if (s != MLP_OK) return s;
    uint32_t stored = ld_u32(b + len - MODEL_CRC_LEN);
    uint32_t actual = (uint32_t)crc32(0L, b, (uInt)(len - MODEL_CRC_LEN));
    if (stored != actual) {
        set_detail(detail, "CRC-32 mismatch (stored %08x, computed %08x)", (unsigned)stored,
                   (unsigned)actual);
        return MLP_ERR_CHECKSUM;
    }
    s = parse_sections(b, len, plan, detail);
    if (s != MLP_OK) return s;
    uint64_t epoch = ld_u64(b + 24);
    if (epoch > SIZE_MAX) FAIL("epoch %llu too large", (unsigned long long)epoch);
    plan->epoch = (size_t)epoch;
    return MLP_OK;
}

#undef FAIL