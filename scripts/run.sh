#!/bin/bash
# Runs the whole system in the foreground: a private redis-server, the
# projector worker, the archiver, and lighttpd with the two FastCGI services.  Ctrl-C or
# SIGTERM stops everything it started.  `make run` builds first and calls
# this; the tests call it too, on free ports in a temporary folder.
#
# Started as root, it only makes the service user and the data folder,
# checks that the user can reach everything it needs, and then runs
# itself again as that user: no root process writes into, or follows a
# path inside, the service user's folder.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
export CUSTOMERS_PORT=${CUSTOMERS_PORT:-8080}
export ACCOUNTS_PORT=${ACCOUNTS_PORT:-8090}
export REDIS_PORT=${REDIS_PORT:-6379}
export REDIS_HOST=${REDIS_HOST:-127.0.0.1}
# Redis listens on a unix socket only (REDIS_SOCKET, below), no TCP port:
# any local user could fill its maxclients with connections that never
# authenticate.  REDIS_TCP=1 opens 127.0.0.1:REDIS_PORT as well, for
# what cannot use a socket (a Redis Sentinel: tests/worker.bats), on a
# machine with no untrusted local user only.
REDIS_TCP=${REDIS_TCP:-0}
# make run runs a Redis of its own, here; another host's is deploy/'s.
case $REDIS_HOST in
127.0.0.1) ;;
*) echo "run: make run runs its own Redis on 127.0.0.1; REDIS_HOST=$REDIS_HOST is for a deployment (deploy/)" >&2
	exit 1 ;;
esac
export BIND_ADDR=${BIND_ADDR:-127.0.0.1}
export FCGI_PROCS=${FCGI_PROCS:-4}
export LOGIN_PROCS=${LOGIN_PROCS:-1}
export DEPLOY_DIR=$ROOT/deploy
export REDIS_APPENDFSYNC=${REDIS_APPENDFSYNC:-everysec}
# The write service's processes (lighttpd.conf says why): 32 where Redis
# fsyncs before each reply, FCGI_PROCS otherwise.
fsync_procs=$FCGI_PROCS
[ "$REDIS_APPENDFSYNC" != always ] || fsync_procs=32
export CUSTOMERS_PROCS=${CUSTOMERS_PROCS:-$fsync_procs}
RESTART_DELAY=${RESTART_DELAY:-1}
VAR_DIR=${VAR_DIR:-var}
BIN_DIR=${BIN_DIR:-build/release/bin}
case $VAR_DIR in /*) ;; *) VAR_DIR=$PWD/$VAR_DIR ;; esac
BIN_DIR=$(cd "$BIN_DIR" && pwd)
export VAR_DIR BIN_DIR
export WWW_DIR=${WWW_DIR:-$ROOT/www}
export REDIS_ACL_FILE=${REDIS_ACL_FILE:-$VAR_DIR/redis-users.acl}

say() { printf '%s\n' "run: $*" >&2; }

# --- as root: the user, the folder, then again as that user --------------

# as_user CMD...: CMD as the service user.
as_user() {
	setpriv --reuid="$RUN_USER" --regid="$(id -g "$RUN_USER")" --init-groups -- "$@"
}

# reach PATH TEST: fails, saying which folder is in the way, unless the
# service user passes `test TEST PATH` and can traverse every folder above.
reach() {
	local path=$1 what=$2 dir
	dir=$path
	while [ "$dir" != / ]; do
		dir=$(dirname "$dir")
		if ! as_user test -x "$dir"; then
			say "the service user $RUN_USER cannot enter $dir ($(stat -c '%A %U' "$dir")," \
				"on the way to $path): chmod o+x $dir, or choose another VAR_DIR"
			return 1
		fi
	done
	as_user test "$what" "$path" && return 0
	say "the service user $RUN_USER cannot use $path ($(stat -c '%A %U' "$path"))"
	return 1
}

# The data folder: made by whoever owns the folder it goes in, so that
# root never writes into a folder of another user's.  One that is there
# already is taken only from root or the service user: another user's,
# or one others may write in, could hold files (a JWT key, a Redis
# password) that its maker knows.
make_var_dir() {
	local parent owner mine
	parent=$(dirname "$VAR_DIR")
	[ -d "$parent" ] || { say "$parent does not exist; make it, or choose another VAR_DIR"; return 1; }
	owner=$(stat -c %U "$parent")
	if [ ! -e "$VAR_DIR" ] && [ ! -L "$VAR_DIR" ]; then
		case $owner in
		# mkdir fails on anything put there meanwhile, a link too;
		# chown -h follows none.
		root) mkdir -m 0700 "$VAR_DIR" &&
			chown -h "$RUN_USER:$(id -g "$RUN_USER")" "$VAR_DIR" ;;
		"$RUN_USER") as_user mkdir -m 0700 "$VAR_DIR" ;;
		*) say "$parent belongs to $owner: choose a VAR_DIR in a folder of root's or $RUN_USER's"; return 1 ;;
		esac
		return
	fi
	[ -d "$VAR_DIR" ] || { say "$VAR_DIR is not a folder; choose another VAR_DIR"; return 1; }
	# A link: what it names must be the service user's own folder.
	mine=$(stat -L -c %U "$VAR_DIR")
	if [ -L "$VAR_DIR" ] && [ "$mine" != "$RUN_USER" ]; then
		say "$VAR_DIR is a link to a folder of $mine's, not $RUN_USER's; choose another VAR_DIR"
		return 1
	fi
	case $mine in
	"$RUN_USER") ;;
	root)
		if [ $((0$(stat -c %a "$VAR_DIR") & 022)) != 0 ] || [ "$owner" != root ]; then
			say "$VAR_DIR is root's, but others could have written in it; choose another VAR_DIR"
			return 1
		fi
		chown -h "$RUN_USER:$(id -g "$RUN_USER")" "$VAR_DIR" ;;
	*) say "$VAR_DIR belongs to $mine: its files could be anyone's; remove it, or choose another VAR_DIR"; return 1 ;;
	esac
}

if [ "$(id -u)" = 0 ]; then
	RUN_USER=$("$ROOT/scripts/service-user")
	make_var_dir
	reach "$VAR_DIR" -w
	reach "$BIN_DIR/worker" -x
	reach "$BIN_DIR/archiver" -x
	reach "$ROOT/lighttpd.conf" -r
	reach "$WWW_DIR/index.html" -r
	export RUN_USER
	exec setpriv --reuid="$RUN_USER" --regid="$(id -g "$RUN_USER")" \
		--init-groups -- "$0" "$@"
fi

# --- as the service user, from here on -----------------------------------

export RUN_USER=$(id -un)
export RUN_GROUP=$(id -gn)
umask 077
mkdir -p "$VAR_DIR/redis"
chmod 700 "$VAR_DIR"

# lighttpd's FastCGI sockets and Redis's live in VAR_DIR, unless their
# paths would not fit a unix socket address (107 bytes; lighttpd adds
# "-N" for each process): then in a private folder of their own, gone
# when this ends.
export SOCK_DIR=$VAR_DIR
if [ "$(printf %s "$SOCK_DIR/customers.sock-999" | wc -c)" -gt 107 ]; then
	SOCK_DIR=$(mktemp -d "/tmp/microsvc.XXXXXX")
	say "VAR_DIR is too long a path for unix sockets: lighttpd's and Redis's go in $SOCK_DIR"
fi

# Start order; stop_all goes the other way.  Each process has a pid file,
# and a session of its own (setsid): Ctrl-C and a hangup reach this
# script alone, so that stop_all stops them in that order.  The
# terminal's SIGINT reached all of them at once before, and the
# archiver's last commit failed with Redis gone under it.
order=(redis archiver worker lighttpd)
declare -A pid_of=()
nap=
sock_mine=
stop_all() {
	local i name pid
	# Newest first: lighttpd, then the worker (it finishes its batch),
	# the archiver (it commits its open segment, which needs Redis),
	# then Redis.  Each gets five seconds, then is killed.
	for ((i = ${#order[@]} - 1; i >= 0; i--)); do
		name=${order[$i]}
		pid=${pid_of[$name]:-}
		[ -n "$pid" ] || continue
		kill -TERM "$pid" 2>/dev/null || true
		for _ in $(seq 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		rm -f "$VAR_DIR/$name.pid"
	done
	pid_of=()
	[ -z "$nap" ] || kill "$nap" 2>/dev/null || true
	[ "$SOCK_DIR" = "$VAR_DIR" ] || rm -rf "$SOCK_DIR"
	# The link, or a socket a killed Redis left; only once it was this
	# run's, not another's that this one found live.
	[ -z "$sock_mine" ] || rm -f "$VAR_DIR/redis.sock"
}
trap stop_all EXIT
trap 'say "stopping"; exit 0' INT TERM HUP

# A pid file, made anew and never through a link left in its place.
started() {
	pid_of[$1]=$2
	rm -f "$VAR_DIR/$1.pid"
	(set -C; echo "$2" >"$VAR_DIR/$1.pid") 2>/dev/null ||
		say "cannot write $VAR_DIR/$1.pid"
}

port_free() {
	! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

ports=("$CUSTOMERS_PORT" "$ACCOUNTS_PORT")
[ "$REDIS_TCP" != 1 ] || ports+=("$REDIS_PORT")
for p in "${ports[@]}"; do
	port_free "$p" || { say "port $p is in use; set CUSTOMERS_PORT, ACCOUNTS_PORT or REDIS_PORT"; exit 1; }
done

# Every program this starts reaches Redis by its socket.  Only the
# service user may enter the folder (and the socket is 0700 too): no
# other local user can so much as open a connection.
export REDIS_SOCKET=$SOCK_DIR/redis.sock
if [ "$(stat -L -c '%u %a' "$SOCK_DIR")" != "$(id -u) 700" ]; then
	say "$SOCK_DIR is $(stat -L -c '%U %a' "$SOCK_DIR"), not $RUN_USER's alone (0700): Redis's socket cannot go there"
	exit 1
fi
# Another make run on this VAR_DIR: its Redis answers there (a port in
# use said so when Redis had one).  Its socket, or the link to it.
old=$VAR_DIR/redis.sock
[ ! -L "$old" ] || old=$(readlink -f "$old")
if [ -S "$old" ]; then
	answer=$(timeout 2 redis-cli -s "$old" ping 2>&1 || true)
	case $answer in
	"" | *"Could not connect"*) ;;
	*) say "a Redis already runs on $VAR_DIR/redis.sock: another make run with this VAR_DIR?"; exit 1 ;;
	esac
fi
sock_mine=1
# scripts/redis-cli, from another shell, looks for $VAR_DIR/redis.sock:
# when the socket is elsewhere, a link there names it (the link's own
# path may be too long to connect by).  Made by the service user, in
# its own folder.
[ "$SOCK_DIR" = "$VAR_DIR" ] || ln -sfn "$REDIS_SOCKET" "$VAR_DIR/redis.sock"

# The secrets: the JWT key, each Redis role's password, and the ACL file
# Redis loads (the default user off).
"$BIN_DIR/setup" --keys

# AOF on: every acknowledged XADD is written to the append-only file
# before the reply, and fsynced once a second by default: a 201 survives
# Redis's crash, and a power cut can lose up to that second.
# REDIS_APPENDFSYNC=always fsyncs before each reply, as deploy/ does; it
# costs about 45 % of POST throughput here (docs/design.md, "What a
# 201 survives"), so make run keeps everysec.  Its maxmemory
# (REDIS_MAXMEMORY, noeviction) is setup's to set, at every start below.
start_redis() {
	local tcp=(--port 0)
	if [ "$REDIS_TCP" = 1 ]; then
		tcp=(--port "$REDIS_PORT" --bind 127.0.0.1)
	fi
	setsid redis-server "${tcp[@]}" --unixsocket "$REDIS_SOCKET" --unixsocketperm 700 \
		--dir "$VAR_DIR/redis" --aclfile "$REDIS_ACL_FILE" \
		--appendonly yes --appendfsync "$REDIS_APPENDFSYNC" --save "" \
		--daemonize no --logfile "$VAR_DIR/redis.log" &
	started redis $!
}
start_worker() {
	setsid "$BIN_DIR/worker" &
	started worker $!
}
start_archiver() {
	setsid "$BIN_DIR/archiver" &
	started archiver $!
}

# Until PONG, for as long as Redis lives: a large AOF takes a while to
# load, and Redis answers LOADING (redis-cli still exits 0) meanwhile.
redis_ready() {
	local answer loading=
	while :; do
		answer=$("$ROOT/scripts/redis-cli" ping 2>/dev/null || true)
		[ "$answer" = PONG ] && return 0
		kill -0 "${pid_of[redis]}" 2>/dev/null || { say "redis-server failed; see $VAR_DIR/redis.log"; return 1; }
		if [ -z "$loading" ] && [[ $answer == LOADING* ]]; then
			say "redis is loading its data (see $VAR_DIR/redis.log)"
			loading=1
		fi
		sleep 0.05
	done
}

start_redis
redis_ready
"$BIN_DIR/setup"

# RUN_WORKER=0 leaves the worker to the caller (the tests stop and start
# it); RUN_ARCHIVER=0 the archiver.
if [ "${RUN_ARCHIVER:-1}" = 1 ]; then
	start_archiver
fi
if [ "${RUN_WORKER:-1}" = 1 ]; then
	start_worker
fi

setsid lighttpd -D -f "$ROOT/lighttpd.conf" &
started lighttpd $!
up=0
for _ in $(seq 200); do
	if ! port_free "$CUSTOMERS_PORT" && ! port_free "$ACCOUNTS_PORT"; then
		up=1
		break
	fi
	sleep 0.05
done
[ "$up" = 1 ] || { say "lighttpd did not open ports $CUSTOMERS_PORT and $ACCOUNTS_PORT"; exit 1; }

cat >&2 <<MSG
run: ready (data in $VAR_DIR)
  customers service  http://$BIND_ADDR:$CUSTOMERS_PORT
  accounts service   http://$BIND_ADDR:$ACCOUNTS_PORT
  redis              $REDIS_SOCKET (unix socket; TCP $([ "$REDIS_TCP" = 1 ] && echo "127.0.0.1:$REDIS_PORT too" || echo off))
  try:
    TOKEN=\$(curl -s -X POST http://$BIND_ADDR:$ACCOUNTS_PORT/auth/login \\
        -d '{"username":"user1","password":"password1"}' | jq -r .token)
    curl -s -X POST http://$BIND_ADDR:$CUSTOMERS_PORT/customers -H "Authorization: Bearer \$TOKEN" \\
        -d '{"name":"John Adams","account_id":"1"}'
    curl -s http://$BIND_ADDR:$ACCOUNTS_PORT/accounts -H "Authorization: Bearer \$TOKEN"
    scripts/redis-cli XREAD STREAMS event-stream 0
  Ctrl-C stops everything.
MSG

# Redis, the worker and the archiver are restarted when they exit: Redis
# reloads its AOF (and setup makes sure of the Function library), the
# worker resumes from the database's id, the archiver from its archive's
# last segment, and meanwhile the services answer writes with
# 503 and keep serving reads.  lighttpd respawns its own FastCGI
# processes; if lighttpd itself exits, nothing is served, so everything
# stops.
set +e
while :; do
	wait -n -p died "${pid_of[@]}"
	rc=$?
	name=
	for n in "${!pid_of[@]}"; do
		[ "${pid_of[$n]}" = "$died" ] && name=$n
	done
	case $name in
	redis|worker|archiver)
		say "$name exited (status $rc); restarting it in ${RESTART_DELAY}s"
		# In the background, so that a stop request is not kept waiting.
		sleep "$RESTART_DELAY" &
		nap=$!
		wait "$nap"
		nap=
		"start_$name"
		[ "$name" != redis ] || { redis_ready && "$BIN_DIR/setup"; }
		;;
	*)
		say "${name:-a process} exited (status $rc); stopping the rest"
		exit 1
		;;
	esac
done
