#!/usr/bin/env python3
"""The attention table of the issue-6 report: per shape and ISA, forward,
backward and forward + backward, each as cpu time per call, GFLOP/s
(nominal: the two products over the valid (query, key) pairs, 4 P D
forward, 8 P D backward, bench/bench_attention.c), the fraction of the
session's measured FMA peak of the ISA (PyTorch's against the best ISA
probed, what its OpenBLAS runs), the ratio PyTorch time / our time (> 1:
we are faster; fwd+bwd against PyTorch's measured attention_fwd_bwd), and
peak memory.

usage: attention_report.py OURS.json PYTORCH.json [--ours-mem FILE]
                           [--torch-mem FILE]
  OURS.json     nnsimd-bench JSON (its attention rows; medians used)
  PYTORCH.json  tools/pytorch_bench/run.py --filter attention
  --ours-mem    output of tools/pytorch_bench/attention_rss.c
  --torch-mem   output of tools/pytorch_bench/fam_attention.py --memory
Standard library only."""
import argparse
import json
import re
import struct
import sys

SHAPE = re.compile(r"B(\d+)_T(\d+)_H(\d+)_D(\d+)")


def load(path):
    with open(path) as f:
        doc = json.load(f)
    rows = doc.get("benchmarks", [])
    med = [b for b in rows if b.get("aggregate_name") == "median"]
    rows = med + [b for b in rows if b.get("error_occurred")] if med else \
        [b for b in rows if b.get("run_type", "iteration") == "iteration"]
    return doc.get("context", {}), {(b.get("run_name") or b["name"]): b for b in rows}


def ns(b):
    return b["cpu_time"] * {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}[b.get("time_unit", "ns")]


def mem(path, pattern):
    out = {}
    if not path:
        return out
    for line in open(path):
        m = re.match(r"attention_fwd_bwd/(\w+)/(\S+) peak_rss_delta_kib (\d+)(?: analytic_kib (\d+))?",
                     line)
        if m:
            out[(m[1], m[2])] = (int(m[3]), int(m[4]) if m[4] else None)
    return out


def f32(x):
    return struct.unpack("f", struct.pack("f", x))[0]


def lengths_pairs(b, t, h, d):
    """bench_attention.c's valid pairs H sum len^2: nnsb_fill_uniform (splitmix64,
    float32 arithmetic) with seed 42, lengths in [T/4, T] for the ragged IMDb
    shape, T otherwise (fam_attention.py does the same with numpy)."""
    if not (d == 32 and t == 256):
        return h * b * t * t
    mask, s, lo = (1 << 64) - 1, 42, t // 4
    scale = f32(f32(1.0) * f32(2.0 ** -24))
    total = 0
    for _ in range(b):
        s = (s + 0x9E3779B97F4A7C15) & mask
        z = s
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & mask
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
        z ^= z >> 31
        u = f32(0.0 + f32(scale * float(z >> 40)))
        n = min(lo + int(f32(u * float(t - lo + 1))), t)
        total += n * n
    return h * total


def main(argv):
    ap = argparse.ArgumentParser()
    ap.add_argument("ours")
    ap.add_argument("pytorch")
    ap.add_argument("--ours-mem")
    ap.add_argument("--torch-mem")
    a = ap.parse_args(argv[1:])
    ctx, ours = load(a.ours)
    ours = {n: b for n, b in ours.items() if n.startswith("attention_")}  # a whole-suite JSON too
    _, torch_rows = load(a.pytorch)
    omem, tmem = mem(a.ours_mem, None), mem(a.torch_mem, None)

    def peak(isa):
        try:
            return float(ctx.get(f"nns_peak_gflops_{isa}", "nan"))
        except ValueError:
            return float("nan")

    best_peak = max((p for p in (peak("avx512"), peak("avx2"), peak("neon"), peak("scalar"))
                     if p == p), default=float("nan"))
    shapes = []
    for name in ours:
        k, isa, shape = name.split("/")
        if shape not in shapes:
            shapes.append(shape)
    isas = []
    for name in ours:
        isa = name.split("/")[1]
        if isa not in isas:
            isas.append(isa)

    print("| shape | ISA | fwd ms | fwd GFLOP/s | fwd % peak | fwd ratio | bwd ms | bwd GFLOP/s "
          "| bwd % peak | bwd ratio | fwd+bwd ms | fwd+bwd GFLOP/s | fwd+bwd ratio | memory MiB |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for shape in shapes:
        b, t, h, d = (int(x) for x in SHAPE.fullmatch(shape).groups())
        pairs = lengths_pairs(b, t, h, d)
        fl = {"fwd": 4.0 * pairs * d, "bwd": 8.0 * pairs * d}
        tf = torch_rows.get(f"attention_fwd/pytorch/{shape}")
        tb = torch_rows.get(f"attention_bwd/pytorch/{shape}")
        tfb = torch_rows.get(f"attention_fwd_bwd/pytorch/{shape}")
        for isa in isas + ["pytorch"]:
            cells = [shape, isa]
            times = {}
            skip = None
            for k in ("fwd", "bwd"):
                row = (tf if k == "fwd" else tb) if isa == "pytorch" else \
                    ours.get(f"attention_{k}/{isa}/{shape}")
                if row is None or row.get("error_occurred"):
                    skip = (row or {}).get("error_message", "not run")
                    cells += ["-"] * 4
                    continue
                tns = ns(row)
                times[k] = tns
                g = fl[k] / tns
                p = peak(isa) if isa != "pytorch" else best_peak
                ref = (tf if k == "fwd" else tb)
                ratio = ns(ref) / tns if ref and isa != "pytorch" else None
                cells += [f"{tns / 1e6:.3f}", f"{g:.1f}", f"{100 * g / p:.0f}%" if p == p else "-",
                          f"{ratio:.2f}x" if ratio else "-"]
            if len(times) == 2:
                s = times["fwd"] + times["bwd"]
                if isa == "pytorch" and tfb:
                    s = ns(tfb)
                g = (fl["fwd"] + fl["bwd"]) / s
                ratio = ns(tfb) / s if tfb and isa != "pytorch" else None
                cells += [f"{s / 1e6:.3f}", f"{g:.1f}", f"{ratio:.2f}x" if ratio else "-"]
            else:
                cells += ["-"] * 3
            m = (omem if isa != "pytorch" else tmem).get((isa, shape))
            if m and isa != "pytorch" and m[1]:
                cells.append(f"{m[1] / 1024:.1f} (RSS {m[0] / 1024:.1f})")
            elif m:
                cells.append(f"{m[0] / 1024:.1f}")
            else:
                cells.append("-")
            if skip and not times:
                cells = [shape, isa] + [f"({skip})"] + [""] * 12
            print("| " + " | ".join(cells) + " |")
    print()
    print(f"Peaks (the session's probe): " + ", ".join(
        f"{i} {peak(i):.1f}" for i in ("scalar", "avx2", "avx512") if peak(i) == peak(i))
        + " GFLOP/s; PyTorch's % peak is against " + f"{best_peak:.1f}.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
