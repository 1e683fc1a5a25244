#!/usr/bin/env bash
# kernel-build.sh — build (or reuse) the cached ukl-tiny Linux 6.1 kernel.
#
# Usage: scripts/kernel-build.sh
# Stdout: exactly one line, the absolute build directory. Progress goes to stderr.
#
# Cache layout: CACHE/kernel/<key> (CACHE and the key as scripts/cache.sh makes
# them), the key over these bytes, concatenated in this order:
#   1. `dpkg-query -W -f='${Version}' linux-source-6.1` (no trailing newline)
#   2. kernel-shortcuts/config/ukl-tiny.config
#   3. every kernel-shortcuts/patches/*.patch, sorted by name (C locale)
#   4. the first line of `clang-19 --version`, with its newline
#   5. scripts/kernel-env.sh (make's arguments, the build identity among them)
# Anything that changes the resulting kernel changes the key, so a cached tree is
# never reused for different inputs.
#
# Rebuilding only what changed: a new key's tree is seeded from the most recent
# tree of the same source version. The seed's own series (kept in .ukl-patches) is
# reversed and the new one applied; files whose bytes end up unchanged get their
# old mtime back, so make recompiles only what the changed patches and config touch
# (plus the LTO link). Without a seed the source is unpacked afresh.
#
# Files the script leaves in the build dir:
#   ukl-build.log       output of the last make run
#   ukl-build-seconds   wall time (s) of the run that first produced bzImage
#   .ukl-lock           flock'ed while make runs (relink-bzimage.sh uses it too)
#   .ukl-complete       make succeeded: a later run reuses the tree without make,
#                       so reusing it never writes to it
# relink-bzimage.sh relinks in a copy of the tree, ../.relink-<key>, removed with it.
set -euo pipefail
export LC_ALL=C # glob order and tool messages must not depend on the locale

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
FRAGMENT=$REPO_ROOT/kernel-shortcuts/config/ukl-tiny.config
TARBALL=/usr/src/linux-source-6.1.tar.xz
source "$REPO_ROOT/scripts/kernel-env.sh"
source "$REPO_ROOT/scripts/cache.sh"

log() { echo "kernel-build: $*" >&2; }
die() { log "error: $*"; exit 1; }

[[ -f $FRAGMENT ]] || die "missing config fragment $FRAGMENT"
[[ -f $TARBALL ]] || die "missing $TARBALL (apt-get install linux-source-6.1)"
command -v clang-19 >/dev/null || die "clang-19 not found"

# nullglob: no patches is a valid (and the current) state.
shopt -s nullglob
PATCHES=("$REPO_ROOT"/kernel-shortcuts/patches/*.patch)
shopt -u nullglob

SRC_VERSION=$(dpkg-query -W -f='${Version}' linux-source-6.1)

# sed -n 1p instead of head -1: head may exit early and SIGPIPE clang under pipefail.
KEY=$({
    printf '%s' "$SRC_VERSION"
    cat "$FRAGMENT"
    for p in "${PATCHES[@]}"; do cat "$p"; done
    clang-19 --version | sed -n 1p
    cat "$REPO_ROOT/scripts/kernel-env.sh"
} | cache_key)

KERNELS=$(cache_kind kernel) # absolute, so the printed path is absolute
BUILD=$KERNELS/$KEY

# One lock per key around the whole run: two concurrent invocations must not unpack
# or build the same tree at the same time.
cache_lock "$KERNELS" "$KEY"

START=$(date +%s)

# Check that every CONFIG_X=... / "# CONFIG_X is not set" line of the fragment
# survived olddefconfig; Kconfig silently drops values whose dependencies fail.
verify_config() {
    local cfg=$1 bad=() line sym
    while IFS= read -r line; do
        if [[ $line =~ ^(CONFIG_[A-Za-z0-9_]+)=(.*)$ ]]; then
            grep -qxF -- "$line" "$cfg" || bad+=("$line")
        elif [[ $line =~ ^#\ (CONFIG_[A-Za-z0-9_]+)\ is\ not\ set$ ]]; then
            sym=${BASH_REMATCH[1]}
            # Absent is fine too: a symbol whose menu is disabled is not written.
            if grep -q "^$sym=" "$cfg"; then bad+=("$line (got $(grep "^$sym=" "$cfg"))"); fi
        fi
    done <"$FRAGMENT"
    if ((${#bad[@]})); then
        log "error: .config does not honour these fragment lines:"
        printf '  %s\n' "${bad[@]}" >&2
        return 1
    fi
}

# Files a set of patches touches, relative to the tree.
patched_files() { sed -n 's|^+++ b/\([^[:space:]]*\).*|\1|p' "$@" | sort -u; }

configure() {
    (
        cd "$1"
        make "${KERNEL_MAKE_ARGS[@]}" tinyconfig
        scripts/kconfig/merge_config.sh -m .config "$FRAGMENT"
        make "${KERNEL_MAKE_ARGS[@]}" olddefconfig
    ) >"$1/ukl-config.log" 2>&1 || {
        tail -n 40 "$1/ukl-config.log" >&2
        die "configuration failed"
    }
}

# patch's first line about what failed, without the reject file (the tree goes).
patch_failure() {
    { grep -m1 -i 'fail\|malformed\|garbage' "$1" || sed -n 1p "$1"; } | sed 's/ -- saving rejects.*//'
}

apply_series() { # TREE: apply PATCHES, naming the one that fails
    local p
    for p in "${PATCHES[@]}"; do
        log "applying $(basename "$p")"
        patch -d "$1" -p1 --batch --quiet <"$p" >"$1/ukl-patch.log" 2>&1 ||
            bad_input "$p" "does not apply to linux-source-6.1 $SRC_VERSION: $(patch_failure "$1/ukl-patch.log")"
    done
    rm -f "$1/ukl-patch.log"
    rm -rf "$1/.ukl-patches"
    mkdir -p "$1/.ukl-patches"
    ((${#PATCHES[@]} == 0)) || cp "${PATCHES[@]}" "$1/.ukl-patches/"
    printf '%s' "$SRC_VERSION" >"$1/.ukl-source-version"
    cp "$FRAGMENT" "$1/.ukl-fragment"
}

# The most recent complete tree of this source version that records its series.
find_seed() {
    local dir
    for dir in $(ls -1dt "$KERNELS"/*/ 2>/dev/null); do
        dir=${dir%/}
        [[ -d $dir/.ukl-patches && -f $dir/arch/x86/boot/bzImage ]] || continue
        [[ $(cat "$dir/.ukl-source-version" 2>/dev/null) == "$SRC_VERSION" ]] || continue
        echo "$dir"
        return
    done
}

SEEDED=0
if [[ ! -d $BUILD ]]; then
    # Prepare in a temp dir beside the final one, then rename: a directory under
    # the final name is always a complete, configured tree.
    TMP=$(mktemp -d "$KERNELS/.$KEY.tmp.XXXXXX")
    trap 'rm -rf "$TMP"' EXIT
    SEED=$(find_seed)
    if [[ -n $SEED ]]; then
        log "seeding from $SEED (only what changed is rebuilt)"
        cp -a "$SEED/." "$TMP/"
        rm -f "$TMP/.ukl-lock" "$TMP/ukl-build-seconds" "$TMP/.ukl-vmlinux.o.orig" "$TMP/.ukl-complete"
        shopt -s nullglob
        OLD=("$TMP"/.ukl-patches/*.patch)
        shopt -u nullglob
        STASH=$TMP/.ukl-stash
        mapfile -t TOUCHED < <(patched_files "${OLD[@]}" "${PATCHES[@]}" /dev/null)
        for f in "${TOUCHED[@]}"; do
            [[ -f $TMP/$f ]] || continue
            mkdir -p "$STASH/$(dirname "$f")"
            cp -p "$TMP/$f" "$STASH/$f"
        done
        for ((i = ${#OLD[@]} - 1; i >= 0; i--)); do
            patch -R -E -d "$TMP" -p1 --batch --quiet <"${OLD[i]}" >/dev/null ||
                die "cannot reverse $(basename "${OLD[i]}") in the seed $SEED"
        done
        apply_series "$TMP"
        for f in "${TOUCHED[@]}"; do
            if [[ -f $STASH/$f && -f $TMP/$f ]] && cmp -s "$STASH/$f" "$TMP/$f"; then
                touch -r "$STASH/$f" "$TMP/$f"
            fi
        done
        rm -rf "$STASH"
        if ! cmp -s "$SEED/.ukl-fragment" "$FRAGMENT"; then
            log "configuring (the config fragment changed)"
            configure "$TMP"
        fi
        SEEDED=1
    else
        log "unpacking $TARBALL"
        tar -xJf "$TARBALL" -C "$TMP" --strip-components=1
        apply_series "$TMP"
        log "configuring (tinyconfig + $(basename "$FRAGMENT"))"
        configure "$TMP"
    fi
    verify_config "$TMP/.config" || die "config fragment not honoured"
    mv "$TMP" "$BUILD"
    trap - EXIT
fi

# Cheap, and catches a tree whose .config was edited by hand since.
verify_config "$BUILD/.config" || die "config fragment not honoured in $BUILD/.config"

# Held while make runs; relink-bzimage.sh takes it to copy the tree. Opened for
# appending, so taking it leaves the tree's mtimes alone.
exec 9>>"$BUILD/.ukl-lock"
flock 9

# An older relink-bzimage.sh swapped vmlinux.o in this tree; one killed before
# restoring left the tree's own vmlinux.o here: put it back
# (fresh mtime so make rebuilds vmlinux and bzImage from it).
if [[ -f $BUILD/.ukl-vmlinux.o.orig ]]; then
    log "restoring vmlinux.o saved by an interrupted relink"
    mv "$BUILD/.ukl-vmlinux.o.orig" "$BUILD/vmlinux.o"
    touch "$BUILD/vmlinux.o"
    rm -f "$BUILD/.ukl-complete" # make must run to rebuild from it
fi

# The key names every input, so a complete tree is up to date: reuse it
# without running make (which would rewrite files other builds read).
if [[ -f $BUILD/.ukl-complete && -f $BUILD/arch/x86/boot/bzImage ]]; then
    log "unchanged, reusing $BUILD"
    echo "$BUILD"
    exit 0
fi

HAD_BZIMAGE=0
[[ -f $BUILD/arch/x86/boot/bzImage ]] && ((SEEDED == 0)) && HAD_BZIMAGE=1

LOGF=$BUILD/ukl-build.log
STARTED=$BUILD/.ukl-make-started # what make writes from now on is newer
touch "$STARTED"
log "make bzImage (log: $LOGF)"
make -C "$BUILD" "${KERNEL_MAKE_ARGS[@]}" -j"$(nproc)" bzImage >"$LOGF" 2>&1 &
MAKE_PID=$!
trap 'kill "$MAKE_PID" 2>/dev/null || true' EXIT
# Thinned progress: every 10 s, how far (Kbuild's saved-command files
# written since make started: one per compiled or linked target), against the
# count a full build of this config leaves when the tree was unpacked afresh,
# and the last make step (e.g. "  CC  kernel/fork.o"). Poll each second so a
# no-op make returns at once.
FULL_BUILD_STEPS=1443 # find TREE -name '.*.cmd' | wc -l after a full build (Dec 2026)
last="" ticks=0
while kill -0 "$MAKE_PID" 2>/dev/null; do
    sleep 1
    ((++ticks % 10 == 0)) || continue
    cur=$(tail -n 1 "$LOGF" 2>/dev/null | sed 's/^ *//; s/  */ /g' | cut -c1-80 || true)
    [[ -n $cur && $cur != "$last" ]] || continue
    steps=$(find "$BUILD" -name '.*.cmd' -newer "$STARTED" 2>/dev/null | wc -l)
    if ((HAD_BZIMAGE == 0 && SEEDED == 0)); then
        how_far="$steps of about $FULL_BUILD_STEPS steps ($((steps >= FULL_BUILD_STEPS ? 99 : steps * 100 / FULL_BUILD_STEPS))%)"
    else
        how_far="$steps steps (only what changed)"
    fi
    log "[$(($(date +%s) - START)) s] $how_far, $cur"
    last=$cur
done
rm -f "$STARTED"
if wait "$MAKE_PID"; then rc=0; else rc=$?; fi
trap - EXIT
if ((rc != 0)); then
    log "make failed (exit $rc); last 40 lines of $LOGF:"
    tail -n 40 "$LOGF" >&2
    exit 1
fi
[[ -f $BUILD/arch/x86/boot/bzImage ]] || die "make succeeded but no bzImage"

# Each tree is about 1.6 GB: keep this one and the two most recent others (seeds).
for old in $(ls -1dt "$KERNELS"/*/ 2>/dev/null | sed 's|/$||' | grep -vxF "$BUILD" | tail -n +3); do
    log "removing an old kernel tree: $old"
    rm -rf "$old" "$(dirname "$old")/.relink-$(basename "$old")" "$(dirname "$old")/.relink-$(basename "$old").lock"
done
touch "$BUILD/.ukl-complete"

ELAPSED=$(($(date +%s) - START))
if ((HAD_BZIMAGE == 0)); then
    echo "$ELAPSED" >"$BUILD/ukl-build-seconds"
    log "built in $ELAPSED s"
else
    log "up to date (make took $ELAPSED s)"
fi
echo "$BUILD"
