# cache.sh — sourced by the build scripts (kernel, musl, Redis): the one place
# where they find the cache, make an entry's key, take its lock, and say that
# an input is the user's to fix.
#
# The cache root is ukl-opt's to decide (Cache.root: ${UKL_CACHE:-~/.cache/ukl-opt}),
# and ukl-opt passes it as UKL_CACHE to every script it runs; the default here
# is the same rule, for a script run by hand (a test checks the two agree).

CACHE_ROOT=${UKL_CACHE:-$HOME/.cache/ukl-opt}

# cache_key: the first 16 hex digits of sha256 over standard input.
cache_key() { sha256sum | cut -c1-16; }

# cache_kind KIND: creates the cache's KIND directory and prints its absolute path.
cache_kind() {
    mkdir -p "$CACHE_ROOT/$1" 2>/dev/null || bad_input "$CACHE_ROOT" "cannot write the cache here (set UKL_CACHE)"
    (cd "$CACHE_ROOT/$1" && pwd)
}

# cache_lock DIR KEY: holds DIR/.KEY.lock (on fd 8) until the script ends, so
# two runs never build one entry together: the second waits, then finds it.
cache_lock() {
    exec 8>"$1/.$2.lock"
    flock 8
}

# bad_input FILE REASON: the input is wrong, not the script: one line naming
# the file and the cause, and exit status 3, which ukl-opt reports as bad
# input (its exit 1) rather than as a failed program.
bad_input() {
    echo "$1: $2" >&2
    exit 3
}
