/* Training from a file larger than memory: records stay on disk and a data source
 * (mlp_source) reads the ones each batch needs with pread. Only a batch of rows is ever in
 * memory, whatever the file's size.
 *
 *   train_from_file [RECORDS.bin]
 *
 * RECORDS.bin holds fixed-size records of 2 + 1 little-endian floats (inputs x1 x2, target
 * x1 * x2). Without an argument a demo file of 200000 such records is written first. With
 * shuffling, each minibatch is a random set of records (one pread per record); without it
 * (--in-order as a second argument) each batch is one run of consecutive records, read with
 * one pread: the file is streamed in chunks. */
#define _POSIX_C_SOURCE 200809L
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mlp.h>

#define N_IN 2
#define N_OUT 1
#define RECORD_FLOATS (N_IN + N_OUT)
#define RECORD_BYTES (RECORD_FLOATS * sizeof(float))
#define MAX_RUN 64 /* records per pread when reading a consecutive run */

typedef struct file_source {
    int fd;
    size_t first;  /* the file's record that is this source's record 0 */
    size_t preads;
} file_source;

/* One pread for `n` consecutive records starting at `first`, into rows. */
static mlp_status read_run(file_source *f, size_t first, size_t n, float *inputs,
                           float *targets)
{
    float buf[MAX_RUN * RECORD_FLOATS];
    size_t bytes = n * RECORD_BYTES;
    f->preads++;
    if (pread(f->fd, buf, bytes, (off_t)((f->first + first) * RECORD_BYTES)) != (ssize_t)bytes)
        return MLP_ERR_IO; /* a short file or a read error: training stops with IO */
    for (size_t i = 0; i < n; i++) {
        memcpy(inputs + i * N_IN, buf + i * RECORD_FLOATS, N_IN * sizeof(float));
        memcpy(targets + i * N_OUT, buf + i * RECORD_FLOATS + N_IN, N_OUT * sizeof(float));
    }
    return MLP_OK;
}

/* The callback: records[] in the order the library wants them; runs of consecutive
 * indices (the order without shuffling) are read together. */
static mlp_status read_records(void *user, const size_t *records, size_t n, float *inputs,
                               float *targets)
{
    file_source *f = user;
    for (size_t i = 0; i < n;) {
        size_t run = 1;
        while (i + run < n && run < MAX_RUN && records[i + run] == records[i] + run) run++;
        mlp_status st = read_run(f, records[i], run, inputs + i * N_IN, targets + i * N_OUT);
        if (st != MLP_OK) return st;
        i += run;
    }
    return MLP_OK;
}

static int write_demo(const char *path, size_t count)
{
    FILE *fp = fopen(path, "wb");
    if (!fp) return perror(path), 1;
    unsigned seed = 7;
    for (size_t i = 0; i < count; i++) {
        float r[RECORD_FLOATS];
        r[0] = 2.0f * (float)rand_r(&seed) / (float)RAND_MAX - 1.0f;
        r[1] = 2.0f * (float)rand_r(&seed) / (float)RAND_MAX - 1.0f;
        r[2] = r[0] * r[1];
        if (fwrite(r, sizeof r, 1, fp) != 1) break;
    }
    if (fclose(fp) != 0) return perror(path), 1;
    return 0;
}

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : "train_from_file-demo.bin";
    const int in_order = argc > 2 && strcmp(argv[2], "--in-order") == 0;
    if (argc <= 1 && write_demo(path, 200000) != 0) return 1;
    file_source f = {.fd = open(path, O_RDONLY), .first = 0, .preads = 0};
    if (f.fd < 0) return perror(path), 1;
    off_t size = lseek(f.fd, 0, SEEK_END);
    if (size < (off_t)RECORD_BYTES) {
        fprintf(stderr, "%s: no records\n", path);
        close(f.fd);
        return 1;
    }
    size_t count = (size_t)size / RECORD_BYTES;
    /* the last 10% validate: a second source over the same file */
    size_t val_count = count / 10, train_count = count - val_count;

    const size_t sizes[] = {N_IN, 32, N_OUT};
    const mlp_activation acts[] = {MLP_ACT_TANH, MLP_ACT_LINEAR};
    mlp_net *net = NULL;
    mlp_optimizer *opt = NULL;
    mlp_error_detail why = {0, 0, ""};
    mlp_optimizer_config oc = mlp_optimizer_config_default(MLP_OPT_ADAM);
    oc.learning_rate = 0.005f;
    oc.reduction = MLP_REDUCE_MEAN;
    mlp_status st = mlp_net_create_ex(&net, 2, sizes, acts, MLP_BIAS_PER_NEURON, &why);
    if (st == MLP_OK) st = mlp_net_init(net, MLP_INIT_AUTO, 1);
    if (st == MLP_OK) st = mlp_optimizer_create_ex(&opt, net, &oc, &why);

    mlp_source train = {.struct_size = sizeof train, .count = train_count,
                        .read = read_records, .user_data = &f};
    file_source vf = {.fd = f.fd, .first = train_count, .preads = 0};
    mlp_source val = {.struct_size = sizeof val, .count = val_count, .read = read_records,
                      .user_data = &vf};
    mlp_train_config tc = mlp_train_config_default();
    tc.epochs = 3;
    tc.batch_size = 32;
    tc.shuffle = !in_order;
    tc.patience = 2; /* early stopping on the validation records */
    mlp_train_result res;
    if (st == MLP_OK) st = mlp_train_source(net, opt, &train, &val, &tc, &res, &why);
    if (st != MLP_OK) {
        fprintf(stderr, "%s: %s: %s\n", path, mlp_strerror(st), why.message);
    } else {
        printf("%zu training records on disk, %zu epochs, MSE %.5f (validation %.5f), "
               "%zu + %zu preads\n", train_count, res.epochs_run, res.final_train_loss,
               res.best_val_loss, f.preads, vf.preads);
    }
    mlp_optimizer_free(opt);
    mlp_net_free(net);
    close(f.fd);
    return st == MLP_OK ? 0 : 1;
}
