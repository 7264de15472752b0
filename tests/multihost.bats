#!/usr/bin/env bats
# Several hosts: deploy/multihost/multihost.sh builds the production shape
# with network namespaces (redis, redis2, redis3, cust, acct1, acct2, web on a private
# 10.77.0.0/24 that exists only inside them), and the seed's flow runs
# across them from the web host.  Both accounts hosts, each with its own
# worker and SQLite replica, must answer GET /accounts with the same
# figures.  Needs root and network namespaces; skips otherwise.

load fixtures

# Every curl (also in the fixtures' req, login and wait_projected) runs
# on the web host.
curl_from web 10

setup_file() {
	# Trimmed as soon as both archives and both workers hold it.
	export STREAM_RETAIN_SECONDS=0 ARCHIVE_SEGMENT_SECONDS=1
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
	for h in redis redis2 redis3 cust acct1 acct2 web sw; do
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
	[[ $output != *fcgi* ]]
	[[ $output != *redis-server* ]]
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
	[ -n "$tok" ]
	[ "$tok" != null ]
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

# archive_ids HOST: the ids of HOST's archive, one a line.
archive_ids() {
	ARCHIVE_DIR=$T/hosts/$1/var/archive "$BIN_DIR/archiver" --dump | cut -d' ' -f1
}

@test "each accounts host keeps an archive; the stream is trimmed only of what both archives and both workers hold" {
	req POST "$C/customers" '{"name": "Kept", "account_id": "1"}'
	[ "$code" = 201 ]
	cid=$(jq -r .id <<<"$body")
	for i in $(seq 10); do
		req POST "$C/invoices" "{\"customer_id\": \"$cid\", \"purchase_date\": \"2019-01-06\", \"purchase_price_cents\": 100}"
		[ "$code" = 201 ]
	done
	last=$(jq -r .event_id <<<"$body")
	wait_projected "$A1"
	wait_projected "$A2"
	# Both archivers commit within a second or so, then trim.
	for i in $(seq 150); do
		mark=$(rcli GET retention:trimmed)
		[ -n "$mark" ] && [ "${mark%-*}" -ge "${last%-*}" ] && break
		sleep 0.1
	done
	[ "${mark%-*}" -ge "${last%-*}" ] || { rcli --raw FCALL_RO retention_state 1 event-stream >&2; false; }
	# Nothing up to the mark is left in the stream, and both archives
	# hold all of it, alike, checked whole.
	[ -z "$(rcli --raw XRANGE event-stream - "$mark")" ]
	one=$(archive_ids acct1 | sed "/^$mark\$/q")
	[ "$(tail -1 <<<"$one")" = "$mark" ]
	[ "$one" = "$(archive_ids acct2 | sed "/^$mark\$/q")" ]
	grep -qx "$last" <<<"$one"
	for h in acct1 acct2; do
		ARCHIVE_DIR=$T/hosts/$h/var/archive "$BIN_DIR/archiver" --verify
	done
	# Each host's archive and worker, heard from, none stale.
	req GET "$A1/status"
	[ "$(jq -c '[.stream.consumers[] | "\(.kind):\(.name):\(.stale)"] | sort' <<<"$body")" = \
	    '["archive:acct1:false","archive:acct2:false","worker:acct1:false","worker:acct2:false"]' ]
	# The read models still agree, and a new write reads back.
	req GET "$A1/accounts/1"
	one=$body
	req GET "$A2/accounts/1"
	[ "$body" = "$one" ]
}

# sentinel_cli USER PASSFILE SENTINEL ARG...: redis-cli to SENTINEL
# (host:port) as USER with the password in PASSFILE, from the cust host.
sentinel_cli() {
	local user=$1 pass=$2 s=$3
	shift 3
	REDISCLI_AUTH=$(cat "$pass") nsenter --net="/run/netns/mh$MH_ID-cust" timeout 5 \
		redis-cli --no-auth-warning --user "$user" -h "${s%:*}" -p "${s##*:}" "$@" 2>&1
}

@test "a program host's credentials ask the Sentinels where the primary is, and can order them nothing" {
	m=$REDIS_MASTER_NAME
	# Every password a program host holds, as the default user and as
	# the user of its name, at every Sentinel.
	for h in cust acct1 acct2; do
		answered=0
		for pass in "$T/hosts/$h/var"/redis-*.pass; do
			role=${pass##*/redis-}
			for user in default "${role%.pass}"; do
				for s in ${REDIS_SENTINELS//,/ }; do
					[ "$(sentinel_cli "$user" "$pass" "$s" PING)" = PONG ] || continue
					# SET first, with the value it has: were it allowed, it
					# would change nothing (FAILOVER and REMOVE would).
					for cmd in "SET $m down-after-milliseconds 500" "FAILOVER $m" "REMOVE $m"; do
						out=$(sentinel_cli "$user" "$pass" "$s" SENTINEL $cmd)
						[[ $out == NOPERM* ]] ||
							{ echo "$h's ${pass##*/} as $user, SENTINEL $cmd at $s: $out" >&2; false; }
					done
					out=$(sentinel_cli "$user" "$pass" "$s" SENTINEL get-master-addr-by-name "$m" | head -1)
					[ "$out" = "$REDIS" ] || [ "$out" = "$REDIS2" ] || [ "$out" = "$REDIS3" ]
					answered=$((answered + 1))
				done
			done
		done
		# Discovery works from every program host, at every Sentinel.
		[ "$answered" = 3 ]
	done
	# The control: the Sentinels' own password (a Sentinel host's) may
	# command them; FAILOVER and REMOVE pass the ACL and stop only at
	# a name no Sentinel knows.
	own=$T/hosts/web/var/redis-sentinel.pass
	for s in ${REDIS_SENTINELS//,/ }; do
		[ "$(sentinel_cli default "$own" "$s" SENTINEL SET "$m" down-after-milliseconds 500)" = OK ]
		[[ $(sentinel_cli default "$own" "$s" SENTINEL FAILOVER no-such-name) == "ERR No such master"* ]]
		[[ $(sentinel_cli default "$own" "$s" SENTINEL REMOVE no-such-name) == "ERR No such master"* ]]
	done
}

@test "what root writes or runs on a host is in a folder of root's: the service user can plant no link there" {
	printf 'precious\n' >"$T/target"
	chmod 644 "$T/target"
	n=0
	for h in redis redis2 redis3 cust acct1 acct2 web; do
		d=$T/hosts/$h
		# Its logs, pid files and start-redis: no link can take their
		# place, and they are root's.
		for f in "$d"/*.log "$d"/*.pid "$d"/start-redis; do
			[ -e "$f" ] || continue
			if runuser -u microsvc -- ln -sf "$T/target" "$f" 2>/dev/null; then
				echo "the service user replaced $f with a link" >&2
				false
			fi
			[ ! -L "$f" ]
			[ "$(stat -c %U "$f")" = root ]
			n=$((n + 1))
		done
		# Their folder is root's; only root writes in it.
		[ "$(stat -c %U "$d")" = root ]
		[ $((0$(stat -c %a "$d") & 022)) = 0 ]
	done
	[ "$n" -ge 15 ]
	[ "$(cat "$T/target")" = precious ]
}

@test "a host folder left by an earlier run with the service user's links in it: multihost.sh refuses it and writes nothing through them" {
	w=$T/again
	mkdir -m 711 "$w"
	mkdir "$w/redis"
	chown microsvc "$w/redis"
	printf 'precious\n' >"$T/target"
	chmod 644 "$T/target"
	for f in start-redis redis.log redis.pid sentinel.log sentinel.pid; do
		runuser -u microsvc -- ln -s "$T/target" "$w/redis/$f"
	done
	multihost_start "p$$" "$w" "$T/again.log" || :
	kill -TERM "$MH_PID" 2>/dev/null || :
	rc=0
	wait "$MH_PID" || rc=$?
	"$ROOT/deploy/multihost/multihost.sh" down "p$$"
	[ "$(cat "$T/target")" = precious ] ||
		{ echo "the target now begins: $(head -2 "$T/target")" >&2; false; }
	[ "$(stat -c %a "$T/target")" = 644 ]
	[ "$rc" != 0 ]
	grep -q "$w/redis is not root's" "$T/again.log"
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
	multihost_start "$id" "$T/killed" "$T/killed.log" ||
		{ cat "$T/killed.log" >&2; "$ROOT/deploy/multihost/multihost.sh" down "$id"; false; }
	kill -KILL "$MH_PID"
	wait "$MH_PID" || true
	# Its processes outlive it, in its namespaces.
	left=()
	for h in redis redis2 redis3 cust acct1 acct2 web; do
		left+=($(ip netns pids "mh$id-$h"))
	done
	[ "${#left[@]}" -ge 8 ]
	"$ROOT/deploy/multihost/multihost.sh" down "$id"
	! ip netns list | grep -q "^mh$id-"
	for p in "${left[@]}"; do
		! kill -0 "$p" 2>/dev/null
	done
}
