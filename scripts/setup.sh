#!/usr/bin/env bash
# Installs everything ukl-opt needs from Debian, once: the LLVM 19 toolchain
# (the Swift toolchain's own clang is LLVM 21 and cannot make LLVM 19 bitcode),
# QEMU, Debian's Linux 6.1 source and what building it takes. Idempotent.
set -euo pipefail

packages=(
	clang-19 lld-19 llvm-19 llvm-19-dev libclang-19-dev binutils-dev
	qemu-system-x86 linux-source-6.1 dpkg-dev
	make bc flex bison libelf-dev libssl-dev cpio xz-utils python3 time
	librsvg2-bin redis-tools
)

missing=()
for package in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'ok installed' || missing+=("$package")
done

if ((${#missing[@]})); then
	echo "setup: installing ${missing[*]}" >&2
	sudo_cmd=()
	[[ $(id -u) == 0 ]] || sudo_cmd=(sudo)
	"${sudo_cmd[@]}" apt-get update -qq
	DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# Source packages (musl, Redis) need a deb-src entry: a copy of the
# machine's own Debian entries with the type changed.
sudo_cmd=()
[[ $(id -u) == 0 ]] || sudo_cmd=(sudo)
if ! apt-cache showsrc musl 2>/dev/null | grep -q '^Version:'; then
	sources=/etc/apt/sources.list.d/debian.sources
	[[ -f $sources ]] || { echo "setup: no $sources to copy a deb-src entry from" >&2; exit 1; }
	echo "setup: adding deb-src entries (copied from $sources)" >&2
	sed 's/^Types: deb$/Types: deb-src/' "$sources" | "${sudo_cmd[@]}" tee /etc/apt/sources.list.d/ukl-opt-deb-src.sources >/dev/null
	"${sudo_cmd[@]}" apt-get update -qq
fi

command -v swift >/dev/null || export PATH="/opt/swift/usr/bin:$PATH"
command -v swift >/dev/null || { echo "setup: no Swift toolchain on PATH" >&2; exit 1; }
