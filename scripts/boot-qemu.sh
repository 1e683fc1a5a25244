#!/usr/bin/env bash
# boot-qemu.sh BZIMAGE INITRAMFS [TIMEOUT_SECONDS=60]
#
# Boot the kernel under QEMU TCG (KVM guests hang on this machine) and print the
# guest's serial console to stdout. Exit 0 only if QEMU exited by itself, i.e. the
# guest rebooted/powered off (-no-reboot turns a reboot into QEMU exiting) without
# a panic or oops on the console. Otherwise exit 1 with the console tail on stderr.
set -euo pipefail

die() { echo "boot-qemu: $*" >&2; exit 1; }

(($# == 2 || $# == 3)) || die "usage: $0 BZIMAGE INITRAMFS [TIMEOUT_SECONDS=60]"
BZIMAGE=$1 INITRD=$2 TIMEOUT=${3:-60}
[[ -f $BZIMAGE ]] || die "no such file: $BZIMAGE"
[[ -f $INITRD ]] || die "no such file: $INITRD"
[[ $TIMEOUT =~ ^[0-9]+$ ]] || die "timeout must be whole seconds: $TIMEOUT"

CONSOLE=$(mktemp)
trap 'rm -f "$CONSOLE"' EXIT

tail_console() { tail -n 30 "$CONSOLE" >&2; }

# stdin from /dev/null: -nographic would otherwise put a terminal in raw mode and
# let keystrokes reach the muxed monitor. tr drops the serial line's CRs.
# panic=-1 + -no-reboot: a panic ends QEMU at once instead of waiting for the timeout.
set +e
timeout -k 5 "$TIMEOUT" qemu-system-x86_64 \
    -nographic -no-reboot -m 512M -cpu max \
    -kernel "$BZIMAGE" -initrd "$INITRD" \
    -append "console=ttyS0 panic=-1 oops=panic quiet" \
    </dev/null | tr -d '\r' | tee "$CONSOLE"
rc=${PIPESTATUS[0]}
set -e

if ((rc == 124 || rc == 137)); then
    echo "boot-qemu: guest did not power off within $TIMEOUT s" >&2
    tail_console
    exit 1
fi
if ((rc != 0)); then
    echo "boot-qemu: qemu-system-x86_64 failed (exit $rc)" >&2
    tail_console
    exit 1
fi
if grep -qE 'Kernel panic|Oops' "$CONSOLE"; then
    echo "boot-qemu: guest kernel panicked or oopsed" >&2
    tail_console
    exit 1
fi
