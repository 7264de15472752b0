# What only the fault tests need, on top of the fixtures: a write load
# that records every answer, and the checks that nothing was lost or
# counted twice.

load ../fixtures

# load_start CLIENTS CUSTOMER_ID...: each client posts invoices of random
# amounts to random customers until load_stop, each with an
# Idempotency-Key of its own, and retries every 5xx or unanswered one
# with its key, as a client should, until it gets an answer that is not
# (up to LOAD_RETRIES times).  One line per invoice in $T/load.N:
# "<http code> <customer> <cents> <event id> <seconds> <key> <attempts>",
# with the last answer.
# Every attempt also goes to $T/attempts.N: "<http code> <seconds>".
LOAD_RETRIES=${LOAD_RETRIES:-100}
load_start() {
	local n=$1 i
	shift
	rm -f "$T"/load.* "$T"/attempts.* "$T/load-stop"
	# Keys of this load alone: a key of an earlier one names another request.
	LOAD_RUN=$(date +%s%N)
	for i in $(seq "$n"); do
		load_client "$i" "$@" 3>&- &
		echo $! >>"$T/load-pids"
	done
}
# One curl per 25 requests (keep-alive), so that the load is heavy enough:
# the retries first, then new invoices while the load goes on.
load_client() {
	local i=$1 cfg=$T/load-cfg.$1 made=0 cid cents key tries
	shift
	local ids=("$@")
	: >"$cfg.retry"
	while [ ! -e "$T/load-stop" ] || [ -s "$cfg.retry" ]; do
		head -25 "$cfg.retry" >"$cfg.sent"
		tail -n +26 "$cfg.retry" >"$cfg.rest"
		while [ ! -e "$T/load-stop" ] && [ "$(wc -l <"$cfg.sent")" -lt 25 ]; do
			made=$((made + 1))
			echo "${ids[RANDOM % ${#ids[@]}]} $((1 + RANDOM * 32768 + RANDOM)) $LOAD_RUN-$i-$made 0" >>"$cfg.sent"
		done
		: >"$cfg"
		while read -r cid cents key tries; do
			# -m 5: a hung request shows as 000, and is retried.
			printf '%s\n' "url = \"$C/invoices\"" "request = POST" \
				"header = \"Authorization: Bearer $TOKEN\"" \
				"header = \"Idempotency-Key: $key\"" \
				"data = \"{\\\"customer_id\\\":\\\"$cid\\\",\\\"purchase_date\\\":\\\"2019-01-06\\\",\\\"purchase_price_cents\\\":$cents}\"" \
				"max-time = 5" "write-out = \"\\n@@ %{http_code} %{time_total}\\n\"" next >>"$cfg"
		done <"$cfg.sent"
		curl -s -K "$cfg" >"$cfg.out" 2>/dev/null || true
		# Pair each answer with what was sent; a missing answer is 000.
		# Kept: the final ones; again: 5xx and 000, while tries remain.
		awk -v kept="$T/load.$i" -v again="$cfg.rest" -v most="$LOAD_RETRIES" \
		    -v tried="$T/attempts.$i" '
		    NR == FNR { sent[NR] = $0; n = NR; next }
		    /^@@ / { answer($2, $3); next }
		    match($0, /"event_id":"[0-9]+-[0-9]+"/) { id = substr($0, RSTART + 12, RLENGTH - 13) }
		    END { while (k < n) answer("000", 0) }
		    function answer(code, secs,   f) {
			split(sent[++k], f, " ")
			print code, secs >>tried
			if ((code ~ /^5/ || code == "000") && f[4] < most)
				print f[1], f[2], f[3], f[4] + 1 >>again
			else
				print code, f[1], f[2], (id != "" ? id : "-"), secs, f[3], f[4] + 1 >>kept
			id = ""
		    }' "$cfg.sent" "$cfg.out"
		mv "$cfg.rest" "$cfg.retry"
		# Failures: give what failed a moment before the retry.
		[ -s "$cfg.retry" ] && sleep 0.1
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
	cat "$T"/attempts.[0-9]* >"$T/attempts.all" 2>/dev/null || : >"$T/attempts.all"
}
load_count() { awk -v c="$1" '$1 == c' "$T/load.all" | wc -l; }
load_other() { awk '$1 != 201' "$T/load.all" | wc -l; }
# The retries the clients made: attempts beyond each invoice's first.
load_retries() { awk '{ n += $7 - 1 } END { print n + 0 }' "$T/load.all"; }

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

# The stream's invoices of the given customers: "customer cents" lines.
stream_invoices() {
	rcli --raw XRANGE event-stream - + |
		awk 'prev == "Payload" && $0 ~ /purchase_price_cents/ { print } { prev = $0 }' |
		jq -r '"\(.customer_id) \(.purchase_price_cents)"' |
		awk -v ids=" $* " 'index(ids, " " $1 " ")'
}

# load_duplicates CUSTOMER...: invoices in the stream for those
# customers beyond the load's 201s (the customers get nothing else).
load_duplicates() {
	echo $(($(stream_invoices "$@" | wc -l) - $(load_count 201)))
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

