/* Seeded mutation fuzzing of every file reader: valid CSV, IDX (plain and gzip) and model
 * files, mutated by byte flips, insertions, deletions and truncations, must load or fail
 * with a status, never crash, leak or read out of bounds (CI runs this suite under ASan and
 * UBSan too). Deterministic: the same seed, the same inputs. Then every file of the
 * regression corpus, tests/corpus/<reader>/ (what scripts/fuzz found, and seeds), through the
 * libFuzzer harnesses' own entry points. */
#define _GNU_SOURCE /* memfd_create, in fuzz/fuzz_inputs.h */
#include "fuzz/fuzz_inputs.h"
#include "test_tmpdir.h"
#include "test_util.h"

#include <check.h>
#include <zlib.h>

enum { ROUNDS = 3000, MAX_FILE = 1 << 16 };

static char tmpdir[64];
static void setup(void) { tu_tmpdir_create(tmpdir, "mlp_fuzz_"); }
static void teardown(void) { tu_tmpdir_remove(tmpdir); }

static const char *path_of(const char *name)
{
    static char p[2][512];
    static int n;
    char *s = p[n++ % 2];
    snprintf(s, 512, "%s/%s", tmpdir, name);
    return s;
}

static void write_bytes(const char *path, const unsigned char *b, size_t len)
{
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(b, 1, len, f), len);
    fclose(f);
}

static size_t read_bytes(const char *path, unsigned char *b, size_t cap)
{
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    size_t n = fread(b, 1, cap, f);
    fclose(f);
    return n;
}

/* One to four random edits of src into dst; returns the new length. */
static size_t mutate(uint64_t *s, const unsigned char *src, size_t len, unsigned char *dst)
{
    memcpy(dst, src, len);
    int edits = 1 + (int)(tu_next(s) % 4);
    for (int e = 0; e < edits && len > 0; e++) {
        size_t at = (size_t)(tu_next(s) % len);
        switch (tu_next(s) % 5) {
        case 0: dst[at] ^= (unsigned char)(1u << (tu_next(s) % 8)); break;    /* bit flip */
        case 1: dst[at] = (unsigned char)tu_next(s); break;                    /* byte */
        case 2: len = at; break;                                               /* truncate */
        case 3: /* delete a byte */
            memmove(dst + at, dst + at + 1, len - at - 1);
            len--;
            break;
        default: /* insert a byte */
            if (len + 1 >= MAX_FILE) break;
            memmove(dst + at + 1, dst + at, len - at);
            dst[at] = (unsigned char)tu_next(s);
            len++;
            break;
        }
    }
    return len;
}

/* Every result is a known status; a success gives an object that is freed. */
static void expect_status(mlp_status st)
{
    ck_assert_int_ge((int)st, 0);
    ck_assert_int_lt((int)st, MLP_STATUS_COUNT);
}

START_TEST(csv_mutations)
{
    const char *valid = "f1,f2,label,f3\n0.5,1.25,cat,-3\n\"1e-3\",2,dog,4\n7,8,\"c,at\",9\n"
                        "0,0,dog,0\n";
    uint64_t s = 101;
    unsigned char *buf = malloc(MAX_FILE);
    const char *path = path_of("f.csv");
    for (int r = 0; r < ROUNDS; r++) {
        size_t len = mutate(&s, (const unsigned char *)valid, strlen(valid), buf);
        write_bytes(path, buf, len);
        mlp_csv_options o = mlp_csv_options_default();
        o.task = r % 3 == 0 ? MLP_TASK_REGRESS : MLP_TASK_CLASSIFY;
        o.label_index = r % 3 == 0 ? 0 : -1;
        mlp_dataset *ds = NULL;
        mlp_error_detail d;
        mlp_status st = mlp_dataset_open_csv(&ds, path, &o, &d);
        expect_status(st);
        ck_assert(st == MLP_OK ? ds != NULL : ds == NULL);
        mlp_dataset_free(ds);
    }
    free(buf);
}
END_TEST

/* Valid 3-image 2x2 IDX pair, images then labels. */
static size_t idx_images(unsigned char *b)
{
    const unsigned char head[] = {0, 0, 8, 3, 0, 0, 0, 3, 0, 0, 0, 2, 0, 0, 0, 2};
    memcpy(b, head, sizeof head);
    for (int i = 0; i < 12; i++) b[sizeof head + i] = (unsigned char)(i * 20);
    return sizeof head + 12;
}

static size_t idx_labels(unsigned char *b)
{
    const unsigned char v[] = {0, 0, 8, 1, 0, 0, 0, 3, 1, 0, 2};
    memcpy(b, v, sizeof v);
    return sizeof v;
}

static void write_gz(const char *path, const unsigned char *b, size_t len)
{
    gzFile g = gzopen(path, "wb");
    ck_assert_ptr_nonnull(g);
    ck_assert_int_eq(gzwrite(g, b, (unsigned)len), (int)len);
    gzclose(g);
}

/* Loop index: 0 mutates the images file, 1 the labels, 2 the gzip bytes of the images. */
START_TEST(idx_mutations)
{
    unsigned char img[64], lab[32], gz[512];
    size_t ni = idx_images(img), nl = idx_labels(lab);
    const char *pi = path_of("i.idx"), *pl = path_of("l.idx");
    write_gz(path_of("i.gz"), img, ni);
    size_t ngz = read_bytes(path_of("i.gz"), gz, sizeof gz);
    uint64_t s = 202 + (uint64_t)_i;
    unsigned char *buf = malloc(MAX_FILE);
    for (int r = 0; r < ROUNDS; r++) {
        if (_i == 0 || _i == 2) {
            size_t len = _i == 0 ? mutate(&s, img, ni, buf) : mutate(&s, gz, ngz, buf);
            write_bytes(pi, buf, len);
            write_bytes(pl, lab, nl);
        } else {
            write_bytes(pi, img, ni);
            write_bytes(pl, buf, mutate(&s, lab, nl, buf));
        }
        mlp_dataset *ds = NULL;
        mlp_status st = mlp_dataset_open_idx(&ds, pi, pl, r % 2 ? 0 : 3, NULL);
        expect_status(st);
        ck_assert(st == MLP_OK ? ds != NULL : ds == NULL);
        mlp_dataset_free(ds);
    }
    free(buf);
}
END_TEST

START_TEST(model_mutations)
{
    const size_t sizes[] = {3, 5, 2};
    const mlp_activation acts[] = {MLP_ACT_TANH, MLP_ACT_SOFTMAX};
    mlp_net *net = NULL;
    ck_assert_int_eq(mlp_net_create(&net, 2, sizes, acts, MLP_BIAS_PER_NEURON), MLP_OK);
    ck_assert_int_eq(mlp_net_init(net, MLP_INIT_AUTO, 5), MLP_OK);
    mlp_optimizer_config c = mlp_optimizer_config_default(MLP_OPT_ADAM);
    mlp_optimizer *opt = NULL;
    ck_assert_int_eq(mlp_optimizer_create(&opt, net, &c), MLP_OK);
    mlp_preprocess *pre = NULL;
    ck_assert_int_eq(mlp_preprocess_create(&pre, 3), MLP_OK);
    const char *classes[] = {"yes", "no"};
    ck_assert_int_eq(mlp_preprocess_set_label_info(pre, MLP_TASK_CLASSIFY, "answer", 3, 2, classes),
                     MLP_OK);
    const char *good = path_of("good.mlp"), *bad = path_of("bad.mlp");
    ck_assert_int_eq(mlp_model_write_parts(good, net, pre, opt, 4, NULL), MLP_OK);
    unsigned char *orig = malloc(MAX_FILE), *buf = malloc(MAX_FILE);
    size_t n = read_bytes(good, orig, MAX_FILE);
    uint64_t s = 303;
    int loaded = 0;
    for (int r = 0; r < ROUNDS; r++) {
        write_bytes(bad, buf, mutate(&s, orig, n, buf));
        mlp_net *ln = NULL;
        mlp_preprocess *lp = NULL;
        mlp_optimizer *lo = NULL;
        mlp_status st = mlp_model_open_parts(bad, &ln, &lp, &lo, NULL, NULL);
        expect_status(st);
        loaded += st == MLP_OK; /* a mutation the CRC cannot see (e.g. none took effect) */
        mlp_net_free(ln);
        mlp_preprocess_free(lp);
        mlp_optimizer_free(lo);
    }
    ck_assert_int_lt(loaded, ROUNDS / 10); /* the CRC catches nearly every edit */
    free(orig);
    free(buf);
    mlp_preprocess_free(pre);
    mlp_optimizer_free(opt);
    mlp_net_free(net);
}
END_TEST

/* Loop index: model, csv, idx, onnx. MLP_CORPUS_DIR is set by meson to tests/corpus. */
START_TEST(corpus_replays)
{
    static const char *const readers[] = {"model", "csv", "idx", "onnx"};
    mlp_status (*const run[])(const uint8_t *, size_t) = {fuzz_model, fuzz_csv, fuzz_idx,
                                                          fuzz_onnx};
    const char *root = getenv("MLP_CORPUS_DIR");
    ck_assert_msg(root != NULL, "MLP_CORPUS_DIR is not set");
    char dir[512];
    snprintf(dir, sizeof dir, "%s/%s", root, readers[_i]);
    DIR *d = opendir(dir);
    ck_assert_msg(d != NULL, "cannot open %s", dir);
    unsigned char *buf = malloc(MAX_FILE);
    size_t files = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        if (e->d_name[0] == '.') continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        size_t n = read_bytes(path, buf, MAX_FILE);
        expect_status(run[_i](buf, n));
        files++;
    }
    closedir(d);
    free(buf);
    ck_assert_msg(files > 0, "%s is empty", dir);
}
END_TEST

static Suite *fuzz_suite(void)
{
    Suite *s = suite_create("fuzz_readers");
    TCase *tc = tcase_create("mutations");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, csv_mutations);
    tcase_add_loop_test(tc, idx_mutations, 0, 3);
    tcase_add_test(tc, model_mutations);
    tcase_add_loop_test(tc, corpus_replays, 0, 4);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(fuzz_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
