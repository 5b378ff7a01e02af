#!/bin/sh
# Installs the Debian packages compendium needs to build and test, only those
# that are missing (apt-get update runs only when something is missing).
# usage: tools/deps.sh [build|test]
set -eu
build_pkgs="make gcc libc6-dev linux-libc-dev libbpf-dev libelf-dev libzstd-dev
 libprotobuf-c-dev protobuf-c-compiler clang llvm bpftool pkg-config zlib1g-dev"
test_pkgs="libcmocka-dev libclang-rt-14-dev python3 python3-pytest strace
 coreutils git chromium nodejs npm"
case "${1:-build}" in
	build) want=$build_pkgs ;;
	test) want="$build_pkgs $test_pkgs" ;;
	*) echo "usage: .ci/deps.sh [build|test]" >&2; exit 2 ;;
esac
missing=
for p in $want; do
	# a node from elsewhere (e.g. NodeSource, whose nodejs conflicts with
	# Debian's npm) brings its own npm: the command is what the tests need
	case "$p" in nodejs|npm) command -v "${p%js}" >/dev/null 2>&1 && continue ;; esac
	s=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$s" in *" installed") ;; *) missing="$missing $p" ;; esac
done
[ -z "$missing" ] && exit 0
echo "deps: installing$missing"
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing packages:$missing; run as root or: sudo apt-get install$missing" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
