#!/bin/sh
# The nnsimd command's contract: exit codes, one-line errors, the info
# line and JSON keys, verify's filters. Usage: tests/cli/test_cli.sh build/nnsimd
set -u
NNSIMD=${1:?usage: test_cli.sh path/to/nnsimd}
pass=0 fail=0

check() { # check NAME CONDITION-EXIT-STATUS
    if [ "$2" -eq 0 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1"; fi
}
# expect_exit CODE NAME COMMAND...: the command exits CODE and prints at most
# one line on stderr when CODE is 2.
expect_exit() {
    code=$1 name=$2; shift 2
    err=$("$@" 2>&1 >/dev/null); rc=$?
    [ $rc -eq "$code" ]; check "$name: exit $rc, expected $code" $?
    if [ "$code" -eq 2 ]; then
        [ "$(printf '%s\n' "$err" | wc -l)" -eq 1 ] && [ -n "$err" ]
        check "$name: one-line error, got: $err" $?
    fi
}

best=$("$NNSIMD" info --json | grep '"isa_best"' | sed 's/.*: "\(.*\)".*/\1/')

"$NNSIMD" info | grep -qx "active ISA: $best (detected)"
check "info says the best ISA is active" $?
NNSIMD_ISA=scalar "$NNSIMD" info | grep -qx "active ISA: scalar (capped by NNSIMD_ISA)"
check "NNSIMD_ISA caps" $?
NNSIMD_ISA=scalar "$NNSIMD" info --isa "$best" | grep -q "active ISA: $best "
check "--isa overrides NNSIMD_ISA" $?
if [ "$best" != scalar ]; then
    "$NNSIMD" info --isa scalar | grep -qx "active ISA: scalar (capped by --isa)"
    check "--isa caps" $?
fi
for key in cpu_id vendor brand isa_supported isa_active isa_reason kernels; do
    "$NNSIMD" info --json | grep -q "\"$key\":"
    check "info --json has $key" $?
done

case "$best" in neon) lacking=avx2 ;; *) lacking=neon ;; esac
expect_exit 2 "NNSIMD_ISA=$lacking" env NNSIMD_ISA=$lacking "$NNSIMD" info
expect_exit 2 "NNSIMD_ISA=bogus" env NNSIMD_ISA=bogus "$NNSIMD" info
expect_exit 2 "--isa bogus" "$NNSIMD" info --isa bogus
expect_exit 2 "verify with NNSIMD_ISA=$lacking" env NNSIMD_ISA=$lacking "$NNSIMD" verify
expect_exit 2 "unknown command" "$NNSIMD" frobnicate
expect_exit 2 "unknown option" "$NNSIMD" info --frob
expect_exit 2 "unknown kernel" "$NNSIMD" verify --kernel nosuch
expect_exit 0 "--help" "$NNSIMD" --help
expect_exit 0 "info --help" "$NNSIMD" info --help
expect_exit 0 "verify --help" "$NNSIMD" verify --help
expect_exit 0 "report --help" "$NNSIMD" report --help
expect_exit 2 "report of a missing folder" "$NNSIMD" report /nonexistent/results

out=$("$NNSIMD" verify --quick --kernel gelu)
check "verify --kernel gelu passes" $?
printf '%s\n' "$out" | grep -q "^gelu_tanh_bwd " && ! printf '%s\n' "$out" | grep -q "^relu"
check "a family prefix selects gelu and gelu_tanh, not relu" $?
[ "$("$NNSIMD" verify --quick --kernel relu_fwd | grep -c '^relu_fwd ')" -ge 2 ]
check "--kernel relu_fwd checks every ISA of the architecture" $?
if [ "$best" != scalar ]; then
    NNSIMD_ISA=scalar "$NNSIMD" verify --quick --kernel relu_fwd | grep -q "skipped  capped"
    check "ISAs above the cap are skipped: capped" $?
fi
"$NNSIMD" verify --quick --kernel relu --json | grep -q '"verdict": "pass"'
check "verify --json" $?

echo "cli tests: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
