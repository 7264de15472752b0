#!/usr/bin/env bats
# GET /metrics on both services, parsed: the Prometheus text format, and
# counters that move with the requests and events that happen.

load fixtures

setup_file() {
	stack_start
	export TOKEN=$(login user1 password1)
}

teardown_file() {
	stack_stop
}

# metric URL NAME{LABELS}: the value of one sample, or "absent".
metric() {
	curl -sf "$1/metrics" | awk -v k="$2" 'index($0, k " ") == 1 { print $NF; found = 1 } END { if (!found) print "absent" }'
}

@test "both services answer /metrics in the Prometheus text format, without a token" {
	for url in "$C" "$A"; do
		run curl -s -D "$T/headers" "$url/metrics"
		[ "$status" = 0 ]
		grep -qi '^Content-Type: text/plain; version=0.0.4' "$T/headers"
		# every line is a comment or "name{labels} value"
		bad=$(grep -v -E '^(# (HELP|TYPE) .*|[a-z_]+(\{[^}]*\})? -?[0-9.e+]+)$' <<<"$output" | grep -v '^$' || true)
		[ -z "$bad" ] || { echo "bad lines: $bad" >&2; false; }
	done
}

@test "requests are counted by route and status, across FastCGI processes, with latencies" {
	k='http_requests_total{service="customers",route="POST /invoices",status="400"}'
	before=$(metric "$C" "$k")
	[ "$before" = absent ] && before=0
	for i in 1 2 3 4 5 6; do req POST "$C/invoices" 'nope'; done
	[ "$(metric "$C" "$k")" = $((before + 6)) ]
	# A refusal of the command (422) has a status of its own, not "other".
	k='http_requests_total{service="customers",route="POST /invoices",status="422"}'
	before=$(metric "$C" "$k")
	[ "$before" = absent ] && before=0
	cid=$(new_customer "Counted")
	for cents in 1 2; do	# one Idempotency-Key, two bodies: 201, then 422
		code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$C/invoices" \
			-H "Authorization: Bearer $TOKEN" -H 'Idempotency-Key: metrics-422' \
			-d "{\"customer_id\":\"$cid\",\"purchase_date\":\"2019-01-06\",\"purchase_price_cents\":$cents}")
	done
	[ "$code" = 422 ]
	[ "$(metric "$C" "$k")" = $((before + 1)) ]
	count=$(metric "$C" 'http_request_duration_seconds_count{service="customers",route="POST /invoices"}')
	inf=$(metric "$C" 'http_request_duration_seconds_bucket{service="customers",route="POST /invoices",le="+Inf"}')
	[ "$count" -ge 6 ]
	[ "$count" = "$inf" ]
	req GET "$C/nowhere"
	[ "$(metric "$C" 'http_requests_total{service="customers",route="unmatched",status="404"}')" -ge 1 ]
}

@test "events appended by type, and the projector's figures on the accounts service" {
	k='events_appended_total{service="customers",type="InvoiceCreated"}'
	before=$(metric "$C" "$k")
	applied_before=$(metric "$A" 'projector_events_total{outcome="applied",type="InvoiceCreated"}')
	[ "$applied_before" = absent ] && applied_before=0
	req POST "$C/customers" '{"name":"Metered","account_id":"1"}'
	cid=$(jq -r .id <<<"$body")
	req POST "$C/invoices" "{\"customer_id\":\"$cid\",\"purchase_date\":\"2019-01-06\",\"purchase_price_cents\":1}"
	eid=$(jq -r .event_id <<<"$body")
	[ "$(metric "$C" "$k")" = $((before + 1)) ]
	rcli XADD event-stream '*' EventTypeName InvoiceCreated Payload 'not json' >/dev/null
	wait_projected
	[ "$(metric "$A" 'projector_events_total{outcome="applied",type="InvoiceCreated"}')" = $((applied_before + 1)) ]
	[ "$(metric "$A" 'projector_events_total{outcome="dead_letter",type="InvoiceCreated"}')" -ge 1 ]
	[ "$(metric "$A" projector_dead_letters)" -ge 1 ]
	[ "$(metric "$A" projector_lag_events)" = 0 ]
	[ "$(metric "$A" "projector_last_applied_info{event_id=\"$(rcli --raw XREVRANGE event-stream + - COUNT 1 | head -1)\"}")" = 1 ]
	[ "$(metric "$A" projector_batch_duration_seconds_count)" -ge 1 ]
}

@test "promtool check metrics finds nothing to say about either service's /metrics" {
	command -v promtool >/dev/null || skip "promtool is not installed (apt-get install prometheus)"
	# After the tests above: requests, latencies, events and the
	# projector's figures (a dead letter among them) are all there.
	for url in "$C" "$A"; do
		curl -sf "$url/metrics" >"$T/metrics.txt"
		run promtool check metrics <"$T/metrics.txt"
		[ "$status" = 0 ] && [ -z "$output" ] ||
			{ echo "$url/metrics: promtool said ($status):" >&2; echo "$output" >&2; false; }
	done
	# The accounts service's includes the projector's figures.
	grep -q '^projector_events_total{' "$T/metrics.txt"
}

@test "the stream's consumers, stale or not, and its trimmed mark in /metrics and /status" {
	# A worker that reports now (as the worker's role), and one whose
	# last report is a day old.
	REDISCLI_AUTH=$(cat "$VAR_DIR/redis-worker.pass") redis-cli -s "$REDIS_SOCKET" \
		--user worker FCALL consumer_report 1 event-stream worker fresh 1-1 >/dev/null
	rcli HSET retention:workers old "1-1 $(( ($(date +%s) - 86400) * 1000 ))" >/dev/null
	[ "$(metric "$A" 'stream_consumer_stale{kind="worker",name="fresh"}')" = 0 ]
	[ "$(metric "$A" 'stream_consumer_stale{kind="worker",name="old"}')" = 1 ]
	age=$(metric "$A" 'stream_consumer_report_age_seconds{kind="worker",name="old"}')
	[ "${age%.*}" -ge 86400 ]
	[ "$(metric "$A" stream_trimmed_through_timestamp_seconds)" = 0.000 ]
	run curl -s "$A/status"
	[ "$(jq -r '.stream.trimmed_through' <<<"$output")" = 0-0 ]
	[ "$(jq -c '[.stream.consumers[] | select(.kind == "worker" and (.name == "fresh" or .name == "old")) | [.name, .stale]] | sort' <<<"$output")" = '[["fresh",false],["old",true]]' ]
	rcli HDEL retention:workers fresh old >/dev/null
}

@test "the lag shows while the worker is paused" {
	worker=$(cat "$VAR_DIR/worker.pid")
	kill -STOP "$worker"
	for i in 1 2 3; do req POST "$C/customers" '{"name":"Lagging","account_id":"1"}'; done
	sleep 1.1
	lag=$(metric "$A" projector_lag_events)
	secs=$(metric "$A" projector_lag_seconds)
	kill -CONT "$worker"
	[ "$lag" = 3 ]
	awk -v s="$secs" 'BEGIN { exit !(s > 0) }'
}

@test "Redis errors are counted" {
	before=$(metric "$C" 'redis_errors_total{service="customers"}')
	# A Redis that stops answering: the request times out (a connection
	# Redis closed is remade before use, and is no error).
	redis=$(cat "$VAR_DIR/redis.pid")
	kill -STOP "$redis"
	req GET "$C/status"
	kill -CONT "$redis"
	[ "$code" = 503 ]
	[ "$(metric "$C" 'redis_errors_total{service="customers"}')" -gt "$before" ]
}

@test "logs: logfmt lines with a level, request failures with their status, an access log; no token" {
	req POST "$C/invoices" 'broken'
	grep -E '^ts=[0-9T:-]+Z level=(info|warn|error) prog=[a-z.]+ pid=[0-9]+ msg=".*"$' "$T/run.log" | grep -q 'prog=worker'
	grep -q 'level=info prog=customers.fcgi .*msg="POST /invoices: 400"' "$T/run.log"
	grep -q 'prog=customers.fcgi .*msg="started"' "$T/run.log"
	[ -s "$VAR_DIR/access.log" ]
	grep -q '"POST /invoices HTTP/1.1" 400' "$VAR_DIR/access.log"
	! grep -qF "$TOKEN" "$T/run.log" "$VAR_DIR/access.log"
	# every line our programs write is logfmt (lighttpd's own lines aside)
	! grep -E '^(customers.fcgi|accounts.fcgi|worker|setup): ' "$T/run.log"
}
