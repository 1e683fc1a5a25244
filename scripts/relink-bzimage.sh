#!/usr/bin/env bash
# relink-bzimage.sh KBUILD VMLINUX_O OUT_BZIMAGE
#
# Turn an externally produced vmlinux.o (e.g. from our own LTO step) into a
# bzImage with the kernel build's own remaining steps (kallsyms link of vmlinux,
# compression, setup). The relinked kernel's System.map is written beside
# OUT_BZIMAGE (the transition counter finds the interrupt entries in it).
#
# The cached tree KBUILD is never written: other builds read it at the same
# time (its archives for LTO, its bzImage for the linux level, its files for
# cache keys), so they must never see a swapped vmlinux.o or a half-written
# bzImage. Relinks run in a private copy of the tree instead,
# KBUILD/../.relink-KEY, made once per tree (cp -a keeps the mtimes, so make
# there sees everything up to date but objtool) and used by one relink at a time.
#
# How: the given file becomes the copy's vmlinux.o with a fresh mtime. Kbuild
# relinks vmlinux.o only if vmlinux.a, lib.a, .tmp_initcalls.lds or the command
# line is newer/changed, so it keeps ours and builds vmlinux and bzImage from it.
# We check that (no "LD vmlinux.o" in make's output, checksum unchanged). The
# next relink replaces vmlinux.o again, so nothing needs restoring.
#
# Log: .relink-KEY/ukl-relink.log (the last relink's make); .relink-diverged.log
# beside it is the make log of the last copy that had to be made afresh.
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

TREE=$(dirname "$KBUILD")/.relink-$(basename "$KBUILD")

# One relink at a time in the copy.
exec 9>"$TREE.lock"
flock 9

# Makes the copy, unless there is one.
copy_tree() {
    [[ -f $TREE/.ukl-relink-tree ]] && return
    log "copying $KBUILD for relinks (once per kernel build)"
    rm -rf "$TREE"
    mkdir -p "$TREE"
    # kernel-build.sh holds this lock while make runs in the tree.
    (
        flock 8
        cp -a "$KBUILD/." "$TREE/"
    ) 8>>"$KBUILD/.ukl-lock"
    # objtool is built with absolute paths, so make rebuilds it in the copy;
    # vmlinux.o depends on it, so that must happen before ours is put in.
    # It has to happen here, at the copy's final path.
    make -C "$TREE" "${KERNEL_MAKE_ARGS[@]}" -j"$(nproc)" prepare >"$TREE/ukl-prepare.log" 2>&1 || {
        tail -n 40 "$TREE/ukl-prepare.log" >&2
        die "make prepare failed in the copy $TREE"
    }
    touch "$TREE/.ukl-relink-tree"
}

STAGED=$TREE/.ukl-vmlinux.o.in
LOGF=$TREE/ukl-relink.log
trap 'rm -f "$STAGED" "$OUT.tmp.$$"' EXIT
START=$(date +%s)
# Should make still find an object out of date in the copy (by its mtime),
# it relinks vmlinux.o from its own objects. Then the relink is made once
# more: with that object rebuilt, make keeps ours. The make log, which says
# why each step ran (V=2), is kept as .relink-diverged.log.
for attempt in 1 2; do
    copy_tree
    cp "$INPUT" "$STAGED"
    WANT=$(sha256sum <"$STAGED" | cut -d' ' -f1)
    touch "$STAGED"
    mv "$STAGED" "$TREE/vmlinux.o"
    for dep in vmlinux.a .tmp_initcalls.lds lib/lib.a arch/x86/lib/lib.a tools/objtool/objtool; do
        [[ ! -e $TREE/$dep || $TREE/vmlinux.o -nt $TREE/$dep ]] ||
            die "vmlinux.o is not newer than $dep; make would relink it"
    done

    log "make bzImage with the given vmlinux.o (log: $LOGF)"
    # V=2: each step says why make runs it ("- due to: ...").
    # KBUILD_NOCMDDEP=1: a changed command line does not remake an object,
    # only a newer prerequisite does. The compile flags come partly from
    # cc-option probes (a clang-19 run each), and now and then both
    # stack-alignment probes fail: then every command lacks
    # -mstack-alignment=8, and make recompiled the whole copy and relinked
    # vmlinux.o from it. A relink compiles nothing of vmlinux.a anyway.
    if ! make -C "$TREE" "${KERNEL_MAKE_ARGS[@]}" KBUILD_NOCMDDEP=1 V=2 -j"$(nproc)" bzImage >"$LOGF" 2>&1; then
        log "make failed; last 40 lines of $LOGF:"
        tail -n 40 "$LOGF" >&2
        exit 1
    fi
    grep -qE '^ +LD +vmlinux\.o( |$)' "$LOGF" || break
    ((attempt == 1)) || die "make relinked vmlinux.o instead of keeping the given one (see $LOGF)"
    log "make rebuilt objects in the copy and relinked vmlinux.o from them:" \
        "$(grep -E '^ +(CC|AS) ' "$LOGF" | cut -c3- | tr -s ' ' | tr '\n' ';') relinking again"
    cp "$LOGF" "$(dirname "$TREE")/.relink-diverged.log"
done
[[ $(sha256sum <"$TREE/vmlinux.o" | cut -d' ' -f1) == "$WANT" ]] ||
    die "vmlinux.o changed during make (see $LOGF)"

mkdir -p "$(dirname "$OUT")"
cp "$TREE/System.map" "$(dirname "$OUT")/System.map"
cp "$TREE/arch/x86/boot/bzImage" "$OUT.tmp.$$"
mv "$OUT.tmp.$$" "$OUT"
log "wrote $OUT ($(($(date +%s) - START)) s)"
