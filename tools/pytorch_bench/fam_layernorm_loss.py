"""PyTorch equivalents of layer normalization and softmax cross-entropy, on
nnsimd-bench's shapes (bench/bench_layernorm.c: N8192_C128 and
N16384_C1024, eps 1e-5; bench/bench_loss.c: N128_V10, N32_V2, N64_V50000,
ignore_index -100). Where PyTorch offers several ways to do the same thing,
each is listed under the same name and run.py reports the fastest (PyTorch
at its best).

  layernorm_fwd      F.layer_norm under no_grad, or aten.native_layer_norm
                     (which, like ours, also returns mean and rstd)
  layernorm_bwd      aten.native_layer_norm_backward on the saved mean and
                     rstd: the backward alone, as ours; it returns fresh
                     gradients where ours accumulates (+=) into din,
                     dweight and dbias, so PyTorch is spared a read of din
  layernorm_fwd_bwd  F.layer_norm forward + backward through autograd
                     (gradients accumulated in place into .grad), compared
                     with our forward time plus our backward time; no
                     nnsimd-bench row has this name
  cross_entropy_fwd_bwd
                     F.cross_entropy(logits, targets).backward() (the
                     gradient accumulated in place into logits.grad, as
                     ours accumulates into dlogits), or the aten ops without
                     autograd: log_softmax, nll_loss, nll_loss_backward,
                     _log_softmax_backward_data, dlogits.add_

Inputs uniform as the bench specs' (logits in [-8, 8], x and weight in
[-2, 2], bias and dout in [-1, 1]); values do not change the timing."""
import torch
import torch.nn.functional as F

LN_SHAPES = [(8192, 128), (16384, 1024)]  # N, C
LN_EPS = 1e-5
CE_SHAPES = [(128, 10), (32, 2), (64, 50000)]  # N, V


def uniform(shape, lo, hi, seed):
    g = torch.Generator().manual_seed(seed)
    return torch.empty(shape, dtype=torch.float32).uniform_(lo, hi, generator=g)


# ---- layer normalization ----

def layernorm_benchmarks():
    out = []
    for n, c in LN_SHAPES:
        shape = f"N{n}_C{c}"

        def fwd_functional(n=n, c=c):
            x, w, b = uniform((n, c), -2, 2, 1), uniform(c, -2, 2, 2), uniform(c, -1, 1, 3)

            def call():
                with torch.no_grad():
                    F.layer_norm(x, (c,), w, b, LN_EPS)
            return call

        def fwd_native(n=n, c=c):
            x, w, b = uniform((n, c), -2, 2, 1), uniform(c, -2, 2, 2), uniform(c, -1, 1, 3)
            op = torch.ops.aten.native_layer_norm
            return lambda: op(x, [c], w, b, LN_EPS)

        def bwd_native(n=n, c=c):
            x, w, b = uniform((n, c), -2, 2, 1), uniform(c, -2, 2, 2), uniform(c, -1, 1, 3)
            g = uniform((n, c), -1, 1, 7)
            _, mean, rstd = torch.ops.aten.native_layer_norm(x, [c], w, b, LN_EPS)
            op = torch.ops.aten.native_layer_norm_backward
            mask = [True, True, True]
            return lambda: op(g, x, [c], mean, rstd, w, b, mask)

        def fwd_bwd_autograd(n=n, c=c):
            x = uniform((n, c), -2, 2, 1).requires_grad_()
            w = uniform(c, -2, 2, 2).requires_grad_()
            b = uniform(c, -1, 1, 3).requires_grad_()
            g = uniform((n, c), -1, 1, 7)
            x.grad, w.grad, b.grad = uniform((n, c), -1, 1, 8), uniform(c, -1, 1, 9), uniform(c, -1, 1, 10)

            def call():
                F.layer_norm(x, (c,), w, b, LN_EPS).backward(g)
            return call

        out += [(f"layernorm_fwd/pytorch/{shape}", fwd_functional,
                 "F.layer_norm under torch.no_grad()"),
                (f"layernorm_fwd/pytorch/{shape}", fwd_native,
                 "aten.native_layer_norm (out, mean, rstd)"),
                (f"layernorm_bwd/pytorch/{shape}", bwd_native,
                 "aten.native_layer_norm_backward (fresh gradients, no accumulation)"),
                (f"layernorm_fwd_bwd/pytorch/{shape}", fwd_bwd_autograd,
                 "F.layer_norm(x, ...).backward(dout), grads accumulated in place")]
    return out


# ---- cross-entropy ----

def ce_targets(n, v):
    g = torch.Generator().manual_seed(13)
    return torch.randint(0, v, (n,), generator=g, dtype=torch.int64)


def cross_entropy_benchmarks():
    out = []
    for n, v in CE_SHAPES:
        shape = f"N{n}_V{v}"

        def autograd(n=n, v=v):
            x = uniform((n, v), -8, 8, 11).requires_grad_()
            x.grad = uniform((n, v), -1, 1, 12)
            t = ce_targets(n, v)

            def call():
                F.cross_entropy(x, t).backward()
            return call

        def aten(n=n, v=v):
            x, d, t = uniform((n, v), -8, 8, 11), uniform((n, v), -1, 1, 12), ce_targets(n, v)
            ops = torch.ops.aten
            one = torch.ones(())
            mean = 1  # at::Reduction::Mean

            def call():
                ls = ops._log_softmax(x, 1, False)
                loss, total = ops.nll_loss_forward(ls, t, None, mean, -100)
                gls = ops.nll_loss_backward(one, ls, t, None, mean, -100, total)
                d.add_(ops._log_softmax_backward_data(gls, ls, 1, torch.float32))
                return loss
            return call

        out += [(f"cross_entropy_fwd_bwd/pytorch/{shape}", autograd,
                 "F.cross_entropy(logits, targets).backward() (grad accumulated in place)"),
                (f"cross_entropy_fwd_bwd/pytorch/{shape}", aten,
                 "aten _log_softmax, nll_loss_forward, nll_loss_backward, "
                 "_log_softmax_backward_data; dlogits.add_")]
    return out


def benchmarks():
    return layernorm_benchmarks() + cross_entropy_benchmarks()
