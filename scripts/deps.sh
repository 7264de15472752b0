#!/bin/sh
# Installs the Debian packages the project needs, when some are missing.
# As root it runs apt-get; otherwise it prints the line to run.
# `deps.sh --list` prints the list (for .ci/run).
set -eu

PACKAGES="build-essential pkg-config libfcgi-dev libhiredis-dev libjson-c-dev
libsqlite3-dev libjwt-dev libsodium-dev lighttpd redis-server redis-sentinel redis-tools
sqlite3 bats curl jq openssl spawn-fcgi logrotate lighttpd-modules-lua strace cppcheck clang
libclang-rt-14-dev chromium nftables prometheus"

if [ "${1:-}" = --list ]; then
	echo $PACKAGES
	exit 0
fi

missing=""
for p in $PACKAGES; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "missing Debian packages; run as root:" >&2
	echo "  apt-get update && apt-get install -y$missing" >&2
	exit 1
fi
echo "installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing >/dev/null
