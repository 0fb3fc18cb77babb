#!/bin/sh
# `make run`: build, describe the CPU, verify every kernel on every ISA it
# has, benchmark every kernel on every ISA, and print the rates, speed-ups
# over scalar and fractions of the roofline. Writes results/<cpu-id>/run/
# (info.json, verify.json, bench.json, summary.md, with the commands).
set -eu
cd "$(dirname "$0")/.."
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}
MIN_TIME=${NNSIMD_BENCH_MIN_TIME:-0.1}

echo "nnsimd make run: build, info, verify (seconds), then about 40 kernel"
echo "benchmarks at ${MIN_TIME}s each (a minute or two in all)."
echo
echo "=== [1/4] build"
make -j"$JOBS" all >/dev/null
cpu_id=$(build/nnsimd info --json | sed -n 's/^ *"cpu_id": "\(.*\)",$/\1/p')
out=results/$cpu_id/run
mkdir -p "$out"

echo "=== [2/4] nnsimd info"
build/nnsimd info
build/nnsimd info --json >"$out/info.json"

echo
echo "=== [3/4] nnsimd verify"
build/nnsimd verify
build/nnsimd verify --json >"$out/verify.json"

echo
echo "=== [4/4] benchmarks (build/nnsimd-bench --benchmark_min_time=$MIN_TIME)"
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
echo "written: $out/{info,verify,bench}.json and $out/summary.md"
