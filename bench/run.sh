#!/bin/bash
# make bench: measures the release build on a private instance (free
# ports, a temporary folder) against ceilings measured in the same run,
# prints its tables and writes them, the raw figures and a plot under
# bench/results/<UTC time>/ (bench/results/latest is the newest).
#
# The headline is the production configuration: appendfsync always, a
# replica on this host that every command waits for (REDIS_WAIT_REPLICAS
# =1), a fresh Idempotency-Key on every command, the default limits per
# user, and the load from 8 users at 8 connections each, one address.
# Beside it, make run's (everysec, no replica, WAIT 0), and what each
# guarantee costs, measured in the same rounds.  Only 2xx answers count;
# the CPU of every process of the stack is read from /proc.
#
# Environment: BIN_DIR, BENCH_BIN (the Makefile sets them), the process
# counts (FCGI_PROCS, LOGIN_PROCS and any other *_PROCS, passed through
# to every instance and printed), BENCH_SECONDS (8; 18 minutes in all
# on a quiet 2-core machine), BENCH_RUNS (3),
# BENCH_EVENTS (1000000), BENCH_BOUNDS=0 to leave out bench/bounds.sh
# (a few minutes, a stack of its own), BENCH_RETENTION=0 to leave out
# bench/retention.sh (the archive and the trim, about 3 minutes, a stack
# of its own; BENCH_RETENTION_INVOICES, BENCH_RETENTION_EVENTS),
# BENCH_PUBLISH=1 to copy the table and plot to docs/bench/
# (docs/performance.md links them).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
BIN_DIR=$(cd "${BIN_DIR:-build/release/bin}" && pwd)
BENCH_BIN=$(cd "${BENCH_BIN:-build/release/bench}" && pwd)
# The helpers (bench/lib.sh), and through them the tests' fixtures:
# after BIN_DIR, which they would otherwise set to the test build.
. "$ROOT/bench/lib.sh"
SECONDS_PER_RUN=${BENCH_SECONDS:-8}
RUNS=${BENCH_RUNS:-3}
EVENTS=${BENCH_EVENTS:-1000000}
USERS=8
CONNS=8
LOAD_CUSTOMERS=10000
FRESH_RATE=1000
export FCGI_PROCS=${FCGI_PROCS:-4} LOGIN_PROCS=${LOGIN_PROCS:-1}
# Every process count in the environment (another may come, as
# CUSTOMERS_PROCS): exported, so every instance below has it.
PROCS=$(compgen -e | grep '_PROCS$' | sort | while read -r v; do printf '%s=%s ' "$v" "${!v}"; done)
PROCS=${PROCS% }
# The production instance fsyncs before each reply, and run.sh gives its
# write service 32 processes then (lighttpd.conf says why); the others
# keep make run's, FCGI_PROCS.
PROD_PROCS="CUSTOMERS_PROCS=${CUSTOMERS_PROCS:-32} in production"
STREAM=event-stream
NOW=2026-11-30T12:00:00Z

STAMP=$(date -u +%Y%m%dT%H%M%SZ)
RES=$ROOT/bench/results/$STAMP
mkdir -p "$RES/raw"
ln -sfn "$STAMP" "$ROOT/bench/results/latest"
T=$(mktemp -d "${TMPDIR:-/tmp}/es-bench.XXXXXX")
# As root, run.sh runs everything as RUN_USER, who must reach $VAR_DIR.
chmod 755 "$T"

# --- the private instances --------------------------------------------

REDIS_PORT=$(free_port) CUSTOMERS_PORT=$(free_port) ACCOUNTS_PORT=$(free_port)
RUN_C_PORT=$(free_port) RUN_A_PORT=$(free_port)
FREE_C_PORT=$(free_port) FREE_A_PORT=$(free_port)
CEIL_POST_PORT=$(free_port) CEIL_GET_PORT=$(free_port)
VAR_DIR=$T/var
DB=$VAR_DIR/accounts.db
# The worker started here reads the same configuration as run.sh's
# (and REDIS_SOCKET, once Redis is up).
export REDIS_PORT VAR_DIR
# Three instances of the services on one Redis, each a lighttpd with the
# same lighttpd.conf: the production one (run.sh's), make run's (WAIT
# 0), and one with the limits per user out of reach.
C=http://127.0.0.1:$CUSTOMERS_PORT
A=http://127.0.0.1:$ACCOUNTS_PORT
RUN_C=http://127.0.0.1:$RUN_C_PORT
RUN_A=http://127.0.0.1:$RUN_A_PORT
FREE_C=http://127.0.0.1:$FREE_C_PORT
REPLICA_DIR=$T/replica
# What cpu_ticks counts: every process of every instance, Redis, its
# replica, the worker; an idle one adds next to nothing.
CPU_ROOTS="redis:$VAR_DIR/redis.pid replica:$T/replica.pid worker:$T/worker.pid
    lighttpd:$VAR_DIR/lighttpd.pid lighttpd:$T/run.lighttpd.pid
    lighttpd:$T/free.lighttpd.pid lighttpd:$T/ceil.lighttpd.pid"

cleanup() {
	worker_stop
	local f
	for f in ceil free run; do stop_pidfile "$T/$f.lighttpd.pid"; done
	stop_pidfile "$T/replica.pid"
	stop_pidfile "$T/run.pid"
	[ -n "${BENCH_KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

say "private instance in $T (redis on a unix socket and :$REDIS_PORT for its replica;" \
    "production :$CUSTOMERS_PORT :$ACCOUNTS_PORT, make run's :$RUN_C_PORT :$RUN_A_PORT," \
    "limits out of reach :$FREE_C_PORT, ceilings :$CEIL_POST_PORT :$CEIL_GET_PORT), $PROCS, $PROD_PROCS"
# The bounds of the data are raised (over a million invoices go on each
# user's customer through the runs; bench/bounds.sh measures the
# bounds), not the limits per user.  Tokens outlive the bench; the
# logins here are strangers' (LOGIN_STRANGER_HASHES), and many at once.
STACK_ENV=(LIMIT_CUSTOMERS_PER_ACCOUNT=1000000000
    LIMIT_INVOICES_PER_CUSTOMER=1000000000 TOKEN_TTL=7200
    LOGIN_STRANGER_HASHES=1000)
# RUN_ARCHIVER=0: the archiver is measured apart (bench/archiver.sh);
# here it would take CPU that no figure counts.
env VAR_DIR="$VAR_DIR" BIN_DIR="$BIN_DIR" RUN_WORKER=0 RUN_ARCHIVER=0 REDIS_TCP=1 \
    CUSTOMERS_PORT="$CUSTOMERS_PORT" ACCOUNTS_PORT="$ACCOUNTS_PORT" \
    REDIS_WAIT_REPLICAS=1 REDIS_APPENDFSYNC=always "${STACK_ENV[@]}" \
    scripts/run.sh >"$T/run.log" 2>&1 &
echo $! >"$T/run.pid"

up=0
for _ in $(seq 300); do
	if grep -q '^run: ready' "$T/run.log" &&
	    [ "$(curl -s -o /dev/null -w '%{http_code}' "$C/status")" = 200 ]; then
		up=1
		break
	fi
	sleep 0.05
done
[ "$up" = 1 ] || { cat "$T/run.log" >&2; say "the instance did not start"; exit 1; }
# Everything here (the worker, rcli, the ceilings' programs,
# stream_reader) reaches Redis by run.sh's socket, as the services do,
# so that the ceilings stay comparable.
export REDIS_SOCKET=$(readlink -f "$VAR_DIR/redis.sock")

# What this script writes in $VAR_DIR it writes as its owner (as_owner).
OWNER=$(stat -c %U "$VAR_DIR")
GROUP=$(stat -c %G "$VAR_DIR")

# The replica, as deploy/multihost's: replicaof over TCP as the
# replica role (its password in a file of the owner's, not on a command
# line), the same ACL file, AOF on, on a unix socket only.
mkdir -p "$REPLICA_DIR"
chown "$OWNER:" "$REPLICA_DIR"
chmod 700 "$REPLICA_DIR"
printf 'masteruser replica\nmasterauth %s\n' "$(cat "$VAR_DIR/redis-replica.pass")" |
    as_owner sh -c 'umask 077; cat >"$1"' sh "$REPLICA_DIR/secret.conf"
# setpriv execs: the pid is redis-server's own.
as_service=()
[ "$(id -u)" != 0 ] || as_service=(setpriv --reuid="$OWNER" --regid="$GROUP" --init-groups --)
"${as_service[@]}" redis-server "$REPLICA_DIR/secret.conf" --port 0 \
    --unixsocket "$REPLICA_DIR/redis.sock" --unixsocketperm 700 \
    --dir "$REPLICA_DIR" --aclfile "$VAR_DIR/redis-users.acl" \
    --appendonly yes --appendfsync everysec --save "" --daemonize no \
    --replicaof 127.0.0.1 "$REDIS_PORT" --logfile "$REPLICA_DIR/redis.log" &
echo $! >"$T/replica.pid"
replica_rcli() { REDIS_SOCKET=$REPLICA_DIR/redis.sock rcli "$@"; }
# replica_attach: the replica with the primary, until it acknowledged
# everything written so far (a full sync after a detach: it became a
# primary of its own meanwhile).
replica_attach() {
	local t0=$SECONDS
	if [ "$(replica_rcli ROLE | head -1)" != slave ]; then
		replica_rcli REPLICAOF 127.0.0.1 "$REDIS_PORT" >/dev/null
		t0=-$t0
	fi
	for _ in $(seq 6000); do
		replica_rcli INFO replication 2>/dev/null | tr -d '\r' |
		    grep -q '^master_link_status:up' && break
		sleep 0.1
	done
	[ "$(rcli WAIT 1 60000)" = 1 ] || { say "the replica did not catch up"; exit 1; }
	[ "$t0" -gt 0 ] || say "  replica attached again in $((SECONDS + t0)) s"
}
# make run has no replica: REPLICAOF NO ONE, and nothing feeds it.
replica_detach() { replica_rcli REPLICAOF NO ONE >/dev/null; }
# fsync_mode MODE: appendfsync on both, as deploy/ has it.
fsync_mode() {
	rcli CONFIG SET appendfsync "$1" >/dev/null
	replica_rcli CONFIG SET appendfsync "$1" >/dev/null
}
sleep 0.5
replica_attach

# instance_start NAME CPORT APORT BIN VAR=value...: another lighttpd
# with the same lighttpd.conf and process counts, its programs from BIN
# and its own folder (its sockets, access log and limiter counters) in
# $T/NAME, run as the owner; its pid in $T/NAME.lighttpd.pid.
instance_start() {
	local name=$1 cport=$2 aport=$3 bin=$4 up=0
	shift 4
	mkdir -p "$T/$name"
	chown "$OWNER:" "$T/$name"
	env VAR_DIR="$T/$name" SOCK_DIR="$T/$name" BIN_DIR="$bin" BIND_ADDR=127.0.0.1 \
	    DEPLOY_DIR="$ROOT/deploy" RUN_USER="$OWNER" RUN_GROUP="$GROUP" \
	    WWW_DIR="$ROOT/www" CUSTOMERS_PORT="$cport" ACCOUNTS_PORT="$aport" \
	    CUSTOMERS_PROCS="${CUSTOMERS_PROCS:-$FCGI_PROCS}" "$@" \
	    lighttpd -D -f "$ROOT/lighttpd.conf" >"$T/$name.log" 2>&1 &
	echo $! >"$T/$name.lighttpd.pid"
	for _ in $(seq 300); do
		[ "$(curl -s -o /dev/null -w '%{http_code}' \
		    "http://127.0.0.1:$aport/accounts")" != 000 ] && { up=1; break; }
		sleep 0.05
	done
	[ "$up" = 1 ] || { cat "$T/$name.log" >&2; say "instance $name did not start"; exit 1; }
}
# The services' files stay the production instance's.
SHARED=(REDIS_AUTH_DIR="$VAR_DIR" JWT_SECRET_FILE="$VAR_DIR/jwt.secret"
    ACCOUNTS_DB="$DB" WORKER_STATUS_FILE="$VAR_DIR/worker.status"
    CHECKPOINT_FILE="$VAR_DIR/worker.checkpoint" "${STACK_ENV[@]}")
instance_start run "$RUN_C_PORT" "$RUN_A_PORT" "$BIN_DIR" "${SHARED[@]}" \
    REDIS_WAIT_REPLICAS=0
# The limits out of reach, on production's processes, so that the pair
# differs in the limits alone.
instance_start free "$FREE_C_PORT" "$FREE_A_PORT" "$BIN_DIR" "${SHARED[@]}" \
    REDIS_WAIT_REPLICAS=1 RATE_PER_USER=1000000 RATE_BURST=1000000 \
    CUSTOMERS_PROCS="${CUSTOMERS_PROCS:-32}"

# The ceilings run behind the very same lighttpd.conf: only the programs
# differ (ceiling b for the customers port, ceiling a for the accounts
# one).  They AUTH as admin (the default user), once per connection, as
# the services do as their roles.
mkdir -p "$T/ceil_bin"
ln -s "$BENCH_BIN/fcgi_xadd" "$T/ceil_bin/customers.fcgi"
ln -s "$BENCH_BIN/fcgi_fixed" "$T/ceil_bin/accounts.fcgi"
export REDIS_USER=default REDISCLI_AUTH=$(cat "$VAR_DIR/redis-admin.pass")
instance_start ceil "$CEIL_POST_PORT" "$CEIL_GET_PORT" "$T/ceil_bin"

# --- the data ---------------------------------------------------------

# Extra users share user1's password hash (user:NAME's one field, made
# by setup): they log in like any other.
hash=$(rcli HGET user:user1 password_hash)
for u in benchfresh benchload $(seq -f 'pool%g' "$USERS"); do
	rcli HSET "user:$u" password_hash "$hash" >/dev/null
done
# The load's users, each with an account of its own by POST /accounts,
# its first customer (the one its invoices go to) by POST /customers,
# then 99 more: GET /accounts lists 100 (the projector is stopped while
# the services are measured: the customers POSTed then stay unseen).
for i in $(seq "$USERS"); do
	USER_TOKEN[i]=$(login "pool$i" password1)
	USER_ACCOUNT[i]=$(curl -sf -X POST "$A/accounts" -H "Authorization: Bearer ${USER_TOKEN[$i]}" \
	    -d "{\"name\":\"pool$i\",\"description\":\"bench\"}" | jq -r .id)
	USER_CUSTOMER[i]=$(curl -sf -X POST "$C/customers" -H "Authorization: Bearer ${USER_TOKEN[$i]}" \
	    -d "{\"name\":\"first\",\"account_id\":\"${USER_ACCOUNT[$i]}\"}" | jq -r .id)
	new_customers "pool$i" "${USER_ACCOUNT[$i]}" 99
done
POOL=$(seq -s ' ' "$USERS")
ONE_USER=$(for _ in $(seq "$USERS"); do printf '1 '; done)
ACCT_FRESH=$(new_account benchfresh)
ACCT_LOAD=$(new_account benchload)
FRESH_CUSTOMER=$(one_customer benchfresh "$ACCT_FRESH" probe)
LOAD_FIRST=$(($(rcli GET seq:customer) + 1))
new_customers benchload "$ACCT_LOAD" "$LOAD_CUSTOMERS"
LOAD_LAST=$(rcli GET seq:customer)
[ $((LOAD_LAST - LOAD_FIRST + 1)) = "$LOAD_CUSTOMERS" ] ||
    { say "customers $LOAD_FIRST..$LOAD_LAST: not $LOAD_CUSTOMERS"; exit 1; }
TOKEN_FRESH=$(login benchfresh password1)
# The waits ask the database itself (db_caught_up, db_last): the
# checkpoint file may lag it by a second.
worker_start
db_caught_up "$DB" 60
worker_stop
for i in $POOL; do
	[ "$(curl -s "$A/accounts" -H "Authorization: Bearer ${USER_TOKEN[$i]}" |
	    jq '.[0].customers | length')" = 100 ] || { say "pool$i's account lacks its 100 customers"; exit 1; }
done

# --- memory -----------------------------------------------------------

LIGHTTPD_PID=$(cat "$VAR_DIR/lighttpd.pid")
echo "# label program pid rss_kib peak_kib anon_kib pss_kib" >"$RES/memory.txt"
mem_snapshot start

# --- wrk --------------------------------------------------------------

CUST_BODY='{"name":"bench","account_id":"@ACCOUNT@"}'
INV_BODY='{"customer_id":"@CUSTOMER@","purchase_date":"2019-01-06","purchase_price_cents":100}'
# Not "/": lighttpd serves the dashboard's files there itself, on both
# ports, which would measure a static file, not FastCGI.
CEIL_POST=http://127.0.0.1:$CEIL_POST_PORT/invoices
CEIL_GET=http://127.0.0.1:$CEIL_GET_PORT/accounts

# post NAME URL BODY IDEM USERS, get NAME URL: one run of a figure's
# load, for SECONDS_PER_RUN, from USERS (indices, split on white space;
# get: all of them) at $CONNS connections each.
post() { wrk_load "$1" "$CONNS" "$SECONDS_PER_RUN" "$2" POST "$3" "$4" $5; }
get() { wrk_load "$1" "$CONNS" "$SECONDS_PER_RUN" "$2" GET "" 0 $POOL; }
# The ceiling's own stream is emptied after each run, so Redis does not
# grow through the benchmark.
ceiling_b() {
	wrk_load "$1" "$2" "$3" "$CEIL_POST" POST '{"name":"bench","account_id":"2"}' 0 $4
	rcli DEL bench-ceiling >/dev/null
}

# Rounds of every load, so that a noisy neighbour hits each alike; the
# ratios pair the loads of one round, and every other round runs them
# the other way round, so that neither of a pair always goes first.  The
# projector is stopped: the command side alone.  make run's
# configuration (no replica, everysec) and the ceilings beside it; the
# replica waited for, everysec; then appendfsync always: the production
# configuration, and the guarantees one at a time.
phase_run() {
	replica_detach
	fsync_mode everysec
	in_order "$1" "wrk_load ceil_a $CONNS $SECONDS_PER_RUN $CEIL_GET GET '' 0 $POOL" \
	    "ceiling_b ceil_b $CONNS $SECONDS_PER_RUN '$POOL'" \
	    "post run_customers $RUN_C/customers '$CUST_BODY' 1 '$POOL'" \
	    "post run_invoices $RUN_C/invoices '$INV_BODY' 1 '$POOL'" \
	    "get run_accounts $RUN_A/accounts"
}
phase_wait() {
	replica_attach
	fsync_mode everysec
	post wait_invoices "$C/invoices" "$INV_BODY" 1 "$POOL"
}
phase_prod() {
	replica_attach
	fsync_mode always
	in_order "$1" "post prod_customers $C/customers '$CUST_BODY' 1 '$POOL'" \
	    "post prod_invoices $C/invoices '$INV_BODY' 1 '$POOL'" \
	    "get prod_accounts $A/accounts" \
	    "post prod_invoices_nokey $C/invoices '$INV_BODY' 0 '$POOL'" \
	    "post prod_invoices_free $FREE_C/invoices '$INV_BODY' 1 '$ONE_USER'"
}
# in_order FORWARD COMMAND...: each COMMAND, first to last when FORWARD
# is 1, else last to first.
in_order() {
	local forward=$1 i
	shift
	local cmds=("$@")
	for i in "${!cmds[@]}"; do
		[ "$forward" = 1 ] || i=$((${#cmds[@]} - 1 - i))
		eval "${cmds[$i]}"
	done
}
# A full sync at once, not after the 5 s Redis waits for more replicas.
rcli CONFIG SET repl-diskless-sync-delay 0 >/dev/null
say "$RUNS rounds of ${SECONDS_PER_RUN}s loads from $USERS users x $CONNS connections"
for run in $(seq "$RUNS"); do
	if [ $((run % 2)) = 1 ]; then
		phase_run 1
		phase_wait
		phase_prod 1
	else
		phase_prod 0
		phase_wait
		phase_run 0
	fi
done
mem_snapshot after_load
# The rest in make run's configuration, on its instance.
replica_detach
fsync_mode everysec

say "throughput against concurrency, make run's configuration"
echo "# connections invoices_rps ceiling_b_rps invoices_p99_ms ceiling_b_p99_ms" >"$RES/concurrency.dat"
for conns in 1 4 16 64; do
	# One user per connection up to $USERS, then more connections each.
	users=$((conns < USERS ? conns : USERS))
	wrk_load "curve_invoices_$conns" $((conns / users)) 5 "$RUN_C/invoices" POST \
	    "$INV_BODY" 1 $(seq "$users")
	ceiling_b "curve_ceil_b_$conns" $((conns / users)) 5 "$(seq "$users")"
	paste "$RES/raw/curve_invoices_$conns.dat" "$RES/raw/curve_ceil_b_$conns.dat" |
	    awk -v c="$conns" '{ printf "%d %s %s %.3f %.3f\n", c, $1, $11, $3 / 1000, $13 / 1000 }' \
	    >>"$RES/concurrency.dat"
done

# --- the projector ----------------------------------------------------

say "projecting the services' events so far"
worker_start
db_caught_up "$DB" 300
worker_stop
FROM=$(db_last)

say "appending $EVENTS InvoiceCreated events for $LOAD_CUSTOMERS customers (pipelined XADD)"
t0=$(date +%s.%N)
awk -v n="$EVENTS" -v first="$LOAD_FIRST" -v k="$LOAD_CUSTOMERS" -v s="$STREAM" \
    -v d="$NOW" 'BEGIN {
	for (i = 1; i <= n; i++) {
		p = sprintf("{\"id\":\"%d\",\"customer_id\":\"%d\"," \
		    "\"purchase_price_cents\":100,\"created_date\":\"%s\"," \
		    "\"purchase_date\":\"2019-01-06\"}", 100000000 + i,
		    first + (i - 1) % k, d)
		printf "*7\r\n$4\r\nXADD\r\n$%d\r\n%s\r\n$1\r\n*\r\n" \
		    "$13\r\nEventTypeName\r\n$14\r\nInvoiceCreated\r\n" \
		    "$7\r\nPayload\r\n$%d\r\n%s\r\n", length(s), s, length(p), p
	}
    }' | rcli --pipe >"$RES/raw/append.txt"
t1=$(date +%s.%N)
APPEND_RATE=$(awk -v n="$EVENTS" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", n / (b - a) }')
say "  appended at $APPEND_RATE events/s"

say "read ceiling (c): XREAD COUNT 1000 + json-c, $RUNS runs"
# Its CPU: the reader's own (the subshell's children, from times) and
# Redis's, per 1,000 entries.  It runs at the worker's niceness
# (WORKER_NICE, 10), as the catch-up it is the ceiling of: on a shared
# host, nice 10 against 0 alone took the catch-up from 46 % to 38 % of
# (c) in paired runs.
for run in $(seq "$RUNS"); do
	before=$(cpu_ticks)
	# times in a pipeline would be a fork's, whose children are none.
	(
		nice -n "${WORKER_NICE:-10}" "$BENCH_BIN/stream_reader" 127.0.0.1 \
		    "$REDIS_PORT" "$STREAM" "$FROM" "$EVENTS" >"$RES/raw/reader.out"
		times >"$T/reader.times"
	)
	reader_cpu=$(tail -1 "$T/reader.times" | awk '{ split($1, u, "m"); split($2, k, "m")
	    print (u[1] * 60 + u[2] + k[1] * 60 + k[2]) * 1000 }')
	cpu=$(cpu_delta "$before" "$(cpu_ticks)")
	tee -a "$RES/raw/reader.txt" <"$RES/raw/reader.out" | sed 's/^/  /' >&2
	grep -o 'per_second=[0-9]*' "$RES/raw/reader.out" | cut -d= -f2 |
	    awk -v own="$reader_cpu" -v cpu="$cpu" -v n="$EVENTS" '{ split(cpu, k, " ")
		printf "%s %.1f %.1f %.1f\n", $1, (own + k[6]) * 1000 / n, own * 1000 / n, k[3] * 1000 / n }' \
	    >>"$RES/raw/reader.dat"
done

# The read model as the worker left it, so that each catch-up run
# starts from the same place: a copy swapped in under a new inode (the
# accounts service reopens it), and a checkpoint file that agrees.
as_owner sqlite3 "$VAR_DIR/accounts.db" 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
as_owner cp "$VAR_DIR/accounts.db" "$VAR_DIR/before_catchup.db"
LAST=$(stream_last)
echo "# run seconds applied_id rss_kib" >"$RES/raw/catchup_rss.txt"
# catchup_run N: one catch-up, timed until the database has $LAST;
# prints the seconds and CPU per 1,000 events (all, the worker's,
# Redis's).  The worker is left running.
catchup_run() {
	local t0 t1 i cp_id pid before cpu done_=0
	worker_stop
	as_owner cp "$VAR_DIR/before_catchup.db" "$VAR_DIR/accounts.db.new"
	rm -f "$VAR_DIR/accounts.db-wal" "$VAR_DIR/accounts.db-shm"
	mv "$VAR_DIR/accounts.db.new" "$VAR_DIR/accounts.db"
	echo "$FROM" | as_owner tee "$VAR_DIR/worker.checkpoint" >/dev/null
	before=$(cpu_ticks)
	t0=$(date +%s.%N)
	worker_start
	pid=$(cat "$T/worker.pid")
	for i in $(seq 6000); do	# at most 600 s
		cp_id=$(db_last 2>/dev/null || true)
		if [ "$cp_id" = "$LAST" ]; then
			done_=1
			break
		fi
		[ $((i % 5)) = 0 ] && echo "$1 $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')" \
		    "$cp_id" "$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status")" >>"$RES/raw/catchup_rss.txt"
		sleep 0.1
	done
	t1=$(date +%s.%N)
	cpu=$(cpu_delta "$before" "$(cpu_ticks)")
	[ "$done_" = 1 ] || { say "the worker did not catch up"; return 1; }
	# seconds, then the CPU of the worker and Redis per 1,000 events.
	awk -v a="$t0" -v b="$t1" -v cpu="$cpu" -v n="$EVENTS" 'BEGIN { split(cpu, k, " ")
	    printf "%.2f %.1f %.1f %.1f\n", b - a, k[6] * 1000 / n, k[5] * 1000 / n, k[3] * 1000 / n }'
}
say "projector catch-up: $EVENTS events, $RUNS runs"
for run in $(seq "$RUNS"); do
	line=$(catchup_run "$run")
	echo "$line" >>"$RES/raw/catchup.dat"
	secs=${line%% *}
	say "  $EVENTS events in $secs s: $(awk -v n="$EVENTS" -v s="$secs" 'BEGIN { printf "%.0f", n / s }') events/s," \
	    "$(cut -d' ' -f2 <<<"$line") ms CPU per 1,000"
done
CATCHUP_S=$(median catchup 1)
CATCHUP_RATE=$(awk -v n="$EVENTS" -v s="$CATCHUP_S" 'BEGIN { printf "%.0f", n / s }')
mem_snapshot after_catchup
# Every invoice counted once: the 10,000 customers hold 100 cents each.
# (Asked of the database: a GET of 10,000 customers would inflate the
# accounts processes' peak RSS, which is measured here.)
sum=$(sql "$DB" "SELECT sum(total_revenue_cents) FROM customers WHERE account_id = $ACCT_LOAD")
[ "$sum" = $((EVENTS * 100)) ] || { say "load account total $sum, not $((EVENTS * 100))"; exit 1; }
dead=$(sql "$DB" 'SELECT count(*) FROM dead_letters')
[ "$dead" = 0 ] || { say "$dead dead letters"; exit 1; }

# POST /invoices beside a projector replaying the whole stream from
# scratch (millions of entries): paired runs, without and with it, in
# make run's configuration.
say "POST /invoices with and without the projector catching up beside it"
for run in $(seq "$RUNS"); do
	worker_stop
	post invoices_alone "$RUN_C/invoices" "$INV_BODY" 1 "$POOL"
	rm -f "$VAR_DIR/accounts.db" "$VAR_DIR/accounts.db-wal" \
	    "$VAR_DIR/accounts.db-shm" "$VAR_DIR/worker.checkpoint"
	worker_start
	post invoices_projecting "$RUN_C/invoices" "$INV_BODY" 1 "$POOL"
	# Still behind at the end, or it was not flat out the whole time.
	lag=$(curl -s "$A/status" | jq .lag)
	echo "run $run: lag at the end $lag" >>"$RES/raw/invoices_projecting_lag.txt"
	say "  projector lag when wrk ended: $lag entries"
done
# The next run starts from scratch again: only the last one's is
# waited for.
db_caught_up "$DB" 600

say "freshness at $FRESH_RATE invoices/s for ${SECONDS_PER_RUN}s"
"$BENCH_BIN/freshness" 127.0.0.1 "$RUN_C_PORT" "$RUN_A_PORT" \
    "$TOKEN_FRESH" "$TOKEN_FRESH" "$FRESH_CUSTOMER" "$FRESH_RATE" \
    "$SECONDS_PER_RUN" | tee "$RES/raw/freshness.txt" | sed 's/^/  /' >&2
sleep 2
mem_snapshot resting
# Where each FastCGI process's resident pages come from, by mapping.
for pid in $(pgrep -P "$LIGHTTPD_PID"); do
	echo "== $(cat "/proc/$pid/comm") $pid (KiB: Rss Pss Anonymous)"
	awk '/^[0-9a-f]+-[0-9a-f]+ / { name = NF >= 6 ? $6 : "[anon]" }
	    /^Rss:/ { rss[name] += $2 } /^Pss:/ { pss[name] += $2 }
	    /^Anonymous:/ { anon[name] += $2 }
	    END { for (n in rss) if (rss[n] > 0) printf "%6d %6d %6d %s\n", rss[n], pss[n], anon[n], n }' \
	    "/proc/$pid/smaps" | sort -rn
done >"$RES/raw/smaps.txt"

# --- the bounds (a stack of their own) --------------------------------

if [ "${BENCH_BOUNDS:-1}" = 1 ]; then
	say "the bounds: a million invoices, 100,000 customers, the attacks"
	"$ROOT/bench/bounds.sh" >"$RES/bounds.md"
else
	echo "(The bounds were not measured: BENCH_BOUNDS=0.)" >"$RES/bounds.md"
fi

# --- the archive and the trim (a stack of their own) -----------------

if [ "${BENCH_RETENTION:-1}" = 1 ]; then
	say "the archive and the trim: archiver, rebuilds, the trim, POST beside it, memory"
	mkdir -p "$RES/raw/retention"
	BENCH_RETENTION_RAW=$RES/raw/retention "$ROOT/bench/retention.sh" >"$RES/retention.md"
else
	echo "(The archive and the trim were not measured: BENCH_RETENTION=0.)" >"$RES/retention.md"
fi

# --- the table --------------------------------------------------------

say "writing $RES"
LOADS="ceil_a ceil_b run_customers run_invoices run_accounts wait_invoices
    prod_customers prod_invoices prod_accounts prod_invoices_nokey
    prod_invoices_free invoices_alone invoices_projecting"
{
	# A figure's medians, column by column: 2xx/s, p50, p99, share of
	# 2xx, CPU ms per 1,000 2xx, then its parts.
	for f in $LOADS; do
		printf '%s' "$f"
		for c in $(seq 10); do printf ' %s' "$(median "$f" "$c")"; done
		echo
	done
	# The ratios, run by run: NAME over BASE, of 2xx/s and of CPU.
	for pair in run_customers:ceil_b run_invoices:ceil_b run_accounts:ceil_a \
	    prod_customers:ceil_b prod_invoices:ceil_b prod_accounts:ceil_a \
	    prod_invoices:wait_invoices wait_invoices:run_invoices \
	    prod_invoices:prod_invoices_nokey prod_invoices:prod_invoices_free \
	    prod_invoices:run_invoices prod_customers:run_customers \
	    prod_accounts:run_accounts invoices_projecting:invoices_alone; do
		echo "ratio ${pair%:*} ${pair#*:} $(paired "${pair%:*}" "${pair#*:}" 1)" \
		    "$(paired "${pair%:*}" "${pair#*:}" 5)"
	done
	echo "reader $(median reader 1) $(median reader 2) $(median reader 3) $(median reader 4)"
	echo "catchup $CATCHUP_RATE $CATCHUP_S $(median catchup 2) $(median catchup 3) $(median catchup 4)"
	echo "append $APPEND_RATE"
	sed -e 's/^/freshness /' -e 's/[a-z0-9_]*=//g' "$RES/raw/freshness.txt"
} >"$RES/figures.txt"

MACHINE="$(nproc) cores, $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo), $(awk '/^MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)"
# Other jobs on the machine move every figure: say how busy it was.
LOAD="$(cut -d' ' -f1-3 /proc/loadavg)"
awk -v date="$(date -u '+%Y-%m-%d %H:%M UTC')" -v machine="$MACHINE" -v load="$LOAD" \
    -v procs="$PROCS, $PROD_PROCS" -v secs="$SECONDS_PER_RUN" -v runs="$RUNS" \
    -v users="$USERS" -v conns="$CONNS" \
    -v events="$EVENTS" -f "$ROOT/bench/table.awk" \
    "$RES/figures.txt" "$RES/memory.txt" >"$RES/table.md"
cat "$RES/bounds.md" >>"$RES/table.md"
cat "$RES/retention.md" >>"$RES/table.md"

gnuplot -e "data='$RES/concurrency.dat'; out='$RES/concurrency.svg'" "$ROOT/bench/plot.gp"
cat "$RES/table.md"

if [ "${BENCH_PUBLISH:-0}" = 1 ]; then
	mkdir -p "$ROOT/docs/bench"
	cp "$RES/table.md" "$ROOT/docs/bench/latest.md"
	cp "$RES/concurrency.svg" "$ROOT/docs/bench/concurrency.svg"
	say "copied to docs/bench/"
fi
