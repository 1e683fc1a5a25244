#!/usr/bin/env bash
# musl-build.sh — build (or reuse) musl as LLVM bitcode for ukl-opt cc.
#
# Usage: scripts/musl-build.sh ABI_OPTION...
# Stdout: exactly one line, the absolute install directory, holding include/
# (musl's headers) and lib/libc.a (bitcode members). Progress goes to stderr.
#
# The source is Debian's musl source package, unmodified (apt-get source; the
# deb-src entry is set up by scripts/setup.sh). It is compiled by musl's own
# Makefile with clang-19, -flto (so every C file becomes bitcode) and the
# kernel's code-model flags, so the same library links into a static program
# and into the kernel. musl's x86_64 assembly files are not used: the
# Makefile's ARCH_SRCS is narrowed to its C files, so musl's generic C takes
# the place of the string and math assembly, and libc/x86_64/*.c (our C
# equivalents of the assembly that has no working generic version: setjmp,
# signal return, thread pointer, clone, cancellable syscalls) replace the
# rest: each libc/x86_64/DIR/NAME.c is put in the build's copy of the tree as
# src/DIR/x86_64/NAME.c, where the Makefile's usual rule lets an arch file
# replace the generic one. libc/README.md lists each file and how it is handled.
# asm-equivalents.txt, written beside include/, names those files (as their
# modules' source_filename), so ukl-opt can tell their syscall sites apart.
#
# ABI_OPTIONS are the kernel ABI's clang options for application code, which
# ukl-opt passes (AppABI.clangOptions): `ukl-opt cc -print-sysroot` runs this
# script with them and prints the directory.
#
# Cache: CACHE/musl/<key> (scripts/cache.sh), the key over: the musl source
# version, the first line of `clang-19 --version`, ABI_OPTIONS, this script,
# and libc/x86_64/*/*.c (sorted by name).
set -euo pipefail
export LC_ALL=C

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source "$REPO_ROOT/scripts/cache.sh"
log() { echo "musl-build: $*" >&2; }
die() { log "error: $*"; exit 1; }

(($# > 0)) || die "usage: musl-build.sh ABI_OPTION... (ukl-opt cc -print-sysroot runs it)"
ABI_OPTIONS="$*"

command -v clang-19 >/dev/null || die "clang-19 not found"
command -v llvm-ar-19 >/dev/null || die "llvm-ar-19 not found (apt-get install llvm-19)"

VERSION=$(apt-cache showsrc musl 2>/dev/null | sed -n 's/^Version: //p' | sort -V | tail -n 1)
[[ -n $VERSION ]] || die "no musl source package: is a deb-src entry configured? (scripts/setup.sh adds one)"
EQUIVALENTS=("$REPO_ROOT"/libc/x86_64/*/*.c)

KEY=$({
	printf '%s\n' "$VERSION"
	clang-19 --version | sed -n 1p
	printf '%s\n' "$ABI_OPTIONS"
	cat "${BASH_SOURCE[0]}"
	for f in "${EQUIVALENTS[@]}"; do cat "$f"; done
} | cache_key)

ENTRIES=$(cache_kind musl)
OUT=$ENTRIES/$KEY
cache_lock "$ENTRIES" "$KEY"
if [[ -f $OUT/lib/libc.a && -f $OUT/include/stdio.h ]]; then
	echo "$OUT"
	exit 0
fi

START=$(date +%s)
TMP=$(mktemp -d "$ENTRIES/.build-XXXXXX")
trap 'rm -rf "$TMP"' EXIT
log "fetching the musl $VERSION source package"
(cd "$TMP" && apt-get source -qq --only-source "musl=$VERSION" >/dev/null 2>"$TMP/apt.log") ||
	die "apt-get source musl failed: $(tail -n 3 "$TMP/apt.log")"
SRC=$(find "$TMP" -maxdepth 1 -type d -name 'musl-*' | head -n 1)
[[ -d $SRC ]] || die "apt-get source musl unpacked nothing"

# The kernel's ABI (code model, no red zone, no PIC), so the library can be
# linked into the kernel; -flto for bitcode; no stack protector, as the kernel's
# own C is built here. wchar_t stays musl's (int): the kernel's 2-byte
# wchar_t is a module flag ukl-opt lto reconciles, not an ABI the app shares.
# -O2 rather than musl's default -Os: an optsize caller inlines almost nothing,
# and the direct tiers want the kernel's syscall code inlined into libc's
# wrappers. -fno-rounding-math after musl's -frounding-math: with the generic
# fenv (round-to-nearest only) no other rounding mode can be set, and the
# strictfp functions it makes could never be inlined into a program's code.
FLAGS="-flto -O2 -fno-rounding-math $ABI_OPTIONS -fno-stack-protector"
log "configuring"
(cd "$SRC" && ./configure --target=x86_64 --prefix="$OUT" --disable-shared \
	CC=clang-19 AR=llvm-ar-19 RANLIB=llvm-ranlib-19 CFLAGS="$FLAGS" >"$TMP/configure.log" 2>&1) ||
	die "configure failed: $(tail -n 5 "$TMP/configure.log")"

# musl's arch C files and our equivalents only: with the assembly gone from
# ARCH_SRCS, the Makefile compiles generic C where we add nothing.
: >"$TMP/asm-equivalents.txt"
for f in "${EQUIVALENTS[@]}"; do
	dir=$(basename "$(dirname "$f")")
	target=src/$dir/x86_64/$(basename "$f")
	cp "$f" "$SRC/$target"
	# Make would otherwise build the object from the .s of the same name.
	rm -f "$SRC/${target%.c}.s"
	echo "$target" >>"$TMP/asm-equivalents.txt"
done
ARCH_C=$(cd "$SRC" && ls src/*/x86_64/*.c | sed 's|^|./|' | tr '\n' ' ')
log "compiling musl to bitcode"
(cd "$SRC" && make -j"$(nproc)" ARCH_SRCS="$ARCH_C" lib/libc.a >"$TMP/make.log" 2>&1) ||
	die "make failed: $(tail -n 5 "$TMP/make.log")"

rm -rf "$OUT.tmp"
mkdir -p "$OUT.tmp/lib"
(cd "$SRC" && make ARCH_SRCS="$ARCH_C" prefix="$OUT.tmp" includedir="$OUT.tmp/include" install-headers >/dev/null 2>&1) ||
	die "installing the headers failed"
cp "$SRC/lib/libc.a" "$OUT.tmp/lib/libc.a"
cp "$TMP/asm-equivalents.txt" "$OUT.tmp/asm-equivalents.txt"
printf '%s\n' "$VERSION" >"$OUT.tmp/VERSION"
rm -rf "$OUT"
mv "$OUT.tmp" "$OUT"
log "built musl $VERSION in $(($(date +%s) - START)) s"
echo "$OUT"
