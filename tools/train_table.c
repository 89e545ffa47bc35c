/* `mlp train` on CSV tables: the encoding (column types, categories, imputation, task)
 * fitted on the training split only, its summary, and the encoded splits. */
#include "train.h"

#include <stdlib.h>
#include <string.h>

static int fit_encoding(const train_options *o, const mlp_table *train,
                        mlp_table_encoding **enc)
{
    mlp_table_fit_options to = mlp_table_fit_options_default();
    to.label = o->label;
    to.task = (o->set & SET_TASK) ? o->task : MLP_TASK_COUNT;
    to.ignore = o->ignore;
    to.categorical = o->categorical;
    to.numeric = o->numeric;
    to.date = o->date;
    to.missing = o->missing;
    mlp_error_detail detail;
    memset(&detail, 0, sizeof detail);
    mlp_status st = mlp_table_encoding_fit_ex(enc, train, &to, &detail);
    if (st != MLP_OK) {
        cli_report_status(cli_input_name(o->train_path), st, &detail);
        return CLI_DATA_ERROR;
    }
    return CLI_OK;
}

static int encode(train_tables *tt, const mlp_table *t, const char *name, mlp_dataset **out)
{
    size_t i = tt->n_reports++;
    tt->report_names[i] = name;
    return cli_table_encode(tt->enc, t, name, true, out, &tt->reports[i]);
}

void train_tables_print(const train_tables *tt, FILE *fp)
{
    if (tt->auto_text) fputs(tt->auto_text, fp);
    if (!tt->enc) return;
    if (tt->fitted) cli_table_summary(fp, tt->enc);
    for (size_t i = 0; i < tt->n_reports; i++)
        cli_table_report_print(fp, tt->report_names[i], &tt->reports[i]);
}

int train_tables_load(train_options *o, const mlp_preprocess *resumed, train_tables *out)
{
    memset(out, 0, sizeof *out);
    mlp_table *all = NULL, *train = NULL, *val = NULL, *test = NULL;
    int rc = cli_table_load(o->train_path, &all);
    /* The data-sized settings come before the split: the validation split they choose is
     * taken from the table, so the encoding is fitted on the training part only. What they
     * chose is printed with the summary, once the data has loaded (a failed run prints
     * nothing on stdout). */
    if (rc == CLI_OK) {
        size_t len = 0;
        FILE *said = open_memstream(&out->auto_text, &len);
        train_auto_settings(o, mlp_table_row_count(all), said ? said : stderr);
        if (said) fclose(said);
    }
    if (rc == CLI_OK && o->test_path) rc = cli_table_load(o->test_path, &test);
    if (rc == CLI_OK && o->val_fraction > 0) {
        if (mlp_table_row_count(all) < 2) {
            cli_error("--val-fraction: %zu record%s cannot be split", mlp_table_row_count(all),
                      mlp_table_row_count(all) == 1 ? "" : "s");
            rc = CLI_DATA_ERROR;
        } else if (mlp_table_split(all, (float)o->val_fraction, o->seed, &train, &val) !=
                   MLP_OK) {
            cli_error("--val-fraction: out of memory");
            rc = CLI_DATA_ERROR;
        }
    }
    const mlp_table *fit_on = train ? train : all;
    const mlp_table_encoding *given = resumed ? mlp_preprocess_encoding(resumed) : NULL;
    if (rc == CLI_OK && given && mlp_table_encoding_clone(&out->enc, given) != MLP_OK) {
        cli_error("out of memory");
        rc = CLI_DATA_ERROR;
    }
    if (rc == CLI_OK && !given) rc = fit_encoding(o, fit_on, &out->enc);
    out->fitted = !given;
    if (rc == CLI_OK) rc = encode(out, fit_on, cli_input_name(o->train_path), &out->train);
    if (rc == CLI_OK && val) rc = encode(out, val, "validation split", &out->val);
    if (rc == CLI_OK && test) rc = encode(out, test, cli_input_name(o->test_path), &out->test);
    if (rc == CLI_OK) out->task = mlp_table_encoding_task(out->enc);
    mlp_table_free(all);
    mlp_table_free(train);
    mlp_table_free(val);
    mlp_table_free(test);
    if (rc != CLI_OK) train_tables_free(out);
    return rc;
}

void train_tables_free(train_tables *t)
{
    mlp_dataset_free(t->train);
    mlp_dataset_free(t->val);
    mlp_dataset_free(t->test);
    mlp_table_encoding_free(t->enc);
    free(t->auto_text);
    memset(t, 0, sizeof *t);
}
