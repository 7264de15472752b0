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
#   redis  10.77.0.2  redis-server :6379, AOF on, the primary at first;
#                     a Sentinel on :26379
#   redis2 10.77.0.7  redis-server :6379, AOF on, a replica; a Sentinel
#   redis3 10.77.0.8  redis-server :6379, AOF on, the other replica
#   cust   10.77.0.3  customers.fcgi under spawn-fcgi on :9000
#   acct1  10.77.0.4  accounts.fcgi under spawn-fcgi on :9000 (and one for
#                     logins on :9001), its own worker and its own SQLite
#                     replica of the read model, and an archiver with its
#                     own copy of the archive
#   acct2  10.77.0.5  the same, with its own replica and archive: the
#                     stream is trimmed only of what both archives hold
#                     (ARCHIVE_COPIES="acct1 acct2")
#   web    10.77.0.6  lighttpd (deploy/lighttpd-tcp.conf): :8080 -> cust,
#                     :8090 -> acct1 and acct2 (either may go: lighttpd
#                     sends to the other); and two probes that each
#                     reach one replica only: :8091 -> acct1, :8092 -> acct2;
#                     the third Sentinel
#
# The web host and the Redis hosts load deploy/nftables/microsvc.nft:
# connections per client address bounded on the HTTP, Redis and Sentinel
# ports (the probes' ports are not).
#
# Failover: three Sentinels (quorum 2, down after 0.5 s) watch the primary
# and promote a replica if it goes, the other replica following it; the
# programs ask them where the primary is (REDIS_SENTINELS), and a command
# answers 201 only once its event is on a replica too
# (REDIS_WAIT_REPLICAS=1).  The primary takes writes only while a replica
# is with it (min-replicas-to-write 1, min-replicas-max-lag 2): cut off,
# it stops; with two replicas, the new primary has one at once.  Every Redis and Sentinel
# speaks only to holders of a password (the ACL roles, on the Sentinels
# too: the programs' may only ask where the primary is).
#
# Environment: BIN_DIR (build/release/bin), WORK_DIR (a new temporary
# folder, root's: per host, HOST/ holds root's logs, pid files and
# start-redis, and HOST/var, the service user's, its VAR_DIR), MH_ID (this shell's pid: makes
# the names unique per run), RUN_USER (microsvc), JWT_SECRET (random),
# SENTINEL_DOWN_AFTER_MS (500) and SENTINEL_FAILOVER_TIMEOUT_MS (5000).
# When ready it prints "multihost: ready" and writes $WORK_DIR/hosts.env.
# Try, from the web host:
#   ip netns exec mh<ID>-web curl -s -X POST 10.77.0.6:8090/auth/login \
#       -d '{"username":"user1","password":"password1"}'
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
MH_ID=${MH_ID:-$$}
PFX=mh$MH_ID
HOSTS=(redis redis2 redis3 cust acct1 acct2 web)
REDIS_HOSTS=(redis redis2 redis3)
declare -A ADDR=([redis]=10.77.0.2 [cust]=10.77.0.3 [acct1]=10.77.0.4 [acct2]=10.77.0.5 [web]=10.77.0.6 [redis2]=10.77.0.7 [redis3]=10.77.0.8)
SENTINEL_HOSTS=(redis redis2 web)
SENTINEL_PORT=26379
MASTER_NAME=microsvc
SENTINELS=$(for h in "${SENTINEL_HOSTS[@]}"; do printf '%s:%s,' "${ADDR[$h]}" "$SENTINEL_PORT"; done)
SENTINELS=${SENTINELS%,}
FCGI_PORT=9000
LOGIN_PORT=9001

say() { printf '%s\n' "multihost: $*" >&2; }

# Every process in our namespaces gets SIGTERM, then SIGKILL after five
# seconds; then the namespaces go, and their veths and bridge with them.
# Only processes inside mh<ID>-* namespaces are touched.
teardown() {
	local ns pids i
	# Newest host first: web, the accounts hosts, cust, the Redis hosts last.
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
# Root runs scripts from it: never a folder another user made first.
mkdir -p "$WORK_DIR"
[ "$(stat -c %u "$WORK_DIR")" = 0 ] && [ ! -L "$WORK_DIR" ] ||
	{ say "$WORK_DIR is not root's: choose another WORK_DIR"; exit 1; }
WORK_DIR=$(cd "$WORK_DIR" && pwd)
chmod 711 "$WORK_DIR"
RUN_USER=$("$ROOT/scripts/service-user")
RUN_GROUP=$(id -gn "$RUN_USER")
# One signing key for every host.  Never printed.
JWT_SECRET=${JWT_SECRET:-$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')}
export JWT_SECRET RUN_USER
# as_service CMD...: CMD as the service user (what it writes is theirs,
# and a link of theirs leads it nowhere they could not go themselves).
AS_SERVICE=(setpriv --reuid="$RUN_USER" --regid="$(id -g "$RUN_USER")" --init-groups --)
as_service() { "${AS_SERVICE[@]}" "$@"; }

# --- the hosts' folders -------------------------------------------------------
# HOST/ is root's, 0755: what root writes or runs there (start-redis, the
# logs, the pid files) no other user can put a link in place of.
# HOST/var, the host's VAR_DIR, is the service user's: root writes in it
# only as that user.  A host folder left by an earlier run that is not
# root's is refused: whoever owns it may have left links in it.
for h in "${HOSTS[@]}"; do
	d=$WORK_DIR/$h
	mkdir -p "$d/var"
	[ "$(stat -c %u "$d")" = 0 ] && [ ! -L "$d" ] && [ ! -L "$d/var" ] ||
		{ say "$d is not root's: choose another WORK_DIR"; exit 1; }
	chmod 755 "$d"
	chown "$RUN_USER:$RUN_GROUP" "$d/var"
	chmod 700 "$d/var"
done

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
done

# on HOST CMD...: runs CMD in HOST's network namespace with that host's environment.
# Redis by TCP, never a socket of make run's that the caller's
# environment names (REDIS_SOCKET): the hosts' Redis is another host's.
# FCGI_WEB_SERVER_ADDRS: libfcgi closes a FastCGI connection from any
# other host than the web host, which alone speaks to the services: any
# host of the network could otherwise send them requests past
# lighttpd's bounds, with a REMOTE_ADDR of its choosing.
on() {
	local h=$1
	shift
	nsenter --net="/run/netns/$PFX-$h" env FCGI_WEB_SERVER_ADDRS="${ADDR[web]}" \
		REDIS_HOST="${ADDR[redis]}" REDIS_PORT=6379 REDIS_SOCKET= \
		REDIS_SENTINELS="$SENTINELS" REDIS_MASTER_NAME="$MASTER_NAME" \
		REDIS_WAIT_REPLICAS=${REDIS_WAIT_REPLICAS:-1} CONSUMER_NAME="$h" \
		ARCHIVE_COPIES="acct1 acct2" \
		VAR_DIR="$WORK_DIR/$h/var" REDIS_AUTH_DIR="$WORK_DIR/$h/var" "$@"
}
# bg HOST NAME CMD...: the same, in the background, logging to HOST/NAME.log,
# its pid in HOST/NAME.pid (root's folder: no link can stand there).
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

# --- the firewall: bounds on connections per client address ------------------
# deploy/nftables/microsvc.nft on the web host (the HTTP ports) and the
# Redis hosts (Redis, Sentinel), loaded before anything listens, so that
# every connection is counted.  Without nft (or its kernel support) the
# hosts go on without it, and hosts.env says why (FIREWALL_SKIP).
NFT_RULES=$ROOT/deploy/nftables/microsvc.nft
FIREWALL_SKIP=
if ! command -v nft >/dev/null; then
	FIREWALL_SKIP="nft not found (apt-get install nftables)"
else
	for h in web "${REDIS_HOSTS[@]}"; do
		out=$(on "$h" nft -f "$NFT_RULES" 2>&1) && continue
		FIREWALL_SKIP="nft -f failed on $h: $(head -1 <<<"$out")"
		break
	done
fi
[ -z "$FIREWALL_SKIP" ] || say "no firewall: $FIREWALL_SKIP"

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
		as_service install -m 600 "$KEYS/$f" "$WORK_DIR/$h/var/$f"
	done
}
# key FILE: a key file's contents, read as the service user: a link left
# in its place makes root read nothing into a file of theirs.
key() { as_service cat "$KEYS/$1"; }
# Every Redis host: the ACL file, and the replica role's password (a
# primary becomes a replica after a failover).  Every Sentinel host: the
# Sentinels' ACL file, their own password (for each other) and the
# monitor role's.  Every program host: its role's password and the
# discovery role's, which may only ask the Sentinels where the primary
# is: a program host broken into cannot order them a failover.
for h in "${REDIS_HOSTS[@]}"; do give "$h" redis-users.acl redis-replica.pass; done
for h in "${SENTINEL_HOSTS[@]}"; do
	give "$h" sentinel-users.acl redis-sentinel.pass redis-monitor.pass
done
give cust redis-customers.pass redis-admin.pass redis-discovery.pass
for h in acct1 acct2; do
	give "$h" redis-accounts.pass redis-worker.pass redis-archiver.pass \
		redis-discovery.pass
done

# private HOST FILE: writes stdin to HOST's FILE, mode 0600, as the service
# user: the secrets in it stay off command lines (ps shows those).
private() {
	as_service sh -c 'umask 077; cat >"$1"' sh "$WORK_DIR/$1/var/$2"
}

# --- redis -------------------------------------------------------------------
# The nodes alike but for replicaof: any may be primary later.  Each
# starts from HOST/start-redis, which brings a node back after a test
# killed it (tests/failover.bats): Sentinel then makes it a replica.
# Root's file in root's folder, since root runs it; Redis logs to its
# standard output, HOST/redis.log, opened by root there.
# repl-diskless-sync-delay 0: a replica that needs a full sync (one
# that came back from a kill and had not finished its own, when the
# next failover came) gets it at once, not 5 s later in case another
# asks too.  Until it has it, the new primary has no replica and
# refuses writes (min-replicas-to-write): with the delay, the link-cut
# failover right after the kill one in tests/failover.bats gave no 201
# for 7.2-7.6 s, against 2.8 s for the same failover alone.
redis_node() {
	local h=$1
	shift
	as_service mkdir -p "$WORK_DIR/$h/var/data"
	{
		echo "masteruser replica"
		echo "masterauth $(key redis-replica.pass)"
	} | private "$h" redis-secret.conf
	cat >"$WORK_DIR/$h/start-redis" <<START
#!/bin/sh
exec ${AS_SERVICE[*]} redis-server $WORK_DIR/$h/var/redis-secret.conf \\
	--port 6379 --bind ${ADDR[$h]} --protected-mode no \\
	--aclfile $WORK_DIR/$h/var/redis-users.acl \\
	--dir $WORK_DIR/$h/var/data --appendonly yes --appendfsync always --save "" \\
	--min-replicas-to-write 1 --min-replicas-max-lag 2 \\
	--repl-diskless-sync-delay 0 \\
	--maxmemory ${REDIS_MAXMEMORY:-1gb} --maxmemory-policy noeviction \\
	--daemonize no $*
START
	chmod 755 "$WORK_DIR/$h/start-redis"
	bg "$h" redis "$WORK_DIR/$h/start-redis"
}
redis_node redis
redis_node redis2 --replicaof "${ADDR[redis]}" 6379
redis_node redis3 --replicaof "${ADDR[redis]}" 6379
# Both replicas with the primary before the Sentinels start (asked
# directly: they are not up yet), so that they learn of both at once.
for _ in $(seq 200); do
	on cust env REDIS_SENTINELS= "$ROOT/scripts/redis-cli" INFO replication 2>/dev/null |
		grep -q '^min_slaves_good_slaves:2' && break
	sleep 0.05
done

# --- the Sentinels -------------------------------------------------------------
# What the pause is made of: the primary is down once it has not answered
# a PING for down-after (Sentinel pings every min(down-after, 1 s)); the
# other Sentinels agree at their next ask (each second); the leader
# promotes a replica and sees it promoted at its next INFO (each second
# while it fails over).  Measured (tests/failover.bats, 2 cores, ASan
# build): down after 2 s gave 3.2-3.9 s without a primary, 1 s gave
# 2.5-3.5 s; 0.5 s is what docs/scaling.md gives.  Two 60 s runs of wrk
# at full speed on both customers ports (up to 720 201s a second, load
# average 9-16 on the 2 cores) with 0.5 s: no +sdown, no failover.
# failover-timeout 5 s (the default is 3 minutes): a failover whose vote
# is split is tried again after twice that.
for h in "${SENTINEL_HOSTS[@]}"; do
	# Sentinel rewrites its file as it learns: the service user's.
	{
		echo "port $SENTINEL_PORT"
		echo "bind ${ADDR[$h]}"
		echo "protected-mode no"
		echo "dir $WORK_DIR/$h/var"
		# Its users: its own (default) and the programs' (discovery).
		echo "aclfile $WORK_DIR/$h/var/sentinel-users.acl"
		echo "sentinel sentinel-pass $(key redis-sentinel.pass)"
		echo "sentinel monitor $MASTER_NAME ${ADDR[redis]} 6379 2"
		echo "sentinel auth-user $MASTER_NAME monitor"
		echo "sentinel auth-pass $MASTER_NAME $(key redis-monitor.pass)"
		echo "sentinel down-after-milliseconds $MASTER_NAME ${SENTINEL_DOWN_AFTER_MS:-500}"
		echo "sentinel failover-timeout $MASTER_NAME ${SENTINEL_FAILOVER_TIMEOUT_MS:-5000}"
		echo "sentinel parallel-syncs $MASTER_NAME 1"
	} | private "$h" sentinel.conf
	bg "$h" sentinel "${AS_SERVICE[@]}" redis-sentinel "$WORK_DIR/$h/var/sentinel.conf"
done
for h in "${SENTINEL_HOSTS[@]}"; do
	wait_tcp cust "${ADDR[$h]}" "$SENTINEL_PORT"
done
on cust "$ROOT/scripts/redis-cli" ping | grep -q PONG || { say "redis did not answer"; exit 1; }

# Once, against Redis, as admin: the Function library, the users, the accounts.
on cust "$BIN_DIR/setup" >>"$WORK_DIR/cust/setup.log" 2>&1

# --- the FastCGI hosts ------------------------------------------------------
spawn=(spawn-fcgi -n -u "$RUN_USER" -g "$RUN_GROUP" -p "$FCGI_PORT")
bg cust customers "${spawn[@]}" -a "${ADDR[cust]}" -- "$BIN_DIR/customers.fcgi"
# A probe: the same service answering without waiting for the replica
# (REDIS_WAIT_REPLICAS=0), on :9002, to measure what the wait costs.
bg cust customers-nowait env REDIS_WAIT_REPLICAS=0 spawn-fcgi -n -u "$RUN_USER" \
	-g "$RUN_GROUP" -p 9002 -a "${ADDR[cust]}" -- "$BIN_DIR/customers.fcgi"
for h in acct1 acct2; do
	bg "$h" worker "$BIN_DIR/worker"
	bg "$h" archiver "$BIN_DIR/archiver"
	bg "$h" accounts "${spawn[@]}" -a "${ADDR[$h]}" -- "$BIN_DIR/accounts.fcgi"
done
# Logins have a process of their own (lighttpd.conf says why), on each
# accounts host: either may go.
for h in acct1 acct2; do
	bg "$h" login spawn-fcgi -n -u "$RUN_USER" -g "$RUN_GROUP" -p "$LOGIN_PORT" \
		-a "${ADDR[$h]}" -- "$BIN_DIR/accounts.fcgi"
done
for h in cust acct1 acct2; do
	wait_tcp web "${ADDR[$h]}" "$FCGI_PORT"
done
wait_tcp web "${ADDR[cust]}" 9002
wait_tcp web "${ADDR[acct1]}" "$LOGIN_PORT"
wait_tcp web "${ADDR[acct2]}" "$LOGIN_PORT"

# --- the web host -----------------------------------------------------------
# In root's web/ folder: made by root, then handed to lighttpd's user.
mkdir -p "$WORK_DIR/web/state"
chown "$RUN_USER:$RUN_GROUP" "$WORK_DIR/web/state"
# lighttpd NAME CUSTOMERS_PORT ACCOUNTS_PORT ACCT_HOST ACCT2_HOST [CUSTOMERS_FCGI_PORT]
lighttpd_on_web() {
	bg web "$1" env BIND_ADDR="${ADDR[web]}" CUSTOMERS_PORT="$2" ACCOUNTS_PORT="$3" \
		STATE_DIR="$WORK_DIR/web/state" RUN_USER="$RUN_USER" RUN_GROUP="$RUN_GROUP" \
		CUSTOMERS_FCGI_HOST="${ADDR[cust]}" CUSTOMERS_FCGI_PORT="${6:-$FCGI_PORT}" \
		ACCOUNTS_FCGI_HOST="${ADDR[$4]}" ACCOUNTS_FCGI_PORT="$FCGI_PORT" \
		ACCOUNTS2_FCGI_HOST="${ADDR[$5]}" ACCOUNTS2_FCGI_PORT="$FCGI_PORT" \
		LOGIN_FCGI_HOST="${ADDR[$4]}" LOGIN_FCGI_PORT="$LOGIN_PORT" \
		LOGIN2_FCGI_HOST="${ADDR[$5]}" LOGIN2_FCGI_PORT="$LOGIN_PORT" \
		DEPLOY_DIR="$ROOT/deploy" \
		lighttpd -D -f "$ROOT/deploy/lighttpd-tcp.conf"
}
lighttpd_on_web lighttpd 8080 8090 acct1 acct2
# The probes: one replica each, to compare them (not part of production).
lighttpd_on_web probe1 18081 8091 acct1 acct1
lighttpd_on_web probe2 18082 8092 acct2 acct2
lighttpd_on_web probe0 18080 18090 acct1 acct1 9002
for p in 8080 8090 8091 8092 18080; do
	wait_tcp web "${ADDR[web]}" "$p"
done

# Written aside, then renamed: a reader that waits for the file (tests/
# fixtures.bash) once sourced it empty, between cat's open and its write.
cat >"$WORK_DIR/hosts.env.new" <<ENV
MH_ID=$MH_ID
NS_PREFIX=$PFX
NS_WEB=$PFX-web
WEB=${ADDR[web]}
REDIS=${ADDR[redis]}
REDIS2=${ADDR[redis2]}
REDIS3=${ADDR[redis3]}
REDIS_SENTINELS=$SENTINELS
REDIS_MASTER_NAME=$MASTER_NAME
C=http://${ADDR[web]}:8080
C_NOWAIT=http://${ADDR[web]}:18080
A=http://${ADDR[web]}:8090
A1=http://${ADDR[web]}:8091
A2=http://${ADDR[web]}:8092
NFT_RULES=$NFT_RULES
FIREWALL_SKIP=$(printf %q "$FIREWALL_SKIP")
ENV
mv "$WORK_DIR/hosts.env.new" "$WORK_DIR/hosts.env"
say "ready (id $MH_ID, logs in $WORK_DIR)"
for h in "${HOSTS[@]}"; do
	say "  $h ${ADDR[$h]} (namespace $PFX-$h)"
done
say "  customers http://${ADDR[web]}:8080, accounts http://${ADDR[web]}:8090 (from namespace $PFX-web)"

# Any process that dies takes the rest down; but Redis: Sentinel and the
# programs carry on without a node (tests/failover.bats kills them).
set +e
pids=()
for h in "${HOSTS[@]}"; do
	for f in "$WORK_DIR/$h"/*.pid; do
		[ "${f##*/}" = redis.pid ] || pids+=("$(cat "$f")")
	done
done
wait -n "${pids[@]}"
say "a process exited; stopping the rest"
exit 1
