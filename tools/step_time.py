#!/usr/bin/env python3
"""Median training-step time from `nnsimd train ... --log FILE` JSON lines:
the differences of time_s between consecutive step lines (an epoch's
evaluation falls between two steps of different epochs and is left out),
after --skip warm-up steps. Prints the median, the quartiles and the count.

usage: tools/step_time.py LOG [--skip N] [--json]
Standard library only."""
import argparse
import json
import statistics
import sys


def step_times(path, skip):
    steps = []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            try:
                d = json.loads(line)
            except ValueError:
                sys.exit(f"step_time: {path}:{n}: not JSON")
            if "step" in d and "time_s" in d:
                steps.append((d["step"], d.get("epoch"), d["time_s"]))
    deltas = [b[2] - a[2] for a, b in zip(steps, steps[1:]) if b[0] == a[0] + 1 and b[1] == a[1]]
    return deltas[skip:]


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("log")
    ap.add_argument("--skip", type=int, default=5, help="warm-up steps left out (default 5)")
    ap.add_argument("--json", action="store_true", help="one JSON object instead of text")
    a = ap.parse_args(argv[1:])
    d = step_times(a.log, a.skip)
    if len(d) < 3:
        sys.exit(f"step_time: {a.log}: {len(d)} timed steps, need at least 3")
    q = statistics.quantiles(d, n=4)
    out = {"log": a.log, "steps": len(d), "median_ms": 1e3 * statistics.median(d),
           "q1_ms": 1e3 * q[0], "q3_ms": 1e3 * q[2]}
    if a.json:
        print(json.dumps(out))
    else:
        print(f"{a.log}: median {out['median_ms']:.2f} ms a step (quartiles {out['q1_ms']:.2f}-"
              f"{out['q3_ms']:.2f}) over {len(d)} steps")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
