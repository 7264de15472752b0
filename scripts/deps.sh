#!/bin/sh
# Installs the Debian packages the project needs, when some are missing.
# As root it runs apt-get; otherwise it prints the line to run.
#   deps.sh          what make test needs (all of it)
#   deps.sh --run    what make run needs: build and run, nothing more
#   deps.sh --list   the whole list (for .ci/run)
set -eu

# To build and run.
RUN_PACKAGES="build-essential pkg-config libfcgi-dev libhiredis-dev libjson-c-dev
libsqlite3-dev libjwt-dev libsodium-dev libzstd-dev zlib1g-dev lighttpd redis-server redis-sentinel redis-tools
sqlite3 curl jq openssl spawn-fcgi logrotate"
# To test: the suites and their tools (cppcheck, clang's fuzzer, chromium
# for the dashboard, nft for the firewall, promtool from prometheus for
# /metrics), and for the Debian package (make deb) and tests/package.bats:
# dpkg-buildpackage and debhelper, lintian, mmdebstrap for the Debian 12
# root, man for the man pages, ip, pgrep, systemd-analyze and
# systemd-nspawn.
# multiwatch: the package's customers unit forks its processes with it.
TEST_PACKAGES="bats strace cppcheck clang libclang-rt-14-dev multiwatch
chromium nftables prometheus
debhelper dpkg-dev lintian mmdebstrap man-db iproute2 procps systemd systemd-container"

case ${1:-} in
--list) echo $RUN_PACKAGES $TEST_PACKAGES; exit 0 ;;
--run) PACKAGES=$RUN_PACKAGES ;;
*) PACKAGES="$RUN_PACKAGES $TEST_PACKAGES" ;;
esac

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
