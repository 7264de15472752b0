#!/usr/bin/env bats
# The projector: checkpoint and restart, exactly-once, dead letters,
# rebuild.  This file runs the worker itself (RUN_WORKER=0).

load fixtures

setup_file() {
	# REDIS_TCP=1: a Redis Sentinel (below) watches Redis by TCP only.
	stack_start_user1 RUN_WORKER=0 REDIS_TCP=1
}

teardown_file() {
	stop_pidfile "$T/sentinel1.pid"
	stop_pidfile "$T/sentinel2.pid"
	stop_pidfile "$T/sentinel3.pid"
	stop_pidfile "$T/replica.pid"
	stack_stop
}

@test "the checkpoint file holds the last applied id, written atomically" {
	checkpoint_is "$(stream_last)"
	[ "$(db_last)" = "$(stream_last)" ]
	! compgen -G "$VAR_DIR/worker.checkpoint.*"
}

@test "stopped worker: events wait in the stream, and each is applied once after restart" {
	cid=$(new_customer "Restart")
	new_invoice "$cid" 100
	wait_projected
	worker_stop
	for i in 1 2 3 4 5; do new_invoice "$cid" 1000; done
	[ "$(revenue_api "$cid")" = 100 ]
	req GET "$A/status"
	[ "$(jq .lag <<<"$body")" = 5 ]
	worker_start
	wait_projected
	[ "$(revenue_api "$cid")" = 5100 ]
	# a restart with nothing new changes nothing
	worker_stop
	worker_start
	sleep 0.5
	[ "$(revenue_api "$cid")" = 5100 ]
}

@test "a stale checkpoint file (an old copy) applies nothing twice" {
	cid=$(new_customer "Stale")
	new_invoice "$cid" 7
	wait_projected
	worker_stop
	echo 0-0 >"$VAR_DIR/worker.checkpoint"
	new_invoice "$cid" 5
	worker_start
	wait_projected
	[ "$(revenue_api "$cid")" = 12 ]
	checkpoint_is "$(stream_last)"
}

@test "a garbage or missing checkpoint file: the database's id wins" {
	cid=$(new_customer "Garbage")
	new_invoice "$cid" 3
	wait_projected
	worker_stop
	echo 'not an id' >"$VAR_DIR/worker.checkpoint"
	new_invoice "$cid" 4
	worker_start
	wait_projected
	[ "$(revenue_api "$cid")" = 7 ]
	worker_stop
	rm "$VAR_DIR/worker.checkpoint"
	new_invoice "$cid" 5
	worker_start
	wait_projected
	[ "$(revenue_api "$cid")" = 12 ]
}

@test "a checkpoint past the database (restored older database) does not skip events" {
	cid=$(new_customer "Ahead")
	wait_projected
	worker_stop
	echo "99999999999999-0" >"$VAR_DIR/worker.checkpoint"
	new_invoice "$cid" 9
	worker_start
	wait_projected
	[ "$(revenue_api "$cid")" = 9 ]
}

@test "poison entries go to dead_letters; unknown types are skipped and counted; the worker goes on" {
	cid=$(new_customer "AfterPoison")
	rcli XADD event-stream '*' EventTypeName InvoiceCreated Payload 'not json' >/dev/null
	rcli XADD event-stream '*' EventTypeName InvoiceCreated Payload '{"id":"1"}' >/dev/null
	rcli XADD event-stream '*' EventTypeName InvoiceCreated Payload \
		'{"id":"999","customer_id":"987654","purchase_price_cents":5,"created_date":"2026-11-30T00:00:00Z","purchase_date":"2019-01-06"}' >/dev/null
	rcli XADD event-stream '*' Payload '{}' >/dev/null
	rcli XADD event-stream '*' EventTypeName SomethingNew Payload '{}' >/dev/null
	rcli XADD event-stream '*' EventTypeName CustomerCreated Payload "$(head -c 100000 /dev/zero | tr '\0' x)" >/dev/null
	new_invoice "$cid" 42
	wait_projected
	[ "$(revenue_api "$cid")" = 42 ]
	[ "$(sql "$DB" 'SELECT count(*) FROM dead_letters')" = 5 ]
	sql "$DB" 'SELECT reason FROM dead_letters' | grep -q 'not valid JSON'
	sql "$DB" 'SELECT reason FROM dead_letters' | grep -q 'customer 987654 unknown'
	sql "$DB" 'SELECT reason FROM dead_letters' | grep -q 'lacks EventTypeName'
	[ "$(sql "$DB" 'SELECT unknown_skipped FROM projector_state')" = 1 ]
	grep -q 'dead letter' "$T/worker.log"
}

@test "SIGTERM: the worker exits 0 within a second" {
	worker_stop
	"$BIN_DIR/worker" >>"$T/worker.log" 2>&1 3>&- &
	pid=$!
	sleep 0.5
	start=$(date +%s%N)
	kill -TERM "$pid"
	wait "$pid"
	rc=$?
	[ "$rc" = 0 ]
	[ "$(ms_since "$start")" -lt 1000 ]
	worker_start
}

# Every row the read model serves, in a fixed order.
read_model_rows() {
	sql "$DB" 'SELECT * FROM accounts ORDER BY id' \
		'SELECT * FROM customers ORDER BY id'
}

@test "worker --rebuild gives the same GET /accounts, also from no database at all" {
	# Effects the read model refuses (FOREIGN KEY, UNIQUE), which SQLite
	# must undo in the rebuild's file as in the live one.
	cid=$(new_customer "BeforeRebuild")
	rcli XADD event-stream '*' EventTypeName AccountDeleted Payload '{"id":"1"}' >/dev/null
	rcli XADD event-stream '*' EventTypeName AccountCreated Payload \
		'{"id":"1","name":"again","description":"d","owned_by":"user1","created_date":"2026-11-30T00:00:00Z"}' >/dev/null
	new_invoice "$cid" 7 >/dev/null
	wait_projected
	before=$(curl -sf "$A/accounts" -H "Authorization: Bearer $TOKEN")
	rows_before=$(read_model_rows)
	[ -n "$rows_before" ]
	sql "$DB" 'SELECT reason FROM dead_letters' | grep -q 'FOREIGN KEY'
	sql "$DB" 'SELECT reason FROM dead_letters' | grep -q 'UNIQUE'
	dead_before=$(sql "$DB" 'SELECT count(*) FROM dead_letters')
	"$BIN_DIR/worker" --rebuild 2>>"$T/worker.log" 3>&-
	[ "$(curl -sf "$A/accounts" -H "Authorization: Bearer $TOKEN")" = "$before" ]
	[ "$(read_model_rows)" = "$rows_before" ]
	[ "$(sql "$DB" 'SELECT count(*) FROM dead_letters')" = "$dead_before" ]
	[ "$(db_last)" = "$(stream_last)" ]

	worker_stop
	rm -f "$DB" "$DB-wal" "$DB-shm" "$VAR_DIR/worker.checkpoint"
	"$BIN_DIR/worker" --rebuild 2>>"$T/worker.log" 3>&-
	[ "$(curl -sf "$A/accounts" -H "Authorization: Bearer $TOKEN")" = "$before" ]
	[ "$(read_model_rows)" = "$rows_before" ]
	worker_start
}

@test "a read model of another layout (an older version's) is rebuilt from the stream at start" {
	wait_projected
	before=$(curl -sf "$A/accounts" -H "Authorization: Bearer $TOKEN")
	worker_stop
	# As the worker's own user: a file of root's would be one it cannot write.
	owner=$(stat -c %U "$DB")
	runuser -u "$owner" -- sqlite3 "$DB" 'PRAGMA user_version = 1' 2>/dev/null ||
		sqlite3 "$DB" 'PRAGMA user_version = 1'
	worker_start
	wait_projected
	grep -q "another version's layout; rebuilding it" "$T/worker.log"
	[ "$(sql "$DB" 'PRAGMA user_version')" = "$(sed -n 's/^PRAGMA user_version = \([0-9]*\);$/\1/p' "$ROOT/db/schema.sql")" ]
	[ "$(curl -sf "$A/accounts" -H "Authorization: Bearer $TOKEN")" = "$before" ]
}

@test "a layout 4 file (account totals kept by triggers) is rebuilt at start: no trigger left, each total counted once" {
	cid=$(new_customer "Layout4")
	new_invoice "$cid" 300
	wait_projected
	before=$(curl -sf "$A/accounts" -H "Authorization: Bearer $TOKEN")
	worker_stop
	# What layout 4 had on top of today's tables; left there, its
	# triggers would count every invoice twice.
	layout4="
	    CREATE TRIGGER account_total_follows AFTER UPDATE OF total_revenue_cents ON customers
	    BEGIN UPDATE accounts SET total_revenue_cents = total_revenue_cents
	        + (NEW.total_revenue_cents - OLD.total_revenue_cents) WHERE id = NEW.account_id; END;
	    CREATE TRIGGER account_total_loses AFTER DELETE ON customers
	    BEGIN UPDATE accounts SET total_revenue_cents = total_revenue_cents
	        - OLD.total_revenue_cents WHERE id = OLD.account_id; END;
	    PRAGMA user_version = 4;"
	owner=$(stat -c %U "$DB")
	runuser -u "$owner" -- sqlite3 "$DB" "$layout4" 2>/dev/null || sqlite3 "$DB" "$layout4"
	rebuilt=$(grep -c "another version's layout; rebuilding it" "$T/worker.log")
	swapped=$(grep -c "rebuilt $DB from" "$T/worker.log" || true)
	worker_start
	# The old file already has the stream's last id: wait_projected alone
	# would not wait for the new one.
	for i in $(seq 100); do
		[ "$(grep -c "rebuilt $DB from" "$T/worker.log")" -gt "$swapped" ] && break
		sleep 0.1
	done
	wait_projected
	[ "$(grep -c "another version's layout; rebuilding it" "$T/worker.log")" = $((rebuilt + 1)) ]
	[ "$(sql "$DB" "SELECT count(*) FROM sqlite_schema WHERE type = 'trigger'")" = 0 ]
	[ "$(curl -sf "$A/accounts" -H "Authorization: Bearer $TOKEN")" = "$before" ]
	new_invoice "$cid" 5
	wait_projected
	[ "$(revenue_api "$cid")" = 305 ]
	[ "$(totals_off)" = 0 ]
}

@test "worker --rebuild while the worker runs and writes continue: nothing lost or doubled" {
	cid=$(new_customer "DuringRebuild")
	for i in $(seq 20); do new_invoice "$cid" 1; done &
	"$BIN_DIR/worker" --rebuild 2>>"$T/worker.log" 3>&-
	wait
	wait_projected
	[ "$(revenue_api "$cid")" = 20 ]
}

@test "GET /accounts: each process answers from its cache only while the read model is unchanged" {
	cid=$(new_customer "Cached")
	wait_projected
	total() {
		curl -sf "$A/accounts" -H "Authorization: Bearer $TOKEN" |
			jq ".[0].customers[] | select(.customer_id == \"$cid\") | .total_revenue_cents"
	}
	# Enough reads that every FastCGI process answers, and keeps its answer.
	for i in $(seq 16); do [ "$(total)" = 0 ]; done
	new_invoice "$cid" 7
	wait_projected
	for i in $(seq 16); do [ "$(total)" = 7 ]; done
	# A new file under the same name: the processes reopen it.
	worker_stop
	rm -f "$DB" "$DB-wal" "$DB-shm" "$VAR_DIR/worker.checkpoint"
	new_invoice "$cid" 5
	"$BIN_DIR/worker" --rebuild 2>>"$T/worker.log" 3>&-
	for i in $(seq 16); do [ "$(total)" = 12 ]; done
	worker_start
}

@test "the worker runs at WORKER_NICE, 10 unless told, and refuses a bad one or a bad WORKER_CATCHUP_SHARE" {
	[ "$(ps -o ni= -p "$(cat "$T/worker.pid")" | tr -d ' ')" = 10 ]
	run env WORKER_NICE=20 "$BIN_DIR/worker" 3>&-
	[ "$status" = 1 ]
	[[ $output == *"WORKER_NICE=20 is not a number from 0 to 19"* ]]
	run env WORKER_CATCHUP_SHARE=0 "$BIN_DIR/worker" 3>&-
	[ "$status" = 1 ]
	[[ $output == *"WORKER_CATCHUP_SHARE=0 is not a number from 1 to 100"* ]]
}

# reconciliations: projector_reconciliations_total, from the accounts service.
reconciliations() {
	curl -sf "$A/metrics" | awk '$1 == "projector_reconciliations_total" { print $2 }'
}

# customer_of_120 NAME: a customer with invoices of 100 and 20, projected.
customer_of_120() {
	local cid
	cid=$(new_customer "$1") || return 1
	new_invoice "$cid" 100 >/dev/null || return 1
	new_invoice "$cid" 20 >/dev/null || return 1
	wait_projected || return 1
	echo "$cid"
}

@test "a stream that lost what the read model applied (a failover, an older backup) is caught at the next read, and the read model rebuilt" {
	cid=$(customer_of_120 "Lost")
	before=$(reconciliations)
	# The last invoice goes from the stream.
	lose_last_event "$cid" 100
	[ "$(db_last)" = "$(stream_last)" ]
	grep -q "the stream no longer has .* rebuilding from the archive and the stream" "$T/worker.log"
	[ "$(reconciliations)" = $((before + 1)) ]
	# Writes go on, applied once each.
	new_invoice "$cid" 3
	wait_projected
	[ "$(revenue_db "$cid")" = 103 ]
}

@test "a lost event is caught even when new events came after it and the connection stayed (a node resynced under it)" {
	cid=$(customer_of_120 "Masked")
	before=$(reconciliations)
	worker=$(cat "$T/worker.pid")
	kill -STOP "$worker"
	# The stream loses the last invoice and gains a newer one, while the
	# worker's connection stays open: nothing tells it but the stream.
	rcli XDEL event-stream "$(stream_last)" >/dev/null
	new_invoice "$cid" 3
	kill -CONT "$worker"
	for i in $(seq 100); do
		[ "$(db_last)" = "$(stream_last)" ] && [ "$(revenue_db "$cid")" = 103 ] && break
		sleep 0.1
	done
	# 103, not 123: the lost 20 is gone from the read model too.
	[ "$(revenue_db "$cid")" = 103 ]
	[ "$(db_last)" = "$(stream_last)" ]
	[ "$(reconciliations)" = $((before + 1)) ]
}

# sentinel_start N PORT MASTER_PORT: a Sentinel on PORT that names the
# primary "m" as 127.0.0.1:MASTER_PORT, with the stack's passwords.
sentinel_start() {
	{
		echo "port $2"
		echo "bind 127.0.0.1"
		echo "dir $T"
		echo "aclfile $VAR_DIR/sentinel-users.acl"
		echo "sentinel monitor m 127.0.0.1 $3 1"
		echo "sentinel auth-user m monitor"
		echo "sentinel auth-pass m $(cat "$VAR_DIR/redis-monitor.pass")"
	} >"$T/sentinel$1.conf"
	redis-sentinel "$T/sentinel$1.conf" --logfile "$T/sentinel$1.log" 3>&- &
	echo $! >"$T/sentinel$1.pid"
	for i in $(seq 100); do
		[ "$(REDISCLI_AUTH=$(cat "$VAR_DIR/redis-discovery.pass") redis-cli --user discovery -p "$2" \
			SENTINEL get-master-addr-by-name m 2>/dev/null | tail -1)" = "$3" ] && return 0
		sleep 0.05
	done
	return 1
}

@test "a Sentinel that names a node that is gone (stale, cut off): the worker asks the next one first, and follows the primary" {
	worker_stop
	gone=$(free_port) s1=$(free_port) s2=$(free_port)
	sentinel_start 1 "$s1" "$gone"
	sentinel_start 2 "$s2" "$REDIS_PORT"
	cid=$(new_customer "Via the second Sentinel")
	REDIS_SENTINELS=127.0.0.1:$s1,127.0.0.1:$s2 REDIS_MASTER_NAME=m worker_start
	db_caught_up
	[ "$(sql "$DB" "SELECT name FROM customers WHERE id = $cid")" = "Via the second Sentinel" ]
	# The first Sentinel was asked first, and its node failed once.
	[ "$(grep -c "redis 127.0.0.1:$gone:" "$T/worker.log")" = 1 ]
	worker_stop
	stop_pidfile "$T/sentinel1.pid"
	stop_pidfile "$T/sentinel2.pid"
	worker_start
}

@test "scripts/redis-cli past a Sentinel that names a node that is gone, or a replica: the next Sentinel's primary" {
	gone=$(free_port) rep=$(free_port) s1=$(free_port) s2=$(free_port) s3=$(free_port)
	# A replica of the primary, as an old primary back after a failover
	# is, which a stale Sentinel still names.
	replica_start "$rep"
	sentinel_start 1 "$s1" "$gone"
	sentinel_start 2 "$s2" "$REDIS_PORT"
	sentinel_start 3 "$s3" "$rep"
	cli() { env REDIS_SENTINELS="$1" REDIS_MASTER_NAME=m "$ROOT/scripts/redis-cli" ROLE; }
	for i in $(seq 100); do
		[ "$(REDIS_SENTINELS=127.0.0.1:$s3 cli "127.0.0.1:$s3" | head -1)" = slave ] && break
		sleep 0.05
	done
	run cli "127.0.0.1:$s1,127.0.0.1:$s2"
	r1=$output
	run cli "127.0.0.1:$s3,127.0.0.1:$s2"
	r3=$output
	run cli "127.0.0.1:$s1,127.0.0.1:$s3"
	none=$status none_out=$output
	stop_pidfile "$T/sentinel1.pid"
	stop_pidfile "$T/sentinel2.pid"
	stop_pidfile "$T/sentinel3.pid"
	stop_pidfile "$T/replica.pid"
	[ "$(head -1 <<<"$r1")" = master ] || { echo "past a node that is gone: $r1" >&2; false; }
	[ "$(head -1 <<<"$r3")" = master ] || { echo "past a replica: $r3" >&2; false; }
	# No Sentinel names a primary: said, not a connection to a replica.
	[ "$none" = 1 ]
	[[ $none_out == "redis-cli: no Sentinel of "* ]]
}

@test "worker --help and --version" {
	run "$BIN_DIR/worker" --help
	[ "$status" = 0 ]
	[[ $output == *--rebuild* ]]
	run "$BIN_DIR/worker" --version
	[[ $output == "worker "* ]]
	run "$BIN_DIR/worker" --bogus
	[ "$status" = 1 ]
}
