/* Whether a net, its preprocessing and its table encoding describe one model: each
 * section can be valid alone and still contradict another (classes in another order, a
 * regression task on a softmax output), which would give wrong answers with no error. */
#include "mlp_internal.h"

#include <stdarg.h>
#include <string.h>

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static mlp_status refuse(char *why, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (why && size) vsnprintf(why, size, fmt, ap);
    va_end(ap);
    return MLP_ERR_INVALID_ARG;
}

static int softmax_output(const mlp_net *net)
{
    return mlp_net_activation(net, mlp_net_layer_count(net) - 1) == MLP_ACT_SOFTMAX;
}

/* The encoding against the net and the preprocessing's label information. */
static mlp_status encoding_agrees(const mlp_net *net, const mlp_preprocess *pre,
                                  const mlp_table_encoding *enc, char *why, size_t size)
{
    size_t outputs = mlp_net_output_size(net);
    mlp_task task = mlp_table_encoding_task(enc);
    size_t classes = mlp_table_encoding_class_count(enc);
    if (mlp_table_encoding_input_size(enc) != mlp_net_input_size(net))
        return refuse(why, size, "the table encoding gives %zu features, the net takes %zu",
                      mlp_table_encoding_input_size(enc), mlp_net_input_size(net));
    if (task == MLP_TASK_CLASSIFY && classes != outputs)
        return refuse(why, size, "the table encoding has %zu classes, the net %zu outputs",
                      classes, outputs);
    if (task == MLP_TASK_REGRESS && mlp_table_encoding_label_count(enc) != outputs)
        return refuse(why, size, "the table encoding has %zu labels to regress, the net %zu "
                      "outputs", mlp_table_encoding_label_count(enc), outputs);
    if (task == MLP_TASK_REGRESS && softmax_output(net))
        return refuse(why, size, "the table encoding is a regression, the net's output is a "
                      "softmax (a classifier)");
    if (!pre || mlp_preprocess_class_count(pre) == 0) {
        if (pre && mlp_preprocess_task(pre) == MLP_TASK_REGRESS && task != MLP_TASK_REGRESS)
            return refuse(why, size, "the table encoding is a classification, the "
                          "preprocessing a regression");
        return MLP_OK;
    }
    if (task != MLP_TASK_CLASSIFY)
        return refuse(why, size, "the table encoding is a regression, the preprocessing has "
                      "%zu classes", mlp_preprocess_class_count(pre));
    if (mlp_preprocess_class_count(pre) != classes)
        return refuse(why, size, "the table encoding has %zu classes, the preprocessing %zu",
                      classes, mlp_preprocess_class_count(pre));
    for (size_t k = 0; k < classes; k++)
        if (strcmp(mlp_preprocess_class_name(pre, k), mlp_table_encoding_class_name(enc, k)))
            return refuse(why, size, "class %zu is '%.40s' in the table encoding, '%.40s' in "
                          "the preprocessing", k, mlp_table_encoding_class_name(enc, k),
                          mlp_preprocess_class_name(pre, k));
    return MLP_OK;
}

mlp_status mlp_model_sections_agree(const mlp_net *net, const mlp_preprocess *pre,
                                    const mlp_table_encoding *enc, char *why, size_t size)
{
    if (!net) return MLP_ERR_NULL_ARG;
    if (pre && mlp_preprocess_input_size(pre) != mlp_net_input_size(net))
        return refuse(why, size, "the preprocessing takes %zu features, the net %zu",
                      mlp_preprocess_input_size(pre), mlp_net_input_size(net));
    if (pre && mlp_preprocess_class_count(pre) &&
        mlp_preprocess_class_count(pre) != mlp_net_output_size(net))
        return refuse(why, size, "the preprocessing has %zu classes, the net %zu outputs",
                      mlp_preprocess_class_count(pre), mlp_net_output_size(net));
    if (pre && mlp_preprocess_task(pre) == MLP_TASK_REGRESS && softmax_output(net))
        return refuse(why, size, "the preprocessing is a regression, the net's output is a "
                      "softmax (a classifier)");
    return enc ? encoding_agrees(net, pre, enc, why, size) : MLP_OK;
}
