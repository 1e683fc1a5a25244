#!/usr/bin/env bash
# bench/lto-vs-lld.sh [KBUILD]
#
# Times `ukl-opt lto` (kernel only, no app) against ld.lld's own full-LTO link
# of vmlinux.o, on the same tree in one run: the kernel's saved command from
# KBUILD/.vmlinux.o.cmd (ld.lld -r with LTO, then objtool) versus ukl-opt doing
# the LTO itself and then the same ld -r and objtool. Prints both wall times,
# their ratio (goal: at most 1.0) and both peak RSS figures. Wall time here is
# host time, not guest time.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"

KBUILD=${1:-$(scripts/kernel-build.sh | tail -n 1)}
[[ -f $KBUILD/.vmlinux.o.cmd ]] || { echo "bench: $KBUILD has no .vmlinux.o.cmd" >&2; exit 1; }
swift build -c release --product ukl-opt >&2
TOOL=$(swift build -c release --show-bin-path)/ukl-opt

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# The kernel's own rule, writing elsewhere than KBUILD/vmlinux.o.
CMD=$(sed -n 's/^cmd_vmlinux\.o := //p' "$KBUILD/.vmlinux.o.cmd")
CMD=$(sed -e "s| -o vmlinux\.o | -o $WORK/lld.o |" -e "s| vmlinux\.o *\$| $WORK/lld.o|" <<<"$CMD")

measure() { # name, command...: runs it under GNU time, prints "seconds rss_kib"
	local name=$1
	shift
	/usr/bin/time -f '%e %M' -o "$WORK/$name.time" "$@" >"$WORK/$name.log" 2>&1 ||
		{ echo "bench: $name failed:" >&2; tail -n 20 "$WORK/$name.log" >&2; exit 1; }
	cat "$WORK/$name.time"
}

echo "bench: ld.lld full LTO of vmlinux.o ..." >&2
read -r lld_s lld_kib < <(cd "$KBUILD" && measure lld sh -c "$CMD")
echo "bench: ukl-opt lto of vmlinux.o ..." >&2
read -r ukl_s ukl_kib < <(measure ukl "$TOOL" lto --quiet --kernel "$KBUILD" -o "$WORK/ukl.o")

awk -v ls="$lld_s" -v lk="$lld_kib" -v us="$ukl_s" -v uk="$ukl_kib" 'BEGIN {
	printf "%-22s %10s %14s\n", "vmlinux.o LTO link", "wall (s)", "peak RSS (MiB)"
	printf "%-22s %10.1f %14.0f\n", "ld.lld (kernel rule)", ls, lk / 1024
	printf "%-22s %10.1f %14.0f\n", "ukl-opt lto", us, uk / 1024
	printf "ratio ukl-opt/ld.lld: time %.2f, memory %.2f (goal: time at most 1.0)\n", us / ls, uk / lk
}'
