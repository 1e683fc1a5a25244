#!/usr/bin/env bash
# Sets everything up and runs the main job. Until `ukl-opt compare` exists
# (the bypass, nss and shortcut tiers are still to come), that is: show the
# syscall sites of the bundled fixture and how each tier rewrites them, then
# build and boot syscall-bench at the linux and base levels under QEMU and
# print what it measured (guest TSC ticks under -icount: exact and repeatable).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
export PATH="/opt/swift/usr/bin:$PATH"
swift build -c release --product ukl-opt >&2
TOOL=$(swift build -c release --show-bin-path)/ukl-opt
"$TOOL" kernel build >/dev/null
OUT=${UKL_OUT:-out}
mkdir -p "$OUT"

clang-19 -O2 -ffreestanding -mcmodel=kernel -mno-red-zone -fno-pic -fshort-wchar \
	-c -emit-llvm Tests/Fixtures/raw_syscalls.c -o "$OUT/raw_syscalls.bc"
"$TOOL" inspect "$OUT/raw_syscalls.bc"
for level in base bypass nss shortcut; do
	"$TOOL" apply --level "$level" "$OUT/raw_syscalls.bc" -o "$OUT/raw_syscalls.$level.bc" --verbose
done

for level in linux base; do
	"$TOOL" run --level "$level" --app syscall-bench --json >"$OUT/syscall-bench.$level.json"
done
python3 - "$OUT" <<'PY'
import json, sys
runs = {level: json.load(open(f"{sys.argv[1]}/syscall-bench.{level}.json")) for level in ("linux", "base")}
print(f"\n{'op':<10}{'linux':>10}{'base':>10}{'base/linux':>12}   (guest TSC ticks, icount)")
for op, linux in runs["linux"]["ops"].items():
    base = runs["base"]["ops"][op]
    print(f"{op:<10}{linux:>10}{base:>10}{base / linux:>12.2f}")
print(f"emulator wall time: linux {runs['linux']['emulator_seconds']} s, base {runs['base']['emulator_seconds']} s")
PY
