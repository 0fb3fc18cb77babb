#!/usr/bin/python3
"""PyTorch side-by-side benchmarks: the PyTorch equivalent of each nnsimd
kernel on the same shapes, named as nnsimd-bench names its rows with
`pytorch` in the ISA slot (adam_step/pytorch/N16777216), written as Google
Benchmark-style JSON so tools/compare_pytorch.py, tools/bench_summary.py
and Google Benchmark's compare.py can read it. Run it with Debian's own
python3, where python3-torch (PyTorch 1.13) lives, in the same session as
nnsimd-bench:

    /usr/bin/python3 tools/pytorch_bench/run.py [--filter REGEX] [--out FILE]
        [--repetitions 5] [--min-time 0.5] [--list]

One core, PyTorch at its best as tools/pytorch_env.py sets it up before
torch is imported: one thread for OpenMP and OpenBLAS, OPENBLAS_CORETYPE=
SkylakeX on a CPU with AVX-512 (one already in the environment is kept),
and glibc's malloc keeping freed memory (GLIBC_TUNABLES; --default-malloc
leaves glibc's defaults); then torch.set_num_threads(1).

The benchmarks come from the modules tools/pytorch_bench/fam_<family>.py,
each exposing `benchmarks()` -> a list of (name, setup) or (name, setup,
label) tuples: `setup()` allocates and fills the tensors (outside the
timing) and returns a zero-argument callable, one call of the operation.
Several entries with the same name are alternative ways PyTorch offers to
do the same thing; each is timed and the fastest is reported (PyTorch at
its best), its label in the row's `label`, every candidate's median in
`candidates`.

Timing: time.perf_counter (real) and time.process_time (cpu) around a
batch of calls after a warm-up; the batch is sized so that it lasts at
least --min-time seconds (Google Benchmark's rule); --repetitions batches;
the reported real_time and cpu_time per call are the medians over the
repetitions. Each row: name, run_name, run_type "iteration", repetitions,
real_time, cpu_time, time_unit "ns", iterations (calls per batch)."""
import argparse
import datetime
import importlib
import json
import os
import pathlib
import platform
import re
import statistics
import sys
import time

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
import pytorch_env  # noqa: E402  (tools/pytorch_env.py)


def cpu_brand():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def load_benchmarks(pattern):
    """(name, setup, label) of every fam_*.py module, filtered by regex."""
    sys.path.insert(0, str(HERE))
    out = []
    for path in sorted(HERE.glob("fam_*.py")):
        mod = importlib.import_module(path.stem)
        for entry in mod.benchmarks():
            name, setup = entry[0], entry[1]
            label = entry[2] if len(entry) > 2 else ""
            if pattern is None or pattern.search(name):
                out.append((name, setup, label))
    return out


def time_batch(fn, iters):
    r0, c0 = time.perf_counter(), time.process_time()
    for _ in range(iters):
        fn()
    return time.perf_counter() - r0, time.process_time() - c0


def measure(fn, repetitions, min_time):
    """(median real s/call, median cpu s/call, calls per batch)."""
    # Warm-up: first calls allocate state (optimizer moments, autograd
    # buffers) and bring the operands into the caches a repeated call sees.
    for _ in range(3):
        fn()
    iters = 1
    while True:
        real, _ = time_batch(fn, iters)
        if real >= min_time or iters >= 1 << 30:
            break
        # Google Benchmark's growth rule: aim at 1.4x min_time, at most 10x.
        factor = 10.0 if real <= 0 else min(10.0, max(1.4 * min_time / real, 1.0) + 0.01)
        iters = max(iters + 1, int(iters * factor))
    reals, cpus = [], []
    for _ in range(repetitions):
        real, cpu = time_batch(fn, iters)
        reals.append(real / iters)
        cpus.append(cpu / iters)
    return statistics.median(reals), statistics.median(cpus), iters


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--filter", help="regex on the benchmark name (re.search), as --benchmark_filter")
    ap.add_argument("--out", help="write the JSON here (default: stdout only the table)")
    ap.add_argument("--repetitions", type=int, default=5)
    ap.add_argument("--min-time", type=float, default=0.5, help="seconds per repetition, at least")
    ap.add_argument("--list", action="store_true", help="list the benchmark names and exit")
    pytorch_env.add_arguments(ap)
    args = ap.parse_args(argv[1:])

    pytorch_env.configure(1, args.default_malloc)
    import torch  # after the environment is set

    torch.set_num_threads(1)
    pattern = re.compile(args.filter) if args.filter else None
    entries = load_benchmarks(pattern)
    if args.list:
        for name in dict.fromkeys(n for n, _, _ in entries):
            print(name)
        return 0
    if not entries:
        print("run.py: no benchmark matches", file=sys.stderr)
        return 2

    config = torch.__config__.show()
    capability = re.search(r"CPU capability usage: (\S+)", config)
    context = {
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "host_name": platform.node(),
        "executable": " ".join([sys.executable] + argv),
        "num_cpus": os.cpu_count(),
        "library_build_type": "release",
        "nns_baseline": "pytorch",
        "nns_cpu_brand": cpu_brand(),
        "torch_version": torch.__version__,
        "torch_cpu_capability": capability.group(1) if capability else "?",
        "torch_num_threads": str(torch.get_num_threads()),
        "python_version": platform.python_version(),
        **pytorch_env.describe(),
        "nns_time": "perf_counter (real) and process_time (cpu) per call, median of repetitions",
    }

    # Time every candidate; keep the fastest per name (by cpu time, as
    # nnsimd-bench's rates are per cpu second).
    results = {}
    for name, setup, label in entries:
        fn = setup()
        real, cpu, iters = measure(fn, args.repetitions, args.min_time)
        del fn
        print(f"{name:48s} {cpu * 1e9:14.0f} ns cpu {real * 1e9:14.0f} ns real  {label}", flush=True)
        cand = results.setdefault(name, {"candidates": {}, "best": None})
        cand["candidates"][label or name] = cpu * 1e9
        if cand["best"] is None or cpu < cand["best"][1]:
            cand["best"] = (real, cpu, iters, label)

    rows = []
    for name, r in results.items():
        real, cpu, iters, label = r["best"]
        row = {
            "name": name,
            "run_name": name,
            "run_type": "iteration",
            "repetitions": args.repetitions,
            "repetition_index": 0,
            "threads": 1,
            "iterations": iters,
            "real_time": real * 1e9,
            "cpu_time": cpu * 1e9,
            "time_unit": "ns",
            "label": label,
        }
        if len(r["candidates"]) > 1:
            row["candidates"] = r["candidates"]
        rows.append(row)
    doc = {"context": context, "benchmarks": rows}
    if args.out:
        pathlib.Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        with open(args.out, "w") as f:
            json.dump(doc, f, indent=2)
            f.write("\n")
        print(f"written: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
