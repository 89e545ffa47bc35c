/* mlp_model_fit_csv_cache: the cached fit (lib/fit/fit_cache.c) as a model handle. */
#include "api/model_handle.h"
#include "fit/fit_internal.h"

#include <string.h>

mlp_status mlp_model_fit_csv_cache(mlp_model **out, const char *csv_path,
                                   const char *cache_path, const mlp_csv_options *csv,
                                   const mlp_fit_config *config, mlp_fit_report *report,
                                   mlp_error_detail *detail)
{
    if (!out || !csv_path || !cache_path)
        return mlp_fail(detail, MLP_ERR_NULL_ARG, "%s is NULL",
                        !out ? "out" : !csv_path ? "csv_path" : "cache_path");
    mlp_fit_report r;
    fit_report_init(&r);
    mlp_status st = fit_report_copy_out(report, &r, detail); /* its size checked first */
    mlp_fit_config c;
    if (st == MLP_OK) st = fit_config_read(&c, config, detail);
    mlp_csv_options o = mlp_csv_options_default();
    if (st == MLP_OK && csv)
        st = mlp_read_config(&o, sizeof o, csv, MLP_CSV_OPTIONS_MIN_SIZE, "csv",
                             "mlp_csv_options", detail);
    fit_result res;
    memset(&res, 0, sizeof res);
    if (st == MLP_OK) st = fit_csv_cache_run(&c, csv_path, cache_path, &o, &res, &r, detail);
    if (st == MLP_OK) st = fit_report_copy_out(report, &r, detail);
    if (st == MLP_OK) st = mlp_model_create_ex(out, res.net, res.pre, res.opt, detail);
    if (st != MLP_OK) {
        mlp_net_free(res.net);
        mlp_preprocess_free(res.pre);
        mlp_optimizer_free(res.opt);
        return st;
    }
    (*out)->epoch = res.epoch;
    return MLP_OK;
}
