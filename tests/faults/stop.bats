#!/usr/bin/env bats
# Fault 4: graceful stop.  SIGTERM to a worker in the middle of a backlog:
# it finishes the batch, commits, writes the checkpoint, exits 0 within a
# second.  SIGTERM to `make run`: everything stops, nothing left running.

load faults

setup_file() {
	stack_start_user1 RUN_WORKER=0
}

teardown_file() {
	[ -z "${MAKE_PID:-}" ] || kill -KILL "$MAKE_PID" 2>/dev/null || true
	stack_stop
}

# A zombie (exited, not yet reaped by pid 1) is not running.
running() { [ -e "/proc/$1" ] && ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null; }

@test "SIGTERM in the middle of a backlog: batch committed, checkpoint written, exit 0 within a second" {
	cid=$(new_customer "Backlog")
	wait_projected
	worker_stop
	from=$(stream_last)
	# 20000 one-cent invoices straight into the stream.
	for i in $(seq 20000); do
		echo "XADD event-stream * EventTypeName InvoiceCreated Payload" \
			"'{\"id\":\"$((900000000 + i))\",\"customer_id\":\"$cid\",\"purchase_price_cents\":1,\"created_date\":\"2026-11-30T00:00:00Z\",\"purchase_date\":\"2019-01-06\"}'"
	done | rcli >/dev/null
	WORKER_BATCH=1000 "$BIN_DIR/worker" >>"$T/worker.log" 2>&1 3>&- &
	pid=$!
	# As soon as the first batch is in: the backlog is then mostly ahead.
	for i in $(seq 500); do
		[ "$(db_last)" != "$from" ] && break
		sleep 0.01
	done
	start=$(date +%s%N)
	kill -TERM "$pid"
	rc=0
	wait "$pid" || rc=$?
	took=$(ms_since "$start")
	last=$(db_last)
	applied=$(rcli --raw XRANGE event-stream "($from" "$last" | grep -c '^InvoiceCreated$') || true
	note "SIGTERM: exit $rc after $took ms, $applied of 20000 backlog entries applied"
	[ "$rc" = 0 ]
	[ "$took" -lt 1000 ]
	# Stopped in the middle, on a batch boundary, with everything before it applied once.
	[ "$last" != "$(stream_last)" ]
	[ "$((applied % 1000))" = 0 ]
	[ "$(revenue_db "$cid")" = "$applied" ]
	[ "$(cat "$VAR_DIR/worker.checkpoint")" = "$last" ]
	grep -q stopped "$T/worker.log"
	worker_start
	wait_projected
	[ "$(revenue_db "$cid")" = 20000 ]
}

@test "SIGTERM to make run: everything stops, nothing left running" {
	local var=$T/makerun ports
	export REDIS_PORT=$(free_port) CUSTOMERS_PORT=$(free_port) ACCOUNTS_PORT=$(free_port)
	VAR_DIR=$var REDIS_APPENDFSYNC=always make -C "$ROOT" --no-print-directory \
		BUILD=build/asan SANITIZE=1 run >"$T/makerun.log" 2>&1 3>&- &
	MAKE_PID=$!
	for i in $(seq 600); do
		grep -q '^run: ready' "$T/makerun.log" && break
		kill -0 "$MAKE_PID" || break
		sleep 0.05
	done
	grep -q '^run: ready' "$T/makerun.log"
	# REDIS_APPENDFSYNC=always reaches Redis.
	# scripts/redis-cli finds make run's socket from VAR_DIR alone, as
	# from another shell (REDIS_SOCKET would name the file's own stack's).
	[ "$(VAR_DIR=$var REDIS_SOCKET= rcli CONFIG GET appendfsync | tail -1)" = always ]
	pids="$(cat "$var"/{redis,worker,lighttpd}.pid) $(pgrep -P "$(cat "$var/lighttpd.pid")")"
	[ "$(wc -w <<<"$pids")" -ge 5 ]
	kill -TERM "$MAKE_PID"
	for i in $(seq 100); do
		kill -0 "$MAKE_PID" 2>/dev/null || break
		sleep 0.1
	done
	! running "$MAKE_PID"
	for p in $pids; do
		! running "$p" || { echo "left running: $p $(cat /proc/$p/cmdline | tr '\0' ' ')"; false; }
	done
	! pgrep -f "$var" >/dev/null
	! compgen -G "$var/*.pid"
	[ ! -e "$var/redis.sock" ]
	[ ! -L "$var/redis.sock" ]
	grep -q 'prog=worker .*msg="stopped"' "$T/makerun.log"
	! grep -q -E 'runtime error:|Sanitizer' "$T/makerun.log"
	unset MAKE_PID
}
