# Sourced by the scripts that run ukl-opt for a user (run.sh,
# train-profiles.sh, bench/): sets everything up, builds the release
# binary and sets TOOL to it.
scripts/setup.sh
export PATH="/opt/swift/usr/bin:$PATH"
swift build -c release --product ukl-opt >&2
TOOL=$(swift build -c release --show-bin-path)/ukl-opt
