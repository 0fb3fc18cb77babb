#!/bin/sh
# The corpus of bad inputs: each case runs the real command (nnsimd train
# mlp on MNIST files, --resume on checkpoints, nnsimd train transformer on
# IMDb files, bad option values) and checks that it exits non-zero with
# exactly one line on stderr naming the file (or the option) and the
# problem, and that nothing was written or changed: the work folder is the
# same before and after, and the --save and --log paths given never appear.
# The inputs are generated here from a tiny valid MNIST set (shell, gzip and
# nnsimd itself); tests/bad-inputs/ holds the fuzzers' findings, replayed as
# cases too. Prints a table: case, exit status, message.
#
# Usage: tests/cli/test_bad_inputs.sh path/to/nnsimd [folder of replay-<target>]
#   The second argument (e.g. build/asan) replays tests/bad-inputs/fuzz/<target>/
#   through that build's replay-<target> programs as well.
set -u
NNSIMD=${1:?usage: test_bad_inputs.sh path/to/nnsimd [replay folder]}
REPLAY=${2:-}
TOP=$(cd "$(dirname "$0")/../.." && pwd)
BAD=$TOP/tests/bad-inputs
T=$(mktemp -d "${TMPDIR:-/tmp}/nnsimd-bad-XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT INT TERM
W=$T/work   # every input lives here; it must not change
O=$T/out    # --save and --log point here; nothing may appear
mkdir -p "$W" "$O"
# Under ASan an allocation above 512 MiB is an error: what these inputs
# claim must never be believed (nothing here needs more).
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:max_allocation_size_mb=512}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
pass=0 fail=0 xfail=0 skip=0
table=$T/table

# ---- generators ------------------------------------------------------------

be32() { # big-endian u32
    printf "$(printf '\\%03o\\%03o\\%03o\\%03o' $(($1 >> 24 & 255)) $(($1 >> 16 & 255)) \
        $(($1 >> 8 & 255)) $(($1 & 255)))"
}
pixels() { yes 'nnsimd bad-input pixels 0123456789' | head -c "$1"; }
labels() { head -c "$1" /dev/zero | tr '\000' '\003'; } # all 3s
# images FILE COUNT ROWS COLS [DATA_BYTES] [MAGIC]
images() {
    { be32 "${6:-2051}"; be32 "$2"; be32 "$3"; be32 "$4"; pixels "${5:-$(($2 * $3 * $4))}"; } >"$1"
}
# labelfile FILE COUNT [DATA_BYTES]
labelfile() { { be32 2049; be32 "$2"; labels "${3:-$2}"; } >"$1"; }
# good_mnist DIR: 256 training and 64 test images of 28 x 28, raw
good_mnist() {
    mkdir -p "$1"
    images "$1/train-images-idx3-ubyte" 256 28 28
    labelfile "$1/train-labels-idx1-ubyte" 256
    images "$1/t10k-images-idx3-ubyte" 64 28 28
    labelfile "$1/t10k-labels-idx1-ubyte" 64
}
size_of() { wc -c <"$1" | tr -d ' '; }
# flip FILE OFFSET: xor one byte with 0x55
flip() {
    b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
    printf "$(printf '\\%03o' $((b ^ 85)))" | dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}
# cut FILE BYTES: keep the first BYTES bytes
cut_to() { head -c "$2" "$1" >"$1.cut" && mv "$1.cut" "$1"; }
# header length of a safetensors file (u64 little-endian)
st_header() { od -An -tu8 -N8 "$1" | tr -d ' '; }

# ---- the checks -------------------------------------------------------------

# Every path under $W with its type, mode, size and mtime, and every file's checksum.
snapshot() {
    (cd "$W" && find . -printf '%p %y %m %s %T@\n' | LC_ALL=C sort &&
        find . -type f -exec cksum {} + | LC_ALL=C sort -k3)
}

# run_case NAME FILE WANT -- ARGS...: runs nnsimd ARGS with
# --save and --log into $O; FILE (a path, or an option name) and WANT must
# both be in the one line of stderr.
# XFAIL=REASON before it marks a case expected to fail (a reported bug).
XFAIL=
run_case() {
    name=$1 file=$2 want=$3 xf=$XFAIL
    XFAIL=
    shift 4
    before=$(snapshot)
    "$NNSIMD" "$@" --save "$O/saved.safetensors" --log "$O/log.jsonl" >"$T/stdout" 2>"$T/stderr" </dev/null
    rc=$?
    after=$(snapshot)
    lines=$(wc -l <"$T/stderr" | tr -d ' ')
    msg=$(head -n 1 "$T/stderr" | sed "s|$W/||g; s|$O/||g")
    why=""
    [ "$rc" -ne 0 ] || why="exit status 0"
    [ "$rc" -lt 128 ] || why="${why:+$why; }killed by a signal (exit $rc)"
    [ "$lines" -eq 1 ] || why="${why:+$why; }$lines lines on stderr"
    grep -qF -- "$file" "$T/stderr" || why="${why:+$why; }does not name $file"
    grep -qF -- "$want" "$T/stderr" || why="${why:+$why; }does not say '$want'"
    [ "$before" = "$after" ] || why="${why:+$why; }the work folder changed"
    [ -z "$(ls -A "$O")" ] || why="${why:+$why; }wrote $(ls -A "$O" | tr '\n' ' ')"
    rm -rf "${O:?}"/* "${O:?}"/.[!.]* 2>/dev/null
    if [ -n "$xf" ]; then
        if [ -n "$why" ]; then
            xfail=$((xfail + 1)) verdict="XFAIL ($xf)"
        else
            fail=$((fail + 1)) verdict="XPASS: now fixed, drop the XFAIL mark"
        fi
    elif [ -z "$why" ]; then
        pass=$((pass + 1)) verdict=ok
    else
        fail=$((fail + 1)) verdict="FAIL: $why"
        sed 's/^/      | /' "$T/stderr" | head -n 20
    fi
    printf '%-40s %4s  %s\n' "$name" "$rc" "$msg" >>"$table"
    [ "$verdict" = ok ] || printf '%-40s       ^ %s\n' "" "$verdict" >>"$table"
}

skip_case() {
    skip=$((skip + 1))
    printf '%-40s %4s  SKIPPED (%s)\n' "$1" - "$2" >>"$table"
}

MLP="train mlp --epochs 1 --max-steps 1 --hidden 32"

# ---- MNIST files -------------------------------------------------------------

good_mnist "$W/good"
# mnist_case NAME FILE-IN-FOLDER WANT: the folder $W/NAME was prepared
mnist_case() { run_case "mnist: $1" "$W/$1/$2" "$3" -- $MLP --data "$W/$1"; }
prep() { cp -r "$W/good" "$W/$1"; }

prep gz-truncated
gzip -n "$W/gz-truncated/train-images-idx3-ubyte"
cut_to "$W/gz-truncated/train-images-idx3-ubyte.gz" 300
mnist_case gz-truncated train-images-idx3-ubyte.gz "truncated gzip stream"

prep gz-corrupt
gzip -n "$W/gz-corrupt/train-labels-idx1-ubyte"
for off in 20 21 22 23 24 25; do flip "$W/gz-corrupt/train-labels-idx1-ubyte.gz" $off; done
mnist_case gz-corrupt train-labels-idx1-ubyte.gz "corrupt gzip stream"

prep gz-crc
gzip -n "$W/gz-crc/t10k-labels-idx1-ubyte"
flip "$W/gz-crc/t10k-labels-idx1-ubyte.gz" $(($(size_of "$W/gz-crc/t10k-labels-idx1-ubyte.gz") - 6))
mnist_case gz-crc t10k-labels-idx1-ubyte.gz "corrupt gzip stream: incorrect data check"

prep gz-not-gzip
mv "$W/gz-not-gzip/train-images-idx3-ubyte" "$W/gz-not-gzip/train-images-idx3-ubyte.gz"
mnist_case gz-not-gzip train-images-idx3-ubyte.gz "not in gzip format"

prep wrong-magic
images "$W/wrong-magic/train-images-idx3-ubyte" 256 28 28 "" 2049
mnist_case wrong-magic train-images-idx3-ubyte "wrong magic 0x00000801"

prep dims-overflow
images "$W/dims-overflow/train-images-idx3-ubyte" 4294967295 4294967295 4294967295 64
mnist_case dims-overflow train-images-idx3-ubyte "overflow"

prep dims-zero
images "$W/dims-zero/train-images-idx3-ubyte" 256 0 28 0
mnist_case dims-zero train-images-idx3-ubyte "zero dimension"

prep dims-huge
images "$W/dims-huge/train-images-idx3-ubyte" 4000000000 28 28 1000
mnist_case dims-huge train-images-idx3-ubyte "truncated"

prep counts-disagree
labelfile "$W/counts-disagree/train-labels-idx1-ubyte" 255
mnist_case counts-disagree train-labels-idx1-ubyte "255 labels, but"

prep label-range
{ be32 2049; be32 256; labels 200; printf '\012'; labels 55; } >"$W/label-range/train-labels-idx1-ubyte"
mnist_case label-range train-labels-idx1-ubyte "label 10 at index 200 out of range 0..9"

prep empty-file
: >"$W/empty-file/train-labels-idx1-ubyte"
mnist_case empty-file train-labels-idx1-ubyte "empty file"

prep header-short
be32 2051 >"$W/header-short/train-images-idx3-ubyte"
mnist_case header-short train-images-idx3-ubyte "the IDX header needs 16 bytes, 4 found"

prep data-short
images "$W/data-short/t10k-images-idx3-ubyte" 64 28 28 50000
mnist_case data-short t10k-images-idx3-ubyte "truncated: 50192 bytes expected"

prep trailing
{ cat "$W/good/train-labels-idx1-ubyte"; printf 'x'; } >"$W/trailing/train-labels-idx1-ubyte"
mnist_case trailing train-labels-idx1-ubyte "trailing bytes"

prep missing-file
rm "$W/missing-file/t10k-labels-idx1-ubyte"
mnist_case missing-file t10k-labels-idx1-ubyte.gz "no such file"

run_case "mnist: missing folder" "$W/nowhere" "neither it nor" -- $MLP --data "$W/nowhere"

# ---- checkpoints (--resume) ---------------------------------------------------

mkdir -p "$T/gen"
"$NNSIMD" $MLP --data "$W/good" --init-only --save "$T/gen/h32.safetensors" >/dev/null 2>&1 &&
"$NNSIMD" train mlp --data "$W/good" --init-only --hidden 64 --save "$T/gen/h64.safetensors" >/dev/null 2>&1
if [ $? -ne 0 ] || [ ! -s "$T/gen/h32.safetensors" ] || [ ! -s "$T/gen/h64.safetensors" ]; then
    fail=$((fail + 1))
    echo "FAIL: nnsimd train mlp --init-only could not write the checkpoints the cases need"
else
    ck=$T/gen/h32.safetensors
    data_at=$((8 + $(st_header "$ck")))
    size=$(size_of "$ck")
    cp "$T/gen/h64.safetensors" "$W/other-shape.safetensors"
    cp "$ck" "$W/flipped.safetensors" && flip "$W/flipped.safetensors" $((data_at + (size - data_at) / 2))
    cp "$ck" "$W/truncated.safetensors" && cut_to "$W/truncated.safetensors" $((data_at + (size - data_at) / 2))
    cp "$ck" "$W/cut-header.safetensors" && cut_to "$W/cut-header.safetensors" $((data_at / 2))
    : >"$W/empty.safetensors"
    cp "$TOP/tests/fixtures/add_1.safetensors" "$W/fixture.safetensors"
    ckpt_case() { run_case "checkpoint: $1" "$W/$2" "$3" -- $MLP --data "$W/good" --resume "$W/$2" ${4:-}; }
    ckpt_case "another model shape" other-shape.safetensors "not of this model (mlp 784-32-10 relu)"
    ckpt_case "a flipped byte" flipped.safetensors "checksum mismatch"
    ckpt_case "truncated in the data" truncated.safetensors "truncated: the tensors need"
    ckpt_case "truncated in the header" cut-header.safetensors "truncated or not safetensors"
    ckpt_case "empty file" empty.safetensors "empty file"
    ckpt_case "not a checkpoint" fixture.safetensors "not an nnsimd checkpoint"
    cp "$ck" "$W/$(basename "$ck")"
    ckpt_case "another optimizer" h32.safetensors "written with optimizer adamw, not sgd" "--optimizer sgd"
    ckpt_case "a folder" good "is a folder, not a file"
    run_case "checkpoint: missing file" "$W/none.safetensors" "cannot open" -- \
        $MLP --data "$W/good" --resume "$W/none.safetensors"
fi

# The fuzzers' findings: each must be refused in one line.
for f in "$BAD"/fuzz/safetensors/* "$BAD"/fuzz/checkpoint/*; do
    [ -f "$f" ] || continue
    b=$(basename "$f")
    cp "$f" "$W/fuzz-$b"
    run_case "fuzz: ${b%.safetensors}" "$W/fuzz-$b" ": " -- $MLP --data "$W/good" --resume "$W/fuzz-$b"
done

# ---- IMDb (nnsimd train transformer) -------------------------------------------

TF="train transformer --epochs 1 --max-steps 1 --dim 8 --heads 2 --layers 1"
imdb_json() { mkdir -p "$W/$1" && printf '%s' "$2" >"$W/$1/reviews.json"; }
acl() { # acl CASE REL TEXT: one review file in an aclImdb tree
    mkdir -p "$W/$1/aclImdb/$(dirname "$2")" && printf "$3" >"$W/$1/aclImdb/$2"
}
acl_full() { # the four folders, one good review each
    for s in train/pos/1_9.txt train/neg/2_1.txt test/pos/3_8.txt test/neg/4_2.txt; do
        acl "$1" "$s" 'A good, plain review.'
    done
}
if "$NNSIMD" train transformer --help >/dev/null 2>&1; then
    imdb_case() { run_case "imdb: $1" "$W/$2" "$3" -- $TF --data "$W/${2%%/*}"; }
    imdb_json json-invalid '[{"t": "good", "s": 0}, {"t": "bad" "s": 1}]'
    imdb_case "invalid JSON" json-invalid/reviews.json "malformed JSON at byte 39"
    mkdir -p "$W/json-utf8" && printf '[{"t": "caf\351", "s": 0}]' >"$W/json-utf8/reviews.json"
    imdb_case "invalid UTF-8 (JSON)" json-utf8/reviews.json "invalid UTF-8 at byte 11"
    imdb_json json-label2 '[{"t": "fine", "s": 2}]'
    imdb_case "a label of 2" json-label2/reviews.json 'the label "s" is 2, not 0 or 1'
    imdb_json json-empty ''
    imdb_case "empty file" json-empty/reviews.json "empty file"
    imdb_json json-object '{"t": "fine", "s": 0}'
    imdb_case "not an array" json-object/reviews.json "the top level is an object"
    imdb_json json-count '[{"t": "fine", "s": 0}, {"t": "bad", "s": 0}]'
    imdb_case "counts disagree" json-count/reviews.json "holds 2 reviews, expected the 50000"
    mkdir -p "$W/gz-truncated-json" "$W/gz-corrupt-json"
    yes '{"t": "A review long enough to need some deflate blocks here.", "s": 0},' | head -n 2000 |
        { printf '['; cat; printf '{"t": "x", "s": 0}]'; } | gzip -n >"$W/gz-truncated-json/reviews.json.gz"
    cp "$W/gz-truncated-json/reviews.json.gz" "$W/gz-corrupt-json/reviews.json.gz"
    cut_to "$W/gz-truncated-json/reviews.json.gz" 200
    imdb_case "truncated gzip" gz-truncated-json/reviews.json.gz "truncated gzip data"
    for off in 30 31 32 33 34 35 36 37; do flip "$W/gz-corrupt-json/reviews.json.gz" $off; done
    imdb_case "corrupt gzip" gz-corrupt-json/reviews.json.gz "corrupt gzip data"
    mkdir -p "$W/gz-isize-json"
    { printf '[{"t": "x", "s": 0}]' | gzip -n | head -c -4; printf '\377\377\377\377'; } >"$W/gz-isize-json/reviews.json.gz"
    imdb_case "gzip trailer claims 4 GiB" gz-isize-json/reviews.json.gz "incorrect length check"
    acl_full acl-utf8 && acl acl-utf8 train/pos/5_10.txt 'Caf\351 society'
    imdb_case "invalid UTF-8 (aclImdb)" acl-utf8/aclImdb/train/pos/5_10.txt "invalid UTF-8 at byte 3"
    acl acl-missing train/pos/1_9.txt 'Good.' && acl acl-missing train/neg/2_1.txt 'Bad.'
    imdb_case "a missing folder (aclImdb)" acl-missing/aclImdb/test "missing folder"
    acl_full acl-name && acl acl-name test/neg/review.txt 'Bad.'
    imdb_case "a bad review name" acl-name/aclImdb/test/neg "review.txt is not an <id>_<rating>.txt"
    run_case "imdb: missing folder" "$W/nowhere" "neither it nor" -- $TF --data "$W/nowhere"
    # The fuzzer's findings (its input: a byte saying how the rest is stored).
    for f in "$BAD"/fuzz/imdb_json/*; do
        [ -f "$f" ] || continue
        b=$(basename "$f")
        how=$(($(od -An -tu1 -N1 "$f" | tr -d ' ') & 3))
        mkdir -p "$W/fuzz-$b"
        case $how in
            0) tail -c +2 "$f" >"$W/fuzz-$b/reviews.json" ;;
            1) tail -c +2 "$f" | gzip -n >"$W/fuzz-$b/reviews.json.gz" ;;
            2) tail -c +2 "$f" >"$W/fuzz-$b/reviews.json.gz" ;;
            3) tail -c +2 "$f" | gzip -n >"$W/fuzz-$b/reviews.json" ;;
        esac
        imdb_case "fuzz: $b" "fuzz-$b/$(ls "$W/fuzz-$b")" ": "
    done
else
    for c in "invalid JSON" "invalid UTF-8 (JSON)" "a label of 2" "empty file" "not an array" \
        "counts disagree" "truncated gzip" "corrupt gzip" "invalid UTF-8 (aclImdb)" \
        "a missing folder (aclImdb)" "a bad review name" "missing folder" "gzip trailer claims 4 GiB"; do
        skip_case "imdb: $c" "nnsimd train transformer does not exist yet"
    done
fi

# ---- bad option values -----------------------------------------------------------

opt_case() { name=$1 flag=$2 want=$3; shift 3; run_case "option: $name" "$flag" "$want" -- "$@"; }
opt_case "zero batch" "--batch 0" "expected an integer >= 1" $MLP --data "$W/good" --batch 0
opt_case "negative learning rate" "--lr -0.1" "expected a finite number >= 0" $MLP --data "$W/good" --lr -0.1
opt_case "NaN learning rate" "--lr nan" "expected a finite number" $MLP --data "$W/good" --lr nan
opt_case "unknown ISA" "'bogus'" "unknown ISA" $MLP --data "$W/good" --isa bogus
opt_case "non-numeric epochs" "--epochs ten" "expected an integer" $MLP --data "$W/good" --epochs ten
opt_case "trailing junk in a number" "--max-steps 5x" "expected an integer" $MLP --data "$W/good" --max-steps 5x
opt_case "negative seed" "--seed -1" "expected an integer" $MLP --data "$W/good" --seed -1
opt_case "zero threads" "--threads 0" "expected an integer >= 1" $MLP --data "$W/good" --threads 0
opt_case "bad hidden sizes" "--hidden" "hidden" train mlp --data "$W/good" --hidden 32,abc --max-steps 1
opt_case "unknown option" "'--frobnicate'" "unknown option" $MLP --data "$W/good" --frobnicate
opt_case "unknown activation" "--act tanh" "relu or gelu" $MLP --data "$W/good" --act tanh
if "$NNSIMD" train transformer --help >/dev/null 2>&1; then
    opt_case "transformer: zero batch" "--batch 0" "expected an integer >= 1" $TF --data "$W/json-count" --batch 0
    opt_case "transformer: dim vs heads" "--dim 10" "not a multiple of --heads 3" train transformer --dim 10 --heads 3
    opt_case "transformer: dropout of 1" "--dropout 1" "a rate in [0, 1) expected" $TF --data "$W/json-count" --dropout 1
    opt_case "transformer: unknown --keep" "--keep middle" "first, last or ends expected" $TF --data "$W/json-count" --keep middle
fi

# ---- the fuzz targets' regression inputs under this build ---------------------------

if [ -n "$REPLAY" ]; then
    for d in "$BAD"/fuzz/*/; do
        t=$(basename "$d")
        if [ ! -x "$REPLAY/replay-$t" ]; then
            fail=$((fail + 1))
            printf '%-40s %4s  %s\n' "replay: $t" - "$REPLAY/replay-$t missing" >>"$table"
            continue
        fi
        "$REPLAY/replay-$t" "$d" >"$T/replay.log" 2>&1
        rc=$?
        if [ $rc -eq 0 ]; then pass=$((pass + 1)); v=ok; else fail=$((fail + 1)); v="FAIL"; fi
        printf '%-40s %4s  %s\n' "replay: $t" "$rc" "$(tail -n 1 "$T/replay.log") ($v)" >>"$table"
        [ $rc -eq 0 ] || sed 's/^/      | /' "$T/replay.log" | head -n 30
    done
fi

echo
printf '%-40s %4s  %s\n' case exit "message (stderr, folders shortened)"
cat "$table"
echo "cli tests: bad inputs: $pass passed, $fail failed, $xfail expected failures, $skip skipped"
[ "$fail" -eq 0 ]
