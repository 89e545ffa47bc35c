/* The one-record kernels as a table of variants: the same loops compiled for the baseline
 * ISA ("generic") and for AVX2 + FMA ("avx2"), hand-written AVX-512 versions of the three
 * kernels that stream large layers ("avx512"), and OpenBLAS level-2 calls ("blas"). A
 * workspace picks one hand-loop table for the CPU once (mlp_kernels_select) and the plan in
 * one_record.c picks, per layer, that table or the BLAS one. Every variant the machine can
 * run is exercised by scripts/test through the MLP_KERNELS override. */
#ifndef MLP_KERNELS_H
#define MLP_KERNELS_H

#include "mlp_internal.h"

typedef struct mlp_kernel_table {
    const char *name;
    /* y = W x, W rows x cols row-major. */
    void (*matvec)(const float *w, size_t rows, size_t cols, const float *x, float *y);
    /* out = W^T d. */
    void (*matvec_trans)(const float *w, size_t rows, size_t cols, const float *d, float *out);
    /* g (+)= d z^T. */
    void (*rank1)(float *g, size_t rows, size_t cols, const float *d, const float *z,
                  int accumulate);
    /* Fused plain-SGD backward step of one layer for one record, one pass over W:
     * delta_prev = W^T d (old W; skipped when NULL), then W <- keep W - step d z^T. */
    void (*backprop_update)(float *w, size_t rows, size_t cols, const float *d, const float *z,
                            float step, float keep, float *delta_prev);
    /* A deferred first-layer update fused with the next forward pass, one pass over W:
     * W <- keep W - step d z^T, then y = W x (the updated W). */
    void (*update_matvec)(float *w, size_t rows, size_t cols, const float *d, const float *z,
                          float step, float keep, const float *x, float *y);
    /* A whole plain-SGD step of a tiny net (mlp_tiny_net_fits), or NULL where the variant
     * has none: the general engine serves it. Returns C of the record (0 unless want_loss). */
    double (*tiny_step)(mlp_net *net, mlp_workspace *ws, const float *x, const float *y,
                        float lr, float weight_decay, int want_loss);
} mlp_kernel_table;

extern const mlp_kernel_table mlp_kernels_generic;
extern const mlp_kernel_table mlp_kernels_blas;
#if MLP_KERNELS_X86
extern const mlp_kernel_table mlp_kernels_avx2;
#if MLP_KERNELS_AVX512
extern const mlp_kernel_table mlp_kernels_avx512;
#endif
#endif

/* The fastest hand-loop table this CPU runs, or the one named `forced` (generic, avx2,
 * avx512, blas; NULL: none) when this CPU can run it. */
const mlp_kernel_table *mlp_kernels_select(const char *forced);

/* What the plan may use (engine_control.c): everything, in the library that ships; the
 * test-control build reads MLP_KERNELS and MLP_ENGINE_OFF so CI forces every variant. */
typedef struct mlp_engine_control {
    const char *kernels;                     /* a hand-loop table by name; NULL: the best */
    int no_tiny, no_fuse, no_split, no_blas; /* special cases turned off */
    int bf16_team; /* bf16 workspaces: element-wise passes shared with the OpenMP team */
} mlp_engine_control;
mlp_engine_control mlp_engine_control_read(void);

/* The size thresholds of the one-record plan (one_record.c), all here. */
/* Inference and gradients of one record (propagate.c) call BLAS above this many weights:
 * OpenBLAS's threaded sgemv wins there once a layer leaves the L2 cache (W5 at batch 1). */
#define MLP_SMALL_LAYER ((size_t)1 << 18)
/* Layers with at least this many weights are split by rows across a workspace's team. */
#define MLP_THREAD_MIN_WEIGHTS 131072
/* Tiny nets: every width <= MLP_TINY_WIDTH, at most MLP_TINY_LAYERS layers (the step keeps
 * every layer on the stack), no softmax; the step is MSE only. */
#define MLP_TINY_WIDTH 32
#define MLP_TINY_LAYERS 8
int mlp_tiny_net_fits(const mlp_net *net);

/* Per-variant files (kernels_hand.c, kernels_tiny.c) are compiled once per variant with
 * MLP_KERNEL_SUFFIX set (generic, avx2); MLP_KERNEL_NAME(f) gives f that variant's name:
 * mlp_hand_matvec_avx2 is defined as MLP_KERNEL_NAME(mlp_hand_matvec) in kernels_hand.c
 * (grep for the name without its suffix). */
#define MLP_KERNEL_CAT2(a, b) a##_##b
#define MLP_KERNEL_CAT(a, b) MLP_KERNEL_CAT2(a, b)
#define MLP_KERNEL_NAME(f) MLP_KERNEL_CAT(f, MLP_KERNEL_SUFFIX)

/* The per-variant entry points the AVX-512 table shares with the AVX2 one. */
void mlp_hand_matvec_trans_avx2(const float *w, size_t rows, size_t cols, const float *d,
                                float *out);
void mlp_hand_rank1_avx2(float *g, size_t rows, size_t cols, const float *d, const float *z,
                         int accumulate);
double mlp_tiny_step_generic(mlp_net *net, mlp_workspace *ws, const float *x, const float *y,
                             float lr, float weight_decay, int want_loss);
double mlp_tiny_step_avx2(mlp_net *net, mlp_workspace *ws, const float *x, const float *y,
                          float lr, float weight_decay, int want_loss);

#endif /* MLP_KERNELS_H */
