#!/usr/bin/env bats
# A bounded Redis: setup sets maxmemory (REDIS_MAXMEMORY) with noeviction;
# full, it refuses every write before its Function runs, and the services
# answer 503 with Retry-After, nothing done; reads go on; raised, writes
# come back.  /metrics and /status show memory against maxmemory.

load fixtures

setup_file() {
	# RATE_PER_USER=0: the fill is one user's, and must not meet 429.
	stack_start_user1 REDIS_MAXMEMORY=64mb RATE_PER_USER=0
}

teardown_file() {
	stack_stop
}

info_memory() { rcli INFO memory | tr -d '\r' | awk -F: -v f="$1" '$1 == f { print $2 }'; }

# posts N CUSTOMER KEYPREFIX: N POST /invoices, 8 at a time, each with a
# key of its own; the count of each status in $T/posts.
posts() {
	local i cfg=$T/posts.cfg
	: >"$cfg"
	for i in $(seq "$1"); do
		[ "$i" = 1 ] || echo next >>"$cfg"
		printf '%s\n' "url = \"$C/invoices\"" 'request = "POST"' \
			"header = \"Authorization: Bearer $TOKEN\"" \
			"header = \"Idempotency-Key: $3-$i-$RANDOM$RANDOM-fill-fill-fill-fill\"" \
			"data = \"{\\\"customer_id\\\":\\\"$2\\\",\\\"purchase_date\\\":\\\"2019-01-06\\\",\\\"purchase_price_cents\\\":1}\"" \
			'output = "/dev/null"' 'write-out = "%{http_code}\n"' >>"$cfg"
	done
	curl -s --no-progress-meter -Z --parallel-max 8 -K "$cfg" | sort | uniq -c >"$T/posts"
}

@test "setup sets Redis's maxmemory to REDIS_MAXMEMORY, with noeviction" {
	[ "$(rcli CONFIG GET maxmemory | tail -1)" = $((64 * 1024 * 1024)) ]
	[ "$(rcli CONFIG GET maxmemory-policy | tail -1)" = noeviction ]
	# A size it cannot read stops the program at its start.
	run env REDIS_MAXMEMORY=1tb "$BIN_DIR/setup"
	[ "$status" != 0 ]
	[[ $output == *REDIS_MAXMEMORY* ]]
	run env REDIS_MAXMEMORY=1mb "$BIN_DIR/setup"
	[ "$status" != 0 ]
}

@test "/metrics shows Redis's used memory and maxmemory as gauges; /status their state" {
	curl -sf "$A/metrics" >"$T/metrics"
	grep -qx '# TYPE redis_memory_used_bytes gauge' "$T/metrics"
	grep -qx '# TYPE redis_memory_max_bytes gauge' "$T/metrics"
	grep -qx "redis_memory_max_bytes $((64 * 1024 * 1024))" "$T/metrics"
	used=$(awk '$1 == "redis_memory_used_bytes" { print $2 }' "$T/metrics")
	[ "$used" -gt 100000 ]
	promtool check metrics <"$T/metrics"
	curl -s "$A/status" >"$T/status"
	[ "$(jq -r .redis_memory.state "$T/status")" = ok ]
	[ "$(jq -r .redis_memory.max_bytes "$T/status")" = $((64 * 1024 * 1024)) ]
}

@test "a full Redis: every write is 503 with Retry-After, nothing appended; reads 200; raised, writes come back" {
	cid=$(new_customer Filler)
	iid=$(new_invoice "$cid" 100)
	# 4 MiB over what it holds now: filled in some thousands of POSTs.
	rcli CONFIG SET maxmemory $(( $(info_memory used_memory) + 4 * 1024 * 1024 )) >/dev/null
	for round in $(seq 40); do
		posts 500 "$cid" "fill$round"
		grep -q ' 503$' "$T/posts" && break
	done
	note "full after $round rounds of 500 POSTs: $(tr -s ' \n' ' ' <"$T/posts")"
	grep -q ' 503$' "$T/posts"
	# Only 201 and 503: nothing else went wrong on the way.
	[ -z "$(grep -v -E ' (201|503)$' "$T/posts")" ]

	before=$(stream_len)
	key=full-$RANDOM$RANDOM
	code=$(curl -s -o "$T/body" -D "$T/headers" -w '%{http_code}' -X POST "$C/invoices" \
		-H "Authorization: Bearer $TOKEN" -H "Idempotency-Key: $key" \
		-d "{\"customer_id\":\"$cid\",\"purchase_date\":\"2019-01-06\",\"purchase_price_cents\":7}")
	[ "$code" = 503 ]
	grep -qi '^Retry-After: 30' "$T/headers"
	[[ $(jq -r .error "$T/body") == *full* ]]
	[ "$(stream_len)" = "$before" ]
	# Every write route, and the login (its attempt is counted in Redis).
	for r in "POST $C/customers {\"name\":\"No\",\"account_id\":\"1\"}" \
	    "POST $A/accounts {\"name\":\"No\",\"description\":\"d\"}" \
	    "DELETE $C/invoices/$iid" "DELETE $C/customers/$cid" "DELETE $A/accounts/2"; do
		set -- $r
		code=$(curl -s -o "$T/body" -D "$T/headers" -w '%{http_code}' -X "$1" "$2" \
			-H "Authorization: Bearer $TOKEN" ${3:+-d "$3"})
		[ "$code" = 503 ] || { echo "$r: $code $(cat "$T/body")" >&2; false; }
		grep -qi '^Retry-After:' "$T/headers"
		[[ $(jq -r .error "$T/body") == *full* ]]
	done
	code=$(curl -s -o "$T/body" -D "$T/headers" -w '%{http_code}' -X POST "$A/auth/login" \
		-d '{"username":"user1","password":"password1"}')
	[ "$code" = 503 ]
	grep -qi '^Retry-After:' "$T/headers"
	[ "$(stream_len)" = "$before" ]

	# Reads answer.
	[ "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$C/customers/$cid")" = 200 ]
	[ "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$C/invoices/$iid")" = 200 ]
	[ "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$C/customers/$cid/invoices?limit=5")" = 200 ]
	[ "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$A/accounts")" = 200 ]
	curl -s "$A/status" >"$T/status"
	[ "$(jq -r .redis_memory.state "$T/status")" = full ]
	[ "$(jq -r .status "$T/status")" = degraded ]

	# Logged once a minute per process, not once a request.
	refused=$(awk '$2 == 503 { print $1 }' "$T/posts")
	lines=$(grep -rh 'at its maxmemory' "$T" --include='*.log' | wc -l)
	note "$refused refused POSTs in the last round, and more since: $lines log lines"
	[ "$lines" -ge 1 ]
	[ "$lines" -lt "$refused" ]

	# Raised: the refused command, retried with its key, is done now.
	rcli CONFIG SET maxmemory 64mb >/dev/null
	code=$(curl -s -o "$T/body" -D "$T/headers" -w '%{http_code}' -X POST "$C/invoices" \
		-H "Authorization: Bearer $TOKEN" -H "Idempotency-Key: $key" \
		-d "{\"customer_id\":\"$cid\",\"purchase_date\":\"2019-01-06\",\"purchase_price_cents\":7}")
	[ "$code" = 201 ]
	! grep -qi '^Idempotent-Replayed' "$T/headers"
	[ "$(stream_len)" = $((before + 1)) ]
	[ "$(login user1 password1)" != "" ]
	curl -s "$A/status" >"$T/status"
	[ "$(jq -r .redis_memory.state "$T/status")" = ok ]
}
