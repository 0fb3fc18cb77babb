"""PyTorch 1.13's attention core, as nn.MultiheadAttention runs it in
training (torch/nn/functional.py, multi_head_attention_forward, without
the in- and out-projections), on nnsimd-bench's shapes
(bench/bench_attention.c):

    q, k, v (T, B, E) -> .view(T, B*H, D).transpose(0, 1)   (B*H, T, D)
    key_padding_mask (B, T) bool -> (B*H, 1, T) float, -inf at padded keys
    attn = torch.baddbmm(mask, q / sqrt(D), k.transpose(-2, -1))
           (torch.bmm when there is no mask)
    attn = softmax(attn, dim=-1)
    out  = torch.bmm(attn, v)

  attention_fwd      the core above with autograd recording (a training
                     step's forward), or under no_grad; the fastest counts
  attention_bwd      the backward alone: torch.autograd.backward(out,
                     dout, retain_graph=True) on a graph recorded once;
                     the gradients accumulate into q, k, v's .grad as ours
                     do into dq, dk, dv
  attention_fwd_bwd  forward + backward through autograd, compared with our
                     forward time plus our backward time (no nnsimd-bench
                     row has this name)

Shapes (B, T, H, D): the IMDb shape B32_T256_H4_D32 with key-padding
lengths, the others full length (no mask: torch.bmm, PyTorch at its best).
The lengths and the data are bench_attention.c's, bit for bit:
nnsb_fill_uniform (bench/bench_main.c: splitmix64 from the seed, the top
24 bits as a float, lo + (hi - lo) * 2^-24 * that, every operation in
float32) is replicated with numpy uint64 (wrapping) and float32
arithmetic; lengths: u = fill(B values in [0, 1), seed 42),
len = T/4 + int(u * float32(T - T/4 + 1)) in float32, capped at T; q, k
and v from one packed (B, T, 3C) fill in [-1, 1] with seed 1, dout (B, T,
C) with seed 2.

PyTorch computes all T x T scores per head, padding included (padding
query rows attend to the valid keys), where ours skips the padding; the
flops of the reports are the same nominal count for both (valid pairs).

Peak memory (`--memory`): each shape in a fresh process; the inputs are
made and touched first, then one forward + backward; the figure is the
growth of the peak resident set (resource.getrusage ru_maxrss) over that
call."""
import math
import os
import resource
import subprocess
import sys

import numpy as np
import torch

SHAPES = [(32, 256, 4, 32), (1, 512, 4, 64), (2, 512, 4, 64), (4, 512, 4, 64), (1, 1024, 4, 64)]


def is_ragged(b, t, h, d):
    return d == 32 and t == 256  # bench_attention.c's is_ragged


def shape_name(b, t, h, d):
    return f"B{b}_T{t}_H{h}_D{d}"


def nnsb_fill_uniform(n, lo, hi, seed):
    """bench/bench_main.c's nnsb_fill_uniform, bit for bit (vectorized)."""
    with np.errstate(over="ignore"):
        i = np.arange(1, n + 1, dtype=np.uint64)
        z = np.uint64(seed) + i * np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    scale = np.float32(np.float32(hi) - np.float32(lo)) * np.float32(2.0 ** -24)
    return np.float32(lo) + np.float32(scale) * (z >> np.uint64(40)).astype(np.float32)


def lengths(b, t, h, d):
    """bench_attention.c's fill_lengths."""
    lo = t // 4
    u = nnsb_fill_uniform(b, 0.0, 1.0, 42)
    out = []
    for i in range(b):
        l = lo + int(np.float32(u[i]) * np.float32(t - lo + 1))
        out.append(min(l, t) if is_ragged(b, t, h, d) else t)
    return out


def make_inputs(b, t, h, d):
    """Leaves q, k, v (T, B, C) as MHA's projections hand them to the core,
    the boolean key-padding mask (B, T) or None, and dout as the core's
    output (B*H, T, D)."""
    c = h * d
    qkv = torch.from_numpy(nnsb_fill_uniform(b * t * 3 * c, -1.0, 1.0, 1)).view(b, t, 3 * c)
    leaves = [qkv[:, :, i * c:(i + 1) * c].transpose(0, 1).contiguous().requires_grad_()
              for i in range(3)]
    g = torch.from_numpy(nnsb_fill_uniform(b * t * c, -1.0, 1.0, 2)).view(b, t, h, d)
    dout = g.permute(0, 2, 1, 3).reshape(b * h, t, d).contiguous()
    mask = None
    if is_ragged(b, t, h, d):
        lens = torch.tensor(lengths(b, t, h, d))
        mask = torch.arange(t).view(1, t) >= lens.view(b, 1)  # True = padding
    return leaves, mask, dout


def core(q, k, v, key_padding_mask, b, t, h, d):
    """multi_head_attention_forward's core, 1.13 (q, k, v: (T, B, C))."""
    q = q.view(t, b * h, d).transpose(0, 1)
    k = k.view(t, b * h, d).transpose(0, 1)
    v = v.view(t, b * h, d).transpose(0, 1)
    attn_mask = None
    if key_padding_mask is not None:
        kpm = key_padding_mask.view(b, 1, 1, t).expand(-1, h, -1, -1).reshape(b * h, 1, t)
        attn_mask = torch.zeros_like(kpm, dtype=q.dtype)
        attn_mask.masked_fill_(kpm, float("-inf"))
    q_scaled = q / math.sqrt(d)
    if attn_mask is not None:
        w = torch.baddbmm(attn_mask, q_scaled, k.transpose(-2, -1))
    else:
        w = torch.bmm(q_scaled, k.transpose(-2, -1))
    w = torch.softmax(w, dim=-1)
    return torch.bmm(w, v)


def benchmarks():
    out = []
    for shp in SHAPES:
        name = shape_name(*shp)

        def fwd_grad(shp=shp):
            (q, k, v), mask, _ = make_inputs(*shp)
            return lambda: core(q, k, v, mask, *shp)

        def fwd_nograd(shp=shp):
            (q, k, v), mask, _ = make_inputs(*shp)

            def call():
                with torch.no_grad():
                    return core(q, k, v, mask, *shp)
            return call

        def bwd(shp=shp):
            (q, k, v), mask, dout = make_inputs(*shp)
            o = core(q, k, v, mask, *shp)
            return lambda: torch.autograd.backward(o, dout, retain_graph=True)

        def fwd_bwd(shp=shp):
            (q, k, v), mask, dout = make_inputs(*shp)
            return lambda: core(q, k, v, mask, *shp).backward(dout)

        out += [(f"attention_fwd/pytorch/{name}", fwd_grad, "MHA core, autograd recording"),
                (f"attention_fwd/pytorch/{name}", fwd_nograd, "MHA core under no_grad"),
                (f"attention_bwd/pytorch/{name}", bwd,
                 "autograd.backward(out, dout, retain_graph=True)"),
                (f"attention_fwd_bwd/pytorch/{name}", fwd_bwd, "MHA core + .backward(dout)")]
    return out


def _peak_kib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def memory_one(b, t, h, d):
    """Peak-RSS growth (KiB) of one forward + backward, inputs made first."""
    (q, k, v), mask, dout = make_inputs(b, t, h, d)
    for x in (q, k, v, dout):
        x.data.add_(0.0)  # touched
    before = _peak_kib()
    core(q, k, v, mask, b, t, h, d).backward(dout)
    return _peak_kib() - before


def main(argv):
    if len(argv) == 6 and argv[1] == "--memory-one":
        os.environ.setdefault("OMP_NUM_THREADS", "1")
        torch.set_num_threads(1)
        print(memory_one(*(int(x) for x in argv[2:])))
        return 0
    if len(argv) == 2 and argv[1] == "--memory":
        env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
        for shp in SHAPES:
            r = subprocess.run([sys.executable, __file__, "--memory-one"] + [str(x) for x in shp],
                               capture_output=True, text=True, env=env, check=True)
            print(f"attention_fwd_bwd/pytorch/{shape_name(*shp)} peak_rss_delta_kib "
                  f"{r.stdout.strip()}")
        return 0
    print(f"usage: {argv[0]} --memory   (the benchmarks run through run.py)", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
