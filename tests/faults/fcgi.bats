#!/usr/bin/env bats
# Fault 3: a FastCGI process SIGKILLed mid-load.  lighttpd starts a new
# one; requests in flight fail cleanly (a 5xx, never a hang), and their
# clients' retries with the same Idempotency-Key make each invoice once;
# nothing is half-written: the stream holds whole events, and the read
# model is exactly what they add up to.

load faults

setup_file() {
	stack_start_user1
}

teardown_file() {
	load_stop 2>/dev/null || true
	stack_stop
}

# children NAME: the pids of lighttpd's FastCGI processes of that program.
children() {
	local p
	for p in $(pgrep -P "$(cat "$VAR_DIR/lighttpd.pid")"); do
		grep -q "$1" "/proc/$p/cmdline" 2>/dev/null && echo "$p"
	done
	true
}

@test "a FastCGI process killed mid-load: a new one comes, failures are clean, nothing half-written" {
	for i in 1 2 3; do ids+=("$(new_customer "Fcgi $i")"); done
	wait_projected
	procs=$(children customers.fcgi | wc -l)
	[ "$procs" -ge 1 ]
	load_start 4 "${ids[@]}"
	# Readers too, so that an accounts process dies with requests in flight.
	reads_start "$A/accounts/1"
	sleep 1
	for round in 1 2 3; do
		victim=$(children customers.fcgi | head -1)
		kill -KILL "$victim"
		kill -KILL "$(children accounts.fcgi | head -1)"
		# lighttpd brings new ones.
		for i in $(seq 100); do
			[ "$(children customers.fcgi | wc -l)" = "$procs" ] &&
				! children customers.fcgi | grep -qx "$victim" && break
			sleep 0.05
		done
		[ "$(children customers.fcgi | wc -l)" = "$procs" ]
		sleep 0.7
	done
	load_stop
	wait_projected

	note "fcgi kills: $(load_count 201) invoices got 201 after $(load_retries) retries" \
		"(failed attempts: $(awk '$1 != 201 { print $1 }' "$T/attempts.all" | sort | uniq -c | paste -sd' '));" \
		"$(load_duplicates "${ids[@]}") duplicates; reads: $(sort "$T/reads" | uniq -c | paste -sd' ')"
	# Failures were clean 5xx answers, none hung (000); retried with
	# their keys, every invoice got its 201.
	[ "$(awk '$1 != 201 && $1 !~ /^5/' "$T/attempts.all" | wc -l)" = 0 ]
	[ "$(grep -cv -E '^(200|5[0-9][0-9])$' "$T/reads")" = 0 ]
	[ "$(load_other)" = 0 ]
	# Every 201 is in the stream, once: no retry made a second invoice.
	[ "$(lost_events)" = 0 ]
	[ "$(load_duplicates "${ids[@]}")" = 0 ]
	stream_invoices "${ids[@]}" >"$T/stream"
	awk '{ s[$1] += $2 } END { for (c in s) printf "%d %.0f\n", c, s[c] }' "$T/stream" |
		sort -n >"$T/stream.totals"
	db_totals "$DB" >"$T/actual"
	diff "$T/stream.totals" "$T/actual"
	# the read model is what the stream adds up to, and a rebuild agrees
	rebuild_copy "$T/rebuilt.db"
	diff <(db_dump "$DB") <(db_dump "$T/rebuilt.db")
	# and the service works again
	req POST "$C/invoices" "{\"customer_id\":\"${ids[0]}\",\"purchase_date\":\"2019-01-06\",\"purchase_price_cents\":1}"
	[ "$code" = 201 ]
}
