/* `mlp eval` of a quantized model: the int8 results against the float model's, which stays
 * the reference, on the same records. */
#include "cli.h"
#include "model_io.h"

#include <math.h>
#include <stdlib.h>

/* The outputs of b records, and for a classifier their classes (the library's argmax). */
static mlp_status outputs_of(const mlp_model *m, mlp_model_scratch *s, const float *x, size_t b,
                             bool classify, size_t *classes, float *out)
{
    return classify ? mlp_model_classify_with_ex(m, s, x, b, classes, out, NULL)
                    : mlp_model_predict_with(m, s, x, b, out);
}

/* Largest and mean |int8 - float| over every output, and the records whose class agrees. */
static mlp_status compare_outputs(const mlp_model *m, mlp_model_scratch *s8,
                                  mlp_model_scratch *sf, const mlp_dataset *ds,
                                  double *max_diff, double *mean_diff, size_t *agree)
{
    const size_t n0 = mlp_model_input_size(m), nl = mlp_model_output_size(m);
    const size_t count = mlp_dataset_count(ds), chunk = CLI_EVAL_BATCH;
    const float *x = mlp_dataset_inputs_const(ds);
    float *o8 = malloc(chunk * nl * sizeof *o8), *of = malloc(chunk * nl * sizeof *of);
    size_t *c8 = malloc(chunk * sizeof *c8), *cf = malloc(chunk * sizeof *cf);
    const bool classify = cli_model_classifies(m);
    mlp_status st = o8 && of && c8 && cf ? MLP_OK : MLP_ERR_NO_MEMORY;
    double sum = 0.0;
    *max_diff = 0.0;
    *agree = 0;
    for (size_t i = 0; st == MLP_OK && i < count; i += chunk) {
        const size_t b = count - i < chunk ? count - i : chunk;
        st = outputs_of(m, s8, x + i * n0, b, classify, c8, o8);
        if (st == MLP_OK) st = outputs_of(m, sf, x + i * n0, b, classify, cf, of);
        for (size_t r = 0; st == MLP_OK && r < b; r++) {
            for (size_t j = 0; j < nl; j++) {
                const double d = fabs((double)o8[r * nl + j] - of[r * nl + j]);
                sum += d;
                if (d > *max_diff) *max_diff = d;
            }
            *agree += !classify || c8[r] == cf[r];
        }
    }
    free(o8);
    free(of);
    free(c8);
    free(cf);
    *mean_diff = count ? sum / ((double)count * (double)nl) : 0.0;
    return st;
}

mlp_status cli_print_int8_comparison(FILE *fp, const mlp_model *m, mlp_model_scratch *s8,
                                     const mlp_dataset *ds, const mlp_model_metrics *int8,
                                     mlp_error_detail *detail)
{
    mlp_model_scratch *sf = NULL;
    mlp_model_metrics fm = {.struct_size = sizeof fm};
    double max_diff = 0.0, mean_diff = 0.0;
    size_t agree = 0;
    mlp_status st = mlp_model_scratch_create(&sf, m, cli_eval_batch(mlp_dataset_count(ds)));
    if (st == MLP_OK) st = mlp_model_scratch_set_precision(sf, MLP_PRECISION_FP32);
    if (st == MLP_OK) st = mlp_model_evaluate(m, sf, ds, &fm, NULL, detail);
    if (st == MLP_OK) st = compare_outputs(m, s8, sf, ds, &max_diff, &mean_diff, &agree);
    mlp_model_scratch_free(sf);
    if (st != MLP_OK) return st;
    if (mlp_preprocess_task(mlp_model_preprocess(m)) == MLP_TASK_CLASSIFY)
        fprintf(fp, "int8 against the float model: accuracy %.4f (float %.4f, %+.2f points), "
                    "same class for %.2f%% of records\n", int8->accuracy, fm.accuracy,
                100.0 * (int8->accuracy - fm.accuracy),
                100.0 * (double)agree / (double)int8->count);
    else
        fprintf(fp, "int8 against the float model: rmse %.4f (float %.4f, %+.2f%%)\n",
                int8->rmse, fm.rmse, 100.0 * (int8->rmse - fm.rmse) / fm.rmse);
    fprintf(fp, "int8 outputs differ from the float ones by at most %.4g (mean %.3g); loss "
                "%.4f (float %.4f)\n", max_diff, mean_diff, int8->loss, fm.loss);
    return MLP_OK;
}
