#!/bin/sh
# The long checks behind `make check-long` (after them the Makefile runs
# `make fuzz`): valgrind memcheck on the readers, on real data
# (build/memcheck-readers: MNIST, the IMDb JSON, an aclImdb sample, the
# tokenizer, every fixture, a checkpoint) and on every fuzz corpus and
# regression input (build/replay-<target>), then the kill-and-resume test
# with many kills (KILLS, default 25). Prints a summary; exit 1 on a failure.
set -u
cd "$(dirname "$0")/.." || exit 2
KILLS=${KILLS:-25}
TARGETS="idx imdb_json aclimdb tokenizer safetensors checkpoint fixture"
VG="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect"
summary=""
status=0
note() { summary="$summary$(printf '%-40s %s' "$1" "$2")
"; }

data=
for d in "${NNSIMD_DATA:-}" ../shared/data data; do
    [ -n "$d" ] && [ -d "$d/mnist" ] && [ -d "$d/imdb" ] && { data=$d; break; }
done
scratch=$(mktemp -d "${TMPDIR:-/tmp}/nnsimd-long-XXXXXX") || exit 1
trap 'rm -rf "$scratch"' EXIT INT TERM

echo "=== valgrind: the readers on real data"
if [ -n "$data" ]; then
    start=$(date +%s)
    $VG build/memcheck-readers "$data" tests/fixtures "$scratch" 400
    rc=$?
    if [ $rc -eq 0 ]; then note "valgrind: readers on $data" "ok ($(($(date +%s) - start)) s)"
    else status=1; note "valgrind: readers on $data" "FAILED (exit $rc)"; fi
else
    note "valgrind: readers on real data" "SKIPPED (no data: NNSIMD_DATA, ../shared/data, data/)"
    [ "${CI:-}" = true ] && status=1
fi

echo "=== valgrind: the fuzz corpora and regression inputs"
for t in $TARGETS; do
    set -- "tests/fuzz/corpus/$t"
    [ -d "tests/bad-inputs/fuzz/$t" ] && set -- "$@" "tests/bad-inputs/fuzz/$t"
    [ -d "build/fuzz/corpus/$t" ] && set -- "$@" "build/fuzz/corpus/$t"
    out=$($VG "build/replay-$t" "$@" 2>&1)
    rc=$?
    printf '%s\n' "$out" | grep -v '^replayed' | head -n 40
    n=$(printf '%s\n' "$out" | sed -n 's/^replayed \([0-9]*\) inputs/\1/p')
    if [ $rc -eq 0 ]; then note "valgrind: replay-$t" "ok (${n:-?} inputs)"
    else status=1; note "valgrind: replay-$t" "FAILED (exit $rc)"; fi
done

echo "=== kill and resume, $KILLS kills"
tests/cli/test_determinism.sh build/nnsimd "$KILLS"
rc=$?
if [ $rc -eq 0 ]; then note "determinism, kill and resume" "ok ($KILLS kills)"
else status=1; note "determinism, kill and resume" "FAILED ($KILLS kills)"; fi

echo
echo "=== check-long summary (the fuzzers follow: make fuzz)"
printf '%s' "$summary"
exit $status
