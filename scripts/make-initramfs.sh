#!/usr/bin/env bash
# make-initramfs.sh KBUILD OUT.cpio /init=FILE [/PATH=FILE ...]
#
# Pack FILEs into an uncompressed newc cpio at the paths given, with the
# kernel's own gen_init_cpio, beside /dev/console, /proc and /tmp. A FILE
# ending in .c is compiled statically with clang-19 first (the boot check's
# init). Parent directories of the paths are created. The device node comes
# from the spec file, so neither root nor mknod is needed.
#
# Every entry gets one fixed mtime, the guest's RTC date (2026-01-01, as
# Guest's -rtc): the archive's bytes depend on its contents only. Build-time
# mtimes reached the guest, and two images with the same bzImage and the same
# files measured sendto at 7688 and 5820 instructions.
set -euo pipefail
MTIME=1767225600 # 2026-01-01T00:00:00Z

die() { echo "make-initramfs: error: $*" >&2; exit 1; }

(($# >= 3)) || die "usage: $0 KBUILD OUT.cpio /init=FILE [/PATH=FILE ...]"
KBUILD=$1 OUT=$2
shift 2
[[ -f $KBUILD/usr/gen_init_cpio.c ]] || die "$KBUILD is not a kernel tree"

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# A normal build with BLK_DEV_INITRD already has usr/gen_init_cpio. If it is
# missing, compile it into the temp dir rather than into the cached tree.
GEN=$KBUILD/usr/gen_init_cpio
if [[ ! -x $GEN ]]; then
    GEN=$TMP/gen_init_cpio
    cc -O2 -o "$GEN" "$KBUILD/usr/gen_init_cpio.c" || die "cannot build gen_init_cpio"
fi

cat >"$TMP/spec" <<SPEC
dir /dev 0755 0 0
nod /dev/console 0600 0 0 c 5 1
dir /proc 0755 0 0
dir /tmp 01777 0 0
SPEC

declare -A DIRS=()
n=0
for arg in "$@"; do
    [[ $arg == /*=* ]] || die "not /PATH=FILE: $arg"
    dest=${arg%%=*} src=${arg#*=}
    [[ -f $src ]] || die "no such file: $src"
    if [[ $src == *.c ]]; then
        # Static: the initramfs has no dynamic loader or libc.
        n=$((n + 1))
        clang-19 -static -O2 -o "$TMP/prog$n" "$src" || die "cannot compile $src"
        src=$TMP/prog$n
    fi
    # A copy with the fixed mtime (gen_init_cpio takes a file's own).
    n=$((n + 1))
    cp "$src" "$TMP/file$n"
    touch -d "@$MTIME" "$TMP/file$n"
    src=$TMP/file$n
    dir=$(dirname "$dest")
    while [[ $dir != / && -z ${DIRS[$dir]:-} ]]; do
        DIRS[$dir]=1
        dir=$(dirname "$dir")
    done
    FILES+=("file $dest $src 0755 0 0")
done
for dir in $(printf '%s\n' "${!DIRS[@]}" | sort); do
    echo "dir $dir 0755 0 0" >>"$TMP/spec"
done
printf '%s\n' "${FILES[@]}" >>"$TMP/spec"

# Write next to OUT and rename, so OUT is never a partial archive.
mkdir -p "$(dirname "$OUT")"
"$GEN" -t "$MTIME" "$TMP/spec" >"$OUT.tmp.$$" || { rm -f "$OUT.tmp.$$"; die "gen_init_cpio failed"; }
mv "$OUT.tmp.$$" "$OUT"
