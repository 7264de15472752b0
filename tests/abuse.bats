#!/usr/bin/env bats
# Fair to every client: the limits are per user (lib/http/limiter.h), an
# honest client is never refused, and no user can slow the others down
# or stop them.  Each attack (tests/abuse.bash) is replayed while a
# victim, another user from another address, goes about its day, and
# the bound is shown inside the run:
# - the victim's p90 during the attack is at most 3x its p90 just
#   before, plus 50 ms;
# - the victim sees no 5xx and no 429;
# - every 201 it got is one event in the stream, and nothing more;
# - where the attacker goes past its share, its excess gets 429.
# Figures go to the TAP output; make bench reports the p99s.

load fixtures
load abuse

setup_file() {
	# The limits at their defaults; only the logins' window is short.
	# The write processes as where Redis fsyncs before each reply
	# (scripts/run.sh): 32, whose share per user is 8 of them, beside
	# the reads' pool of FCGI_PROCS (lighttpd.conf).
	stack_start_user1 READ_WAITERS=2 LOGIN_WINDOW=60 \
	    LOGIN_MAX_SUCCESSES_PER_USER=20 CUSTOMERS_PROCS=32
	victims_ready
}

teardown_file() {
	attack_stop
	stack_stop
}

teardown() {
	attack_stop
	kill -CONT "$(cat "$VAR_DIR/worker.pid")" 2>/dev/null || :
}

ROUNDS=25
# Requests of the one-at-a-time client, per port and kind of connection.
HONEST_REQUESTS=${HONEST_REQUESTS:-2000}

# victim_baseline, then the attack, then victim_during NAME: the victim's
# day without the attack ($T/base) and with it ($T/during), the attack
# stopped (its statuses in $T/attacker), and the bounds checked.
victim_baseline() {
	export EVENTS_BEFORE=$(stream_len)
	victim_run "$ROUNDS" "$T/base"
}
victim_during() {
	victim_run "$ROUNDS" "$T/during"
	attacker_statuses >"$T/attacker"
	attack_stop
	victim_check "$1"
}
# victim_check NAME: the bounds, on $T/base and $T/during.
victim_check() {
	local base during limit appended answered
	base=$(percentile 90 "$T/base")
	during=$(percentile 90 "$T/during")
	limit=$(awk -v b="$base" 'BEGIN { printf "%.1f", 3 * b + 50 }')
	appended=$(($(stream_len) - EVENTS_BEFORE))
	answered=$(($(victim_201s "$T/base") + $(victim_201s "$T/during")))
	note "$1: victim p90 ${base} -> ${during} ms (bound $limit), p50 $(percentile 50 "$T/base") -> $(percentile 50 "$T/during") ms; 5xx $(victim_5xx "$T/during"), 429 $(victim_429 "$T/during"); 201s $answered, events $appended; attacker: $(paste -sd, "$T/attacker")"
	[ "$(victim_5xx "$T/base")" = 0 ]
	[ "$(victim_5xx "$T/during")" = 0 ]
	[ "$(victim_429 "$T/during")" = 0 ]
	[ "$appended" = "$answered" ]
	[ "$answered" = $((2 * ROUNDS)) ]
	awk -v d="$during" -v l="$limit" 'BEGIN { exit !(d <= l) }'
}
# attacker_refused: the attacker's excess got 429.
attacker_refused() { awk '$2 == 429 { n += $1 } END { exit !(n > 0) }' "$T/attacker"; }

# --- honest clients: never refused ---

# one_at_a_time URL [CURL_ARGS...]: HONEST_REQUESTS requests, each sent
# when the one before is answered; prints "count status" lines.
one_at_a_time() {
	local url=$1
	shift
	curl -s -o /dev/null -w '%{http_code}\n' "$url?n=[1-$HONEST_REQUESTS]" \
		-H "Authorization: Bearer $TOKEN" "$@" | sort | uniq -c | awk '{ print $1, $2 }'
}

@test "a client sending one request at a time is never refused, kept alive or not, on both ports" {
	cid=$(new_customer Honest)
	iid=$(new_invoice "$cid" 1)
	for conn in keep-alive close; do
		for url in "$A/accounts" "$C/invoices/$iid"; do
			start=$(date +%s%N)
			got=$(one_at_a_time "$url" -H "Connection: $conn")
			note "$HONEST_REQUESTS of $url one at a time, Connection: $conn, in $(ms_since "$start") ms: $(paste -sd, <<<"$got")"
			[ "$got" = "$HONEST_REQUESTS 200" ]
		done
	done
}

@test "the seed's load pattern: 20 clients x 10 POST /invoices at once, one user, one address: 200 x 201" {
	cid=$(new_customer Seed)
	before=$(stream_len)
	invoice="{\"customer_id\":\"$cid\",\"purchase_date\":\"2019-01-06\",\"purchase_price_cents\":1}"
	seq 20 | xargs -P 20 -I{} curl -s -o /dev/null -w '%{http_code}\n' -X POST \
		"$C/invoices?n=[1-10]" -H "Authorization: Bearer $TOKEN" --data-binary "$invoice" >"$T/seed"
	note "20 x 10 POST /invoices: $(sort "$T/seed" | uniq -c | paste -sd' ')"
	[ "$(grep -c '^201$' "$T/seed")" = 200 ]
	[ $(($(stream_len) - before)) = 200 ]
}

@test "64 kept-alive clients of one user from one address, under the user's rate: never refused" {
	# 64 x 5 a second = 320 points a second, a third of RATE_PER_USER.
	start=$(date +%s%N)
	seq 64 | xargs -P 64 -I{} curl -s -o /dev/null -w '%{http_code}\n' --rate 5/s \
		"$A/accounts?n=[1-15]" -H "Authorization: Bearer $TOKEN" >"$T/pool"
	took=$(ms_since "$start")
	note "64 clients x 15 GET /accounts at 5/s each: $(sort "$T/pool" | uniq -c | paste -sd' ') in $took ms ($((64 * 15 * 1000 / took)) 2xx/s)"
	[ "$(grep -c '^200$' "$T/pool")" = $((64 * 15)) ]
}

# --- attacks: one user, from one address and from twenty ---

@test "4,000 idle connections from one address: another client is served within its bound" {
	victim_baseline
	attack_idle 2000 "$CUSTOMERS_PORT" "$ACCOUNTS_PORT"
	[ "$(cat "$T/idle.opened")" = 4000 ]
	# No request walks the connections any more; the victim's p50 is in
	# the note (a ratio on a shared machine is make bench's, not a test's).
	victim_during "4,000 idle connections"
}

@test "an idle connection is closed by the server within its idle timeout" {
	exec {fd}<>"/dev/tcp/127.0.0.1/$ACCOUNTS_PORT"
	# 5 s (server.max-read-idle) and a little: EOF, not our timeout.
	run timeout 9 cat <&$fd
	exec {fd}<&-
	[ "$status" = 0 ]
}

# customer_of_5000 NAME: a customer of $TOKEN's with 5,000 invoices of a
# cent, appended by FCALL in one pipeline; prints its id.
# records_of CUSTOMER: how many invoice records its chunks hold (23
# bytes each, db/events.lua).
records_of() {
	rcli --scan --pattern "customer:$1:c:*" | sed 's/^/STRLEN /' | rcli |
		awk '{ n += $1 } END { print n / 23 }'
}

customer_of_5000() {
	local cid
	cid=$(new_customer "$1") || return 1
	fcall_pipe invoice_create 5000 caller user1 customer_id "$cid" \
		purchase_price_cents 1 purchase_date 2019-01-06 || return 1
	echo "$cid"
}

# pool_procs TABLE: this stack's customers.fcgi processes that map
# $VAR_DIR/TABLE, their pool's limits (lib/http/limiter.h).
pool_procs() {
	local pid n=0
	for pid in $(pgrep -x customers.fcgi); do
		grep -q " $VAR_DIR/$1\$" "/proc/$pid/maps" 2>/dev/null && n=$((n + 1))
	done
	echo "$n"
}

# Without the reads' own pool, a user's share of the 32 was eight
# processes of reading, and the loops of pages below took another
# user's p90 past its bound (lighttpd.conf has the figures).
@test "the customers port's reads have a pool of their own, FCGI_PROCS processes with their own limits, beside the 32 write processes" {
	[ "$(pool_procs limits-customers-read.bin)" = "${FCGI_PROCS:-4}" ]
	[ "$(pool_procs limits-customers.bin)" = 32 ]
}

@test "one user reading a customer of 5,000 invoices in a loop: pages of at most 1,000" {
	TOKEN=$ATTACKER_TOKEN
	big=$(customer_of_5000 Big)
	# The default page is 200, and says where the next starts.
	curl -s -D "$T/headers" -o "$T/page" "$C/customers/$big/invoices" -H "Authorization: Bearer $TOKEN"
	[ "$(jq length "$T/page")" = 200 ]
	grep -qi "^Link: </customers/$big/invoices?limit=200&cursor=[0-9]*>; rel=\"next\"" "$T/headers"
	refused 400 GET "$C/customers/$big/invoices?limit=1001"
	# Following the Links gives each invoice once, in order.
	url="$C/customers/$big/invoices?limit=1000" pages=0
	: >"$T/ids"
	while [ -n "$url" ]; do
		curl -s -D "$T/headers" -o "$T/page" "$url" -H "Authorization: Bearer $TOKEN"
		[ "$(stat -c %s "$T/page")" -lt $((1024 * 1024)) ]
		jq -r '.[].id' "$T/page" >>"$T/ids"
		url=$(next_link "$T/headers")
		[ -z "$url" ] || url=$C$url
		pages=$((pages + 1))
	done
	[ "$pages" = 5 ]
	[ "$(wc -l <"$T/ids")" = 5000 ]
	[ "$(sort -n "$T/ids" | uniq | wc -l)" = 5000 ]
	[ "$(sort -n "$T/ids")" = "$(cat "$T/ids")" ]

	victim_baseline
	attack_loops 16 "$C/customers/$big/invoices?limit=1000" -H "Authorization: Bearer $ATTACKER_TOKEN"
	victim_during "16 loops of invoice lists of 1,000, one address"
	attacker_refused
	# The same user from 20 addresses, through the accounts port's
	# passthrough: counted once, against the user.
	victim_baseline
	log_before=$(stat -c %s "$T/run.log") start=$(date +%s%N)
	ATTACK_ADDRS=20 attack_loops 16 "$A/customers/$big/invoices?limit=1000" \
		-H "Authorization: Bearer $ATTACKER_TOKEN"
	victim_during "16 loops of invoice lists of 1,000, 20 addresses, through the accounts port"
	attacker_refused
	# Each refusal is a log line; each process writes at most 100 at once
	# and 10 a second (lib/core/log.c).  9 processes, 300 bytes a line.
	took=$(ms_since "$start") logged=$(($(stat -c %s "$T/run.log") - log_before))
	note "the run log grew $logged bytes in $took ms under $(awk '$2 == 429 { n += $1 } END { print n + 0 }' "$T/attacker") refusals ($((logged * 60000 / took)) bytes a minute)"
	[ "$logged" -le $((9 * (100 + 10 * (took / 1000 + 1)) * 300)) ]
}

@test "one user writing in loops from 20 addresses, on both ports: the others write on" {
	TOKEN=$ATTACKER_TOKEN
	cid=$(new_customer Flood)
	invoice="{\"customer_id\":\"$cid\",\"purchase_date\":\"2019-01-06\",\"purchase_price_cents\":1}"
	victim_baseline
	before=$(stream_len)
	ATTACK_ADDRS=20 attack_loops 8 "$C/invoices" -X POST -H "Authorization: Bearer $TOKEN" \
		--data-binary "$invoice"
	ATTACK_ADDRS=20 attack_loops 8 "$A/invoices" -X POST -H "Authorization: Bearer $TOKEN" \
		--data-binary "$invoice"
	# The attacker's own events are not the victim's: count them apart.
	victim_run "$ROUNDS" "$T/during"
	attacker_statuses >"$T/attacker"
	attack_stop
	flood=$(rcli --raw XRANGE event-stream - + | grep -c "\"customer_id\":\"$cid\"" || :)
	EVENTS_BEFORE=$((EVENTS_BEFORE + flood))
	victim_check "16 loops of POST /invoices, 20 addresses, both ports"
	# Every 201 the attacker got is an event too.  On 2 cores under ASan
	# its 16 loops spend about one process's time (the RATE_PER_USER),
	# so whether any is refused depends on the machine: the victim's
	# bound is the claim here, and the page attacks show the refusals.
	[ "$(awk '$2 == 201 { n += $1 } END { print n + 0 }' "$T/attacker")" -le "$flood" ]
}

@test "deleting a customer of 5,000 invoices is one bounded step; the invoices go 64 per later write" {
	TOKEN=$ATTACKER_TOKEN
	gone=$(customer_of_5000 Gone)
	some=$(rcli --raw FCALL_RO customer_invoices 1 event-stream caller user1 \
		id "$gone" limit 1 | sed -n 3p)
	slowlog_reset
	req DELETE "$C/customers/$gone"
	[ "$code" = 204 ]
	note "delete of a customer of 5,000 invoices: the slowest Redis call $(slowest_call) µs"
	# The chunks' index was renamed and queued, not walked: its invoices
	# are still there, and unreachable.
	[ "$(rcli EXISTS "gc:customer:$gone:chunks")" = 1 ]
	[ "$(records_of "$gone")" -ge $((5000 - 64)) ]
	refused 404 GET "$C/invoices/$some"
	left=$(records_of "$gone")
	new_customer Writer >/dev/null
	[ "$(records_of "$gone")" = $((left - 64)) ]
	# Enough writes collect the rest, and the queue empties.
	fcall_pipe customer_create $(((left + 63) / 64)) caller user1 account_id 1 name gc
	[ "$(rcli EXISTS "gc:customer:$gone:chunks")" = 0 ]
	[ "$(records_of "$gone")" = 0 ]
	[ "$(rcli HEXISTS "invoice:bucket:${some%??}" "$((10#${some: -2}))")" = 0 ]
	[ "$(rcli LLEN gc:queue)" = 0 ]
}

@test "GET /accounts?after= far in the future: 400 at once, in a loop, holds no process" {
	req GET "$A/accounts?after=$FAR_FUTURE" "" "$ATTACKER_TOKEN"
	[ "$code" = 400 ]
	victim_baseline
	attack_loops 16 "$A/accounts?after=$FAR_FUTURE" -H "Authorization: Bearer $ATTACKER_TOKEN"
	victim_during "16 loops of ?after=$FAR_FUTURE, one address"
	victim_baseline
	ATTACK_ADDRS=20 attack_loops 16 "$A/accounts?after=$FAR_FUTURE" -H "Authorization: Bearer $ATTACKER_TOKEN"
	victim_during "16 loops of ?after=$FAR_FUTURE, 20 addresses"
}

@test "waiting reads: one slot a user (READ_WAITERS_PER_USER=1) of two, so one user's 12 leave the other its own" {
	worker=$(cat "$VAR_DIR/worker.pid")
	victim_baseline
	kill -STOP "$worker"
	# The attacker's own write, which the paused projection never reaches.
	req POST "$C/customers" '{"name":"Waited","account_id":"1"}' "$ATTACKER_TOKEN"
	eid=$(jq -r .event_id <<<"$body")
	EVENTS_BEFORE=$((EVENTS_BEFORE + 1))	# the attacker's own customer
	# 12 at once, from 12 addresses: one user's all the same.
	start=$(date +%s%N)
	seq 12 | xargs -P 12 -I{} curl -s -o /dev/null -D "$T/h{}" -w '%{http_code}\n' \
		--interface 127.0.1.{} "$A/accounts?after=$eid" \
		-H "Authorization: Bearer $ATTACKER_TOKEN" >"$T/waits" &
	waits=$!
	sleep 0.2
	# The victim's own wait, for its own write, takes the other slot: a
	# 504 after READ_WAIT_MS, not a 503.
	req POST "$C/customers" '{"name":"Mine","account_id":"2"}' "$VICTIM_TOKEN"
	mine=$(curl -s -o /dev/null -w '%{http_code}' --interface "$VICTIM_ADDR" \
		"$A/accounts?after=$(jq -r .event_id <<<"$body")" -H "Authorization: Bearer $VICTIM_TOKEN")
	EVENTS_BEFORE=$((EVENTS_BEFORE + 1))
	# The victim's reads are stale while the projection is paused, not
	# slow; its writes are appended.
	victim_during "12 waiters of one user on a paused projection"
	wait "$waits"
	took=$(ms_since "$start")
	kill -CONT "$worker"
	note "the attacker's waiters: $(sort "$T/waits" | uniq -c | paste -sd' ') in $took ms; the victim's own wait: $mine"
	[ "$mine" = 504 ]
	[ "$(grep -cv -E '^(503|504)$' "$T/waits")" = 0 ]
	grep -qi '^Retry-After: 1' $(grep -l ' 503' "$T"/h*)
	# Each 504 waited READ_WAIT_MS (2 s); with one at a time, no more
	# than one per 2 s can have come back.
	[ "$(grep -c '^504$' "$T/waits")" -le $((took / 2000 + 1)) ]
	[ "$(grep -c '^503$' "$T/waits")" -ge 10 ]
}

@test "the dashboard's writes through the accounts port are counted once, against their user" {
	before=$(stream_len)
	for i in 1 2 3; do
		req POST "$A/customers" '{"name":"Through","account_id":"1"}'
		[ "$code" = 201 ]
	done
	# One user's 20 writes at once from 20 addresses: within its burst.
	seq 2 21 | xargs -P 20 -I{} curl -s -o /dev/null -w '%{http_code}\n' \
		--interface 127.0.2.{} -X POST "$A/customers" -H "Authorization: Bearer $TOKEN" \
		-H 'Content-Type: application/json' -d '{"name":"Through","account_id":"1"}' >"$T/hops"
	note "20 addresses at once through the accounts port: $(sort "$T/hops" | uniq -c | paste -sd' ')"
	[ "$(grep -c '^201$' "$T/hops")" = 20 ]
	[ $(($(stream_len) - before)) = 23 ]
	# Past its rate, the user's excess through the passthrough gets 429:
	# "16 loops of invoice lists of 1,000, 20 addresses, through the
	# accounts port" above.
}

@test "the dashboard's files are lighttpd's own on both ports: no FastCGI process, and a flood of them slows no one" {
	for port in "$CUSTOMERS_PORT" "$ACCOUNTS_PORT"; do
		curl -s -D "$T/headers" -o "$T/app.js" "http://127.0.0.1:$port/app.js"
		grep -q '^HTTP/1.1 200' "$T/headers"
		grep -qi '^Content-Type: text/javascript' "$T/headers"
		cmp -s "$T/app.js" "$ROOT/www/app.js"
	done
	answered() { curl -s "$1/metrics" | awk '/^http_requests_total/ { n += $2 } END { print n + 0 }'; }
	c_before=$(answered "$C") a_before=$(answered "$A")
	victim_baseline
	ATTACK_ADDRS=20 attack_loops 8 "$C/app.js"
	ATTACK_ADDRS=20 attack_loops 8 "$A/"
	victim_during "16 loops of the dashboard's files, 20 addresses, both ports"
	served=$(awk '$2 == 200 { n += $1 } END { print n + 0 }' "$T/attacker")
	# The victim's own 50 requests, and the two /metrics reads, are all
	# the services answered meanwhile.
	note "dashboard files served: $served; FastCGI answers meanwhile: customers $(($(answered "$C") - c_before)), accounts $(($(answered "$A") - a_before))"
	[ "$served" -gt 1000 ]
	[ $(($(answered "$C") - c_before)) -le $((2 * ROUNDS + 1)) ]
	[ $(($(answered "$A") - a_before)) -le $((2 * ROUNDS + 1)) ]
}

@test "logins in a loop, with the right password: limited, and they cannot starve reads" {
	victim_baseline
	attack_loops 8 "$A/auth/login" -X POST -d '{"username":"user1","password":"password1"}'
	sleep 1
	victim_during "8 login loops"
	# Past LOGIN_MAX_SUCCESSES_PER_USER (20 here) in the window: 429 with
	# Retry-After, however right the password.
	for i in $(seq 21); do
		code=$(curl -s -o /dev/null -D "$T/headers" -w '%{http_code}' -X POST "$A/auth/login" \
			-d '{"username":"user1","password":"password1"}')
		[ "$code" = 200 ] || break
	done
	note "logins: 429 after $((i - 1)) more successes"
	[ "$code" = 429 ]
	grep -qi '^Retry-After: [0-9]' "$T/headers"
	# Another user, from another address, still logs in.
	code=$(curl -s -o /dev/null -w '%{http_code}' --interface "$VICTIM_ADDR" -X POST "$A/auth/login" \
		-d '{"username":"user2","password":"password2"}')
	[ "$code" = 200 ]
}

@test "an account of 1,100 customers with the longest names: pages under 1 MiB, every customer once" {
	TOKEN=$ATTACKER_TOKEN
	quotes=$(printf '"%.0s' $(seq 200))
	name=$(jq -cn --arg n "$quotes" '$n')
	req POST "$A/accounts" "{\"name\":$name,\"description\":$name}"
	aid=$(jq -r .id <<<"$body")
	# redis-cli's pipe splits on spaces: a name of 200 quotes is one word.
	fcall_pipe customer_create 1100 caller user1 account_id "$aid" name "'$quotes'"
	wait_projected
	url="$A/accounts?limit=1000" pages=0
	: >"$T/ids"
	while [ -n "$url" ]; do
		curl -s -D "$T/headers" -o "$T/page" "$url" -H "Authorization: Bearer $TOKEN"
		size=$(stat -c %s "$T/page")
		[ "$size" -lt $((1024 * 1024)) ]
		jq -r --arg a "$aid" '.[] | select(.account.id == ($a | tonumber)) | .customers[].customer_id' "$T/page" >>"$T/ids"
		url=$(next_link "$T/headers")
		[ -z "$url" ] || url=$A$url
		pages=$((pages + 1))
		[ "$pages" -le 5 ]
	done
	note "1,100 customers of 200 quotes: $pages pages of limit 1000, the largest $size bytes or less than 1 MiB"
	[ "$(wc -l <"$T/ids")" = 1100 ]
	[ "$(sort -n "$T/ids" | uniq | wc -l)" = 1100 ]
	# The default page is 200 items; GET /accounts/{id} pages the same way.
	[ "$(curl -s "$A/accounts/$aid" -H "Authorization: Bearer $TOKEN" | jq '.customers | length')" = 200 ]
	curl -s -D - -o /dev/null "$A/accounts/$aid?limit=1000" -H "Authorization: Bearer $TOKEN" |
		grep -qi "^Link: </accounts/$aid?limit=1000&cursor=[0-9]*>; rel=\"next\""

	victim_baseline
	attack_loops 16 "$A/accounts?limit=1000" -H "Authorization: Bearer $ATTACKER_TOKEN"
	victim_during "16 loops of pages of 1,000 customers of 200 quotes, one address"
	attacker_refused
	victim_baseline
	ATTACK_ADDRS=20 attack_loops 16 "$A/accounts?limit=1000" -H "Authorization: Bearer $ATTACKER_TOKEN"
	victim_during "16 loops of pages of 1,000 customers of 200 quotes, 20 addresses"
	attacker_refused
}

@test "limits at the command: 422 and nothing appended; no total can overflow, so every 201 is projected" {
	TOKEN=$ATTACKER_TOKEN
	req POST "$A/accounts" '{"name":"limits","description":"at the edge"}'
	aid=$(jq -r .id <<<"$body")
	c1=$(new_customer L1 "$aid")
	c2=$(new_customer L2 "$aid")
	# The tester's overflow: 2^53-1 cents got 201, then a dead letter.
	req POST "$C/invoices" "{\"customer_id\":\"$c1\",\"purchase_date\":\"2019-01-06\",\"purchase_price_cents\":9007199254740991}"
	[ "$code" = 201 ]
	refused 422 POST "$C/invoices" "{\"customer_id\":\"$c1\",\"purchase_date\":\"2019-01-06\",\"purchase_price_cents\":1}"
	[[ $(jq -r .error <<<"$body") == "cents of customer $c1 (at most 9007199254740991)" ]]
	refused 422 POST "$C/invoices" "{\"customer_id\":\"$c2\",\"purchase_date\":\"2019-01-06\",\"purchase_price_cents\":1}"
	[[ $(jq -r .error <<<"$body") == "cents of account $aid (at most 9007199254740991)" ]]
	# Counts, with the bounds an operator set (setup stores LIMIT_*).
	rcli HSET config:limits customers_per_account 3 invoices_per_customer 2 >/dev/null
	new_customer L3 "$aid" >/dev/null
	refused 422 POST "$C/customers" "{\"name\":\"L4\",\"account_id\":\"$aid\"}"
	[[ $(jq -r .error <<<"$body") == "customers of account $aid (at most 3)" ]]
	req POST "$A/accounts" '{"name":"limits2","description":"counts"}'
	c4=$(new_customer L4 "$(jq -r .id <<<"$body")")
	new_invoice "$c4" 1 >/dev/null
	new_invoice "$c4" 1 >/dev/null
	refused 422 POST "$C/invoices" "{\"customer_id\":\"$c4\",\"purchase_date\":\"2019-01-06\",\"purchase_price_cents\":1}"
	rcli DEL config:limits >/dev/null
	wait_projected
	[ "$(sql "$DB" "SELECT count(*) FROM dead_letters")" = 0 ]
	[ "$(sql "$DB" "SELECT total_revenue_cents FROM accounts WHERE id = $aid")" = 9007199254740991 ]
	req GET "$A/accounts"
	[ "$code" = 200 ]
}
