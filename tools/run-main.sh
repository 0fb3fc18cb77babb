#!/bin/sh
# `make run`: measure this CPU. Builds, describes the CPU, verifies every
# kernel on every ISA it has and on emulated CPUs (qemu: correctness only),
# benchmarks every kernel on every ISA at the shapes of both models beside
# OpenBLAS (and PyTorch when Debian's python3-torch is installed), trains
# each model briefly on the best ISA, and writes results/<cpu-id>/run/: the
# raw JSON of every step with its command, and report.md with PNG figures
# (`nnsimd report`), linked from results/<cpu-id>/report.md. The full
# training runs committed beside run/ are never touched.
#
# NNSIMD_BENCH_MIN_TIME (0.1 s) sets each benchmark's minimum time.
set -eu
cd "$(dirname "$0")/.."
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}
MIN_TIME=${NNSIMD_BENCH_MIN_TIME:-0.1}
TORCH_PY=/usr/bin/python3
t_start=$(date +%s)

step() { echo; echo "=== [$1/9] $2 ($(( $(date +%s) - t_start )) s so far)"; }

cat <<EOF
nnsimd make run: about 6-8 minutes on a 2-core machine, in 9 steps:
  1 build (~1 min)   2 nnsimd info          3 nnsimd verify (native ISAs, ~15 s)
  4 nnsimd verify under qemu: Haswell, Nehalem, aarch64 (correctness only, ~2.5 min)
  5 kernel benchmarks, every kernel x ISA and OpenBLAS (${MIN_TIME} s each, ~2 min)
  6 PyTorch side by side (if python3-torch is installed, ~1 min)
  7 MNIST MLP, one epoch, and its step on 1 thread against all (~10 s)
  8 IMDb transformer, a short run (~1 min)
  9 the report (results/<cpu-id>/run/report.md and its figures)
EOF

step 1 build
make -j"$JOBS" all >/dev/null
cpu_id=$(build/nnsimd info --json | sed -n 's/^ *"cpu_id": "\(.*\)",$/\1/p')
out=results/$cpu_id/run
mkdir -p "$out"
echo "cpu id $cpu_id: writing $out/"
# the data: NNSIMD_DATA if set, else data/ (filled by `make data` if absent)
if [ -z "${NNSIMD_DATA:-}" ] && { [ ! -d data/mnist ] || [ ! -d data/imdb ]; }; then
    tools/fetch-data.sh
fi

step 2 "nnsimd info"
build/nnsimd info
build/nnsimd info --json >"$out/info.json"

step 3 "nnsimd verify"
build/nnsimd verify
build/nnsimd verify --json >"$out/verify.json"

step 4 "nnsimd verify on emulated CPUs (qemu; timings under emulation are not speeds)"
tools/verify-emulated.sh "$out/emulated" || echo "(an emulated verify run failed or could not run: see $out/emulated/README.md)"

step 5 "kernel benchmarks: build/nnsimd-bench --benchmark_min_time=$MIN_TIME"
# OpenBLAS at its best: Debian's 0.3.21 falls back to its SSE3 (Prescott)
# kernels on AVX-512 CPUs newer than it knows; its SkylakeX kernels run on
# any of them (it reads the variable when it loads: set before the process).
if [ -z "${OPENBLAS_CORETYPE:-}" ] && grep -qw avx512f /proc/cpuinfo 2>/dev/null; then
    export OPENBLAS_CORETYPE=SkylakeX
fi
echo "OpenBLAS core: ${OPENBLAS_CORETYPE:-its own detection}"
build/nnsimd-bench --benchmark_min_time="$MIN_TIME" \
    --benchmark_out="$out/bench.json" --benchmark_out_format=json
echo
python3 tools/bench_summary.py "$out/bench.json"
if [ -x build/nnsimd-vs-openblas ]; then
    echo
    echo "the linear layer against OpenBLAS in paired rounds (ratios less skewed by the machine's drift):"
    build/nnsimd-vs-openblas --rounds 9 --json "$out/vs-openblas.json" | tee "$out/vs-openblas.md"
fi

step 6 "PyTorch side by side"
rm -f "$out/bench-pytorch.json"
if "$TORCH_PY" -c "import torch" 2>/dev/null; then
    "$TORCH_PY" tools/pytorch_bench/run.py --repetitions 1 --min-time "$MIN_TIME" \
        --out "$out/bench-pytorch.json"
else
    echo "skipped: $TORCH_PY cannot import torch (Debian: apt-get install python3-torch);"
    echo "the report shows no PyTorch ratios"
fi
{
    echo "# make run on $cpu_id"
    echo
    echo "Made by \`make run\` (tools/run-main.sh) at $(date -u +%Y-%m-%dT%H:%MZ). Commands:"
    echo
    echo "- info.json: \`build/nnsimd info --json\`"
    echo "- verify.json: \`build/nnsimd verify --json\`"
    echo "- emulated/: \`tools/verify-emulated.sh $out/emulated\` (its README.md has the qemu commands)"
    echo "- bench.json: \`${OPENBLAS_CORETYPE:+OPENBLAS_CORETYPE=$OPENBLAS_CORETYPE }build/nnsimd-bench --benchmark_min_time=$MIN_TIME --benchmark_out=bench.json --benchmark_out_format=json\`"
    [ -f "$out/vs-openblas.json" ] &&
        echo "- vs-openblas.json, vs-openblas.md: \`${OPENBLAS_CORETYPE:+OPENBLAS_CORETYPE=$OPENBLAS_CORETYPE }build/nnsimd-vs-openblas --rounds 9 --json vs-openblas.json > vs-openblas.md\`"
    [ -f "$out/bench-pytorch.json" ] &&
        echo "- bench-pytorch.json: \`${OPENBLAS_CORETYPE:+OPENBLAS_CORETYPE=$OPENBLAS_CORETYPE }$TORCH_PY tools/pytorch_bench/run.py --repetitions 1 --min-time $MIN_TIME --out bench-pytorch.json\`"
    echo "- mlp-1epoch.*: \`build/nnsimd train mlp --epochs 1 --threads $JOBS --log mlp-1epoch.jsonl\`"
    [ "$JOBS" -gt 1 ] &&
        echo "- mlp-threads.*: \`build/nnsimd-mlp-threads --threads $JOBS --rounds 10 --json mlp-threads.json\`"
    echo "- transformer-short.*: \`build/nnsimd train transformer --train-subset 4000 --holdout --epochs 2 --threads $JOBS --log transformer-short.jsonl\`"
    echo "- report.md: \`build/nnsimd report $out\`"
    echo
    python3 tools/bench_summary.py "$out/bench.json" --markdown
} >"$out/summary.md"

step 7 "MNIST MLP, one epoch (784-512-512-10 ReLU, AdamW, batch 128, $JOBS threads), then its
    step on 1 thread against $JOBS in paired rounds"
build/nnsimd train mlp --epochs 1 --threads "$JOBS" --log "$out/mlp-1epoch.jsonl" | tee "$out/mlp-1epoch.txt"
if [ "$JOBS" -gt 1 ]; then
    build/nnsimd-mlp-threads --threads "$JOBS" --rounds 10 --json "$out/mlp-threads.json" |
        tee "$out/mlp-threads.txt"
fi

step 8 "IMDb transformer, a short run: 250 steps on 4,000 training reviews, accuracy on
    2,500 held-out training reviews (not the test set; the full run is in README.md)"
build/nnsimd train transformer --train-subset 4000 --holdout --epochs 2 --threads "$JOBS" \
    --log "$out/transformer-short.jsonl" | tee "$out/transformer-short.txt"

step 9 "the report"
build/nnsimd report "$out"
build/nnsimd report "results/$cpu_id"
echo
echo "make run done in $(( $(date +%s) - t_start )) s: $out/report.md (figures beside it),"
echo "linked from results/$cpu_id/report.md; raw results in $out/"
