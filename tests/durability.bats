#!/usr/bin/env bats
# What a 201 survives.  With appendfsync always, Redis writes the event to
# its AOF and fdatasyncs it before it writes the reply that becomes the
# 201: traced here, system call by system call, on the real redis-server.

load fixtures

setup_file() {
	command -v strace >/dev/null || skip "strace is not installed (apt-get install strace)"
	stack_start_user1 REDIS_APPENDFSYNC=always
}

teardown_file() {
	stack_stop
}

@test "REDIS_APPENDFSYNC=always reaches Redis" {
	[ "$(rcli CONFIG GET appendfsync | tail -1)" = always ]
}

@test "with appendfsync always, a 201's event is on disk (fdatasync) before the reply is written" {
	cid=$(new_customer Durable)
	redis=$(cat "$VAR_DIR/redis.pid")
	strace -f -e trace=write,writev,fdatasync,fsync -s 300 -o "$T/trace" -p "$redis" 2>"$T/strace.err" &
	tracer=$!
	# Attached once a traced call shows (PING writes a reply).
	for i in $(seq 50); do
		rcli PING >/dev/null
		grep -q PONG "$T/trace" 2>/dev/null && break
		sleep 0.1
	done
	grep -q PONG "$T/trace" || { cat "$T/strace.err" >&2; skip "strace cannot attach here"; }
	req POST "$C/invoices" "{\"customer_id\":\"$cid\",\"purchase_date\":\"2019-01-06\",\"purchase_price_cents\":42}"
	[ "$code" = 201 ]
	eid=$(jq -r .event_id <<<"$body")
	sleep 0.2
	kill "$tracer"
	wait "$tracer" 2>/dev/null || :
	# The AOF is the file Redis fdatasyncs; the first write naming the
	# event there, its fdatasync, then the reply naming it on another fd.
	aof=$(grep -oE 'f(data)?sync\([0-9]+' "$T/trace" | head -1 | grep -oE '[0-9]+$')
	[ -n "$aof" ]
	in_aof=$(grep -nE "write\($aof, .*$eid" "$T/trace" | head -1 | cut -d: -f1)
	synced=$(awk -v from="$in_aof" -v fd="$aof" 'NR > from && $0 ~ "f(data)?sync\\(" fd "\\)" { print NR; exit }' "$T/trace")
	replied=$(grep -nE "writev?\(([0-9]+), .*$eid" "$T/trace" | grep -vE "writev?\($aof," | head -1 | cut -d: -f1)
	note "trace: the event in the AOF (fd $aof) at line $in_aof, fdatasync at $synced, the reply at $replied"
	[ -n "$in_aof" ]
	[ -n "$synced" ]
	[ -n "$replied" ]
	[ "$in_aof" -lt "$synced" ]
	[ "$synced" -lt "$replied" ]
}
