#!/usr/bin/env bash
# Sets everything up and runs the main job. Until `ukl-opt compare` exists
# (the tiers are still being built), that is: inspect and rewrite the bundled
# syscall fixture at every tier, LTO an application into the bundled kernel,
# and boot the result under QEMU.
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

clang-19 "${APP_FLAGS[@]}" -c -emit-llvm Tests/Fixtures/kernel_calls.c -o "$OUT/kernel_calls.bc"
"$TOOL" lto --kernel "$KBUILD" "$OUT/kernel_calls.bc" -o "$OUT/vmlinux.o" --report "$OUT/lto.json"
scripts/relink-bzimage.sh "$KBUILD" "$OUT/vmlinux.o" "$OUT/bzImage"
scripts/make-initramfs.sh "$KBUILD" scripts/initramfs/init.c "$OUT/init.cpio"
scripts/boot-qemu.sh "$OUT/bzImage" "$OUT/init.cpio" 120 | grep -a ukl-boot-ok
echo "run: the kernel with the application linked in by ukl-opt lto booted ($OUT/bzImage)"
