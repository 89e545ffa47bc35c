/* The model format's "TABL" section (model_format.h): a table encoding, written, checked
 * field by field without allocating, then built. */
#include "model_format.h"

#include "data/table_internal.h"

#include <math.h>

#define FAIL(...) do { set_detail(detail, __VA_ARGS__); return MLP_ERR_FORMAT; } while (0)

static uint64_t f64_bits(double x)
{
    uint64_t b;
    memcpy(&b, &x, sizeof b);
    return b;
}

static double bits_f64(uint64_t b)
{
    double x;
    memcpy(&x, &b, sizeof x);
    return x;
}

/* ------------------------------------------------------------------ writing */

uint64_t mlp_model_table_size(const mlp_table_encoding *enc)
{
    uint64_t total = 8 + 8 + 8 * (uint64_t)enc->n_labels + 4 + 4 + 8, s;
    if (!(s = str_size(enc->missing_tokens))) return 0;
    total += s;
    for (size_t c = 0; c < enc->n_classes; c++) {
        if (!(s = str_size(enc->classes[c]))) return 0;
        total += s;
    }
    for (size_t j = 0; j < enc->n_columns; j++) {
        const table_column *col = &enc->cols[j];
        if (!(s = str_size(enc->has_names ? col->name : NULL))) return 0;
        total += s + 4 + 4 + 8 + 8 + 8 + 8;
        for (size_t k = 0; k < col->n_categories; k++) {
            if (!(s = str_size(col->categories[k]))) return 0;
            total += s;
        }
    }
    return total;
}

void mlp_model_table_put(writer *w, const mlp_table_encoding *enc)
{
    put_u64(w, enc->n_columns);
    put_u64(w, enc->n_labels);
    for (size_t k = 0; k < enc->n_labels; k++) put_u64(w, enc->label_cols[k]);
    put_u32(w, (uint32_t)enc->task);
    put_u32(w, enc->has_names ? 1u : 0u);
    put_str(w, enc->missing_tokens);
    put_u64(w, enc->n_classes);
    for (size_t c = 0; c < enc->n_classes; c++) put_str(w, enc->classes[c]);
    for (size_t j = 0; j < enc->n_columns; j++) {
        const table_column *col = &enc->cols[j];
        put_str(w, enc->has_names ? col->name : NULL);
        put_u32(w, (uint32_t)col->type);
        put_u32(w, (col->indicator ? 1u : 0u) | (col->missing_category ? 2u : 0u));
        put_u64(w, col->missing);
        put_u64(w, col->distinct);
        put_u64(w, f64_bits(col->mean));
        put_u64(w, col->n_categories);
        for (size_t k = 0; k < col->n_categories; k++) put_str(w, col->categories[k]);
    }
}

/* ------------------------------------------------------------------ reading */

/* One walk for both jobs (walk, with the two parts below): with enc NULL it validates
 * (nothing allocated), else it fills enc (allocated for the counts the check saw). */

/* The fields before the columns: task, name flag, missing tokens, classes. */
static mlp_status walk_head(reader *r, uint64_t K, size_t outputs, uint32_t *has_names,
                            mlp_table_encoding *enc, mlp_error_detail *detail)
{
    uint64_t C;
    uint32_t task;
    str_ref s;
    if (!get_u32(r, &task) || !get_u32(r, has_names) || !get_str(r, &s) || !s.present)
        FAIL("table section too short");
    if (task >= MLP_TASK_COUNT || *has_names > 1) FAIL("invalid table task or name flag");
    if (enc) {
        enc->task = (mlp_task)task;
        enc->has_names = (int)*has_names;
        if (!(enc->missing_tokens = dup_str(&s))) return MLP_ERR_NO_MEMORY;
    }
    if (!get_u64(r, &C)) FAIL("table section too short");
    if (task == MLP_TASK_CLASSIFY ? (C != outputs || K != 1) : (C != 0 || K != outputs))
        FAIL("table labels (%llu, %llu classes) do not fit the net's %zu outputs",
             (unsigned long long)K, (unsigned long long)C, outputs);
    if (C > r->len / 4) FAIL("table section too short for its classes");
    if (enc && C && !(enc->classes = mlp_mem_calloc((size_t)C, sizeof *enc->classes)))
        return MLP_ERR_NO_MEMORY;
    for (size_t c = 0; c < C; c++) {
        if (!get_str(r, &s) || !s.present) FAIL("table class %zu overruns the section", c);
        if (enc) {
            if (!(enc->classes[c] = dup_str(&s))) return MLP_ERR_NO_MEMORY;
            enc->n_classes = c + 1;
        }
    }
    return MLP_OK;
}

/* Column j (col NULL: checked only); its encoded width is added to *width and a label
 * column counted in *label_columns. labels_at: the K label column indices. */
static mlp_status walk_column(reader *r, size_t j, uint32_t has_names,
                              const unsigned char *labels_at, uint64_t K, table_column *col,
                              size_t *width, size_t *label_columns, mlp_error_detail *detail)
{
    uint32_t type, flags;
    uint64_t missing, distinct, mean, M;
    str_ref s;
    if (!get_str(r, &s) || s.present != (int)has_names || !get_u32(r, &type) ||
        !get_u32(r, &flags) || !get_u64(r, &missing) || !get_u64(r, &distinct) ||
        !get_u64(r, &mean) || !get_u64(r, &M))
        FAIL("table column %zu overruns the section", j);
    if (type >= MLP_COLUMN_TYPE_COUNT || flags > 3 || !isfinite(bits_f64(mean)) ||
        missing > SIZE_MAX || distinct > SIZE_MAX)
        FAIL("invalid table column %zu", j);
    if ((type == MLP_COLUMN_CATEGORICAL) != (M > 0) || M > r->len / 4 ||
        ((flags & 2u) && type != MLP_COLUMN_CATEGORICAL) ||
        ((flags & 1u) && type != MLP_COLUMN_NUMERIC && type != MLP_COLUMN_DATE))
        FAIL("invalid categories or flags of table column %zu", j);
    if (type == MLP_COLUMN_LABEL) { /* must be one of the labels (distinct, checked later) */
        int listed = 0;
        for (size_t k = 0; k < K; k++) listed |= ld_u64(labels_at + 8 * k) == j;
        if (!listed) FAIL("table column %zu is a label but not in the label list", j);
        (*label_columns)++;
    }
    table_column tc;
    memset(&tc, 0, sizeof tc);
    tc.type = (mlp_column_type)type;
    tc.indicator = (flags & 1u) != 0;
    tc.missing_category = (flags & 2u) != 0;
    tc.n_categories = (size_t)M;
    size_t w = mlp_table_column_width(&tc);
    if (w > SIZE_MAX - *width) FAIL("table encodes too many features");
    *width += w;
    if (col) {
        *col = tc;
        col->n_categories = 0;
        col->missing = (size_t)missing;
        col->distinct = (size_t)distinct;
        col->mean = bits_f64(mean);
        if (has_names && !(col->name = dup_str(&s))) return MLP_ERR_NO_MEMORY;
        if (M && !(col->categories = mlp_mem_calloc((size_t)M, sizeof *col->categories)))
            return MLP_ERR_NO_MEMORY;
    }
    for (size_t k = 0; k < M; k++) {
        if (!get_str(r, &s) || !s.present) FAIL("table category overruns the section");
        if (col) {
            if (!(col->categories[k] = dup_str(&s))) return MLP_ERR_NO_MEMORY;
            col->n_categories = k + 1;
        }
    }
    return MLP_OK;
}

static mlp_status walk(reader *r, size_t input_size, size_t outputs, mlp_table_encoding *enc,
                       mlp_error_detail *detail)
{
    uint64_t N, K;
    uint32_t has_names;
    if (!get_u64(r, &N) || !get_u64(r, &K)) FAIL("table section too short");
    /* Each column takes at least 44 bytes, each label 8: bounds before any allocation. */
    if (N == 0 || N > r->len / 44) FAIL("invalid table column count %llu", (unsigned long long)N);
    if (K == 0 || K > N) FAIL("invalid table label count %llu", (unsigned long long)K);
    const unsigned char *labels_at = take_n(r, (size_t)K, 8);
    if (!labels_at) FAIL("table section too short for its labels");
    mlp_status st = walk_head(r, K, outputs, &has_names, enc, detail);
    if (st != MLP_OK) return st;
    size_t width = 0, label_columns = 0;
    for (size_t j = 0; j < N; j++) {
        st = walk_column(r, j, has_names, labels_at, K, enc ? &enc->cols[j] : NULL, &width,
                         &label_columns, detail);
        if (st != MLP_OK) return st;
    }
    if (r->pos != r->len) FAIL("table section longer than its content");
    if (width != input_size)
        FAIL("table encodes %zu features, the net takes %zu", width, input_size);
    for (size_t k = 0; k < K; k++) {
        uint64_t c = ld_u64(labels_at + 8 * k);
        for (size_t i = 0; i < k; i++)
            if (ld_u64(labels_at + 8 * i) == c) FAIL("table label column given twice");
        if (enc) enc->label_cols[k] = (size_t)c;
    }
    if (label_columns != K) FAIL("table has %zu label columns, %llu labels", label_columns,
                                 (unsigned long long)K);
    return MLP_OK;
}

mlp_status mlp_model_table_check(const unsigned char *body, size_t len, size_t input_size,
                                 size_t outputs, mlp_error_detail *detail)
{
    reader r = {body, len, 0};
    return walk(&r, input_size, outputs, NULL, detail);
}

mlp_status mlp_model_table_build(const unsigned char *body, size_t len, size_t input_size,
                                 size_t outputs, mlp_table_encoding **out)
{
    reader r = {body, len, 0};
    uint64_t N = ld_u64(body), K = ld_u64(body + 8); /* checked by mlp_model_table_check */
    mlp_table_encoding *enc = mlp_table_encoding_alloc((size_t)N, (size_t)K);
    if (!enc) return MLP_ERR_NO_MEMORY;
    mlp_status s = walk(&r, input_size, outputs, enc, NULL);
    if (s != MLP_OK) {
        mlp_table_encoding_free(enc);
        return MLP_ERR_NO_MEMORY;
    }
    *out = enc;
    return MLP_OK;
}
