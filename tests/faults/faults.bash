# What only the fault tests need, on top of the fixtures: a write load
# that records every answer, and the checks that nothing was lost or
# counted twice.

load ../fixtures

# load_start CLIENTS CUSTOMER_ID...: each client posts invoices of random
# amounts to random customers until load_stop, and writes one line per
# request to $T/load.N: "<http code> <customer> <cents> <event id> <seconds>".
load_start() {
	local n=$1 i
	shift
	rm -f "$T"/load.* "$T/load-stop"
	for i in $(seq "$n"); do
		load_client "$i" "$@" 3>&- &
		echo $! >>"$T/load-pids"
	done
}
# One curl per 25 requests (keep-alive), so that the load is heavy enough.
load_client() {
	local i=$1 j cid cents cfg=$T/load-cfg.$1
	shift
	local ids=("$@")
	while [ ! -e "$T/load-stop" ]; do
		: >"$cfg"
		: >"$cfg.sent"
		for j in $(seq 25); do
			cid=${ids[RANDOM % ${#ids[@]}]}
			cents=$((1 + RANDOM * 32768 + RANDOM))
			echo "$cid $cents" >>"$cfg.sent"
			# -m 5: a hung request shows as 000, and fails the checks.
			printf '%s\n' "url = \"$C/invoices\"" "request = POST" \
				"header = \"Authorization: Bearer $TOKEN\"" \
				"data = \"{\\\"customer_id\\\":\\\"$cid\\\",\\\"purchase_date\\\":\\\"2019-01-06\\\",\\\"purchase_price_cents\\\":$cents}\"" \
				"max-time = 5" "write-out = \"\\n@@ %{http_code} %{time_total}\\n\"" next >>"$cfg"
		done
		curl -s -K "$cfg" >"$cfg.out" 2>/dev/null || true
		# Pair each answer with what was sent; a missing answer counts as 000.
		awk 'NR == FNR { sent[NR] = $0; n = NR; next }
		    /^@@ / { k++; print $2, sent[k], (id != "" ? id : "-"), $3; id = ""; next }
		    match($0, /"event_id":"[0-9]+-[0-9]+"/) { id = substr($0, RSTART + 12, RLENGTH - 13) }
		    END { while (k < n) print "000", sent[++k], "-", 0 }' \
		    "$cfg.sent" "$cfg.out" >>"$T/load.$i"
	done
}
# reads_start URL: after load_start, a client GETs URL until load_stop,
# and writes one HTTP code a line to $T/reads (000: no answer in 5 s).
reads_start() {
	( while [ ! -e "$T/load-stop" ]; do
		curl -s -m 5 -o /dev/null -w '%{http_code}\n' "$1" \
			-H "Authorization: Bearer $TOKEN" >>"$T/reads" || true
	done ) 3>&- &
	echo $! >>"$T/load-pids"
}
load_stop() {
	touch "$T/load-stop"
	local pid
	for pid in $(cat "$T/load-pids" 2>/dev/null); do wait "$pid" 2>/dev/null || true; done
	rm -f "$T/load-pids"
	cat "$T"/load.[0-9]* >"$T/load.all" 2>/dev/null || : >"$T/load.all"
}
load_count() { awk -v c="$1" '$1 == c' "$T/load.all" | wc -l; }
load_other() { awk '$1 != 201' "$T/load.all" | wc -l; }

# The sum of the 201s per customer, "id total" sorted by id.
expected_totals() {
	awk '$1 == 201 { s[$2] += $3 } END { for (c in s) printf "%d %.0f\n", c, s[c] }' "$T/load.all" | sort -n
}
# The same customers' totals in a read model file.
db_totals() {
	local ids
	ids=$(expected_totals | awk '{ print $1 }' | paste -sd,)
	sql -separator ' ' "$1" "SELECT id, total_revenue_cents FROM customers WHERE id IN ($ids) ORDER BY id"
}

# The 201s whose event id is not in the stream: prints their count.
lost_events() {
	rcli --raw XRANGE event-stream - + | grep -E '^[0-9]+-[0-9]+$' | sort >"$T/stream.ids"
	awk '$1 == 201 { print $4 }' "$T/load.all" | sort | comm -23 - "$T/stream.ids" | wc -l
}

# Read model copies: a fresh `worker --rebuild` into another file.
rebuild_copy() {
	rm -f "$1" "$1-wal" "$1-shm"
	ACCOUNTS_DB=$1 CHECKPOINT_FILE=$1.checkpoint WORKER_STATUS_FILE=$1.status \
		"$BIN_DIR/worker" --rebuild 2>>"$T/rebuild.log" 3>&-
}
# Everything a read model says about accounts and customers.
db_dump() {
	sql "$1" 'SELECT * FROM accounts ORDER BY id; SELECT * FROM customers ORDER BY id;'
}

