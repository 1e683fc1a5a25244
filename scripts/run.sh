#!/usr/bin/env bash
# Sets everything up and runs the main job. Until `ukl-opt compare` exists
# (the tiers are still being built), that is: inspect and rewrite the bundled
# syscall fixture at every tier, then rewrite a program for the base tier, LTO
# it into the bundled UKL kernel and boot it under QEMU, where it runs in ring 0.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
export PATH="/opt/swift/usr/bin:$PATH"
KBUILD=$(scripts/kernel-build.sh | tail -n 1)
swift build -c release --product ukl-opt >&2
TOOL=$(swift build -c release --show-bin-path)/ukl-opt
OUT=${UKL_OUT:-out}
mkdir -p "$OUT"

APP_FLAGS=(-O2 -ffreestanding -mcmodel=kernel -mno-red-zone -fno-pic -fshort-wchar)
clang-19 "${APP_FLAGS[@]}" -c -emit-llvm Tests/Fixtures/raw_syscalls.c -o "$OUT/raw_syscalls.bc"
"$TOOL" inspect "$OUT/raw_syscalls.bc"
for level in base bypass nss shortcut; do
	"$TOOL" apply --level "$level" "$OUT/raw_syscalls.bc" -o "$OUT/raw_syscalls.$level.bc" --verbose
done

clang-19 "${APP_FLAGS[@]}" -c -emit-llvm Tests/Fixtures/hello_ukl.c -o "$OUT/hello.bc"
"$TOOL" apply --level base "$OUT/hello.bc" -o "$OUT/hello.base.bc"
"$TOOL" lto --kernel "$KBUILD" "$OUT/hello.base.bc" -o "$OUT/vmlinux.o" --report "$OUT/lto.json"
scripts/relink-bzimage.sh "$KBUILD" "$OUT/vmlinux.o" "$OUT/bzImage"
scripts/make-initramfs.sh "$KBUILD" kernel-shortcuts/ukl-init "$OUT/init.cpio"
echo "run: booting $OUT/bzImage under QEMU (TCG); the application runs in ring 0:" >&2
scripts/boot-qemu.sh "$OUT/bzImage" "$OUT/init.cpio" 120 | tr -d '\r' | grep -aE '^(hello|/init|ukl:)'
