#!/usr/bin/env python3
"""The linear layer's table against OpenBLAS, per shape and ISA: our
GFLOP/s and fraction of the FMA peak (from the Google Benchmark run's
medians; for the backward's parts, din and dweight, from the first paired
run), the paired runs' median ratios with their quartiles (OpenBLAS time
/ ours: > 1, we are faster), and the ratio of the Google Benchmark
medians. Prints markdown.

usage: tools/linear_table.py --isa ISA:PEAK:BENCH.json:PAIRED.json[,PAIRED.json...] ...
  ISA       our variant's name in the benchmark names (avx512, avx2)
  PEAK      its FMA peak in GFLOP/s (the probe's), for the fraction
  BENCH     nnsimd-bench JSON with linear_{fwd,bwd}/ISA/... and
            linear_{fwd,bwd}/openblas/... (aggregates: the medians)
  PAIRED    nnsimd-vs-openblas --parts --json files of that ISA, in order
Standard library only."""
import argparse
import json
import re
import sys

NAME = re.compile(r"^(linear_(?:fwd|bwd|bwd_din|bwd_dweight))/N(\d+)_C(\d+)_O(\d+)$")


def label(name):
    m = NAME.match(name)
    if not m:
        return name
    kind = {"linear_fwd": "fwd", "linear_bwd": "bwd", "linear_bwd_din": "bwd din",
            "linear_bwd_dweight": "bwd dweight"}[m.group(1)]
    n, c, o = m.group(2), m.group(3), m.group(4)
    return f"{kind} {n}^3" if n == c == o else f"{kind} N{n} {c}->{o}"


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        sys.exit(f"linear_table: {path}: {e}")


def medians(bench, isa):
    """shape -> (our median seconds, our GFLOP/s, OpenBLAS median seconds)."""
    runs = {}
    for b in bench.get("benchmarks", []):
        name = b.get("name", "")
        if not name.endswith("_median"):
            continue
        parts = name[: -len("_median")].split("/")
        if len(parts) != 3 or parts[1] not in (isa, "openblas"):
            continue
        runs.setdefault(parts[0] + "/" + parts[2], {})[parts[1]] = b
    out = {}
    for shape, sides in runs.items():
        if isa in sides and "openblas" in sides:
            ours, ob = sides[isa], sides["openblas"]
            out[shape] = (ours["real_time"], ours.get("flops", 0) / 1e9, ob["real_time"])
    return out


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--isa", action="append", required=True, metavar="ISA:PEAK:BENCH:PAIRED,...")
    a = ap.parse_args(argv[1:])
    columns, order = [], []
    for spec in a.isa:
        try:
            isa, peak, bench, paired = spec.split(":", 3)
            peak = float(peak)
        except ValueError:
            sys.exit(f"linear_table: --isa {spec}: expected ISA:PEAK:BENCH.json:PAIRED.json,...")
        docs = [load(p) for p in paired.split(",")]
        ratios = {}
        for d in docs:
            for r in d["results"]:
                ratios.setdefault(r["name"], []).append(r)
                if r["name"] not in order:
                    order.append(r["name"])
        cores = {d.get("openblas_corename", "?") for d in docs}
        columns.append((isa, peak, medians(load(bench), isa), ratios, "/".join(sorted(cores))))
    head = ["shape"]
    for isa, peak, _, _, core in columns:
        head += [f"{isa} GFLOP/s (of {peak:.0f} peak)",
                 f"vs OpenBLAS {core}, paired: run 1, run 2, ... (quartiles)",
                 "Google Benchmark ratio"]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for name in order:
        row = [label(name)]
        for isa, peak, med, ratios, _ in columns:
            runs = ratios.get(name, [])
            if name in med:
                t, rate, t_ob = med[name]
                row += [f"{rate:.0f} ({rate / peak:.2f})"]
                gb = f"{t_ob / t:.2f}"
            elif runs:
                rate = runs[0]["ours_gflops"]
                row += [f"{rate:.0f} ({rate / peak:.2f}), paired run"]
                gb = "-"
            else:
                row += ["-"]
                gb = "-"
            row += [", ".join(f"{r['ratio_median']:.2f} ({r['ratio_q1']:.2f}-{r['ratio_q3']:.2f})"
                              for r in runs) or "-", gb]
        print("| " + " | ".join(row) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
