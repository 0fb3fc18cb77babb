#!/usr/bin/env python3
"""Where the linear layer's time goes, ours beside OpenBLAS's: runs
nnsimd-vs-openblas on one shape under `perf record -e cpu-clock` (both
sides alternate in the one process) and splits each side's samples into
the products (the GEMM microkernels), the packing of the operands, and
the rest of the call (bias, activation derivative, dbias, loop control).
Prints a markdown row per side: GFLOP/s, the three shares, and the rate
the products alone run at (the call's rate over the products' share).

usage: tools/profile_linear.py [--tool PATH] [--isa ISA] [--rounds N] NAME...
  NAME  a shape of nnsimd-vs-openblas --parts, e.g. linear_bwd/N128_C784_O512,
        linear_bwd_dweight/N128_C784_O512 or linear_fwd/N1024_C1024_O1024
OpenBLAS picks its kernels from OPENBLAS_CORETYPE when it loads: set it
(and OPENBLAS_NUM_THREADS=1) in the environment. Needs perf. Samples
outside either side's call (the setup, the timing loop) are left out.
Standard library only."""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

# Symbol -> part of a call. Ours: kernels/generic/gemm.h (pack_a and the
# pack_b family are functions of their own, never inlined into gemm);
# OpenBLAS: sgemm_kernel_<core> and sgemm_{i,o}{t,n}copy_<core>.
PARTS = [
    ("products", re.compile(r"^(micro_|sgemm_kernel|sgemm_small_kernel)")),
    ("packing", re.compile(r"^(pack_|sgemm_[io][tn]copy)")),
]
# Our library's entry points and what they call, by name.
OURS = re.compile(r"^(micro_|pack_|gemm$|nns_linear_|nns_sum_rows)")
LINE = re.compile(r"^\s*([\d.]+)%\s+(\S+)\s+\[[.k]\]\s+(\S+)")


def side_and_part(dso, sym):
    """('ours' | 'openblas', part) of a sample, or None outside both calls."""
    if dso.startswith("libopenblas"):
        side = "openblas"
    elif dso.startswith("nnsimd") or dso.startswith("libnnsimd"):
        if not OURS.match(sym):
            return None
        side = "ours"
    else:
        return None
    for name, pattern in PARTS:
        if pattern.match(sym):
            return side, name
    return side, "rest"


def profile(tool, isa, rounds, name):
    with tempfile.TemporaryDirectory() as tmp:
        data, out = os.path.join(tmp, "perf.data"), os.path.join(tmp, "ratio.json")
        cmd = ["perf", "record", "-q", "-e", "cpu-clock", "-o", data, tool, "--isa", isa,
               "--parts", "--rounds", str(rounds), "--filter", name, "--json", out]
        r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if r.returncode != 0:
            sys.exit(f"profile_linear: {' '.join(cmd)} failed:\n{r.stderr.strip()}")
        with open(out) as f:
            doc = json.load(f)
        results = [x for x in doc["results"] if x["name"] == name]
        if not results:
            sys.exit(f"profile_linear: {name}: no such shape (see nnsimd-vs-openblas --parts)")
        report = subprocess.run(
            ["perf", "report", "-i", data, "--stdio", "--sort", "dso,sym", "--no-children",
             "--percent-limit", "0", "-F", "overhead,dso,sym"],
            capture_output=True, text=True, check=True).stdout
    shares = {s: {"products": 0.0, "packing": 0.0, "rest": 0.0} for s in ("ours", "openblas")}
    for line in report.splitlines():
        m = LINE.match(line)
        where = m and side_and_part(m.group(2), m.group(3))
        if where:
            shares[where[0]][where[1]] += float(m.group(1))
    return doc, results[0], shares


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("names", nargs="+", metavar="NAME")
    ap.add_argument("--tool", default="build/nnsimd-vs-openblas", help="the paired-rounds binary")
    ap.add_argument("--isa", default="avx512", help="our variant (default avx512)")
    ap.add_argument("--rounds", type=int, default=31, help="rounds of 30 ms a side (default 31)")
    a = ap.parse_args(argv[1:])
    if not os.access(a.tool, os.X_OK):
        sys.exit(f"profile_linear: {a.tool}: not an executable (run make first)")
    print("| shape | side | GFLOP/s | products | packing | rest of the call | products alone, GFLOP/s |")
    print("|---|---|---|---|---|---|---|")
    for name in a.names:
        doc, res, shares = profile(a.tool, a.isa, a.rounds, name)
        for side, label in (("ours", a.isa), ("openblas", "OpenBLAS " + doc["openblas_corename"])):
            s = shares[side]
            total = sum(s.values())
            if total == 0:
                sys.exit(f"profile_linear: {name}: no samples in the {side} call")
            rate = res[side + "_gflops"]
            prod = s["products"] / total
            alone = f"{rate / prod:.1f}" if prod else "-"
            print(f"| {name} | {label} | {rate:.1f} | {prod:.3f} | {s['packing'] / total:.3f} | "
                  f"{s['rest'] / total:.3f} | {alone} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
