#!/bin/bash
# The production shape on one machine, with Linux network namespaces as
# hosts.  Must run as root (ip netns).
#
#   deploy/multihost/multihost.sh [up]      build the hosts, start everything,
#                                           stay in the foreground until
#                                           Ctrl-C / SIGTERM, then tear down
#   deploy/multihost/multihost.sh down ID   remove what a run with this ID
#                                           left behind (after a SIGKILL)
#
# Hosts (namespaces mh<ID>-<host>, on a private 10.77.0.0/24 that exists
# only inside them; a namespace mh<ID>-sw holds the bridge that joins them,
# so nothing is added to the machine's own network):
#
#   redis  10.77.0.2  redis-server :6379, AOF on
#   cust   10.77.0.3  customers.fcgi under spawn-fcgi on :9000
#   acct1  10.77.0.4  accounts.fcgi under spawn-fcgi on :9000, its own worker
#                     and its own SQLite replica of the read model
#   acct2  10.77.0.5  the same, with its own replica
#   web    10.77.0.6  lighttpd (deploy/lighttpd-tcp.conf): :8080 -> cust,
#                     :8090 -> acct1 and acct2; and two probes that each
#                     reach one replica only: :8091 -> acct1, :8092 -> acct2
#
# Environment: BIN_DIR (build/release/bin), WORK_DIR (a new temporary
# folder; logs and each host's VAR_DIR), MH_ID (this shell's pid: makes
# the names unique per run), RUN_USER (microsvc), JWT_SECRET (random).
# When ready it prints "multihost: ready" and writes $WORK_DIR/hosts.env.
# Try, from the web host:
#   ip netns exec mh<ID>-web curl -s -X POST 10.77.0.6:8090/auth/login \
#       -d '{"username":"user1","password":"password1"}'
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
MH_ID=${MH_ID:-$$}
PFX=mh$MH_ID
HOSTS=(redis cust acct1 acct2 web)
declare -A ADDR=([redis]=10.77.0.2 [cust]=10.77.0.3 [acct1]=10.77.0.4 [acct2]=10.77.0.5 [web]=10.77.0.6)
FCGI_PORT=9000
LOGIN_PORT=9001

say() { printf '%s\n' "multihost: $*" >&2; }

# Every process in our namespaces gets SIGTERM, then SIGKILL after five
# seconds; then the namespaces go, and their veths and bridge with them.
# Only processes inside mh<ID>-* namespaces are touched.
teardown() {
	local ns pids i
	# Newest host first: web, the accounts hosts, cust, redis last.
	for ((i = ${#HOSTS[@]} - 1; i >= 0; i--)); do
		ns=$PFX-${HOSTS[$i]}
		[ -e "/run/netns/$ns" ] || continue
		pids=$(ip netns pids "$ns" 2>/dev/null || true)
		[ -n "$pids" ] || continue
		kill -TERM $pids 2>/dev/null || true
		for _ in $(seq 50); do
			pids=$(ip netns pids "$ns" 2>/dev/null || true)
			[ -n "$pids" ] || break
			sleep 0.1
		done
		[ -z "$pids" ] || kill -KILL $pids 2>/dev/null || true
	done
	for ns in "${HOSTS[@]/#/$PFX-}" "$PFX-sw"; do
		[ -e "/run/netns/$ns" ] && ip netns del "$ns" 2>/dev/null || true
	done
}

if [ "${1:-up}" = down ]; then
	[ -n "${2:-}" ] || { say "usage: $0 down ID"; exit 2; }
	MH_ID=$2 PFX=mh$2
	teardown
	exit 0
fi
[ "${1:-up}" = up ] || { say "usage: $0 [up] | down ID"; exit 2; }
[ "$(id -u)" = 0 ] || { say "needs root (ip netns)"; exit 1; }

BIN_DIR=${BIN_DIR:-$ROOT/build/release/bin}
BIN_DIR=$(cd "$BIN_DIR" && pwd)
WORK_DIR=${WORK_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/multihost.XXXXXX")}
mkdir -p "$WORK_DIR"
WORK_DIR=$(cd "$WORK_DIR" && pwd)
chmod 711 "$WORK_DIR"
RUN_USER=${RUN_USER:-microsvc}
if ! id -u "$RUN_USER" >/dev/null 2>&1; then
	useradd --system --user-group --no-create-home \
		--home-dir /nonexistent --shell /usr/sbin/nologin "$RUN_USER"
fi
RUN_GROUP=$(id -gn "$RUN_USER")
# One signing key for every host.  Never printed.
JWT_SECRET=${JWT_SECRET:-$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')}
export JWT_SECRET RUN_USER

trap teardown EXIT
trap 'say "stopping"; exit 0' INT TERM

# --- the network: one bridge in its own namespace, a veth per host --------
ip netns add "$PFX-sw"
ip -n "$PFX-sw" link add br0 type bridge
ip -n "$PFX-sw" link set br0 up
ip -n "$PFX-sw" link set lo up
for h in "${HOSTS[@]}"; do
	ns=$PFX-$h
	ip netns add "$ns"
	ip -n "$PFX-sw" link add "p-$h" type veth peer name eth0 netns "$ns"
	ip -n "$PFX-sw" link set "p-$h" master br0 up
	ip -n "$ns" link set lo up
	ip -n "$ns" addr add "${ADDR[$h]}/24" dev eth0
	ip -n "$ns" link set eth0 up
	mkdir -p "$WORK_DIR/$h/var"
	chmod 700 "$WORK_DIR/$h/var"
	chown -R "$RUN_USER:$RUN_GROUP" "$WORK_DIR/$h"
done

# on HOST CMD...: runs CMD in HOST's network namespace with that host's environment.
on() {
	local h=$1
	shift
	nsenter --net="/run/netns/$PFX-$h" env REDIS_HOST="${ADDR[redis]}" REDIS_PORT=6379 \
		VAR_DIR="$WORK_DIR/$h/var" REDIS_AUTH_DIR="$WORK_DIR/$h/var" "$@"
}
# bg HOST NAME CMD...: the same, in the background, logging to HOST/NAME.log.
bg() {
	local h=$1 name=$2
	shift 2
	on "$h" "$@" >>"$WORK_DIR/$h/$name.log" 2>&1 3>&- &
	echo $! >"$WORK_DIR/$h/$name.pid"
}
# wait_tcp HOST ADDR PORT: up to ten seconds for something to listen there.
wait_tcp() {
	for _ in $(seq 200); do
		on "$1" bash -c "exec 3<>/dev/tcp/$2/$3" 2>/dev/null && return 0
		sleep 0.05
	done
	say "nothing listens on $2:$3 (seen from $1)"
	return 1
}

# --- the keys: made once, then each host gets what its programs need ------
# The ACL file goes to every Redis host (ACLs are not replicated); each
# role's password only to the hosts that run its program.
KEYS=$WORK_DIR/keys
mkdir -p "$KEYS"
chmod 700 "$KEYS"
chown "$RUN_USER:$RUN_GROUP" "$KEYS"
VAR_DIR=$KEYS REDIS_AUTH_DIR=$KEYS REDIS_ACL_FILE=$KEYS/redis-users.acl \
	"$BIN_DIR/setup" --keys \
	>>"$WORK_DIR/keys.log" 2>&1
# give HOST FILE...: copies each key file into HOST's VAR_DIR, private,
# as the service user (its folders are not root's to write in).
give() {
	local h=$1 f
	shift
	for f in "$@"; do
		setpriv --reuid="$RUN_USER" --regid="$(id -g "$RUN_USER")" --init-groups -- \
			install -m 600 "$KEYS/$f" "$WORK_DIR/$h/var/$f"
	done
}
give redis redis-users.acl
give cust redis-customers.pass redis-admin.pass
give acct1 redis-accounts.pass redis-worker.pass
give acct2 redis-accounts.pass redis-worker.pass

# --- redis -------------------------------------------------------------------
mkdir -p "$WORK_DIR/redis/var/data"
chown "$RUN_USER:$RUN_GROUP" "$WORK_DIR/redis/var/data"
bg redis redis setpriv --reuid="$RUN_USER" --regid="$(id -g "$RUN_USER")" --init-groups -- \
	redis-server --port 6379 --bind "${ADDR[redis]}" --protected-mode no \
	--aclfile "$WORK_DIR/redis/var/redis-users.acl" \
	--dir "$WORK_DIR/redis/var/data" --appendonly yes --appendfsync always --save "" \
	--daemonize no --logfile "$WORK_DIR/redis/redis-server.log"
for _ in $(seq 200); do
	on cust "$ROOT/scripts/redis-cli" ping 2>/dev/null | grep -q PONG && break
	sleep 0.05
done
on cust "$ROOT/scripts/redis-cli" ping | grep -q PONG || { say "redis did not answer"; exit 1; }

# Once, against Redis, as admin: the Function library, the users, the accounts.
on cust "$BIN_DIR/setup" >>"$WORK_DIR/cust/setup.log" 2>&1

# --- the FastCGI hosts ------------------------------------------------------
spawn=(spawn-fcgi -n -u "$RUN_USER" -g "$RUN_GROUP" -p "$FCGI_PORT")
bg cust customers "${spawn[@]}" -a "${ADDR[cust]}" -- "$BIN_DIR/customers.fcgi"
for h in acct1 acct2; do
	bg "$h" worker "$BIN_DIR/worker"
	bg "$h" accounts "${spawn[@]}" -a "${ADDR[$h]}" -- "$BIN_DIR/accounts.fcgi"
done
# Logins have a process of their own (lighttpd.conf says why), on acct1.
bg acct1 login spawn-fcgi -n -u "$RUN_USER" -g "$RUN_GROUP" -p "$LOGIN_PORT" \
	-a "${ADDR[acct1]}" -- "$BIN_DIR/accounts.fcgi"
for h in cust acct1 acct2; do
	wait_tcp web "${ADDR[$h]}" "$FCGI_PORT"
done
wait_tcp web "${ADDR[acct1]}" "$LOGIN_PORT"

# --- the web host -----------------------------------------------------------
mkdir -p "$WORK_DIR/web/state"
chown "$RUN_USER:$RUN_GROUP" "$WORK_DIR/web/state"
# lighttpd NAME CUSTOMERS_PORT ACCOUNTS_PORT ACCT_HOST ACCT2_HOST
lighttpd_on_web() {
	bg web "$1" env BIND_ADDR="${ADDR[web]}" CUSTOMERS_PORT="$2" ACCOUNTS_PORT="$3" \
		STATE_DIR="$WORK_DIR/web/state" RUN_USER="$RUN_USER" RUN_GROUP="$RUN_GROUP" \
		CUSTOMERS_FCGI_HOST="${ADDR[cust]}" CUSTOMERS_FCGI_PORT="$FCGI_PORT" \
		ACCOUNTS_FCGI_HOST="${ADDR[$4]}" ACCOUNTS_FCGI_PORT="$FCGI_PORT" \
		ACCOUNTS2_FCGI_HOST="${ADDR[$5]}" ACCOUNTS2_FCGI_PORT="$FCGI_PORT" \
		LOGIN_FCGI_HOST="${ADDR[acct1]}" LOGIN_FCGI_PORT="$LOGIN_PORT" \
		DEPLOY_DIR="$ROOT/deploy" PER_ADDRESS_BUSY=64 \
		lighttpd -D -f "$ROOT/deploy/lighttpd-tcp.conf"
}
lighttpd_on_web lighttpd 8080 8090 acct1 acct2
# The probes: one replica each, to compare them (not part of production).
lighttpd_on_web probe1 18081 8091 acct1 acct1
lighttpd_on_web probe2 18082 8092 acct2 acct2
for p in 8080 8090 8091 8092; do
	wait_tcp web "${ADDR[web]}" "$p"
done

cat >"$WORK_DIR/hosts.env" <<ENV
MH_ID=$MH_ID
NS_PREFIX=$PFX
NS_WEB=$PFX-web
WEB=${ADDR[web]}
REDIS=${ADDR[redis]}
C=http://${ADDR[web]}:8080
A=http://${ADDR[web]}:8090
A1=http://${ADDR[web]}:8091
A2=http://${ADDR[web]}:8092
ENV
say "ready (id $MH_ID, logs in $WORK_DIR)"
for h in "${HOSTS[@]}"; do
	say "  $h ${ADDR[$h]} (namespace $PFX-$h)"
done
say "  customers http://${ADDR[web]}:8080, accounts http://${ADDR[web]}:8090 (from namespace $PFX-web)"

# Any process that dies takes the rest down.
set +e
pids=()
for f in "$WORK_DIR"/*/*.pid; do pids+=("$(cat "$f")"); done
wait -n "${pids[@]}"
say "a process exited; stopping the rest"
exit 1
