#!/usr/bin/env bats
# Fault 8: `worker --rebuild` while writes go on and the worker runs.  It
# shows its progress on a terminal, swaps the new file in atomically
# (readers never fail), and afterwards GET /accounts equals the live
# projection, which is exact.

load faults

setup_file() {
	stack_start_user1
}

teardown_file() {
	load_stop 2>/dev/null || true
	kill -CONT "$(cat "$VAR_DIR/worker.pid" 2>/dev/null)" 2>/dev/null || true
	stack_stop
}

@test "rebuild under load: progress on a terminal, atomic swap, same GET /accounts as the live projection" {
	for i in 1 2 3; do ids+=("$(new_customer "Rebuild $i")"); done
	# A long stream, so that the rebuild takes a while: 25000 invoices.
	for i in $(seq 25000); do
		echo "XADD event-stream * EventTypeName InvoiceCreated Payload" \
			"'{\"id\":\"$((800000000 + i))\",\"customer_id\":\"${ids[0]}\",\"purchase_price_cents\":1,\"created_date\":\"2026-11-30T00:00:00Z\",\"purchase_date\":\"2019-01-06\"}'"
	done | rcli >/dev/null
	wait_projected
	load_start 3 "${ids[@]}"
	reads_start "$A/accounts"
	sleep 0.5
	# script(1) gives the rebuild a terminal.
	script -qefc "$BIN_DIR/worker --rebuild" "$T/typescript" >/dev/null 2>&1 3>&-
	sleep 0.5
	load_stop
	tr '\r' '\n' <"$T/typescript" | grep '^rebuild:' >"$T/progress"
	note "rebuild: $(wc -l <"$T/progress") progress lines, last: $(tail -1 "$T/progress")"
	note "rebuild under load: $(load_count 201) invoices got 201; reads: $(sort "$T/reads" | uniq -c | paste -sd' ')"
	# events done out of the stream's length, rate, time left; some before the end
	grep -qE '^rebuild: [0-9]+/[0-9]+ events, [0-9]+/s, [0-9]+ s left' "$T/progress"
	awk -F'[ /]' '$2 < $3' "$T/progress" | grep -q .
	grep -q 'rebuilt' "$T/typescript"
	# readers never saw a failure during the swap
	[ "$(grep -cvx 200 "$T/reads")" = 0 ]
	[ "$(load_other)" = 0 ]
	wait_projected
	# the live projection is exact, and equals a fresh rebuild
	expected_totals | awk -v c="${ids[0]}" '$1 == c { $2 = sprintf("%.0f", $2 + 25000) } { print }' >"$T/expected"
	db_totals "$DB" >"$T/actual"
	diff "$T/expected" "$T/actual"
	live=$(curl -sf "$A/accounts" -H "Authorization: Bearer $TOKEN")
	worker_pid=$(cat "$VAR_DIR/worker.pid")
	kill -STOP "$worker_pid"
	"$BIN_DIR/worker" --rebuild 2>>"$T/rebuild.log" 3>&-
	rebuilt=$(curl -sf "$A/accounts" -H "Authorization: Bearer $TOKEN")
	kill -CONT "$worker_pid"
	[ "$live" = "$rebuilt" ]
}
