#!/usr/bin/env bats
# Hostile input and auth: each attack gets a clean refusal, nothing is
# appended, and nothing leaks.

load fixtures

setup_file() {
	# The strangers' hashing budget (4 a second) is tests/logins.bats's;
	# here the counts per pair, user and address are shown one by one.
	stack_start LOGIN_WINDOW=30 LOGIN_MAX_FAILURES_PER_ADDR=10 \
	    LOGIN_STRANGER_HASHES=1000
	export TOKEN=$(login user1 password1)
	export TOKEN2=$(login user2 password2)
	export SECRET=$(cat "$VAR_DIR/jwt.secret")
}

teardown_file() {
	stack_stop
}

login_status() {	# USER PASSWORD -> HTTP status; headers in $T/headers
	curl -s -D "$T/headers" -o "$T/body" -w '%{http_code}' -X POST "$A/auth/login" \
		${FROM:+--interface "$FROM"} \
		-d "$(jq -cn --arg u "$1" --arg p "$2" '{username:$u, password:$p}')"
}

# The last answer's Retry-After is within the window.
retry_after_ok() {
	local s
	s=$(grep -i '^Retry-After:' "$T/headers" | tr -dc 0-9)
	[ -n "$s" ] && [ "$s" -ge 1 ] && [ "$s" -le 30 ]
}
# Ends the window of a throttle key now, as if its time had passed.
window_ends() {
	rcli PEXPIRE "$1" 1 >/dev/null
	sleep 0.1
}

@test "JSON tricks: duplicate keys, deep nesting, -0, 1e308, 2^53+1, leading zeros" {
	refused 400 POST "$C/customers" '{"name":"A","account_id":"1","name":"B"}'
	refused 400 POST "$C/customers" '{"name":"A","account_id":"1","\u006eame":"B"}'
	refused 400 POST "$C/customers" '{"name":"A","account_id":"2","account_id":"1"}'
	refused 400 POST "$C/customers" "{\"name\":\"A\",\"account_id\":\"1\",\"x\":$(printf '[%.0s' $(seq 100))$(printf ']%.0s' $(seq 100))}"
	refused 400 POST "$C/customers" "$(printf '[%.0s' $(seq 5000))"
	cid=$(new_customer Target)
	for cents in -0 1e308 9007199254740993 -9223372036854775808 18446744073709551616 00 007 0x10 NaN Infinity '"1"' '[1]' '{"a":1}'; do
		refused 400 POST "$C/invoices" "{\"customer_id\":\"$cid\",\"purchase_date\":\"2019-01-06\",\"purchase_price_cents\":$cents}"
	done
}

@test "names: NUL and control characters refused; quotes, %, SQL, emoji and 200 bytes of UTF-8 round-trip to GET /accounts" {
	for bad in '\u0000' 'a\u0000b' '\u0007' '\u001b[31m' '\u007f' '\u0085' 'line\nbreak'; do
		refused 400 POST "$C/customers" "{\"name\":\"$bad\",\"account_id\":\"1\"}"
	done
	refused 400 POST "$C/customers" "$(printf '{"name":"%s","account_id":"1"}' "$(printf '\xc3\x28')")"
	names=(
		"Robert'); DROP TABLE customers;--"
		'100% "quoted" \back\slash /slash'
		'😀🎉 emoji ✓'
		"$(printf 'é%.0s' $(seq 100))"		# 200 bytes of 2-byte UTF-8
		"$(printf '😀%.0s' $(seq 50))"		# 200 bytes of 4-byte UTF-8
		"' OR '1'='1"
	)
	for n in "${names[@]}"; do
		req POST "$C/customers" "$(jq -cn --arg n "$n" '{name:$n, account_id:"1"}')"
		[ "$code" = 201 ]
		cid=$(jq -r .id <<<"$body")
		eid=$(jq -r .event_id <<<"$body")
		[ "$(rcli --raw XRANGE event-stream "$eid" "$eid" | sed -n 5p | jq -r .name)" = "$n" ]
		wait_projected
		req GET "$A/accounts/1"
		[ "$(jq -r --arg c "$cid" '.customers[] | select(.customer_id == $c) | .name' <<<"$body")" = "$n" ]
		req GET "$C/customers/$cid"
		[ "$(jq -r .name <<<"$body")" = "$n" ]
	done
	refused 400 POST "$C/customers" "$(jq -cn --arg n "$(printf 'é%.0s' $(seq 100))x" '{name:$n, account_id:"1"}')"
}

@test "ids in paths: SQL, signs, huge numbers, encodings are refused" {
	for p in "1%20OR%201=1" "1;DROP" "-1" "0" "01" "%31" "99999999999999999999" "1e3"; do
		req GET "$A/accounts/$p"
		[ "$code" = 400 ] || [ "$code" = 404 ] || { echo "$p -> $code" >&2; false; }
		jq -e '.error | strings' <<<"$body"
		refused "$code" DELETE "$C/invoices/$p" ""
	done
}

@test "hostile sizes: a huge header, a huge query string, many headers" {
	run curl -s -o /dev/null -w '%{http_code}' "$A/accounts" -H "Authorization: Bearer $TOKEN" -H "X-Junk: $(head -c 10000 /dev/zero | tr '\0' a)"
	[ "$output" = 431 ]
	run curl -s -o /dev/null -w '%{http_code}' "$A/accounts?q=$(head -c 10000 /dev/zero | tr '\0' a)" -H "Authorization: Bearer $TOKEN"
	[ "$output" = 431 ] || [ "$output" = 414 ]
	hdrs=()
	v=$(printf 'v%.0s' $(seq 40))
	for i in $(seq 400); do hdrs+=(-H "X-H$i: $v"); done
	run curl -s -o /dev/null -w '%{http_code}' "$A/accounts" "${hdrs[@]}"
	[ "$output" = 431 ]
	run curl -s -o /dev/null -w '%{http_code}' "$A/accounts" -H "Authorization: Bearer $(head -c 6000 /dev/zero | tr '\0' a)"
	[ "$output" = 401 ]
}

@test "unknown user and wrong password take about the same time" {
	t_wrong=0 t_unknown=0
	for i in 1 2 3; do
		s=$(date +%s%N); login_status user1 "wrong$i" >/dev/null; t_wrong=$((t_wrong + $(date +%s%N) - s))
		s=$(date +%s%N); login_status "ghost$i" wrong >/dev/null; t_unknown=$((t_unknown + $(date +%s%N) - s))
	done
	rcli --scan --pattern 'login:*' | xargs -r "$ROOT/scripts/redis-cli" DEL >/dev/null
	# Both pay one argon2id check; generous bounds for a noisy machine.
	[ $((t_unknown * 3)) -gt "$t_wrong" ]
	[ $((t_wrong * 3)) -gt "$t_unknown" ]
}

@test "failed logins are throttled per user and address: 429 with Retry-After, then allowed again" {
	for i in 1 2 3 4 5; do
		[ "$(login_status user1 bad)" = 401 ]
	done
	[ "$(login_status user1 password1)" = 429 ]
	retry_after_ok
	jq -e '.error | strings' "$T/body"
	# another user from the same address is not blocked by user1's failures
	[ "$(login_status user2 password2)" = 200 ]
	window_ends login:pair:5:user1:127.0.0.1
	[ "$(login_status user1 password1)" = 200 ]
	rcli DEL login:addr:127.0.0.1 login:user:user1 >/dev/null
}

@test "failed logins are throttled per client address, whatever the names" {
	# From an address user2 never logged in from: a known one is held to
	# its own pair's count only (tests/logins.bats).
	export FROM=127.0.6.1
	for i in $(seq 10); do
		[ "$(login_status "spray$i" bad)" = 401 ]
	done
	[ "$(login_status user2 password2)" = 429 ]
	retry_after_ok
	window_ends login:addr:127.0.6.1
	[ "$(login_status user2 password2)" = 200 ]
	unset FROM
}

@test "neither the secret nor a token appears in any log" {
	! grep -rqF "$SECRET" "$T"/*.log "$VAR_DIR"/*.log
	! grep -rqF "$(cut -d. -f3 <<<"$TOKEN")" "$T"/*.log "$VAR_DIR"/*.log
	# error messages don't echo it either
	req GET "$A/accounts" "" "$TOKEN.x"
	[[ $body != *"$SECRET"* ]]
}

@test "a token of a user that no longer exists is refused everywhere" {
	# Every accounts process has seen the user exist (user_watch.c):
	# what each remembers must go with the key.
	for _ in $(seq 16); do
		req GET "$A/accounts" "" "$TOKEN2"
		[ "$code" = 200 ]
	done
	# And they remember it: at most one EXISTS a process, not one a read.
	rcli CONFIG RESETSTAT >/dev/null
	for _ in $(seq 16); do
		req GET "$A/accounts" "" "$TOKEN2"
		[ "$code" = 200 ]
	done
	exists=$(rcli INFO commandstats | tr -d '\r' | sed -n 's/^cmdstat_exists:calls=\([0-9]*\),.*/\1/p')
	echo "EXISTS for 16 reads: ${exists:-0}"
	[ "${exists:-0}" -le "${FCGI_PROCS:-4}" ]
	rcli DEL user:user2 >/dev/null
	refused 401 POST "$C/customers" '{"name":"x","account_id":"2"}' "$TOKEN2"
	for _ in $(seq 16); do
		req GET "$A/accounts" "" "$TOKEN2"
		[ "$code" = 401 ]
	done
	req GET "$C/customers/1" "" "$TOKEN2"
	[ "$code" = 401 ]
	req POST "$A/accounts" '{"name":"n","description":"d"}' "$TOKEN2"
	[ "$code" = 401 ]
	[ "$(login_status user2 password2)" = 401 ]
}

@test "started as root, nothing runs as root; the data folder and secret are private" {
	[ "$(id -u)" = 0 ] || skip "the suite is not running as root"
	for name in redis worker archiver lighttpd; do
		pid=$(cat "$VAR_DIR/$name.pid")
		[ "$(ps -o user= -p "$pid")" != root ] || { echo "$name runs as root" >&2; false; }
	done
	children=$(pgrep -P "$(cat "$VAR_DIR/lighttpd.pid")")
	[ -n "$children" ]
	for pid in $children; do
		[ "$(ps -o user= -p "$pid")" != root ]
	done
	[ "$(stat -c %a "$VAR_DIR")" = 700 ]
	[ "$(stat -c %a "$VAR_DIR/jwt.secret")" = 600 ]
	[ "$(stat -c %a "$VAR_DIR/accounts.db")" = 600 ]
	# a program started as root by hand drops to the same user
	"$BIN_DIR/worker" --rebuild 2>>"$T/run.log" 3>&-
	[ "$(stat -c %U "$VAR_DIR/worker.checkpoint")" = "$(ps -o user= -p "$(cat "$VAR_DIR/worker.pid")" | tr -d ' ')" ]
}
