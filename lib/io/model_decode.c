/* Builds a net, preprocessing and optimizer from a model image in memory, after
 * mlp_model_parse has validated every byte (model_format.h). */
#include "model_format.h"

/* ------------------------------------------------------------------ building */

/* Maps a constructor's refusal of validated-looking data to FORMAT. */
static mlp_status as_format(mlp_status s, const char *what, mlp_error_detail *detail)
{
    if (s == MLP_OK || s == MLP_ERR_NO_MEMORY) return s;
    set_detail(detail, "%s refused: %s", what, mlp_strerror(s));
    return MLP_ERR_FORMAT;
}

static mlp_status build_net(const net_plan *np, mlp_net **out, mlp_error_detail *detail)
{
    size_t L = np->n_layers;
    size_t *sizes = mlp_mem_alloc((L + 1) * sizeof *sizes);
    mlp_activation *acts = mlp_mem_alloc(L * sizeof *acts);
    mlp_status s = MLP_ERR_NO_MEMORY;
    mlp_net *net = NULL;
    if (sizes && acts) {
        for (size_t i = 0; i <= L; i++) sizes[i] = (size_t)ld_u64(np->sizes_at + 8 * i);
        for (size_t k = 0; k < L; k++) acts[k] = (mlp_activation)ld_u32(np->acts_at + 4 * k);
        s = as_format(mlp_net_create(&net, L, sizes, acts, np->bias), "net", detail);
    }
    mlp_mem_free(sizes);
    mlp_mem_free(acts);
    if (s != MLP_OK) return s;
    if (mlp_net_param_count(net) != np->param_count) {
        mlp_net_free(net);
        set_detail(detail, "parameter layout differs from this library's");
        return MLP_ERR_FORMAT;
    }
    float *p = mlp_net_params(net);
    for (size_t i = 0; i < np->param_count; i++) p[i] = ld_f32(np->params_at + 4 * i);
    uint64_t rng[MLP_RNG_STATE_WORDS];
    for (size_t i = 0; i < MLP_RNG_STATE_WORDS; i++) rng[i] = ld_u64(np->rng_at + 8 * i);
    if (mlp_net_set_rng_state(net, rng) != MLP_OK) {
        mlp_net_free(net);
        set_detail(detail, "invalid RNG state (all zero)");
        return MLP_ERR_FORMAT;
    }
    *out = net;
    return MLP_OK;
}

static mlp_status build_preprocess(const pre_plan *pp, mlp_preprocess **out,
                                   mlp_error_detail *detail)
{
    size_t n = pp->input_size, C = pp->class_count;
    mlp_preprocess *pre = NULL;
    float *offset = mlp_mem_alloc((n ? n : 1) * sizeof *offset);
    float *scale = mlp_mem_alloc((n ? n : 1) * sizeof *scale);
    char **names = mlp_mem_calloc(C ? C : 1, sizeof *names);
    char *label = NULL;
    mlp_status s = MLP_ERR_NO_MEMORY;
    if (!offset || !scale || !names) goto done;
    if (pp->label_name.present && !(label = dup_str(&pp->label_name))) goto done;
    reader r = {pp->classes_at, pp->classes_len, 0}; /* checked by parse_preprocess */
    for (size_t c = 0; c < C; c++) {
        str_ref sr = {NULL, 0, 0};
        if (!get_str(&r, &sr)) {
            s = MLP_ERR_FORMAT;
            goto done;
        }
        if (!(names[c] = dup_str(&sr))) goto done;
    }
    for (size_t i = 0; i < n; i++) {
        offset[i] = ld_f32(pp->offset_at + 4 * i);
        scale[i] = ld_f32(pp->scale_at + 4 * i);
    }
    s = as_format(mlp_preprocess_create(&pre, n), "preprocess", detail);
    if (s == MLP_OK)
        s = as_format(mlp_preprocess_set_scaling(pre, pp->scaling, offset, scale),
                      "scaling", detail);
    if (s == MLP_OK)
        s = as_format(mlp_preprocess_set_label_info(pre, pp->task, label, pp->label_index, C,
                                                    (const char *const *)names),
                      "label information", detail);
done:
    if (s != MLP_OK) mlp_preprocess_free(pre);
    else *out = pre;
    if (names)
        for (size_t c = 0; c < C; c++) mlp_mem_free(names[c]);
    mlp_mem_free(names);
    mlp_mem_free(label);
    mlp_mem_free(offset);
    mlp_mem_free(scale);
    return s;
}

static mlp_status build_optimizer(const opt_plan *op, const mlp_net *net, size_t epoch,
                                  mlp_optimizer **out, mlp_error_detail *detail)
{
    mlp_optimizer *opt = NULL;
    mlp_status s = as_format(mlp_optimizer_create(&opt, net, &op->config), "optimizer",
                             detail);
    if (s != MLP_OK) return s;
    size_t count = 0;
    float *state = mlp_optimizer_state(opt, &count);
    if (count != op->state_count || (count && !state)) {
        mlp_optimizer_free(opt);
        set_detail(detail, "optimizer state has %zu floats, this kind needs %zu",
                   op->state_count, count);
        return MLP_ERR_FORMAT;
    }
    for (size_t i = 0; i < count; i++) state[i] = ld_f32(op->state_at + 4 * i);
    s = as_format(mlp_optimizer_set_step_count(opt, op->step_count), "optimizer step count",
                  detail);
    if (s == MLP_OK) s = as_format(mlp_optimizer_check_state(opt), "optimizer state", detail);
    if (s == MLP_OK)
        s = as_format(mlp_optimizer_set_epoch(opt, epoch), "optimizer epoch", detail);
    if (s != MLP_OK) {
        mlp_optimizer_free(opt);
        return s;
    }
    *out = opt;
    return MLP_OK;
}

/* The checked "TABL" body, built and attached to the preprocessing. */
static mlp_status attach_table(const model_plan *plan, mlp_preprocess *p,
                               mlp_error_detail *detail)
{
    mlp_table_encoding *enc = NULL;
    size_t outputs = (size_t)ld_u64(plan->net.sizes_at + 8 * plan->net.n_layers);
    mlp_status s = mlp_model_table_build(plan->table_at, plan->table_len,
                                         plan->pre.input_size, outputs, &enc);
    if (s == MLP_OK) s = as_format(mlp_preprocess_set_encoding(p, enc), "table", detail);
    mlp_table_encoding_free(enc);
    return s;
}

/* The parsed image against the caller's limits, before anything is built. */
static mlp_status within_limits(const model_plan *plan, size_t size,
                                const mlp_model_open_options *lim, mlp_error_detail *detail)
{
    size_t widest = 0;
    for (size_t i = 0; i <= plan->net.n_layers; i++) {
        uint64_t w = ld_u64(plan->net.sizes_at + 8 * i);
        if (w > widest) widest = (size_t)w;
    }
    const size_t value[] = {size, plan->net.param_count, widest};
    const size_t limit[] = {lim->max_bytes, lim->max_params, lim->max_width};
    const char *what[] = {"max_bytes", "max_params", "max_width"};
    const char *has[] = {"bytes", "parameters", "as its widest layer"};
    for (size_t k = 0; k < 3; k++)
        if (limit[k] && value[k] > limit[k]) {
            set_detail(detail, "options->%s is %zu, and the image has %zu %s", what[k],
                       limit[k], value[k], has[k]);
            return MLP_ERR_INVALID_ARG;
        }
    return MLP_OK;
}

mlp_status mlp_model_open_parts_mem(const void *data, size_t size, mlp_net **net,
                                    mlp_preprocess **pre, mlp_optimizer **opt,
                                    mlp_model_info *info, mlp_error_detail *detail)
{
    return mlp_model_open_parts_mem_limited(data, size, NULL, net, pre, opt, info, detail);
}

mlp_status mlp_model_open_parts_mem_limited(const void *data, size_t size,
                                            const mlp_model_open_options *limits,
                                            mlp_net **net, mlp_preprocess **pre,
                                            mlp_optimizer **opt, mlp_model_info *info,
                                            mlp_error_detail *detail)
{
    clear_detail(detail);
    if (!data || !net) {
        set_detail(detail, "data and net are required");
        return MLP_ERR_NULL_ARG;
    }
    if (limits && limits->max_bytes && size > limits->max_bytes) {
        set_detail(detail, "options->max_bytes is %zu, and the image has %zu bytes",
                   limits->max_bytes, size);
        return MLP_ERR_INVALID_ARG;
    }
    model_plan plan;
    mlp_status s = mlp_model_parse(data, size, &plan, detail);
    if (s == MLP_OK && limits) s = within_limits(&plan, size, limits, detail);
    if (s != MLP_OK) return s;

    mlp_net *n = NULL;
    mlp_preprocess *p = NULL;
    mlp_optimizer *o = NULL;
    s = build_net(&plan.net, &n, detail);
    if (s == MLP_OK && plan.has_pre && pre) s = build_preprocess(&plan.pre, &p, detail);
    if (s == MLP_OK && p && plan.has_table) s = attach_table(&plan, p, detail);
    if (s == MLP_OK && p) { /* sections valid alone may still contradict each other */
        char why[200];
        if (mlp_model_sections_agree(n, p, mlp_preprocess_encoding(p), why, sizeof why) !=
            MLP_OK) {
            set_detail(detail, "the model's sections contradict each other: %s", why);
            s = MLP_ERR_FORMAT;
        }
    }
    if (s == MLP_OK && plan.has_opt && opt)
        s = build_optimizer(&plan.opt, n, plan.epoch, &o, detail);
    if (n) n->param_version = 0; /* a loaded net starts counting afresh */
    if (s == MLP_OK && plan.int8_at) s = mlp_model_int8_build(plan.int8_at, n);
    if (s != MLP_OK) {
        mlp_optimizer_free(o);
        mlp_preprocess_free(p);
        mlp_net_free(n);
        return s;
    }
    n->trained_precision = plan.trained_precision;
    *net = n;
    if (pre) *pre = p;
    if (opt) *opt = o;
    if (info) {
        info->format_version = plan.version;
        info->has_preprocess = plan.has_pre;
        info->has_optimizer = plan.has_opt;
        info->epoch = plan.epoch;
    }
    return MLP_OK;
}
