"""PyTorch equivalents of the memory-bound kernels, on nnsimd-bench's shapes
(bench/bench_embedding.c, bench_elementwise.c, bench_loss.c's MSE,
bench_optim.c): embedding lookup and scatter-add backward, residual add,
scale, sum of squares, masked mean pooling forward and backward, MSE loss
with its gradient, SGD and AdamW steps. Where PyTorch offers several ways to
do the same thing, each is listed under the same name and run.py reports
the fastest (PyTorch at its best); `out=` and in-place forms are used where
they exist, so no call pays for allocating its result.

Semantics match ours: backward kernels accumulate into an existing
gradient (index_add_, addcmul_, autograd's in-place AccumulateGrad);
the optimizers step a flat parameter whose .grad is set, state kept from
call to call as ours is."""
import numpy as np
import torch
import torch.nn.functional as F

# The shapes of the bench/ specs.
EMB_SHAPES = [(8192, 128, 20000), (256, 128, 256)]  # N, C, V
N_SHAPES = [16384, 16777216]
POOL_SHAPES = [(32, 256, 128)]  # B, T, C


def uniform(n, lo, hi, seed):
    g = torch.Generator().manual_seed(seed)
    return torch.empty(n, dtype=torch.float32).uniform_(lo, hi, generator=g)


def splitmix_uniform(n, lo, hi, seed):
    """bench/bench_main.c's nnsb_fill_uniform, in float32, bit for bit."""
    mask = (1 << 64) - 1
    s = seed
    scale = np.float32((np.float32(hi) - np.float32(lo)) * np.float32(2.0 ** -24))
    out = np.empty(n, dtype=np.float32)
    for i in range(n):
        s = (s + 0x9E3779B97F4A7C15) & mask
        z = s
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & mask
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
        z ^= z >> 31
        out[i] = np.float32(lo) + scale * np.float32(z >> 40)
    return out


def pool_lengths(b, t):
    """bench_elementwise.c's ragged lengths: uniform in [1, t], seed 31."""
    u = splitmix_uniform(b, 1.0, float(t) + 1.0, 31)
    return [min(max(int(x), 1), t) for x in u]


def emb_ids(n, v):
    if n == v:
        return torch.arange(n, dtype=torch.int64)
    u = splitmix_uniform(n, 0.0, float(v), 13)
    return torch.tensor([min(int(x), v - 1) for x in u], dtype=torch.int64)


def shape_n(n):
    return f"N{n}"


# ---- embedding ----

def embedding_benchmarks():
    out = []
    for n, c, v in EMB_SHAPES:
        shape = f"N{n}_C{c}_V{v}"

        def fwd_functional(n=n, c=c, v=v):
            w, ids = uniform(v * c, -1, 1, 11).view(v, c), emb_ids(n, v)
            return lambda: F.embedding(ids, w)

        def fwd_index_select(n=n, c=c, v=v):
            w, ids = uniform(v * c, -1, 1, 11).view(v, c), emb_ids(n, v)
            y = torch.empty(n, c)
            return lambda: torch.index_select(w, 0, ids, out=y)

        def bwd_index_add(n=n, c=c, v=v):
            dw, ids = uniform(v * c, -1, 1, 11).view(v, c), emb_ids(n, v)
            g = uniform(n * c, -1, 1, 12).view(n, c)
            return lambda: dw.index_add_(0, ids, g)

        def bwd_autograd(n=n, c=c, v=v):
            # What autograd runs for F.embedding's backward (a dense
            # gradient of the whole table), then AccumulateGrad's add.
            dw, ids = uniform(v * c, -1, 1, 11).view(v, c), emb_ids(n, v)
            g = uniform(n * c, -1, 1, 12).view(n, c)
            op = torch.ops.aten.embedding_dense_backward
            return lambda: dw.add_(op(g, ids, v, -1, False))

        out += [(f"embedding_fwd/pytorch/{shape}", fwd_functional, "F.embedding(ids, weight)"),
                (f"embedding_fwd/pytorch/{shape}", fwd_index_select,
                 "torch.index_select(weight, 0, ids, out=)"),
                (f"embedding_bwd/pytorch/{shape}", bwd_index_add, "dweight.index_add_(0, ids, dout)"),
                (f"embedding_bwd/pytorch/{shape}", bwd_autograd,
                 "dweight.add_(aten.embedding_dense_backward(...)) (autograd's path)")]
    return out


# ---- add, scale, sum of squares ----

def elementwise_benchmarks():
    out = []
    for n in N_SHAPES:
        def add(n=n):
            a, b, y = uniform(n, -1, 1, 22), uniform(n, -1, 1, 23), uniform(n, -1, 1, 21)
            return lambda: torch.add(a, b, out=y)

        def scale(n=n):
            x, y = uniform(n, -1, 1, 22), uniform(n, -1, 1, 21)
            return lambda: torch.mul(x, 0.7, out=y)

        def ss_dot(n=n):
            x = uniform(n, -1, 1, 22)
            return lambda: torch.dot(x, x)

        def ss_norm(n=n):
            x = uniform(n, -1, 1, 22)
            return lambda: torch.linalg.vector_norm(x).square_()

        def ss_sum(n=n):
            x = uniform(n, -1, 1, 22)
            return lambda: torch.sum(x * x)

        s = shape_n(n)
        out += [(f"add/pytorch/{s}", add, "torch.add(a, b, out=)"),
                (f"scale/pytorch/{s}", scale, "torch.mul(x, s, out=)"),
                (f"sum_squares/pytorch/{s}", ss_dot, "torch.dot(x, x)"),
                (f"sum_squares/pytorch/{s}", ss_norm, "torch.linalg.vector_norm(x).square_()"),
                (f"sum_squares/pytorch/{s}", ss_sum, "torch.sum(x * x)")]
    return out


# ---- masked mean pooling ----

def pool_tensors(b, t, c):
    lens = pool_lengths(b, t)
    mask = torch.zeros(b, t)
    for s, L in enumerate(lens):
        mask[s, :L] = 1.0
    lenf = torch.tensor(lens, dtype=torch.float32)
    return lens, mask, lenf


def pool_benchmarks():
    out = []
    for b, t, c in POOL_SHAPES:
        shape = f"B{b}_T{t}_C{c}"

        def fwd_bmm(b=b, t=t, c=c):
            _, mask, lenf = pool_tensors(b, t, c)
            x, y = uniform(b * t * c, -1, 1, 32).view(b, t, c), torch.empty(b, 1, c)
            m3, l3 = mask.view(b, 1, t), lenf.view(b, 1, 1)
            return lambda: torch.bmm(m3, x, out=y).div_(l3)

        def fwd_masked_sum(b=b, t=t, c=c):
            _, mask, lenf = pool_tensors(b, t, c)
            x, y = uniform(b * t * c, -1, 1, 32).view(b, t, c), torch.empty(b, c)
            m3, l2 = mask.view(b, t, 1), lenf.view(b, 1)
            return lambda: torch.sum(x * m3, dim=1, out=y).div_(l2)

        def fwd_loop(b=b, t=t, c=c):
            lens, _, _ = pool_tensors(b, t, c)
            x, y = uniform(b * t * c, -1, 1, 32).view(b, t, c), torch.empty(b, c)

            def call():
                for s in range(b):
                    torch.mean(x[s, :lens[s]], 0, out=y[s])
            return call

        def bwd_addcmul(b=b, t=t, c=c):
            _, mask, lenf = pool_tensors(b, t, c)
            din, dout = uniform(b * t * c, -1, 1, 32).view(b, t, c), uniform(b * c, -1, 1, 33).view(b, c)
            q, m3, l2 = torch.empty(b, c), mask.view(b, t, 1), lenf.view(b, 1)

            def call():
                torch.div(dout, l2, out=q)
                din.addcmul_(m3, q.view(b, 1, c))
            return call

        def bwd_baddbmm(b=b, t=t, c=c):
            _, mask, lenf = pool_tensors(b, t, c)
            din, dout = uniform(b * t * c, -1, 1, 32).view(b, t, c), uniform(b * c, -1, 1, 33).view(b, c)
            q, m3, l2 = torch.empty(b, c), mask.view(b, t, 1), lenf.view(b, 1)

            def call():
                torch.div(dout, l2, out=q)
                din.baddbmm_(m3, q.view(b, 1, c))
            return call

        def bwd_loop(b=b, t=t, c=c):
            lens, _, lenf = pool_tensors(b, t, c)
            din, dout = uniform(b * t * c, -1, 1, 32).view(b, t, c), uniform(b * c, -1, 1, 33).view(b, c)
            q, l2 = torch.empty(b, c), lenf.view(b, 1)

            def call():
                torch.div(dout, l2, out=q)
                for s in range(b):
                    din[s, :lens[s]].add_(q[s])
            return call

        out += [(f"mean_pool_fwd/pytorch/{shape}", fwd_bmm, "torch.bmm(mask, x, out=).div_(len)"),
                (f"mean_pool_fwd/pytorch/{shape}", fwd_masked_sum,
                 "torch.sum(x * mask, 1, out=).div_(len)"),
                (f"mean_pool_fwd/pytorch/{shape}", fwd_loop, "per sequence torch.mean(x[s,:L], 0, out=)"),
                (f"mean_pool_bwd/pytorch/{shape}", bwd_addcmul,
                 "q = dout / len (out=); din.addcmul_(mask, q)"),
                (f"mean_pool_bwd/pytorch/{shape}", bwd_baddbmm,
                 "q = dout / len (out=); din.baddbmm_(mask, q)"),
                (f"mean_pool_bwd/pytorch/{shape}", bwd_loop,
                 "q = dout / len (out=); per sequence din[s,:L].add_(q[s])")]
    return out


# ---- MSE ----

def mse_benchmarks():
    out = []
    for n in N_SHAPES:
        def autograd(n=n):
            pred = uniform(n, -1, 1, 21).requires_grad_()
            target = uniform(n, -1, 1, 22)
            pred.grad = uniform(n, -1, 1, 23)

            def call():
                F.mse_loss(pred, target).backward()
            return call

        def aten(n=n):
            pred, target, dpred = uniform(n, -1, 1, 21), uniform(n, -1, 1, 22), uniform(n, -1, 1, 23)
            one = torch.ones(())
            fwd, bwd = torch.ops.aten.mse_loss, torch.ops.aten.mse_loss_backward

            def call():
                fwd(pred, target, 1)
                dpred.add_(bwd(one, pred, target, 1))
            return call

        s = shape_n(n)
        out += [(f"mse_fwd_bwd/pytorch/{s}", autograd,
                 "F.mse_loss(pred, target).backward() (grad accumulated in place)"),
                (f"mse_fwd_bwd/pytorch/{s}", aten,
                 "aten.mse_loss; dpred.add_(aten.mse_loss_backward(...))")]
    return out


# ---- optimizers ----

def optim_benchmarks():
    out = []
    for n in N_SHAPES:
        def sgd(n=n):
            p = uniform(n, -1, 1, 31).requires_grad_()
            p.grad = uniform(n, -1, 1, 32)
            opt = torch.optim.SGD([p], lr=0.01, momentum=0.9, dampening=0.0, weight_decay=0.0,
                                  nesterov=False, foreach=True)
            return opt.step

        def adamw(n=n):
            p = uniform(n, -1, 1, 31).requires_grad_()
            p.grad = uniform(n, -1, 1, 32)
            opt = torch.optim.AdamW([p], lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01,
                                    foreach=True)
            return opt.step

        s = shape_n(n)
        out += [(f"sgd_step/pytorch/{s}", sgd, "torch.optim.SGD(momentum=0.9, foreach=True).step()"),
                (f"adam_step/pytorch/{s}", adamw,
                 "torch.optim.AdamW(lr=1e-3, weight_decay=0.01, foreach=True).step()")]
    return out


def benchmarks():
    return (embedding_benchmarks() + elementwise_benchmarks() + pool_benchmarks() +
            mse_benchmarks() + optim_benchmarks())
