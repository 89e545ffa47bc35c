/* The names mlp.h had before its naming rule (see "Names" at the top of mlp.h): each one is
 * exported still, as a thin wrapper over the new name, until the next major version. */
#include "mlp_internal.h"

size_t mlp_param_count(const mlp_net *net) { return mlp_net_param_count(net); }

int mlp_get_threads(void) { return mlp_threads(); }

const mlp_optimizer_config *mlp_optimizer_get_config(const mlp_optimizer *opt)
{
    return mlp_optimizer_settings(opt);
}

void mlp_net_get_rng_state(const mlp_net *net, uint64_t state[MLP_RNG_STATE_WORDS])
{
    mlp_net_rng_state(net, state);
}

mlp_status mlp_csv_load(mlp_dataset **out, const char *path, const mlp_csv_options *options,
                        mlp_error_detail *detail)
{
    return mlp_dataset_open_csv(out, path, options, detail);
}

mlp_status mlp_csv_load_stream(mlp_dataset **out, FILE *fp, const char *name,
                               const mlp_csv_options *options, mlp_error_detail *detail)
{
    return mlp_dataset_open_csv_stream(out, fp, name, options, detail);
}

mlp_status mlp_csv_load_shard(mlp_dataset **out, const char *path, size_t rank, size_t ranks,
                              const mlp_csv_options *options, mlp_error_detail *detail)
{
    return mlp_dataset_open_csv_shard(out, path, rank, ranks, options, detail);
}

mlp_status mlp_idx_load(mlp_dataset **out, const char *images_path, const char *labels_path,
                        size_t class_count, mlp_error_detail *detail)
{
    return mlp_dataset_open_idx(out, images_path, labels_path, class_count, detail);
}

mlp_status mlp_table_load(mlp_table **out, const char *path,
                          const mlp_table_read_options *options, mlp_error_detail *detail)
{
    return mlp_table_open(out, path, options, detail);
}

mlp_status mlp_table_load_stream(mlp_table **out, FILE *fp, const char *name,
                                 const mlp_table_read_options *options, mlp_error_detail *detail)
{
    return mlp_table_open_stream(out, fp, name, options, detail);
}

mlp_status mlp_model_load(const char *path, mlp_net **net, mlp_preprocess **pre,
                          mlp_optimizer **opt, mlp_model_info *info, mlp_error_detail *detail)
{
    return mlp_model_open_parts(path, net, pre, opt, info, detail);
}

mlp_status mlp_model_load_mem(const void *data, size_t size, mlp_net **net, mlp_preprocess **pre,
                              mlp_optimizer **opt, mlp_model_info *info, mlp_error_detail *detail)
{
    return mlp_model_open_parts_mem(data, size, net, pre, opt, info, detail);
}

mlp_status mlp_model_save(const char *path, const mlp_net *net, const mlp_preprocess *pre,
                          const mlp_optimizer *opt, size_t epoch, mlp_error_detail *detail)
{
    return mlp_model_write_parts(path, net, pre, opt, epoch, detail);
}

mlp_status mlp_model_save_mem(void **data, size_t *size, const mlp_net *net,
                              const mlp_preprocess *pre, const mlp_optimizer *opt, size_t epoch)
{
    return mlp_model_write_parts_mem(data, size, net, pre, opt, epoch);
}

mlp_status mlp_model_save_size(size_t *size, const mlp_net *net, const mlp_preprocess *pre,
                               const mlp_optimizer *opt)
{
    return mlp_model_write_parts_size(size, net, pre, opt);
}

mlp_status mlp_model_save_into(void *buf, size_t capacity, size_t *written, const mlp_net *net,
                               const mlp_preprocess *pre, const mlp_optimizer *opt, size_t epoch)
{
    return mlp_model_write_parts_into(buf, capacity, written, net, pre, opt, epoch);
}
