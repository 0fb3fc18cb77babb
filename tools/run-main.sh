#!/bin/sh
# `make run`: build, describe the CPU, verify every kernel on every ISA it
# has, benchmark every kernel on every ISA, and print the rates, speed-ups
# over scalar and fractions of the roofline. Writes results/<cpu-id>/run/
# (info.json, verify.json, bench.json, summary.md, with the commands).
set -eu
cd "$(dirname "$0")/.."
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}
MIN_TIME=${NNSIMD_BENCH_MIN_TIME:-0.1}

echo "nnsimd make run: build, info, verify (seconds), the kernel benchmarks"
echo "(${MIN_TIME}s each, several minutes in all), one epoch of the MNIST MLP"
echo "(seconds to a minute), then a short IMDb transformer run (a few minutes)."
echo
echo "=== [1/6] build"
make -j"$JOBS" all >/dev/null
cpu_id=$(build/nnsimd info --json | sed -n 's/^ *"cpu_id": "\(.*\)",$/\1/p')
out=results/$cpu_id/run
mkdir -p "$out"

echo "=== [2/6] nnsimd info"
build/nnsimd info
build/nnsimd info --json >"$out/info.json"

echo
echo "=== [3/6] nnsimd verify"
build/nnsimd verify
build/nnsimd verify --json >"$out/verify.json"

echo
echo "=== [4/6] benchmarks (build/nnsimd-bench --benchmark_min_time=$MIN_TIME)"
build/nnsimd-bench --benchmark_min_time="$MIN_TIME" \
    --benchmark_out="$out/bench.json" --benchmark_out_format=json
echo
python3 tools/bench_summary.py "$out/bench.json"
{
    echo "# make run on $cpu_id"
    echo
    echo "Commands: \`build/nnsimd info --json\` (info.json), \`build/nnsimd verify --json\`"
    echo "(verify.json), \`build/nnsimd-bench --benchmark_min_time=$MIN_TIME"
    echo "--benchmark_out=bench.json --benchmark_out_format=json\` (bench.json), then"
    echo "\`tools/bench_summary.py bench.json --markdown\`; made by \`make run\` at $(date -u +%Y-%m-%dT%H:%MZ)."
    echo
    python3 tools/bench_summary.py "$out/bench.json" --markdown
} >"$out/summary.md"
echo
echo "=== [5/6] MNIST MLP, one epoch (784-512-512-10 ReLU, AdamW, batch 128, $JOBS threads)"
# the data: NNSIMD_DATA if set, else data/ (filled by `make data` if absent)
[ -n "${NNSIMD_DATA:-}" ] || [ -d data/mnist ] || tools/fetch-data.sh
build/nnsimd train mlp --epochs 1 --threads "$JOBS" --log "$out/mlp-1epoch.jsonl" | tee "$out/mlp-1epoch.txt"
echo
echo "=== [6/6] IMDb transformer, a short run: 250 steps on 4,000 training reviews, accuracy on"
echo "    2,500 held-out training reviews (not the test set; the full run is in README.md)"
[ -n "${NNSIMD_DATA:-}" ] || [ -d data/imdb ] || tools/fetch-data.sh
build/nnsimd train transformer --train-subset 4000 --holdout --epochs 2 --threads "$JOBS" \
    --log "$out/transformer-short.jsonl" | tee "$out/transformer-short.txt"
echo
echo "written: $out/{info,verify,bench}.json, $out/summary.md, $out/mlp-1epoch.{jsonl,txt},"
echo "         $out/transformer-short.{jsonl,txt}"
