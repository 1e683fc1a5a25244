#!/usr/bin/env bash
# bench/redis-compare.sh — Redis at every level, measured in one run.
#
# Builds Redis from Debian's source with `ukl-opt cc`, links it into the
# kernel at base, bypass, nss and shortcut and as a static program at linux,
# and runs redis-benchmark beside the server in each guest (see the README,
# "Redis"). Prints the table and writes out/redis.json and out/redis.svg.
# Figures are guest time under QEMU -icount (1 ns = 1 instruction): exact,
# the same on a second run. Too slow for CI (four kernel LTO links of Redis,
# about 25 minutes the first time); the tests run linux and shortcut.
set -euo pipefail
cd "$(dirname "$0")/.."

source scripts/release-tool.sh
OUT=${UKL_OUT:-out}
mkdir -p "$OUT"
"$TOOL" compare --app redis --json "$OUT/redis.json" --plot "$OUT/redis.svg" "$@"
echo "wrote $OUT/redis.json and $OUT/redis.svg" >&2
