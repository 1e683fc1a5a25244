#!/usr/bin/env bash
# kernel-build.sh — build (or reuse) the cached ukl-tiny Linux 6.1 kernel.
#
# Usage: scripts/kernel-build.sh
# Stdout: exactly one line, the absolute build directory. Progress goes to stderr.
#
# Cache layout: ${UKL_CACHE:-$HOME/.cache/ukl-opt}/kernel/<key>, where <key> is the
# first 16 hex digits of sha256 over these bytes, concatenated in this order:
#   1. `dpkg-query -W -f='${Version}' linux-source-6.1` (no trailing newline)
#   2. kernel-shortcuts/config/ukl-tiny.config
#   3. every kernel-shortcuts/patches/*.patch, sorted by name (C locale)
#   4. the first line of `clang-19 --version`, with its newline
# Anything that changes the resulting kernel changes the key, so a cached tree is
# never reused for different inputs.
#
# Files the script leaves in the build dir:
#   ukl-build.log       output of the last make run
#   ukl-build-seconds   wall time (s) of the run that first produced bzImage
#   .ukl-lock           flock'ed while make runs (relink-bzimage.sh uses it too)
set -euo pipefail
export LC_ALL=C # glob order and tool messages must not depend on the locale

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
FRAGMENT=$REPO_ROOT/kernel-shortcuts/config/ukl-tiny.config
TARBALL=/usr/src/linux-source-6.1.tar.xz
CACHE=${UKL_CACHE:-$HOME/.cache/ukl-opt}
MAKE_ARGS=(LLVM=-19)

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
} | sha256sum | cut -c1-16)

mkdir -p "$CACHE/kernel"
CACHE=$(cd "$CACHE" && pwd) # absolute, so the printed path is absolute
BUILD=$CACHE/kernel/$KEY

# One lock per key around the whole run: two concurrent invocations must not unpack
# or build the same tree at the same time.
exec 8>"$CACHE/kernel/.$KEY.lock"
flock 8

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

if [[ ! -d $BUILD ]]; then
    # Unpack, patch and configure in a temp dir beside the final one, then rename:
    # a directory under the final name is always a complete, configured tree.
    TMP=$(mktemp -d "$CACHE/kernel/.$KEY.tmp.XXXXXX")
    trap 'rm -rf "$TMP"' EXIT
    log "unpacking $TARBALL"
    tar -xJf "$TARBALL" -C "$TMP" --strip-components=1
    for p in "${PATCHES[@]}"; do
        log "applying $(basename "$p")"
        patch -d "$TMP" -p1 --batch --quiet <"$p" >"$TMP/ukl-patch.log" 2>&1 ||
            die "patch $(basename "$p") does not apply to linux-source-6.1 $SRC_VERSION (see $p)"
    done
    rm -f "$TMP/ukl-patch.log"
    log "configuring (tinyconfig + $(basename "$FRAGMENT"))"
    (
        cd "$TMP"
        make "${MAKE_ARGS[@]}" tinyconfig
        scripts/kconfig/merge_config.sh -m .config "$FRAGMENT"
        make "${MAKE_ARGS[@]}" olddefconfig
    ) >"$TMP/ukl-config.log" 2>&1 || {
        tail -n 40 "$TMP/ukl-config.log" >&2
        die "configuration failed"
    }
    verify_config "$TMP/.config" || die "config fragment not honoured"
    mv "$TMP" "$BUILD"
    trap - EXIT
fi

# Cheap, and catches a tree whose .config was edited by hand since.
verify_config "$BUILD/.config" || die "config fragment not honoured in $BUILD/.config"

# Shared with relink-bzimage.sh: never run make while a relink has swapped vmlinux.o.
exec 9>"$BUILD/.ukl-lock"
flock 9

# A relink killed before restoring left the tree's own vmlinux.o here; put it back
# (fresh mtime so make rebuilds vmlinux and bzImage from it).
if [[ -f $BUILD/.ukl-vmlinux.o.orig ]]; then
    log "restoring vmlinux.o saved by an interrupted relink"
    mv "$BUILD/.ukl-vmlinux.o.orig" "$BUILD/vmlinux.o"
    touch "$BUILD/vmlinux.o"
fi

HAD_BZIMAGE=0
[[ -f $BUILD/arch/x86/boot/bzImage ]] && HAD_BZIMAGE=1

LOGF=$BUILD/ukl-build.log
log "make bzImage (log: $LOGF)"
make -C "$BUILD" "${MAKE_ARGS[@]}" -j"$(nproc)" bzImage >"$LOGF" 2>&1 &
MAKE_PID=$!
trap 'kill "$MAKE_PID" 2>/dev/null || true' EXIT
# Thinned progress: every 10 s, the last make step (e.g. "  CC  kernel/fork.o").
# Poll each second so a no-op make returns at once; print at most every 10 s.
last="" ticks=0
while kill -0 "$MAKE_PID" 2>/dev/null; do
    sleep 1
    ((++ticks % 10 == 0)) || continue
    cur=$(tail -n 1 "$LOGF" 2>/dev/null | cut -c1-100 || true)
    if [[ -n $cur && $cur != "$last" ]]; then
        log "[$(($(date +%s) - START)) s] $cur"
        last=$cur
    fi
done
if wait "$MAKE_PID"; then rc=0; else rc=$?; fi
trap - EXIT
if ((rc != 0)); then
    log "make failed (exit $rc); last 40 lines of $LOGF:"
    tail -n 40 "$LOGF" >&2
    exit 1
fi
[[ -f $BUILD/arch/x86/boot/bzImage ]] || die "make succeeded but no bzImage"

ELAPSED=$(($(date +%s) - START))
if ((HAD_BZIMAGE == 0)); then
    echo "$ELAPSED" >"$BUILD/ukl-build-seconds"
    log "built in $ELAPSED s"
else
    log "up to date (make took $ELAPSED s)"
fi
echo "$BUILD"
