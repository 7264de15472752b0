#!/usr/bin/env bats
# Faults 6 and 7: poison and odd entries added by hand, and checkpoint
# files that lie.  (tests/worker.bats has the first cases of both; these
# go further.)  The worker never crashes, never stalls, applies nothing
# twice.

load faults

setup_file() {
	stack_start_user1 RUN_WORKER=0
	export CID=$(new_customer "Poison")
	wait_projected
}

teardown_file() {
	stack_stop
}

dead() { sql "$DB" 'SELECT count(*) FROM dead_letters'; }
skipped() { sql "$DB" 'SELECT unknown_skipped FROM projector_state'; }
xadd() { rcli XADD event-stream '*' "$@" >/dev/null; }
inv() { echo "{\"id\":\"77$RANDOM\",\"customer_id\":\"$CID\",\"purchase_price_cents\":$1,\"created_date\":\"2026-11-30T00:00:00Z\",\"purchase_date\":\"2019-01-06\"}"; }

@test "poison and odd entries: each dead-lettered once or skipped and counted; no crash, no stall" {
	dead0=$(dead) skipped0=$(skipped) rev0=$(revenue_db "$CID")
	pid=$(cat "$T/worker.pid")
	xadd EventTypeName InvoiceCreated Payload 'not json'
	xadd EventTypeName InvoiceCreated Payload '{"id":"1","customer_id":"1"}'	# a field missing
	xadd EventTypeName InvoiceCreated Payload '[1,2,3]'
	xadd EventTypeName InvoiceCreated Payload 'null'
	xadd EventTypeName InvoiceCreated Payload ''
	xadd EventTypeName InvoiceCreated Payload "$(inv -5)"
	xadd EventTypeName InvoiceCreated Payload "$(inv 1.5)"
	xadd EventTypeName InvoiceCreated Payload "$(inv '"7"')"
	xadd EventTypeName InvoiceCreated Payload "$(inv 1e308)"
	xadd EventTypeName InvoiceCreated Payload \
		'{"id":"999","customer_id":"987654321","purchase_price_cents":5,"created_date":"x","purchase_date":"2019-01-06"}'
	xadd EventTypeName CustomerCreated Payload '{"id":"555","account_id":"424242","name":"No account","created_date":"x"}'
	xadd Payload "$(inv 3)"				# no EventTypeName
	xadd EventTypeName InvoiceCreated		# no Payload
	xadd Something else
	# a huge payload: 4 MB of valid JSON (a 4 MB name), and 4 MB of junk
	head -c 4000000 /dev/zero | tr '\0' x | sed 's/.*/{"id":"556","account_id":"1","name":"&","created_date":"x"}/' |
		rcli -x XADD event-stream '*' EventTypeName CustomerCreated Payload >/dev/null
	head -c 4000000 /dev/urandom | rcli -x XADD event-stream '*' EventTypeName InvoiceCreated Payload >/dev/null
	xadd EventTypeName SomethingNew Payload '{}'
	xadd EventTypeName invoicecreated Payload "$(inv 3)"	# types are case-sensitive
	xadd EventTypeName '' Payload '{}'
	new_invoice "$CID" 42
	# poison last in the stream: the worker must still move past it
	xadd EventTypeName InvoiceCreated Payload 'also not json'
	wait_projected
	[ "$(revenue_db "$CID")" = $((rev0 + 42)) ]
	note "poison: $(( $(dead) - dead0 )) dead-lettered, $(( $(skipped) - skipped0 )) skipped as unknown"
	sql "$DB" "SELECT stream_id, event_type, reason FROM dead_letters" | tail -20 >&3
	[ "$(dead)" = $((dead0 + 17)) ]
	[ "$(skipped)" = $((skipped0 + 3)) ]
	[ "$(db_last)" = "$(stream_last)" ]
	[ "$(cat "$T/worker.pid")" = "$pid" ]
	kill -0 "$pid"
	# the service still answers, and nothing was half-applied
	req GET "$A/accounts/1"
	[ "$code" = 200 ]
	[ "$(sql "$DB" 'SELECT count(*) FROM customers WHERE id IN (555, 556)')" = 0 ]
}

@test "killed in the middle of poison: dead letters recorded once each" {
	dead0=$(dead)
	worker_stop
	for i in $(seq 3000); do
		echo "XADD event-stream * EventTypeName InvoiceCreated Payload 'junk $i'"
	done | rcli >/dev/null
	WORKER_BATCH=100 WORKER_FAULT=mid-batch "$BIN_DIR/worker" >>"$T/worker.log" 2>&1 3>&- &
	wait $! 2>/dev/null || true
	grep -q 'WORKER_FAULT: killing myself' "$T/worker.log"
	worker_start
	wait_projected
	[ "$(dead)" = $((dead0 + 3000)) ]
	[ "$(sql "$DB" 'SELECT count(DISTINCT stream_id) FROM dead_letters')" = "$(dead)" ]
}

@test "a payload with a NUL byte is not cut short and applied" {
	rev0=$(revenue_db "$CID")
	{ inv 1000; printf '\0trailing junk'; } | rcli -x XADD event-stream '*' EventTypeName InvoiceCreated Payload >/dev/null
	new_invoice "$CID" 1
	wait_projected
	[ "$(revenue_db "$CID")" = $((rev0 + 1)) ]
}

@test "an old copy of the checkpoint file restored: nothing applied twice" {
	new_invoice "$CID" 5
	wait_projected
	cp "$VAR_DIR/worker.checkpoint" "$T/old.checkpoint"
	for i in 1 2 3; do new_invoice "$CID" 100; done
	wait_projected
	rev=$(revenue_db "$CID")
	worker_stop
	cp "$T/old.checkpoint" "$VAR_DIR/worker.checkpoint"
	new_invoice "$CID" 7
	worker_start
	wait_projected
	[ "$(revenue_db "$CID")" = $((rev + 7)) ]
	grep -q "resuming after $(cat "$T/old.checkpoint") (checkpoint" "$T/worker.log"
	checkpoint_is "$(stream_last)"
}

@test "odd checkpoint files (empty, overflowing, half an id, leftovers): the database's id wins" {
	for cp in '' '99999999999999999999999-0' '1796-' '-1-0' '1796015-0junk' "$(head -c 100 /dev/urandom)"; do
		rev=$(revenue_db "$CID")
		worker_stop
		printf '%s' "$cp" >"$VAR_DIR/worker.checkpoint"
		echo garbage >"$VAR_DIR/worker.checkpoint.4242.tmp"
		new_invoice "$CID" 1
		worker_start
		wait_projected
		[ "$(revenue_db "$CID")" = $((rev + 1)) ] || { echo "checkpoint '$cp': $(revenue_db "$CID"), want $((rev + 1))"; false; }
	done
}

@test "database and checkpoint both missing: replayed from the start, same result" {
	wait_projected
	before=$(db_dump "$DB")
	dead_before=$(dead)
	worker_stop
	rm -f "$DB" "$DB-wal" "$DB-shm" "$VAR_DIR/worker.checkpoint"
	worker_start
	wait_projected
	[ "$(db_dump "$DB")" = "$before" ]
	[ "$(dead)" = "$dead_before" ]
	[ "$(sql "$DB" 'SELECT events_seen FROM projector_state')" = "$(stream_len)" ]
}
