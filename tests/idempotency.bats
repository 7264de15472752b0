#!/usr/bin/env bats
# Idempotency-Key (draft-ietf-httpapi-idempotency-key-header) on every
# command: a retry with the key gets the original answer and appends
# nothing; the key with another request is 422; a bad key is 400.

load fixtures

setup_file() {
	stack_start_user1
	export TOKEN2=$(login user2 password2)
}

teardown_file() {
	stack_stop
}

# keyed METHOD URL KEY [BODY] [TOKEN]: req with an Idempotency-Key;
# headers in $T/headers.
keyed() {
	local args=(-s -o "$T/body" -D "$T/headers" -w '%{http_code}' -X "$1"
		-H "Authorization: Bearer ${5:-$TOKEN}")
	# curl's way to send a header with no value is "Name;".
	if [ -n "$3" ]; then args+=(-H "Idempotency-Key: $3"); else args+=(-H "Idempotency-Key;"); fi
	[ -n "${4:-}" ] && args+=(--data-binary "$4")
	code=$(curl "${args[@]}" "$2")
	body=$(cat "$T/body")
}
# posted_twice URL KEY BODY: POST with the key, then the retry: both 201,
# the retry the same body, marked replayed, nothing more appended; the
# record's id in $id.
posted_twice() {
	local first before
	keyed POST "$1" "$2" "$3"
	[ "$code" = 201 ] || return 1
	first=$body
	before=$(stream_len)
	keyed POST "$1" "$2" "$3"
	[ "$code" = 201 ] && [ "$body" = "$first" ] && [ "$(stream_len)" = "$before" ] &&
		grep -qi '^Idempotent-Replayed: true' "$T/headers" || return 1
	id=$(jq -r .id <<<"$first")
}
# idem_key CALLER KEY: the name of the key's kept answer in Redis, as
# the services make it (lib/http/idempotency.c).
idem_key() {
	printf 'idem:%s' "$(printf '%s\0%s' "$1" "$2" | b2sum -l 128 | cut -c1-32 |
		xxd -r -p | basenc --base64url | tr -d '=')"
}
# A key no other test uses.
new_key() { echo "key-$BATS_TEST_NUMBER-$RANDOM$RANDOM"; }

@test "a retry of each command with its key gets the original answer, and appends nothing" {
	k=$(new_key)
	start=$(stream_len)
	posted_twice "$A/accounts" "$k-a" '{"name":"keyed","description":"retried"}'
	aid=$id
	posted_twice "$C/customers" "$k-c" "{\"name\":\"Keyed\",\"account_id\":\"$aid\"}"
	cid=$id
	posted_twice "$C/invoices" "$k-i" \
		"{\"customer_id\":\"$cid\",\"purchase_date\":\"2019-01-06\",\"purchase_price_cents\":700}"
	iid=$id

	# The deletes: the retry is 204 with the same Event-Id, not 404.
	for url in "$C/invoices/$iid" "$C/customers/$cid" "$A/accounts/$aid"; do
		keyed DELETE "$url" "$k-d$url"
		[ "$code" = 204 ]
		eid=$(grep -i '^Event-Id:' "$T/headers")
		before=$(stream_len)
		keyed DELETE "$url" "$k-d$url"
		[ "$code" = 204 ]
		[ "$(grep -i '^Event-Id:' "$T/headers")" = "$eid" ]
		[ "$(stream_len)" = "$before" ]
	done
	# Six commands, each sent twice: six events, all applied.
	[ "$(stream_len)" = $((start + 6)) ]
	wait_projected
	[ "$(sql "$DB" 'SELECT count(*) FROM dead_letters')" = 0 ]
}

@test "the same key with another request: 422, nothing appended" {
	k=$(new_key)
	cid=$(new_customer KeyOwner)
	keyed POST "$C/invoices" "$k" "{\"customer_id\":\"$cid\",\"purchase_date\":\"2019-01-06\",\"purchase_price_cents\":1}"
	[ "$code" = 201 ]
	before=$(stream_len)
	keyed POST "$C/invoices" "$k" "{\"customer_id\":\"$cid\",\"purchase_date\":\"2019-01-06\",\"purchase_price_cents\":2}"
	[ "$code" = 422 ]
	[[ $(jq -r .error <<<"$body") == *"Idempotency-Key"* ]]
	keyed POST "$C/customers" "$k" '{"name":"Other","account_id":"1"}'
	[ "$code" = 422 ]
	keyed DELETE "$C/customers/$cid" "$k"
	[ "$code" = 422 ]
	[ "$(stream_len)" = "$before" ]
}

@test "a malformed key is 400 and appends nothing; 255 printable bytes is a key" {
	before=$(stream_len)
	for bad in "$(printf 'k%.0s' $(seq 256))" "$(printf 'caf\xc3\xa9')" "$(printf 'a\tb')" \
	    "$(printf 'a\x7fb')"; do
		keyed POST "$C/customers" "$bad" '{"name":"Bad key","account_id":"1"}'
		[ "$code" = 400 ] || { echo "key '$bad': $code $body" >&2; false; }
		# (lighttpd itself refuses a control character in a header.)
		jq -e '.error | strings' <<<"$body" >/dev/null
	done
	[ "$(stream_len)" = "$before" ]
	keyed POST "$C/customers" "$(printf 'k%.0s' $(seq 254))~" '{"name":"Long key","account_id":"1"}'
	[ "$code" = 201 ]
	# An empty header never reaches the service: lighttpd drops a header
	# with no value as it parses the request.  It is a request without a key.
	keyed POST "$A/accounts" "" '{"name":"empty key","description":"d"}'
	[ "$code" = 201 ]
	! grep -qi '^Idempotent-Replayed' "$T/headers"
}

@test "keys are the caller's: another user's same key is another request" {
	k=$(new_key)
	keyed POST "$A/accounts" "$k" '{"name":"mine","description":"d"}'
	a1=$(jq -r .id <<<"$body")
	keyed POST "$A/accounts" "$k" '{"name":"mine","description":"d"}' "$TOKEN2"
	[ "$code" = 201 ]
	[ "$(jq -r .id <<<"$body")" != "$a1" ]
}

@test "without the header, each request is a command of its own" {
	before=$(stream_len)
	req POST "$A/accounts" '{"name":"twice","description":"d"}'
	req POST "$A/accounts" '{"name":"twice","description":"d"}'
	[ "$(stream_len)" = $((before + 2)) ]
}

@test "a key is kept IDEMPOTENCY_TTL (24 h): then the same request is new" {
	k=$(new_key)
	keyed POST "$A/accounts" "$k" '{"name":"ttl","description":"d"}'
	first=$(jq -r .id <<<"$body")
	ttl=$(rcli TTL "$(idem_key user1 "$k")")
	[ "$ttl" -gt 86000 ]
	[ "$ttl" -le 86400 ]
	rcli PEXPIRE "$(idem_key user1 "$k")" 1 >/dev/null
	sleep 0.1
	keyed POST "$A/accounts" "$k" '{"name":"ttl","description":"d"}'
	[ "$code" = 201 ]
	[ "$(jq -r .id <<<"$body")" != "$first" ]
}

@test "a kept key takes at most 128 bytes of Redis (MEMORY USAGE), a 36-character key of an 8-character caller" {
	k=$(cat /proc/sys/kernel/random/uuid)
	[ "${#k}" = 36 ]
	rcli HSET user:user0008 password_hash x >/dev/null
	acc=$(rcli --raw FCALL account_create 1 event-stream caller user0008 \
		name n description d | sed -n 3p)
	fp=$(printf 'request' | sha256sum | cut -c1-32)
	id=$(idem_key user0008 "$k")
	# The largest answer the layout keeps in 44 bytes: a 16-digit id.
	rcli SET seq:customer 999999999999999 >/dev/null
	rcli --raw FCALL customer_create 1 event-stream caller user0008 \
		name Eight account_id "$acc" key "$k" key_id "${id#idem:}" \
		fingerprint "$fp" key_ttl 86400 >/dev/null
	bytes=$(rcli MEMORY USAGE "$id")
	note "a kept key of customer 10^15: $bytes bytes (MEMORY USAGE)"
	[ "$bytes" -le 128 ]
	# The retry gets the same answer from what is kept.
	rcli --raw FCALL customer_create 1 event-stream caller user0008 \
		name Eight account_id "$acc" key "$k" key_id "${id#idem:}" \
		fingerprint "$fp" key_ttl 86400 | tail -1 | grep -qx replayed
	rcli DEL user:user0008 >/dev/null
}

@test "a key kept in the layout before (a hash under idem:<len>:<caller>:<key>) still answers its retry" {
	k=$(new_key)
	cid=$(new_customer Before)
	data="{\"customer_id\":\"$cid\",\"purchase_date\":\"2019-01-06\",\"purchase_price_cents\":3}"
	keyed POST "$C/invoices" "$k" "$data"
	[ "$code" = 201 ]
	first=$body
	# The same answer, as the version before kept it: the full SHA-256.
	old="idem:5:user1:$k"
	fp=$(rcli --raw GET "$(idem_key user1 "$k")" | head -c16 | xxd -p | tr -d '\n')
	rcli HSET "$old" fingerprint "${fp}$(printf '0%.0s' $(seq 32))" type InvoiceCreated \
		event_id "$(jq -r .event_id <<<"$first")" id "$(jq -r .id <<<"$first")" >/dev/null
	rcli EXPIRE "$old" 600 >/dev/null
	rcli DEL "$(idem_key user1 "$k")" >/dev/null
	before=$(stream_len)
	keyed POST "$C/invoices" "$k" "$data"
	[ "$code" = 201 ]
	[ "$body" = "$first" ]
	grep -qi '^Idempotent-Replayed: true' "$T/headers"
	[ "$(stream_len)" = "$before" ]
	keyed POST "$C/invoices" "$k" "${data/:3/:4}"
	[ "$code" = 422 ]
}

@test "ten requests at once with one key: one event, ten times the same answer" {
	k=$(new_key)
	cid=$(new_customer Concurrent)
	before=$(stream_len)
	data="{\"customer_id\":\"$cid\",\"purchase_date\":\"2019-01-06\",\"purchase_price_cents\":5}"
	seq 10 | xargs -P 10 -I{} curl -s -o "$T/ten.{}" -w '%{http_code}\n' -X POST "$C/invoices" \
		-H "Authorization: Bearer $TOKEN" -H "Idempotency-Key: $k" --data-binary "$data" >"$T/ten"
	[ "$(stream_len)" = $((before + 1)) ]
	[ "$(sort -u "$T/ten")" = 201 ]
	[ "$(cat "$T"/ten.* | sort -u | wc -l)" = 1 ]
}

@test "Redis stalled under a keyed POST: 503; the retry with the key gets 201 with one event" {
	k=$(new_key)
	cid=$(new_customer Stalled)
	data="{\"customer_id\":\"$cid\",\"purchase_date\":\"2019-01-06\",\"purchase_price_cents\":9}"
	before=$(stream_len)
	redis=$(cat "$VAR_DIR/redis.pid")
	kill -STOP "$redis"
	keyed POST "$C/invoices" "$k" "$data"
	kill -CONT "$redis"
	[ "$code" = 503 ]
	# The ambiguous case: Redis may have taken the command.  The retry
	# tells: the same invoice, whether it was appended then or now.
	for i in 1 2 3; do
		keyed POST "$C/invoices" "$k" "$data"
		[ "$code" = 503 ] || break
		sleep 0.2
	done
	[ "$code" = 201 ]
	[ "$(stream_len)" = $((before + 1)) ]
	iid=$(jq -r .id <<<"$body")
	[ "$(rcli --raw FCALL_RO customer_invoices 1 event-stream caller user1 \
		id "$cid" | sed -n '3~10p')" = "$iid" ]
	note "stalled: $(grep -qi '^Idempotent-Replayed' "$T/headers" && echo "Redis had taken it; the retry got the kept answer" || echo "Redis had not; the retry appended it")"
}
