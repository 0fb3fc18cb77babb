#!/usr/bin/python3
"""The IMDb transformer in PyTorch 1.13, side by side with `nnsimd train transformer`.

Builds the same model (class Classifier below: its state_dict names are our
checkpoint's tensor names), loads our initial weights from a checkpoint
written by `nnsimd train transformer --init-only --save FILE`, and trains on
the very batches our trainer used, in the same order: our run writes them
with `--dump-batches FILE` (per step: the reviews' token ids, valid lengths
and labels), so neither the shuffle nor the tokenizer is re-implemented
here. Each step: AdamW (torch.optim.AdamW; --foreach picks its multi-tensor
form), our learning
rate of that step (linear warm-up then cosine, recomputed from the
checkpoint's metadata and checked against our log), clip_grad_norm_, mean
cross-entropy. Dropout (the checkpoint's rate) uses our masks, recomputed
here from the seed and step with the same hash (nnsimd.h, nns_dropout;
models/transformer.h for the sites), so the two runs drop the same
elements. Then it compares the per-step losses with our JSON-lines
log, or times PyTorch's training step. Batches are padded to their longest
review (PyTorch computes the padding, masked: padded keys get -inf scores,
padded positions are left out of the mean-pool); ours are packed.

  agreement: tools/pytorch_transformer.py --init init.st --batches b.jsonl --ours ours.jsonl --steps 50
  timing:    tools/pytorch_transformer.py --init init.st --batches b.jsonl --time --steps 30 --threads 1

Run with Debian's own python3 (/usr/bin/python3), where python3-torch lives.
PyTorch runs at its best as tools/pytorch_env.py sets it up (threads from
--threads, OpenMP's idle workers passive above one, OpenBLAS's SkylakeX
kernels on a CPU with AVX-512, glibc's malloc keeping freed memory:
without that, this model's 33 MB attention tensors are page-faulted
afresh every step, 3.7x slower here; --default-malloc shows it). AdamW is the single-tensor one unless --foreach: the two timed
the same here (302-322 ms a step, alternating).
"""
import argparse
import json
import math
import pathlib
import statistics
import struct
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import pytorch_env  # noqa: E402  (tools/pytorch_env.py)


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


def parse_config(text):
    """'V=20000 T=256 C=128 H=4 L=2 K=2' -> dict of ints."""
    return {k: int(v) for k, v in (f.split("=") for f in text.split())}


M32, M64 = 0xFFFFFFFF, 0xFFFFFFFFFFFFFFFF


def mix64(z):
    """splitmix64's output function (models/rng.c nns_mix64)."""
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return z ^ (z >> 31)


def mul32(x, c):
    """x * c mod 2^32 on int64 tensors of 32-bit words, without overflow."""
    return (x * (c & 0xFFFF) + (((x * (c >> 16)) & 0xFFFF) << 16)) & M32


def fmix32(x):
    """MurmurHash3's 32-bit finalizer on int64 tensors of 32-bit words."""
    x = x ^ (x >> 16)
    x = mul32(x, 0x85EBCA6B)
    x = x ^ (x >> 13)
    x = mul32(x, 0xC2B2AE35)
    return x ^ (x >> 16)


def step_dropout_seed(seed, step):
    """The model's dropout seed at a step (models/train_transformer.c)."""
    return mix64((seed + mix64(step)) & M64)


def dropout_factors(p, step_seed, sites, index):
    """Our dropout factors (1/(1-p) kept, 0 dropped) for each site, at the
    elements whose packed index (row * C + column) is `index`."""
    import numpy as np
    import torch
    thr = math.floor(p * 16777216.0 + 0.5)
    scale = float(np.float32(1.0) / (np.float32(1.0) - np.float32(p)))
    out = []
    for site in range(sites):
        key = mix64((step_seed + site) & M64)
        h = fmix32(fmix32(index ^ (key & M32)) ^ (key >> 32))
        out.append(torch.where((h >> 8) >= thr, scale, 0.0).to(torch.float32))
    return out


def make_model(V, T, C, H, L, K):
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    class Block(nn.Module):
        """Pre-LN encoder block: x + drop(proj(attn(qkv(ln1 x)))), x + drop(fc2(gelu(fc1(ln2 x))))."""

        def __init__(self):
            super().__init__()
            self.ln1 = nn.LayerNorm(C)
            self.qkv = nn.Linear(C, 3 * C)   # out features: q (heads in order), k, v
            self.proj = nn.Linear(C, C)
            self.ln2 = nn.LayerNorm(C)
            self.fc1 = nn.Linear(C, 4 * C)
            self.fc2 = nn.Linear(4 * C, C)

        def forward(self, x, key_pad, drop):
            B, T_, _ = x.shape
            D = C // H
            q, k, v = self.qkv(self.ln1(x)).split(C, dim=2)
            q, k, v = (z.view(B, T_, H, D).transpose(1, 2) for z in (q, k, v))
            s = (q @ k.transpose(-2, -1)) / math.sqrt(D)
            s = s.masked_fill(key_pad[:, None, None, :], float("-inf"))
            y = (s.softmax(dim=-1) @ v).transpose(1, 2).reshape(B, T_, C)
            x = x + drop[0] * self.proj(y)
            return x + drop[1] * self.fc2(F.gelu(self.fc1(self.ln2(x))))

    class Classifier(nn.Module):
        """tok_emb + pos_emb, L blocks, ln_f, masked mean-pool, head."""

        def __init__(self):
            super().__init__()
            self.tok_emb = nn.Embedding(V, C)
            self.pos_emb = nn.Embedding(T, C)
            self.blocks = nn.ModuleList([Block() for _ in range(L)])
            self.ln_f = nn.LayerNorm(C)
            self.head = nn.Linear(C, K)

        def forward(self, ids, lengths, drop=None):
            """drop: 1 + 2L factor tensors (B, T, C) (dropout_factors), or None."""
            B, T_ = ids.shape
            pos = torch.arange(T_)
            valid = pos[None, :] < lengths[:, None]
            drop = drop or [1.0] * (1 + 2 * L)
            x = drop[0] * (self.tok_emb(ids) + self.pos_emb(pos)[None])
            for l, b in enumerate(self.blocks):
                x = b(x, ~valid, drop[1 + 2 * l:3 + 2 * l])
            x = self.ln_f(x) * valid[:, :, None]
            return self.head(x.sum(dim=1) / lengths[:, None].to(x.dtype))

    return Classifier()


def load_model(path):
    import torch
    tensors, meta = read_safetensors(path)
    cfg = parse_config(meta["config"])
    model = make_model(cfg["V"], cfg["T"], cfg["C"], cfg["H"], cfg["L"], cfg["K"])
    params = {k: v for k, v in tensors.items() if not k.startswith("optimizer.")}
    missing = set(model.state_dict()) ^ set(params)
    if missing:
        raise SystemExit(f"{path}: tensor names differ from the PyTorch module's: {sorted(missing)}")
    model.load_state_dict(params)
    return model, meta, cfg


def read_batches(path, steps):
    import torch
    out = []
    with open(path) as f:
        for line in f:
            b = json.loads(line)
            T_ = max(b["lengths"]) if b["lengths"] else 1
            ids = torch.zeros(len(b["lengths"]), max(T_, 1), dtype=torch.long)
            for i, row in enumerate(b["ids"]):
                ids[i, :len(row)] = torch.tensor(row, dtype=torch.long)
            out.append((b["step"], ids, torch.tensor(b["lengths"]), torch.tensor(b["labels"])))
            if len(out) == steps:
                break
    return out


def lr_at(meta, step):
    """Our schedule (models/train_transformer.c step_lr), rounded to float."""
    import numpy as np
    # the peak rate is a float in our options: round the metadata's 9 digits back to it
    lr, w, total = float(np.float32(meta["lr"])), int(meta["warmup"]), int(meta["schedule_steps"])
    if step <= w:
        v = lr * step / w
    elif total <= w:
        v = lr
    else:
        v = 0.5 * lr * (1.0 + math.cos(math.pi * min(1.0, (step - w) / (total - w))))
    return float(np.float32(v))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--init", required=True, help="checkpoint from --init-only --save")
    ap.add_argument("--batches", required=True, help="our --dump-batches file")
    ap.add_argument("--ours", help="our --log JSON lines, to compare step losses")
    ap.add_argument("--steps", type=int, default=50)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--warmup-steps", type=int, default=10, help="--time: steps not timed")
    ap.add_argument("--time", action="store_true", help="time the training step instead")
    ap.add_argument("--out", help="write the comparison table (markdown) here")
    pytorch_env.add_arguments(ap, foreach=True)
    a = ap.parse_args()
    pytorch_env.configure(a.threads, a.default_malloc)
    import torch
    import torch.nn.functional as F
    torch.set_num_threads(a.threads)

    model, meta, cfg = load_model(a.init)
    batches = read_batches(a.batches, a.steps)
    opt = torch.optim.AdamW(model.parameters(), lr=float(meta["lr"]), betas=(0.9, 0.999), eps=1e-8,
                            weight_decay=float(meta["weight_decay"]), foreach=a.foreach)
    clip = float(meta["clip"])
    p, seed = float(meta.get("dropout", "0")), int(meta["seed"])
    ours = [json.loads(l) for l in open(a.ours) if '"step"' in l] if a.ours else []
    losses, times, flops = [], [], []
    for i, (step, ids, lengths, labels) in enumerate(batches):
        lr = lr_at(meta, step)
        if i < len(ours) and abs(ours[i]["lr"] - lr) > 1e-7 * max(lr, 1e-30):
            raise SystemExit(f"step {step}: our log's learning rate {ours[i]['lr']} is not {lr}")
        for g in opt.param_groups:
            g["lr"] = lr
        drop = None
        if p > 0:
            # packed index of (sequence b, position i, column c): (off_b + i) C + c;
            # padded positions get other rows' factors, and never reach the loss
            C = cfg["C"]
            off = torch.cumsum(lengths, 0) - lengths
            rows = off[:, None] + torch.arange(ids.shape[1])[None, :]
            index = (rows[:, :, None] * C + torch.arange(C)[None, None, :]).to(torch.int64)
            drop = dropout_factors(p, step_dropout_seed(seed, step), 1 + 2 * cfg["L"], index)
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=False)
        loss = F.cross_entropy(model(ids, lengths, drop), labels)
        loss.backward()
        if clip > 0:
            torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
        opt.step()
        times.append(time.perf_counter() - t0)
        losses.append(loss.item())
        C, L = cfg["C"], cfg["L"]
        n = lengths.double()
        flops.append(3 * float((L * (24 * n * C * C + 4 * n * n * C) + 2 * C * cfg["K"]).sum()))

    if a.time:
        warm = list(range(min(a.warmup_steps, len(times) - 1), len(times)))
        med = statistics.median(times[i] for i in warm)
        rate = statistics.median(flops[i] / times[i] for i in warm)
        print(json.dumps({"torch": torch.__version__, "threads": a.threads, "steps_timed": len(warm),
                          "median_step_ms": med * 1e3, "gflops_per_s": rate / 1e9,
                          "mean_valid_tokens": statistics.mean(float(b[2].sum()) for b in batches)}))
        return 0
    if not ours:
        for (step, *_), l in zip(batches, losses):
            print(json.dumps({"step": step, "loss": l}))
        return 0
    rows, worst10, worst50, worst = [], 0.0, 0.0, 0.0
    n = min(len(ours), len(losses))
    for i in range(n):
        o, t = ours[i]["loss"], losses[i]
        rel = abs(o - t) / abs(t)
        worst = max(worst, rel)
        if i < 10:
            worst10 = max(worst10, rel)
        if i < 50:
            worst50 = max(worst50, rel)
        if i < 10 or (i + 1) % 10 == 0:
            rows.append(f"| {i + 1} | {o:.7f} | {t:.7f} | {rel:.2e} |")
    verdict = worst10 <= 1e-5 and worst50 <= 1e-3
    text = "\n".join([
        f"Per-step training loss, nnsimd vs PyTorch {torch.__version__} (same initial weights, same",
        f"batches, AdamW, warm-up + cosine, clipping at {clip:g}, dropout {p:g} with our masks),",
        f"{n} steps, config {meta['config']}.",
        f"Bounds: relative difference <= 1e-5 over the first 10 steps, <= 1e-3 over the first 50.",
        f"Worst: {worst10:.2e} over 10 steps, {worst50:.2e} over {min(n, 50)}"
        + (f", {worst:.2e} over {n}" if n > 50 else "")
        + f": {'within' if verdict else 'OUTSIDE'} the bounds.", "",
        "| step | nnsimd | PyTorch | relative difference |", "|---|---|---|---|", *rows, ""])
    print(text)
    if a.out:
        pathlib.Path(a.out).write_text(text)
    return 0 if verdict else 1


if __name__ == "__main__":
    sys.exit(main())
