#!/usr/bin/python3
"""The MNIST MLP in PyTorch 1.13, side by side with `nnsimd train mlp`.

Trains the same model from our initial weights (a checkpoint written by
`nnsimd train mlp --init-only --save FILE`) on the same batches in the same
order (our xoshiro256** shuffle re-implemented exactly from the generator
state the checkpoint stores) with torch.optim.AdamW, and compares the
per-step losses with our JSON-lines log; or times PyTorch's training step.
Run with Debian's own python3, where python3-torch lives. PyTorch runs at
its best as tools/pytorch_env.py sets it up: threads from --threads
(OpenMP's idle workers passive above one), OpenBLAS's SkylakeX kernels on
a CPU with AVX-512, glibc's malloc keeping freed memory (--default-malloc
leaves glibc's defaults); AdamW's single-tensor form unless --foreach.

  agreement:  tools/pytorch_mlp.py --init init.st --data DIR --ours ours.jsonl --steps 100
  timing:     tools/pytorch_mlp.py --init init.st --data DIR --time --steps 60 --threads 1
"""
import argparse
import gzip
import json
import pathlib
import statistics
import struct
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import pytorch_env  # noqa: E402  (tools/pytorch_env.py)

MASK = (1 << 64) - 1


class Xoshiro:
    """models/rng.c's xoshiro256**, bit for bit."""

    def __init__(self, hexstate):
        self.s = [int(hexstate[16 * i:16 * i + 16], 16) for i in range(4)]

    def next(self):
        s = self.s
        rotl = lambda x, k: ((x << k) | (x >> (64 - k))) & MASK
        out = (rotl((s[1] * 5) & MASK, 7) * 9) & MASK
        t = (s[1] << 17) & MASK
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = rotl(s[3], 45)
        return out

    def below(self, n):
        m = self.next() * n
        lo = m & MASK
        if lo < n:
            threshold = (-n % (1 << 64)) % n
            while lo < threshold:
                m = self.next() * n
                lo = m & MASK
        return m >> 64

    def shuffle(self, idx):
        for i in range(len(idx), 1, -1):
            j = self.below(i)
            idx[i - 1], idx[j] = idx[j], idx[i - 1]


def read_safetensors(path):
    import torch
    raw = pathlib.Path(path).read_bytes()
    (hlen,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + hlen])
    meta = header.pop("__metadata__", {})
    data = raw[8 + hlen:]
    tensors = {}
    for name, h in header.items():
        b, e = h["data_offsets"]
        dtype = {"F32": torch.float32, "I32": torch.int32}[h["dtype"]]
        tensors[name] = torch.frombuffer(bytearray(data[b:e]), dtype=dtype).reshape(h["shape"])
    return tensors, meta


def read_idx(folder, name):
    import numpy as np
    path = pathlib.Path(folder) / name
    raw = gzip.open(str(path) + ".gz").read() if (pathlib.Path(str(path) + ".gz")).exists() else path.read_bytes()
    magic, count = struct.unpack(">II", raw[:8])
    if magic == 0x803:
        rows, cols = struct.unpack(">II", raw[8:16])
        return np.frombuffer(raw[16:], dtype=np.uint8).reshape(count, rows * cols)
    return np.frombuffer(raw[8:], dtype=np.uint8)


def build(meta, tensors):
    import torch
    dims = [int(d) for d in meta["config"].split()[0].split("-")]
    act = torch.nn.GELU if meta["config"].split()[1] == "gelu" else torch.nn.ReLU
    layers = []
    for i in range(len(dims) - 1):
        layers.append(torch.nn.Linear(dims[i], dims[i + 1]))
        if i + 2 < len(dims):
            layers.append(act())
    model = torch.nn.Sequential(*layers)
    model.load_state_dict({k: v for k, v in tensors.items() if not k.startswith("optimizer.")})
    return model


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--init", required=True, help="checkpoint from nnsimd train mlp --init-only --save")
    ap.add_argument("--data", required=True, help="data root or its mnist/ folder")
    ap.add_argument("--ours", help="our --log JSON lines, to compare step losses")
    ap.add_argument("--steps", type=int, default=100)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--time", action="store_true", help="time the training step instead")
    ap.add_argument("--out", help="write the comparison table (markdown) here")
    pytorch_env.add_arguments(ap, foreach=True)
    a = ap.parse_args()
    pytorch_env.configure(a.threads, a.default_malloc)
    import numpy as np
    import torch
    torch.set_num_threads(a.threads)

    tensors, meta = read_safetensors(a.init)
    model = build(meta, tensors)
    folder = pathlib.Path(a.data)
    if (folder / "mnist").is_dir():
        folder = folder / "mnist"
    images, labels = read_idx(folder, "train-images-idx3-ubyte"), read_idx(folder, "train-labels-idx1-ubyte")
    mean, std = np.float32(meta["normalize_mean"]), np.float32(meta["normalize_std"])
    x_all = torch.from_numpy(((images.astype(np.float32) / np.float32(255.0)) - mean) / std)
    y_all = torch.from_numpy(labels.astype(np.int64))
    opt = torch.optim.AdamW(model.parameters(), lr=float(meta["lr"]), betas=(0.9, 0.999), eps=1e-8,
                            weight_decay=float(meta["weight_decay"]), foreach=a.foreach)

    rng = Xoshiro(meta["rng"])
    order = list(range(len(labels)))
    rng.shuffle(order)
    losses, times = [], []
    pos = 0
    for step in range(a.steps):
        if pos >= len(order):
            order = list(range(len(labels)))
            rng.shuffle(order)
            pos = 0
        idx = torch.tensor(order[pos:pos + a.batch])
        pos += a.batch
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=False)
        loss = torch.nn.functional.cross_entropy(model(x_all[idx]), y_all[idx])
        loss.backward()
        opt.step()
        times.append(time.perf_counter() - t0)
        losses.append(loss.item())

    if a.time:
        warm = times[min(10, len(times) // 2):]
        flops = 6 * sum(p.numel() for n, p in model.named_parameters() if n.endswith("weight")) * a.batch
        med = statistics.median(warm)
        print(json.dumps({"torch": torch.__version__, "threads": a.threads, "steps_timed": len(warm),
                          "median_step_ms": med * 1e3, "gflops": flops / med / 1e9}))
        return 0
    if not a.ours:
        for i, l in enumerate(losses, 1):
            print(json.dumps({"step": i, "loss": l}))
        return 0
    ours = [json.loads(line) for line in open(a.ours) if '"step"' in line]
    rows, worst10, worst = [], 0.0, 0.0
    for i, (o, t) in enumerate(zip(ours, losses), 1):
        rel = abs(o["loss"] - t) / abs(t)
        worst = max(worst, rel)
        if i <= 10:
            worst10 = max(worst10, rel)
        if i <= 10 or i % 10 == 0:
            rows.append(f"| {i} | {o['loss']:.7f} | {t:.7f} | {rel:.2e} |")
    n = min(len(ours), len(losses))
    verdict = worst10 <= 1e-5 and worst <= 1e-3
    text = "\n".join([
        f"Per-step training loss, nnsimd vs PyTorch {torch.__version__} (AdamW, same initial weights,",
        f"same batches), {n} steps. Bounds: relative difference <= 1e-5 over the first 10 steps,",
        f"<= 1e-3 over the first 100. Worst: {worst10:.2e} over 10 steps, {worst:.2e} over {n}: "
        f"{'within' if verdict else 'OUTSIDE'} the bounds.", "",
        "| step | nnsimd | PyTorch | relative difference |", "|---|---|---|---|", *rows, ""])
    print(text)
    if a.out:
        pathlib.Path(a.out).write_text(text)
    return 0 if verdict else 1


if __name__ == "__main__":
    sys.exit(main())
