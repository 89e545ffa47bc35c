/* mlp-load-csv: loads a CSV with mlp_dataset_open_csv (or the table reader, or IDX images and labels)
 * and prints the load time, for bench/loading/run.sh, which runs it beside pandas and numpy
 * under /usr/bin/time -v. Usage: mlp-load-csv FILE [csv|table] [THREADS]
 *                                 mlp-load-csv IMAGES idx LABELS
 *                                 mlp-load-csv FILE cache CACHE_FILE [THREADS]
 * (cache: opens or builds the binary cache, then reads every record through its source in
 * batches of 256, as an epoch without shuffling reads them) */
#include <mlp.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE [csv|table] [THREADS]\n", argv[0]);
        return 2;
    }
    const char *mode = argc > 2 ? argv[2] : "csv";
    mlp_error_detail detail;
    memset(&detail, 0, sizeof detail);
    double t0 = now();
    mlp_status st;
    size_t rows = 0;
    if (strcmp(mode, "cache") == 0 && argc > 3) {
        mlp_csv_options o = mlp_csv_options_default();
        o.threads = argc > 4 ? atoi(argv[4]) : 0;
        mlp_csv_cache *c = NULL;
        st = mlp_csv_cache_open(&c, argv[1], argv[3], &o, &detail);
        if (st == MLP_OK) {
            printf("cache ready: %.3f s\n", now() - t0);
            mlp_source src = mlp_csv_cache_source(c);
            size_t n_in = mlp_csv_cache_input_size(c), k = mlp_csv_cache_target_size(c);
            float *x = malloc(256 * n_in * sizeof *x), *y = malloc(256 * (k ? k : 1) * sizeof *y);
            size_t idx[256];
            for (size_t i = 0; st == MLP_OK && i < src.count; i += 256) {
                size_t n = src.count - i < 256 ? src.count - i : 256;
                for (size_t j = 0; j < n; j++) idx[j] = i + j;
                st = src.read(src.user_data, idx, n, x, y);
            }
            free(x);
            free(y);
            rows = src.count;
        }
        mlp_csv_cache_close(c);
    } else if (strcmp(mode, "idx") == 0) {
        mlp_dataset *ds = NULL;
        st = mlp_dataset_open_idx(&ds, argv[1], argc > 3 ? argv[3] : NULL, 0, &detail);
        rows = mlp_dataset_count(ds);
        mlp_dataset_free(ds);
    } else if (strcmp(mode, "table") == 0) {
        mlp_table *t = NULL;
        mlp_table_read_options_ex o = mlp_table_read_options_ex_default();
        o.threads = argc > 3 ? atoi(argv[3]) : 0;
        st = mlp_table_open_ex(&t, argv[1], &o, &detail);
        rows = mlp_table_row_count(t);
        mlp_table_free(t);
    } else {
        mlp_csv_options o = mlp_csv_options_default();
        o.threads = argc > 3 ? atoi(argv[3]) : 0;
        mlp_dataset *ds = NULL;
        st = mlp_dataset_open_csv(&ds, argv[1], &o, &detail);
        rows = mlp_dataset_count(ds);
        mlp_dataset_free(ds);
    }
    if (st != MLP_OK) {
        fprintf(stderr, "%s\n", detail.message);
        return 1;
    }
    printf("%.3f s, %zu rows\n", now() - t0, rows);
    return 0;
}
