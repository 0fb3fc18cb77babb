#!/bin/sh
# Correctness on CPUs this machine is not: `nnsimd verify --quick --json`
# under qemu user-mode emulation, one JSON per emulated CPU, for
# `nnsimd report` (which shows them as correctness only, never as speeds:
# qemu runs vector code tens of times slower).
#
# usage: tools/verify-emulated.sh OUTDIR
#   OUTDIR/haswell.json  qemu-x86_64 -cpu Haswell,-hle,-rtm,-pcid,-x2apic,-tsc-deadline,-invpcid
#                        (AVX2+FMA, no AVX-512)
#   OUTDIR/nehalem.json  qemu-x86_64 -cpu Nehalem (neither: the scalar fallback)
#   OUTDIR/aarch64.json  qemu-aarch64 -L / build/aarch64/nnsimd (NEON)
#   OUTDIR/README.md     the commands, qemu's version, each run's exit status
# Builds build/nnsimd and build/aarch64/nnsimd first (make; a no-op when
# current). A run that cannot happen (qemu or the cross compiler missing)
# is reported SKIPPED in README.md; the exit status is 1 if a verify run
# failed or could not run, else 0. Takes a few minutes.
set -u
case "${1:-}" in
    -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    "") echo "usage: tools/verify-emulated.sh OUTDIR (try --help)" >&2; exit 2 ;;
esac
mkdir -p "$1" || exit 2
out=$(cd "$1" && pwd)
cd "$(dirname "$0")/.." || exit 2
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}
status=0
summary=""

# run NAME DESCRIPTION COMMAND...: the JSON to OUTDIR/NAME.json, atomically.
run() {
    name=$1 what=$2; shift 2
    echo "=== $name: $what"
    echo "    $*"
    t0=$(date +%s)
    env NNSIMD_CHECK_LIGHT=1 "$@" verify --quick --json >"$out/$name.json.tmp" 2>"$out/$name.err"
    rc=$?
    t=$(( $(date +%s) - t0 ))
    if [ -s "$out/$name.json.tmp" ]; then
        mv "$out/$name.json.tmp" "$out/$name.json"
    else
        rm -f "$out/$name.json.tmp"
    fi
    [ -s "$out/$name.err" ] || rm -f "$out/$name.err"
    case $rc in
        0) verdict="passed" ;;
        1) verdict="FAILED (a check failed)"; status=1 ;;
        *) verdict="FAILED (exit $rc)"; status=1 ;;
    esac
    echo "    $verdict in ${t}s"
    summary="$summary| $name | \`$*\` | $verdict | ${t} s |
"
}

skip() { # skip NAME WHY
    echo "=== $1: SKIPPED ($2)"
    status=1
    summary="$summary| $1 | - | SKIPPED: $2 | - |
"
}

if command -v qemu-x86_64 >/dev/null 2>&1; then
    if make -j"$JOBS" build/nnsimd >/dev/null; then
        run haswell "AVX2+FMA, no AVX-512" \
            qemu-x86_64 -cpu Haswell,-hle,-rtm,-pcid,-x2apic,-tsc-deadline,-invpcid build/nnsimd
        run nehalem "no AVX2, no AVX-512: the scalar fallback" \
            qemu-x86_64 -cpu Nehalem build/nnsimd
    else
        skip haswell "make build/nnsimd failed"
        skip nehalem "make build/nnsimd failed"
    fi
else
    skip haswell "qemu-x86_64 not installed (apt-get install qemu-user)"
    skip nehalem "qemu-x86_64 not installed (apt-get install qemu-user)"
fi

if ! command -v qemu-aarch64 >/dev/null 2>&1; then
    skip aarch64 "qemu-aarch64 not installed (apt-get install qemu-user)"
elif ! command -v aarch64-linux-gnu-gcc >/dev/null 2>&1; then
    skip aarch64 "aarch64-linux-gnu-gcc not installed (tools/install-deps.sh test)"
elif ! make -j"$JOBS" ARCH=aarch64 build/aarch64/nnsimd >/dev/null; then
    skip aarch64 "make ARCH=aarch64 build/aarch64/nnsimd failed"
else
    run aarch64 "NEON (the aarch64 build)" \
        qemu-aarch64 -L / build/aarch64/nnsimd
fi

qemu_version=$(qemu-x86_64 --version 2>/dev/null | head -n 1)
{
    echo "# Emulated CPUs: verification only"
    echo
    echo "Made by \`tools/verify-emulated.sh\` at $(date -u +%Y-%m-%dT%H:%MZ) on the host"
    echo "\`$(build/nnsimd info --json 2>/dev/null | sed -n 's/^ *"cpu_id": "\(.*\)",$/\1/p')\`, git"
    echo "\`$(git describe --always --dirty 2>/dev/null || echo '?')\`, ${qemu_version:-qemu not found}."
    echo "Each run is \`COMMAND verify --quick --json\` with \`NNSIMD_CHECK_LIGHT=1\` (the lighter"
    echo "size sweep); the times are qemu's, not the CPU's: correctness only."
    echo
    echo "| file | command | verify | wall time under qemu |"
    echo "|---|---|---|---|"
    printf '%s' "$summary"
} >"$out/README.md"
echo "written: $out/{haswell,nehalem,aarch64}.json, $out/README.md"
exit $status
