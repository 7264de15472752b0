#!/usr/bin/env bats
# Fault 2: Redis killed (SIGKILL) under load and restarted by make run
# (AOF on).  No 201 lost; meanwhile writes answer 503 fast, and clients
# retrying with their Idempotency-Keys make each invoice once; reads go
# on, /status says what is down; afterwards every process reconnects by
# itself.  A killed worker is restarted too.

load faults

setup_file() {
	# A long restart delay, cut short by restart_now once the outage has
	# been looked at: on a loaded machine any fixed window can be too short.
	stack_start_user1 RESTART_DELAY=120
}

teardown_file() {
	load_stop 2>/dev/null || true
	stack_stop
}

# post_invoice CUSTOMER: sets $code and $took (seconds).
post_invoice() {
	local out
	out=$(curl -s -m 5 -o /dev/null -w '%{http_code} %{time_total}' -X POST "$C/invoices" \
		-H "Authorization: Bearer $TOKEN" \
		-d "{\"customer_id\":\"$1\",\"purchase_date\":\"2019-01-06\",\"purchase_price_cents\":1}")
	code=${out% *}
	took=${out#* }
}

# Ends run.sh's wait before a restart, as if RESTART_DELAY had run out.
restart_now() {
	local i nap
	for i in $(seq 100); do
		nap=$(pgrep -P "$(cat "$T/run.pid")" -x sleep) && break
		sleep 0.1
	done
	[ -n "$nap" ] && kill "$nap"
}

fcgi_pids() { pgrep -P "$(cat "$VAR_DIR/lighttpd.pid")" | sort | paste -sd' '; }

@test "the default appendfsync is everysec" {
	[ "$(rcli CONFIG GET appendfsync | tail -1)" = everysec ]
	[ "$(rcli CONFIG GET appendonly | tail -1)" = yes ]
}

@test "Redis killed under load: no 201 lost, 503 fast while down, reads go on, all reconnect" {
	for i in 1 2 3 4; do ids+=("$(new_customer "Outage $i")"); done
	wait_projected
	worker=$(cat "$VAR_DIR/worker.pid")
	fcgi=$(fcgi_pids)
	old_redis=$(cat "$VAR_DIR/redis.pid")
	load_start 2 "${ids[@]}"
	sleep 1
	kill -KILL "$old_redis"
	sleep 0.3

	# Down: each write is a 503 within a second, reads are served.
	for i in 1 2 3 4 5; do
		post_invoice "${ids[0]}"
		echo "probe $i: $code in $took s"
		[ "$code" = 503 ]
		awk -v t="$took" 'BEGIN { exit !(t < 1.0) }'
	done
	req GET "$A/accounts/1"
	[ "$code" = 200 ]
	req GET "$A/status"
	echo "$code $body"
	[ "$code" = 503 ]
	[ "$(jq -r .redis <<<"$body")" = unavailable ]
	[ "$(jq -r .read_model <<<"$body")" = ok ]
	[ "$(jq -r .worker <<<"$body")" = "redis unavailable" ]
	req GET "$C/status"
	echo "customers /status: $code $body"
	[ "$code" = 503 ]
	grep -q 'redis exited' "$T/run.log"
	# All of the above happened while Redis was down, not after its restart.
	! rcli ping 2>/dev/null | grep -q PONG

	# Back (run.sh restarts it): writes succeed again, without restarts.
	restart_now
	for i in $(seq 200); do
		post_invoice "${ids[0]}"
		[ "$code" = 201 ] && break
		sleep 0.1
	done
	[ "$code" = 201 ]
	[ "$(cat "$VAR_DIR/redis.pid")" != "$old_redis" ]
	sleep 1
	load_stop
	wait_projected
	[ "$(cat "$VAR_DIR/worker.pid")" = "$worker" ]
	[ "$(fcgi_pids)" = "$fcgi" ]
	req GET "$A/status"
	[ "$(jq -r .worker <<<"$body")" = ok ]

	# Nothing lost: every 201 is in the stream and counted once.  The
	# clients retried each 503 with its key until the 201.
	note "redis outage: $(load_count 201) invoices got 201 after $(load_retries) retries" \
		"($(awk '$1 == 503' "$T/attempts.all" | wc -l) answers 503)," \
		"$(load_other) never; $(lost_events) lost; duplicates" \
		"$(($(load_duplicates "${ids[@]}") - 1))"
	[ "$(lost_events)" = 0 ]
	[ "$(load_other)" = 0 ]
	# Every failed attempt was a clean 503, and came within a second.
	[ "$(awk '$1 != 201 && $1 != 503' "$T/attempts.all" | wc -l)" = 0 ]
	awk '$1 == 503 && $2 >= 1.0 { bad++ } END { exit bad > 0 }' "$T/attempts.all"
	# One event an invoice (and the one probe that got through): no
	# retry appended a second.
	[ "$(load_duplicates "${ids[@]}")" = 1 ]
	expected_totals >"$T/expected"
	# (plus the five probes above and the one that got through)
	db_totals "$DB" | awk -v c="${ids[0]}" '$1 == c { $2 = sprintf("%.0f", $2 - 1) } { print }' >"$T/actual"
	diff "$T/expected" "$T/actual"
}

@test "the worker killed under make run is restarted, and resumes where it was" {
	old=$(cat "$VAR_DIR/worker.pid")
	kill -KILL "$old"
	restart_now
	cid=$(new_customer "After worker kill")
	req POST "$C/invoices" "{\"customer_id\":\"$cid\",\"purchase_date\":\"2019-01-06\",\"purchase_price_cents\":321}"
	[ "$code" = 201 ]
	for i in $(seq 200); do
		new=$(cat "$VAR_DIR/worker.pid")
		[ "$new" != "$old" ] && kill -0 "$new" && break
		sleep 0.1
	done
	[ "$new" != "$old" ]
	grep -q 'worker exited' "$T/run.log"
	wait_projected
	[ "$(revenue_db "$cid")" = 321 ]
}
