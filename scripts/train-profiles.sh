#!/usr/bin/env bash
# Trains the bundled profiles again (profiles/APP.LEVEL.profdata, which
# `ukl-opt compare --pgo` uses): each UKL level's instrumented image of the
# bundled syscall-bench is booted and its counters read back. Run it when
# the kernel series, the tiers or syscall-bench change; the test
# PGOTests.theBundledProfilesAreCurrentAndTrainAgainToTheSameBytes says when.
set -euo pipefail
cd "$(dirname "$0")/.."

source scripts/release-tool.sh
for level in base bypass nss shortcut; do
	"$TOOL" pgo train --level "$level" --app syscall-bench -o "profiles/syscall-bench.$level.profdata"
done
