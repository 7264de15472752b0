#!/usr/bin/env bats
# docs/openapi.yaml against the real thing: every operation is exercised,
# its answers recorded, and each checked against the spec (ajv, from npm).

load fixtures

setup_file() {
	command -v node >/dev/null && command -v npm >/dev/null ||
		skip "node and npm are needed to check responses against the spec"
	if [ ! -d "$ROOT/tests/openapi/node_modules" ]; then
		npm ci --prefix "$ROOT/tests/openapi" --no-audit --no-fund --silent 3>&-
	fi
	stack_start
	export TOKEN=$(login user1 password1)
	export TOKEN2=$(login user2 password2)
}

teardown_file() {
	stack_stop
}

# rec METHOD URL [BODY] [TOKEN]: req, and record the exchange.
rec() {
	req "$@"
	jq -cn --arg m "$1" --arg p "${2#http://127.0.0.1:*/}" --argjson s "$code" --arg b "$body" \
		'{method: $m, path: ("/" + $p), status: $s, body: $b}' >>"$T/records.jsonl"
}

@test "every documented operation answers as docs/openapi.yaml says" {
	rec GET "$C/status" "" ""
	rec GET "$A/status" "" ""
	rec GET "$C/metrics" "" ""
	rec POST "$A/auth/login" '{"username":"user1","password":"password1"}' ""
	rec POST "$A/auth/login" '{"username":"user1","password":"nope"}' ""
	rec POST "$A/auth/login" 'x' ""
	rec POST "$C/customers" '{"name":"Spec","account_id":"1"}'
	cid=$(jq -r .id <<<"$body")
	rec POST "$C/customers" '{"name":"Spec","account_id":"2"}'
	rec POST "$C/customers" '{"name":""}'
	rec POST "$C/customers" '{"name":"x","account_id":"1"}' ""
	rec GET "$C/customers/$cid"
	rec GET "$C/customers/999999"
	rec POST "$C/invoices" "{\"customer_id\":\"$cid\",\"purchase_date\":\"2019-01-06\",\"purchase_price_cents\":10000}"
	iid=$(jq -r .id <<<"$body")
	eid=$(jq -r .event_id <<<"$body")
	rec POST "$C/invoices" "{\"customer_id\":\"$cid\",\"purchase_date\":\"2019-02-30\",\"purchase_price_cents\":1}"
	rec GET "$C/invoices/$iid"
	rec GET "$C/invoices/$iid" "" "$TOKEN2"
	rec GET "$C/customers/$cid/invoices"
	rec GET "$C/customers/$cid/invoices?limit=1"
	rec GET "$C/customers/$cid/invoices?limit=0"
	rec GET "$A/accounts?limit=1"
	rec GET "$A/accounts/1?limit=1&cursor=x"
	rec GET "$A/accounts?after=$eid"
	rec GET "$A/accounts/1?after=$eid"
	rec GET "$A/accounts/2"
	rec GET "$A/accounts/99999999999999-0?after=1"
	rec GET "$A/accounts?after=99999999999999-0"
	rec GET "$A/accounts/1/is-owned-by/user1"
	rec POST "$A/accounts" '{"name":"spec","description":"from the spec test"}'
	aid=$(jq -r .id <<<"$body")
	rec DELETE "$C/invoices/$iid"
	rec DELETE "$C/invoices/$iid"
	rec DELETE "$A/accounts/1"
	rec DELETE "$C/customers/$cid"
	rec DELETE "$A/accounts/$aid"
	rec DELETE "$A/accounts/$aid"
	run node "$ROOT/tests/openapi/validate.mjs" "$ROOT/docs/openapi.yaml" "$T/records.jsonl"
	echo "$output"
	[ "$status" = 0 ]
	[[ $output == *": 0 problems" ]]
}

@test "the checker itself catches a response that breaks the spec" {
	echo '{"method":"GET","path":"/customers/7","status":200,"body":"{\"id\":7}"}' >"$T/bad.jsonl"
	echo '{"method":"GET","path":"/nowhere","status":200,"body":"{}"}' >>"$T/bad.jsonl"
	run node "$ROOT/tests/openapi/validate.mjs" "$ROOT/docs/openapi.yaml" "$T/bad.jsonl"
	[ "$status" = 1 ]
	[[ $output == *"GET /customers/7 -> 200:"* ]]
	[[ $output == *"no such operation"* ]]
	[[ $output == *"never exercised"* ]]
}
