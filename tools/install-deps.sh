#!/bin/sh
# Installs the Debian packages nnsimd needs to build and test.
# Usage: tools/install-deps.sh [test|run|fuzz|all]
#   test: build + native tests + emulated tests (qemu-user, aarch64 cross)
#   run:  test + what `make run` uses (Google Benchmark tools, scipy)
#   fuzz: test + `make fuzz` and `make check-long` (clang-14, libFuzzer, valgrind)
# As root it runs apt-get; otherwise it prints the exact command and stops.
set -eu

profile=${1:-test}
case "$profile" in
    -h|--help)
        sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'
        exit 0 ;;
    test|run|fuzz|all) ;;
    *) echo "install-deps: unknown profile '$profile' (test, run, fuzz or all)" >&2; exit 2 ;;
esac

native="make gcc g++ libbenchmark-dev libhwloc-dev libcpuid-dev libcunit1-dev
        zlib1g-dev libjansson-dev libsimde-dev libopenblas-dev libssl-dev"
cross="gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user
       libcunit1-dev:arm64 libhwloc-dev:arm64 zlib1g-dev:arm64 libjansson-dev:arm64
       libssl-dev:arm64 libgomp1:arm64"
extra="libbenchmark-tools python3 python3-scipy python3-matplotlib"

pkgs="$native $cross"
[ "$profile" = test ] || pkgs="$pkgs $extra"

# installed NAME[:ARCH]: an instance of the package's native (or given)
# architecture, or an arch-all one, is installed; a foreign (arm64) copy of
# a native library does not count.
native_arch=$(dpkg --print-architecture)
installed() {
    name=${1%%:*}
    want=$native_arch
    case "$1" in *:*) want=${1#*:} ;; esac
    dpkg-query -W -f='${db:Status-Abbrev} ${Architecture}\n' "$name" 2>/dev/null |
        grep -Eq "^ii +($want|all)$"
}
missing=""
for p in $pkgs; do
    installed "$p" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

needs_arm64=no
case "$missing" in *:arm64*) needs_arm64=yes ;; esac

if [ "$(id -u)" -ne 0 ]; then
    echo "nnsimd needs these Debian packages:$missing" >&2
    echo "run as root:" >&2
    [ "$needs_arm64" = yes ] && echo "  dpkg --add-architecture arm64 &&" >&2
    echo "  apt-get update && apt-get install -y --no-install-recommends$missing" >&2
    exit 1
fi

echo "install-deps: installing$missing"
if [ "$needs_arm64" = yes ] && ! dpkg --print-foreign-architectures | grep -qx arm64; then
    dpkg --add-architecture arm64
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
