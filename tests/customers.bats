#!/usr/bin/env bats
# The customers service: every command, every bad input.  A refused
# command must leave the stream exactly as it was.

load fixtures

setup_file() {
	stack_start
	export TOKEN=$(login user1 password1)
	export TOKEN2=$(login user2 password2)
	new_customer Known >"$T/cid"
}

teardown_file() {
	stack_stop
}

@test "POST /customers answers 201 with id and event_id, and appends one event" {
	before=$(stream_len)
	req POST "$C/customers" '{"name":"John Adams","account_id":"1"}'
	[ "$code" = 201 ]
	jq -e '(.id | test("^[0-9]+$")) and (.event_id | test("^[0-9]+-[0-9]+$"))' <<<"$body"
	[ "$(stream_len)" = $((before + 1)) ]
}

@test "POST /customers: bad bodies get 400 and append nothing" {
	long=$(printf 'x%.0s' $(seq 201))
	refused 400 POST "$C/customers" ''
	refused 400 POST "$C/customers" 'not json'
	refused 400 POST "$C/customers" '[]'
	refused 400 POST "$C/customers" '"str"'
	refused 400 POST "$C/customers" '{"name":"A","account_id":"1"} trailing'
	refused 400 POST "$C/customers" '{"account_id":"1"}'
	refused 400 POST "$C/customers" '{"name":"A"}'
	refused 400 POST "$C/customers" '{"name":"","account_id":"1"}'
	refused 400 POST "$C/customers" '{"name":42,"account_id":"1"}'
	refused 400 POST "$C/customers" '{"name":null,"account_id":"1"}'
	refused 400 POST "$C/customers" "{\"name\":\"$long\",\"account_id\":\"1\"}"
	refused 400 POST "$C/customers" '{"name":"bad\u0000nul","account_id":"1"}'
	refused 400 POST "$C/customers" '{"name":"tab\there","account_id":"1"}'
	refused 400 POST "$C/customers" $'{"name":"\xff\xfe","account_id":"1"}'
	refused 400 POST "$C/customers" '{"name":"A","account_id":1}'
	refused 400 POST "$C/customers" '{"name":"A","account_id":"one"}'
	refused 400 POST "$C/customers" '{"name":"A","account_id":"01"}'
	refused 400 POST "$C/customers" '{"name":"A","account_id":"-1"}'
	refused 400 POST "$C/customers" '{"name":"A","account_id":"99999999999999999999"}'
}

@test "POST /customers: exactly 200 bytes of multi-byte UTF-8 is accepted" {
	name=$(printf '€%.0s' $(seq 66))x		# 66 * 3 + 1 = 199 bytes
	name="${name}y"
	[ "$(printf '%s' "$name" | wc -c)" = 200 ]
	req POST "$C/customers" "$(jq -cn --arg n "$name" '{name:$n, account_id:"1"}')"
	[ "$code" = 201 ]
}

@test "POST /customers: unknown account 404, another user's account 403" {
	refused 404 POST "$C/customers" '{"name":"A","account_id":"999"}'
	refused 403 POST "$C/customers" '{"name":"A","account_id":"2"}'
}

@test "POST /invoices answers 201 and appends one event" {
	cid=$(cat "$T/cid")
	before=$(stream_len)
	req POST "$C/invoices" "{\"customer_id\":\"$cid\",\"purchase_date\":\"2019-01-06\",\"purchase_price_cents\":10000}"
	[ "$code" = 201 ]
	jq -e '(.id | test("^[0-9]+$")) and (.event_id | test("^[0-9]+-[0-9]+$"))' <<<"$body"
	[ "$(stream_len)" = $((before + 1)) ]
}

@test "POST /invoices: bad bodies get 400 and append nothing" {
	cid=$(cat "$T/cid")
	ok_date='"purchase_date":"2019-01-06"'
	ok_cents='"purchase_price_cents":100'
	for date in '"2019-02-29"' '"2019-13-01"' '"2019-04-31"' '"2019-1-6"' '"06/01/2019"' '""' '20190106' 'null'; do
		refused 400 POST "$C/invoices" "{\"customer_id\":\"$cid\",\"purchase_date\":$date,$ok_cents}"
	done
	for cents in -1 1.5 1e308 '"100"' 9007199254740992 9007199254740993 99999999999999999999 true null; do
		refused 400 POST "$C/invoices" "{\"customer_id\":\"$cid\",$ok_date,\"purchase_price_cents\":$cents}"
	done
	refused 400 POST "$C/invoices" "{$ok_date,$ok_cents}"
	refused 400 POST "$C/invoices" "{\"customer_id\":\"$cid\",$ok_cents}"
	refused 400 POST "$C/invoices" "{\"customer_id\":\"$cid\",$ok_date}"
	refused 400 POST "$C/invoices" "{\"customer_id\":7,$ok_date,$ok_cents}"
	refused 400 POST "$C/invoices" 'nope'
}

@test "POST /invoices: the price limits 0 and 2^53-1 are accepted" {
	# A new account: 2^53-1 is also the most an account may total.
	req POST "$A/accounts" '{"name":"Big","description":"one large invoice"}'
	[ "$code" = 201 ]
	cid=$(new_customer Big "$(jq -r .id <<<"$body")")
	req POST "$C/invoices" "{\"customer_id\":\"$cid\",\"purchase_date\":\"2019-01-06\",\"purchase_price_cents\":0}"
	[ "$code" = 201 ]
	req POST "$C/invoices" "{\"customer_id\":\"$cid\",\"purchase_date\":\"2000-02-29\",\"purchase_price_cents\":9007199254740991}"
	[ "$code" = 201 ]
}

@test "POST /invoices: unknown customer 404, another user's customer 403" {
	cid=$(cat "$T/cid")
	refused 404 POST "$C/invoices" '{"customer_id":"999999","purchase_date":"2019-01-06","purchase_price_cents":1}'
	TOKEN=$TOKEN2 refused 403 POST "$C/invoices" "{\"customer_id\":\"$cid\",\"purchase_date\":\"2019-01-06\",\"purchase_price_cents\":1}"
}

@test "a body over 64 KiB gets 413 and appends nothing" {
	big=$(head -c 70000 /dev/zero | tr '\0' 'a')
	refused 413 POST "$C/customers" "{\"name\":\"$big\",\"account_id\":\"1\"}"
}

@test "no token, a malformed header or a garbage token: 401, nothing appended" {
	TOKEN= refused 401 POST "$C/customers" '{"name":"A","account_id":"1"}'
	TOKEN=garbage refused 401 POST "$C/customers" '{"name":"A","account_id":"1"}'
	before=$(stream_len)
	code=$(curl -s -o "$T/body" -w '%{http_code}' -X POST "$C/customers" -H "Authorization: Basic dXNlcjE6cGFzc3dvcmQx" -d '{"name":"A","account_id":"1"}')
	[ "$code" = 401 ]
	code=$(curl -s -o "$T/body" -w '%{http_code}' -X POST "$C/invoices" -H "Authorization: bearer $TOKEN" -d '{}')
	[ "$code" = 401 ]
	[ "$(stream_len)" = "$before" ]
}

@test "wrong method: 405 with Allow; unknown path: 404" {
	run curl -s -i -X GET "$C/customers" -H "Authorization: Bearer $TOKEN"
	[[ $output == *"405 Method Not Allowed"* ]]
	[[ $output == *"Allow: POST"* ]]
	[[ $output == *'{"error":'* ]]
	refused 405 DELETE "$C/invoices" ''
	refused 404 GET "$C/nope" ''
	refused 404 POST "$C/customers/1/extra" '{}'
	refused 404 GET "$C/customers/1/invoices/2" ''
}

@test "errors lighttpd raises itself are JSON too: 411, 414/431" {
	run curl -s -i -X POST "$C/customers" -H "Authorization: Bearer $TOKEN"
	[[ $output == *"411 Length Required"* ]]
	[[ ${lines[-1]} == '{"error":'* ]]
	run curl -s -i "$C/$(head -c 9000 /dev/zero | tr '\0' a)"
	[[ ${lines[0]} == *" 431 "* || ${lines[0]} == *" 414 "* ]]
	[[ ${lines[-1]} == '{"error":'* ]]
}

@test "errors are JSON with Content-Type application/json" {
	run curl -s -i -X POST "$C/customers" -H "Authorization: Bearer $TOKEN" -d 'x'
	[[ $output == *"Content-Type: application/json"* ]]
}
