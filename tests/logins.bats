#!/usr/bin/env bats
# Logins under attack (the login review): strangers' guesses cannot fill
# the queue in front of a known user's login, nor lock the user out of
# the addresses it logs in from; a login whose client hung up is not
# hashed.  db/login.lua says how.  Figures go to the TAP output.
#
# user2 is the victim: it has logged in before from VICTIM_ADDR and from
# KNOWN2 (setup_file), which makes them known addresses of its.

load fixtures
load abuse

KNOWN2=127.0.0.4

setup_file() {
	# PER_ADDRESS_BUSY empty: the default, one request in work per
	# address (tests/fixtures.bash raises it).  The victim logs in some
	# 50 times to be measured: its successes are not what is shown here.
	stack_start PER_ADDRESS_BUSY= LOGIN_MAX_SUCCESSES_PER_USER=1000
	[ "$(login_as "$VICTIM_ADDR" user2 password2 | cut -d' ' -f2)" = 200 ]
	[ "$(login_as "$KNOWN2" user2 password2 | cut -d' ' -f2)" = 200 ]
}

teardown_file() {
	attack_stop
	stack_stop
}

teardown() {
	attack_stop
}

# login_as ADDR USER PASSWORD [CURL_ARG...]: one login from that source
# address; prints "milliseconds status".
login_as() {
	curl -s -o /dev/null --interface "$1" -w '%{time_total} %{http_code}\n' \
		-X POST "$A/auth/login" "${@:4}" \
		-d "$(jq -cn --arg u "$2" --arg p "$3" '{username:$u, password:$p}')" |
		awk '{ printf "%.0f %s\n", $1 * 1000, $2 }'
}

# victim_logins N OUT: user2's N logins in a row from VICTIM_ADDR, as
# login_as prints them, in OUT.
victim_logins() {
	local i
	for ((i = 0; i < $1; i++)); do
		login_as "$VICTIM_ADDR" user2 password2 --max-time 12
	done >"$2"
}

# skipped: how many logins were answered 499 (client gone, not hashed).
skipped() {
	curl -s "$A/metrics" | awk '/^http_requests_total\{service="accounts",route="POST \/auth\/login",status="499"\}/ { n = $NF }
		END { print n + 0 }'
}

@test "20 logins whose clients hang up after 50 ms are neither hashed nor counted" {
	for i in 1 2 3; do login_as "$VICTIM_ADDR" user2 password2; done >"$T/one"
	one=$(percentile 50 "$T/one")
	before=$(skipped)
	# 20 at once, from 20 addresses: users that do not exist, whose
	# hash costs what a wrong password's does.
	seq 20 | xargs -P 20 -I{} curl -s -o /dev/null --max-time 0.05 \
		--interface 127.0.6.{} -X POST "$A/auth/login" \
		-d '{"username":"nobody{}","password":"x"}' || :
	after_login=$(login_as "$VICTIM_ADDR" user2 password2)
	# The metrics come from the accounts pool: the count is in by now.
	after=$(skipped)
	note "hung up: $((after - before)) of 20 not hashed (499); the next login took ${after_login% *} ms (one alone: $one ms; 20 hashes would be $((20 * one)) ms)"
	[ "${after_login#* }" = 200 ]
	[ $((after - before)) -ge 15 ]
	[ "${after_login% *}" -lt $((5 * one)) ]
	# Not counted: only the addresses whose login was hashed have a
	# failure on record.
	[ "$(rcli --scan --pattern 'login:addr:127.0.6.*' | wc -l)" -le $((20 - (after - before))) ]
}

@test "known addresses: the last LOGIN_KNOWN_ADDRS (8) of a user, kept LOGIN_KNOWN_TTL (30 days)" {
	for i in $(seq 10); do
		code=$(login_as "127.0.10.$i" user1 password1 | cut -d' ' -f2)
		# A stranger's turn may have to wait (the budget's second).
		[ "$code" != 429 ] || { sleep 1; code=$(login_as "127.0.10.$i" user1 password1 | cut -d' ' -f2); }
		[ "$code" = 200 ]
	done
	[ "$(rcli ZRANGE login:known:user1 0 -1 | paste -sd' ')" = \
	    "127.0.10.3 127.0.10.4 127.0.10.5 127.0.10.6 127.0.10.7 127.0.10.8 127.0.10.9 127.0.10.10" ]
	ttl=$(rcli TTL login:known:user1)
	[ "$ttl" -gt $((30 * 86400 - 60)) ]
	[ "$ttl" -le $((30 * 86400)) ]
}

@test "40 addresses guessing wrong passwords: a known user's login stays fast (p90 under 1 s)" {
	victim_logins 20 "$T/base"
	start=$(date +%s%N)
	guess_loops 1 40
	sleep 2
	victim_logins 20 "$T/during"
	attack_stop
	took=$(ms_since "$start")
	cat "$T"/guesses.* >"$T/guesses"
	hashed=$(grep -c '^401$' "$T/guesses" || :)
	note "victim p50/p90: before $(percentile 50 "$T/base")/$(percentile 90 "$T/base") ms, during $(percentile 50 "$T/during")/$(percentile 90 "$T/during") ms; statuses during: $(cut -d' ' -f2 "$T/during" | sort | uniq -c | paste -sd' ')"
	note "40 attackers in $took ms: $(sort "$T/guesses" | uniq -c | paste -sd' ')"
	[ "$(grep -cv ' 200$' "$T/during")" = 0 ]
	[ "$(percentile 90 "$T/during")" -le 1000 ]
	# They did guess, as fast as they were answered...
	[ "$(wc -l <"$T/guesses")" -ge 400 ]
	[ "$(grep -cv -E '^(401|429)$' "$T/guesses")" = 0 ]
	# ...and no more of their guesses were hashed than the strangers'
	# budget lets through (LOGIN_STRANGER_HASHES, 4 a second, and a
	# second's worth at once), and a little: its clock is Redis's.
	[ "$hashed" -le $((4 * took / 1000 + 4 + 2)) ]
}

@test "10 addresses x 5 wrong passwords for user2: a fresh address gets 429, user2's known addresses still log in" {
	# 50 failures (LOGIN_MAX_FAILURES_PER_USER) from 10 strangers, each
	# within its own pair limit (5); the strangers' budget may ask them
	# to come back (429 with Retry-After: 1).
	for a in $(seq 10); do
		n=0
		for try in $(seq 40); do
			code=$(login_as "127.0.9.$a" user2 "wrong$try" | cut -d' ' -f2)
			case $code in
			401) n=$((n + 1)) ;;
			429) sleep 0.25 ;;
			*) echo "127.0.9.$a: $code" >&2; false ;;
			esac
			[ "$n" -lt 5 ] || break
		done
		[ "$n" = 5 ]
	done
	[ "$(rcli GET login:user:user2)" -ge 50 ]
	# A fresh address: 429, and for the user's count, not the budget's
	# second.
	code=$(curl -s -o /dev/null -D "$T/h" -w '%{http_code}' --interface 127.0.9.11 \
		-X POST "$A/auth/login" -d '{"username":"user2","password":"password2"}')
	retry=$(sed -n 's/^Retry-After: \([0-9]*\)\r$/\1/Ip' "$T/h")
	note "after 10 x 5 wrong passwords: a fresh address $code (Retry-After: $retry s)"
	[ "$code" = 429 ]
	[ "$retry" -gt 1 ]
	# Where user2 has logged in before: 200.
	[ "$(login_as "$VICTIM_ADDR" user2 password2 | cut -d' ' -f2)" = 200 ]
	# A known address is still held to its own pair limit: 5 failures,
	# then 429, however right the password.
	for i in $(seq 5); do
		[ "$(login_as "$KNOWN2" user2 "typo$i" | cut -d' ' -f2)" = 401 ]
	done
	[ "$(login_as "$KNOWN2" user2 password2 | cut -d' ' -f2)" = 429 ]
}
