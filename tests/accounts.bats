#!/usr/bin/env bats
# The accounts service: login, tokens, and the reads of the projection.

load fixtures

setup_file() {
	stack_start
	export TOKEN=$(login user1 password1)
	export TOKEN2=$(login user2 password2)
	export SECRET=$(cat "$VAR_DIR/jwt.secret")
	new_customer Zed >/dev/null
	wait_projected
}

teardown_file() {
	stack_stop
}

@test "login answers a Bearer token good for 900 s" {
	req POST "$A/auth/login" '{"username":"user1","password":"password1"}'
	[ "$code" = 200 ]
	[ "$(jq -r .token_type <<<"$body")" = Bearer ]
	[ "$(jq -r .expires_in <<<"$body")" = 900 ]
	tok=$(jq -r .token <<<"$body")
	claims=$(jwt_payload "$tok")
	[ "$(jq -r .username <<<"$claims")" = user1 ]
	[ "$(jq -r .sub <<<"$claims")" = user1 ]
	[ "$(jq '.exp - .iat' <<<"$claims")" = 900 ]
	[ "$(jwt_payload "x.$(cut -d. -f1 <<<"$tok")" | jq -r .alg)" = HS256 ]
}

@test "login accepts the original's Username/Password keys" {
	req POST "$A/auth/login" '{"Username":"user2","Password":"password2"}'
	[ "$code" = 200 ]
	[ "$(jwt_payload "$(jq -r .token <<<"$body")" | jq -r .username)" = user2 ]
}

@test "wrong password and unknown user get the same 401" {
	req POST "$A/auth/login" '{"username":"user1","password":"wrong"}'
	[ "$code" = 401 ]
	wrong=$body
	req POST "$A/auth/login" '{"username":"nobody","password":"password1"}'
	[ "$code" = 401 ]
	[ "$body" = "$wrong" ]
	req POST "$A/auth/login" '{"username":"user1","password":"password2"}'
	[ "$code" = 401 ]
}

@test "login with a bad body: 400" {
	for b in '' 'x' '[]' '{"username":"user1"}' '{"password":"p"}' '{"username":1,"password":"p"}'; do
		req POST "$A/auth/login" "$b" ""
		[ "$code" = 400 ] || { echo "$b -> $code" >&2; false; }
		jq -e '.error | strings' <<<"$body"
	done
}

@test "GET /accounts: the caller's accounts only, in the original's shape" {
	req GET "$A/accounts"
	[ "$code" = 200 ]
	[ "$(jq -r 'length' <<<"$body")" = 1 ]
	jq -e '.[0] | (.account | keys) == ["created_date","description","id","name","owned_by"]' <<<"$body"
	jq -e '.[0].account | .id == 1 and .name == "one" and .description == "one" and .owned_by == "user1"' <<<"$body"
	jq -e '.[0].customers[0] | keys == ["customer_id","name","total_revenue_cents"]' <<<"$body"
	req GET "$A/accounts" "" "$TOKEN2"
	[ "$code" = 200 ]
	jq -e 'length == 1 and .[0].account.name == "two" and .[0].customers == [] and .[0].total_revenue_cents == 0' <<<"$body"
}

@test "GET /accounts/{id}: yours 200, another's 403, unknown 404, not a number 400" {
	req GET "$A/accounts/1"
	[ "$code" = 200 ]
	jq -e '.account.id == 1' <<<"$body"
	req GET "$A/accounts/2"
	[ "$code" = 403 ]
	req GET "$A/accounts/999"
	[ "$code" = 404 ]
	req GET "$A/accounts/abc"
	[ "$code" = 400 ]
	jq -e '.error | strings' <<<"$body"
}

@test "GET /accounts/{id}/is-owned-by/{user}: about oneself only, so no one learns who owns what" {
	req GET "$A/accounts/1/is-owned-by/user1"
	[ "$code" = 200 ]
	[ "$body" = '{"ok":true}' ]
	# user2's account is to user1 what no account is.
	req GET "$A/accounts/2/is-owned-by/user1"
	[ "$code" = 200 ]
	[ "$body" = '{"ok":false}' ]
	req GET "$A/accounts/999/is-owned-by/user1"
	[ "$code" = 200 ]
	[ "$body" = '{"ok":false}' ]
	# The attacker's question: does user2 own account 2?
	req GET "$A/accounts/2/is-owned-by/user2"
	[ "$code" = 403 ]
	req GET "$A/accounts/1/is-owned-by/user2"
	[ "$code" = 403 ]
	req GET "$A/accounts/1/is-owned-by/user1" "" ""
	[ "$code" = 401 ]
}

@test "/status needs no token; everything else does" {
	req GET "$A/status" "" ""
	[ "$code" = 200 ]
	for p in /accounts /accounts/1; do
		req GET "$A$p" "" ""
		[ "$code" = 401 ]
	done
}

@test "tokens: expired, tampered, alg none, other algorithms, wrong key, wrong header form are 401" {
	now=$(date +%s)
	hs='{"alg":"HS256","typ":"JWT"}'
	good=$(jwt_make "$hs" "{\"sub\":\"user1\",\"username\":\"user1\",\"iat\":$now,\"exp\":$((now + 60))}" "$SECRET")
	req GET "$A/accounts" "" "$good"
	[ "$code" = 200 ]		# the forger works: the refusals below mean something

	expired=$(jwt_make "$hs" "{\"sub\":\"user1\",\"username\":\"user1\",\"iat\":$((now - 1000)),\"exp\":$((now - 100))}" "$SECRET")
	noexp=$(jwt_make "$hs" "{\"sub\":\"user1\",\"username\":\"user1\",\"iat\":$now}" "$SECRET")
	wrongkey=$(jwt_make "$hs" "{\"sub\":\"user1\",\"username\":\"user1\",\"iat\":$now,\"exp\":$((now + 60))}" "not-the-secret-not-the-secret-xx")
	hs512=$(jwt_make '{"alg":"HS512","typ":"JWT"}' "{\"sub\":\"user1\",\"username\":\"user1\",\"iat\":$now,\"exp\":$((now + 60))}" "$SECRET" sha512)
	none="$(printf '{"alg":"none","typ":"JWT"}' | b64url).$(printf '{"sub":"user1","username":"user1","exp":%d}' $((now + 60)) | b64url)."
	tampered="$(cut -d. -f1 <<<"$TOKEN").$(printf '{"sub":"user2","username":"user2","iat":%d,"exp":%d}' "$now" $((now + 60)) | b64url).$(cut -d. -f3 <<<"$TOKEN")"
	badsig="${TOKEN%?}$( [ "${TOKEN: -1}" = A ] && echo B || echo A)"
	for t in "$expired" "$noexp" "$wrongkey" "$hs512" "$none" "$tampered" "$badsig" "x.y.z" "$TOKEN.extra"; do
		token_refused "$t"
	done
	for h in "bearer $TOKEN" "Bearer  $TOKEN" "Token $TOKEN" "$TOKEN" "Bearer"; do
		code=$(curl -s -o /dev/null -w '%{http_code}' "$A/accounts" -H "Authorization: $h")
		[ "$code" = 401 ] || { echo "accepted header: $h" >&2; false; }
	done
}

@test "a token of user2 cannot act for user1" {
	req POST "$C/customers" '{"name":"x","account_id":"1"}' "$TOKEN2"
	[ "$code" = 403 ]
	req GET "$A/accounts/1" "" "$TOKEN2"
	[ "$code" = 403 ]
}

@test "the JWT secret file is created with mode 0600" {
	[ "$(stat -c %a "$VAR_DIR/jwt.secret")" = 600 ]
	[ "$(stat -c %s "$VAR_DIR/jwt.secret")" -ge 32 ]
}

@test "read-your-writes: GET /accounts?after=<event_id> waits for the projection" {
	# A paused worker makes the wait visible: without ?after the read is stale.
	worker=$(cat "$VAR_DIR/worker.pid")
	kill -STOP "$worker"
	req POST "$C/customers" '{"name":"Fresh","account_id":"1"}'
	eid=$(jq -r .event_id <<<"$body")
	cid=$(jq -r .id <<<"$body")
	req GET "$A/accounts"
	jq -e --arg c "$cid" '[.[0].customers[].customer_id] | index($c) == null' <<<"$body"
	(sleep 0.3; kill -CONT "$worker") &
	req GET "$A/accounts?after=$eid"
	kill -CONT "$worker"
	[ "$code" = 200 ]
	jq -e --arg c "$cid" '[.[0].customers[].customer_id] | index($c)' <<<"$body"
	req GET "$A/accounts/1?after=$eid"
	[ "$code" = 200 ]
	jq -e --arg c "$cid" '[.customers[].customer_id] | index($c)' <<<"$body"
	req GET "$A/accounts?after=nonsense"
	[ "$code" = 400 ]
}

@test "read-your-writes: an id the projection does not reach in time gets 504 with its position" {
	worker=$(cat "$VAR_DIR/worker.pid")
	kill -STOP "$worker"
	req POST "$C/customers" '{"name":"Late","account_id":"1"}'
	eid=$(jq -r .event_id <<<"$body")
	start=$(date +%s%N)
	req GET "$A/accounts?after=$eid"
	kill -CONT "$worker"
	[ "$code" = 504 ]
	jq -e '.last_event_id | test("^[0-9]+-[0-9]+$")' <<<"$body"
	[ "$(ms_since "$start")" -lt 5000 ]
	# A wait is a warning, not an error: nothing is broken.
	grep -q 'level=warn prog=accounts.fcgi .* 504"$' "$T/run.log"
	! grep -q 'level=error prog=accounts.fcgi .* 504"$' "$T/run.log"
}

@test "read-your-writes: an id the stream has not given yet is refused at once, 400" {
	start=$(date +%s%N)
	req GET "$A/accounts?after=99999999999999-0"
	[ "$code" = 400 ]
	[[ $(jq -r .error <<<"$body") == "after names no event of the stream"* ]]
	req GET "$A/accounts/1?after=99999999999999-0"
	[ "$code" = 400 ]
	[ "$(ms_since "$start")" -lt 1000 ]
}
