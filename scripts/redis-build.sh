#!/usr/bin/env bash
# redis-build.sh — build (or reuse) Redis as ukl-opt applications.
#
# Usage: scripts/redis-build.sh UKL_OPT
# UKL_OPT is the ukl-opt binary whose `cc` builds Redis.
# Stdout: exactly one line, the absolute directory holding redis-server.bc,
# redis-benchmark.bc and redis-cli.bc (each one application linked by
# `ukl-opt cc`) and VERSION. Progress goes to stderr.
#
# The source is Debian's redis source package, unmodified (apt-get source;
# the deb-src entry is set up by scripts/setup.sh), built by its own Makefile
# with CC="UKL_OPT cc" and only build variables: MALLOC=libc (no jemalloc; UKL
# used libc malloc too), BUILD_TLS=no, USE_SYSTEMD=no, and DEBUG= (no -g: debug
# info would only grow the kernel's LTO module). Its bundled hiredis, lua,
# linenoise and hdr_histogram are built the same way, by the same make.
#
# Cache: CACHE/redis/<key> (scripts/cache.sh), the key over: the redis source
# version, the first line of `clang-19 --version`, this script and the UKL_OPT
# binary (its `cc` decides every byte of the output, musl and the runtime included).
set -euo pipefail
export LC_ALL=C

source "$(dirname "${BASH_SOURCE[0]}")/cache.sh"
log() { echo "redis-build: $*" >&2; }
die() { log "error: $*"; exit 1; }

[[ $# == 1 && -x $1 ]] || die "usage: redis-build.sh UKL_OPT (the ukl-opt binary)"
TOOL=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
command -v clang-19 >/dev/null || die "clang-19 not found"

VERSION=$(apt-cache showsrc redis 2>/dev/null | sed -n 's/^Version: //p' | sort -V | tail -n 1)
[[ -n $VERSION ]] || die "no redis source package: is a deb-src entry configured? (scripts/setup.sh adds one)"

KEY=$({
	printf '%s\n' "$VERSION"
	clang-19 --version | sed -n 1p
	cat "${BASH_SOURCE[0]}"
	cat "$TOOL"
} | cache_key)

ENTRIES=$(cache_kind redis)
OUT=$ENTRIES/$KEY
cache_lock "$ENTRIES" "$KEY"
if [[ -f $OUT/redis-server.bc && -f $OUT/redis-benchmark.bc && -f $OUT/redis-cli.bc ]]; then
	echo "$OUT"
	exit 0
fi

START=$(date +%s)
TMP=$(mktemp -d "$ENTRIES/.build-XXXXXX")
trap 'rm -rf "$TMP"' EXIT
log "fetching the redis $VERSION source package"
(cd "$TMP" && apt-get source -qq --only-source "redis=$VERSION" >/dev/null 2>"$TMP/apt.log") ||
	die "apt-get source redis failed: $(tail -n 3 "$TMP/apt.log")"
SRC=$(find "$TMP" -maxdepth 1 -type d -name 'redis-*' | head -n 1)
[[ -d $SRC ]] || die "apt-get source redis unpacked nothing"

# Redis stamps its build id with the host name and the time unless
# SOURCE_DATE_EPOCH is set (as Debian's reproducible builds set it, from the
# changelog): set so, the same inputs give the same bitcode on every machine.
# That matters beyond tidiness: a guest's figures follow every byte of the
# image, so an image must not differ between two builds of the same inputs.
SOURCE_DATE_EPOCH=$(dpkg-parsechangelog -l "$SRC/debian/changelog" -S Timestamp) ||
	die "no timestamp in $SRC/debian/changelog"
export SOURCE_DATE_EPOCH
log "compiling redis with 'ukl-opt cc' (about a minute; log: $TMP/make.log while it runs)"
(cd "$SRC/src" && make -j"$(nproc)" CC="$TOOL cc" MALLOC=libc BUILD_TLS=no USE_SYSTEMD=no DEBUG= \
	redis-server redis-benchmark redis-cli >"$TMP/make.log" 2>&1) ||
	die "make failed: $(grep -E 'error|Error' "$TMP/make.log" | tail -n 5)"

rm -rf "$OUT.tmp"
mkdir -p "$OUT.tmp"
for program in redis-server redis-benchmark redis-cli; do
	cp "$SRC/src/$program" "$OUT.tmp/$program.bc"
done
printf '%s\n' "$VERSION" >"$OUT.tmp/VERSION"
rm -rf "$OUT"
mv "$OUT.tmp" "$OUT"
log "built redis $VERSION in $(($(date +%s) - START)) s"
echo "$OUT"
