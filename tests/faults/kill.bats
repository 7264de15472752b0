#!/usr/bin/env bats
# Faults 1 and 9: the projector killed at any instant, again and again,
# and two workers on one read model.  FAULT_ROUNDS sets the kill rounds
# (make test-faults: 25; make test: a short run).

load faults

setup_file() {
	stack_start_user1 RUN_WORKER=0
}

teardown_file() {
	load_stop 2>/dev/null || true
	stack_stop
}

# check_exact: the read model, the 201s and a fresh rebuild all agree.
check_exact() {
	local posted lost
	posted=$(load_count 201)
	lost=$(lost_events)
	expected_totals >"$T/expected"
	db_totals "$DB" >"$T/actual"
	rebuild_copy "$T/rebuilt.db"
	note "$1: $posted invoices got 201 after $(load_retries) retries, $(load_other) other answers," \
		"$lost events lost, totals differ for" \
		"$(diff "$T/expected" "$T/actual" | grep -c '^>') customers"
	[ "$posted" -gt 0 ]
	[ "$lost" = 0 ]
	diff "$T/expected" "$T/actual"
	diff <(db_dump "$DB") <(db_dump "$T/rebuilt.db")
	# Each account's total, written once per batch, is its customers' sum.
	[ "$(totals_off)" = 0 ]
	# Every stream entry counted once: entries seen = entries added.
	[ "$(sql "$DB" 'SELECT events_seen FROM projector_state')" = "$(stream_len)" ]
}

@test "projector killed at random instants under load: each 201 counted exactly once" {
	local rounds=${FAULT_ROUNDS:-25} r mode pid self=0 modes=(none after-commit mid-batch)
	for i in 1 2 3 4 5 6; do ids+=("$(new_customer "Kill $i")"); done
	wait_projected
	worker_stop
	load_start 4 "${ids[@]}"
	for r in $(seq "$rounds"); do
		mode=${modes[r % 3]}
		[ "$mode" = none ] && mode=
		WORKER_FAULT=$mode "$BIN_DIR/worker" >>"$T/worker.log" 2>&1 3>&- &
		pid=$!
		# 0.1 to 1.1 s: sometimes mid-batch, sometimes idle, sometimes catching up.
		sleep "$((RANDOM % 10 + 1)).$((RANDOM % 10))e-1"
		kill -KILL "$pid" 2>/dev/null || self=$((self + 1))
		wait "$pid" 2>/dev/null || true
	done
	load_stop
	note "kill rounds: $rounds, worker killed itself (WORKER_FAULT) in $self," \
		"by the test in $((rounds - self))"
	# A few rounds on a busy machine may end each worker before its first
	# commit; the long run must have hit the injected points.
	[ "$rounds" -lt 20 ] || [ "$(grep -c 'WORKER_FAULT: killing myself' "$T/worker.log")" -ge 1 ]
	worker_start
	wait_projected
	check_exact "kill test"
	[ "$(load_other)" = 0 ]
}

@test "two workers on one read model: nothing applied twice" {
	for i in 1 2 3; do ids+=("$(new_customer "Twin $i")"); done
	wait_projected
	# Small batches, so that the two interleave a lot.
	worker_stop
	WORKER_BATCH=7 "$BIN_DIR/worker" >>"$T/worker.log" 2>&1 3>&- &
	echo $! >"$T/worker.pid"
	WORKER_BATCH=5 "$BIN_DIR/worker" >>"$T/worker2.log" 2>&1 3>&- &
	second=$!
	load_start 4 "${ids[@]}"
	sleep 4
	load_stop
	wait_projected
	kill -TERM "$second"
	wait "$second"
	note "second worker saw the database move $(grep -c 'moved by another writer' "$T/worker2.log") times," \
		"the first $(grep -c 'moved by another writer' "$T/worker.log")"
	check_exact "two workers"
}
