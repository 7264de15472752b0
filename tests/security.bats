#!/usr/bin/env bats
# The attacks of the "Lock the event store" review, replayed as an
# attacker runs them, each refused: a stranger at Redis (no port, a
# closed socket), filling its connections, a role reaching past its rights, the service user planting a link for root,
# forged tokens, case-twin keys, a throttle race, missing headers.

load fixtures

setup_file() {
	# The strangers' budget (4 hashes a second for all users) would
	# refuse some of the guesses whose per-pair and per-user limits are
	# shown here: tests/logins.bats shows it.
	stack_start LOGIN_WINDOW=30 LOGIN_MAX_FAILURES_PER_ADDR=100 \
	    LOGIN_STRANGER_HASHES=1000
	export TOKEN=$(login user1 password1)
	export SECRET=$(cat "$VAR_DIR/jwt.secret")
}

teardown_file() {
	stack_stop
}

as_root_only() { [ "$(id -u)" = 0 ] || skip "needs root, to act as other local users"; }

# role_cli ROLE ARG...: redis-cli as that role, with its password.
role_cli() {
	local role=$1
	shift
	REDISCLI_AUTH=$(cat "$VAR_DIR/redis-$role.pass") \
		redis-cli --no-auth-warning --user "$role" -s "$REDIS_SOCKET" "$@" 2>&1
}
# refused_to ROLE ARG...: NOPERM (or, for a command or key a Function
# would use for it, the script's "can't run" or "can't access"), and the
# stream unchanged.
refused_to() {
	local before out
	before=$(stream_len)
	out=$(role_cli "$@")
	if [[ $out != *NOPERM* && $out != *"user executing the script can't"* ]] ||
	    [ "$(stream_len)" != "$before" ]; then
		echo "$1 was allowed: ${*:2} -> $out" >&2
		return 1
	fi
}

@test "a local user cannot reach Redis: no TCP port, the socket in a folder of the service user's alone" {
	as_root_only
	user=$(stat -c %U "$VAR_DIR")
	# Nothing listens on REDIS_PORT; Redis has no port at all.
	[ "$(rcli CONFIG GET port | tail -1)" = 0 ]
	! ss -Hltn "sport = :$REDIS_PORT" | grep -q .
	out=$(runuser -u nobody -- redis-cli -p "$REDIS_PORT" PING 2>&1 || true)
	[[ $out == *"Connection refused"* ]] || { echo "TCP: $out" >&2; false; }
	# The socket: its folder and itself the service user's, 0700.
	[ "$(stat -c '%U %a' "$(dirname "$REDIS_SOCKET")")" = "$user 700" ]
	[ "$(stat -c '%U %a %F' "$REDIS_SOCKET")" = "$user 700 socket" ]
	out=$(runuser -u nobody -- redis-cli -s "$REDIS_SOCKET" PING 2>&1 || true)
	[[ $out == *"Permission denied"* ]] || { echo "socket: $out" >&2; false; }
	# Whoever reaches it without a password (root here) gets NOAUTH for
	# every command.
	for cmd in "PING" "HGETALL user:user1" "XADD event-stream * EventTypeName AccountCreated Payload {}" \
	    "CONFIG SET appendfsync no" "FUNCTION LIST" "KEYS *" "XREAD STREAMS event-stream 0" \
	    "ACL LIST"; do
		out=$(redis-cli -s "$REDIS_SOCKET" $cmd 2>&1)
		# (a long command is cut off before it is read: "unauthenticated")
		[[ $out == NOAUTH* || $out == *"Protocol error: unauthenticated"* ]] ||
			{ echo "$cmd -> $out" >&2; false; }
	done
	out=$(redis-cli -s "$REDIS_SOCKET" AUTH default x 2>&1)
	[[ $out == *WRONGPASS* ]]
	# Nor can a local user read a password, or find one in the ACL file.
	for f in redis-admin.pass redis-customers.pass redis-users.acl jwt.secret; do
		! runuser -u nobody -- cat "$VAR_DIR/$f" 2>/dev/null
	done
	[ "$(stat -c %a "$VAR_DIR/redis-admin.pass")" = 600 ]
	! grep -q "$(cat "$VAR_DIR/redis-admin.pass")" "$VAR_DIR/redis-users.acl"
}

# The attacker of the report, a local user: N connections to Redis by
# TCP on port ARGV[0] and N by the socket ARGV[1], as many as it gets,
# each held and never authenticated (Redis counts them against
# maxclients until they speak).  Prints "tcp=A (error) unix=B (error)".
# Then it takes every slot that frees (a client that leaves, a worker
# that crashed): a try of each every 10 ms, for 60 s at most; a
# connection Redis refused (it said so and hung up) is let go.
FILL_REDIS='
use IO::Socket::INET; use IO::Socket::UNIX; use Socket; use Errno;
my ($port, $path, $n) = @ARGV; my (@held, @pending, $buf);
my %got = (tcp => 0, unix => 0); my %why = (tcp => "", unix => "");
sub try_one {
	my ($kind) = @_;
	my $s = $kind eq "tcp" ?
	    IO::Socket::INET->new(PeerAddr => "127.0.0.1", PeerPort => $port, Timeout => 2) :
	    IO::Socket::UNIX->new(Peer => $path, Type => SOCK_STREAM);
	if ($s) { $got{$kind}++ } else { $why{$kind} = "$!" }
	return $s;
}
for (1 .. $n) { for my $k ("tcp", "unix") { my $s = try_one($k); push @held, $s if $s } }
$| = 1;
print "tcp=$got{tcp} ($why{tcp}) unix=$got{unix} ($why{unix})\n";
for (1 .. 6000) {
	for my $s (@pending) {
		push @held, $s if !defined recv($s, $buf, 64, MSG_DONTWAIT) && $!{EAGAIN};
	}
	@pending = grep { defined } map { try_one($_) } ("tcp", "unix");
	select(undef, undef, undef, 0.01);
}
'

@test "a local user's maxclients + 100 connections: none reach Redis, and the worker and services go on" {
	as_root_only
	n=$(( $(rcli CONFIG GET maxclients | tail -1) + 100 ))
	# nobody, with room for the connections it tries (its open files up
	# to the hard limit, 20,000 here).
	( ulimit -n "$(ulimit -Hn)" && exec setpriv --reuid=nobody --regid=nogroup --clear-groups -- \
		perl -e "$FILL_REDIS" "$REDIS_PORT" "${REDIS_SOCKET:-/nonexistent}" "$n" ) \
		>"$T/fill.out" 2>&1 3>&- &
	fill=$!
	for i in $(seq 600); do
		grep -q '^tcp=' "$T/fill.out" && break
		kill -0 "$fill" 2>/dev/null || break
		sleep 0.1
	done
	# The worker connects anew, as after a crash: make run restarts it.
	kill -KILL "$(cat "$VAR_DIR/worker.pid")"
	req POST "$C/customers" '{"name":"Under siege","account_id":"1"}'
	posted=$code eid=$(jq -r .event_id <<<"$body") cid=$(jq -r .id <<<"$body")
	# ?after= waits READ_WAIT_MS (2 s) for the projection, else 504: five
	# tries, ten seconds at most.
	for i in $(seq 5); do
		req GET "$A/accounts?after=$eid"
		[ "$code" != 504 ] && break
	done
	read=$code seen=$(jq --arg c "$cid" '[.[0].customers[]?.customer_id] | index($c) != null' <<<"$body" 2>/dev/null || true)
	kill "$fill" 2>/dev/null || true
	wait "$fill" 2>/dev/null || true
	echo "attacker: $(cat "$T/fill.out"); POST $posted, GET ?after= $read" >&2
	[ "$posted" = 201 ]
	[ "$read" = 200 ]
	[ "$seen" = true ]
	# It opened nothing: no port to open, a socket it may not enter.
	grep -q "^tcp=0 (Connection refused) unix=0 (Permission denied)$" "$T/fill.out"
}

@test "the customers role: its Functions and nothing past them" {
	[ "$(role_cli customers FCALL customer_create 1 event-stream caller user1 account_id 1 name Role | head -1)" = CustomerCreated ]
	[ "$(role_cli customers EXISTS user:user1)" = 1 ]
	refused_to customers HGET user:user1 password_hash
	refused_to customers HSET user:user1 password_hash x
	refused_to customers CONFIG SET appendfsync no
	refused_to customers FUNCTION LOAD REPLACE "#!lua name=events
redis.register_function('x', function() return 1 end)"
	refused_to customers FUNCTION LIST
	refused_to customers XREAD STREAMS event-stream 0
	refused_to customers XADD other-stream '*' a b
	refused_to customers FCALL account_create 1 event-stream caller user1 name n description d
	refused_to customers ACL LIST
}

@test "the accounts role: its Functions, the users' hashes, XINFO, INFO memory; nothing else" {
	[ "$(role_cli accounts FCALL account_create 1 event-stream caller user1 name role description d | head -1)" = AccountCreated ]
	[[ $(role_cli accounts HGET user:user1 password_hash) == '$argon2id$'* ]]
	role_cli accounts XINFO STREAM event-stream | grep -q entries-added
	# INFO's memory section for /metrics and /status, and no other.
	role_cli accounts INFO memory | grep -q '^maxmemory:'
	for section in '' all clients replication keyspace server commandstats; do
		refused_to accounts INFO $section
	done
	refused_to accounts HSET user:user1 password_hash x
	refused_to accounts CONFIG GET appendfsync
	refused_to accounts XREAD STREAMS event-stream 0
	refused_to accounts FCALL customer_create 1 event-stream caller user1 account_id 1 name n
	refused_to accounts KEYS '*'
	# It may hear which user:* keys change (user_watch.c), nothing else.
	[ "$(role_cli accounts CLIENT TRACKING on BCAST PREFIX user:)" = OK ]
	refused_to accounts CLIENT LIST
}

@test "the worker role: reads the stream, and nothing else" {
	[ "$(role_cli worker XLEN event-stream)" -ge 1 ]
	role_cli worker XREAD COUNT 1 STREAMS event-stream 0 | grep -q AccountCreated
	role_cli worker XRANGE event-stream - + COUNT 1 | grep -q AccountCreated
	refused_to worker XADD event-stream '*' EventTypeName AccountCreated Payload '{}'
	refused_to worker FCALL customer_create 1 event-stream caller user1 account_id 1 name n
	refused_to worker HGET user:user1 password_hash
	refused_to worker CONFIG GET appendfsync
}

@test "scripts/redis-cli: one line as admin, from the same settings as make run" {
	run "$ROOT/scripts/redis-cli" XLEN event-stream
	[ "$status" = 0 ]
	[ "$output" -ge 2 ]
	run "$ROOT/scripts/redis-cli" CONFIG GET appendonly
	[ "${lines[1]}" = yes ]
	# From another shell, VAR_DIR alone: make run's socket, found there.
	run env -u REDIS_SOCKET -u REDIS_PORT "$ROOT/scripts/redis-cli" XLEN event-stream
	[ "$status" = 0 ]
	[ "$output" -ge 2 ]
	run env VAR_DIR="$T/nowhere" "$ROOT/scripts/redis-cli" PING
	[ "$status" = 1 ]
	[[ $output == *"cannot read $T/nowhere/redis-admin.pass"* ]]
}

@test "a pid file the service user points at a root file: the file stays untouched, and nothing runs as root" {
	as_root_only
	printf 'precious\n' >"$T/target"
	chmod 644 "$T/target"
	redis=$(cat "$VAR_DIR/redis.pid")
	runuser -u "$(stat -c %U "$VAR_DIR")" -- ln -sf "$T/target" "$VAR_DIR/redis.pid"
	kill -KILL "$redis"
	for i in $(seq 200); do
		[ -f "$VAR_DIR/redis.pid" ] && [ ! -L "$VAR_DIR/redis.pid" ] && break
		sleep 0.05
	done
	[ ! -L "$VAR_DIR/redis.pid" ]
	[ "$(cat "$VAR_DIR/redis.pid")" != "$redis" ]
	[ "$(cat "$T/target")" = precious ]
	# The supervisor itself runs as the service user.
	[ "$(ps -o user= -p "$(cat "$T/run.pid")" | tr -d ' ')" != root ]
	until [ "$(rcli ping 2>/dev/null)" = PONG ]; do sleep 0.05; done
}

@test "make run says in one line what to change when the service user cannot reach VAR_DIR" {
	as_root_only
	closed=$(mktemp -d)
	run env VAR_DIR="$closed/var" REDIS_PORT=$(free_port) CUSTOMERS_PORT=$(free_port) \
		ACCOUNTS_PORT=$(free_port) "$ROOT/scripts/run.sh" 3>&-
	rmdir "$closed/var" 2>/dev/null || true
	rmdir "$closed"
	[ "$status" = 1 ]
	[[ $output == *"cannot enter $closed"*"chmod o+x $closed"* ]]
	# Another host's Redis: said at once, not waited for without end.
	run env REDIS_HOST=10.0.0.9 "$ROOT/scripts/run.sh" 3>&-
	[ "$status" = 1 ]
	[[ $output == *"make run runs its own Redis on 127.0.0.1"* ]]
}

@test "make run will not take a data folder another local user made, with a JWT key of theirs in it" {
	as_root_only
	# nobody, as any local user could in /tmp, makes the folder first.
	planted=$T/planted
	mkdir "$planted"
	printf %s 'a-key-the-attacker-knows-0123456789abcdef' >"$planted/jwt.secret"
	chmod 666 "$planted/jwt.secret"
	chown -R nobody "$planted"
	run env VAR_DIR="$planted" REDIS_PORT=$(free_port) CUSTOMERS_PORT=$(free_port) \
		ACCOUNTS_PORT=$(free_port) "$ROOT/scripts/run.sh" 3>&-
	[ "$status" = 1 ]
	[[ $output == *"$planted belongs to nobody"* ]]
	[ "$(stat -c %U "$planted")" = nobody ]
	# A link to such a folder is no way around it.
	ln -s "$planted" "$T/link"
	run env VAR_DIR="$T/link" REDIS_PORT=$(free_port) CUSTOMERS_PORT=$(free_port) \
		ACCOUNTS_PORT=$(free_port) "$ROOT/scripts/run.sh" 3>&-
	[ "$status" = 1 ]
	[ "$(stat -c %U "$planted")" = nobody ]
}

@test "a secret file others may read, or another user's, is refused, and says why" {
	user=$(stat -c %U "$VAR_DIR")
	mkdir -p "$T/keys"
	cp "$VAR_DIR/redis-worker.pass" "$T/keys/"
	chown -R "$user" "$T/keys"
	rebuild_with_keys() {
		env REDIS_AUTH_DIR="$T/keys" ACCOUNTS_DB="$T/keys/x.db" \
			CHECKPOINT_FILE="$T/keys/x.checkpoint" \
			WORKER_STATUS_FILE="$T/keys/x.status" "$BIN_DIR/worker" --rebuild 3>&-
	}
	chmod 644 "$T/keys/redis-worker.pass"
	run rebuild_with_keys
	[ "$status" != 0 ]
	[[ $output == *"redis-worker.pass: a secret must be a file of this user's"* ]]
	# The same file, 0600: taken.
	chmod 600 "$T/keys/redis-worker.pass"
	run rebuild_with_keys
	[ "$status" = 0 ]
}

# forge PAYLOAD [HEADER]: a token signed with the real key.
HS256='{"alg":"HS256","typ":"JWT"}'
forge() { jwt_make "${2:-$HS256}" "$1" "$SECRET"; }

@test "forged tokens signed with the real key: each strictness refusal is a 401" {
	now=$(date +%s)
	claims="\"sub\":\"user1\",\"username\":\"user1\""
	good=$(forge "{$claims,\"iat\":$now,\"exp\":$((now + 60))}")
	req GET "$A/accounts" "" "$good"
	[ "$code" = 200 ]	# the forger works: the refusals below mean something
	for t in \
	    "$(forge "{$claims,\"iat\":$now,\"nbf\":$((now + 3600)),\"exp\":$((now + 600))}")" \
	    "$(forge "{$claims,\"iat\":$((now + 31536000)),\"exp\":$((now + 31536600))}")" \
	    "$(forge "{$claims,\"iat\":$now,\"exp\":$((now + 315360000))}")" \
	    "$(forge "{$claims,\"exp\":$((now + 60))}")" \
	    "$(forge "{$claims,\"iat\":$now}")" \
	    "$(forge "{$claims,\"iat\":$now,\"exp\":$((now + 60))}" '{"alg":"HS256","typ":"JWT","crit":["exp"]}')" \
	    "$(forge "{$claims,\"iat\":$now,\"exp\":$((now + 60))}" '{"alg":"hs256","typ":"JWT"}')" \
	    "$(forge "{$claims,\"iat\":$now,\"exp\":$((now + 60))}" '{"alg":"HS256","alg":"HS256"}')" \
	    "$(forge "{\"username\":\"user2\",$claims,\"iat\":$now,\"exp\":$((now + 60))}")" \
	    "$(forge "{\"sub\":\"user2\",\"username\":\"user1\",\"iat\":$now,\"exp\":$((now + 60))}")" \
	    "$(forge "{$claims,\"iat\":$now,\"exp\":$((now + 60)),\"admin\":true}")" \
	    "$(forge "{$claims,\"iat\":\"$now\",\"exp\":$((now + 60))}")"; do
		token_refused "$t"
	done
}

@test "a login body with the same key in two cases is refused, not read either way" {
	req POST "$A/auth/login" '{"username":"user2","USERNAME":"user1","password":"password2"}' ""
	[ "$code" = 400 ]
	req POST "$A/auth/login" '{"username":"user2","password":"password2","Password":"x"}' ""
	[ "$code" = 400 ]
}

# login_from ADDR USER PASSWORD: the status, from that source address.
login_from() {
	curl -s -o /dev/null -w '%{http_code}\n' --interface "$1" -X POST "$A/auth/login" \
		-d "$(jq -cn --arg u "$2" --arg p "$3" '{username:$u, password:$p}')"
}

@test "30 wrong guesses at once: no more passwords checked than the limit (5)" {
	seq 30 | xargs -P 30 -I{} bash -c "curl -s -o /dev/null -w '%{http_code}\n' -X POST '$A/auth/login' \
		-d '{\"username\":\"user2\",\"password\":\"guess{}\"}'" >"$T/race"
	note "throttle race: $(sort "$T/race" | uniq -c | paste -sd' ')"
	[ "$(grep -c '^401$' "$T/race")" -le 5 ]
	[ "$(grep -c '^429$' "$T/race")" -ge 25 ]
	[ "$(grep -cv -E '^(401|429)$' "$T/race")" = 0 ]
}

@test "a stranger's guesses from one address leave the user's login from another address working" {
	for i in $(seq 8); do
		login_from 127.0.0.2 user1 "wrong$i" >>"$T/stranger"
	done
	[ "$(grep -c '^401$' "$T/stranger")" = 5 ]
	[ "$(login_from 127.0.0.2 user1 password1)" = 429 ]
	[ "$(login_from 127.0.0.1 user1 password1)" = 200 ]
}

@test "a count left without its window (a lost EXPIRE) still ends" {
	rcli SET login:pair:5:user2:127.0.0.3 5 >/dev/null
	[ "$(login_from 127.0.0.3 user2 password2)" = 429 ]
	ttl=$(rcli PTTL login:pair:5:user2:127.0.0.3)
	[ "$ttl" -gt 0 ]
	[ "$ttl" -le 30000 ]
}

@test "headers: the dashboard has a CSP, nosniff, no framing, no referrer; the API says nosniff" {
	curl -s -D "$T/h" -o /dev/null "$A/"
	grep -qi "^Content-Security-Policy: default-src 'self'" "$T/h"
	grep -qi "^X-Content-Type-Options: nosniff" "$T/h"
	grep -qi "^X-Frame-Options: DENY" "$T/h"
	grep -qi "^Referrer-Policy: no-referrer" "$T/h"
	for url in "$A/status" "$C/status" "$A/accounts" "$C/nowhere" "$A/metrics"; do
		curl -s -D "$T/h" -o /dev/null "$url"
		grep -qi "^X-Content-Type-Options: nosniff" "$T/h" || { echo "no nosniff: $url" >&2; false; }
	done
}

@test "h2c is off: an upgrade request is answered in HTTP/1.1" {
	curl -s -D "$T/h" -o /dev/null --http2 "$A/status"
	head -1 "$T/h" | grep -q '^HTTP/1.1 200'
	! grep -qi '^Upgrade: h2c' "$T/h"
	! grep -q ' 101 ' "$T/h"
}

@test "HTTP/2 with prior knowledge is off too: no HTTP/2 answer on either port" {
	for url in "$A/status" "$C/status"; do
		got=$(curl -s -o /dev/null -w '%{http_version} %{http_code}' \
			--http2-prior-knowledge --max-time 5 "$url" || :)
		note "$url with HTTP/2 prior knowledge: ${got:-nothing}"
		[ "${got%% *}" != 2 ]
	done
}
