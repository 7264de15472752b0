#!/usr/bin/env bats
# Concurrency and a Redis that stalls or drops connections: answers stay
# fast and clean, and the services recover by themselves.

load fixtures

setup_file() {
	stack_start
	export TOKEN=$(login user1 password1)
}

teardown_file() {
	# A test that fails while Redis is stopped must not leave it so.
	kill -CONT "$(cat "$VAR_DIR/redis.pid")" 2>/dev/null || true
	stack_stop
}

@test "twenty creates at once: twenty distinct ids, twenty events" {
	before=$(stream_len)
	seq 20 | xargs -P 20 -I{} curl -sf -X POST "$C/customers" \
		-H "Authorization: Bearer $TOKEN" -d '{"name":"Concurrent {}","account_id":"1"}' >"$T/ids"
	[ "$(jq -r .id "$T/ids" | sort -u | wc -l)" = 20 ]
	[ "$(jq -r .event_id "$T/ids" | sort -u | wc -l)" = 20 ]
	[ "$(stream_len)" = $((before + 20)) ]
	wait_projected
	req GET "$A/accounts/1"
	[ "$(jq '[.customers[] | select(.name | startswith("Concurrent"))] | length' <<<"$body")" = 20 ]
}

@test "connections Redis dropped while idle are remade before use: no request fails" {
	# Each of the 4 processes of each service has one, dropped at once.
	rcli CLIENT KILL TYPE normal >/dev/null
	for i in $(seq 12); do
		req POST "$C/customers" '{"name":"After kill","account_id":"1"}'
		[ "$code" = 201 ]
		req GET "$C/customers/$(jq -r .id <<<"$body")"
		[ "$code" = 200 ]
	done
	wait_projected
}

@test "a stalled Redis: /status answers 503 within the timeout, reads go on, and all recovers" {
	redis_pid=$(cat "$VAR_DIR/redis.pid")
	kill -STOP "$redis_pid"
	start=$(date +%s%N)
	req GET "$C/status"
	took=$(ms_since "$start")
	[ "$code" = 503 ]
	[ "$(jq -r .error <<<"$body")" = "redis unavailable" ]
	[ "$took" -lt 3000 ]
	# The read model does not need Redis.
	req GET "$A/accounts"
	[ "$code" = 200 ]
	kill -CONT "$redis_pid"
	req GET "$C/status"
	[ "$code" = 200 ]
	req POST "$C/customers" '{"name":"After stall","account_id":"1"}'
	[ "$code" = 201 ]
	wait_projected
}

@test "a Redis that answers errors (BUSY in a long script): 503 from /status and from ?after=, not an empty stream" {
	last=$(stream_last)
	rcli CONFIG SET busy-reply-threshold 10 >/dev/null
	# Three seconds of a script: everyone else gets -BUSY meanwhile.
	rcli EVAL "local s = tonumber(redis.call('TIME')[1])
		while tonumber(redis.call('TIME')[1]) < s + 3 do end" 0 >/dev/null &
	script=$!
	sleep 0.5
	req GET "$A/status"
	status_code=$code
	req GET "$A/accounts?after=99999999999999-0"
	after_code=$code after_body=$body
	wait "$script"
	rcli CONFIG SET busy-reply-threshold 5000 >/dev/null
	[ "$status_code" = 503 ]
	[ "$after_code" = 503 ]
	[ "$(jq -r .error <<<"$after_body")" = "event store unavailable" ]
	# And once it is over, the same read is the 400 it should be.
	req GET "$A/accounts?after=99999999999999-0"
	[ "$code" = 400 ]
	[[ $(jq -r .error <<<"$body") == *"its last is $last"* ]]
}
