/* The human table, the CSV and the targets. */
#include "report.h"

#include "mlp.h"

#include <stdlib.h>
#include <string.h>

static const char *mode_word(const bench_workload *w)
{
    return w->mode == BENCH_TRAIN ? "train" : "infer";
}

/* A CSV field: the number, or nothing when absent. */
static void csv_num(FILE *f, bool present, double value)
{
    if (present) fprintf(f, "%.6g", value);
    fputc(',', f);
}

void bench_print_csv(FILE *f, const bench_run *run)
{
    fputs("workload,network,batch,threads,samples_per_s,gflops,gemm_bound_samples_per_s,"
          "bound_ratio,fann_samples_per_s,fann_ratio,torch_samples_per_s,torch_ratio,"
          "precision,fp32_samples_per_s,fp32_ratio\n",
          f);
    for (size_t i = 0; i < run->n_rows; i++) {
        const bench_row *r = &run->rows[i];
        char net[64];
        fprintf(f, "%s,%s,%zu,%d,", r->w->name, bench_network_string(r->w, net, sizeof net),
                r->w->batch, run->threads);
        csv_num(f, r->mlp_ok, r->mlp);
        csv_num(f, r->mlp_ok, bench_gflops(r->w, r->mlp));
        csv_num(f, r->bound_ok, r->bound);
        csv_num(f, r->mlp_ok && r->bound_ok, r->mlp / r->bound);
        csv_num(f, r->fann_ok, r->fann);
        csv_num(f, r->mlp_ok && r->fann_ok, r->mlp / r->fann);
        csv_num(f, r->torch.found, r->torch.samples_per_s);
        if (r->mlp_ok && r->torch.found) fprintf(f, "%.6g", r->mlp / r->torch.samples_per_s);
        /* bf16 rows: bound = the bf16 GEMM bound, torch = under bf16 autocast, and libmlp's
         * float rate measured in the same windows */
        fprintf(f, ",%s,", r->bf16 ? "bf16" : r->int8 ? "int8" : "fp32");
        csv_num(f, (r->bf16 || r->int8) && r->fp32_ok, r->fp32);
        if ((r->bf16 || r->int8) && r->mlp_ok && r->fp32_ok) fprintf(f, "%.6g", r->mlp / r->fp32);
        fputc('\n', f);
    }
}

/* "%*.0f" or a dash, in a field of `width`. */
static void cell(FILE *f, int width, bool present, const char *format, double value)
{
    if (present)
        fprintf(f, format, width, value);
    else
        fprintf(f, "%*s", width, "-");
}

/* Finds the float (or bf16) row of workload `name` with `batch`. */
static const bench_row *find_row_of(const bench_run *run, const char *name, size_t batch,
                                    bool bf16)
{
    for (size_t i = 0; i < run->n_rows; i++)
        if (!strcmp(run->rows[i].w->name, name) && run->rows[i].w->batch == batch &&
            run->rows[i].bf16 == bf16 && !run->rows[i].int8)
            return &run->rows[i];
    return NULL;
}

static const bench_row *find_int8_row(const bench_run *run, const char *name, size_t batch)
{
    for (size_t i = 0; i < run->n_rows; i++)
        if (!strcmp(run->rows[i].w->name, name) && run->rows[i].w->batch == batch &&
            run->rows[i].int8)
            return &run->rows[i];
    return NULL;
}

/* A table row's first columns: workload, network, batch, mode. */
static void row_start(FILE *f, const bench_row *r)
{
    char net[64];
    fprintf(f, "%-3s %-17s %5zu %-5s ", r->w->name, bench_network_string(r->w, net, sizeof net),
            r->w->batch, mode_word(r->w));
}

/* A table row's last columns (PyTorch's rate in width, its threads, libmlp's ratio to it),
 * the line's end and libmlp's error, if any. */
static void row_end(FILE *f, const bench_row *r, int width)
{
    cell(f, width, r->torch.found, "%*.0f", r->torch.samples_per_s);
    if (r->torch.found)
        fprintf(f, " %2d/%d", r->torch.torch_threads, r->torch.blas_threads);
    else
        fprintf(f, "%5s", "-");
    cell(f, 7, r->mlp_ok && r->torch.found, "%*.2f", r->mlp / r->torch.samples_per_s);
    fputc('\n', f);
    if (!r->mlp_ok && r->mlp_error) fprintf(f, "    libmlp failed: %s\n", r->mlp_error);
}

/* The bf16 rows: libmlp in bf16 mixed precision against its bf16 GEMM bound, libmlp in
 * float and PyTorch under bf16 autocast. */
static void print_bf16_table(FILE *f, const bench_run *run)
{
    fprintf(f, "\nbf16 mixed precision (oneDNN bf16 GEMMs, float weights and update)%s%s\n",
            run->bf16_note ? ": " : "", run->bf16_note ? run->bf16_note : "");
    if (run->bf16_note) return;
    fprintf(f, "%-3s %-17s %5s %-5s %11s %7s %11s %6s %11s %6s %11s %4s %6s\n", "", "network",
            "batch", "mode", "bf16/s", "GFLOP/s", "bf16-bnd/s", "ratio", "fp32/s", "x fp32",
            "torch-bf16/s", "thr", "ratio");
    for (size_t i = 0; i < run->n_rows; i++) {
        const bench_row *r = &run->rows[i];
        if (!r->bf16) continue;
        row_start(f, r);
        cell(f, 11, r->mlp_ok, "%*.0f", r->mlp);
        cell(f, 8, r->mlp_ok, "%*.2f", bench_gflops(r->w, r->mlp));
        cell(f, 12, r->bound_ok, "%*.0f", r->bound);
        cell(f, 7, r->mlp_ok && r->bound_ok, "%*.3f", r->mlp / r->bound);
        cell(f, 12, r->fp32_ok, "%*.0f", r->fp32);
        cell(f, 7, r->mlp_ok && r->fp32_ok, "%*.2f", r->mlp / r->fp32);
        row_end(f, r, 13);
    }
    fputs("bf16-bnd = only the oneDNN bf16 matmuls of one step (no rounding to bf16, no\n"
          "           activation, loss or update); fp32/s = libmlp's float row measured in\n"
          "           the same windows; torch-bf16 = torch.autocast(\"cpu\", bfloat16).\n",
          f);
    const bench_row *b1 = find_row_of(run, "W1", 256, true);
    if (run->refresh_ok) {
        fprintf(f, "bf16 weight refresh (W1's weights rounded to bf16 after a change of the "
                   "parameters; training steps do it inside their update, passes over an "
                   "unchanged net never): %.3f ms (forward pass of 16 records without it: "
                   "%.3f ms)",
                run->refresh_s * 1e3, run->refresh_forward_s * 1e3);
        if (b1 && b1->mlp_ok)
            fprintf(f, "; %.1f%% of a W1 bf16 training step (%.2f ms)",
                    100.0 * run->refresh_s * b1->mlp / 256.0, 256.0 / b1->mlp * 1e3);
        fputc('\n', f);
    }
}

/* ONNX Runtime beside libmlp and PyTorch on the inference rows. */
static void print_ort_table(FILE *f, const bench_run *run)
{
    fprintf(f, "\nONNX Runtime: %s\n", run->ort_note ? run->ort_note : "-");
    bool any = false;
    for (size_t i = 0; i < run->n_rows; i++) {
        const bench_row *r = &run->rows[i];
        if (r->bf16 || r->int8 || r->w->mode != BENCH_INFER) continue;
        if (!any)
            fprintf(f, "%-3s %-17s %5s %11s %11s %11s %4s %7s %11s %7s\n", "", "network",
                    "batch", "libmlp/s", "unpacked/s", "ORT/s", "thr", "ratio", "torch/s",
                    "ratio");
        any = true;
        char net[64];
        fprintf(f, "%-3s %-17s %5zu ", r->w->name, bench_network_string(r->w, net, sizeof net),
                r->w->batch);
        cell(f, 11, r->mlp_ok, "%*.0f", r->mlp);
        cell(f, 12, r->unpacked_ok, "%*.0f", r->unpacked);
        cell(f, 12, r->ort.found, "%*.0f", r->ort.samples_per_s);
        if (r->ort.found) fprintf(f, " %4d", r->ort.threads);
        else fprintf(f, " %4s", "-");
        cell(f, 8, r->mlp_ok && r->ort.found, "%*.2f", r->mlp / r->ort.samples_per_s);
        cell(f, 12, r->torch.found, "%*.0f", r->torch.samples_per_s);
        cell(f, 8, r->mlp_ok && r->torch.found, "%*.2f", r->mlp / r->torch.samples_per_s);
        fputc('\n', f);
    }
    if (any)
        fputs("ORT      = the row's own net, exported with mlp_model_export_onnx, run by\n"
              "           onnxruntime-node (bench/ort_bench.js; each run awaited, the Node\n"
              "           binding's per-call cost included); thr = the fastest\n"
              "           intraOpNumThreads tried (1..max(2,threads)); same windows as libmlp.\n"
              "unpacked = libmlp from the net's own weights (a training workspace: OpenBLAS\n"
              "           sgemm/sgemv), the path before packed weights; same windows.\n",
              f);
}

/* The int8 rows: libmlp's quantized net against libmlp in float (same windows) and
 * PyTorch's quantize_dynamic. */
static void print_int8_table(FILE *f, const bench_run *run)
{
    fprintf(f, "\nint8 inference (mlp_net_quantize: int8 weights per output neuron, static "
               "8-bit inputs)%s%s\n", run->int8_note ? ": " : "",
            run->int8_note ? run->int8_note : "");
    if (run->int8_note) return;
    fprintf(f, "%-3s %-17s %5s %-5s %11s %11s %6s %13s %4s %6s %11s %4s %6s\n", "", "network",
            "batch", "mode", "int8/s", "fp32/s", "x fp32", "torch-int8/s", "thr", "ratio",
            "ORT-int8/s", "thr", "ratio");
    for (size_t i = 0; i < run->n_rows; i++) {
        const bench_row *r = &run->rows[i];
        if (!r->int8) continue;
        row_start(f, r);
        cell(f, 11, r->mlp_ok, "%*.0f", r->mlp);
        cell(f, 12, r->fp32_ok, "%*.0f", r->fp32);
        cell(f, 7, r->mlp_ok && r->fp32_ok, "%*.2f", r->mlp / r->fp32);
        cell(f, 14, r->torch.found, "%*.0f", r->torch.samples_per_s);
        if (r->torch.found) fprintf(f, " %2d/%d", r->torch.torch_threads, r->torch.blas_threads);
        else fprintf(f, "%5s", "-");
        cell(f, 7, r->mlp_ok && r->torch.found, "%*.2f", r->mlp / r->torch.samples_per_s);
        cell(f, 12, r->ort.found, "%*.0f", r->ort.samples_per_s);
        if (r->ort.found) fprintf(f, " %4d", r->ort.threads);
        else fprintf(f, " %4s", "-");
        cell(f, 7, r->mlp_ok && r->ort.found, "%*.2f", r->mlp / r->ort.samples_per_s);
        fputc('\n', f);
        if (!r->mlp_ok && r->mlp_error) fprintf(f, "    libmlp failed: %s\n", r->mlp_error);
    }
    fputs("fp32/s = libmlp's float row measured in the same windows; torch-int8 =\n"
          "         torch.ao.quantization.quantize_dynamic (its best quantized engine);\n"
          "         ORT-int8 = the same float net exported to ONNX, dynamically quantized per\n"
          "         output channel (bench/ort_quantize.py: onnxruntime's quantize_dynamic\n"
          "         graph) and run by onnxruntime-node as in the ONNX Runtime table.\n",
          f);
}

void bench_print_table(FILE *f, const bench_run *run)
{
    const char *coretype = getenv("OPENBLAS_CORETYPE"), *l2 = getenv("OPENBLAS_L2_SIZE");
    const char *omp = getenv("OMP_WAIT_POLICY");
    fprintf(f, "libmlp %s benchmark: threads %d, OPENBLAS_CORETYPE=%s OPENBLAS_L2_SIZE=%s "
               "OMP_WAIT_POLICY=%s%s\n",
            mlp_version(), run->threads, coretype ? coretype : "(unset)", l2 ? l2 : "(unset)",
            omp ? omp : "(unset)", run->quick ? ", --quick" : "");
    if (run->peak_gflops > 0)
        fprintf(f, "SGEMM peak (%d^3, %d threads): %.1f GFLOP/s (the best row's; %%peak uses "
                   "each row's own)\n", run->peak_n, run->threads, run->peak_gflops);
    fprintf(f, "FANN: %s; PyTorch: %s\n", run->fann_note ? run->fann_note : "float FANN",
            run->torch_note ? run->torch_note : "-");
    fprintf(f, "\n%-3s %-17s %5s %-5s %11s %7s %6s %11s %6s %10s %7s %11s %4s %6s\n", "", "network",
            "batch", "mode", "libmlp/s", "GFLOP/s", "%peak", "GEMM-bnd/s", "ratio", "FANN/s",
            "ratio", "torch/s", "thr", "ratio");
    for (size_t i = 0; i < run->n_rows; i++) {
        const bench_row *r = &run->rows[i];
        if (r->bf16 || r->int8) continue; /* their own tables, below */
        double gf = bench_gflops(r->w, r->mlp);
        row_start(f, r);
        cell(f, 11, r->mlp_ok, "%*.0f", r->mlp);
        cell(f, 8, r->mlp_ok, "%*.2f", gf);
        cell(f, 7, r->mlp_ok && r->peak_gflops > 0, "%*.1f", 100.0 * gf / r->peak_gflops);
        cell(f, 12, r->bound_ok, "%*.0f", r->bound);
        cell(f, 7, r->mlp_ok && r->bound_ok, "%*.3f", r->mlp / r->bound);
        cell(f, 11, r->fann_ok, "%*.0f", r->fann);
        cell(f, 8, r->mlp_ok && r->fann_ok, "%*.2f", r->mlp / r->fann);
        row_end(f, r, 12);
    }
    fputs("\n"
          "ratio    = libmlp / peer; every row's peers ran in interleaved windows (median).\n"
          "libmlp/s = batch-1 training rows run through mlp_train (stochastic regime:\n"
          "           one epoch over the bench's records in order, per step) with\n"
          "           threads = --threads: large layers split by rows.\n"
          "GFLOP/s  = 6 x parameters x samples/s (training), 2 x (inference).\n"
          "%peak    = GFLOP/s / the SGEMM peak measured in the same row's windows.\n"
          "GEMM-bnd = only the sgemm/sgemv/sger calls of one step, same BLAS and threads;\n"
          "           inference: only the products, as libmlp runs them (packed weights,\n"
          "           its threads): a linear net of the same widths without bias.\n"
          "FANN     = single-threaded; big nets take fewer records per step (FANN works\n"
          "           record by record: its rate per record does not depend on the batch).\n"
          "torch thr= the fastest torch.set_num_threads / OPENBLAS_NUM_THREADS pair tried\n"
          "           (1..max(2,threads) x {threads, 1}).\n",
          f);
    print_bf16_table(f, run);
    print_ort_table(f, run);
    print_int8_table(f, run);
}

void bench_print_memory(FILE *f, const bench_memory_report *m, const bench_workload *w)
{
    char net[64];
    const double mib = 1024.0 * 1024.0;
    fprintf(f, "Memory of training %s (%s, batch %zu), %zu steps:\n", w->name,
            bench_network_string(w, net, sizeof net), w->batch, m->steps);
    fprintf(f, "  computed: parameters %.2f MiB + gradient %.2f MiB + optimizer state %.2f MiB"
               " + workspace %.2f MiB = %.2f MiB\n",
            m->params / mib, m->gradient / mib, m->optimizer_state / mib, m->workspace / mib,
            m->total / mib);
    fprintf(f, "  measured: resident-set growth %.2f MiB, peak growth %.2f MiB%s\n",
            (m->rss_after_kb - m->rss_before_kb) / 1024.0,
            (m->hwm_after_kb - m->rss_before_kb) / 1024.0,
            m->hwm_reset ? "" : " (peak not resettable: an upper bound)");
    fprintf(f, "  (workspace computed as activations + deltas, batch x outputs of every layer;"
               " baseline after data and one sgemm)\n");
}

static const bench_row *find_row(const bench_run *run, const char *name, size_t batch)
{
    return find_row_of(run, name, batch, false);
}

/* One target: the measured value against the goal; n/a when either side is missing. */
static void target(FILE *f, const char *what, bool present, double value, double goal)
{
    if (!present)
        fprintf(f, "  %-40s %10s  n/a\n", what, "-");
    else
        fprintf(f, "  %-40s %10.4g  %s (goal >= %g)\n", what, value,
                value >= goal ? "PASS" : "MISS", goal);
}

void bench_print_targets(FILE *f, const bench_run *run)
{
    const bench_row *w1 = find_row(run, "W1", 256), *w2 = find_row(run, "W2", 32);
    const bench_row *w3 = find_row(run, "W3", 1), *w4 = find_row(run, "W4", 1);
    const bench_row *w5b = find_row(run, "W5", 256), *w51 = find_row(run, "W5", 1);
#define OK(r) ((r) && (r)->mlp_ok)
    fputs("Targets:\n", f);
    target(f, "W1 libmlp / GEMM bound", OK(w1) && w1->bound_ok, w1 ? w1->mlp / w1->bound : 0, 0.92);
    target(f, "W1 libmlp / PyTorch", OK(w1) && w1->torch.found,
           w1 ? w1->mlp / w1->torch.samples_per_s : 0, 1.2);
    target(f, "W2 libmlp / PyTorch", OK(w2) && w2->torch.found,
           w2 ? w2->mlp / w2->torch.samples_per_s : 0, 1.5);
    target(f, "W3 libmlp samples/s", OK(w3), w3 ? w3->mlp : 0, 100000);
    target(f, "W4 libmlp / FANN", OK(w4) && w4->fann_ok, w4 ? w4->mlp / w4->fann : 0, 2.0);
    target(f, "W5 batch 256 libmlp / GEMM bound", OK(w5b) && w5b->bound_ok,
           w5b ? w5b->mlp / w5b->bound : 0, 0.9);
    target(f, "W5 batch 1 libmlp / PyTorch", OK(w51) && w51->torch.found,
           w51 ? w51->mlp / w51->torch.samples_per_s : 0, 2.0);
    target(f, "W5 batch 256 libmlp / ONNX Runtime", OK(w5b) && w5b->ort.found,
           w5b ? w5b->mlp / w5b->ort.samples_per_s : 0, 1.0);
    target(f, "W5 batch 1 libmlp / ONNX Runtime", OK(w51) && w51->ort.found,
           w51 ? w51->mlp / w51->ort.samples_per_s : 0, 2.0);
    if (!run->bf16_note) {
        const bench_row *b1 = find_row_of(run, "W1", 256, true);
        target(f, "W1 bf16 / libmlp fp32", OK(b1) && b1->fp32_ok, b1 ? b1->mlp / b1->fp32 : 0,
               1.8);
        target(f, "W1 bf16 / its bf16 GEMM bound", OK(b1) && b1->bound_ok,
               b1 ? b1->mlp / b1->bound : 0, 0.9);
        const bench_row *bt[3] = {b1, find_row_of(run, "W2", 32, true),
                                  find_row_of(run, "W5", 256, true)};
        const char *names[3] = {"W1 bf16 / PyTorch bf16", "W2 bf16 / PyTorch bf16",
                                "W5 batch 256 bf16 / PyTorch bf16"};
        for (int i = 0; i < 3; i++)
            target(f, names[i], OK(bt[i]) && bt[i]->torch.found,
                   bt[i] ? bt[i]->mlp / bt[i]->torch.samples_per_s : 0, 1.0);
    }
    if (!run->int8_note) {
        const bench_row *q256 = find_int8_row(run, "W5", 256), *q1 = find_int8_row(run, "W5", 1);
        target(f, "W5 batch 256 int8 / libmlp fp32", OK(q256) && q256->fp32_ok,
               q256 ? q256->mlp / q256->fp32 : 0, 2.5);
        target(f, "W5 batch 1 int8 / libmlp fp32", OK(q1) && q1->fp32_ok,
               q1 ? q1->mlp / q1->fp32 : 0, 1.5);
    }
#undef OK
}
