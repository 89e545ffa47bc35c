/* Packed weights for float inference: each layer's W repacked once into the layout of the
 * AVX-512 kernels (packed_avx512.c) and kept in the workspace, tied to the parameters it
 * was made from (packed_weights.c); the forward pass that runs from it (packed_forward.c).
 * An inference workspace gets it from mlp_workspace_set_threads (an explicit request: the
 * buffers are about the size of the weights). Compiled where the AVX-512 one-record kernels
 * are (MLP_KERNELS_AVX512); elsewhere, and on CPUs without AVX-512, a workspace has no
 * packed state and nothing here runs. */
#ifndef MLP_PACKED_H
#define MLP_PACKED_H

#include "mlp_internal.h"

/* Outputs per panel (two zmm registers), inputs per cache block, rows per kernel call. */
#define MLP_PACK_NR 32
#define MLP_PACK_KC 1024
#define MLP_PACK_MC 96

/* Packed weights kept by a model handle (mlp_model_predict), made once and then only read,
 * so that the scratches of every thread share them: stamp says what they were packed from. */
typedef struct mlp_packed_set {
    size_t n_layers;
    float **w;            /* w[k]: W_k in panels */
    mlp_net_stamp stamp;
} mlp_packed_set;

typedef struct mlp_packed {
    size_t n_layers;
    const size_t *sizes;  /* the workspace shape's widths */
    float **w;            /* w[k]: W_k in panels (mlp_pack_weights); NULL: borrows only */
    const mlp_packed_set *shared; /* a model's, used while current; NULL: none */
    float *scratch;       /* per thread: MLP_PACK_MC x MLP_PACK_KC floats */
    int scratch_threads;
    /* The parameters w was packed from (mlp_net_stamp); net NULL: none yet. */
    mlp_net_stamp stamp;
    /* The parameters of the last pass that did not run packed: the weights are packed at
     * the second pass that sees the same ones, so a net that changes between passes (a
     * forward pass after every training step) is never packed for nothing. */
    mlp_net_stamp seen;
    int last_packed;      /* the last forward pass ran packed (tests read it) */
} mlp_packed;

/* Floats of W (n_out x n_in) packed: whole panels. */
size_t mlp_packed_floats(size_t n_out, size_t n_in);
/* dst (mlp_packed_floats) = W in panels: dst[(p n_in + k) NR + j] = W[NR p + j][k], 0 past
 * the last output. */
void mlp_pack_weights(const float *w, size_t n_out, size_t n_in, float *dst);

/* Makes *state (NULL: none yet) hold packed buffers for shape and scratch for `threads`
 * threads; *grew receives the bytes allocated. Where this build or CPU has no kernels,
 * *state stays NULL. NO_MEMORY leaves *state as it was. */
mlp_status mlp_packed_reserve(mlp_packed **state, const mlp_net *shape, int threads,
                              size_t *grew);
void mlp_packed_free(mlp_packed *p);
/* The packed weights of net's current parameters: the shared set's when it is current,
 * else the workspace's own, packed when this is the second pass in a row to see these
 * parameters. NULL: run this pass unpacked. */
float *const *mlp_packed_ready(mlp_packed *p, const mlp_net *net);

/* A set packed from net's current parameters; NULL without the kernels or the memory. */
mlp_packed_set *mlp_packed_set_create(const mlp_net *net);
void mlp_packed_set_free(mlp_packed_set *set);
/* Points *state at set (NULL: none), first making *state, without weights of its own,
 * when there is none; with batch_scratch, also the scratch of one thread's batch passes
 * (*grew: the bytes allocated). The caller keeps set alive while *state may use it.
 * NO_MEMORY: *state unchanged (its passes then do without set). */
mlp_status mlp_packed_share(mlp_packed **state, const mlp_net *shape, const mlp_packed_set *set,
                            int batch_scratch, size_t *grew);

/* The forward pass from the packed weights (ws->packed ready for net): ws->last_output set.
 * Returns 0, doing nothing, when this pass should run unpacked (dispatch in the function). */
int mlp_packed_forward(const mlp_net *net, mlp_workspace *ws, const float *inputs, size_t batch);

#if MLP_KERNELS_AVX512
/* Rows r0 .. r1 (at most MLP_PACK_MC), panels p0 .. p1 of out (batch x n_out) = in W^T. */
void mlp_packed_gemm_avx512(const float *packed, size_t n_out, size_t n_in, const float *in,
                            size_t r0, size_t r1, size_t p0, size_t p1, float *out,
                            float *scratch);
/* Panels p0 .. p1 of y = W[:, k0 .. k1] x[k0 .. k1], one record (k0 == k1: zeros). */
void mlp_packed_matvec_avx512(const float *packed, size_t n_out, size_t n_in, const float *x,
                              size_t k0, size_t k1, size_t p0, size_t p1, float *y);
#endif

#endif /* MLP_PACKED_H */
