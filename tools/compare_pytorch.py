#!/usr/bin/env python3
"""Side by side: nnsimd-bench JSON and tools/pytorch_bench/run.py JSON, as a
markdown table of kernel x shape x ISA: time per call, rate (GB/s, and
GFLOP/s where the kernel counts flops), the fraction of the measured
one-core triad bandwidth (`nns_bandwidth_gbs` of the nnsimd run's context),
the fraction of the roofline (nnsimd-bench's frac_peak: of the bandwidth or
of the FMA peak, whichever bounds the call), PyTorch's time and rate, and
the speed-up over our scalar reference, and the ratio PyTorch time / our
time (> 1: we are faster).

Rows are paired by name: <kernel>/<isa>/<shape> with <kernel>/pytorch/<shape>.
Times are cpu times (nnsimd-bench's rates are per cpu second; run.py
records process_time too); medians where the JSON has repetitions.
PyTorch's rate uses our nominal bytes and flops per call (the same
operation: each array read or written once). Standard library only.

usage: tools/compare_pytorch.py OURS.json PYTORCH.json [--filter REGEX]
       [--out FILE.md] [--real]
  --real   compare real (wall) times instead of cpu times
"""
import argparse
import json
import re
import sys


def load_rows(path):
    with open(path) as f:
        doc = json.load(f)
    rows = doc.get("benchmarks", [])
    medians = [b for b in rows if b.get("aggregate_name") == "median"]
    if medians:
        # error rows (an ISA the CPU lacks) have no aggregates: keep them
        rows = medians + [b for b in rows if b.get("error_occurred")]
    else:
        rows = [b for b in rows if b.get("run_type", "iteration") == "iteration"]
    out = {}
    for b in rows:
        name = b.get("run_name") or b["name"]
        out[name] = b
    return doc.get("context", {}), out


def to_ns(b, key):
    scale = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}[b.get("time_unit", "ns")]
    return b[key] * scale


def fmt_time(ns):
    if ns >= 1e6:
        return f"{ns / 1e6:.3f} ms"
    if ns >= 1e3:
        return f"{ns / 1e3:.2f} us"
    return f"{ns:.0f} ns"


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("ours")
    ap.add_argument("pytorch")
    ap.add_argument("--filter", help="regex on our benchmark names")
    ap.add_argument("--out", help="also write the table to this file")
    ap.add_argument("--real", action="store_true", help="real (wall) times instead of cpu times")
    args = ap.parse_args(argv[1:])
    key = "real_time" if args.real else "cpu_time"
    try:
        ctx, ours = load_rows(args.ours)
        pctx, torch_rows = load_rows(args.pytorch)
    except (OSError, ValueError, KeyError) as e:
        print(f"compare_pytorch: {e}", file=sys.stderr)
        return 2
    pattern = re.compile(args.filter) if args.filter else None
    try:
        triad = float(ctx.get("nns_bandwidth_gbs", "nan"))
    except ValueError:
        triad = float("nan")

    lines = []
    lines.append(f"nnsimd: {ctx.get('nns_cpu_brand', '?')} ({ctx.get('nns_cpu_id', '?')}), "
                 f"one-core triad {ctx.get('nns_bandwidth_gbs', '?')} GB/s "
                 f"({ctx.get('nns_bandwidth_method', '?')}); "
                 f"PyTorch {pctx.get('torch_version', '?')} ({pctx.get('torch_cpu_capability', '?')}), "
                 f"{pctx.get('torch_num_threads', '?')} thread; {'real' if args.real else 'cpu'} times, "
                 "medians.")
    lines.append("")
    header = ["kernel", "shape", "ISA", "time/call", "GB/s", "GFLOP/s", "% of triad",
              "of roofline", "vs scalar", "PyTorch time", "PyTorch GB/s", "ratio (PyTorch/ours)"]
    lines.append("| " + " | ".join(header) + " |")
    lines.append("|" + "|".join(["---"] * 3 + ["---:"] * (len(header) - 3)) + "|")

    def sort_key(name):
        kernel, isa, shape = name.split("/")[:3]
        order = {"scalar": 0, "avx2": 1, "avx512": 2, "neon": 3}
        return (kernel, shape, order.get(isa, 9), isa)

    for name in sorted(ours, key=sort_key):
        parts = name.split("/")
        if len(parts) < 3 or (pattern and not pattern.search(name)):
            continue
        kernel, isa, shape = parts[:3]
        if isa == "pytorch":
            continue
        b = ours[name]
        t = torch_rows.get(f"{kernel}/pytorch/{shape}")
        cells = [kernel, shape, isa]
        if b.get("error_occurred"):
            msg = b.get("error_message", "error")
            cells += ["-", "-", "-", "-", "-", "-"]
            if t:
                cells += [fmt_time(to_ns(t, key)), "-", f"- ({msg})"]
            else:
                cells += ["-", "-", f"- ({msg})"]
            lines.append("| " + " | ".join(cells) + " |")
            continue
        ns = to_ns(b, key)
        # bytes and flops counters are per cpu second: per call = rate x cpu time
        cpu_s = to_ns(b, "cpu_time") * 1e-9
        bytes_call = b.get("bytes", 0.0) * cpu_s
        flops_call = b.get("flops", 0.0) * cpu_s
        gbs = bytes_call / ns
        gflops = flops_call / ns
        frac = b.get("frac_peak")
        sc = ours.get(f"{kernel}/scalar/{shape}")
        speedup = "-"
        if sc and not sc.get("error_occurred") and isa != "scalar":
            speedup = f"{to_ns(sc, key) / ns:.1f}x"
        cells += [fmt_time(ns), f"{gbs:.2f}", f"{gflops:.2f}" if flops_call else "-",
                  f"{100 * gbs / triad:.0f}%" if triad == triad and triad > 0 else "-",
                  f"{frac:.2f}" if frac is not None else "-", speedup]
        if t:
            tns = to_ns(t, key)
            cells += [fmt_time(tns), f"{bytes_call / tns:.2f}", f"{tns / ns:.2f}x"]
        else:
            cells += ["-", "-", "-"]
        lines.append("| " + " | ".join(cells) + " |")

    labels = {n: r.get("label", "") for n, r in torch_rows.items() if r.get("label")}
    if labels:
        lines.append("")
        lines.append("PyTorch's operation per row (the fastest of its alternatives where several are listed):")
        lines.append("")
        for n in sorted(labels):
            cand = torch_rows[n].get("candidates")
            extra = ""
            if cand:
                extra = "; alternatives: " + ", ".join(f"{k} {fmt_time(v)}" for k, v in cand.items()
                                                      if k != labels[n])
            lines.append(f"- `{n}`: {labels[n]}{extra}")
    text = "\n".join(lines)
    print(text)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
