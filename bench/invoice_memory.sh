#!/bin/bash
# What an invoice costs Redis once its event has left the stream, and
# what a page of 1,000 costs in Redis, for a Function library: on a bare
# redis-server of its own, N invoices over 1 customer and over 100
# (pipelined FCALLs), then the stream deleted:
# - used_memory after, less before, divided by N;
# - the sum of MEMORY USAGE of the invoice keys, divided by N;
# - the median and slowest of the 1 customer's pages of 1,000
#   (customer_invoices, limit 1000, cursor by cursor, three passes), in
#   µs (SLOWLOG).
# Usage: bench/invoice_memory.sh [LIBRARY] (default build/gen/events.lua;
# the one before: { build/gen/contract_lua; git show main:db/events.lua;
# cat db/login.lua db/retention.lua; } >old.lua).  Environment:
# BENCH_MEMORY_INVOICES (100000).  Prints one line per layout.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
LIB=${1:-$ROOT/build/gen/events.lua}
N=${BENCH_MEMORY_INVOICES:-100000}
STREAM=bench-stream
. "$ROOT/tests/fixtures.bash"

PORT=$(free_port)
T=$(mktemp -d)
redis-server --port "$PORT" --bind 127.0.0.1 --save '' --appendonly no \
	--daemonize no --logfile "$T/redis.log" &
REDIS=$!
trap 'kill "$REDIS"; rm -rf "$T"' EXIT
r() { redis-cli -p "$PORT" "$@"; }
for _ in $(seq 100); do [ "$(r ping 2>/dev/null)" = PONG ] && break; sleep 0.05; done
r -x FUNCTION LOAD REPLACE <"$LIB" >/dev/null
r HSET user:bench password_hash x >/dev/null

used() { r INFO memory | sed -n 's/^used_memory:\([0-9]*\).*/\1/p'; }
# keys_usage PATTERN...: the sum of MEMORY USAGE of the keys matching.
keys_usage() {
	local p
	for p in "$@"; do
		r --scan --pattern "$p" | sed 's/^/MEMORY USAGE /'
	done | r | awk '{ s += $1 } END { print s + 0 }'
}

# measure CUSTOMERS: one line of figures for N invoices over CUSTOMERS.
measure() {
	local customers=$1 account cid before after usage
	r FLUSHALL >/dev/null
	r HSET user:bench password_hash x >/dev/null
	account=$(r --raw FCALL account_create 1 $STREAM caller bench name b \
		description b | sed -n 3p)
	seq "$customers" | awk -v s=$STREAM -v a="$account" \
		'{ print "FCALL customer_create 1 " s " caller bench account_id " a " name c" $1 }' |
		r --pipe >/dev/null
	cid=$(r --raw FCALL customer_create 1 $STREAM caller bench account_id "$account" \
		name last | sed -n 3p)
	first=$((cid - customers + 1))
	r DEL $STREAM >/dev/null
	before=$(used)
	awk -v n="$N" -v s=$STREAM -v f="$first" -v c="$customers" 'BEGIN {
		for (i = 0; i < n; i++)
			printf "FCALL invoice_create 1 %s caller bench customer_id %d purchase_price_cents %d purchase_date 2019-01-06\n",
			    s, f + i % c, 100 + i }' | r --pipe >"$T/pipe"
	grep -q 'errors: 0,' "$T/pipe" || { cat "$T/pipe" >&2; exit 1; }
	r DEL $STREAM >/dev/null
	after=$(used)
	usage=$(keys_usage 'invoice:*' 'customer:*:invoices' 'customer:*:c:*' \
		'customer:*:chunks')
	printf '%s invoices over %s customers: used_memory %s B an invoice, MEMORY USAGE %s B' \
		"$N" "$customers" "$(awk -v d=$((after - before)) -v n="$N" 'BEGIN { printf "%.1f", d / n }')" \
		"$(awk -v u="$usage" -v n="$N" 'BEGIN { printf "%.1f", u / n }')"
	if [ "$customers" = 1 ]; then
		local cursor='' pages=0
		r CONFIG SET slowlog-log-slower-than 0 >/dev/null
		r CONFIG SET slowlog-max-len 100000 >/dev/null
		r SLOWLOG RESET >/dev/null
		# Three passes over every page: the median holds against the
		# other jobs of a shared machine.
		for _ in 1 2 3; do
			while :; do
				cursor=$(r --raw FCALL_RO customer_invoices 1 $STREAM caller bench \
					id "$first" limit 1000 ${cursor:+cursor "$cursor"} | sed -n 1p)
				pages=$((pages + 1))
				[ -n "$cursor" ] || break
			done
		done
		r --json SLOWLOG GET 100000 | jq -r --arg p $pages '
			map(select(.[3][0] == "FCALL_RO") | .[2]) | sort |
			"; \($p) pages of 1,000: fastest \(.[0]) µs, median \(.[length / 2 | floor]) µs, slowest \(.[-1]) µs"' |
			tr -d '\n'
		# The log of every call would count in the next used_memory.
		r CONFIG SET slowlog-log-slower-than 10000 >/dev/null
		r SLOWLOG RESET >/dev/null
	fi
	echo
}

measure 1
measure 100
