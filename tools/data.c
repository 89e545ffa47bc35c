/* Loading labelled data (CSV, IDX) through the library, with messages that name the file. */
#include "cli.h"

#include <ctype.h>
#include <errno.h>
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

const char *cli_input_name(const char *path)
{
    return strcmp(path, "-") == 0 ? "stdin" : path;
}

FILE *cli_open_text(const char *path)
{
    FILE *fp = stdin;
    if (strcmp(path, "-") != 0) {
        if (!cli_check_input_file(path)) return NULL;
        fp = fopen(path, "rb");
        if (!fp) {
            cli_error("%s: %s", path, strerror(errno));
            return NULL;
        }
    }
    /* One byte of look-ahead, pushed back, so that a pipe is still read exactly once:
     * gzip starts with 0x1f, IDX with a zero byte, and no CSV with either. */
    int c = getc(fp);
    if (c != EOF) ungetc(c, fp);
    if (c == 0x1f || c == 0x00) {
        cli_error("%s: not a CSV file (binary; for IDX images give the labels file too)",
                  cli_input_name(path));
        cli_close_text(fp);
        return NULL;
    }
    return fp;
}

void cli_close_text(FILE *fp)
{
    if (fp && fp != stdin) fclose(fp);
}

int cli_load_csv(const char *path, cli_label_spec label, mlp_task task,
                 const char *const *classes, size_t class_count, mlp_dataset **out)
{
    *out = NULL;
    FILE *fp = cli_open_text(path);
    if (!fp) return CLI_DATA_ERROR;
    const char *name = cli_input_name(path);
    mlp_csv_options opt = mlp_csv_options_default();
    opt.label_name = label.name;
    opt.label_index = label.name ? -1 : label.index;
    opt.task = task;
    opt.class_names = classes;
    opt.class_count = classes ? class_count : 0;
    mlp_error_detail detail;
    memset(&detail, 0, sizeof detail);
    mlp_status st = mlp_dataset_open_csv_stream(out, fp, name, &opt, &detail);
    cli_close_text(fp);
    if (st != MLP_OK) {
        *out = NULL;
        cli_report_status(name, st, &detail);
        return CLI_DATA_ERROR;
    }
    if (mlp_dataset_count(*out) == 0) {
        cli_error("%s: no records", name);
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
    mlp_status st = mlp_dataset_open_idx(out, images, labels, class_count, &detail);
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
