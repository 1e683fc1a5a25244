#!/usr/bin/env bash
# The main job: set everything up, then `ukl-opt compare` on the bundled default
# (syscall-bench at linux, base, bypass, nss and shortcut, and each UKL level again
# with its bundled profile: --pgo), printing the table and
# writing out/compare.json and out/compare.svg. Tick figures are guest
# instructions under QEMU -icount: exact, and identical on a second run.
set -euo pipefail
cd "$(dirname "$0")/.."

source scripts/release-tool.sh
OUT=${UKL_OUT:-out}
mkdir -p "$OUT"
"$TOOL" compare --pgo --json "$OUT/compare.json" --plot "$OUT/compare.svg" "$@"
echo "wrote $OUT/compare.json and $OUT/compare.svg" >&2
