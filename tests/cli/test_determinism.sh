#!/bin/sh
# Determinism and crash safety of training, through the real command:
#   - the same seed twice gives bit-identical step losses (the JSON-lines
#     log without its timings) and final checkpoints (the tensor bytes after
#     the safetensors header, and the sha256 in the metadata);
#   - --threads 1 and --threads 2 give the same bits; another seed does not
#     (so the comparisons can fail);
#   - kill and resume: a run checkpointing every 5 steps is killed with
#     SIGKILL at random moments, KILLS times; after each kill the checkpoint
#     is either absent (killed before the first one) or loads (--resume X
#     --max-steps 1 runs), no temporary file is left, and the run resumes
#     from it; the last resume runs to the end, and its logged losses and
#     final checkpoint must equal an uninterrupted run's, bit for bit.
# Pointer alignment is not varied here: the CUnit suite's
# mlp/alignment_same_bits moves every buffer of a model off its alignment
# and compares a training step's loss and gradients bit for bit, and the
# kernel checker runs every kernel on misaligned pointers.
#
# Uses the real MNIST (NNSIMD_DATA, ../shared/data, data/ at the top),
# else a synthetic set written here. The model: --hidden 160,32 (on 2 threads
# its first layer splits output features, the others rows).
# Usage: tests/cli/test_determinism.sh path/to/nnsimd [KILLS]   (KILLS: 3)
set -u
NNSIMD=${1:?usage: test_determinism.sh path/to/nnsimd [kills]}
KILLS=${2:-3}
TOP=$(cd "$(dirname "$0")/../.." && pwd)
T=$(mktemp -d "${TMPDIR:-/tmp}/nnsimd-det-XXXXXX") || exit 1
bg=
trap '[ -n "$bg" ] && kill -9 "$bg" 2>/dev/null; rm -rf "$T"' EXIT INT TERM
pass=0 fail=0
check() { # check NAME STATUS [DETAIL]
    if [ "$2" -eq 0 ]; then
        pass=$((pass + 1)); echo "ok    $1"
    else
        fail=$((fail + 1)); echo "FAIL  $1${3:+: $3}"
    fi
}

# ---- data ---------------------------------------------------------------
data=
for d in "${NNSIMD_DATA:-}" "$TOP/../shared/data" "$TOP/data"; do
    if [ -n "$d" ] && { [ -e "$d/mnist/train-images-idx3-ubyte.gz" ] || [ -e "$d/mnist/train-images-idx3-ubyte" ]; }; then
        data=$d/mnist
        break
    fi
done
if [ -n "$data" ]; then
    # Inflated once here: each run then reads raw files (much faster).
    src=$data data=$T/mnist
    mkdir -p "$data"
    for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
        if [ -e "$src/$f.gz" ]; then gzip -dc "$src/$f.gz" >"$data/$f"; else cp "$src/$f" "$data/$f"; fi
    done
    echo "data: $src (inflated into a temporary folder)"
else
    data=$T/mnist
    mkdir -p "$data"
    be32() { printf "$(printf '\\%03o\\%03o\\%03o\\%03o' $(($1 >> 24 & 255)) $(($1 >> 16 & 255)) $(($1 >> 8 & 255)) $(($1 & 255)))"; }
    labels() { i=0; while [ $i -lt $(($1 / 10)) ]; do printf '\000\001\002\003\004\005\006\007\010\011'; i=$((i + 1)); done; }
    for s in train:2560 t10k:640; do
        n=${s#*:} f=${s%:*}
        { be32 2051; be32 "$n"; be32 28; be32 28; yes 'synthetic MNIST: 0123456789 abcdefghijklmnopqrstuvwxyz' | head -c $((n * 784)); } >"$data/$f-images-idx3-ubyte"
        { be32 2049; be32 "$n"; labels "$n"; } >"$data/$f-labels-idx1-ubyte"
    done
    echo "data: no MNIST found (NNSIMD_DATA, ../shared/data, data/): a synthetic set of 2,560 images"
fi

MLP="train mlp --data $data --hidden 160,32 --epochs 1"
# losses FILE: the log's step lines without their timing
losses() { grep '"step"' "$1" | sed 's/,"time_s":[^}]*//'; }
# tensors FILE: the bytes after the safetensors header, as a checksum
tensors() {
    h=$(od -An -tu8 -N8 "$1" | tr -d ' ')
    tail -c +$((9 + h)) "$1" | cksum
}
meta() { # meta FILE KEY: a metadata string of the checkpoint's header
    h=$(od -An -tu8 -N8 "$1" | tr -d ' ')
    head -c $((8 + h)) "$1" | tail -c "$h" | grep -o "\"$2\":\"[^\"]*\"" | sed 's/.*:"\(.*\)"/\1/'
}
now_ms() { date +%s%3N; }
# train NAME ARGS...: a full run, its log and checkpoint under $T/NAME.*
train() {
    name=$1; shift
    "$NNSIMD" $MLP "$@" --log "$T/$name.jsonl" --save "$T/$name.safetensors" >"$T/$name.out" 2>"$T/$name.err"
    rc=$?
    [ $rc -eq 0 ] || { echo "      $name: exit $rc"; sed 's/^/      | /' "$T/$name.err" | tail -n 5; }
    return $rc
}
same() { # same NAME A B: losses and tensors of runs A and B are identical
    la=$(losses "$T/$2.jsonl") lb=$(losses "$T/$3.jsonl")
    [ -n "$la" ] && [ "$la" = "$lb" ]
    check "$1: step losses bit-identical ($(printf '%s\n' "$la" | wc -l) steps)" $?
    [ "$(tensors "$T/$2.safetensors")" = "$(tensors "$T/$3.safetensors")" ] &&
        [ "$(meta "$T/$2.safetensors" sha256)" = "$(meta "$T/$3.safetensors" sha256)" ]
    check "$1: final checkpoint tensors bit-identical (sha256 $(meta "$T/$2.safetensors" sha256 | cut -c1-16)...)" $?
}

# ---- determinism ------------------------------------------------------------
echo "== the same seed, threads, another seed (--max-steps 40)"
train a1 --max-steps 40 --threads 1 && train a2 --max-steps 40 --threads 1 &&
    train b2 --max-steps 40 --threads 2 && train c1 --max-steps 40 --seed 2
check "four runs of 40 steps" $?
same "seed 1 twice" a1 a2
same "--threads 1 vs 2" a1 b2
[ "$(losses "$T/a1.jsonl")" != "$(losses "$T/c1.jsonl")" ]
check "seed 2 gives other losses (the comparisons can fail)" $?
# OpenMP may give a team fewer threads than asked for (here
# OMP_THREAD_LIMIT): the model's barriers count the team, so the run
# neither hangs nor changes a bit.
OMP_THREAD_LIMIT=2 timeout 120 "$NNSIMD" $MLP --max-steps 40 --threads 3 --log "$T/d3.jsonl" \
    --save "$T/d3.safetensors" >"$T/d3.out" 2>"$T/d3.err"
check "--threads 3 under OMP_THREAD_LIMIT=2 ends (exit $?)" $?
same "--threads 1 vs 3 of which OpenMP gives 2" a1 d3
# More threads than this machine's CPUs (most CI machines): the barriers'
# waiters yield their cores; the same bits.
train e5 --max-steps 40 --threads 5
check "--threads 5" $?
same "--threads 1 vs 5" a1 e5
# --profile times each phase of a step without changing a bit.
train p2 --max-steps 40 --threads 2 --profile
check "--threads 2 --profile" $?
same "--threads 1 vs 2 with --profile" a1 p2
grep -q "^where a step's time went, mean over 40 steps on 2 threads" "$T/p2.err"
check "--profile's table: 40 steps on 2 threads" $?
for phase in fill "forward 0" "forward 2" loss "backward 2" "act grad 1" "backward 0" update step; do
    grep -q "^  $phase  *[0-9]" "$T/p2.err"
    check "--profile times '$phase'" $?
done

# nnsimd-mlp-threads (beside nnsimd) trains the default model on 1 thread
# and on N side by side on the same batches, and fails unless the two end
# with the same bits.
PAIRED=$(dirname "$NNSIMD")/nnsimd-mlp-threads
for n in 2 3; do
    "$PAIRED" --data "$data" --threads $n --rounds 2 --steps 3 --json "$T/paired$n.json" >"$T/paired$n.out" 2>&1
    check "nnsimd-mlp-threads --threads $n (exit $?)" $? "$(tail -n 2 "$T/paired$n.out")"
    grep -q "^both copies took 6 steps on the same batches: parameters, moments and loss equal bit for bit$" "$T/paired$n.out" &&
        grep -q '"same_bits": true' "$T/paired$n.json"
    check "nnsimd-mlp-threads: 1 and $n threads end with the same bits" $?
done
# nnsimd report reads its JSON into a section of its own (when the
# interpreter the report runs on has matplotlib).
py=${NNSIMD_PYTHON:-/usr/bin/python3}
[ -x "$py" ] || py=python3
if "$py" -c "import matplotlib" 2>/dev/null; then
    mkdir -p "$T/report" && cp "$T/paired2.json" "$T/report/" &&
        "$NNSIMD" report "$T/report" >/dev/null 2>&1 &&
        grep -q '^| `paired2.json` | 2 | 2 x 3 | [a-z0-9]* | [0-9.]* | [0-9.]* | [0-9.]* | [0-9.-]* | yes |$' "$T/report/report.md"
    check "nnsimd report tabulates an nnsimd-mlp-threads run" $?
else
    echo "skip  nnsimd report of an nnsimd-mlp-threads run ($py has no matplotlib)"
fi
"$PAIRED" --data "$data" --steps 1 >/dev/null 2>"$T/paired.err"
[ $? -eq 2 ] && grep -q "^nnsimd-mlp-threads: --steps 1: expected an integer >= 2$" "$T/paired.err"
check "nnsimd-mlp-threads --steps 1 is refused" $?

# ---- kill and resume --------------------------------------------------------
echo "== kill and resume: $KILLS SIGKILLs of a run checkpointing every 5 of 80 steps"
ck=$T/k.safetensors
# step_of CKPT: its "step" metadata, 0 if there is no file (one grep: it
# is polled)
step_of() {
    s=$(grep -m1 -ao '"step":"[0-9]*"' "$1" 2>/dev/null)
    s=${s#*:\"}
    s=${s%\"}
    echo "${s:-0}"
}
# wait_step CKPT N: until the checkpoint is at step N or later, or the run
# ($bg) has ended (polled every 5 ms; the file is replaced by a rename, so
# what is read is always a whole checkpoint).
wait_step() {
    i=0
    while [ "$(step_of "$1")" -lt "$2" ] && kill -0 "$bg" 2>/dev/null && [ $i -lt 20000 ]; do
        sleep 0.005
        i=$((i + 1))
    done
}
# start_run CKPT ARGS...: a checkpointing run (every 5 of 80 steps) in the
# background, $bg.
start_run() {
    c=$1; shift
    "$NNSIMD" $MLP --max-steps 80 --save "$c" --save-every 5 "$@" >/dev/null 2>"$T/run.err" &
    bg=$!
}
start_run "$T/ref.safetensors" --log "$T/ref.jsonl"
wait_step "$T/ref.safetensors" 5
t5=$(now_ms)
wait_step "$T/ref.safetensors" 80
t80=$(now_ms)
wait "$bg"
check "the uninterrupted run" $? "$(tail -n 2 "$T/run.err")"
bg=
gap=$(((t80 - t5) / 15))
echo "      a checkpoint every $gap ms or so (steps 5 to 80: $((t80 - t5)) ms)"
rand() { od -An -tu4 -N4 /dev/urandom | tr -d ' '; }
# Each kill: once the checkpoint reaches a random step still to come
# (from+5..55, so the last resume has steps to compare), after a random
# part of the time between two checkpoints; every fourth kill (in long
# runs) lands in the loading instead, before any checkpoint.
k=0
while [ $k -lt "$KILLS" ]; do
    k=$((k + 1))
    from=$(step_of "$ck")
    [ "$from" -ge 50 ] && rm -f "$ck" && from=0 # little left to kill: start over
    if [ -f "$ck" ]; then start_run "$ck" --resume "$ck"; else start_run "$ck"; fi
    extra=$(($(rand) % (gap + 1)))
    if [ $((k % 4)) -eq 0 ]; then
        where="while loading"
        sleep "0.$(printf '%03d' $(($(rand) % 400)))"
    else
        target=$((from + 5 * (1 + $(rand) % ((55 - from) / 5))))
        where="$extra ms after the checkpoint reached step $target"
        wait_step "$ck" "$target"
        sleep "$(printf '%d.%03d' $((extra / 1000)) $((extra % 1000)))"
    fi
    kill -9 "$bg" 2>/dev/null
    wait "$bg" 2>/dev/null
    rc=$?
    bg=
    after=$( [ -f "$ck" ] && meta "$ck" step || echo none)
    how=$([ $rc -eq 137 ] && echo "killed" || echo "had ended (exit $rc)")
    echo "      kill $k: resumed from step $from, $how $where; checkpoint now at step $after"
    left=$(find "$T" -maxdepth 1 -name 'k.safetensors.tmp*' | wc -l)
    [ "$left" -eq 0 ]
    check "kill $k: no temporary file left" $? "$(find "$T" -maxdepth 1 -name "k.safetensors.tmp*")"
    find "$T" -maxdepth 1 -name 'k.safetensors.tmp*' -exec rm -f {} +
    if [ -f "$ck" ]; then
        before=$(cksum <"$ck")
        "$NNSIMD" $MLP --resume "$ck" --max-steps 1 >/dev/null 2>"$T/load.err"
        [ $? -eq 0 ] && [ "$before" = "$(cksum <"$ck")" ]
        check "kill $k: the checkpoint (step $after) loads" $? "$(cat "$T/load.err")"
    else
        [ $rc -eq 137 ]
        check "kill $k: no checkpoint yet (killed before step 5)" $?
    fi
done
resume=
[ -f "$ck" ] && resume="--resume $ck"
from=$( [ -f "$ck" ] && meta "$ck" step || echo 0)
"$NNSIMD" $MLP --max-steps 80 --save "$ck" --save-every 5 $resume --log "$T/final.jsonl" >/dev/null 2>"$T/final.err"
check "resume from step $from to the end" $? "$(tail -n 2 "$T/final.err")"
n=$(losses "$T/final.jsonl" | wc -l)
[ "$(losses "$T/final.jsonl")" = "$(losses "$T/ref.jsonl" | tail -n "$n" | grep -v '^$')" ] &&
    [ "$((from + n))" -eq 80 ]
check "the resumed steps $((from + 1))..80 have the uninterrupted run's losses, bit for bit ($n steps)" $?
[ "$(tensors "$ck")" = "$(tensors "$T/ref.safetensors")" ]
check "the final checkpoint's tensors equal the uninterrupted run's" $?

echo "cli tests: determinism: $pass passed, $fail failed ($KILLS kills)"
[ "$fail" -eq 0 ]
