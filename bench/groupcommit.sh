#!/bin/bash
# bench/groupcommit.sh: POST /invoices with a fresh Idempotency-Key each,
# on several stacks at once, each with a replica redis-server beside its
# Redis on this host, measured in turn (so that a noisy neighbour hits
# them alike): 2xx a second and the CPU time (user + system, from /proc)
# of every process of the stack, lighttpd, its FastCGI processes and both
# Redis, per 1,000 2xx.  The first stack is the baseline of the ratios.
#
#   bench/groupcommit.sh NAME:BIN_DIR:CUSTOMERS_PROCS:APPENDFSYNC:WAIT[:REPLICA] ...
#
# e.g. base:build/release/bin:4:everysec:0 c16:build/release/bin:16:always:1
# WAIT is REDIS_WAIT_REPLICAS; the replica fsyncs as its primary does
# (both alike, as in deploy/multihost: either may be primary later),
# or as REPLICA says.
# Environment: GC_SECONDS (10), GC_RUNS (3), GC_CONNS (64), GC_USERS (1).
# The projector is not run.  With one user, the user's rate is out of
# reach: the command path alone.  With GC_USERS=N, N users (pool1...,
# user1's password) share the connections, each on an account and a
# customer of its own, under the default limits: an honest pool, which
# the limiter must never refuse (non2xx_max is 0).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
BIN_DIR=$(cd "${BIN_DIR:-build/release/bin}" && pwd)
. "$ROOT/bench/lib.sh"
SECS=${GC_SECONDS:-10}
RUNS=${GC_RUNS:-3}
CONNS=${GC_CONNS:-64}
USERS=${GC_USERS:-1}
export ROOT
if [ "$USERS" = 1 ]; then
	limits=(RATE_PER_USER=1000000 RATE_BURST=1000000)
else
	# The default rate and burst; as many logins as there are users.
	limits=(LOGIN_STRANGER_HASHES=1000)
fi

T=$(mktemp -d "${TMPDIR:-/tmp}/es-gc.XXXXXX")
chmod 755 "$T"
names=()
cleanup() {
	local n
	for n in "${names[@]}"; do
		stop_pidfile "$T/$n/replica.pid"
		stop_pidfile "$T/$n/run.pid"
	done
	[ -n "${GC_KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

declare -A url_of pids_of group_of
declare -A token_of body_of	# by "NAME USER"

# stack NAME BIN PROCS FSYNC WAIT REPLICA_FSYNC: starts it and its
# replica, logs in, makes a customer to invoice.
stack() {
	local n=$1 bin=$2 procs=$3 fsync=$4 wait=$5 rfsync=${6:-$4} d=$T/$1 rport
	mkdir -p "$d/replica"
	chmod 755 "$d"
	local rp cp ap
	rp=$(free_port) cp=$(free_port) ap=$(free_port)
	env VAR_DIR="$d/var" BIN_DIR="$(cd "$bin" && pwd)" RUN_WORKER=0 RUN_ARCHIVER=0 \
	    REDIS_TCP=1 REDIS_PORT="$rp" CUSTOMERS_PORT="$cp" ACCOUNTS_PORT="$ap" \
	    REDIS_APPENDFSYNC="$fsync" CUSTOMERS_PROCS="$procs" \
	    REDIS_WAIT_REPLICAS="$wait" "${limits[@]}" \
	    LIMIT_INVOICES_PER_CUSTOMER=1000000000 \
	    scripts/run.sh >"$d/run.log" 2>&1 &
	echo $! >"$d/run.pid"
	names+=("$n")
	for _ in $(seq 600); do
		grep -qs '^run: ready' "$d/run.log" && break
		kill -0 "$(cat "$d/run.pid")" || { cat "$d/run.log" >&2; exit 1; }
		sleep 0.05
	done
	# The replica: as multihost.sh's, the password in a file, not argv.
	rport=$(free_port)
	(umask 077; printf 'masteruser replica\nmasterauth %s\n' \
	    "$(cat "$d/var/redis-replica.pass")" >"$d/replica.conf")
	redis-server "$d/replica.conf" --port "$rport" --bind 127.0.0.1 \
	    --replicaof 127.0.0.1 "$rp" --dir "$d/replica" --appendonly yes \
	    --appendfsync "$rfsync" --save "" --daemonize no \
	    --logfile "$d/replica.log" &
	echo $! >"$d/replica.pid"
	for _ in $(seq 200); do
		redis-cli -p "$rport" INFO replication 2>/dev/null |
		    grep -q 'master_link_status:up' && break
		sleep 0.05
	done
	redis-cli -p "$rport" INFO replication | grep -q 'master_link_status:up' ||
	    { say "$n: the replica did not follow"; exit 1; }
	A=http://127.0.0.1:$ap
	url_of[$n]=http://127.0.0.1:$cp/invoices
	local u user acct cust hash tok
	hash=$(VAR_DIR=$d/var rcli --raw HGET user:user1 password_hash)
	for u in $(seq "$USERS"); do
		user=user1 acct=1
		if [ "$USERS" != 1 ]; then
			user=pool$u
			VAR_DIR=$d/var rcli HSET "user:$user" password_hash "$hash" >/dev/null
		fi
		tok=$(login "$user" password1)
		[ "$USERS" = 1 ] ||
		    acct=$(curl -sf -X POST "$A/accounts" -H "Authorization: Bearer $tok" \
		    -d "{\"name\":\"$user\",\"description\":\"pool\"}" | jq -r .id)
		cust=$(curl -sf -X POST "http://127.0.0.1:$cp/customers" \
		    -H "Authorization: Bearer $tok" \
		    -d "{\"name\":\"gc\",\"account_id\":\"$acct\"}" | jq -r .id)
		if [ -z "$cust" ] || [ "$cust" = null ]; then
			say "$n: no customer for $user"
			exit 1
		fi
		token_of[$n $u]=$tok
		body_of[$n $u]="{\"customer_id\":\"$cust\",\"purchase_date\":\"2019-01-06\",\"purchase_price_cents\":100}"
	done
	local lp
	lp=$(cat "$d/var/lighttpd.pid")
	# In the order of the breakdown: lighttpd, its FastCGI processes,
	# Redis, the replica.
	group_of[$n]="$lp,$(pgrep -P "$lp" | tr '\n' ' '),$(cat "$d/var/redis.pid"),$(cat "$d/replica.pid")"
	pids_of[$n]=$(tr ',' ' ' <<<"${group_of[$n]}")
	say "$n: $procs customers processes, appendfsync $fsync (replica $rfsync), WAIT $wait," \
	    "$(wc -w <<<"${pids_of[$n]}") processes"
}

# ticks NAME: user + system clock ticks of the stack's processes.
ticks() {
	local p sum=0
	for p in ${pids_of[$1]}; do
		sum=$((sum + $(awk '{ print $14 + $15 }' "/proc/$p/stat")))
	done
	echo "$sum"
}

# breakdown NAME: the ticks of lighttpd, the FastCGI processes, Redis and
# the replica.
breakdown() {
	local g p sum out=
	IFS=, read -ra groups <<<"${group_of[$1]}"
	for g in "${groups[@]}"; do
		sum=0
		for p in $g; do
			sum=$((sum + $(awk '{ print $14 + $15 }' "/proc/$p/stat")))
		done
		out+="$sum "
	done
	echo "$out"
}

specs=("$@")
[ ${#specs[@]} -gt 0 ] || { sed -n 2,14p "$0" >&2; exit 2; }
for s in "${specs[@]}"; do
	IFS=: read -r n bin procs fsync wait rfsync <<<"$s"
	stack "$n" "$bin" "$procs" "$fsync" "$wait" "$rfsync"
done

HZ=$(getconf CLK_TCK)
for _ in $(seq "$RUNS"); do
	for n in "${names[@]}"; do
		t0=$(ticks "$n")
		b0=$(breakdown "$n")
		# Each user's connections, all at once; the latencies are the
		# first user's.
		wrks=()
		for u in $(seq "$USERS"); do
			env METHOD=POST BODY="${body_of[$n $u]}" TOKEN="${token_of[$n $u]}" \
			    wrk -t$((USERS == 1 ? 2 : 1)) -c$((CONNS / USERS)) \
			    -d"${SECS}s" --latency -s "$ROOT/bench/groupcommit.lua" \
			    "${url_of[$n]}" | grep '^RESULT' >"$T/wrk.$u" &
			wrks+=($!)
		done
		wait "${wrks[@]}"
		t1=$(ticks "$n")
		b1=$(breakdown "$n")
		line=$(cat "$T"/wrk.*)
		rm -f "$T"/wrk.*
		# RESULT rps= p50_us= p99_us= requests= non2xx= errors=, a
		# line a user: the counts summed.
		awk -v n="$n" -v s="$SECS" -v t=$((t1 - t0)) -v hz="$HZ" '{
			for (i = 2; i <= NF; i++) {
				split($i, kv, "=")
				if (NR == 1 || kv[1] ~ /requests|non2xx|errors/) v[kv[1]] += kv[2]
			}
		} END {
			ok = v["requests"] - v["non2xx"]
			cpu = ok > 0 ? (t * 1000 / hz) * 1000 / ok : 0
			printf "%s %.0f %.1f %.2f %.2f %d %d\n", n, (ok / s), cpu,
			    (v["p50_us"] / 1000), (v["p99_us"] / 1000), v["non2xx"], v["errors"]
		}' <<<"$line" | tee -a "$T/results" >&2
		# Where the time went, in ms per 1,000 2xx.
		awk -v b0="$b0" -v b1="$b1" -v hz="$HZ" -v s="$SECS" '$2 > 0 {
			split(b0, x); split(b1, y)
			printf "  %s cpu per 1,000 2xx: lighttpd %.0f, fastcgi %.0f, redis %.0f, replica %.0f ms\n",
			    $1, (y[1] - x[1]) * 1e6 / hz / ($2 * s), (y[2] - x[2]) * 1e6 / hz / ($2 * s),
			    (y[3] - x[3]) * 1e6 / hz / ($2 * s), (y[4] - x[4]) * 1e6 / hz / ($2 * s)
		}' <<<"$(tail -1 "$T/results")" >&2
	done
done

# name  2xx/s  ratio  cpu ms per 1,000 2xx  p50 p99: medians over runs.
echo "# stack 2xx_per_s ratio cpu_ms_per_1000 p50_ms p99_ms non2xx_max"
for n in "${names[@]}"; do
	awk -v n="$n" '$1 == n' "$T/results" | awk -v n="$n" '
	function med(c,   i, j, x, m, a) {
		m = 0
		for (i = 1; i <= NR; i++) a[++m] = col[i, c]
		for (i = 2; i <= m; i++)
			for (j = i; j > 1 && a[j - 1] > a[j]; j--) { x = a[j]; a[j] = a[j - 1]; a[j - 1] = x }
		return a[int((m + 1) / 2)]
	}
	{ for (c = 2; c <= 7; c++) col[NR, c] = $c; if ($6 + 0 > bad + 0) bad = $6 }
	END { print n, med(2), med(3), med(4), med(5), bad + 0 }'
done | awk 'NR == 1 { base = $2 }
	{ printf "%s %s %.0f%% %s %s %s %s\n", $1, $2, 100 * $2 / base, $3, $4, $5, $6 }'
