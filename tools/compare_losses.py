#!/usr/bin/env python3
"""Compares per-step losses of training logs (JSON lines from --log) with a
reference log: the worst relative difference over the first 10 steps and
over all common steps, against the bounds, as a markdown table.

usage: tools/compare_losses.py REF.jsonl NAME=OTHER.jsonl... [--b10 1e-5] [--ball 1e-3] [--upto 100]
(--upto: the steps the second bound covers; later steps diverge, as any
two float evaluations of a chaotic training trajectory do)
Exit status 1 if a bound is exceeded."""
import json
import sys


def steps(path):
    with open(path) as f:
        return [json.loads(l)["loss"] for l in f if '"step"' in l]


def main(argv):
    if len(argv) < 3 or "-h" in argv or "--help" in argv:
        print(__doc__)
        return 0 if len(argv) >= 2 else 2
    b10, ball, upto, args = 1e-5, 1e-3, 100, []
    i = 1
    while i < len(argv):
        if argv[i] in ("--b10", "--ball", "--upto"):
            if argv[i] == "--b10":
                b10 = float(argv[i + 1])
            elif argv[i] == "--ball":
                ball = float(argv[i + 1])
            else:
                upto = int(argv[i + 1])
            i += 2
        else:
            args.append(argv[i])
            i += 1
    ref = steps(args[0].split("=", 1)[-1])
    ok = True
    print(f"| run | steps compared | worst relative difference, steps 1-10 (bound {b10:g}) "
          f"| worst, steps 1-{upto} (bound {ball:g}) | within |")
    print("|---|---|---|---|---|")
    for spec in args[1:]:
        name, path = spec.split("=", 1)
        other = steps(path)
        n = min(len(ref), len(other), upto)
        rel = [abs(a - b) / abs(a) for a, b in zip(ref[:n], other[:n])]
        w10, wall = max(rel[:10], default=0), max(rel, default=0)
        good = w10 <= b10 and wall <= ball
        ok &= good
        print(f"| {name} | {n} | {w10:.2e} | {wall:.2e} | {'yes' if good else 'NO'} |")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
