#!/usr/bin/python3
"""nnsimd report: tables and PNG figures from result folders, nothing re-run.

usage: tools/report.py DIR [DIR2] [--out OUTDIR]
       (normally through `nnsimd report`, which finds this script and
       Debian's python3)

One folder: OUTDIR/report.md (default DIR/report.md) and PNG figures beside
it, from every file found under DIR (recursively):

  nnsimd-bench JSON (Google Benchmark; `context` with nns_peak_gflops_<isa>,
      nns_bandwidth_gbs; rows <kernel>/<isa>/<shape> with the rate counters
      flops and bytes and frac_peak): a roofline per ISA, speed-up of each
      ISA over scalar, ratios to OpenBLAS (<kernel>/openblas/<shape> rows);
  tools/pytorch_bench/run.py JSON (`pytorch` in the ISA slot): ratios to
      PyTorch;
  `nnsimd verify --json`: worst error as a fraction of the bound, per kernel
      and ISA (skipped ISAs listed as skipped). Runs under qemu (a folder
      named emulated/, a file name with qemu in it, or a cpu_id other than
      this folder's) are shown as correctness only, never as speeds;
  training logs (--log JSON lines: {"step","loss",...} and
      {"epoch","test_acc",...}; PyTorch's {"step","loss"} lines): loss vs
      step and accuracy vs epoch, one figure per model;
  *agreement*.md: embedded as they are.

Where several files hold the same benchmark, the row with repetitions
(a median) wins, then the newest run. Times are cpu times (nnsimd-bench's
rates are per cpu second). Benchmark JSON under an emulated/ folder is
never used.

Two folders: a side-by-side comparison, OUTDIR/report.md (default
DIR/compare-<name of DIR2>/): the machines, the time ratio of every
benchmark present in both, the best ISA of each folder per kernel and
shape, Google Benchmark's compare.py on the pair (from libbenchmark-tools;
needs python3-scipy), verification and training side by side.

Needs python3-matplotlib; standard library otherwise."""
import argparse
import datetime
import json
import math
import os
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ISA_ORDER = ["scalar", "avx2", "avx512", "neon"]
BASELINES = ["openblas", "pytorch"]
APT = "apt-get install -y python3-matplotlib python3-scipy libbenchmark-tools"
DPI = 100


def die(msg, code=2):
    print(f"nnsimd report: {msg}", file=sys.stderr)
    sys.exit(code)


def load_pyplot():
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        die(f"{sys.executable} has no matplotlib; as root: {APT} "
            f"(Debian's /usr/bin/python3; NNSIMD_PYTHON picks another)")
    return plt


# ---------------------------------------------------------------- helpers

def isa_key(isa):
    if isa in ISA_ORDER:
        return (0, ISA_ORDER.index(isa), isa)
    if isa in BASELINES:
        return (2, BASELINES.index(isa), isa)
    return (1, 0, isa)


def num(s):
    """A float from a context string ("101.00"), None if not a number."""
    try:
        v = float(s)
        return v if math.isfinite(v) else None
    except (TypeError, ValueError):
        return None


def to_ns(b, key="cpu_time"):
    scale = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}.get(b.get("time_unit", "ns"), 1.0)
    return float(b.get(key, 0.0)) * scale


def fmt_ns(ns):
    if ns is None:
        return "-"
    if ns >= 1e9:
        return f"{ns / 1e9:.3g} s"
    if ns >= 1e6:
        return f"{ns / 1e6:.3g} ms"
    if ns >= 1e3:
        return f"{ns / 1e3:.3g} us"
    return f"{ns:.3g} ns"


def fmt_x(r):
    if r is None:
        return "-"
    return f"{r:.3g}x" if r < 100 else f"{r:.0f}x"


def md(s):
    return str(s).replace("|", "\\|").replace("\n", " ")


def table(header, rows):
    out = ["| " + " | ".join(md(h) for h in header) + " |",
           "|" + "---|" * len(header)]
    out += ["| " + " | ".join(md(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def details(summary, body):
    return f"<details><summary>{summary}</summary>\n\n{body}\n\n</details>"


def geomean(xs):
    xs = [x for x in xs if x and x > 0]
    return math.exp(sum(math.log(x) for x in xs) / len(xs)) if xs else None


def split_name(name):
    """kernel, isa, shape of <kernel>/<isa>/<shape>[/modifier:...]."""
    parts = [p for p in name.split("/") if ":" not in p]
    while len(parts) < 3:
        parts.append("")
    return parts[0], parts[1], "/".join(parts[2:])


def slug(s):
    return re.sub(r"[^A-Za-z0-9._-]+", "-", s).strip("-") or "x"


def demote(text, levels=2):
    """Markdown headings pushed down `levels` levels, so an embedded file
    sits under the report's own headings."""
    out, fence = [], False
    for line in text.splitlines():
        if line.lstrip().startswith("```"):
            fence = not fence
        if not fence and re.match(r"#{1,6} ", line):
            line = "#" * levels + line
        out.append(line)
    return "\n".join(out)


# ---------------------------------------------------------------- loading

class Row:
    """One benchmark: the chosen measurement of a run_name in one file."""

    def __init__(self, name, b, src, ctx, reps, error=None):
        self.name = name
        self.kernel, self.isa, self.shape = split_name(name)
        self.src, self.ctx, self.reps, self.error = src, ctx, reps, error
        self.raw = b
        self.cpu_ns = to_ns(b) if b and not error else None
        self.real_ns = to_ns(b, "real_time") if b and not error else None
        self.flops = b.get("flops") if b else None  # rates: per second
        self.bytes = b.get("bytes") if b else None
        self.frac = b.get("frac_peak") if b else None
        self.label = (b or {}).get("label", "")
        self.date = ctx.get("date", "")

    def priority(self):
        return (self.error is None, self.reps > 1, self.date)


def bench_rows(doc, src):
    """run_name -> Row for one Google Benchmark JSON: the median aggregate
    where there are repetitions, else the median iteration row."""
    ctx = doc.get("context", {}) or {}
    groups = {}
    for b in doc.get("benchmarks", []):
        if not isinstance(b, dict) or "name" not in b:
            continue
        groups.setdefault(b.get("run_name") or b["name"], []).append(b)
    out = {}
    for name, bs in groups.items():
        ok = [b for b in bs if not b.get("error_occurred")]
        med = [b for b in ok if b.get("aggregate_name") == "median"]
        its = [b for b in ok if b.get("run_type", "iteration") == "iteration"]
        if med:
            out[name] = Row(name, med[0], src, ctx, int(med[0].get("repetitions", 2) or 2))
        elif its:
            its.sort(key=lambda b: to_ns(b))
            pick = its[len(its) // 2]
            out[name] = Row(name, pick, src, ctx, max(len(its), int(pick.get("repetitions", 1) or 1)))
        elif ok:  # aggregates without a median: the mean
            mean = [b for b in ok if b.get("aggregate_name") == "mean"]
            if mean:
                out[name] = Row(name, mean[0], src, ctx, int(mean[0].get("repetitions", 2) or 2))
        else:
            err = bs[0].get("error_message", "error")
            out[name] = Row(name, bs[0], src, ctx, 1, error=err)
    return out


class TrainLog:
    def __init__(self, rel, lines):
        self.rel = rel
        self.steps = [(d["step"], d["loss"]) for d in lines
                      if "step" in d and isinstance(d.get("loss"), (int, float))]
        self.epochs = [d for d in lines if "epoch" in d and "step" not in d]
        self.meta = [d for d in lines if "step" not in d and "epoch" not in d]
        name = rel.lower()
        self.pytorch = "pytorch" in name or "torch" in name or any("torch" in d for d in self.meta)
        self.time_s = max((d.get("time_s", 0) for d in lines if "step" in d), default=0) or \
            sum(d.get("epoch_time_s", 0) for d in self.epochs)
        low = rel.lower()
        if "transformer" in low or "imdb" in low:
            self.model = "transformer"
        elif "mlp" in low or "mnist" in low:
            self.model = "mlp"
        else:
            self.model = str(Path(rel).parent) if str(Path(rel).parent) != "." else "training"

    def accuracy(self):
        """(epoch, accuracy) pairs: test_acc, else another *acc* key."""
        out = []
        for d in self.epochs:
            keys = ["test_acc"] + sorted(k for k in d if "acc" in k and k != "test_acc")
            for k in keys:
                if isinstance(d.get(k), (int, float)):
                    out.append((d["epoch"], d[k], k))
                    break
        return out

    def label(self):
        stem = self.rel[:-len(".jsonl")] if self.rel.endswith(".jsonl") else self.rel
        return stem + (" (PyTorch)" if self.pytorch and "pytorch" not in stem.lower() else "")


class Folder:
    def __init__(self, root):
        self.root = Path(root)
        self.rows = {}            # run_name -> Row (merged over files)
        self.bench_files = []     # (rel, context, nrows, pytorch?)
        self.ignored = []         # (rel, why)
        self.verify_native = []   # (rel, doc)
        self.verify_emulated = []
        self.emulated_notes = []  # (rel, text)
        self.info = []            # (rel, doc)
        self.logs = []            # TrainLog
        self.agreement = []       # (rel, text)
        self.paired = []          # (rel, doc): nnsimd-vs-openblas --json
        self.threads = []         # (rel, doc): nnsimd-mlp-threads --json
        self.load()

    def rel(self, p):
        return str(p.relative_to(self.root))

    def load(self):
        files = []
        for dirpath, dirnames, filenames in os.walk(self.root):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            for f in sorted(filenames):
                files.append(Path(dirpath) / f)
        verify = []
        for p in files:
            rel = self.rel(p)
            emulated = "emulated" in p.relative_to(self.root).parts[:-1] or "qemu" in p.name.lower()
            if p.suffix == ".json":
                try:
                    doc = json.loads(p.read_text())
                except (OSError, ValueError) as e:
                    self.ignored.append((rel, f"unreadable: {e}"))
                    continue
                if not isinstance(doc, dict):
                    self.ignored.append((rel, "not a JSON object"))
                elif isinstance(doc.get("benchmarks"), list):
                    if emulated:
                        self.ignored.append((rel, "benchmarks under emulation: never shown as speeds"))
                        continue
                    rows = bench_rows(doc, rel)
                    ctx = doc.get("context", {}) or {}
                    pyt = ctx.get("nns_baseline") == "pytorch" or any(
                        r.isa == "pytorch" for r in rows.values())
                    self.bench_files.append((rel, ctx, len(rows), pyt))
                    for name, r in rows.items():
                        # OpenBLAS runs with other cores (OPENBLAS_CORETYPE,
                        # its label) are kept side by side.
                        if r.isa == "openblas" and r.label:
                            name = f"{name}@{r.label}"
                        old = self.rows.get(name)
                        if old is None or r.priority() >= old.priority():
                            self.rows[name] = r
                elif isinstance(doc.get("results"), list) and any(
                        isinstance(r, dict) and "verdict" in r for r in doc["results"]):
                    verify.append((rel, doc, emulated, p))
                elif isinstance(doc.get("results"), list) and "openblas_corename" in doc:
                    self.paired.append((rel, doc))
                elif isinstance(doc.get("speedup"), list) and "ms_one_thread" in doc:
                    self.threads.append((rel, doc))
                elif "isa_supported" in doc and "features" in doc:
                    self.info.append((rel, doc))
                else:
                    self.ignored.append((rel, "not a result this report reads"))
            elif p.suffix == ".jsonl":
                lines = []
                try:
                    for line in p.read_text().splitlines():
                        line = line.strip()
                        if line.startswith("{"):
                            try:
                                d = json.loads(line)
                            except ValueError:
                                continue
                            if isinstance(d, dict):
                                lines.append(d)
                except OSError as e:
                    self.ignored.append((rel, f"unreadable: {e}"))
                    continue
                log = TrainLog(rel, lines)
                if log.steps or log.epochs:
                    self.logs.append(log)
                else:
                    self.ignored.append((rel, "no step or epoch lines"))
            elif p.suffix == ".md" and "agreement" in p.name.lower():
                self.agreement.append((rel, p.read_text()))
            elif p.name == "README.md" and "emulated" in p.relative_to(self.root).parts[:-1]:
                self.emulated_notes.append((rel, p.read_text()))
        native_id = self.cpu_id()
        for rel, doc, emulated, p in verify:
            other_cpu = native_id and doc.get("cpu_id") and doc.get("cpu_id") != native_id
            if emulated or other_cpu:
                self.verify_emulated.append((rel, doc))
            else:
                self.verify_native.append((rel, doc, p.stat().st_mtime))

    # -- the machine
    def contexts(self):
        """Contexts of nnsimd-bench files (not PyTorch's)."""
        return [(rel, ctx) for rel, ctx, n, pyt in self.bench_files if not pyt]

    def cpu_id(self):
        for _, ctx in self.contexts():
            if ctx.get("nns_cpu_id"):
                return ctx["nns_cpu_id"]
        for _, doc in self.info:
            if doc.get("cpu_id"):
                return doc["cpu_id"]
        return None

    def brand(self):
        def text(vendor, brand, family, model):
            name = brand if vendor and brand.startswith(vendor) else f"{vendor} {brand}".strip()
            return f"{name or '?'}, family {family} model {model}"
        for _, doc in self.info:
            return text(doc.get("vendor", ""), doc.get("brand", ""), doc.get("family", "?"),
                        doc.get("model", "?"))
        for _, ctx in self.contexts():
            if ctx.get("nns_cpu_brand"):
                return text(ctx.get("nns_cpu_vendor", ""), ctx["nns_cpu_brand"],
                            ctx.get("nns_cpu_family", "?"), ctx.get("nns_cpu_model", "?"))
        return "?"

    def probe(self, key):
        """(median, [values], [non-numeric notes]) of a context key over the
        nnsimd-bench files."""
        vals, notes = [], []
        for _, ctx in self.contexts():
            if key in ctx:
                v = num(ctx[key])
                (vals.append(v) if v is not None else notes.append(str(ctx[key])))
        return (statistics.median(vals) if vals else None), vals, notes

    def peak(self, isa):
        return self.probe(f"nns_peak_gflops_{isa}")[0]

    def bandwidth(self):
        return self.probe("nns_bandwidth_gbs")[0]

    def isas(self):
        """nnsimd ISAs with at least one benchmark row (timed or error)."""
        return sorted({r.isa for r in self.rows.values() if r.isa not in BASELINES},
                      key=isa_key)

    def timed(self, isa=None):
        return [r for r in self.rows.values() if r.error is None and r.cpu_ns and
                (isa is None or r.isa == isa)]

    def time(self, kernel, isa, shape):
        r = self.rows.get(f"{kernel}/{isa}/{shape}")
        return r.cpu_ns if r and r.error is None else None

    def kernel_shapes(self, with_baselines=False):
        """(kernel, shape) in the order first seen."""
        seen = {}
        for r in self.rows.values():
            if with_baselines or r.isa not in BASELINES:
                seen.setdefault((r.kernel, r.shape), None)
        return list(seen)

    def active_isa(self):
        for _, ctx in self.contexts():
            if ctx.get("nns_isa_active"):
                return ctx["nns_isa_active"]
        return None


# ---------------------------------------------------------------- figures

class Figures:
    def __init__(self, plt, out):
        self.plt, self.out, self.written = plt, out, []

    def save(self, fig, name):
        path = self.out / name
        fig.savefig(path, dpi=DPI, bbox_inches="tight")
        self.plt.close(fig)
        self.written.append(name)
        return name


def kernel_styles(kernels):
    import matplotlib
    cmap = matplotlib.colormaps["tab20"] if hasattr(matplotlib, "colormaps") else \
        matplotlib.cm.get_cmap("tab20")
    markers = "osD^v<>pPX*h"
    return {k: (cmap(i % 20), markers[i % len(markers)]) for i, k in enumerate(kernels)}


def roofline(figs, folder, isa, rows, baseline_rows):
    plt = figs.plt
    peak, bw = folder.peak(isa), folder.bandwidth()
    pts = [(r, r.flops / r.bytes, r.flops / 1e9) for r in rows
           if r.flops and r.bytes and r.flops > 0 and r.bytes > 0]
    # a baseline row without a bytes counter (OpenBLAS counts flops only)
    # has the intensity of our row of the same kernel and shape
    ai_of = {(r.kernel, r.shape): ai for r, ai, _ in pts}
    bpts = []
    for r in baseline_rows:
        ai = r.flops / r.bytes if r.flops and r.bytes else ai_of.get((r.kernel, r.shape))
        if r.flops and r.flops > 0 and ai:
            bpts.append((r, ai, r.flops / 1e9))
    if not pts:
        return None, 0
    ais = [p[1] for p in pts + bpts]
    gfs = [p[2] for p in pts + bpts]
    ridge = peak / bw if peak and bw else None
    xlo = min(ais + ([ridge] if ridge else [])) / 4
    xhi = max(ais + ([ridge] if ridge else [])) * 4
    fig, ax = plt.subplots(figsize=(9.5, 5.8))
    xs = [xlo * (xhi / xlo) ** (i / 200) for i in range(201)]
    if bw:
        roof = [min(peak, x * bw) if peak else x * bw for x in xs]
        ax.plot(xs, roof, color="black", lw=2, zorder=1)
    if peak:
        ax.axhline(peak, color="black", lw=0.8, ls=":", zorder=0)
        what = "peak (mul+add)" if isa == "scalar" else "FMA peak"
        ax.text(xhi / 1.1, peak * 1.08, f"{isa} {what} {peak:.1f} GFLOP/s", ha="right",
                va="bottom", fontsize=9)
    bw_label = (xlo * 1.4, f"bandwidth {bw:.1f} GB/s") if bw else None
    kernels = list(dict.fromkeys(r.kernel for r, _, _ in pts))
    styles = kernel_styles(kernels)
    for k in kernels:
        color, marker = styles[k]
        kp = [(ai, gf) for r, ai, gf in pts if r.kernel == k]
        ax.scatter([p[0] for p in kp], [p[1] for p in kp], color=color, marker=marker, s=36,
                   edgecolor="black", linewidth=0.4, label=k, zorder=3)
    if bpts:
        ax.scatter([p[1] for p in bpts], [p[2] for p in bpts], marker="x", color="black", s=40,
                   label="openblas sgemm", zorder=3)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(xlo, xhi)
    top = max(gfs + ([peak] if peak else []))
    ax.set_ylim(min(gfs + ([xlo * bw * 1.4] if bw else [])) / 3, top * 2.5)
    if bw_label:  # along the slanted roof: its angle on screen
        x0, text = bw_label
        fig.canvas.draw()
        p0 = ax.transData.transform((x0, x0 * bw))
        p1 = ax.transData.transform((x0 * 2, x0 * 2 * bw))
        angle = math.degrees(math.atan2(p1[1] - p0[1], p1[0] - p0[0]))
        ax.text(x0, x0 * bw * 1.15, text, rotation=angle, rotation_mode="anchor", fontsize=9,
                ha="left", va="bottom")
    ax.set_xlabel("arithmetic intensity (flop / byte)")
    ax.set_ylabel("achieved GFLOP/s (one core)")
    ax.set_title(f"Roofline, {isa}: {folder.cpu_id() or ''}")
    ax.grid(True, which="both", alpha=0.25)
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=8, frameon=False,
              ncol=1 if len(kernels) <= 22 else 2)
    return figs.save(fig, f"roofline-{slug(isa)}.png"), len(pts)


def hbars(figs, name, title, xlabel, labels, series, ref=1.0, log=True):
    """Horizontal grouped bars: labels top to bottom, series = [(name,
    [value or None])]."""
    plt = figs.plt
    n, m = len(labels), len(series)
    if not n or not m:
        return None
    h = 0.8 / m
    fig, ax = plt.subplots(figsize=(9, 1.2 + 0.19 * n * max(1, m * 0.75)))
    colors = {"scalar": "#999999", "avx2": "#1f77b4", "avx512": "#d62728", "neon": "#2ca02c"}
    for j, (sname, vals) in enumerate(series):
        ys = [i + (j - (m - 1) / 2) * h for i in range(n)]
        pairs = [(y, v) for y, v in zip(ys, vals) if v is not None and v > 0]
        if pairs:
            ax.barh([p[0] for p in pairs], [p[1] for p in pairs], height=h,
                    color=colors.get(sname), label=sname or None)
            if n * m <= 120:
                for y, v in pairs:
                    ax.text(v, y, f" {fmt_x(v)}", va="center", fontsize=6.5)
    ax.set_yticks(range(n))
    ax.set_yticklabels(labels, fontsize=7.5)
    ax.invert_yaxis()
    if log:
        ax.set_xscale("log")
    if ref is not None:
        ax.axvline(ref, color="black", lw=0.9)
    ax.set_xlabel(xlabel)
    ax.set_title(title)
    ax.grid(True, axis="x", which="both", alpha=0.25)
    ax.set_ylim(n - 0.5, -0.5)
    if m > 1 or series[0][0]:
        ax.legend(loc="lower right", fontsize=8)
    lo, hi = ax.get_xlim()
    ax.set_xlim(lo, hi * (1.6 if log else 1.1))  # room for the value labels
    return figs.save(fig, name)


# ---------------------------------------------------------------- sections

def section_machine(folder):
    lines = ["## The machine", ""]
    cid = folder.cpu_id() or "?"
    rows = [["cpu id", f"`{cid}`"], ["cpu", folder.brand()]]
    for _, doc in folder.info[:1]:
        t = doc.get("topology", {})
        rows.append(["topology", f"{t.get('cores', '?')} cores, {t.get('threads', '?')} threads; "
                     f"L1d {t.get('l1d_bytes', 0) >> 10} KiB, L2 {t.get('l2_bytes', 0) >> 10} KiB, "
                     f"L3 {t.get('l3_bytes', 0) >> 20} MiB"])
        rows.append(["ISAs supported", ", ".join(doc.get("isa_supported", []))])
    if folder.active_isa():
        rows.append(["active ISA (benchmarks)", folder.active_isa()])
    for isa in ISA_ORDER:
        med, vals, notes = folder.probe(f"nns_peak_gflops_{isa}")
        if med is not None:
            spread = (f" (median of {len(vals)} runs, {min(vals):.1f}-{max(vals):.1f})"
                      if len(vals) > 1 else "")
            rows.append([f"FMA peak, {isa}", f"{med:.1f} GFLOP/s{spread}"])
        elif notes:
            rows.append([f"FMA peak, {isa}", notes[0]])
    med, vals, _ = folder.probe("nns_bandwidth_gbs")
    if med is not None:
        spread = f" (median of {len(vals)} runs, {min(vals):.1f}-{max(vals):.1f})" if len(vals) > 1 else ""
        rows.append(["one-core bandwidth", f"{med:.1f} GB/s{spread}"])
    for _, ctx in folder.contexts()[:1]:
        for k, what in (("nns_peak_method", "peak probe"), ("nns_bandwidth_method", "bandwidth probe"),
                        ("nns_time", "time")):
            if ctx.get(k):
                rows.append([what, ctx[k]])
    lines.append(table(["", ""], rows))
    return lines


def section_roofline(figs, folder):
    lines = ["## Roofline per ISA", "",
             "Each kernel benchmark at its arithmetic intensity (the flops and bytes counters "
             "of nnsimd-bench: nominal operations and bytes each array is read or written once) "
             "and its achieved GFLOP/s, one core, under the roof min(peak, intensity x bandwidth) "
             "of the measured FMA peak of that ISA and the measured one-core (DRAM) bandwidth. "
             "Log-log. Rows whose data fit in cache can sit above the bandwidth roof.",
             ""]
    any_fig = False
    blas = [r for r in folder.timed("openblas")]
    active = folder.active_isa()
    for isa in folder.isas():
        rows = folder.timed(isa)
        if not rows:
            errs = {r.error for r in folder.rows.values() if r.isa == isa and r.error}
            lines += [f"- **{isa}**: no timed rows ({'; '.join(sorted(errs)) or 'none'}).", ""]
            continue
        extra = blas if isa == active else []
        name, placed = roofline(figs, folder, isa, rows, extra)
        if not name:
            lines += [f"- **{isa}**: no row with flops and bytes counters.", ""]
            continue
        any_fig = True
        unplaced = len(rows) - placed
        lines += [f"### {isa}", "", f"![roofline {isa}]({name})", ""]
        note = f"{placed} benchmarks placed"
        if unplaced:
            note += f"; {unplaced} without a flop count (pure data movement) not placed"
        if extra:
            note += "; OpenBLAS sgemm rows (x) on the active ISA's figure"
        lines += [note + ".", ""]
        trows = []
        for r in sorted(rows, key=lambda r: (r.kernel, r.shape)):
            ai = r.flops / r.bytes if r.flops and r.bytes else None
            trows.append([f"{r.kernel}/{r.shape}", fmt_ns(r.cpu_ns),
                          f"{r.flops / 1e9:.2f}" if r.flops is not None else "-",
                          f"{r.bytes / 1e9:.2f}" if r.bytes is not None else "-",
                          f"{ai:.3g}" if ai else "-",
                          f"{r.frac:.2f}" if r.frac is not None else "-", r.label])
        lines += [details(f"{isa}: the {len(rows)} rows", table(
            ["kernel/shape", "time/call", "GFLOP/s", "GB/s", "flop/byte", "of roofline", "bound"],
            trows)), ""]
    if not any_fig:
        lines += ["No benchmark JSON with rates was found.", ""]
    return lines


def section_speedup(figs, folder):
    lines = ["## Speed-up over scalar", "",
             "Scalar time / ISA time per kernel and shape (cpu time per call; > 1: faster than "
             "the scalar reference). Shapes without a scalar row (the largest GEMMs are not run "
             "on scalar) are left out of the figure.", ""]
    isas = [i for i in folder.isas() if i != "scalar" and folder.timed(i)]
    if not folder.timed("scalar") or not isas:
        return lines + ["No scalar and SIMD rows to compare.", ""]
    labels, series, trows = [], {i: [] for i in isas}, []
    for k, s in folder.kernel_shapes():
        ts = folder.time(k, "scalar", s)
        ti = {i: folder.time(k, i, s) for i in isas}
        if not any(ti.values()):
            continue
        sp = {i: (ts / t if ts and t else None) for i, t in ti.items()}
        trow = [k, s, fmt_ns(ts)]
        for i in isas:
            trow += [fmt_ns(ti[i]), fmt_x(sp[i])]
        trows.append(trow)
        if ts and any(sp.values()):
            labels.append(f"{k} {s}")
            for i in isas:
                series[i].append(sp[i])
    name = hbars(figs, "speedup-over-scalar.png", "Speed-up over the scalar reference",
                 "scalar time / ISA time (log)", labels, [(i, series[i]) for i in isas])
    if name:
        lines += [f"![speed-up over scalar]({name})", ""]
    by_kernel = {}
    for lab, *vals in zip(labels, *[series[i] for i in isas]):
        by_kernel.setdefault(lab.split(" ")[0], []).append(vals)
    summ = [[k] + [fmt_x(geomean([v[j] for v in vs])) for j in range(len(isas))]
            for k, vs in by_kernel.items()]
    if summ:
        lines += ["Geometric mean over the shapes, per kernel:", "",
                  table(["kernel"] + isas, summ), ""]
    header = ["kernel", "shape", "scalar"]
    for i in isas:
        header += [i, f"{i} vs scalar"]
    lines += [details("every kernel and shape", table(header, trows)), ""]
    return lines


def ratio_section(figs, folder, base, title, blurb, figname):
    lines = [f"## {title}", "", blurb, ""]
    brows = [r for r in folder.timed(base)]
    if not brows:
        return lines + [f"No `{base}` rows found.", ""]
    isas = [i for i in folder.isas() if folder.timed(i)]
    labels, series, trows, unmatched = [], {i: [] for i in isas}, [], []
    for r in brows:
        ours = {i: folder.time(r.kernel, i, r.shape) for i in isas}
        how = ""
        if not any(ours.values()) and r.kernel.endswith("_fwd_bwd"):
            k0 = r.kernel[:-len("_fwd_bwd")]
            for i in isas:
                f, b = folder.time(k0 + "_fwd", i, r.shape), folder.time(k0 + "_bwd", i, r.shape)
                ours[i] = f + b if f and b else None
            how = " (our fwd + bwd)"
        if not any(ours.values()):
            unmatched.append(r.name)
            continue
        rat = {i: (r.cpu_ns / t if t else None) for i, t in ours.items()}
        trows.append([r.kernel + how, r.shape, fmt_ns(r.cpu_ns)] +
                     [x for i in isas for x in (fmt_ns(ours[i]), fmt_x(rat[i]))] + [r.label or ""])
        labels.append(f"{r.kernel} {r.shape}" + (f" ({r.label})" if base == "openblas" else ""))
        for i in isas:
            series[i].append(rat[i])
    name = hbars(figs, figname, f"{base} time / nnsimd time",
                 f"{base} time / our time (log; > 1: nnsimd faster)",
                 labels, [(i, series[i]) for i in isas if any(series[i])])
    if name:
        lines += [f"![{base}]({name})", ""]
    header = ["kernel", "shape", base] + [x for i in isas for x in (i, f"{base}/{i}")] + [f"{base} variant"]
    lines += [table(header, trows), ""]
    if unmatched:
        lines += [f"No nnsimd row for: {', '.join(unmatched)}.", ""]
    return lines


def verify_merge(files):
    """(kernel, isa) -> (entry, rel) over native verify files: full runs
    before --quick, more results, then newer."""
    files = sorted(files, key=lambda f: (not f[1].get("quick", False), len(f[1]["results"]), f[2]))
    out = {}
    for rel, doc, _ in files:  # later (better) files overwrite, except a skip over a result
        for e in doc["results"]:
            key = (e.get("kernel"), e.get("isa"))
            old = out.get(key)
            if old and str(e.get("verdict")).lower() == "skipped" and \
                    str(old[0].get("verdict")).lower() != "skipped":
                continue
            out[key] = (e, rel)
    return out


def verdict_cell(e):
    v = str(e.get("verdict", "?")).lower()
    if v == "skipped":
        return f"skipped: {e.get('reason', '')}"
    w = e.get("worst_of_bound")
    cell = f"{w:.4g}" if isinstance(w, (int, float)) else "?"
    if v != "pass":
        cell = f"**FAIL** {cell}" + (f" ({e['reason']})" if e.get("reason") else "")
    if e.get("suspiciously_loose"):
        cell += " (loose)"
    fd = e.get("finite_difference_worst_of_bound")
    if isinstance(fd, (int, float)):
        cell += f"; fd {fd:.4g}"
    return cell


def section_verify(figs, folder):
    lines = ["## Verification: worst error against the bound", ""]
    if not folder.verify_native:
        return lines + ["No `nnsimd verify --json` results found.", ""]
    merged = verify_merge(folder.verify_native)
    srcs = sorted({rel for _, rel in merged.values()})
    quick = any(doc.get("quick") for rel, doc, _ in folder.verify_native if rel in srcs)
    lines += [f"From `nnsimd verify --json` ({', '.join(f'`{s}`' for s in srcs)}"
              f"{'; some with --quick' if quick else ''}): per kernel and ISA the worst error "
              "found as a fraction of its bound (1 = at the bound; above 1 fails); `fd`: the "
              "reference backward against central finite differences; `(loose)`: a bound never "
              "approached within 1e-3. An ISA the CPU lacks is skipped, never passed.", ""]
    kernels = list(dict.fromkeys(k for k, _ in merged))
    isas = sorted({i for _, i in merged}, key=isa_key)
    trows, fails, skipped = [], [], {}
    for k in kernels:
        row = [k]
        for i in isas:
            e = merged.get((k, i), (None,))[0]
            row.append(verdict_cell(e) if e else "-")
            if e and str(e.get("verdict")).lower() not in ("pass", "skipped"):
                fails.append(f"{k}/{i}")
            if e and str(e.get("verdict")).lower() == "skipped":
                skipped.setdefault(i, set()).add(e.get("reason", ""))
        trows.append(row)
    checked = [i for i in isas if i not in skipped or any(
        str(merged.get((k, i), ({},))[0].get("verdict", "")).lower() != "skipped" for k in kernels)]
    labels = kernels
    series = [(i, [(merged[(k, i)][0].get("worst_of_bound") if (k, i) in merged and
                    isinstance(merged[(k, i)][0].get("worst_of_bound"), (int, float)) else None)
                   for k in kernels]) for i in checked]
    plt = figs.plt
    if series:
        # linear axis: a bar at 0 (exact) shows as no bar; the table has the numbers
        n, m = len(labels), len(series)
        h = 0.8 / m
        fig, ax = plt.subplots(figsize=(8.5, 1.2 + 0.2 * n * max(1, m * 0.7)))
        colors = {"scalar": "#999999", "avx2": "#1f77b4", "avx512": "#d62728", "neon": "#2ca02c"}
        for j, (i, vals) in enumerate(series):
            ys = [y + (j - (m - 1) / 2) * h for y in range(n)]
            ax.barh(ys, [v or 0 for v in vals], height=h, color=colors.get(i), label=i)
        ax.axvline(1.0, color="red", lw=1)
        ax.text(1.0, -0.95, " bound", color="red", fontsize=8, va="top")
        ax.set_yticks(range(n))
        ax.set_yticklabels(labels, fontsize=8)
        ax.set_ylim(n - 0.5, -1)
        worst = max([v for _, vs in series for v in vs if v] + [1.0])
        ax.set_xlim(0, max(1.1, worst * 1.05))
        ax.set_xlabel("worst error / bound")
        ax.set_title(f"nnsimd verify: {folder.cpu_id() or ''}")
        ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=8, frameon=False)
        ax.grid(True, axis="x", alpha=0.25)
        lines += [f"![verification]({figs.save(fig, 'verify.png')})", ""]
    lines += [table(["kernel"] + isas, trows), ""]
    total = sum(1 for e, _ in merged.values() if str(e.get("verdict")).lower() == "pass")
    lines.append(f"{total} kernel x ISA checks passed, {len(fails)} failed"
                 + (f" ({', '.join(fails)})" if fails else "") + ".")
    for i, reasons in sorted(skipped.items(), key=lambda x: isa_key(x[0])):
        lines.append(f"Skipped: **{i}** ({'; '.join(sorted(r for r in reasons if r)) or 'no reason'}).")
    lines.append("")
    return lines


def emulated_label(rel, doc):
    stem = Path(rel).stem
    return f"{stem} ({doc.get('cpu_id', '?')}, active {doc.get('isa_active', '?')})"


def section_emulated(folder):
    lines = ["## Emulated CPUs (correctness only)", ""]
    if not folder.verify_emulated:
        return lines + ["No verify results from emulated CPUs found (make them with "
                        "`tools/verify-emulated.sh DIR/emulated`).", ""]
    lines += ["`nnsimd verify --json` under qemu user-mode emulation: which variants are right "
              "on CPUs this machine is not (AVX2-only, neither AVX2 nor AVX-512, aarch64 NEON). "
              "**Correctness only**: qemu runs vector code tens of times slower, so no timing "
              "from these runs is shown anywhere in this report. Cells: the ISAs checked and "
              "their worst error / bound; skipped ISAs below the table.", ""]
    runs = folder.verify_emulated
    kernels = list(dict.fromkeys(e.get("kernel") for _, d in runs for e in d["results"]))
    header = ["kernel"] + [emulated_label(rel, d) for rel, d in runs]
    trows, notes = [], []
    for k in kernels:
        row = [k]
        for rel, d in runs:
            cells = []
            for e in d["results"]:
                if e.get("kernel") != k or str(e.get("verdict")).lower() == "skipped":
                    continue
                cells.append(f"{e.get('isa')} {verdict_cell(e)}")
            row.append("; ".join(cells) or "-")
        trows.append(row)
    lines += [table(header, trows), ""]
    for rel, d in runs:
        res = d["results"]
        npass = sum(1 for e in res if str(e.get("verdict")).lower() == "pass")
        nfail = sum(1 for e in res if str(e.get("verdict")).lower() not in ("pass", "skipped"))
        skip = {}
        for e in res:
            if str(e.get("verdict")).lower() == "skipped":
                skip.setdefault(e.get("isa"), set()).add(e.get("reason", ""))
        sk = "; ".join(f"{i} skipped ({', '.join(sorted(r))})" for i, r in
                       sorted(skip.items(), key=lambda x: isa_key(x[0])))
        notes.append(f"- `{rel}`: {npass} passed, {nfail} failed"
                     f"{' (--quick)' if d.get('quick') else ''}" + (f"; {sk}" if sk else "") + ".")
    lines += notes + [""]
    for rel, text in folder.emulated_notes:
        lines += [f"From `{rel}`:", "", demote(text, 2), ""]
    return lines


def smooth(ys, w):
    if w <= 1:
        return ys
    out, acc = [], 0.0
    for i, y in enumerate(ys):
        acc += y
        if i >= w:
            acc -= ys[i - w]
        out.append(acc / min(i + 1, w))
    return out


def section_training(figs, folder):
    lines = ["## Training curves", ""]
    if not folder.logs:
        return lines + ["No training logs (`--log` JSON lines) found.", ""]
    plt = figs.plt
    groups = {}
    for log in folder.logs:
        groups.setdefault(log.model, []).append(log)
    lines += ["From the `--log` JSON lines of each run: training loss per step (faint: every "
              "step; solid: running mean over 1/50 of the run) and test accuracy after each "
              "epoch.", ""]
    for model, logs in groups.items():
        has_acc = any(l.accuracy() for l in logs)
        fig, axes = plt.subplots(1, 2 if has_acc else 1, figsize=(12 if has_acc else 7, 4.2))
        axes = list(axes) if has_acc else [axes]
        ax = axes[0]
        for j, log in enumerate(logs):
            if not log.steps:
                continue
            xs = [s for s, _ in log.steps]
            ys = [l for _, l in log.steps]
            color = f"C{j % 10}"
            w = max(1, len(ys) // 50)
            if w > 1:
                ax.plot(xs, ys, color=color, alpha=0.18, lw=0.6)
            ax.plot(xs, smooth(ys, w), color=color, lw=1.4, label=log.label())
        ax.set_yscale("log")
        ax.set_xlabel("step")
        ax.set_ylabel("training loss (log)")
        ax.set_title(f"{model}: loss")
        ax.grid(True, which="both", alpha=0.25)
        ax.legend(fontsize=8)
        if has_acc:
            ax = axes[1]
            for j, log in enumerate(logs):
                acc = log.accuracy()
                if acc:
                    ax.plot([a[0] for a in acc], [a[1] for a in acc], marker="o", ms=3,
                            color=f"C{j % 10}", label=f"{log.label()} ({acc[0][2]})")
            ax.set_xlabel("epoch")
            ax.set_ylabel("accuracy")
            ax.set_title(f"{model}: accuracy")
            ax.grid(True, alpha=0.25)
            ax.legend(fontsize=8)
        name = figs.save(fig, f"training-{slug(model)}.png")
        lines += [f"### {model}", "", f"![training {model}]({name})", ""]
        trows = []
        for log in logs:
            ys = [l for _, l in log.steps]
            tail = ys[-max(1, len(ys) // 50):] if ys else []
            acc = log.accuracy()
            trows.append([f"`{log.rel}`", str(log.steps[-1][0]) if log.steps else "-",
                          str(log.epochs[-1]["epoch"]) if log.epochs else "-",
                          f"{ys[0]:.4g}" if ys else "-",
                          f"{statistics.mean(tail):.4g}" if tail else "-",
                          f"{acc[-1][1]:.4f}" if acc else "-",
                          f"{max(a[1] for a in acc):.4f}" if acc else "-",
                          f"{log.time_s:.1f} s" if log.time_s else "-"])
        lines += [table(["log", "steps", "epochs", "first loss", "last loss (mean of last 2%)",
                         "final accuracy", "best accuracy", "train time"], trows), ""]
    return lines


def section_agreement(folder):
    lines = ["## Agreement across ISAs and with PyTorch", ""]
    if not folder.agreement:
        return lines + ["No `*agreement*.md` files found.", ""]
    for rel, text in folder.agreement:
        lines += [f"### `{rel}`", "", demote(text, 3), ""]
    return lines


def section_paired(folder):
    """The linear layer against OpenBLAS in paired rounds (nnsimd-vs-openblas)."""
    if not folder.paired:
        return []
    lines = ["## Against OpenBLAS, paired rounds", "",
             "`nnsimd-vs-openblas`: ours and OpenBLAS timed back to back in alternating rounds; "
             "the median of the rounds' time ratios (OpenBLAS / nnsimd: > 1, nnsimd is faster) "
             "with its quartiles: far less skewed by a shared machine's drifting speed than "
             "ratios of benchmark rows timed apart, though between runs it still moves by up "
             "to about 0.1.", ""]
    for rel, doc in folder.paired:
        lines += [f"### `{rel}`: {doc.get('isa', '?')} against OpenBLAS's "
                  f"{doc.get('openblas_corename', '?')} kernels, {doc.get('rounds', '?')} rounds", ""]
        rows = [[r["name"], f"{r['ours_gflops']:.1f}", f"{r['openblas_gflops']:.1f}",
                 f"{r['ratio_median']:.2f}", f"{r['ratio_q1']:.2f}-{r['ratio_q3']:.2f}"]
                for r in doc["results"]]
        lines += [table(["benchmark", "nnsimd GFLOP/s", "OpenBLAS GFLOP/s", "ratio (median)",
                         "quartiles"], rows), ""]
    return lines


def section_threads(folder):
    """The MLP's step on 1 thread against N in paired rounds (nnsimd-mlp-threads)."""
    if not folder.threads:
        return []
    lines = ["## The MLP's step, 1 thread against N, paired", "",
             "`nnsimd-mlp-threads`: two copies of the default MLP train side by side in one "
             "process on the same batches, on 1 thread and on N, in alternating rounds; a "
             "round's speed-up is the ratio of the copies' median step times. The median of "
             "the rounds with its quartiles; \"same bits\": the copies ended equal, as they "
             "must.", ""]
    rows, series = [], {}
    for rel, doc in folder.threads:
        n = doc.get("threads", "?")
        # runs of one series: the same folder and name but for a trailing -K
        path = Path(rel)
        name = str(path.parent / re.sub(r"-\d+$", "", path.stem))
        series.setdefault((name, n), []).append(doc["speedup_median"])
        rows.append([f"`{rel}`", str(n), f"{doc.get('rounds', '?')} x {doc.get('steps', '?')}",
                     doc.get("isa", "?"), f"{statistics.median(doc['ms_one_thread']):.3f}",
                     f"{statistics.median(doc['ms_threads']):.3f}",
                     f"{doc['speedup_median']:.3f}",
                     f"{doc['speedup_q1']:.3f}-{doc['speedup_q3']:.3f}",
                     "yes" if doc.get("same_bits") else "**no**"])
    lines += [table(["file", "threads", "rounds x steps", "ISA", "1 thread (ms a step)",
                     "N threads (ms a step)", "speed-up (median)", "quartiles", "same bits"],
                    rows), ""]
    for (name, n), meds in sorted(series.items(), key=lambda kv: (kv[0][0], str(kv[0][1]))):
        if len(meds) > 1:
            lines += [f"`{name}-*`, {n} threads: the median of the {len(meds)} runs' medians "
                      f"{statistics.median(meds):.3f} ({min(meds):.3f}-{max(meds):.3f}).", ""]
    return lines


def section_sources(folder):
    lines = ["## Sources", "", "Every file this report read (paths relative to "
             f"`{folder.root}`); nothing was re-run.", ""]
    trows = []
    for rel, ctx, n, pyt in folder.bench_files:
        used = sum(1 for r in folder.rows.values() if r.src == rel)
        what = "PyTorch baseline (tools/pytorch_bench/run.py)" if pyt else "nnsimd-bench"
        trows.append([f"`{rel}`", what, f"{n} benchmarks, {used} used", ctx.get("date", ""),
                      f"`{ctx.get('executable', '?')}`"])
    for rel, doc, _ in folder.verify_native:
        trows.append([f"`{rel}`", "nnsimd verify --json" + (" --quick" if doc.get("quick") else ""),
                      f"{len(doc['results'])} results", "", ""])
    for rel, doc in folder.verify_emulated:
        trows.append([f"`{rel}`", "nnsimd verify --json, emulated", f"{len(doc['results'])} results",
                      "", ""])
    for rel, doc in folder.info:
        trows.append([f"`{rel}`", "nnsimd info --json", "", "", ""])
    for log in folder.logs:
        trows.append([f"`{log.rel}`", "training log", f"{len(log.steps)} steps, {len(log.epochs)} epochs",
                      "", ""])
    for rel, _ in folder.agreement:
        trows.append([f"`{rel}`", "agreement table (embedded)", "", "", ""])
    for rel, doc in folder.paired:
        trows.append([f"`{rel}`", "nnsimd-vs-openblas --json", f"{len(doc['results'])} results", "", ""])
    for rel, doc in folder.threads:
        trows.append([f"`{rel}`", "nnsimd-mlp-threads --json", f"{len(doc['speedup'])} rounds", "", ""])
    for rel, why in folder.ignored:
        trows.append([f"`{rel}`", f"not used: {why}", "", "", ""])
    lines += [table(["file", "what", "rows", "date", "executable"], trows), ""]
    errs = {}
    for r in folder.rows.values():
        if r.error:
            errs.setdefault((r.isa, r.error), 0)
            errs[(r.isa, r.error)] += 1
    if errs:
        lines += ["Benchmarks that did not run: " + "; ".join(
            f"{isa}: {n} rows, \"{e}\"" for (isa, e), n in sorted(errs.items())) + ".", ""]
    return lines


def single_report(plt, folder, out_dir, argv_text):
    figs = Figures(plt, out_dir)
    when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [f"# nnsimd report: {folder.cpu_id() or folder.root}", "",
             f"Made by `{argv_text}` at {when} from the result files under `{folder.root}` "
             "(listed under Sources at the end); nothing was re-run. Times are cpu times per "
             "call on one core; rates per cpu second.", ""]
    run_report = Path(folder.root) / "run" / "report.md"
    if run_report.is_file() and Path(out_dir).resolve() != run_report.parent.resolve():
        lines += ["The latest `make run` on this CPU has a report of its own: "
                  "[run/report.md](run/report.md).", ""]
    lines += section_machine(folder) + [""]
    lines += section_roofline(figs, folder)
    lines += section_speedup(figs, folder)
    lines += ratio_section(figs, folder, "openblas", "Against OpenBLAS",
                           "OpenBLAS `sgemm` (one thread, its core named in the bench context) "
                           "time / nnsimd time for the same linear layer and shape "
                           "(`linear_*/openblas/*` rows), per ISA: > 1, nnsimd is faster.",
                           "vs-openblas.png")
    lines += section_paired(folder)
    lines += ratio_section(figs, folder, "pytorch", "Against PyTorch",
                           "PyTorch time / nnsimd time for the same operation and shape "
                           "(`*/pytorch/*` rows of tools/pytorch_bench/run.py JSON: PyTorch on "
                           "one core, its fastest way to do the operation), per ISA: > 1, "
                           "nnsimd is faster.", "vs-pytorch.png")
    lines += section_verify(figs, folder)
    lines += section_emulated(folder)
    lines += section_training(figs, folder)
    lines += section_threads(folder)
    lines += section_agreement(folder)
    lines += section_sources(folder)
    return lines, figs.written


# ---------------------------------------------------------------- two folders

def find_compare_py():
    p = Path("/usr/share/benchmark/compare.py")
    if p.is_file():
        return p
    try:
        out = subprocess.run(["dpkg", "-L", "libbenchmark-tools"], capture_output=True,
                             text=True, check=False).stdout
        for line in out.splitlines():
            if line.endswith("/compare.py") and Path(line).is_file():
                return Path(line)
    except OSError:
        pass
    return None


def synthetic_json(folder, names, path):
    """One Google Benchmark row per benchmark (the chosen median), so the
    two files pair by name whatever repetitions each run used."""
    ctx = dict(folder.contexts()[0][1]) if folder.contexts() else {}
    rows = []
    for n in names:
        r = folder.rows[n]
        rows.append({"name": n, "run_name": n, "run_type": "iteration", "repetitions": 1,
                     "repetition_index": 0, "threads": 1, "iterations": 1,
                     "real_time": r.real_ns, "cpu_time": r.cpu_ns, "time_unit": "ns"})
    path.write_text(json.dumps({"context": ctx, "benchmarks": rows}, indent=1))


def run_compare_py(a, b, names):
    script = find_compare_py()
    if script is None:
        return None, f"Google Benchmark's compare.py not found (as root: {APT})."
    with tempfile.TemporaryDirectory(prefix="nnsimd-report-") as tmp:
        pa, pb = Path(tmp) / "a.json", Path(tmp) / "b.json"
        synthetic_json(a, names, pa)
        synthetic_json(b, names, pb)
        cmd = [sys.executable, str(script), "--no-color", "benchmarks", str(pa), str(pb)]
        try:
            p = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=300)
        except (OSError, subprocess.TimeoutExpired) as e:
            return None, f"compare.py could not run: {e}"
    text = re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", p.stdout)
    if p.returncode != 0:
        err = (p.stderr.strip().splitlines() or ["?"])[-1]
        hint = f" (as root: {APT})" if "scipy" in p.stderr or "numpy" in p.stderr else ""
        return None, f"compare.py failed: {err}{hint}"
    text = text.replace(str(pa), "A").replace(str(pb), "B")
    return text.rstrip(), None


def compare_report(plt, a, b, out_dir, argv_text):
    figs = Figures(plt, out_dir)
    when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [f"# nnsimd comparison: {a.cpu_id() or a.root} vs {b.cpu_id() or b.root}", "",
             f"Made by `{argv_text}` at {when}: **A** = `{a.root}`, **B** = `{b.root}`; from "
             "their result files alone (nothing re-run). Times are cpu times per call, one "
             "core. Speed-up of B = A's time / B's time (> 1: B is faster).", ""]
    # machines
    rows = [["cpu id", f"`{a.cpu_id()}`", f"`{b.cpu_id()}`"], ["cpu", a.brand(), b.brand()],
            ["active ISA (benchmarks)", a.active_isa() or "-", b.active_isa() or "-"]]
    for isa in ISA_ORDER:
        pa, pb = a.peak(isa), b.peak(isa)
        if pa or pb:
            rows.append([f"FMA peak, {isa}", f"{pa:.1f} GFLOP/s" if pa else "-",
                         f"{pb:.1f} GFLOP/s" if pb else "-"])
    ba, bb = a.bandwidth(), b.bandwidth()
    if ba or bb:
        rows.append(["one-core bandwidth", f"{ba:.1f} GB/s" if ba else "-", f"{bb:.1f} GB/s" if bb else "-"])
    dates = lambda f: ", ".join(sorted({c.get("date", "")[:16] for _, c in f.contexts()})) or "-"
    rows.append(["benchmark runs", dates(a), dates(b)])
    rows.append(["benchmarks timed", str(len(a.timed())), str(len(b.timed()))])
    lines += ["## The two machines", "", table(["", "A", "B"], rows), ""]
    if a.cpu_id() and a.cpu_id() == b.cpu_id():
        lines += ["Same CPU id: two runs (commits, ISA caps or settings) on one kind of CPU.", ""]

    # per benchmark name
    common = [n for n in a.rows if n in b.rows and a.rows[n].error is None and
              b.rows[n].error is None and a.rows[n].cpu_ns and b.rows[n].cpu_ns]
    only_a = [n for n in a.rows if n not in b.rows or (b.rows[n].error and not a.rows[n].error)]
    only_b = [n for n in b.rows if n not in a.rows or (a.rows[n].error and not b.rows[n].error)]
    only_a = [n for n in only_a if not a.rows[n].error]
    only_b = [n for n in only_b if not b.rows[n].error]
    lines += ["## Same benchmark in both", "",
              f"{len(common)} benchmarks timed in both folders (same `<kernel>/<isa>/<shape>` name)."]
    if common:
        sp = {n: a.rows[n].cpu_ns / b.rows[n].cpu_ns for n in common}
        gm = geomean(sp.values())
        lines += [f"Geometric mean speed-up of B over A: **{fmt_x(gm)}**.", ""]
        by_kernel = {}
        for n in common:
            r = a.rows[n]
            by_kernel.setdefault(f"{r.kernel} ({r.isa})", []).append(sp[n])
        labels = list(by_kernel)
        name = hbars(figs, "compare-speedup.png", "Speed-up of B over A, same benchmark",
                     "A time / B time (geometric mean over shapes; log)", labels,
                     [("", [geomean(by_kernel[k]) for k in labels])])
        if name:
            lines += [f"![speed-up of B over A]({name})", ""]
        trows = [[n, fmt_ns(a.rows[n].cpu_ns), fmt_ns(b.rows[n].cpu_ns), fmt_x(sp[n])] for n in common]
        lines += [details(f"all {len(common)} benchmarks",
                          table(["benchmark", "A", "B", "speed-up of B"], trows)), ""]
    if only_a or only_b:
        def few(names):
            return f" ({', '.join(names[:12])}{', ...' if len(names) > 12 else ''})" if names else ""
        lines += [f"Timed in A only: {len(only_a)}{few(only_a)}; in B only: {len(only_b)}{few(only_b)}.",
                  ""]

    # best ISA per kernel and shape
    lines += ["## Best ISA of each folder, per kernel and shape", "",
              "What each machine (or run) does at its best: per kernel and shape, the fastest "
              "nnsimd ISA timed in each folder. This pairs an AVX-512 machine with an AVX2 one, "
              "or an ISA-capped run with a native one.", ""]
    trows, spb, by_kernel = [], [], {}
    shapes = list(dict.fromkeys(a.kernel_shapes() + b.kernel_shapes()))
    for k, s in shapes:
        def best(f):
            c = [(f.time(k, i, s), i) for i in f.isas() if f.time(k, i, s)]
            return min(c) if c else (None, None)
        ta, ia = best(a)
        tb, ib = best(b)
        if ta and tb:
            trows.append([k, s, f"{fmt_ns(ta)} ({ia})", f"{fmt_ns(tb)} ({ib})", fmt_x(ta / tb)])
            spb.append(ta / tb)
            by_kernel.setdefault(k, []).append(ta / tb)
    if trows:
        lines += [f"Geometric mean speed-up of B over A, best against best: **{fmt_x(geomean(spb))}** "
                  f"over {len(trows)} kernel x shape pairs.", ""]
        labels = list(by_kernel)
        name = hbars(figs, "compare-best.png", "Speed-up of B over A, best ISA of each",
                     "A's best time / B's best time (geometric mean over shapes; log)", labels,
                     [("", [geomean(by_kernel[k]) for k in labels])])
        if name:
            lines += [f"![best against best]({name})", ""]
        lines += [
                  details("every kernel and shape", table(["kernel", "shape", "A (ISA)", "B (ISA)",
                                                           "speed-up of B"], trows)), ""]
    else:
        lines += ["No kernel and shape timed in both.", ""]

    # compare.py
    lines += ["## Google Benchmark's compare.py", ""]
    if common:
        text, err = run_compare_py(a, b, common)
        if text:
            lines += ["`compare.py --no-color benchmarks A.json B.json` (from libbenchmark-tools), on "
                      "one row per benchmark present in both (the median where the run had "
                      "repetitions; the committed files keep aggregates only, so there is no "
                      "U test). Its columns are relative changes (B - A) / A of time and cpu "
                      "time: negative means B is faster.", "", "```text", text, "```", ""]
        else:
            lines += [err, ""]
    else:
        lines += ["No benchmark in both folders: nothing to compare.", ""]

    # verification
    lines += ["## Verification side by side", ""]
    if a.verify_native or b.verify_native:
        ma = verify_merge(a.verify_native) if a.verify_native else {}
        mb = verify_merge(b.verify_native) if b.verify_native else {}
        keys = list(dict.fromkeys(list(ma) + list(mb)))
        order = list(dict.fromkeys(k for k, _ in keys))
        keys.sort(key=lambda kv: (order.index(kv[0]), isa_key(kv[1])))
        trows = [[k, i, verdict_cell(ma[(k, i)][0]) if (k, i) in ma else "-",
                  verdict_cell(mb[(k, i)][0]) if (k, i) in mb else "-"] for k, i in keys]
        lines += ["Worst error / bound per kernel and ISA (`nnsimd verify --json`).", "",
                  details(f"{len(trows)} kernel x ISA rows", table(["kernel", "ISA", "A", "B"], trows)), ""]
        def failed(m):
            return [f"{k}/{i}" for (k, i), (e, _) in m.items()
                    if str(e.get("verdict")).lower() not in ("pass", "skipped")]
        fa, fb = failed(ma), failed(mb)
        lines += [f"Failures: A {', '.join(fa) or 'none'}; B {', '.join(fb) or 'none'}.", ""]
    else:
        lines += ["No verify results in either folder.", ""]

    # training
    lines += ["## Training side by side", ""]
    la = {l.rel: l for l in a.logs}
    lb = {l.rel: l for l in b.logs}
    both = [r for r in la if r in lb]
    if both:
        trows = []
        for r in both:
            x, y = la[r], lb[r]
            ax_, ay = x.accuracy(), y.accuracy()
            trows.append([f"`{r}`", f"{ax_[-1][1]:.4f}" if ax_ else "-", f"{ay[-1][1]:.4f}" if ay else "-",
                          f"{x.time_s:.1f} s" if x.time_s else "-", f"{y.time_s:.1f} s" if y.time_s else "-",
                          fmt_x(x.time_s / y.time_s) if x.time_s and y.time_s else "-"])
        lines += [table(["log", "final accuracy A", "final accuracy B", "train time A", "train time B",
                         "speed-up of B"], trows), ""]
    else:
        lines += [f"No training log with the same path in both (A: {len(la)} logs, B: {len(lb)}).", ""]
    lines += ["## Emulated CPUs", "",
              f"A: {len(a.verify_emulated)} emulated verify runs, B: {len(b.verify_emulated)} "
              "(correctness only; see each folder's own `nnsimd report`).", ""]
    return lines, figs.written


# ---------------------------------------------------------------- main

def main(argv):
    ap = argparse.ArgumentParser(prog="nnsimd report", description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dirs", nargs="+", metavar="DIR")
    ap.add_argument("--out", metavar="OUTDIR")
    a = ap.parse_args(argv[1:])
    if len(a.dirs) > 2:
        die(f"expects DIR [DIR2], got {len(a.dirs)} folders")
    for d in a.dirs:
        if not Path(d).is_dir():
            die(f"{d}: no such folder")
    plt = load_pyplot()
    if a.out:
        out = Path(a.out)
    elif len(a.dirs) == 1:
        out = Path(a.dirs[0])
    else:
        out = Path(a.dirs[0]) / f"compare-{slug(Path(a.dirs[1]).resolve().name)}"
    out.mkdir(parents=True, exist_ok=True)
    argv_text = "nnsimd report " + " ".join(a.dirs) + (f" --out {a.out}" if a.out else "")
    folders = [Folder(d) for d in a.dirs]
    for f in folders:
        if not (f.bench_files or f.verify_native or f.verify_emulated or f.logs or f.agreement
                or f.paired or f.threads):
            die(f"{f.root}: no result files found (nnsimd-bench JSON, verify --json, "
                "training logs, nnsimd-vs-openblas or nnsimd-mlp-threads JSON)")
    if len(folders) == 1:
        lines, written = single_report(plt, folders[0], out, argv_text)
    else:
        lines, written = compare_report(plt, folders[0], folders[1], out, argv_text)
    # figures of an earlier report here that this one did not draw
    stale = re.compile(r"(roofline-.*|speedup-over-scalar|vs-openblas|vs-pytorch|verify|training-.*|"
                       r"compare-speedup|compare-best)\.png")
    for p in out.iterdir():
        if p.is_file() and stale.fullmatch(p.name) and p.name not in written:
            p.unlink()
    report = out / "report.md"
    tmp = out / ".report.md.tmp"
    tmp.write_text("\n".join(lines).rstrip() + "\n")
    tmp.replace(report)
    print(f"written: {report}" + (f" and {len(written)} figures: {', '.join(written)}" if written else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
