#!/bin/sh
# The whole test run behind `make test`: the CUnit suites natively, the
# AVX-512 variants on SIMDe's portable AVX-512, again under ASan+UBSan,
# under qemu as an AVX2-only CPU (Haswell) and as a CPU with neither AVX2
# nor AVX-512 (Nehalem), the aarch64 build under qemu-aarch64 (NEON), the
# CLI's behaviour, the bad-input corpus (ASan+UBSan build) and the
# determinism / kill-and-resume test. Emulated runs use the lighter size sweep.
# Under CI=true a run that cannot happen (qemu or cross tools missing) fails.
set -u
cd "$(dirname "$0")/.."
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}
MAKE=${MAKE:-make}
# An emulated run that hangs fails after this long instead of stalling CI.
EMU_TIMEOUT=${EMU_TIMEOUT:-1200}
summary=""
status=0

note() { summary="$summary$(printf '%-34s %s' "$1" "$2")
"; }

# run LABEL COMMAND...: runs a test binary, keeps its summary line.
run() {
    label=$1; shift
    echo
    echo "=== $label: $*"
    log=$(mktemp)
    "$@" >"$log" 2>&1
    rc=$?
    cat "$log"
    line=$(grep -E "^nnsimd-test summary|^cli tests:" "$log" | tail -n 1)
    rm -f "$log"
    if [ $rc -ne 0 ]; then
        status=1
        note "$label" "FAILED (exit $rc) ${line#*: }"
    else
        note "$label" "ok: ${line#*: }"
    fi
}

skipped() {
    echo
    echo "=== $1: SKIPPED ($2)"
    note "$1" "SKIPPED ($2)"
    [ "${CI:-}" = true ] && status=1
}

echo "=== build (native, warnings are errors)"
$MAKE -j"$JOBS" WERROR=1 all >/dev/null || { echo "native build failed"; exit 1; }
run "native" build/nnsimd-test
run "avx512 on SIMDe (portable AVX-512)" build/nnsimd-test-avx512emu
run "cli" tests/cli/test_cli.sh build/nnsimd
run "determinism, kill and resume" tests/cli/test_determinism.sh build/nnsimd

echo "=== build (ASan+UBSan)"
$MAKE -j"$JOBS" WERROR=1 SAN=1 build/asan/nnsimd-test build/asan/nnsimd \
    $(ls tests/bad-inputs/fuzz | sed 's|^|build/asan/replay-|') >/dev/null || { echo "sanitizer build failed"; exit 1; }
run "native, ASan+UBSan" env ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 build/asan/nnsimd-test
run "bad inputs (ASan+UBSan)" tests/cli/test_bad_inputs.sh build/asan/nnsimd build/asan

if command -v qemu-x86_64 >/dev/null 2>&1; then
    run "qemu Haswell (avx2, no avx512)" env NNSIMD_CHECK_LIGHT=1 \
        timeout "$EMU_TIMEOUT" qemu-x86_64 -cpu Haswell,-hle,-rtm,-pcid,-x2apic,-tsc-deadline,-invpcid build/nnsimd-test
    run "qemu Nehalem (scalar fallback)" env NNSIMD_CHECK_LIGHT=1 \
        timeout "$EMU_TIMEOUT" qemu-x86_64 -cpu Nehalem build/nnsimd-test
else
    skipped "qemu x86 (Haswell, Nehalem)" "qemu-x86_64 not installed"
fi

if command -v aarch64-linux-gnu-gcc >/dev/null 2>&1 && command -v qemu-aarch64 >/dev/null 2>&1; then
    echo "=== build (aarch64 cross)"
    if $MAKE -j"$JOBS" WERROR=1 ARCH=aarch64 build/aarch64/nnsimd-test >/dev/null; then
        # -L /: the loader and libraries of Debian's arm64 multiarch
        # packages, one glibc. With the cross toolchain's older loader
        # (-L /usr/aarch64-linux-gnu) mixed with the multiarch libc,
        # pthread_create never returns under qemu 7.2.
        run "qemu aarch64 (neon)" env NNSIMD_CHECK_LIGHT=1 \
            timeout "$EMU_TIMEOUT" qemu-aarch64 -L / build/aarch64/nnsimd-test
    else
        status=1
        note "qemu aarch64 (neon)" "FAILED (cross build)"
    fi
else
    skipped "qemu aarch64 (neon)" "aarch64-linux-gnu-gcc or qemu-aarch64 not installed"
fi

echo
echo "=== make test summary"
printf '%s' "$summary"
[ $status -eq 0 ] && echo "all test runs passed" || echo "SOME TEST RUNS FAILED"
exit $status
