#!/usr/bin/env bash
# qemu-plugin-build.sh — build (or reuse) the transition-counting QEMU plugin.
#
# Usage: scripts/qemu-plugin-build.sh
# Stdout: exactly one line, the absolute directory holding transitions.so.
# Progress goes to stderr.
#
# The plugin (qemu-plugin/transitions.c) is compiled with clang-19 against
# qemu-plugin.h from Debian's source package of the installed QEMU (apt-get
# source; the deb-src entry is set up by scripts/setup.sh): the header of the
# very QEMU that loads it, since the plugin API is versioned with QEMU.
#
# Cache: CACHE/qemu-plugin/<key> (scripts/cache.sh), the key over: the QEMU
# source version, the first line of `clang-19 --version`, this script and
# qemu-plugin/transitions.c.
set -euo pipefail
export LC_ALL=C

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source "$REPO_ROOT/scripts/cache.sh"
log() { echo "qemu-plugin-build: $*" >&2; }
die() { log "error: $*"; exit 1; }

SOURCE=$REPO_ROOT/qemu-plugin/transitions.c
command -v clang-19 >/dev/null || die "clang-19 not found"
VERSION=$(dpkg-query -W -f='${source:Version}' qemu-system-x86 2>/dev/null) ||
	die "qemu-system-x86 is not installed (scripts/setup.sh installs it)"

KEY=$({
	printf '%s\n' "$VERSION"
	clang-19 --version | sed -n 1p
	cat "${BASH_SOURCE[0]}" "$SOURCE"
} | cache_key)

ENTRIES=$(cache_kind qemu-plugin)
OUT=$ENTRIES/$KEY
cache_lock "$ENTRIES" "$KEY"
if [[ -f $OUT/transitions.so ]]; then
	echo "$OUT"
	exit 0
fi

TMP=$(mktemp -d "$ENTRIES/.build-XXXXXX")
trap 'rm -rf "$TMP"' EXIT
log "fetching the qemu $VERSION source package (for qemu-plugin.h)"
(cd "$TMP" && apt-get source -qq --only-source "qemu=$VERSION" >/dev/null 2>"$TMP/apt.log") ||
	die "apt-get source qemu failed: $(tail -n 3 "$TMP/apt.log")"
HEADER=$(ls -d "$TMP"/qemu-*/include/qemu/qemu-plugin.h 2>/dev/null | head -n 1)
[[ -f $HEADER ]] || die "the qemu source package has no include/qemu/qemu-plugin.h"

log "compiling transitions.c"
mkdir -p "$OUT.tmp"
clang-19 -O2 -Wall -Werror -shared -fPIC -fvisibility=hidden -I"$(dirname "$HEADER")" \
	"$SOURCE" -o "$OUT.tmp/transitions.so" 2>"$TMP/cc.log" || die "compiling failed: $(head -n 20 "$TMP/cc.log")"
cp "$HEADER" "$OUT.tmp/"
rm -rf "$OUT"
mv "$OUT.tmp" "$OUT"
echo "$OUT"
