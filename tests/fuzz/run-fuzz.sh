#!/bin/sh
# Runs the libFuzzer targets built by `make fuzz` (build/fuzz/fuzz_<target>)
# for RUNS executions each (default 1,000,000), JOBS at a time, and prints
# a table: target, executions, corpus size, result. Each target's working
# corpus is build/fuzz/corpus/<target> (new inputs land there), seeded from
# the committed tests/fuzz/corpus/<target>; a finding leaves its input in
# build/fuzz/artifacts/ and its log in build/fuzz/logs/.
# Usage: tests/fuzz/run-fuzz.sh [RUNS [TARGET...]]   (env: JOBS, FUZZ_BUILD)
set -u
cd "$(dirname "$0")/../.." || exit 2
RUNS=${1:-1000000}
[ $# -gt 0 ] && shift
TARGETS=${*:-idx imdb_json aclimdb tokenizer safetensors checkpoint fixture}
B=${FUZZ_BUILD:-build/fuzz}
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}
mkdir -p "$B/logs" "$B/artifacts"

# The longest input worth trying, and the dictionary, per target.
max_len() {
    case $1 in
        imdb_json) echo 8192 ;;
        tokenizer|aclimdb) echo 4096 ;;
        *) echo 4096 ;;
    esac
}
dict() {
    case $1 in
        imdb_json) echo "-dict=tests/fuzz/json.dict" ;;
        safetensors|checkpoint|fixture) echo "-dict=tests/fuzz/safetensors.dict" ;;
    esac
}

run_one() {
    t=$1
    mkdir -p "$B/corpus/$t"
    # shellcheck disable=SC2046
    ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=0 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        "$B/fuzz_$t" -runs="$RUNS" -max_len="$(max_len "$t")" $(dict "$t") -timeout=20 \
        -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$B/artifacts/$t-" \
        "$B/corpus/$t" "tests/fuzz/corpus/$t" >"$B/logs/$t.log" 2>&1
    echo $? >"$B/logs/$t.rc"
}

trap 'kill $(jobs -p) 2>/dev/null; exit 130' INT TERM
start=$(date +%s)
running=0
for t in $TARGETS; do
    [ -x "$B/fuzz_$t" ] || { echo "run-fuzz: $B/fuzz_$t missing (make fuzz builds it)" >&2; exit 2; }
    run_one "$t" &
    running=$((running + 1))
    if [ "$running" -ge "$JOBS" ]; then wait; running=0; fi
done
wait

status=0
printf '%-12s %12s %8s  %s\n' target executions corpus result
for t in $TARGETS; do
    log=$B/logs/$t.log
    rc=$(cat "$B/logs/$t.rc" 2>/dev/null || echo 1)
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    corpus=$(ls "$B/corpus/$t" | wc -l)
    if [ "$rc" -eq 0 ] && [ "${execs:-0}" -ge "$RUNS" ]; then
        result="no finding"
    else
        status=1
        what=$(grep -m1 -E "^==[0-9]+==ERROR|runtime error|^SUMMARY|ERROR: libFuzzer|deadly signal|out-of-memory|timeout" "$log")
        result="FINDING (exit $rc): ${what:-see $log} -> $(ls "$B/artifacts/$t-"* 2>/dev/null | head -n 1)"
    fi
    printf '%-12s %12s %8s  %s\n' "$t" "${execs:-?}" "$corpus" "$result"
done
echo "fuzz: $(( $(date +%s) - start )) s, $RUNS runs per target"
exit $status
