/* Loading labelled data (CSV, IDX) through the library, with messages that name the file. */
#include "cli.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

cli_label_spec cli_label_parse(const char *text)
{
    cli_label_spec spec = {NULL, -1};
    if (!text) return spec;
    bool digits = text[0] != '\0';
    for (const char *p = text; *p; p++)
        if (!isdigit((unsigned char)*p)) digits = false;
    if (digits && strlen(text) < 10)
        spec.index = strtol(text, NULL, 10);
    else
        spec.name = text;
    return spec;
}

bool cli_looks_binary(const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) return false;
    unsigned char b[4];
    size_t n = fread(b, 1, sizeof b, fp);
    fclose(fp);
    if (n >= 2 && b[0] == 0x1f && b[1] == 0x8b) return true;  /* gzip */
    return n == 4 && b[0] == 0 && b[1] == 0 && b[2] >= 0x08;  /* IDX magic */
}

int cli_load_csv(const char *path, cli_label_spec label, mlp_task task,
                 const char *const *classes, size_t class_count, mlp_dataset **out)
{
    *out = NULL;
    if (!cli_check_input_file(path)) return CLI_DATA_ERROR;
    if (cli_looks_binary(path)) {
        cli_error("%s: not a CSV file (binary; for IDX images give the labels file too)", path);
        return CLI_DATA_ERROR;
    }
    mlp_csv_options opt = mlp_csv_options_default();
    opt.label_name = label.name;
    opt.label_index = label.name ? -1 : label.index;
    opt.task = task;
    opt.class_names = classes;
    opt.class_count = classes ? class_count : 0;
    mlp_error_detail detail;
    memset(&detail, 0, sizeof detail);
    mlp_status st = mlp_csv_load(out, path, &opt, &detail);
    if (st != MLP_OK) {
        *out = NULL;
        cli_report_status(path, st, &detail);
        return CLI_DATA_ERROR;
    }
    if (mlp_dataset_count(*out) == 0) {
        cli_error("%s: no records", path);
        mlp_dataset_free(*out);
        *out = NULL;
        return CLI_DATA_ERROR;
    }
    return CLI_OK;
}

int cli_load_idx(const char *images, const char *labels, size_t class_count, mlp_dataset **out)
{
    *out = NULL;
    if (!cli_check_input_file(images) || !cli_check_input_file(labels)) return CLI_DATA_ERROR;
    mlp_error_detail detail;
    memset(&detail, 0, sizeof detail);
    mlp_status st = mlp_idx_load(out, images, labels, class_count, &detail);
    if (st != MLP_OK) {
        *out = NULL;
        char context[1024];
        snprintf(context, sizeof context, "%s + %s", images, labels);
        cli_report_status(context, st, &detail);
        return CLI_DATA_ERROR;
    }
    if (mlp_dataset_count(*out) == 0) {
        cli_error("%s: no records", images);
        mlp_dataset_free(*out);
        *out = NULL;
        return CLI_DATA_ERROR;
    }
    return CLI_OK;
}

const char **cli_dataset_classes(const mlp_dataset *ds, size_t *count)
{
    size_t n = mlp_dataset_class_count(ds);
    *count = n;
    if (n == 0) return NULL;
    const char **names = malloc(n * sizeof *names);
    if (!names) return NULL;
    for (size_t i = 0; i < n; i++) names[i] = mlp_dataset_class_name(ds, i);
    return names;
}

const char **cli_preprocess_classes(const mlp_preprocess *pre, size_t *count)
{
    size_t n = pre ? mlp_preprocess_class_count(pre) : 0;
    *count = n;
    if (n == 0) return NULL;
    const char **names = malloc(n * sizeof *names);
    if (!names) return NULL;
    for (size_t i = 0; i < n; i++) names[i] = mlp_preprocess_class_name(pre, i);
    return names;
}
