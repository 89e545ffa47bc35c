/* The model handle: a net with its preprocessing and optimizer, created from parts, loaded
 * from a file, saved. */
#include "api/model_handle.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* DIMENSION/WORKSPACE_MISMATCH, naming the part, when the parts do not belong together. */
static mlp_status check_parts(const mlp_net *net, const mlp_preprocess *pre,
                              const mlp_optimizer *opt, mlp_error_detail *d)
{
    if (pre) {
        if (mlp_preprocess_input_size(pre) != mlp_net_input_size(net))
            return mlp_fail(d, MLP_ERR_DIMENSION, "pre scales %zu inputs, net takes %zu",
                            mlp_preprocess_input_size(pre), mlp_net_input_size(net));
        size_t classes = mlp_preprocess_class_count(pre);
        if (classes && classes != mlp_net_output_size(net))
            return mlp_fail(d, MLP_ERR_DIMENSION, "pre names %zu classes, net has %zu outputs",
                            classes, mlp_net_output_size(net));
    }
    if (opt && !mlp_optimizer_fits(opt, net))
        return mlp_fail(d, MLP_ERR_WORKSPACE_MISMATCH,
                        "opt was made for a net of another topology than net");
    return MLP_OK;
}

/* Identity scaling, and the task the output layer implies, for a net that came alone. */
static mlp_status default_preprocess(mlp_preprocess **pre, const mlp_net *net)
{
    mlp_activation a = mlp_net_activation(net, mlp_net_layer_count(net) - 1);
    mlp_task task = a == MLP_ACT_SOFTMAX || a == MLP_ACT_SIGMOID ? MLP_TASK_CLASSIFY
                                                                 : MLP_TASK_REGRESS;
    mlp_status st = mlp_preprocess_create(pre, mlp_net_input_size(net));
    if (st == MLP_OK) st = mlp_preprocess_set_label_info(*pre, task, NULL, -1, 0, NULL);
    if (st != MLP_OK) {
        mlp_preprocess_free(*pre);
        *pre = NULL;
    }
    return st;
}

mlp_status mlp_model_create(mlp_model **out, mlp_net *net, mlp_preprocess *pre,
                            mlp_optimizer *opt)
{
    return mlp_model_create_ex(out, net, pre, opt, NULL);
}

mlp_status mlp_model_create_ex(mlp_model **out, mlp_net *net, mlp_preprocess *pre,
                               mlp_optimizer *opt, mlp_error_detail *detail)
{
    if (!out) return mlp_fail(detail, MLP_ERR_NULL_ARG, "out is NULL");
    if (!net) return mlp_fail(detail, MLP_ERR_NULL_ARG, "net is NULL");
    mlp_status st = check_parts(net, pre, opt, detail);
    if (st != MLP_OK) return st;
    mlp_model *m = mlp_mem_calloc(1, sizeof *m);
    if (!m) return mlp_fail(detail, MLP_ERR_NO_MEMORY, "no memory for the model");
    if (!pre && (st = default_preprocess(&m->pre, net)) != MLP_OK) {
        mlp_mem_free(m);
        return mlp_fail(detail, st, "no memory for the model's preprocessing");
    }
    /* Ownership passes only now that nothing can fail. */
    if (pre) m->pre = pre;
    m->net = net;
    m->opt = opt;
    atomic_init(&m->packed, NULL);
    atomic_init(&m->packed_seen, 0);
    *out = m;
    return MLP_OK;
}

/* A handle around freshly loaded parts; frees them when it cannot be made. */
static mlp_status adopt_opened(mlp_model **out, mlp_net *net, mlp_preprocess *pre,
                               mlp_optimizer *opt, const mlp_model_info *mi, mlp_model_info *info,
                               mlp_error_detail *detail)
{
    mlp_model *m = NULL;
    mlp_status st = mlp_model_create_ex(&m, net, pre, opt, detail);
    if (st != MLP_OK) { /* the loader checked the parts: only NO_MEMORY or a DIMENSION left */
        mlp_optimizer_free(opt);
        mlp_preprocess_free(pre);
        mlp_net_free(net);
        return st;
    }
    m->epoch = mi->epoch;
    if (info) *info = *mi;
    *out = m;
    return MLP_OK;
}

mlp_status mlp_model_open(mlp_model **out, const char *path, mlp_model_info *info,
                          mlp_error_detail *detail)
{
    if (!out) return mlp_fail(detail, MLP_ERR_NULL_ARG, "out is NULL");
    if (!path) return mlp_fail(detail, MLP_ERR_NULL_ARG, "path is NULL");
    mlp_net *net = NULL;
    mlp_preprocess *pre = NULL;
    mlp_optimizer *opt = NULL;
    mlp_model_info mi;
    mlp_status st = mlp_model_open_parts(path, &net, &pre, &opt, &mi, detail);
    if (st != MLP_OK) return st;
    return adopt_opened(out, net, pre, opt, &mi, info, detail);
}

mlp_status mlp_model_open_mem(mlp_model **out, const void *data, size_t size,
                              mlp_model_info *info, mlp_error_detail *detail)
{
    return mlp_model_open_mem_ex(out, data, size, NULL, info, detail);
}

mlp_model_open_options mlp_model_open_options_default(void)
{
    mlp_model_open_options o;
    memset(&o, 0, sizeof o);
    o.struct_size = sizeof o;
    return o;
}

mlp_status mlp_model_open_mem_ex(mlp_model **out, const void *data, size_t size,
                                 const mlp_model_open_options *options, mlp_model_info *info,
                                 mlp_error_detail *detail)
{
    if (!out) return mlp_fail(detail, MLP_ERR_NULL_ARG, "out is NULL");
    if (!data) return mlp_fail(detail, MLP_ERR_NULL_ARG, "data is NULL");
    mlp_model_open_options o = mlp_model_open_options_default();
    if (options) {
        if (options->struct_size < offsetof(mlp_model_open_options, max_width) +
                                       sizeof o.max_width || options->struct_size > sizeof o)
            return mlp_fail(detail, MLP_ERR_INVALID_ARG, "options->struct_size is %zu: take "
                            "the options from mlp_model_open_options_default",
                            options->struct_size);
        memcpy(&o, options, options->struct_size);
    }
    mlp_net *net = NULL;
    mlp_preprocess *pre = NULL;
    mlp_optimizer *opt = NULL;
    mlp_model_info mi;
    mlp_status st = mlp_model_open_parts_mem_limited(data, size, options ? &o : NULL, &net,
                                                     &pre, &opt, &mi, detail);
    if (st != MLP_OK) return st;
    return adopt_opened(out, net, pre, opt, &mi, info, detail);
}

void mlp_model_free(mlp_model *model)
{
    if (!model) return;
    mlp_model_drop_packed(model);
    mlp_optimizer_free(model->opt);
    mlp_preprocess_free(model->pre);
    mlp_net_free(model->net);
    mlp_mem_free(model);
}

mlp_status mlp_model_write(const mlp_model *model, const char *path, mlp_error_detail *detail)
{
    if (!model) return mlp_fail(detail, MLP_ERR_NULL_ARG, "model is NULL");
    if (!path) return mlp_fail(detail, MLP_ERR_NULL_ARG, "path is NULL");
    if (!path[0]) return mlp_fail(detail, MLP_ERR_INVALID_ARG, "path is empty");
    mlp_status st = mlp_model_write_parts(path, model->net, model->pre, model->opt, model->epoch,
                                   detail);
    if (st == MLP_ERR_NON_FINITE)
        return mlp_fail(detail, st, "the model holds a NaN or infinite parameter or optimizer "
                        "state value: %s not written", path);
    if (st != MLP_OK && detail && !detail->message[0])
        return mlp_fail(detail, st, "%s: %s", path, mlp_strerror(st));
    return st;
}

mlp_status mlp_model_write_mem(const mlp_model *model, void **data, size_t *size)
{
    return mlp_model_write_mem_ex(model, data, size, NULL);
}

mlp_status mlp_model_write_mem_ex(const mlp_model *model, void **data, size_t *size,
                                  mlp_error_detail *detail)
{
    if (!model) return mlp_fail(detail, MLP_ERR_NULL_ARG, "model is NULL");
    if (!data) return mlp_fail(detail, MLP_ERR_NULL_ARG, "data is NULL");
    if (!size) return mlp_fail(detail, MLP_ERR_NULL_ARG, "size is NULL");
    return mlp_model_write_parts_mem_ex(data, size, model->net, model->pre, model->opt,
                                        model->epoch, detail);
}

const mlp_net *mlp_model_net(const mlp_model *model) { return model ? model->net : NULL; }
const mlp_preprocess *mlp_model_preprocess(const mlp_model *model)
{
    return model ? model->pre : NULL;
}
mlp_optimizer *mlp_model_optimizer(mlp_model *model) { return model ? model->opt : NULL; }
size_t mlp_model_input_size(const mlp_model *model)
{
    return model ? mlp_net_input_size(model->net) : 0;
}
size_t mlp_model_output_size(const mlp_model *model)
{
    return model ? mlp_net_output_size(model->net) : 0;
}
size_t mlp_model_epoch(const mlp_model *model) { return model ? model->epoch : 0; }
const char *mlp_model_class_name(const mlp_model *model, size_t index)
{
    return model ? mlp_preprocess_class_name(model->pre, index) : NULL;
}
