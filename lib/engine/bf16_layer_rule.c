/* Which layers of a bf16 workspace run in bf16: the size rule, and the per-layer override.
 *
 * A bf16 product costs a fixed price per call beyond its arithmetic (oneDNN wakes its
 * OpenMP threads, rounds its operands): about 30 us per product on the 2-core AVX512_BF16
 * machine of the benchmark, from W2 (784-128-10, batch 32: 316k samples/s in float, 125k in
 * bf16, a quiet full mlp-bench run, 5 products per step). Its arithmetic is about twice as
 * fast as OpenBLAS's float (single-threaded CPU time per training step of one-layer nets,
 * 2026-12-07: 0.5-0.7 of float's from 40k multiply-adds per product up), which saves about
 * 7 ps per multiply-add on 2 threads: paid back from about 4M multiply-adds per product
 * (batch x n_in x n_out) for a layer taken alone. But a float layer between bf16 ones costs
 * more than its own product (OpenBLAS's threads and oneDNN's OpenMP threads hand the cores
 * over, and the next bf16 layer rounds its inputs itself): on the idle machine, W1 in bf16
 * with its 1024-10 output layer (2.6M) in float trained at 26.8k-30.6k samples/s against
 * 41.4k-42.5k with every layer in bf16 (mlp-bench --only W1, runs alternated). So the bar is
 * 1M (2^20): W1's and W5's layers all run in bf16, W2's 784-128 layer (3.2M at batch 32) in
 * bf16 and its 128-10 layer (41k) in float, which measured W2 at 372k samples/s in bf16
 * against 324k in float in the same windows (1.15x; the quiet run had 125k against
 * 316k with every layer in bf16).
 * On one thread (OpenMP limited to 1: oneDNN wakes nobody) the fixed price is gone: the
 * same probe put bf16 ahead from about 32k multiply-adds (1.09x float's CPU time at 20k,
 * 0.96x at 33k, 0.71x at 41k), and a 1-thread mlp-bench run here gave W2 in bf16 (every
 * layer) 2.3x float; there the rule keeps only layers below 32k in float. */
#include "mlp_internal.h"

#define BF16_MIN_MULTIPLY_ADDS ((size_t)1 << 20)
#define BF16_MIN_MULTIPLY_ADDS_ONE_THREAD ((size_t)32 << 10)

/* OpenMP's thread count, which oneDNN's products use. Weak: where no OpenMP runtime is
 * loaded (a oneDNN on another threading runtime) the several-thread rule applies. */
#if defined(__GNUC__) && defined(__ELF__)
extern int omp_get_max_threads(void) __attribute__((weak));
static int bf16_threads(void) { return omp_get_max_threads ? omp_get_max_threads() : 0; }
#else
static int bf16_threads(void) { return 0; }
#endif

size_t mlp_bf16_min_multiply_adds(void)
{
    return bf16_threads() == 1 ? BF16_MIN_MULTIPLY_ADDS_ONE_THREAD : BF16_MIN_MULTIPLY_ADDS;
}

int mlp_bf16_layer_pays(size_t batch, size_t n_in, size_t n_out)
{
    size_t a, b;
    return !mlp_mul_size(batch, n_in, &a) || !mlp_mul_size(a, n_out, &b) ||
           b >= mlp_bf16_min_multiply_adds();
}

mlp_precision mlp_layer_precision(const mlp_net *net, size_t layer, size_t batch,
                                  mlp_precision precision)
{
    if (!net || layer >= net->n_layers || (unsigned)precision >= MLP_PRECISION_COUNT)
        return MLP_PRECISION_COUNT;
    if (precision != MLP_PRECISION_BF16) return precision;
    if (batch < 2) return MLP_PRECISION_FP32; /* one record: always float */
    return mlp_bf16_layer_pays(batch, net->sizes[layer], net->sizes[layer + 1])
               ? MLP_PRECISION_BF16 : MLP_PRECISION_FP32;
}

mlp_precision mlp_workspace_layer_precision(const mlp_workspace *ws, size_t layer)
{
    if (!ws || layer >= ws->shape->n_layers) return MLP_PRECISION_COUNT;
    if (ws->bf16)
        return mlp_bf16_layer_on(ws->bf16, layer) ? MLP_PRECISION_BF16 : MLP_PRECISION_FP32;
    return mlp_workspace_precision(ws);
}

mlp_status mlp_workspace_set_layer_precision(mlp_workspace *ws, size_t layer,
                                             mlp_precision precision)
{
    if (!ws) return MLP_ERR_NULL_ARG;
    if (layer >= ws->shape->n_layers) return MLP_ERR_INVALID_ARG;
    if (!ws->bf16 || (precision != MLP_PRECISION_BF16 && precision != MLP_PRECISION_FP32))
        return MLP_ERR_INVALID_ARG;
    mlp_bf16_set_layer(ws->bf16, layer, precision == MLP_PRECISION_BF16);
    return MLP_OK;
}
