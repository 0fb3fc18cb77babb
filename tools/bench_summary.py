#!/usr/bin/env python3
"""Prints a table from nnsimd-bench JSON: per benchmark the rate (GFLOP/s
and GB/s), the speed-up over the scalar variant of the same kernel and
shape, and the fraction of the roofline (measured FMA peak or one-core
bandwidth, whichever bounds the call). Error rows (ISA missing) are listed
with their message. Standard library only.

usage: tools/bench_summary.py BENCH.json [--markdown]
"""
import json
import sys


def main(argv):
    if len(argv) < 2 or argv[1] in ("-h", "--help"):
        print(__doc__.strip())
        return 0 if len(argv) >= 2 else 2
    path, markdown = argv[1], "--markdown" in argv[2:]
    try:
        with open(path) as f:
            doc = json.load(f)
    except (OSError, ValueError) as e:
        print(f"bench_summary: {path}: {e}", file=sys.stderr)
        return 2
    rows = [b for b in doc.get("benchmarks", []) if b.get("run_type", "iteration") == "iteration"
            or b.get("aggregate_name") == "median"]
    # With repetitions, keep the medians only.
    if any(b.get("aggregate_name") == "median" for b in rows):
        rows = [b for b in rows if b.get("aggregate_name") == "median"]
    by_name = {b["run_name"] if "run_name" in b else b["name"]: b for b in rows}

    def key(name):
        kernel, isa, shape = name.split("/")[:3]
        return kernel, isa, shape

    ctx = doc.get("context", {})
    header = ["benchmark", "time/call", "GFLOP/s", "GB/s", "vs scalar", "of roofline", "bound"]
    lines = []
    for name, b in by_name.items():
        kernel, isa, shape = key(name)
        if b.get("error_occurred"):
            lines.append([name, "-", "-", "-", "-", "-", b.get("error_message", "error")])
            continue
        t = b["cpu_time"]
        unit = b.get("time_unit", "ns")
        scalar = by_name.get(f"{kernel}/scalar/{shape}")
        speedup = "-"
        if scalar and not scalar.get("error_occurred") and isa != "scalar":
            speedup = f"{scalar['cpu_time'] / t:.2f}x"
        frac = b.get("frac_peak")
        lines.append([name, f"{t:.4g} {unit}", f"{b.get('flops', 0) / 1e9:.2f}",
                      f"{b.get('bytes', 0) / 1e9:.2f}", speedup,
                      f"{frac:.2f}" if frac is not None else "-", b.get("label", "")])
    print(f"cpu {ctx.get('nns_cpu_id', '?')}: peak scalar {ctx.get('nns_peak_gflops_scalar', '?')}, "
          f"avx2 {ctx.get('nns_peak_gflops_avx2', '-')}, avx512 {ctx.get('nns_peak_gflops_avx512', '-')}, "
          f"neon {ctx.get('nns_peak_gflops_neon', '-')} GFLOP/s; bandwidth {ctx.get('nns_bandwidth_gbs', '?')} GB/s")
    if markdown:
        print("| " + " | ".join(header) + " |")
        print("|" + "---|" * len(header))
        for l in lines:
            print("| " + " | ".join(l) + " |")
    else:
        widths = [max(len(r[i]) for r in [header] + lines) for i in range(len(header))]
        for r in [header] + lines:
            print("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
