#!/usr/bin/env bats
# Several hosts: deploy/multihost/multihost.sh builds the production shape
# with network namespaces (redis, redis2, cust, acct1, acct2, web on a private
# 10.77.0.0/24 that exists only inside them), and the seed's flow runs
# across them from the web host.  Both accounts hosts, each with its own
# worker and SQLite replica, must answer GET /accounts with the same
# figures.  Needs root and network namespaces; skips otherwise.

load fixtures

# Every curl (also in the fixtures' req, login and wait_projected) runs
# on the web host.
curl_from web 10

setup_file() {
	multihost_up
	[ -z "${MH_SKIP:-}" ] || return 0
	export TOKEN=$(login user1 password1)
	[ -n "$TOKEN" ] && [ "$TOKEN" != null ] ||
		{ tail -20 "$T/multihost.log" >&2; ip netns list >&2; false; }
}

teardown_file() {
	multihost_down
}

setup() {
	[ -z "${MH_SKIP:-}" ] || skip "$MH_SKIP"
}

@test "each host is its own namespace; each accounts host has its own replica" {
	for h in redis redis2 cust acct1 acct2 web sw; do
		ip netns list | grep -q "^mh$MH_ID-$h\b"
	done
	# A host has its loopback and one link to the bridge, nothing else.
	[ "$(ip -n "$NS_WEB" -o link show | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }' | sort | paste -sd' ')" = "eth0 lo" ]
	# Each accounts host: a worker and accounts.fcgi in its namespace, and
	# its own SQLite file.
	for h in acct1 acct2; do
		pids=$(ip netns pids "mh$MH_ID-$h")
		ps -o args= -p "${pids//$'\n'/,}" | grep -q '/worker$'
		ps -o args= -p "${pids//$'\n'/,}" | grep -q '/accounts.fcgi$'
		[ -s "$T/hosts/$h/var/accounts.db" ]
	done
	[ "$(stat -c %i "$T/hosts/acct1/var/accounts.db")" != "$(stat -c %i "$T/hosts/acct2/var/accounts.db")" ]
	# No FastCGI program or Redis on the web host: lighttpd only forwards
	# (and a Sentinel watches).
	run ps -o args= -p "$(ip netns pids "mh$MH_ID-web" | paste -sd,)"
	[[ $output != *fcgi* ]] && [[ $output != *redis-server* ]]
}

@test "the seed's flow across the hosts; both replicas answer GET /accounts with the same figures" {
	req GET "$C/status"
	[ "$code" = 200 ]
	req POST "$C/customers" '{"name": "John Adams", "account_id": "1"}'
	[ "$code" = 201 ]
	cid=$(jq -r .id <<<"$body")
	req POST "$C/invoices" "{\"customer_id\": \"$cid\", \"purchase_date\": \"2019-01-06\", \"purchase_price_cents\": 10000}"
	[ "$code" = 201 ]
	eid=$(jq -r .event_id <<<"$body")
	[ "$(stream_last)" = "$eid" ]
	# Read-your-writes on each replica, then the same answer from both.
	for u in "$A1" "$A2"; do
		# 504 means "not yet, after READ_WAIT_MS": ask again, a few times.
		for i in 1 2 3 4 5; do
			req GET "$u/accounts/1?after=$eid"
			[ "$code" = 504 ] || break
		done
		[ "$code" = 200 ]
		[ "$(jq -r --arg c "$cid" '.customers[] | select(.customer_id == $c) | .total_revenue_cents' <<<"$body")" = 10000 ]
	done
	wait_projected "$A1"
	wait_projected "$A2"
	req GET "$A1/accounts"
	[ "$code" = 200 ]
	one=$body
	req GET "$A2/accounts"
	[ "$code" = 200 ]
	[ "$body" = "$one" ]
	[ "$(jq -r --arg c "$cid" '.[0].customers[] | select(.customer_id == $c) | .name' <<<"$one")" = "John Adams" ]
	# Through the balanced port, whichever replica answers, the same.
	for i in 1 2 3 4; do
		req GET "$A/accounts"
		[ "$code" = 200 ]
		[ "$body" = "$one" ]
	done
}

@test "a token from one accounts host is good on the other (one signing key)" {
	tok=$(curl -sf -X POST "$A1/auth/login" -d '{"username":"user2","password":"password2"}' | jq -r .token)
	[ -n "$tok" ] && [ "$tok" != null ]
	req GET "$A2/accounts" "" "$tok"
	[ "$code" = 200 ]
	[ "$(jq -r '.[0].account.owned_by' <<<"$body")" = user2 ]
	req GET "$A2/accounts/1" "" "$tok"
	[ "$code" = 403 ]
}

@test "after a burst of writes and deletions both replicas converge" {
	req POST "$C/customers" '{"name": "Burst", "account_id": "1"}'
	[ "$code" = 201 ]
	cid=$(jq -r .id <<<"$body")
	for i in $(seq 20); do
		req POST "$C/invoices" "{\"customer_id\": \"$cid\", \"purchase_date\": \"2019-01-06\", \"purchase_price_cents\": $((i * 100))}"
		[ "$code" = 201 ]
		[ "$i" != 5 ] || first=$(jq -r .id <<<"$body")
	done
	req DELETE "$C/invoices/$first"
	[ "$code" = 204 ]
	wait_projected "$A1"
	wait_projected "$A2"
	req GET "$A1/accounts/1"
	one=$body
	req GET "$A2/accounts/1"
	[ "$body" = "$one" ]
	# 100 + 200 + ... + 2000, less the fifth invoice (500).
	[ "$(jq -r --arg c "$cid" '.customers[] | select(.customer_id == $c) | .total_revenue_cents' <<<"$one")" = 20500 ]
	# The two SQLite files hold the same projection.
	# (read as the service user: root must not leave root-owned -shm files)
	q='SELECT id, account_id, name, total_revenue_cents FROM customers ORDER BY id'
	s1=$(runuser -u microsvc -- sqlite3 -readonly "$T/hosts/acct1/var/accounts.db" "$q")
	s2=$(runuser -u microsvc -- sqlite3 -readonly "$T/hosts/acct2/var/accounts.db" "$q")
	[ -n "$s1" ]
	[ "$s1" = "$s2" ]
}

# fcgi_get HOST ADDR PORT: a FastCGI GET /status to ADDR:PORT from HOST,
# records by hand (begin, params, end of params, end of stdin); what came
# back in 3 s.
fcgi_get() {
	on_host "$1" bash -c '
		exec 3<>"/dev/tcp/$0/$1" || exit 1
		printf "\x01\x01\x00\x01\x00\x08\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00" >&3
		printf "\x01\x04\x00\x01\x00\x27\x00\x00\x0e\x03REQUEST_METHODGET\x0b\x07REQUEST_URI/status" >&3
		printf "\x01\x04\x00\x01\x00\x00\x00\x00\x01\x05\x00\x01\x00\x00\x00\x00" >&3
		timeout 3 cat <&3 | tr -c "[:print:]" " "' "$2" "$3"
}

@test "the services take FastCGI from the web host only: another host of the network gets no answer" {
	cust=$(ip -n "mh$MH_ID-cust" -o -4 addr show dev eth0 | awk '{ sub(/\/.*/, "", $4); print $4 }')
	# The web host's request, by hand, is answered: the request is good.
	run fcgi_get web "$cust" 9000
	[[ $output == *'"status"'* ]]
	# The same bytes from the Redis host: the connection is closed unanswered.
	run fcgi_get redis "$cust" 9000
	[[ $output != *'"status"'* ]]
	[[ $output != *Status* ]]
}

@test "the script removes every namespace and process, also after it was SIGKILLed" {
	id=k$$
	MH_ID=$id WORK_DIR="$T/killed" "$ROOT/deploy/multihost/multihost.sh" >"$T/killed.log" 2>&1 3>&- &
	pid=$!
	for i in $(seq 600); do
		[ -f "$T/killed/hosts.env" ] && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	[ -f "$T/killed/hosts.env" ] || { cat "$T/killed.log" >&2; "$ROOT/deploy/multihost/multihost.sh" down "$id"; false; }
	kill -KILL "$pid"
	wait "$pid" || true
	# Its processes outlive it, in its namespaces.
	left=()
	for h in redis redis2 cust acct1 acct2 web; do
		left+=($(ip netns pids "mh$id-$h"))
	done
	[ "${#left[@]}" -ge 8 ]
	"$ROOT/deploy/multihost/multihost.sh" down "$id"
	! ip netns list | grep -q "^mh$id-"
	for p in "${left[@]}"; do
		! kill -0 "$p" 2>/dev/null
	done
}
