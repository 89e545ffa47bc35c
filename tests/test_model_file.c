/* Model files and images in memory: bit-exact round trips (net, preprocessing, optimizer),
 * the file and the memory image equal byte for byte, exact resumption, corruption,
 * truncation, foreign and newer images (each loaded from memory and from a file), lying
 * sizes, atomic writes. */
#define _POSIX_C_SOURCE 200809L

#include "test_util.h"

#include <check.h>
#include <dirent.h>
#include <float.h>
#include <stdbool.h>
#include <errno.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* Offsets of the version-1 layout (see the comment atop lib/io/model_format.h). */
#define OFF_VERSION 8
#define OFF_SECTIONS 12
#define OFF_LENGTH 16
#define OFF_EPOCH 24
#define OFF_NET_BODY_LEN 40 /* first section is the net: tag 32, flags 36, length 40 */
#define OFF_NET_L 48
#define OFF_NET_SIZES 56

/* ------------------------------------------------------------------ helpers */

/* Every test works in its own directory under one root per test case; the root is made and
 * removed by an unchecked fixture (run in the parent process), so a failing test leaves
 * nothing behind either. */
static char g_root[64];

typedef struct tmpdir {
    char path[128];
} tmpdir;

/* Removes path and everything below it (plain files and directories only). */
static void remove_tree(const char *path)
{
    DIR *dir = opendir(path);
    if (dir) {
        struct dirent *e;
        char p[512];
        while ((e = readdir(dir))) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
            snprintf(p, sizeof p, "%s/%s", path, e->d_name);
            if (unlink(p) != 0) remove_tree(p);
        }
        closedir(dir);
    }
    rmdir(path);
}

static void root_setup(void)
{
    strcpy(g_root, "/tmp/mlp_model_XXXXXX");
    if (!mkdtemp(g_root)) g_root[0] = '\0';
}

static void root_teardown(void)
{
    if (g_root[0]) remove_tree(g_root);
}

static void dir_make(tmpdir *d)
{
    ck_assert_msg(g_root[0] != '\0', "no temporary root directory");
    snprintf(d->path, sizeof d->path, "%s/t_XXXXXX", g_root);
    ck_assert_ptr_nonnull(mkdtemp(d->path));
}

/* Number of entries in a directory (without . and ..). */
static size_t dir_entries(const char *path)
{
    DIR *dir = opendir(path);
    ck_assert_ptr_nonnull(dir);
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(dir)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
    closedir(dir);
    return n;
}

/* Removes a test's directory; a test that left nothing unexpected ends with this. */
static void dir_remove(tmpdir *d)
{
    remove_tree(d->path);
    ck_assert_int_ne(access(d->path, F_OK), 0);
}

static void file_path(char *out, size_t len, const tmpdir *d, const char *name)
{
    snprintf(out, len, "%s/%s", d->path, name);
}

static unsigned char *file_read(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
    long n = ftell(f);
    ck_assert_int_ge(n, 0);
    rewind(f);
    unsigned char *buf = malloc((size_t)n + 1);
    ck_assert_ptr_nonnull(buf);
    ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static void file_write(const char *path, const void *buf, size_t len)
{
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    if (len) ck_assert_uint_eq(fwrite(buf, 1, len, f), len);
    ck_assert_int_eq(fclose(f), 0);
}

static uint32_t rd32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t rd64(const unsigned char *p)
{
    return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

static void wr32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}

static void wr64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i));
}

/* CRC-32 (IEEE 802.3, reflected, as zlib's crc32), bit by bit: independent of the library. */
static uint32_t crc32_ref(const unsigned char *p, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
    }
    return c ^ 0xFFFFFFFFu;
}

/* Recomputes the trailing CRC-32 so that a patched file passes the checksum. */
static void fix_crc(unsigned char *buf, size_t len)
{
    wr32(buf + len - 4, crc32_ref(buf, len - 4));
}

/* Loads path (from a file) or buf[0..len) (from memory, when path is NULL) expecting
 * failure; checks that the outputs were left alone and that detail says why. */
static mlp_status load_fails_detail(const char *path, const void *buf, size_t len,
                                    mlp_error_detail *detail)
{
    mlp_net *sentinel_net = (mlp_net *)(uintptr_t)0x1;
    mlp_preprocess *sentinel_pre = (mlp_preprocess *)(uintptr_t)0x2;
    mlp_optimizer *sentinel_opt = (mlp_optimizer *)(uintptr_t)0x3;
    mlp_net *net = sentinel_net;
    mlp_preprocess *pre = sentinel_pre;
    mlp_optimizer *opt = sentinel_opt;
    mlp_model_info info = {99, true, true, 99};
    memset(detail, 0, sizeof *detail);
    mlp_status st = path ? mlp_model_open_parts(path, &net, &pre, &opt, &info, detail)
                         : mlp_model_open_parts_mem(buf, len, &net, &pre, &opt, &info, detail);
    ck_assert_int_ne(st, MLP_OK);
    ck_assert_ptr_eq(net, sentinel_net);
    ck_assert_ptr_eq(pre, sentinel_pre);
    ck_assert_ptr_eq(opt, sentinel_opt);
    ck_assert_uint_eq(info.format_version, 99);
    ck_assert_msg(detail->message[0] != '\0', "status %d without a message", (int)st);
    return st;
}

static mlp_status load_fails(const char *path)
{
    mlp_error_detail detail;
    return load_fails_detail(path, NULL, 0, &detail);
}

/* Loads damaged bytes from memory and from a file: the same status and message. */
static mlp_status load_buffer_status(const tmpdir *d, const void *buf, size_t len)
{
    mlp_error_detail from_mem, from_file;
    mlp_status st = load_fails_detail(NULL, buf, len, &from_mem);
    char path[256];
    file_path(path, sizeof path, d, "patched.mlp");
    file_write(path, buf, len);
    ck_assert_int_eq(load_fails_detail(path, NULL, 0, &from_file), st);
    ck_assert_str_eq(from_file.message, from_mem.message);
    unlink(path);
    return st;
}

static mlp_net *net_new(size_t layers, const size_t *sizes, const mlp_activation *acts,
                        mlp_bias_mode bias, uint64_t seed)
{
    tu_topo t = tu_topo_make(layers, sizes, acts, bias);
    mlp_net *net = tu_net_new(&t, seed);
    ck_assert_ptr_nonnull(net);
    return net;
}

/* A small net, a fitted-looking preprocess and an Adam optimizer with a few steps done. */
typedef struct model {
    mlp_net *net;
    mlp_preprocess *pre;
    mlp_optimizer *opt;
} model;

static const char *const class_names[] = {"cat", "dog", "", "bird with spaces"};

static mlp_preprocess *pre_new(size_t n, size_t classes, const char *label)
{
    mlp_preprocess *pre = NULL;
    ck_assert_int_eq(mlp_preprocess_create(&pre, n), MLP_OK);
    float *offset = malloc(n * sizeof *offset), *scale = malloc(n * sizeof *scale);
    for (size_t i = 0; i < n; i++) {
        offset[i] = (float)i * 0.37f - 1.25f;
        scale[i] = 1.0f / (3.0f + (float)i);
    }
    offset[0] = -0.0f;
    ck_assert_int_eq(mlp_preprocess_set_scaling(pre, MLP_SCALE_STANDARD, offset, scale), MLP_OK);
    ck_assert_int_eq(mlp_preprocess_set_label_info(pre, classes ? MLP_TASK_CLASSIFY
                                                               : MLP_TASK_REGRESS,
                                                   label, 7, classes,
                                                   classes ? class_names : NULL),
                     MLP_OK);
    free(offset);
    free(scale);
    return pre;
}

static void fill_data(float *x, float *y, size_t count, size_t nin, size_t nout, uint64_t seed)
{
    uint64_t s = seed;
    tu_fill_uniform(&s, x, count * nin, -1.0, 1.0);
    tu_fill_uniform(&s, y, count * nout, 0.0, 1.0);
}

/* Runs `steps` minibatch updates of 4 records, cycling through 16 records. */
static void train_steps(mlp_net *net, mlp_optimizer *opt, size_t first, size_t steps)
{
    size_t nin = mlp_net_input_size(net), nout = mlp_net_output_size(net);
    float x[16 * 8], y[16 * 4];
    ck_assert_uint_le(nin, 8);
    ck_assert_uint_le(nout, 4);
    fill_data(x, y, 16, nin, nout, 99);
    mlp_workspace *ws = NULL;
    ck_assert_int_eq(mlp_workspace_create(&ws, net, 4), MLP_OK);
    for (size_t i = first; i < first + steps; i++) {
        size_t b = i % 4;
        ck_assert_int_eq(mlp_train_step(net, ws, opt, x + b * 4 * nin, y + b * 4 * nout, 4,
                                        MLP_LOSS_MSE, NULL),
                         MLP_OK);
    }
    mlp_workspace_free(ws);
}

static const size_t std_sizes[] = {5, 7, 3};
static const mlp_activation std_acts[] = {MLP_ACT_TANH, MLP_ACT_SIGMOID};

static model model_new(bool with_pre, bool with_opt)
{
    model m = {net_new(2, std_sizes, std_acts, MLP_BIAS_PER_NEURON, 11), NULL, NULL};
    if (with_pre) m.pre = pre_new(5, 3, "species");
    if (with_opt) {
        mlp_optimizer_config c = mlp_optimizer_config_default(MLP_OPT_ADAM);
        c.learning_rate = 0.003f;
        ck_assert_int_eq(mlp_optimizer_create(&m.opt, m.net, &c), MLP_OK);
        train_steps(m.net, m.opt, 0, 5);
    }
    return m;
}

static void model_free(model *m)
{
    mlp_net_free(m->net);
    mlp_preprocess_free(m->pre);
    mlp_optimizer_free(m->opt);
}

/* Encodes a model in memory; returns a malloc'd copy of the image (the tests free() and
 * patch it). */
static unsigned char *model_bytes(const mlp_net *net, const mlp_preprocess *pre,
                                  const mlp_optimizer *opt, size_t epoch, size_t *len)
{
    void *data = NULL;
    ck_assert_int_eq(mlp_model_write_parts_mem(&data, len, net, pre, opt, epoch), MLP_OK);
    ck_assert_ptr_nonnull(data);
    unsigned char *copy = malloc(*len);
    memcpy(copy, data, *len);
    mlp_free(data);
    return copy;
}

/* The bytes of a full model (net + preprocess + optimizer). */
static unsigned char *full_model_bytes(size_t *len)
{
    model m = model_new(true, true);
    unsigned char *buf = model_bytes(m.net, m.pre, m.opt, 17, len);
    model_free(&m);
    return buf;
}

/* mlp_model_write_parts to path, checked against mlp_model_write_parts_mem: the same bytes. */
static void save_checked(const char *path, const mlp_net *net, const mlp_preprocess *pre,
                         const mlp_optimizer *opt, size_t epoch)
{
    ck_assert_int_eq(mlp_model_write_parts(path, net, pre, opt, epoch, NULL), MLP_OK);
    size_t file_len, mem_len;
    unsigned char *file = file_read(path, &file_len);
    unsigned char *mem = model_bytes(net, pre, opt, epoch, &mem_len);
    ck_assert_uint_eq(mem_len, file_len);
    ck_assert_int_eq(memcmp(mem, file, file_len), 0);
    free(mem);
    free(file);
}

static void assert_same_net(const mlp_net *a, const mlp_net *b)
{
    size_t L = mlp_net_layer_count(a);
    ck_assert_uint_eq(mlp_net_layer_count(b), L);
    for (size_t i = 0; i <= L; i++) ck_assert_uint_eq(mlp_net_size(b, i), mlp_net_size(a, i));
    for (size_t k = 0; k < L; k++)
        ck_assert_int_eq(mlp_net_activation(b, k), mlp_net_activation(a, k));
    ck_assert_int_eq(mlp_net_bias_mode(b), mlp_net_bias_mode(a));
    ck_assert_uint_eq(mlp_net_param_count(b), mlp_net_param_count(a));
    ck_assert_int_eq(memcmp(mlp_net_params_const(a), mlp_net_params_const(b),
                            mlp_net_param_count(a) * sizeof(float)),
                     0);
}

static void assert_same_pre(const mlp_preprocess *a, const mlp_preprocess *b)
{
    size_t n = mlp_preprocess_input_size(a);
    ck_assert_uint_eq(mlp_preprocess_input_size(b), n);
    ck_assert_int_eq(mlp_preprocess_scaling(b), mlp_preprocess_scaling(a));
    ck_assert_int_eq(memcmp(mlp_preprocess_offset(a), mlp_preprocess_offset(b), n * 4), 0);
    ck_assert_int_eq(memcmp(mlp_preprocess_scale(a), mlp_preprocess_scale(b), n * 4), 0);
    ck_assert_int_eq(mlp_preprocess_task(b), mlp_preprocess_task(a));
    const char *la = mlp_preprocess_label_name(a), *lb = mlp_preprocess_label_name(b);
    ck_assert(la == NULL ? lb == NULL : lb != NULL && strcmp(la, lb) == 0);
    ck_assert_int_eq(mlp_preprocess_label_index(b), mlp_preprocess_label_index(a));
    size_t C = mlp_preprocess_class_count(a);
    ck_assert_uint_eq(mlp_preprocess_class_count(b), C);
    for (size_t c = 0; c < C; c++)
        ck_assert_str_eq(mlp_preprocess_class_name(b, c), mlp_preprocess_class_name(a, c));
}

static void assert_same_opt(mlp_optimizer *a, mlp_optimizer *b)
{
    const mlp_optimizer_config *ca = mlp_optimizer_settings(a);
    const mlp_optimizer_config *cb = mlp_optimizer_settings(b);
    ck_assert_int_eq(cb->kind, ca->kind);
    ck_assert_int_eq(cb->reduction, ca->reduction);
    ck_assert_int_eq(cb->schedule, ca->schedule);
    const float fa[] = {ca->learning_rate, ca->momentum, ca->beta1, ca->beta2, ca->rho,
                        ca->epsilon, ca->weight_decay, ca->step_gamma, ca->min_learning_rate};
    const float fb[] = {cb->learning_rate, cb->momentum, cb->beta1, cb->beta2, cb->rho,
                        cb->epsilon, cb->weight_decay, cb->step_gamma, cb->min_learning_rate};
    ck_assert_int_eq(memcmp(fa, fb, sizeof fa), 0);
    ck_assert_uint_eq(cb->step_epochs, ca->step_epochs);
    ck_assert_uint_eq(cb->total_epochs, ca->total_epochs);
    ck_assert_uint_eq(mlp_optimizer_step_count(b), mlp_optimizer_step_count(a));
    size_t na = 0, nb = 0;
    const float *sa = mlp_optimizer_state(a, &na), *sb = mlp_optimizer_state(b, &nb);
    ck_assert_uint_eq(nb, na);
    if (na) ck_assert_int_eq(memcmp(sa, sb, na * sizeof(float)), 0);
}

/* mlp_model_open_parts from path, checked against mlp_model_open_parts_mem of the file's bytes: equal
 * objects (parameters and RNG state bit for bit) and info. */
static void load_checked(const char *path, mlp_net **net, mlp_preprocess **pre,
                         mlp_optimizer **opt, mlp_model_info *info, mlp_error_detail *detail)
{
    ck_assert_int_eq(mlp_model_open_parts(path, net, pre, opt, info, detail), MLP_OK);
    size_t len;
    unsigned char *bytes = file_read(path, &len);
    mlp_net *n2 = NULL;
    mlp_preprocess *p2 = NULL;
    mlp_optimizer *o2 = NULL;
    mlp_model_info i2;
    ck_assert_int_eq(mlp_model_open_parts_mem(bytes, len, &n2, pre ? &p2 : NULL, opt ? &o2 : NULL,
                                        &i2, NULL),
                     MLP_OK);
    free(bytes);
    assert_same_net(*net, n2);
    uint64_t r1[MLP_RNG_STATE_WORDS], r2[MLP_RNG_STATE_WORDS];
    mlp_net_rng_state(*net, r1);
    mlp_net_rng_state(n2, r2);
    ck_assert_int_eq(memcmp(r1, r2, sizeof r1), 0);
    if (pre) {
        ck_assert_int_eq(*pre == NULL, p2 == NULL);
        if (p2) assert_same_pre(*pre, p2);
    }
    if (opt) {
        ck_assert_int_eq(*opt == NULL, o2 == NULL);
        if (o2) assert_same_opt(*opt, o2);
    }
    if (info) {
        ck_assert_uint_eq(i2.format_version, info->format_version);
        ck_assert_int_eq(i2.has_preprocess, info->has_preprocess);
        ck_assert_int_eq(i2.has_optimizer, info->has_optimizer);
        ck_assert_uint_eq(i2.epoch, info->epoch);
    }
    mlp_net_free(n2);
    mlp_preprocess_free(p2);
    mlp_optimizer_free(o2);
}

/* ------------------------------------------------------------------ round trips */

START_TEST(test_roundtrip_every_bias_mode)
{
    static const size_t s1[] = {3, 1};
    static const size_t s2[] = {4, 6, 2};
    static const size_t s3[] = {8, 5, 4, 3, 2};
    static const mlp_activation a1[] = {MLP_ACT_LINEAR};
    static const mlp_activation a2[] = {MLP_ACT_RELU, MLP_ACT_SOFTMAX};
    static const mlp_activation a3[] = {MLP_ACT_LEAKY_RELU, MLP_ACT_TANH, MLP_ACT_SIGMOID,
                                        MLP_ACT_LINEAR};
    const struct { size_t L; const size_t *s; const mlp_activation *a; } nets[] = {
        {1, s1, a1}, {2, s2, a2}, {4, s3, a3}};
    tmpdir d;
    dir_make(&d);
    char path[256];
    file_path(path, sizeof path, &d, "net.mlp");
    for (size_t t = 0; t < 3; t++) {
        for (int bias = 0; bias < MLP_BIAS_COUNT; bias++) {
            mlp_net *net = net_new(nets[t].L, nets[t].s, nets[t].a, (mlp_bias_mode)bias,
                                   100 + t);
            /* Values whose bits a careless encoder would change. */
            float *p = mlp_net_params(net);
            size_t P = mlp_net_param_count(net);
            p[0] = -0.0f;
            p[P / 2] = 1e-40f; /* subnormal */
            p[P - 1] = FLT_MAX;
            if (P > 3) p[1] = -0x1p-149f; /* the smallest subnormal (NaN is refused) */
            save_checked(path, net, NULL, NULL, t * 10 + (size_t)bias);
            mlp_net *back = NULL;
            mlp_preprocess *pre = (mlp_preprocess *)(uintptr_t)0x1;
            mlp_optimizer *opt = (mlp_optimizer *)(uintptr_t)0x1;
            mlp_model_info info;
            mlp_error_detail detail;
            load_checked(path, &back, &pre, &opt, &info, &detail);
            ck_assert_ptr_null(pre);
            ck_assert_ptr_null(opt);
            /* Without a table encoding the file stays version 1 (older readers read it). */
            ck_assert_uint_eq(info.format_version, 1u);
            ck_assert(!info.has_preprocess);
            ck_assert(!info.has_optimizer);
            ck_assert_uint_eq(info.epoch, t * 10 + (size_t)bias);
            assert_same_net(net, back);
            mlp_net_free(back);
            mlp_net_free(net);
        }
    }
    ck_assert_uint_eq(dir_entries(d.path), 1);
    dir_remove(&d);
}
END_TEST

START_TEST(test_roundtrip_preprocess_and_optimizer)
{
    tmpdir d;
    dir_make(&d);
    char path[256];
    file_path(path, sizeof path, &d, "model.mlp");
    for (int variant = 0; variant < 4; variant++) {
        bool with_pre = variant & 1, with_opt = variant & 2;
        model m = model_new(with_pre, with_opt);
        save_checked(path, m.net, m.pre, m.opt, 3);
        model back = {NULL, NULL, NULL};
        mlp_model_info info;
        load_checked(path, &back.net, &back.pre, &back.opt, &info, NULL);
        ck_assert(info.has_preprocess == with_pre);
        ck_assert(info.has_optimizer == with_opt);
        ck_assert_uint_eq(info.epoch, 3);
        assert_same_net(m.net, back.net);
        ck_assert(with_pre == (back.pre != NULL));
        ck_assert(with_opt == (back.opt != NULL));
        if (with_pre) assert_same_pre(m.pre, back.pre);
        if (with_opt) {
            ck_assert_uint_eq(mlp_optimizer_step_count(back.opt), 5);
            assert_same_opt(m.opt, back.opt);
        }
        /* Skipping the optional parts still reports them. */
        mlp_net *only = NULL;
        load_checked(path, &only, NULL, NULL, &info, NULL);
        ck_assert(info.has_preprocess == with_pre && info.has_optimizer == with_opt);
        assert_same_net(m.net, only);
        mlp_net_free(only);
        model_free(&back);
        model_free(&m);
    }
    dir_remove(&d);
}
END_TEST

START_TEST(test_roundtrip_preprocess_variants)
{
    tmpdir d;
    dir_make(&d);
    char path[256];
    file_path(path, sizeof path, &d, "model.mlp");
    static const size_t sizes[] = {5, 4};
    static const mlp_activation acts[] = {MLP_ACT_SOFTMAX}, linear[] = {MLP_ACT_LINEAR};
    mlp_net *net = net_new(1, sizes, acts, MLP_BIAS_PER_LAYER, 5);
    /* A regression is not saved with a softmax output (the sections would contradict). */
    mlp_net *reg = net_new(1, sizes, linear, MLP_BIAS_PER_LAYER, 5);
    /* Regression without label name; classification with every class name form. */
    mlp_preprocess *pres[] = {pre_new(5, 0, NULL), pre_new(5, 4, "label"), NULL};
    ck_assert_int_eq(mlp_preprocess_create(&pres[2], 5), MLP_OK); /* untouched defaults */
    for (size_t i = 0; i < 3; i++) {
        save_checked(path, i == 0 ? reg : net, pres[i], NULL, 0);
        mlp_net *back = NULL;
        mlp_preprocess *pre = NULL;
        load_checked(path, &back, &pre, NULL, NULL, NULL);
        ck_assert_ptr_nonnull(pre);
        assert_same_pre(pres[i], pre);
        mlp_preprocess_free(pre);
        mlp_net_free(back);
        mlp_preprocess_free(pres[i]);
    }
    mlp_net_free(reg);
    mlp_net_free(net);
    dir_remove(&d);
}
END_TEST

START_TEST(test_roundtrip_every_optimizer)
{
    tmpdir d;
    dir_make(&d);
    char path[256];
    file_path(path, sizeof path, &d, "model.mlp");
    for (int kind = 0; kind < MLP_OPT_COUNT; kind++) {
        mlp_net *net = net_new(2, std_sizes, std_acts, MLP_BIAS_PER_NETWORK, 21);
        mlp_optimizer_config c = mlp_optimizer_config_default((mlp_optimizer_kind)kind);
        /* Every field distinct, so that a swapped field shows. */
        c.learning_rate = 0.02f;
        c.reduction = MLP_REDUCE_MEAN;
        c.momentum = 0.8f;
        c.beta1 = 0.85f;
        c.beta2 = 0.995f;
        c.rho = 0.7f;
        c.epsilon = 1e-7f;
        c.weight_decay = 0.001f;
        c.schedule = kind % 2 ? MLP_SCHEDULE_COSINE : MLP_SCHEDULE_STEP;
        c.step_epochs = 13;
        c.step_gamma = 0.3f;
        c.total_epochs = 37;
        c.min_learning_rate = 0.0005f;
        mlp_optimizer *opt = NULL;
        ck_assert_int_eq(mlp_optimizer_create(&opt, net, &c), MLP_OK);
        train_steps(net, opt, 0, 3);
        ck_assert_int_eq(mlp_optimizer_set_epoch(opt, 20), MLP_OK);
        save_checked(path, net, NULL, opt, 20);
        mlp_net *bnet = NULL;
        mlp_optimizer *bopt = NULL;
        load_checked(path, &bnet, NULL, &bopt, NULL, NULL);
        assert_same_net(net, bnet);
        assert_same_opt(opt, bopt);
        /* The schedule is evaluated at the saved epoch (not at 0). */
        float lr = mlp_optimizer_learning_rate(opt), blr = mlp_optimizer_learning_rate(bopt);
        ck_assert(lr != c.learning_rate);
        ck_assert_int_eq(memcmp(&lr, &blr, sizeof lr), 0);
        mlp_optimizer_free(bopt);
        mlp_net_free(bnet);
        mlp_optimizer_free(opt);
        mlp_net_free(net);
    }
    dir_remove(&d);
}
END_TEST

/* Train N+M steps straight through, or N steps, save, load, M steps: identical bits. */
START_TEST(test_resume_is_exact)
{
    const mlp_optimizer_kind kinds[] = {MLP_OPT_ADAM, MLP_OPT_NESTEROV, MLP_OPT_RMSPROP};
    tmpdir d;
    dir_make(&d);
    char path[256];
    file_path(path, sizeof path, &d, "resume.mlp");
    for (size_t i = 0; i < 3; i++) {
        mlp_optimizer_config c = mlp_optimizer_config_default(kinds[i]);
        c.learning_rate = 0.01f;
        mlp_net *straight = net_new(2, std_sizes, std_acts, MLP_BIAS_PER_NEURON, 31);
        mlp_net *first = NULL;
        ck_assert_int_eq(mlp_net_clone(&first, straight), MLP_OK);
        mlp_optimizer *o1 = NULL, *o2 = NULL;
        ck_assert_int_eq(mlp_optimizer_create(&o1, straight, &c), MLP_OK);
        ck_assert_int_eq(mlp_optimizer_create(&o2, first, &c), MLP_OK);
        train_steps(straight, o1, 0, 12);
        train_steps(first, o2, 0, 7);
        save_checked(path, first, NULL, o2, 1);
        mlp_optimizer_free(o2);
        mlp_net_free(first);

        mlp_net *resumed = NULL;
        mlp_optimizer *o3 = NULL;
        load_checked(path, &resumed, NULL, &o3, NULL, NULL);
        ck_assert_uint_eq(mlp_optimizer_step_count(o3), 7);
        train_steps(resumed, o3, 7, 5);
        size_t P = mlp_net_param_count(straight);
        ck_assert_msg(tu_first_diff(mlp_net_params_const(straight),
                                    mlp_net_params_const(resumed), P) == P,
                      "resumed %s differs", kinds[i] == MLP_OPT_ADAM ? "adam" : "optimizer");
        assert_same_opt(o1, o3);
        mlp_optimizer_free(o3);
        mlp_net_free(resumed);
        mlp_optimizer_free(o1);
        mlp_net_free(straight);
    }
    dir_remove(&d);
}
END_TEST

/* mlp_train with shuffling and a cosine schedule: 6 epochs straight equal 3 epochs, save,
 * load (parameters, RNG state, optimizer, epoch), and 3 more from start_epoch 3. */
static void train_epochs(mlp_net *net, mlp_optimizer *opt, size_t start, size_t end)
{
    enum { N = 40 };
    size_t nin = mlp_net_input_size(net), nout = mlp_net_output_size(net);
    float x[N * 8], y[N * 4];
    fill_data(x, y, N, nin, nout, 5);
    mlp_train_config tc = mlp_train_config_default();
    tc.batch_size = 6;
    tc.shuffle = true;
    tc.start_epoch = start;
    tc.epochs = end;
    mlp_train_result r;
    ck_assert_int_eq(mlp_train(net, opt, x, y, N, NULL, NULL, 0, &tc, &r), MLP_OK);
    ck_assert_uint_eq(r.epochs_run, end);
}

START_TEST(test_resume_training_loop_is_exact)
{
    tmpdir d;
    dir_make(&d);
    char path[256];
    file_path(path, sizeof path, &d, "resume_loop.mlp");
    mlp_optimizer_config c = mlp_optimizer_config_default(MLP_OPT_ADAM);
    c.learning_rate = 0.02f;
    c.schedule = MLP_SCHEDULE_COSINE;
    c.total_epochs = 6;
    mlp_net *straight = net_new(2, std_sizes, std_acts, MLP_BIAS_PER_NEURON, 77), *first = NULL;
    ck_assert_int_eq(mlp_net_clone(&first, straight), MLP_OK);
    mlp_optimizer *o1 = NULL, *o2 = NULL, *o3 = NULL;
    ck_assert_int_eq(mlp_optimizer_create(&o1, straight, &c), MLP_OK);
    ck_assert_int_eq(mlp_optimizer_create(&o2, first, &c), MLP_OK);
    train_epochs(straight, o1, 0, 6);
    train_epochs(first, o2, 0, 3);
    save_checked(path, first, NULL, o2, 3);
    mlp_net *resumed = NULL;
    mlp_model_info info;
    load_checked(path, &resumed, NULL, &o3, &info, NULL);
    ck_assert_uint_eq(info.epoch, 3);
    train_epochs(resumed, o3, info.epoch, 6);
    size_t P = mlp_net_param_count(straight);
    ck_assert_uint_eq(tu_first_diff(mlp_net_params_const(straight), mlp_net_params_const(resumed), P), P);
    /* Without the saved RNG state the shuffles differ, and so do the parameters. */
    mlp_net *reseeded = NULL;
    mlp_optimizer *o4 = NULL;
    load_checked(path, &reseeded, NULL, &o4, NULL, NULL);
    mlp_net_seed(reseeded, 1234);
    train_epochs(reseeded, o4, 3, 6);
    ck_assert_uint_lt(tu_first_diff(mlp_net_params_const(straight), mlp_net_params_const(reseeded), P), P);
    mlp_optimizer_free(o1);
    mlp_optimizer_free(o2);
    mlp_optimizer_free(o3);
    mlp_optimizer_free(o4);
    mlp_net_free(straight);
    mlp_net_free(first);
    mlp_net_free(resumed);
    mlp_net_free(reseeded);
    dir_remove(&d);
}
END_TEST

/* Raw data through the loaded preprocess gives the outputs training's evaluation gave. */
START_TEST(test_eval_on_raw_data_matches)
{
    tmpdir d;
    dir_make(&d);
    char path[256];
    file_path(path, sizeof path, &d, "model.mlp");
    const size_t count = 20;
    mlp_dataset *raw = NULL, *train = NULL;
    ck_assert_int_eq(mlp_dataset_create(&raw, count, 5, 3), MLP_OK);
    ck_assert_int_eq(mlp_dataset_create(&train, count, 5, 3), MLP_OK);
    uint64_t s = 7;
    float *x = mlp_dataset_inputs(raw);
    for (size_t i = 0; i < count * 5; i++) x[i] = (float)tu_uniform(&s, -50.0, 300.0);
    memcpy(mlp_dataset_inputs(train), x, count * 5 * sizeof(float));
    mlp_preprocess *pre = NULL;
    ck_assert_int_eq(mlp_preprocess_create(&pre, 5), MLP_OK);
    ck_assert_int_eq(mlp_preprocess_fit(pre, train, MLP_SCALE_STANDARD), MLP_OK);
    ck_assert_int_eq(mlp_preprocess_apply(pre, train), MLP_OK);
    mlp_net *net = net_new(2, std_sizes, std_acts, MLP_BIAS_PER_NEURON, 8);
    float expect[20 * 3], got[20 * 3];
    mlp_workspace *ws = NULL;
    ck_assert_int_eq(mlp_workspace_create(&ws, net, count), MLP_OK);
    ck_assert_int_eq(mlp_forward(net, ws, mlp_dataset_inputs_const(train), count, expect),
                     MLP_OK);
    save_checked(path, net, pre, NULL, 0);

    mlp_net *bnet = NULL;
    mlp_preprocess *bpre = NULL;
    load_checked(path, &bnet, &bpre, NULL, NULL, NULL);
    ck_assert_int_eq(mlp_preprocess_scaling(bpre), MLP_SCALE_STANDARD);
    ck_assert_int_eq(mlp_preprocess_apply(bpre, raw), MLP_OK);
    ck_assert_int_eq(mlp_forward(bnet, ws, mlp_dataset_inputs_const(raw), count, got), MLP_OK);
    ck_assert_int_eq(memcmp(expect, got, sizeof expect), 0);

    mlp_workspace_free(ws);
    mlp_preprocess_free(bpre);
    mlp_net_free(bnet);
    mlp_net_free(net);
    mlp_preprocess_free(pre);
    mlp_dataset_free(train);
    mlp_dataset_free(raw);
    dir_remove(&d);
}
END_TEST

/* ------------------------------------------------------------------ damaged files */

START_TEST(test_every_corrupted_byte_detected)
{
    tmpdir d;
    dir_make(&d);
    size_t len;
    unsigned char *good = full_model_bytes(&len);
    unsigned char *bad = malloc(len);
    const unsigned char flips[] = {0x01, 0x80, 0xFF};
    for (size_t pos = 0; pos < len; pos++) {
        for (size_t f = 0; f < sizeof flips; f++) {
            memcpy(bad, good, len);
            bad[pos] ^= flips[f];
            mlp_status st = load_buffer_status(&d, bad, len);
            if (pos < 8) {
                ck_assert_int_eq(st, MLP_ERR_FORMAT); /* magic */
            } else if (pos < 12) {
                ck_assert(st == MLP_ERR_FORMAT || st == MLP_ERR_VERSION); /* version */
            } else if (pos >= OFF_LENGTH && pos < OFF_LENGTH + 8) {
                ck_assert(st == MLP_ERR_FORMAT || st == MLP_ERR_TRUNCATED); /* length */
            } else {
                ck_assert_msg(st == MLP_ERR_CHECKSUM, "byte %zu ^ %02x: status %d", pos,
                              flips[f], (int)st);
            }
        }
    }
    free(bad);
    free(good);
    ck_assert_uint_eq(dir_entries(d.path), 0);
    dir_remove(&d);
}
END_TEST

START_TEST(test_truncated_at_every_length)
{
    tmpdir d;
    dir_make(&d);
    size_t len;
    unsigned char *good = full_model_bytes(&len);
    for (size_t n = 0; n < len; n++)
        ck_assert_msg(load_buffer_status(&d, good, n) == MLP_ERR_TRUNCATED, "length %zu", n);
    /* A trailing byte is refused too. */
    unsigned char *longer = malloc(len + 1);
    memcpy(longer, good, len);
    longer[len] = 0;
    ck_assert_int_eq(load_buffer_status(&d, longer, len + 1), MLP_ERR_FORMAT);
    free(longer);
    free(good);
    dir_remove(&d);
}
END_TEST

START_TEST(test_foreign_files)
{
    tmpdir d;
    dir_make(&d);
    static const unsigned char png[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n',
                                        0, 0, 0, 13, 'I', 'H', 'D', 'R', 0, 0, 1, 0,
                                        0, 0, 1, 0, 8, 6, 0, 0, 0, 0x5c, 0x72, 0xa8, 0x66};
    static const char text[] = "sepal_length,sepal_width,species\n5.1,3.5,setosa\n";
    ck_assert_int_eq(load_buffer_status(&d, png, sizeof png), MLP_ERR_FORMAT);
    ck_assert_int_eq(load_buffer_status(&d, text, strlen(text)), MLP_ERR_FORMAT);
    ck_assert_int_eq(load_buffer_status(&d, "MLPMODEX", 8), MLP_ERR_FORMAT);
    ck_assert_int_eq(load_buffer_status(&d, "x", 1), MLP_ERR_FORMAT);
    dir_remove(&d);
}
END_TEST

START_TEST(test_missing_file_and_directory)
{
    tmpdir d;
    dir_make(&d);
    char path[256];
    file_path(path, sizeof path, &d, "absent.mlp");
    ck_assert_int_eq(load_fails(path), MLP_ERR_IO);
    ck_assert_int_eq(load_fails(d.path), MLP_ERR_IO);
    dir_remove(&d);
}
END_TEST

START_TEST(test_version_checks)
{
    tmpdir d;
    dir_make(&d);
    size_t len;
    unsigned char *buf = full_model_bytes(&len);
    ck_assert_uint_eq(rd32(buf + OFF_VERSION), 1u);
    wr32(buf + OFF_VERSION, MLP_MODEL_FORMAT_VERSION + 1);
    fix_crc(buf, len);
    ck_assert_int_eq(load_buffer_status(&d, buf, len), MLP_ERR_VERSION);
    wr32(buf + OFF_VERSION, 0xFFFFFFFFu);
    fix_crc(buf, len);
    ck_assert_int_eq(load_buffer_status(&d, buf, len), MLP_ERR_VERSION);
    /* Newer even when only the header survives. */
    ck_assert_int_eq(load_buffer_status(&d, buf, 12), MLP_ERR_VERSION);
    wr32(buf + OFF_VERSION, 0);
    fix_crc(buf, len);
    ck_assert_int_eq(load_buffer_status(&d, buf, len), MLP_ERR_FORMAT);
    free(buf);
    dir_remove(&d);
}
END_TEST

/* Patches a copy of good at off with a u64 or u32, fixes the CRC, expects FORMAT. */
static void expect_format(const tmpdir *d, const unsigned char *good, size_t len, size_t off,
                          uint64_t value, int width, const char *what)
{
    unsigned char *buf = malloc(len);
    memcpy(buf, good, len);
    if (width == 8) wr64(buf + off, value);
    else wr32(buf + off, (uint32_t)value);
    fix_crc(buf, len);
    mlp_status st = load_buffer_status(d, buf, len);
    ck_assert_msg(st == MLP_ERR_FORMAT, "%s: status %d", what, (int)st);
    free(buf);
}

/* Offset of the body of section `tag` in a saved file. */
static size_t section_body(const unsigned char *buf, size_t len, const char *tag)
{
    size_t pos = 32;
    for (uint32_t i = 0; i < rd32(buf + OFF_SECTIONS); i++) {
        ck_assert_uint_le(pos + 16, len);
        if (!memcmp(buf + pos, tag, 4)) return pos + 16;
        pos += 16 + (size_t)rd64(buf + pos + 8);
    }
    ck_abort_msg("no section %s", tag);
    return 0;
}

START_TEST(test_lying_sizes_refused)
{
    tmpdir d;
    dir_make(&d);
    size_t len;
    unsigned char *good = full_model_bytes(&len);
    ck_assert_uint_eq(rd64(good + OFF_LENGTH), len);
    ck_assert_uint_eq(rd32(good + OFF_NET_L), 2);
    ck_assert_uint_eq(rd64(good + OFF_NET_SIZES + 8), 7);
    /* Widths whose parameters could never fit the file, or overflow size_t. */
    expect_format(&d, good, len, OFF_NET_SIZES + 8, (uint64_t)1 << 40, 8, "huge width");
    expect_format(&d, good, len, OFF_NET_SIZES + 8, (uint64_t)1 << 62, 8, "overflowing width");
    expect_format(&d, good, len, OFF_NET_SIZES + 8, UINT64_MAX, 8, "max width");
    expect_format(&d, good, len, OFF_NET_SIZES, 0, 8, "zero width");
    expect_format(&d, good, len, OFF_NET_L, 0x7FFFFFFF, 4, "huge layer count");
    expect_format(&d, good, len, OFF_NET_L, 0, 4, "no layers");
    expect_format(&d, good, len, OFF_NET_L, 1, 4, "fewer layers");
    expect_format(&d, good, len, OFF_NET_L + 4, MLP_BIAS_COUNT, 4, "bias mode");
    expect_format(&d, good, len, OFF_NET_SIZES + 24, MLP_ACT_COUNT, 4, "activation");
    expect_format(&d, good, len, OFF_NET_SIZES + 24, MLP_ACT_SOFTMAX, 4, "hidden softmax");
    expect_format(&d, good, len, OFF_NET_SIZES + 32, 1, 8, "parameter count");
    expect_format(&d, good, len, OFF_NET_BODY_LEN, UINT64_MAX, 8, "net section length");
    expect_format(&d, good, len, OFF_NET_BODY_LEN, rd64(good + OFF_NET_BODY_LEN) - 4, 8,
                  "short net section");
    expect_format(&d, good, len, OFF_SECTIONS, 0, 4, "no sections");
    expect_format(&d, good, len, OFF_SECTIONS, 2, 4, "fewer sections");
    expect_format(&d, good, len, OFF_SECTIONS, 4, 4, "more sections");
    expect_format(&d, good, len, 32, 0x21212121, 4, "unknown tag");
    expect_format(&d, good, len, 36, 1, 4, "section flags");
    expect_format(&d, good, len, OFF_LENGTH, (uint64_t)5 << 30, 8, "length over 4 GiB");
    expect_format(&d, good, len, OFF_LENGTH, 20, 8, "length below the minimum");

    size_t pre = section_body(good, len, "PREP");
    expect_format(&d, good, len, pre, 6, 8, "preprocess input size");
    expect_format(&d, good, len, pre + 8, MLP_SCALE_COUNT, 4, "scaling");
    expect_format(&d, good, len, pre + 12, MLP_TASK_COUNT, 4, "task");
    expect_format(&d, good, len, pre + 16, (uint64_t)-2, 8, "label index");
    expect_format(&d, good, len, pre + 24, 0x7FFFFFFF, 4, "label name length");
    size_t classes_at = pre + 28 + rd32(good + pre + 24);
    ck_assert_uint_eq(rd64(good + classes_at), 3);
    expect_format(&d, good, len, classes_at, (uint64_t)1 << 60, 8, "class count");
    expect_format(&d, good, len, classes_at, 2, 8, "class count vs outputs");
    expect_format(&d, good, len, classes_at + 8, 0x7F800000u, 4, "infinite offset");

    size_t opt = section_body(good, len, "OPTM");
    expect_format(&d, good, len, opt, MLP_OPT_COUNT, 4, "optimizer kind");
    expect_format(&d, good, len, opt, MLP_OPT_SGD, 4, "state of another kind");
    expect_format(&d, good, len, opt + 4, MLP_REDUCE_COUNT, 4, "reduction");
    expect_format(&d, good, len, opt + 8, MLP_SCHEDULE_COUNT, 4, "schedule");
    expect_format(&d, good, len, opt + 16, 0x7FC00000u, 4, "NaN learning rate");
    expect_format(&d, good, len, opt + 16, 0xBF800000u, 4, "negative learning rate");
    expect_format(&d, good, len, opt + 76, (uint64_t)1 << 61, 8, "state count");
    expect_format(&d, good, len, opt + 76, 1, 8, "odd state count");
    /* values the optimizer would turn into NaN parameters on its next step */
    ck_assert_uint_eq(rd32(good + opt), MLP_OPT_ADAM);
    expect_format(&d, good, len, opt + 68, UINT64_MAX, 8, "step count that wraps");
    expect_format(&d, good, len, opt + 36, 0, 4, "Adam epsilon 0");
    size_t state = opt + 84, P = (size_t)rd64(good + opt + 76) / 2;
    expect_format(&d, good, len, state, 0x7FC00000u, 4, "NaN first moment");
    expect_format(&d, good, len, state + 4 * P, 0xBF800000u, 4, "negative second moment");
    expect_format(&d, good, len, state + 4 * P + 4, 0x7F800000u, 4, "infinite second moment");
    free(good);
    dir_remove(&d);
}
END_TEST

/* ------------------------------------------------------------------ atomic writes */

START_TEST(test_save_into_missing_directory)
{
    tmpdir d;
    dir_make(&d);
    char path[256];
    file_path(path, sizeof path, &d, "no/such/dir/model.mlp");
    model m = model_new(true, true);
    ck_assert_int_eq(mlp_model_write_parts(path, m.net, m.pre, m.opt, 0, NULL), MLP_ERR_IO);
    ck_assert_uint_eq(dir_entries(d.path), 0);
    model_free(&m);
    dir_remove(&d);
}
END_TEST

START_TEST(test_save_replaces_existing)
{
    tmpdir d;
    dir_make(&d);
    char path[256];
    file_path(path, sizeof path, &d, "model.mlp");
    file_write(path, "old contents", 12);
    chmod(path, 0640);
    mlp_net *a = net_new(2, std_sizes, std_acts, MLP_BIAS_NONE, 1);
    static const size_t sizes_b[] = {2, 2};
    static const mlp_activation acts_b[] = {MLP_ACT_RELU};
    mlp_net *b = net_new(1, sizes_b, acts_b, MLP_BIAS_PER_LAYER, 2);
    save_checked(path, a, NULL, NULL, 0);
    save_checked(path, b, NULL, NULL, 0);
    ck_assert_uint_eq(dir_entries(d.path), 1);
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_uint_eq(st.st_mode & 0777, 0640);
    mlp_net *back = NULL;
    load_checked(path, &back, NULL, NULL, NULL, NULL);
    assert_same_net(b, back);
    mlp_net_free(back);
    mlp_net_free(a);
    mlp_net_free(b);
    dir_remove(&d);
}
END_TEST

START_TEST(test_failed_save_keeps_old_file)
{
    tmpdir d;
    dir_make(&d);
    char path[256];
    file_path(path, sizeof path, &d, "model.mlp");
    model m = model_new(true, true);
    save_checked(path, m.net, m.pre, m.opt, 2);
    size_t len;
    unsigned char *before = file_read(path, &len);

    /* Preprocessing and optimizer made for another topology. */
    static const size_t other_sizes[] = {4, 3};
    static const mlp_activation other_acts[] = {MLP_ACT_LINEAR};
    mlp_net *other = net_new(1, other_sizes, other_acts, MLP_BIAS_PER_NEURON, 3);
    mlp_optimizer_config c = mlp_optimizer_config_default(MLP_OPT_MOMENTUM);
    mlp_optimizer *other_opt = NULL;
    ck_assert_int_eq(mlp_optimizer_create(&other_opt, other, &c), MLP_OK);
    mlp_preprocess *other_pre = pre_new(4, 3, NULL);
    ck_assert_int_eq(mlp_model_write_parts(path, m.net, other_pre, NULL, 0, NULL), MLP_ERR_DIMENSION);
    ck_assert_int_eq(mlp_model_write_parts(path, m.net, NULL, other_opt, 0, NULL),
                     MLP_ERR_WORKSPACE_MISMATCH);
    mlp_preprocess *few_classes = pre_new(5, 4, NULL); /* 4 names, 3 outputs */
    ck_assert_int_eq(mlp_model_write_parts(path, m.net, few_classes, NULL, 0, NULL), MLP_ERR_DIMENSION);
    ck_assert_int_eq(mlp_model_write_parts(path, NULL, NULL, NULL, 0, NULL), MLP_ERR_NULL_ARG);
    ck_assert_int_eq(mlp_model_write_parts(NULL, m.net, NULL, NULL, 0, NULL), MLP_ERR_NULL_ARG);
    ck_assert_int_eq(mlp_model_write_parts("", m.net, NULL, NULL, 0, NULL), MLP_ERR_INVALID_ARG);

    size_t len2;
    unsigned char *after = file_read(path, &len2);
    ck_assert_uint_eq(len2, len);
    ck_assert_int_eq(memcmp(before, after, len), 0);
    ck_assert_uint_eq(dir_entries(d.path), 1);

    /* Renaming over a directory fails after the temporary file was written: removed. */
    char sub[256];
    file_path(sub, sizeof sub, &d, "subdir");
    ck_assert_int_eq(mkdir(sub, 0700), 0);
    char inner[300];
    snprintf(inner, sizeof inner, "%s/keep", sub);
    file_write(inner, "x", 1);
    ck_assert_int_eq(mlp_model_write_parts(sub, m.net, NULL, NULL, 0, NULL), MLP_ERR_IO);
    ck_assert_uint_eq(dir_entries(d.path), 2);
    ck_assert_uint_eq(dir_entries(sub), 1);
    unlink(inner);

    free(before);
    free(after);
    mlp_preprocess_free(few_classes);
    mlp_preprocess_free(other_pre);
    mlp_optimizer_free(other_opt);
    mlp_net_free(other);
    model_free(&m);
    dir_remove(&d);
}
END_TEST

/* An optimizer made for another topology is refused even when its state size fits (plain
 * SGD keeps none). */
START_TEST(test_save_refuses_foreign_optimizer)
{
    tmpdir d;
    dir_make(&d);
    char path[256];
    file_path(path, sizeof path, &d, "foreign.mlp");
    static const size_t other_sizes[] = {4, 9, 3};
    mlp_net *other = net_new(2, other_sizes, std_acts, MLP_BIAS_PER_NEURON, 3);
    model m = model_new(false, false);
    mlp_optimizer_kind kinds[] = {MLP_OPT_SGD, MLP_OPT_ADAM};
    for (size_t i = 0; i < 2; i++) {
        mlp_optimizer_config c = mlp_optimizer_config_default(kinds[i]);
        mlp_optimizer *opt = NULL;
        ck_assert_int_eq(mlp_optimizer_create(&opt, other, &c), MLP_OK);
        ck_assert_int_eq(mlp_model_write_parts(path, m.net, NULL, opt, 0, NULL), MLP_ERR_WORKSPACE_MISMATCH);
        ck_assert_int_ne(access(path, F_OK), 0);
        mlp_optimizer_free(opt);
    }
    model_free(&m);
    mlp_net_free(other);
    dir_remove(&d);
}
END_TEST

START_TEST(test_null_arguments)
{
    mlp_net *net = NULL;
    mlp_error_detail detail;
    ck_assert_int_eq(mlp_model_open_parts(NULL, &net, NULL, NULL, NULL, &detail), MLP_ERR_NULL_ARG);
    ck_assert_int_eq(mlp_model_open_parts("/tmp/x", NULL, NULL, NULL, NULL, NULL), MLP_ERR_NULL_ARG);
    ck_assert_ptr_null(net);
}
END_TEST

/* A write that fails (here a file-size limit: EFBIG, as a full disk gives ENOSPC) says so
 * with errno's text, keeps the old file and leaves no temporary file. */
START_TEST(test_write_error_names_errno)
{
    tmpdir d;
    dir_make(&d);
    char path[256];
    file_path(path, sizeof path, &d, "model.mlp");
    mlp_net *small = net_new(2, std_sizes, std_acts, MLP_BIAS_NONE, 1);
    save_checked(path, small, NULL, NULL, 0);
    size_t len;
    unsigned char *before = file_read(path, &len);
    model m = model_new(true, true);
    struct rlimit old, lim;
    ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &old), 0);
    lim = old;
    lim.rlim_cur = (rlim_t)len + 1;
    signal(SIGXFSZ, SIG_IGN);
    ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &lim), 0);
    mlp_error_detail detail;
    mlp_status st = mlp_model_write_parts(path, m.net, m.pre, m.opt, 0, &detail);
    ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &old), 0);
    ck_assert_int_eq(st, MLP_ERR_IO);
    ck_assert_msg(strstr(detail.message, strerror(EFBIG)) && strstr(detail.message, path),
                  "detail: %s", detail.message);
    size_t len2;
    unsigned char *after = file_read(path, &len2);
    ck_assert(len2 == len && memcmp(before, after, len) == 0);
    ck_assert_uint_eq(dir_entries(d.path), 1);
    /* A missing directory names the directory, and success clears the detail. */
    char missing[300];
    snprintf(missing, sizeof missing, "%s/none/model.mlp", d.path);
    ck_assert_int_eq(mlp_model_write_parts(missing, small, NULL, NULL, 0, &detail), MLP_ERR_IO);
    ck_assert_msg(strstr(detail.message, strerror(ENOENT)), "detail: %s", detail.message);
    ck_assert_int_eq(mlp_model_write_parts(path, small, NULL, NULL, 0, &detail), MLP_OK);
    ck_assert_str_eq(detail.message, "");
    free(before);
    free(after);
    model_free(&m);
    mlp_net_free(small);
    dir_remove(&d);
}
END_TEST

/* Temporaries of a save killed mid-way (PATH.tmp.PID.XXXXXX of a process that is gone) go
 * at the next save of PATH; those of live processes and of other targets stay. */
START_TEST(test_save_removes_stale_temporaries)
{
    tmpdir d;
    dir_make(&d);
    pid_t dead = fork();
    ck_assert_int_ge(dead, 0);
    if (dead == 0) _exit(0);
    ck_assert_int_eq(waitpid(dead, NULL, 0), dead);
    char path[256], stale[320], live[320], other[320], alien[320];
    file_path(path, sizeof path, &d, "model.mlp");
    snprintf(stale, sizeof stale, "%s.tmp.%ld.abc123", path, (long)dead);
    snprintf(live, sizeof live, "%s.tmp.%ld.abc123", path, (long)getppid());
    snprintf(other, sizeof other, "%s/other.mlp.tmp.%ld.abc123", d.path, (long)dead);
    snprintf(alien, sizeof alien, "%s.tmp.%ldx.abc123", path, (long)dead);
    const char *keep[] = {live, other, alien};
    file_write(stale, "partial", 7);
    for (size_t i = 0; i < 3; i++) file_write(keep[i], "x", 1);
    mlp_net *net = net_new(2, std_sizes, std_acts, MLP_BIAS_NONE, 1);
    save_checked(path, net, NULL, NULL, 0);
    struct stat st;
    ck_assert_int_ne(stat(stale, &st), 0);
    for (size_t i = 0; i < 3; i++) ck_assert_int_eq(stat(keep[i], &st), 0);
    ck_assert_uint_eq(dir_entries(d.path), 4);
    mlp_net_free(net);
    dir_remove(&d);
}
END_TEST

/* A NaN model is refused both ways: save writes nothing, load reports the value. */
START_TEST(test_non_finite_models_refused)
{
    tmpdir d;
    dir_make(&d);
    char path[256];
    file_path(path, sizeof path, &d, "model.mlp");
    model m = model_new(true, true);
    save_checked(path, m.net, m.pre, m.opt, 1);
    size_t len;
    unsigned char *good = file_read(path, &len);
    float *p = mlp_net_params(m.net);
    const float keep = p[2];
    p[2] = NAN;
    ck_assert_int_eq(mlp_model_write_parts(path, m.net, m.pre, m.opt, 1, NULL), MLP_ERR_NON_FINITE);
    p[2] = keep;
    size_t n;
    float *state = mlp_optimizer_state(m.opt, &n);
    ck_assert_uint_gt(n, 0);
    state[n - 1] = INFINITY;
    ck_assert_int_eq(mlp_model_write_parts(path, m.net, m.pre, m.opt, 1, NULL), MLP_ERR_NON_FINITE);
    size_t len2;
    unsigned char *after = file_read(path, &len2);
    ck_assert(len2 == len && memcmp(good, after, len) == 0);
    ck_assert_uint_eq(dir_entries(d.path), 1);
    /* The same NaN written into the file by hand, with a valid CRC. */
    const float nan = NAN;
    for (int which = 0; which < 2; which++) {
        unsigned char *b = malloc(len);
        memcpy(b, good, len);
        /* Parameter 0 is the first match from the start, the optimizer's first state value
         * the last match from the end (m then v follow it). */
        size_t at = SIZE_MAX;
        const float target = which ? mlp_optimizer_state_const(m.opt, &n)[0] : p[0];
        for (size_t i = 0; i + 4 <= len && at == SIZE_MAX; i++) {
            size_t j = which ? len - 4 - i : i;
            if (memcmp(b + j, &target, 4) == 0) at = j;
        }
        ck_assert_uint_ne(at, SIZE_MAX);
        memcpy(b + at, &nan, 4);
        wr32(b + len - 4, crc32_ref(b, len - 4));
        file_write(path, b, len);
        mlp_net *ln = NULL;
        mlp_optimizer *lo = NULL;
        mlp_error_detail detail;
        ck_assert_int_eq(mlp_model_open_parts(path, &ln, NULL, &lo, NULL, &detail), MLP_ERR_FORMAT);
        ck_assert_msg(strstr(detail.message, "not finite"), "detail: %s", detail.message);
        free(b);
    }
    free(good);
    free(after);
    model_free(&m);
    dir_remove(&d);
}
END_TEST

/* ------------------------------------------------------------------ in memory */

START_TEST(test_mem_roundtrip_is_stable)
{
    model m = model_new(true, true);
    size_t len;
    unsigned char *image = model_bytes(m.net, m.pre, m.opt, 5, &len);
    unsigned char *copy = malloc(len);
    memcpy(copy, image, len);
    model back = {NULL, NULL, NULL};
    mlp_model_info info;
    ck_assert_int_eq(mlp_model_open_parts_mem(image, len, &back.net, &back.pre, &back.opt, &info,
                                        NULL),
                     MLP_OK);
    ck_assert_int_eq(memcmp(image, copy, len), 0); /* the input is only read */
    assert_same_net(m.net, back.net);
    assert_same_pre(m.pre, back.pre);
    assert_same_opt(m.opt, back.opt);
    ck_assert_uint_eq(info.epoch, 5);
    ck_assert(info.has_preprocess && info.has_optimizer);
    /* Encoding what was decoded gives the same bytes. */
    size_t len2;
    unsigned char *again = model_bytes(back.net, back.pre, back.opt, 5, &len2);
    ck_assert_uint_eq(len2, len);
    ck_assert_int_eq(memcmp(again, image, len), 0);
    /* Optional outputs skipped: only the net is built. */
    mlp_net *only = NULL;
    ck_assert_int_eq(mlp_model_open_parts_mem(image, len, &only, NULL, NULL, NULL, NULL), MLP_OK);
    assert_same_net(m.net, only);
    mlp_net_free(only);
    free(again);
    free(copy);
    free(image);
    model_free(&back);
    model_free(&m);
}
END_TEST

START_TEST(test_mem_null_and_size_errors)
{
    model m = model_new(true, true);
    size_t len;
    unsigned char *image = model_bytes(m.net, m.pre, m.opt, 0, &len);
    void *data = (void *)(uintptr_t)0x7;
    size_t size = 42;
    ck_assert_int_eq(mlp_model_write_parts_mem(NULL, &size, m.net, NULL, NULL, 0), MLP_ERR_NULL_ARG);
    ck_assert_int_eq(mlp_model_write_parts_mem(&data, NULL, m.net, NULL, NULL, 0), MLP_ERR_NULL_ARG);
    ck_assert_int_eq(mlp_model_write_parts_mem(&data, &size, NULL, NULL, NULL, 0), MLP_ERR_NULL_ARG);
    /* A refused save leaves the outputs alone. */
    mlp_preprocess *other_pre = pre_new(4, 0, NULL);
    ck_assert_int_eq(mlp_model_write_parts_mem(&data, &size, m.net, other_pre, NULL, 0),
                     MLP_ERR_DIMENSION);
    float *p = mlp_net_params(m.net);
    float keep = p[0];
    p[0] = NAN;
    ck_assert_int_eq(mlp_model_write_parts_mem(&data, &size, m.net, NULL, NULL, 0), MLP_ERR_NON_FINITE);
    p[0] = keep;
    ck_assert_ptr_eq(data, (void *)(uintptr_t)0x7);
    ck_assert_uint_eq(size, 42);
    mlp_free(NULL); /* a no-op */

    mlp_net *net = NULL;
    mlp_error_detail detail;
    ck_assert_int_eq(mlp_model_open_parts_mem(NULL, len, &net, NULL, NULL, NULL, &detail),
                     MLP_ERR_NULL_ARG);
    ck_assert(detail.message[0] != '\0');
    ck_assert_int_eq(mlp_model_open_parts_mem(image, len, NULL, NULL, NULL, NULL, NULL),
                     MLP_ERR_NULL_ARG);
    ck_assert_ptr_null(net);
    /* A size that disagrees with the image's declared length. */
    ck_assert_int_eq(load_fails_detail(NULL, image, 0, &detail), MLP_ERR_TRUNCATED);
    ck_assert_int_eq(load_fails_detail(NULL, image, 31, &detail), MLP_ERR_TRUNCATED);
    ck_assert_int_eq(load_fails_detail(NULL, image, len - 1, &detail), MLP_ERR_TRUNCATED);
    unsigned char *longer = malloc(len + 8);
    memcpy(longer, image, len);
    memset(longer + len, 0, 8);
    ck_assert_int_eq(load_fails_detail(NULL, longer, len + 8, &detail), MLP_ERR_FORMAT);
    free(longer);
    mlp_preprocess_free(other_pre);
    free(image);
    model_free(&m);
}
END_TEST

START_TEST(test_mem_into_caller_buffer)
{
    model m = model_new(true, true);
    size_t len;
    unsigned char *image = model_bytes(m.net, m.pre, m.opt, 9, &len);
    size_t size = 0;
    ck_assert_int_eq(mlp_model_write_parts_size(&size, m.net, m.pre, m.opt), MLP_OK);
    ck_assert_uint_eq(size, len);
    /* Exactly the size: the same bytes as mlp_model_write_parts_mem; larger: the rest untouched. */
    unsigned char *buf = malloc(len + 16);
    memset(buf, 0xAA, len + 16);
    size_t written = 0;
    ck_assert_int_eq(mlp_model_write_parts_into(buf, len + 16, &written, m.net, m.pre, m.opt, 9),
                     MLP_OK);
    ck_assert_uint_eq(written, len);
    ck_assert_int_eq(memcmp(buf, image, len), 0);
    for (size_t i = len; i < len + 16; i++) ck_assert_uint_eq(buf[i], 0xAA);
    memset(buf, 0xAA, len + 16);
    written = 0;
    ck_assert_int_eq(mlp_model_write_parts_into(buf, len, &written, m.net, m.pre, m.opt, 9), MLP_OK);
    ck_assert_uint_eq(written, len);
    ck_assert_int_eq(memcmp(buf, image, len), 0);
    /* One byte short: DIMENSION, nothing written. */
    memset(buf, 0xAA, len + 16);
    written = 7;
    ck_assert_int_eq(mlp_model_write_parts_into(buf, len - 1, &written, m.net, m.pre, m.opt, 9),
                     MLP_ERR_DIMENSION);
    ck_assert_uint_eq(written, 7);
    for (size_t i = 0; i < len + 16; i++) ck_assert_uint_eq(buf[i], 0xAA);
    /* NULL arguments and refused models change nothing either. */
    ck_assert_int_eq(mlp_model_write_parts_size(NULL, m.net, NULL, NULL), MLP_ERR_NULL_ARG);
    ck_assert_int_eq(mlp_model_write_parts_size(&size, NULL, NULL, NULL), MLP_ERR_NULL_ARG);
    ck_assert_int_eq(mlp_model_write_parts_into(NULL, len, &written, m.net, NULL, NULL, 0),
                     MLP_ERR_NULL_ARG);
    ck_assert_int_eq(mlp_model_write_parts_into(buf, len, NULL, m.net, NULL, NULL, 0),
                     MLP_ERR_NULL_ARG);
    ck_assert_int_eq(mlp_model_write_parts_into(buf, len, &written, NULL, NULL, NULL, 0),
                     MLP_ERR_NULL_ARG);
    mlp_preprocess *other_pre = pre_new(4, 0, NULL);
    ck_assert_int_eq(mlp_model_write_parts_size(&size, m.net, other_pre, NULL), MLP_ERR_DIMENSION);
    ck_assert_int_eq(mlp_model_write_parts_into(buf, len + 16, &written, m.net, other_pre, NULL, 0),
                     MLP_ERR_DIMENSION);
    ck_assert_uint_eq(size, len);
    ck_assert_uint_eq(written, 7);
    for (size_t i = 0; i < len + 16; i++) ck_assert_uint_eq(buf[i], 0xAA);
    mlp_preprocess_free(other_pre);
    free(buf);
    free(image);
    model_free(&m);
}
END_TEST

static Suite *model_file_suite(void)
{
    Suite *s = suite_create("model_file");
    TCase *rt = tcase_create("round_trip");
    tcase_add_test(rt, test_roundtrip_every_bias_mode);
    tcase_add_test(rt, test_roundtrip_preprocess_and_optimizer);
    tcase_add_test(rt, test_roundtrip_preprocess_variants);
    tcase_add_test(rt, test_roundtrip_every_optimizer);
    tcase_add_test(rt, test_resume_is_exact);
    tcase_add_test(rt, test_resume_training_loop_is_exact);
    tcase_add_test(rt, test_eval_on_raw_data_matches);
    tcase_add_unchecked_fixture(rt, root_setup, root_teardown);
    suite_add_tcase(s, rt);
    TCase *bad = tcase_create("damaged");
    tcase_add_test(bad, test_every_corrupted_byte_detected);
    tcase_add_test(bad, test_truncated_at_every_length);
    tcase_add_test(bad, test_foreign_files);
    tcase_add_test(bad, test_missing_file_and_directory);
    tcase_add_test(bad, test_version_checks);
    tcase_add_test(bad, test_lying_sizes_refused);
    tcase_add_test(bad, test_null_arguments);
    tcase_add_test(bad, test_save_refuses_foreign_optimizer);
    tcase_add_unchecked_fixture(bad, root_setup, root_teardown);
    suite_add_tcase(s, bad);
    TCase *atomic = tcase_create("atomic");
    tcase_add_test(atomic, test_save_into_missing_directory);
    tcase_add_test(atomic, test_save_replaces_existing);
    tcase_add_test(atomic, test_failed_save_keeps_old_file);
    tcase_add_test(atomic, test_write_error_names_errno);
    tcase_add_test(atomic, test_save_removes_stale_temporaries);
    tcase_add_test(atomic, test_non_finite_models_refused);

    tcase_add_unchecked_fixture(atomic, root_setup, root_teardown);
    suite_add_tcase(s, atomic);
    TCase *mem = tcase_create("memory");
    tcase_add_test(mem, test_mem_roundtrip_is_stable);
    tcase_add_test(mem, test_mem_null_and_size_errors);
    tcase_add_test(mem, test_mem_into_caller_buffer);
    suite_add_tcase(s, mem);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(model_file_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
