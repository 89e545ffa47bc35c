/* One fuzz input -> one reader call, shared by the libFuzzer harnesses (tests/fuzz/) and the
 * regression replay (tests/test_fuzz_readers.c), so that a saved crash input replays exactly.
 * The model bytes go to mlp_model_load_mem, the ONNX bytes to mlp_model_import_onnx_mem; the CSV and IDX bytes reach their readers
 * through memfd files (/proc/self/fd/N): no file is written to disk per execution. Each function returns the reader's status; everything it loaded is
 * freed. */
#ifndef MLP_FUZZ_INPUTS_H
#define MLP_FUZZ_INPUTS_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memfd_create; define it before any system header */
#endif
#include "mlp.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zlib.h>

/* A memory file holding data[0..size), its /proc path in path; -1 on failure. */
static inline int fuzz_memfile(const uint8_t *data, size_t size, char path[64])
{
    int fd = memfd_create("mlp_fuzz", MFD_CLOEXEC);
    if (fd < 0) return -1;
    size_t done = 0;
    while (done < size) {
        ssize_t k = write(fd, data + done, size - done);
        if (k <= 0) {
            close(fd);
            return -1;
        }
        done += (size_t)k;
    }
    snprintf(path, 64, "/proc/self/fd/%d", fd);
    return fd;
}

/* The whole input is a model file, with its declared length (bytes 16-23) and CRC-32 (the
 * last 4 bytes) made to agree with the bytes: otherwise nearly every mutation stops at those
 * two checks (tested on their own in test_model_file.c) and the sections go unexplored. */
static inline mlp_status fuzz_model(const uint8_t *data, size_t size)
{
    uint8_t *fixed = malloc(size ? size : 1);
    if (!fixed) return MLP_ERR_NO_MEMORY;
    memcpy(fixed, data, size);
    if (size >= 36) {
        for (int i = 0; i < 8; i++) fixed[16 + i] = (uint8_t)((uint64_t)size >> (8 * i));
        uLong crc = crc32(0L, fixed, (uInt)(size - 4));
        for (int i = 0; i < 4; i++) fixed[size - 4 + i] = (uint8_t)(crc >> (8 * i));
    }
    mlp_net *net = NULL;
    mlp_preprocess *pre = NULL;
    mlp_optimizer *opt = NULL;
    mlp_model_info info;
    mlp_error_detail detail;
    mlp_status st = mlp_model_load_mem(fixed, size, &net, &pre, &opt, &info, &detail);
    if (st == MLP_OK && mlp_param_count(net) > 1) { /* a limit below the image: refused */
        mlp_model_open_options lim = mlp_model_open_options_default();
        lim.max_params = mlp_param_count(net) - 1;
        mlp_model *m = NULL;
        if (mlp_model_open_mem_ex(&m, fixed, size, &lim, NULL, NULL) != MLP_ERR_INVALID_ARG || m)
            abort();
    }
    free(fixed);
    if (st == MLP_OK && pre) { /* a model that loads has sections that agree */
        const mlp_table_encoding *enc = mlp_preprocess_encoding(pre);
        size_t outputs = mlp_net_output_size(net), C = mlp_preprocess_class_count(pre);
        int softmax = mlp_net_activation(net, mlp_net_layer_count(net) - 1) == MLP_ACT_SOFTMAX;
        if ((C && C != outputs) || (softmax && mlp_preprocess_task(pre) == MLP_TASK_REGRESS))
            abort();
        if (enc) {
            mlp_task task = mlp_table_encoding_task(enc);
            size_t ec = mlp_table_encoding_class_count(enc);
            if (mlp_table_encoding_input_size(enc) != mlp_net_input_size(net) ||
                (task == MLP_TASK_CLASSIFY ? ec : mlp_table_encoding_label_count(enc)) !=
                    outputs ||
                (task == MLP_TASK_REGRESS && (softmax || C)))
                abort();
            for (size_t k = 0; C && k < ec; k++)
                if (strcmp(mlp_table_encoding_class_name(enc, k),
                           mlp_preprocess_class_name(pre, k)) != 0)
                    abort();
        }
    }
    if (st == MLP_OK) { /* what a caller does next: run the net once */
        mlp_workspace *ws = NULL;
        float *x = calloc(mlp_net_input_size(net), sizeof *x);
        if (x && mlp_workspace_create(&ws, net, 1) == MLP_OK) mlp_forward(net, ws, x, 1, NULL);
        mlp_workspace_free(ws);
        free(x);
    }
    mlp_net_free(net);
    mlp_preprocess_free(pre);
    mlp_optimizer_free(opt);
    return st;
}

/* Byte 0 picks the options (header detect/no/yes, task, label first/last, delimiter ',' or
 * ';', the table encoding's task given or inferred); the rest is the CSV text, read by the
 * CSV loader and then as a table (mlp_table_*). */
static inline mlp_status fuzz_csv(const uint8_t *data, size_t size)
{
    if (size < 1) return MLP_ERR_INVALID_ARG;
    const uint8_t o = data[0];
    mlp_csv_options opt = mlp_csv_options_default();
    opt.has_header = (int)(o % 3) - 1;
    opt.task = (o >> 2) & 1 ? MLP_TASK_REGRESS : MLP_TASK_CLASSIFY;
    opt.label_index = (o >> 3) & 1 ? 0 : -1;
    opt.delimiter = (o >> 4) & 1 ? ';' : ',';
    char path[64];
    int fd = fuzz_memfile(data + 1, size - 1, path);
    if (fd < 0) return MLP_ERR_IO;
    mlp_dataset *ds = NULL;
    mlp_error_detail detail;
    mlp_status st = mlp_csv_load(&ds, path, &opt, &detail);
    mlp_dataset_free(ds);
    /* The same text as a table: read, fit an encoding (task from the label, or the one
     * byte 0 asks for), encode it for training and for prediction. */
    mlp_table_read_options ro = mlp_table_read_options_default();
    ro.has_header = opt.has_header;
    ro.delimiter = opt.delimiter;
    mlp_table *t = NULL;
    if (mlp_table_load(&t, path, &ro, &detail) == MLP_OK) {
        mlp_table_options to = mlp_table_options_default();
        to.label = (o >> 3) & 1 ? "0" : NULL;
        to.task = (o >> 5) & 1 ? opt.task : MLP_TASK_COUNT;
        mlp_table_encoding *enc = NULL;
        if (mlp_table_encoding_fit(&enc, t, &to, &detail) == MLP_OK) {
            mlp_table_report rep;
            if (mlp_table_encode(enc, t, &ds, &rep, &detail) == MLP_OK) mlp_dataset_free(ds);
            if (mlp_table_encode_inputs(enc, t, &ds, &rep, &detail) == MLP_OK)
                mlp_dataset_free(ds);
        }
        mlp_table_encoding_free(enc);
    }
    mlp_table_free(t);
    close(fd);
    return st;
}

/* Bytes 0-1 (little-endian) say how many of the rest are the image file (modulo its
 * length + 1); the remainder is the label file. Either may be gzip. */
static inline mlp_status fuzz_idx(const uint8_t *data, size_t size)
{
    if (size < 2) return MLP_ERR_INVALID_ARG;
    size_t rest = size - 2, split = ((size_t)data[0] | (size_t)data[1] << 8) % (rest + 1);
    char ipath[64], lpath[64];
    int ifd = fuzz_memfile(data + 2, split, ipath);
    int lfd = fuzz_memfile(data + 2 + split, rest - split, lpath);
    mlp_status st = MLP_ERR_IO;
    if (ifd >= 0 && lfd >= 0) {
        mlp_dataset *ds = NULL;
        mlp_error_detail detail;
        st = mlp_idx_load(&ds, ipath, lpath, 0, &detail);
        mlp_dataset_free(ds);
    }
    if (ifd >= 0) close(ifd);
    if (lfd >= 0) close(lfd);
    return st;
}

/* The whole input is an ONNX file for mlp_model_import_onnx_mem; an imported model predicts
 * one record and is exported back (UNSUPPORTED in a build without ONNX). */
static inline mlp_status fuzz_onnx(const uint8_t *data, size_t size)
{
    mlp_model *m = NULL;
    mlp_error_detail detail;
    mlp_status st = mlp_model_import_onnx_mem(&m, size ? (const void *)data : "", size, &detail);
    if (st == MLP_OK) {
        float *x = calloc(mlp_model_input_size(m), sizeof *x);
        float *y = calloc(mlp_model_output_size(m), sizeof *y);
        if (x && y) mlp_model_predict(m, x, 1, y);
        void *back = NULL;
        size_t n;
        if (mlp_model_export_onnx_mem(m, &back, &n, &detail) == MLP_OK) mlp_free(back);
        free(x);
        free(y);
    }
    mlp_model_free(m);
    return st;
}

#endif
