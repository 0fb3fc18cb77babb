/* nnsimd: neural-network training kernels with a scalar reference and
 * run-time selected SIMD variants (AVX2+FMA, AVX-512, NEON).
 *
 * Conventions (see DESIGN.md, "The kernel contract"):
 *   - float32, contiguous, row-major; sizes are size_t.
 *   - outputs first, then inputs, then sizes.
 *   - forward kernels overwrite their outputs; backward kernels ACCUMULATE
 *     (+=) into every gradient they write. Callers zero gradient buffers.
 *   - kernels never allocate; any length is legal (0 included); pointers
 *     need no alignment beyond that of float.
 *   - every public entry point checks its arguments and returns nns_status.
 */
#ifndef NNSIMD_H
#define NNSIMD_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define NNSIMD_VERSION_MAJOR 0
#define NNSIMD_VERSION_MINOR 1
#define NNSIMD_VERSION_PATCH 0

/* ------------------------------------------------------------------ */
/* Status codes                                                        */
/* ------------------------------------------------------------------ */

typedef enum nns_status {
    NNS_OK = 0,
    NNS_ERR_NULL = 1,            /* a required pointer is NULL (with a size > 0) */
    NNS_ERR_SIZE = 2,            /* a size product overflows size_t */
    NNS_ERR_ARG = 3,             /* a hyper-parameter out of its legal range */
    NNS_ERR_ISA_UNAVAILABLE = 4, /* NNSIMD_ISA / nns_set_isa asked for an ISA the CPU lacks */
    NNS_ERR_ISA_UNKNOWN = 5      /* NNSIMD_ISA names no ISA */
} nns_status;

/* A constant English description of a status, never NULL. */
const char *nns_status_str(nns_status s);

/* ------------------------------------------------------------------ */
/* Instruction sets and dispatch                                       */
/* ------------------------------------------------------------------ */

/* Ordered: a higher x86 ISA falls back to the next lower one; NEON falls
 * back to scalar. */
typedef enum nns_isa {
    NNS_ISA_SCALAR = 0,
    NNS_ISA_AVX2 = 1,   /* AVX2 + FMA, YMM state enabled by the OS */
    NNS_ISA_AVX512 = 2, /* AVX-512 F+BW+DQ+VL, ZMM and opmask state enabled */
    NNS_ISA_NEON = 3,   /* aarch64 Advanced SIMD */
    NNS_ISA_COUNT = 4
} nns_isa;

/* "scalar", "avx2", "avx512", "neon"; "?" for an invalid value. */
const char *nns_isa_name(nns_isa isa);
/* Parses an ISA name; NNS_ERR_ISA_UNKNOWN if it names none. */
nns_status nns_isa_parse(const char *name, nns_isa *isa);
/* The ISA a variant of `isa` falls back to when it has no native kernel;
 * returns `isa` itself for scalar. */
nns_isa nns_isa_fallback(nns_isa isa);
/* 1 if this CPU and its OS can run `isa`, else 0. */
int nns_isa_supported(nns_isa isa);
/* The best ISA this CPU supports. */
nns_isa nns_isa_best(void);

/* Why the active ISA is what it is. */
typedef enum nns_isa_reason {
    NNS_ISA_DETECTED = 0,      /* the best ISA the CPU supports */
    NNS_ISA_CAPPED_ENV = 1,    /* capped by the NNSIMD_ISA environment variable */
    NNS_ISA_CAPPED_CALL = 2    /* capped by nns_set_isa (the CLI's --isa) */
} nns_isa_reason;

/* The active ISA (what the public kernels call) and why. Returns the
 * status of the selection: an error if NNSIMD_ISA names an unknown or
 * unsupported ISA, in which case every kernel entry point returns that
 * error too. `isa` and `reason` may be NULL. */
nns_status nns_isa_active(nns_isa *isa, nns_isa_reason *reason);
/* Caps the ISA for every later call (overrides NNSIMD_ISA). Fails, and
 * changes nothing, if the CPU lacks `isa`. Thread-safe. */
nns_status nns_set_isa(nns_isa isa);

/* ------------------------------------------------------------------ */
/* Kernel function types and the kernel table                          */
/* ------------------------------------------------------------------ */

/* out[i] = f(in[i]) for i < n. out may equal in. */
typedef void nns_unary_fwd_fn(float *out, const float *in, size_t n);
/* din[i] += dout[i] * f'(in[i]) for i < n. din may equal dout. */
typedef void nns_unary_bwd_fn(float *din, const float *dout, const float *in, size_t n);

/* The activation a linear layer applies to its output, inside the call. */
typedef enum nns_act {
    NNS_ACT_NONE = 0,
    NNS_ACT_RELU = 1,
    NNS_ACT_GELU = 2,      /* exact (erf) form */
    NNS_ACT_GELU_TANH = 3  /* approximate='tanh' */
} nns_act;

/* Embedding lookup and its scatter-add backward. */
typedef void nns_embedding_fwd_fn(float *out, const int32_t *ids, const float *weight, size_t n,
                                  size_t c);
typedef void nns_embedding_bwd_fn(float *dweight, const float *dout, const int32_t *ids, size_t n,
                                  size_t c);
/* Linear layer; see nns_linear_fwd. */
typedef void nns_linear_fwd_fn(float *out, float *pre, const float *in, const float *weight,
                               const float *bias, size_t n, size_t c, size_t oc, nns_act act,
                               void *workspace);
typedef void nns_linear_bwd_fn(float *din, float *dweight, float *dbias, const float *dout,
                               const float *pre, const float *in, const float *weight, size_t n,
                               size_t c, size_t oc, nns_act act, void *workspace);
/* Workspace bytes of a linear call for the given shape (per ISA: tiles differ). */
typedef size_t nns_linear_ws_fn(size_t n, size_t c, size_t oc, nns_act act);
/* Layer normalization over the last dimension. */
typedef void nns_layernorm_fwd_fn(float *out, float *mean, float *rstd, const float *in,
                                  const float *weight, const float *bias, size_t n, size_t c,
                                  float eps);
typedef void nns_layernorm_bwd_fn(float *din, float *dweight, float *dbias, const float *dout,
                                  const float *in, const float *weight, const float *mean,
                                  const float *rstd, size_t n, size_t c);
/* Multi-head self-attention core; see nns_attention_fwd. */
typedef void nns_attention_fwd_fn(float *out, float *lse, const float *q, const float *k,
                                  const float *v, size_t ld, const int32_t *lengths, size_t b,
                                  size_t t, size_t h, size_t d, int causal, void *workspace);
typedef void nns_attention_bwd_fn(float *dq, float *dk, float *dv, const float *dout,
                                  const float *q, const float *k, const float *v, const float *out,
                                  const float *lse, size_t ld, const int32_t *lengths, size_t b,
                                  size_t t, size_t h, size_t d, int causal, void *workspace);
typedef size_t nns_attention_ws_fn(size_t t, size_t d);
/* Losses: the loss through an output pointer, the gradient accumulated. */
typedef void nns_cross_entropy_fn(float *loss, float *dlogits, const float *logits,
                                  const int32_t *targets, size_t n, size_t v, int32_t ignore_index);
typedef void nns_mse_fn(float *loss, float *dpred, const float *pred, const float *target,
                        size_t n);
/* Elementwise helpers. */
typedef void nns_add_fn(float *out, const float *a, const float *b, size_t n);
typedef void nns_mean_pool_fwd_fn(float *out, const float *in, const int32_t *lengths, size_t b,
                                  size_t t, size_t c);
typedef void nns_mean_pool_bwd_fn(float *din, const float *dout, const int32_t *lengths, size_t b,
                                  size_t t, size_t c);
typedef void nns_sum_squares_fn(float *out, const float *x, size_t n);
typedef void nns_scale_fn(float *out, const float *in, float s, size_t n);
typedef void nns_dropout_fn(float *out, const float *in, size_t n, float p, uint64_t seed,
                            size_t offset);

/* Optimizer hyper-parameters, as torch.optim names them. */
typedef struct nns_sgd_config {
    float lr, momentum, dampening, weight_decay;
    int nesterov;
} nns_sgd_config;
typedef struct nns_adam_config {
    float lr, beta1, beta2, eps, weight_decay;
    int decoupled; /* 0: Adam (L2 added to the gradient); 1: AdamW (decoupled decay) */
} nns_adam_config;
typedef void nns_sgd_fn(float *param, float *momentum_buf, const float *grad, size_t n,
                        const nns_sgd_config *cfg, uint64_t step);
typedef void nns_adam_fn(float *param, float *m, float *v, const float *grad, size_t n,
                         const nns_adam_config *cfg, uint64_t step);

/* One function pointer per kernel of nnsimd_kernels.def, then one per
 * workspace-size function (provided by the ISA that provides its kernel). */
typedef struct nns_kernel_table {
#define NNS_KERNEL(name, type) type *name;
#define NNS_WORKSPACE(kernel, type) type *kernel##_workspace_size;
#include "nnsimd_kernels.def"
#undef NNS_WORKSPACE
#undef NNS_KERNEL
} nns_kernel_table;

/* Kernel indices, in list order. */
enum {
#define NNS_KERNEL(name, type) NNS_K_##name,
#include "nnsimd_kernels.def"
#undef NNS_KERNEL
    NNS_KERNEL_COUNT
};

/* The name of kernel `k` ("gelu_fwd"), NULL if out of range. */
const char *nns_kernel_name(size_t k);
/* 1 if `table` has a native entry for kernel `k`. */
int nns_kernel_present(const nns_kernel_table *table, size_t k);
/* The raw table of one ISA: only that ISA's native variants, others
 * NULL; NULL if the library has no variants for `isa` on this
 * architecture. It does not check that the CPU supports `isa`. */
const nns_kernel_table *nns_kernels_for(nns_isa isa);
/* The ISA whose variant of kernel `k` runs when `isa` is active (`isa`
 * itself if native, else the first fallback that has one). */
nns_isa nns_kernel_provider(nns_isa isa, size_t k);

/* ------------------------------------------------------------------ */
/* CPU description                                                     */
/* ------------------------------------------------------------------ */

typedef struct nns_cpu_info {
    char vendor[32];       /* "AMD", "Intel", "ARM", ... */
    char brand[64];        /* marketing name, trimmed */
    int family, model, stepping; /* x86: displayed (extended) values; -1 unknown */
    char cpu_id[96];       /* stable, filesystem-safe: "amd-epyc-f19-m01" */
    /* Feature bits from CPUID/HWCAP and whether the OS enables their state. */
    int has_avx2, has_fma, has_avx512f, has_avx512bw, has_avx512dq, has_avx512vl;
    int os_ymm, os_zmm;    /* XCR0 bits 1-2, bits 5-7 */
    int has_neon;
    /* Topology from hwloc; 0 where unknown. */
    int cores, threads;
    size_t l1d_bytes, l2_bytes, l3_bytes;
    /* Running under a hypervisor (x86: CPUID.1:ECX bit 31). */
    int hypervisor;
    /* The L3 this machine's cores can count on: l3_bytes, or under a
     * hypervisor at most 32 MiB (a guest sees its host's whole L3, shared
     * with cores it cannot see); 32 MiB if the L3 is unknown. */
    size_t l3_usable_bytes;
} nns_cpu_info;

/* Detected once, thread-safely; never NULL. */
const nns_cpu_info *nns_cpu(void);

/* ------------------------------------------------------------------ */
/* Activations                                                         */
/* ------------------------------------------------------------------ */

/* ReLU: out = max(x, 0), NaN propagates. Backward passes dout where
 * x > 0 or x is NaN (PyTorch's threshold_backward), else 0. */
nns_status nns_relu_fwd(float *out /* (n) */, const float *in /* (n) */, size_t n);
nns_status nns_relu_bwd(float *din /* (n) */, const float *dout /* (n) */,
                        const float *in /* (n) */, size_t n);

/* GELU, exact: out = x * Phi(x) = x/2 * erfc(-x/sqrt(2)) (torch's default);
 * computed with erfc, so it stays accurate for large negative x. */
nns_status nns_gelu_fwd(float *out, const float *in, size_t n);
nns_status nns_gelu_bwd(float *din, const float *dout, const float *in, size_t n);

/* GELU, tanh approximation (torch's approximate='tanh'):
 * out = x/2 * (1 + tanh(u)), u = sqrt(2/pi) * (x + 0.044715 x^3),
 * evaluated as x * sigmoid(2u), which has no cancellation for x < 0. */
nns_status nns_gelu_tanh_fwd(float *out, const float *in, size_t n);
nns_status nns_gelu_tanh_bwd(float *din, const float *dout, const float *in, size_t n);

/* ------------------------------------------------------------------ */
/* Embedding                                                           */
/* ------------------------------------------------------------------ */

/* out[i,:] = weight[ids[i],:] for i < n; weight is (V, c). Ids must lie in
 * [0, V): that is the caller's contract (the models check their input). */
nns_status nns_embedding_fwd(float *out /* (n,c) */, const int32_t *ids /* (n) */,
                             const float *weight /* (V,c) */, size_t n, size_t c);
/* dweight[ids[i],:] += dout[i,:] for i < n, in order of i. */
nns_status nns_embedding_bwd(float *dweight /* (V,c) */, const float *dout /* (n,c) */,
                             const int32_t *ids /* (n) */, size_t n, size_t c);

/* ------------------------------------------------------------------ */
/* Linear (fully connected) layer                                      */
/* ------------------------------------------------------------------ */

/* out = act(in . weight^T + bias): in (n,c), weight (oc,c) as torch's
 * nn.Linear, bias (oc) or NULL. When act is not NONE and `pre` is not NULL,
 * the pre-activation in . weight^T + bias is saved in pre (n,oc) for the
 * backward. `workspace` holds nns_linear_fwd_workspace_size(...) bytes
 * (NULL if that is 0). */
nns_status nns_linear_fwd(float *out /* (n,oc) */, float *pre /* (n,oc) or NULL */,
                          const float *in /* (n,c) */, const float *weight /* (oc,c) */,
                          const float *bias /* (oc) or NULL */, size_t n, size_t c, size_t oc,
                          nns_act act, void *workspace);
/* With g = dout * act'(pre) (g = dout when act is NONE; pre is then unused):
 * din += g . weight, dweight += g^T . in, dbias += sum over rows of g.
 * din, dweight and dbias may each be NULL (skipped), as for a first layer.
 * dout is not modified. */
nns_status nns_linear_bwd(float *din /* (n,c) or NULL */, float *dweight /* (oc,c) or NULL */,
                          float *dbias /* (oc) or NULL */, const float *dout /* (n,oc) */,
                          const float *pre /* (n,oc), or NULL when act is NONE */,
                          const float *in /* (n,c) */, const float *weight /* (oc,c) */,
                          size_t n, size_t c, size_t oc, nns_act act, void *workspace);
/* Workspace bytes for the active ISA's variant; SIZE_MAX on overflow. */
size_t nns_linear_fwd_workspace_size(size_t n, size_t c, size_t oc, nns_act act);
size_t nns_linear_bwd_workspace_size(size_t n, size_t c, size_t oc, nns_act act);

/* ------------------------------------------------------------------ */
/* Layer normalization                                                 */
/* ------------------------------------------------------------------ */

/* Over the last dimension, as torch.nn.LayerNorm(c, eps):
 * out = (in - mean) * rstd * weight + bias, rstd = 1/sqrt(var + eps) with
 * the biased variance. mean and rstd (n) are saved for the backward. */
nns_status nns_layernorm_fwd(float *out /* (n,c) */, float *mean /* (n) */, float *rstd /* (n) */,
                             const float *in /* (n,c) */, const float *weight /* (c) */,
                             const float *bias /* (c) */, size_t n, size_t c, float eps);
/* din += dL/din, dweight += dL/dweight, dbias += dL/dbias. */
nns_status nns_layernorm_bwd(float *din /* (n,c) */, float *dweight /* (c) */, float *dbias /* (c) */,
                             const float *dout /* (n,c) */, const float *in /* (n,c) */,
                             const float *weight /* (c) */, const float *mean /* (n) */,
                             const float *rstd /* (n) */, size_t n, size_t c);

/* ------------------------------------------------------------------ */
/* Multi-head self-attention core                                      */
/* ------------------------------------------------------------------ */

/* For each sequence s < b, head j < h and query i < t:
 *   out[s,i,j,:] = sum_k p_ik v[s,k,j,:],  p_i = softmax_k(q_i . k_k / sqrt(d))
 * over the keys k < lengths[s] (key padding; all t if lengths is NULL) and,
 * if causal, k <= i. q, k, v and out are (b,t,h,d) inside rows of `ld`
 * floats: ld = h*d for separate tensors, 3*h*d for one packed (b,t,3c)
 * tensor with q, k, v at offsets 0, c, 2c (pass q = qkv, k = qkv + c,
 * v = qkv + 2c). out is (b,t,h*d), dense. lse (b,h,t) gets the
 * log-sum-exp of each row's scaled scores, for the backward.
 * Query rows i >= lengths[s] (padding) get out = 0 and lse = 0; a sequence
 * of length 0 is all padding: no NaN anywhere. */
nns_status nns_attention_fwd(float *out /* (b,t,h*d) */, float *lse /* (b,h,t) */,
                             const float *q, const float *k, const float *v, size_t ld,
                             const int32_t *lengths /* (b) or NULL */, size_t b, size_t t,
                             size_t h, size_t d, int causal, void *workspace);
/* dq, dk, dv += the gradients (laid out as q, k, v: rows of `ld`), from
 * dout (b,t,h*d) and the forward's out and lse. Padding rows get none. */
nns_status nns_attention_bwd(float *dq, float *dk, float *dv, const float *dout,
                             const float *q, const float *k, const float *v, const float *out,
                             const float *lse, size_t ld, const int32_t *lengths, size_t b,
                             size_t t, size_t h, size_t d, int causal, void *workspace);
/* Workspace bytes of the active ISA's variants; SIZE_MAX on overflow. */
size_t nns_attention_fwd_workspace_size(size_t t, size_t d);
size_t nns_attention_bwd_workspace_size(size_t t, size_t d);

/* ------------------------------------------------------------------ */
/* Losses                                                              */
/* ------------------------------------------------------------------ */

/* Softmax cross-entropy over classes, fused with its gradient:
 * *loss = mean over rows i with targets[i] != ignore_index of
 * logsumexp(logits[i,:]) - logits[i,targets[i]]; and, if dlogits is not
 * NULL, dlogits[i,:] += (softmax(logits[i,:]) - onehot(targets[i])) / count
 * for those rows. All rows ignored: loss 0, no gradient. Targets outside
 * [0,v) other than ignore_index are the caller's contract. */
nns_status nns_cross_entropy_fwd_bwd(float *loss, float *dlogits /* (n,v) or NULL */,
                                     const float *logits /* (n,v) */,
                                     const int32_t *targets /* (n) */, size_t n, size_t v,
                                     int32_t ignore_index);
/* *loss = mean((pred - target)^2); dpred += 2 (pred - target) / n if not NULL. */
nns_status nns_mse_fwd_bwd(float *loss, float *dpred /* (n) or NULL */, const float *pred /* (n) */,
                           const float *target /* (n) */, size_t n);

/* ------------------------------------------------------------------ */
/* Elementwise helpers                                                 */
/* ------------------------------------------------------------------ */

/* out = a + b (residual connections; out may alias a or b). */
nns_status nns_add(float *out, const float *a, const float *b, size_t n);
/* out[s,:] = mean of in[s,i,:] over i < lengths[s] (all t if lengths is
 * NULL); a length of 0 gives zeros. */
nns_status nns_mean_pool_fwd(float *out /* (b,c) */, const float *in /* (b,t,c) */,
                             const int32_t *lengths /* (b) or NULL */, size_t b, size_t t,
                             size_t c);
/* din[s,i,:] += dout[s,:] / lengths[s] for i < lengths[s]. */
nns_status nns_mean_pool_bwd(float *din /* (b,t,c) */, const float *dout /* (b,c) */,
                             const int32_t *lengths /* (b) or NULL */, size_t b, size_t t,
                             size_t c);
/* *out = sum of x[i]^2 (for the global gradient norm). */
nns_status nns_sum_squares(float *out, const float *x, size_t n);
/* out = s * in (out may equal in: gradient clipping). */
nns_status nns_scale(float *out, const float *in, float s, size_t n);
/* Inverted dropout with a counter-based mask: out[i] = in[i] * m_j, where
 * j = offset + i is the element's index in the whole tensor and
 *   h_j = fmix32(fmix32(j ^ k0) ^ k1),  k0, k1 the low, high words of seed,
 *   m_j = 1 / (1 - p) if (h_j >> 8) >= round(p 2^24), else 0
 * (fmix32: MurmurHash3's 32-bit finalizer). The mask depends only on
 * (seed, j), never on the ISA, the pointers or how a tensor is split into
 * calls, so threads may each take a slice at its own offset; the backward
 * is the same call on the gradient with the same seed and offsets. A NaN
 * or infinity stays non-finite where dropped (times 0), as in PyTorch.
 * out may equal in. Rejected: p outside [0, 1] or NaN (NNS_ERR_ARG),
 * offset + n beyond 2^32 (NNS_ERR_SIZE). */
nns_status nns_dropout(float *out, const float *in, size_t n, float p, uint64_t seed,
                       size_t offset);

/* ------------------------------------------------------------------ */
/* Optimizers: one in-place step over one flat buffer                  */
/* ------------------------------------------------------------------ */

/* torch.optim.SGD's step number `step` (1 for the first): with
 * g = grad + weight_decay * param; if momentum != 0: buf = g on step 1, else
 * buf = momentum * buf + (1 - dampening) * g, and g = g + momentum * buf
 * (nesterov) or g = buf; then param -= lr * g. momentum_buf may be NULL
 * when momentum is 0. Rejected (NNS_ERR_ARG) as torch rejects them:
 * lr < 0, momentum < 0, weight_decay < 0, nesterov without momentum or
 * with dampening; and step 0. */
nns_status nns_sgd_step(float *param, float *momentum_buf, const float *grad, size_t n,
                        const nns_sgd_config *cfg, uint64_t step);
/* torch.optim.Adam (decoupled = 0) or AdamW (decoupled = 1), step `step`:
 * Adam adds weight_decay * param to the gradient; AdamW multiplies param
 * by 1 - lr * weight_decay; then m = beta1 m + (1 - beta1) g,
 * v = beta2 v + (1 - beta2) g^2, and
 * param -= lr / (1 - beta1^step) * m / (sqrt(v) / sqrt(1 - beta2^step) + eps).
 * Rejected (NNS_ERR_ARG): lr < 0, eps < 0, a beta outside [0, 1),
 * weight_decay < 0, step 0. */
nns_status nns_adam_step(float *param, float *m, float *v, const float *grad, size_t n,
                         const nns_adam_config *cfg, uint64_t step);

#ifdef __cplusplus
}
#endif

#endif /* NNSIMD_H */
