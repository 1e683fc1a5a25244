#!/usr/bin/env bash
# relink-bzimage.sh KBUILD VMLINUX_O OUT_BZIMAGE
#
# Turn an externally produced vmlinux.o (e.g. from our own LTO step) into a
# bzImage with the kernel build's own remaining steps (kallsyms link of vmlinux,
# compression, setup), then put the cached tree back as it was.
#
# How: swap the given file in as KBUILD/vmlinux.o with a fresh mtime. Kbuild
# relinks vmlinux.o only if vmlinux.a, lib.a, .tmp_initcalls.lds or the command
# line is newer/changed, so it keeps ours and builds vmlinux and bzImage from it.
# We check that (no "LD vmlinux.o" in make's output, checksum unchanged).
#
# Restoring the tree: we put the original vmlinux.o back (again with a fresh mtime)
# and run make once more, rather than saving and restoring every downstream file
# (vmlinux, System.map, .tmp_vmlinux*, modules.builtin*, arch/x86/boot/*, .cmd
# files...). Make then rebuilds exactly what depends on vmlinux.o, so the tree is
# consistent without us enumerating Kbuild's outputs; it costs one more vmlinux
# link + compression. With the fixed build identity of kernel-env.sh the
# restored bzImage is byte-identical to the original.
# If this script is killed before restoring, the saved original stays in
# KBUILD/.ukl-vmlinux.o.orig; the next relink (or kernel-build.sh) restores it first.
#
# Logs: KBUILD/ukl-relink.log (relink make), KBUILD/ukl-restore.log (restore make).
set -euo pipefail
export LC_ALL=C

source "$(dirname "${BASH_SOURCE[0]}")/kernel-env.sh"

log() { echo "relink-bzimage: $*" >&2; }
die() { log "error: $*"; exit 1; }

(($# == 3)) || die "usage: $0 KBUILD VMLINUX_O OUT_BZIMAGE"
KBUILD=$(cd "$1" && pwd) || die "no such directory: $1"
INPUT=$2 OUT=$3
[[ -f $KBUILD/vmlinux.o && -f $KBUILD/vmlinux.a && -f $KBUILD/.config ]] ||
    die "$KBUILD is not a built kernel tree (run scripts/kernel-build.sh)"
[[ -f $INPUT ]] || die "no such file: $INPUT"
[[ $(head -c 4 "$INPUT" | od -An -tx1 | tr -d ' \n') == 7f454c46 ]] ||
    die "$INPUT is not an ELF object"

SAVED=$KBUILD/.ukl-vmlinux.o.orig
STAGED=$KBUILD/.ukl-vmlinux.o.in

# Same lock as kernel-build.sh's make: one user of the tree at a time.
exec 9>"$KBUILD/.ukl-lock"
flock 9

# Run make on the tree; fail (showing the tail) if make fails or relinked vmlinux.o.
run_make() {
    local logf=$1 want=$2
    if ! make -C "$KBUILD" "${KERNEL_MAKE_ARGS[@]}" -j"$(nproc)" bzImage >"$logf" 2>&1; then
        log "make failed; last 40 lines of $logf:"
        tail -n 40 "$logf" >&2
        return 1
    fi
    if grep -qE '^ +LD +vmlinux\.o$' "$logf"; then
        log "make relinked vmlinux.o instead of keeping the given one (see $logf)"
        return 1
    fi
    if [[ $(sha256sum <"$KBUILD/vmlinux.o" | cut -d' ' -f1) != "$want" ]]; then
        log "vmlinux.o changed during make (see $logf)"
        return 1
    fi
}

# Put the saved original back and rebuild vmlinux/bzImage from it.
restore() {
    [[ -f $SAVED ]] || return 0
    local want
    want=$(sha256sum <"$SAVED" | cut -d' ' -f1)
    mv "$SAVED" "$KBUILD/vmlinux.o"
    touch "$KBUILD/vmlinux.o" # newer than the relinked vmlinux, so make rebuilds it
    log "restoring the tree's own vmlinux.o and rebuilding"
    run_make "$KBUILD/ukl-restore.log" "$want" || {
        log "restore make failed; the tree has its original vmlinux.o but make must be rerun"
        return 1
    }
}

# A previous run was killed mid-way: its saved original takes precedence.
if [[ -f $SAVED ]]; then
    log "found $SAVED from an interrupted relink"
    restore || exit 1
fi

# Stage the input inside KBUILD first (same filesystem, and INPUT may even be
# KBUILD/vmlinux.o itself), then save the original, then swap.
cp "$INPUT" "$STAGED"
WANT=$(sha256sum <"$STAGED" | cut -d' ' -f1)
cp -p "$KBUILD/vmlinux.o" "$SAVED.tmp"
mv "$SAVED.tmp" "$SAVED"
trap 'rm -f "$STAGED" "$OUT.tmp.$$"; restore' EXIT
trap 'exit 130' INT TERM HUP # make the EXIT trap (restore) run on signals too

touch "$STAGED"
mv "$STAGED" "$KBUILD/vmlinux.o"
for dep in vmlinux.a .tmp_initcalls.lds lib/lib.a arch/x86/lib/lib.a; do
    [[ ! -e $KBUILD/$dep || $KBUILD/vmlinux.o -nt $KBUILD/$dep ]] ||
        die "vmlinux.o is not newer than $dep; make would relink it"
done

START=$(date +%s)
log "make bzImage with the given vmlinux.o (log: $KBUILD/ukl-relink.log)"
run_make "$KBUILD/ukl-relink.log" "$WANT" || exit 1

mkdir -p "$(dirname "$OUT")"
cp "$KBUILD/arch/x86/boot/bzImage" "$OUT.tmp.$$"
mv "$OUT.tmp.$$" "$OUT"
log "wrote $OUT ($(($(date +%s) - START)) s)"

trap - EXIT INT TERM HUP
restore
log "tree restored ($(($(date +%s) - START)) s total)"
