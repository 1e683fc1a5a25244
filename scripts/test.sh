#!/usr/bin/env bash
# Sets everything up and runs every test: installs packages, builds the
# bundled kernel (cached under ~/.cache/ukl-opt), builds ukl-opt, runs the
# fast tests and the kernel/QEMU integration tests.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
export PATH="/opt/swift/usr/bin:$PATH"

echo "test: building the kernel (cached; about 6 minutes the first time)" >&2
UKL_KERNEL_BUILD=$(scripts/kernel-build.sh | tail -n 1)
export UKL_KERNEL_BUILD

echo "test: swift format lint (config: .swift-format)" >&2
swift format lint --strict --recursive --parallel Sources Tests Package.swift

swift build --build-tests
# musl and Redis are built here, before the tests, so that no test spends its
# time limit waiting for them (on a fresh machine they take minutes, more so
# beside the tests running in parallel). Redis is built by the very ukl-opt
# binary the tests run, which is what its cache is keyed by.
echo "test: building musl and Redis as bitcode, and the QEMU plugin (cached)" >&2
TOOL=$(swift build --show-bin-path)/ukl-opt
"$TOOL" cc -print-sysroot >/dev/null
scripts/redis-build.sh "$TOOL" >/dev/null
scripts/qemu-plugin-build.sh >/dev/null
# The fuzz targets' budget per parser (FuzzTests): about 10 s in all.
export UKL_FUZZ_ITERATIONS=${UKL_FUZZ_ITERATIONS:-20000}
swift test --skip-build
