#!/bin/bash
# make bench: measures the release build on a private instance (free
# ports, a temporary folder) against ceilings measured in the same run,
# prints one table and writes it, the raw figures and a plot under
# bench/results/<UTC time>/ (bench/results/latest is the newest).
#
# Environment: BIN_DIR, BENCH_BIN (the Makefile sets them), FCGI_PROCS
# (FastCGI processes per service, as in make run), BENCH_SECONDS (10),
# BENCH_RUNS (3), BENCH_EVENTS (1000000), BENCH_PUBLISH=1 to copy the
# table and plot to docs/bench/ (docs/performance.md links them).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
BIN_DIR=$(cd "${BIN_DIR:-build/release/bin}" && pwd)
BENCH_BIN=$(cd "${BENCH_BIN:-build/release/bench}" && pwd)
# The helpers (bench/lib.sh), and through them the tests' fixtures:
# after BIN_DIR, which they would otherwise set to the test build.
. "$ROOT/bench/lib.sh"
SECONDS_PER_RUN=${BENCH_SECONDS:-10}
RUNS=${BENCH_RUNS:-3}
EVENTS=${BENCH_EVENTS:-1000000}
LOAD_CUSTOMERS=10000
FRESH_RATE=1000
export FCGI_PROCS=${FCGI_PROCS:-4}
STREAM=event-stream
NOW=2026-11-30T12:00:00Z

STAMP=$(date -u +%Y%m%dT%H%M%SZ)
RES=$ROOT/bench/results/$STAMP
mkdir -p "$RES/raw"
ln -sfn "$STAMP" "$ROOT/bench/results/latest"
T=$(mktemp -d "${TMPDIR:-/tmp}/es-bench.XXXXXX")
# As root, run.sh runs everything as RUN_USER, who must reach $VAR_DIR.
chmod 755 "$T"

# --- the private instance ---------------------------------------------

REDIS_PORT=$(free_port) CUSTOMERS_PORT=$(free_port) ACCOUNTS_PORT=$(free_port)
CEIL_POST_PORT=$(free_port) CEIL_GET_PORT=$(free_port)
VAR_DIR=$T/var
DB=$VAR_DIR/accounts.db
# The worker started here reads the same configuration as run.sh's
# (and REDIS_SOCKET, once Redis is up).
export REDIS_PORT VAR_DIR
C=http://127.0.0.1:$CUSTOMERS_PORT
A=http://127.0.0.1:$ACCOUNTS_PORT

cleanup() {
	worker_stop
	stop_pidfile "$T/ceil.pid"
	stop_pidfile "$T/run.pid"
	[ -n "${BENCH_KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

say "private instance in $T (redis on a unix socket, customers :$CUSTOMERS_PORT," \
    "accounts :$ACCOUNTS_PORT, ceilings :$CEIL_POST_PORT :$CEIL_GET_PORT)," \
    "FCGI_PROCS=$FCGI_PROCS"
# wrk's connections are all one user's, at full speed: each request goes
# through the limiter, with the rate out of reach; and its runs put over
# a million invoices on one customer and customers on one account.
# bench/bounds.sh measures the bounds.
env VAR_DIR="$VAR_DIR" BIN_DIR="$BIN_DIR" RUN_WORKER=0 \
    CUSTOMERS_PORT="$CUSTOMERS_PORT" ACCOUNTS_PORT="$ACCOUNTS_PORT" \
    RATE_PER_USER=1000000 RATE_BURST=1000000 \
    LIMIT_CUSTOMERS_PER_ACCOUNT=1000000000 \
    LIMIT_INVOICES_PER_CUSTOMER=1000000000 \
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
# Redis listens on no port: everything here (the worker, rcli, the
# ceilings' programs, stream_reader) reaches it by run.sh's socket, as
# the services do, so that the ceilings stay comparable.
export REDIS_SOCKET=$(readlink -f "$VAR_DIR/redis.sock")

# What this script writes in $VAR_DIR it writes as its owner (as_owner).
OWNER=$(stat -c %U "$VAR_DIR")

# The ceilings run behind the very same lighttpd.conf: only the programs
# differ (ceiling b for the customers port, ceiling a for the accounts
# one), and as the same user: run.sh gave it $VAR_DIR.
mkdir -p "$T/ceil/bin"
ln -s "$BENCH_BIN/fcgi_xadd" "$T/ceil/bin/customers.fcgi"
ln -s "$BENCH_BIN/fcgi_fixed" "$T/ceil/bin/accounts.fcgi"
chown "$OWNER:" "$T/ceil"
# The ceilings' programs AUTH as admin (the default user), once per connection,
# as the services do as their roles.
export REDIS_USER=default REDISCLI_AUTH=$(cat "$VAR_DIR/redis-admin.pass")
env VAR_DIR="$T/ceil" SOCK_DIR="$T/ceil" BIN_DIR="$T/ceil/bin" BIND_ADDR=127.0.0.1 \
    DEPLOY_DIR="$ROOT/deploy" LOGIN_PROCS=1 \
    RUN_USER="$OWNER" RUN_GROUP="$(stat -c %G "$VAR_DIR")" \
    WWW_DIR="$ROOT/www" \
    CUSTOMERS_PORT="$CEIL_POST_PORT" ACCOUNTS_PORT="$CEIL_GET_PORT" \
    lighttpd -D -f "$ROOT/lighttpd.conf" >"$T/ceil.log" 2>&1 &
echo $! >"$T/ceil.pid"

up=0
for _ in $(seq 300); do
	[ "$(curl -s -o /dev/null -w '%{http_code}' \
	    "http://127.0.0.1:$CEIL_GET_PORT/accounts")" = 200 ] && { up=1; break; }
	sleep 0.05
done
[ "$up" = 1 ] || { cat "$T/ceil.log" >&2; say "the ceilings did not start"; exit 1; }

# --- the data ---------------------------------------------------------

# Extra users share user1's password hash: they log in like any other.
hash=$(rcli HGET user:user1 password_hash)
for u in bench1000 benchfresh benchload; do
	rcli HSET "user:$u" password_hash "$hash" >/dev/null
done
ACCT_1000=$(new_account bench1000)
ACCT_FRESH=$(new_account benchfresh)
ACCT_LOAD=$(new_account benchload)
new_customers user1 1 100
new_customers bench1000 "$ACCT_1000" 1000
INVOICE_CUSTOMER=$(one_customer user2 2 invoiced)
FRESH_CUSTOMER=$(one_customer benchfresh "$ACCT_FRESH" probe)
LOAD_FIRST=$(($(rcli GET seq:customer) + 1))
new_customers benchload "$ACCT_LOAD" "$LOAD_CUSTOMERS"
LOAD_LAST=$(rcli GET seq:customer)
[ $((LOAD_LAST - LOAD_FIRST + 1)) = "$LOAD_CUSTOMERS" ] ||
    { say "customers $LOAD_FIRST..$LOAD_LAST: not $LOAD_CUSTOMERS"; exit 1; }

TOKEN_1=$(login user1 password1)
TOKEN_2=$(login user2 password2)
TOKEN_1000=$(login bench1000 password1)
TOKEN_FRESH=$(login benchfresh password1)
# The waits ask the database itself (db_caught_up, db_last): the
# checkpoint file may lag it by a second.
worker_start
db_caught_up "$DB" 60
worker_stop
[ "$(curl -s "$A/accounts" -H "Authorization: Bearer $TOKEN_1" |
    jq '.[0].customers | length')" = 100 ] || { say "account 1 lacks its 100 customers"; exit 1; }

# --- memory -----------------------------------------------------------

LIGHTTPD_PID=$(cat "$VAR_DIR/lighttpd.pid")
echo "# label program pid rss_kib peak_kib anon_kib pss_kib" >"$RES/memory.txt"
mem_snapshot start

# --- wrk --------------------------------------------------------------

CUST_BODY='{"name":"bench","account_id":"2"}'
INV_BODY="{\"customer_id\":\"$INVOICE_CUSTOMER\",\"purchase_date\":\"2019-01-06\",\"purchase_price_cents\":100}"
# Not "/": lighttpd serves the dashboard's files there itself, on both
# ports, which would measure a static file, not FastCGI.
CEIL_POST=http://127.0.0.1:$CEIL_POST_PORT/invoices
CEIL_GET=http://127.0.0.1:$CEIL_GET_PORT/accounts

# The ceiling's own stream is emptied after each run, so Redis does not
# grow through the benchmark.
ceiling_b() {
	wrk_run "$1" "$2" "$3" "$CEIL_POST" POST "$CUST_BODY" ""
	rcli DEL bench-ceiling >/dev/null
}

# The services with the projector stopped: the command side alone.
# Interleaved, so that a noisy neighbour hits ceilings and services alike.
say "ceilings and services: $RUNS runs of ${SECONDS_PER_RUN}s, 32 connections"
for run in $(seq "$RUNS"); do
	wrk_run ceil_a 32 "$SECONDS_PER_RUN" "$CEIL_GET" GET "" ""
	ceiling_b ceil_b 32 "$SECONDS_PER_RUN"
	wrk_run customers 32 "$SECONDS_PER_RUN" "$C/customers" POST "$CUST_BODY" "$TOKEN_2"
	wrk_run invoices 32 "$SECONDS_PER_RUN" "$C/invoices" POST "$INV_BODY" "$TOKEN_2"
	wrk_run accounts100 32 "$SECONDS_PER_RUN" "$A/accounts" GET "" "$TOKEN_1"
	wrk_run accounts1000 32 "$SECONDS_PER_RUN" "$A/accounts" GET "" "$TOKEN_1000"
done
mem_snapshot after_load

# What a 201 that survives a power cut costs: appendfsync always (Redis
# fdatasyncs the AOF before it replies; the clients of one event-loop
# turn share one fdatasync) beside everysec, paired runs.
say "POST /invoices with appendfsync everysec and always"
FSYNC_WAS=$(rcli CONFIG GET appendfsync | tail -1)
for run in $(seq "$RUNS"); do
	rcli CONFIG SET appendfsync everysec >/dev/null
	wrk_run fsync_everysec 32 "$SECONDS_PER_RUN" "$C/invoices" POST "$INV_BODY" "$TOKEN_2"
	rcli CONFIG SET appendfsync always >/dev/null
	wrk_run fsync_always 32 "$SECONDS_PER_RUN" "$C/invoices" POST "$INV_BODY" "$TOKEN_2"
done
rcli CONFIG SET appendfsync "$FSYNC_WAS" >/dev/null

say "throughput against concurrency"
echo "# connections invoices_rps ceiling_b_rps invoices_p99_ms ceiling_b_p99_ms" >"$RES/concurrency.dat"
for conns in 1 4 16 64; do
	wrk_run "curve_invoices_$conns" "$conns" 5 "$C/invoices" POST "$INV_BODY" "$TOKEN_2"
	ceiling_b "curve_ceil_b_$conns" "$conns" 5
	paste "$RES/raw/curve_invoices_$conns.dat" "$RES/raw/curve_ceil_b_$conns.dat" |
	    awk -v c="$conns" '{ printf "%d %s %s %.3f %.3f\n", c, $1, $4, $3 / 1000, $6 / 1000 }' \
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
for run in $(seq "$RUNS"); do
	"$BENCH_BIN/stream_reader" 127.0.0.1 "$REDIS_PORT" "$STREAM" "$FROM" "$EVENTS" |
	    tee -a "$RES/raw/reader.txt" | sed 's/^/  /' >&2
done
grep -o 'per_second=[0-9]*' "$RES/raw/reader.txt" | cut -d= -f2 >"$RES/raw/reader.dat"

# The read model as the worker left it, so that each catch-up run
# starts from the same place: a copy swapped in under a new inode (the
# accounts service reopens it), and a checkpoint file that agrees.
as_owner sqlite3 "$VAR_DIR/accounts.db" 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
as_owner cp "$VAR_DIR/accounts.db" "$VAR_DIR/before_catchup.db"
LAST=$(stream_last)
echo "# run seconds applied_id rss_kib" >"$RES/raw/catchup_rss.txt"
# catchup_run N: one catch-up, timed until the database has $LAST;
# prints the seconds.  The worker is left running.
catchup_run() {
	local t0 t1 i cp_id pid done_=0
	worker_stop
	as_owner cp "$VAR_DIR/before_catchup.db" "$VAR_DIR/accounts.db.new"
	rm -f "$VAR_DIR/accounts.db-wal" "$VAR_DIR/accounts.db-shm"
	mv "$VAR_DIR/accounts.db.new" "$VAR_DIR/accounts.db"
	echo "$FROM" | as_owner tee "$VAR_DIR/worker.checkpoint" >/dev/null
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
	[ "$done_" = 1 ] || { say "the worker did not catch up"; return 1; }
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f\n", b - a }'
}
say "projector catch-up: $EVENTS events, $RUNS runs"
for run in $(seq "$RUNS"); do
	secs=$(catchup_run "$run")
	echo "$secs" >>"$RES/raw/catchup.dat"
	say "  $EVENTS events in $secs s: $(awk -v n="$EVENTS" -v s="$secs" 'BEGIN { printf "%.0f", n / s }') events/s"
done
CATCHUP_S=$(sort -g "$RES/raw/catchup.dat" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
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
# scratch (over a million entries): paired runs, without and with it.
say "POST /invoices with and without the projector catching up beside it"
for run in $(seq "$RUNS"); do
	worker_stop
	wrk_run invoices_alone 32 "$SECONDS_PER_RUN" "$C/invoices" POST "$INV_BODY" "$TOKEN_2"
	rm -f "$VAR_DIR/accounts.db" "$VAR_DIR/accounts.db-wal" \
	    "$VAR_DIR/accounts.db-shm" "$VAR_DIR/worker.checkpoint"
	worker_start
	wrk_run invoices_projecting 32 "$SECONDS_PER_RUN" "$C/invoices" POST "$INV_BODY" "$TOKEN_2"
	# Still behind at the end, or it was not flat out the whole time.
	lag=$(curl -s "$A/status" | jq .lag)
	echo "run $run: lag at the end $lag" >>"$RES/raw/invoices_projecting_lag.txt"
	say "  projector lag when wrk ended: $lag entries"
	db_caught_up "$DB" 300
done

say "freshness at $FRESH_RATE invoices/s for ${SECONDS_PER_RUN}s"
"$BENCH_BIN/freshness" 127.0.0.1 "$CUSTOMERS_PORT" "$ACCOUNTS_PORT" \
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

say "the bounds: a million invoices, 100,000 customers, the attacks"
"$ROOT/bench/bounds.sh" >"$RES/bounds.md"

# --- the table --------------------------------------------------------

say "writing $RES"
{
	echo "ceil_a $(median ceil_a 1) $(median ceil_a 2) $(median ceil_a 3)"
	echo "ceil_b $(median ceil_b 1) $(median ceil_b 2) $(median ceil_b 3)"
	for f in customers invoices accounts100 accounts1000 invoices_alone invoices_projecting \
	    fsync_everysec fsync_always; do
		echo "$f $(median "$f" 1) $(median "$f" 2) $(median "$f" 3)"
	done
	echo "reader $(sort -g "$RES/raw/reader.dat" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')"
	echo "catchup $CATCHUP_RATE $CATCHUP_S"
	echo "append $APPEND_RATE"
	sed -e 's/^/freshness /' -e 's/[a-z0-9_]*=//g' "$RES/raw/freshness.txt"
} >"$RES/figures.txt"

MACHINE="$(nproc) cores, $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo), $(awk '/^MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)"
# Other jobs on the machine move every figure: say how busy it was.
LOAD="$(cut -d' ' -f1-3 /proc/loadavg)"
awk -v date="$(date -u '+%Y-%m-%d %H:%M UTC')" -v machine="$MACHINE" -v load="$LOAD" \
    -v procs="$FCGI_PROCS" -v secs="$SECONDS_PER_RUN" -v runs="$RUNS" \
    -v events="$EVENTS" -f "$ROOT/bench/table.awk" \
    "$RES/figures.txt" "$RES/memory.txt" >"$RES/table.md"
cat "$RES/bounds.md" >>"$RES/table.md"

gnuplot -e "data='$RES/concurrency.dat'; out='$RES/concurrency.svg'" "$ROOT/bench/plot.gp"
cat "$RES/table.md"

if [ "${BENCH_PUBLISH:-0}" = 1 ]; then
	mkdir -p "$ROOT/docs/bench"
	cp "$RES/table.md" "$ROOT/docs/bench/latest.md"
	cp "$RES/concurrency.svg" "$ROOT/docs/bench/concurrency.svg"
	say "copied to docs/bench/"
fi
