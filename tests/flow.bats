#!/usr/bin/env bats
# The seed's flow, verbatim, through lighttpd, Redis and the worker.

load fixtures

setup_file() {
	stack_start
	export TOKEN=$(login user1 password1)
}

teardown_file() {
	stack_stop
}

teardown() {
	# A test that started a stack of its own stops it, even when it failed.
	[ -z "${OWN_STACK:-}" ] || stack_stop
}

@test "both services answer /status" {
	req GET "$C/status"
	[ "$code" = 200 ]
	[ "$(jq -r .status <<<"$body")" = ok ]
	req GET "$A/status"
	[ "$code" = 200 ]
	[ "$(jq -r .status <<<"$body")" = ok ]
	jq -e '.lag | numbers' <<<"$body"
}

@test "pre-loaded accounts arrive as AccountCreated events" {
	run rcli --raw XRANGE event-stream - + COUNT 2
	[ "${lines[1]}" = EventTypeName ]
	[ "${lines[2]}" = AccountCreated ]
	[ "$(jq -r .owned_by <<<"${lines[4]}")" = user1 ]
	[ "$(jq -r .name <<<"${lines[4]}")" = one ]
}

@test "the seed's flow: customer, invoice, events in the stream, revenue in GET /accounts" {
	req POST "$C/customers" '{"name": "John Adams", "account_id": "1"}'
	[ "$code" = 201 ]
	cid=$(jq -r .id <<<"$body")
	eid=$(jq -r .event_id <<<"$body")
	[[ $cid =~ ^[0-9]+$ ]]
	[[ $eid =~ ^[0-9]+-[0-9]+$ ]]

	# XREAD STREAMS event-stream 0 shows it with exactly the two fields.
	run rcli --raw XRANGE event-stream "$eid" "$eid"
	[ "${#lines[@]}" = 5 ]
	[ "${lines[1]}" = EventTypeName ]
	[ "${lines[2]}" = CustomerCreated ]
	[ "${lines[3]}" = Payload ]
	payload=${lines[4]}
	[ "$(jq -r .id <<<"$payload")" = "$cid" ]
	[ "$(jq -r .account_id <<<"$payload")" = 1 ]
	[ "$(jq -r .name <<<"$payload")" = "John Adams" ]
	[[ $(jq -r .created_date <<<"$payload") =~ ^20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$ ]]

	req POST "$C/invoices" "{\"customer_id\": \"$cid\", \"purchase_date\": \"2019-01-06\", \"purchase_price_cents\": 10000}"
	[ "$code" = 201 ]
	iid=$(jq -r .id <<<"$body")
	ieid=$(jq -r .event_id <<<"$body")
	run rcli --raw XRANGE event-stream "$ieid" "$ieid"
	[ "${lines[2]}" = InvoiceCreated ]
	[ "$(jq -c . <<<"${lines[4]}" | jq -c 'del(.created_date)')" = "{\"id\":\"$iid\",\"customer_id\":\"$cid\",\"purchase_price_cents\":10000,\"purchase_date\":\"2019-01-06\"}" ]

	wait_projected
	req GET "$A/accounts"
	[ "$code" = 200 ]
	[ "$(jq -r '.[0].account.name' <<<"$body")" = one ]
	[ "$(jq -r '.[0].account.owned_by' <<<"$body")" = user1 ]
	[ "$(jq -c ".[0].customers[] | select(.customer_id == \"$cid\")" <<<"$body")" = "{\"customer_id\":\"$cid\",\"name\":\"John Adams\",\"total_revenue_cents\":10000}" ]
	[ "$(jq -r '.[0].total_revenue_cents' <<<"$body")" = "$(jq '[.[0].customers[].total_revenue_cents] | add' <<<"$body")" ]
}

@test "ids are unique per kind and never reused" {
	req POST "$C/customers" '{"name":"A","account_id":"1"}'
	a=$(jq -r .id <<<"$body")
	req POST "$C/customers" '{"name":"B","account_id":"1"}'
	b=$(jq -r .id <<<"$body")
	[ "$b" -gt "$a" ]
}

@test "revenue adds up over several invoices and customers, in id order" {
	req POST "$C/customers" '{"name":"First","account_id":"1"}'
	c1=$(jq -r .id <<<"$body")
	# The largest price is also the most an account may total: a new one.
	req POST "$A/accounts" '{"name":"Large","description":"one large invoice"}'
	a2=$(jq -r .id <<<"$body")
	req POST "$C/customers" "{\"name\":\"Second\",\"account_id\":\"$a2\"}"
	c2=$(jq -r .id <<<"$body")
	for cents in 1 20 300; do
		req POST "$C/invoices" "{\"customer_id\":\"$c1\",\"purchase_date\":\"2020-02-29\",\"purchase_price_cents\":$cents}"
		[ "$code" = 201 ]
	done
	req POST "$C/invoices" "{\"customer_id\":\"$c2\",\"purchase_date\":\"2020-03-01\",\"purchase_price_cents\":9007199254740991}"
	[ "$code" = 201 ]
	wait_projected
	req GET "$A/accounts/1"
	[ "$code" = 200 ]
	[ "$(jq -r ".customers[] | select(.customer_id == \"$c1\") | .total_revenue_cents" <<<"$body")" = 321 ]
	# ordered by id
	[ "$(jq -c '[.customers[].customer_id | tonumber]' <<<"$body")" = "$(jq -c '[.customers[].customer_id | tonumber] | sort' <<<"$body")" ]
	req GET "$A/accounts/$a2"
	[ "$(jq -r ".customers[] | select(.customer_id == \"$c2\") | .total_revenue_cents" <<<"$body")" = 9007199254740991 ]
	[ "$(jq -r .total_revenue_cents <<<"$body")" = 9007199254740991 ]
}

# round_trip NAME: a customer of that name in account 1, created, then
# read back by name from GET /accounts/1 once projected.
round_trip() {
	local cid
	req POST "$C/customers" "$(jq -cn --arg n "$1" '{name: $n, account_id: "1"}')"
	[ "$code" = 201 ] || return 1
	cid=$(jq -r .id <<<"$body")
	wait_projected
	req GET "$A/accounts/1"
	[ "$(jq -r ".customers[] | select(.customer_id == \"$cid\") | .name" <<<"$body")" = "$1" ]
}

@test "names with quotes, SQL, % and multi-byte UTF-8 round-trip intact" {
	round_trip 'O'"'"'Brien "the 100%" ; DROP TABLE customers; -- é€😀'
}

@test "make run in a VAR_DIR with spaces and too long a path for unix sockets: the seed's flow, sockets elsewhere, scripts/redis-cli finds Redis's, removed at the end" {
	# A stack of its own: this test's T, VAR_DIR, C and A are its.
	OWN_STACK=1
	STACK_VAR="a folder/$(printf 'deeper/%.0s' {1..12})var" stack_start
	[ "$(printf %s "$VAR_DIR/customers.sock-0" | wc -c)" -gt 107 ]
	sockets=$(sed -n "s/^run: .*lighttpd's and Redis's go in //p" "$T/run.log")
	[ -S "$sockets/customers.sock-0" ]
	[ -S "$sockets/login.sock-0" ]
	# Redis's too, 0700 in a 0700 folder, and a link in VAR_DIR names it:
	# scripts/redis-cli, given VAR_DIR alone (as from another shell),
	# follows it.
	[ "$(stat -c %a "$sockets")" = 700 ]
	[ "$(stat -c %a "$sockets/redis.sock")" = 700 ]
	[ "$(readlink "$VAR_DIR/redis.sock")" = "$sockets/redis.sock" ]
	[ "$(env -u REDIS_SOCKET "$ROOT/scripts/redis-cli" PING)" = PONG ]
	TOKEN=$(login user1 password1)
	round_trip Deep
	OWN_STACK=
	stack_stop
	[ ! -e "$sockets" ]
}
