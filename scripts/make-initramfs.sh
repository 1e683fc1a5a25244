#!/usr/bin/env bash
# make-initramfs.sh KBUILD INIT_SOURCE.c|INIT_FILE OUT.cpio
#
# Compile INIT_SOURCE.c statically as /init and pack it into an uncompressed
# newc cpio with the kernel's own gen_init_cpio. The device node comes from the
# spec file, so neither root nor mknod is needed.
set -euo pipefail

die() { echo "make-initramfs: error: $*" >&2; exit 1; }

(($# == 3)) || die "usage: $0 KBUILD INIT_SOURCE.c OUT.cpio"
KBUILD=$1 SRC=$2 OUT=$3
[[ -f $KBUILD/usr/gen_init_cpio.c ]] || die "$KBUILD is not a kernel tree"
[[ -f $SRC ]] || die "no such file: $SRC"

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# A normal build with BLK_DEV_INITRD already has usr/gen_init_cpio. If it is
# missing, compile it into the temp dir rather than into the cached tree.
GEN=$KBUILD/usr/gen_init_cpio
if [[ ! -x $GEN ]]; then
    GEN=$TMP/gen_init_cpio
    cc -O2 -o "$GEN" "$KBUILD/usr/gen_init_cpio.c" || die "cannot build gen_init_cpio"
fi

if [[ $SRC == *.c ]]; then
    # Static: the initramfs has no dynamic loader or libc.
    clang-19 -static -O2 -o "$TMP/init" "$SRC" || die "cannot compile $SRC"
else
    # Anything else is /init as it is, e.g. kernel-shortcuts/ukl-init, the
    # marker whose exec starts the application linked into a UKL kernel.
    cp "$SRC" "$TMP/init"
fi

cat >"$TMP/spec" <<SPEC
dir /dev 0755 0 0
nod /dev/console 0600 0 0 c 5 1
dir /proc 0755 0 0
file /init $TMP/init 0755 0 0
SPEC

# Write next to OUT and rename, so OUT is never a partial archive.
mkdir -p "$(dirname "$OUT")"
"$GEN" "$TMP/spec" >"$OUT.tmp.$$" || { rm -f "$OUT.tmp.$$"; die "gen_init_cpio failed"; }
mv "$OUT.tmp.$$" "$OUT"
