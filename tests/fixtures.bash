# The one fixture library: every bats file loads it (tests/faults/ through
# faults.bash), and bench/run.sh sources it.  A private stack per file
# (redis-server, lighttpd with both services, the worker) on free ports
# in a temporary folder, torn down whatever happens; sanitizer reports
# fail the file.  Then requests, waits and reads of the stream and the
# read model.
#
# Sourcing it only sets ROOT and BIN_DIR and defines functions: plain
# bash under set -euo pipefail can source it.  Only note
# needs bats (its fd 3).

# Also loaded from tests/faults/ and bench/: the root is found from this file.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export BIN_DIR=${BIN_DIR:-$ROOT/build/asan/bin}
case $BIN_DIR in /*) ;; *) BIN_DIR=$ROOT/$BIN_DIR ;; esac

free_port() {
	local p
	while :; do
		# Below Linux's ephemeral range (32768+), where clients' own ports live.
		p=$((10000 + RANDOM % 22000))
		(exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
	done
}

# test_dir: a private folder $T for one file, and a place in it where
# every sanitizer report of the programs it runs goes.
test_dir() {
	export T=$(mktemp -d "${TMPDIR:-/tmp}/es-test.XXXXXX")
	# As root the services run as the service user (see run.sh): the
	# folder is theirs, so that a worker started by hand (it drops to
	# that user) can write copies here; no other user can enter it.
	[ "$(id -u)" != 0 ] || chown "$("$ROOT/scripts/service-user")" "$T"
	mkdir -p "$T/san"
	chmod 1777 "$T/san"
	export ASAN_OPTIONS="log_path=$T/san/asan:detect_leaks=1:abort_on_error=0"
	export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
}

# sanitizers_quiet: fails, showing them, if any program under $T reported.
sanitizers_quiet() {
	# ASan writes its reports to $T/san; GCC's UBSan ignores log_path and
	# writes to stderr, which lands in the logs, wherever they are in $T.
	if compgen -G "$T/san/*" >/dev/null ||
	    grep -rq -E 'runtime error:|Sanitizer' --include='*.log' "$T"; then
		echo "sanitizer reports:" >&2
		cat "$T"/san/* >&2 2>/dev/null
		grep -rh -A5 -E 'runtime error:|Sanitizer' --include='*.log' "$T" >&2
		return 1
	fi
}

# stack_start [VAR=value ...]: starts the stack with extra environment;
# its data in $T/var, or in $T/$STACK_VAR when that is set.  With
# STACK_PREPARE set, that command runs first, once VAR_DIR is chosen
# (tests/backup.bats restores a backup into it).
stack_start() {
	test_dir
	export VAR_DIR=$T/${STACK_VAR:-var}
	mkdir -p "$(dirname "$VAR_DIR")"
	[ -z "${STACK_PREPARE:-}" ] || $STACK_PREPARE
	export REDIS_PORT=$(free_port) CUSTOMERS_PORT=$(free_port) ACCOUNTS_PORT=$(free_port)
	export C=http://127.0.0.1:$CUSTOMERS_PORT A=http://127.0.0.1:$ACCOUNTS_PORT
	# 3>&-: bats waits on fd 3 until every process holding it has gone.
	# The limits per user are the defaults': the tests' clients are
	# honest ones, and none may be refused.
	env "$@" "$ROOT/scripts/run.sh" >"$T/run.log" 2>&1 3>&- &
	echo $! >"$T/run.pid"
	local i
	# 30 s: ASan programs start slowly on a loaded machine.
	for i in $(seq 600); do
		# Ready when both answer at all: /status is 503 until the worker has run.
		if grep -q '^run: ready' "$T/run.log" &&
			[ "$(curl -s -o /dev/null -w '%{http_code}' "$C/status")" != 000 ] &&
			[ "$(curl -s -o /dev/null -w '%{http_code}' "$A/status")" != 000 ]; then
			# Redis listens on no port: what the tests start themselves
			# (the worker, setup, rcli) reach it by its socket, as
			# run.sh's programs do.  A link names it when VAR_DIR is too
			# long a path for a socket.
			export REDIS_SOCKET=$(readlink -f "$VAR_DIR/redis.sock")
			return 0
		fi
		kill -0 "$(cat "$T/run.pid")" 2>/dev/null || break
		sleep 0.05
	done
	cat "$T/run.log" "$VAR_DIR/redis.log" >&2
	return 1
}

# stack_start_user1 [VAR=value ...]: stack_start, then user1's token in
# TOKEN and the read model's path in DB; with RUN_WORKER=0, the file's
# own worker is started too.  Returns once the projection has caught up.
stack_start_user1() {
	stack_start "$@"
	export TOKEN=$(login user1 password1)
	export DB=$VAR_DIR/accounts.db
	case " $* " in *" RUN_WORKER=0 "*) worker_start ;; esac
	wait_projected
}

stack_stop() {
	[ -n "${T:-}" ] && [ -f "$T/run.pid" ] || return 0
	worker_stop
	archiver_stop
	stop_pidfile "$T/run.pid"
	sanitizers_quiet || return 1
	[ -n "${KEEP_TEST_DIR:-}" ] || rm -rf "$T"
}

# --- several hosts: deploy/multihost/multihost.sh in network namespaces ---

netns_usable() {
	[ "$(id -u)" = 0 ] || return 1
	local probe=mhprobe$$
	ip netns add "$probe" 2>/dev/null || return 1
	ip netns del "$probe"
}

# multihost_up: the hosts, for a whole file (setup_file).  Sets MH_SKIP
# when they cannot be made here (bats 1.8 cannot skip from setup_file:
# each test skips in setup).  Exports hosts.env (C, A, A1, A2, NS_WEB,
# REDIS_SENTINELS...), and rcli's way to the primary, from the web host.
multihost_up() {
	if ! netns_usable; then
		export MH_SKIP="needs root and Linux network namespaces (not root, or ip netns add failed)"
		return 0
	fi
	test_dir
	chmod 711 "$T"
	export MH_ID=b$$
	local up=0
	multihost_start "$MH_ID" "$T/hosts" "$T/multihost.log" || up=$?
	echo "$MH_PID" >"$T/multihost.pid"
	[ "$up" = 0 ] || { cat "$T/multihost.log" >&2; return 1; }
	set -a
	. "$T/hosts/hosts.env"
	set +a
	export REDIS_HOST=$REDIS REDIS_PORT=6379 NETNS=$NS_WEB
	export REDIS_AUTH_DIR=$T/hosts/keys
}

# multihost_start ID DIR LOG: multihost.sh in the background, its hosts
# named after ID, its files in DIR, its output in LOG, its pid in MH_PID.
# 0 once DIR/hosts.env is written; 1 if the script ended first, or after
# 60 s.
multihost_start() {
	local i
	MH_ID=$1 WORK_DIR=$2 "$ROOT/deploy/multihost/multihost.sh" >"$3" 2>&1 3>&- &
	MH_PID=$!
	for i in $(seq 600); do
		[ -f "$2/hosts.env" ] && return 0
		kill -0 "$MH_PID" 2>/dev/null || break
		sleep 0.1
	done
	[ -f "$2/hosts.env" ]
}

# on_host HOST CMD...: CMD in the network namespace of HOST of multihost.sh
# (web, cust, acct1, redis...).
on_host() { local h=$1; shift; nsenter --net="/run/netns/$NS_PREFIX-$h" "$@"; }

# curl_from HOST [SECONDS]: from then on every curl of the file (the
# fixtures' login, req and wait_projected too) runs on HOST and gives up
# after SECONDS (5).  Called at the top of a file on those hosts.
curl_from() {
	CURL_HOST=$1 CURL_MAX_TIME=${2:-5}
	curl() { on_host "$CURL_HOST" curl --max-time "$CURL_MAX_TIME" "$@"; }
}

multihost_down() {
	[ -n "${T:-}" ] && [ -f "$T/multihost.pid" ] || return 0
	stop_pidfile "$T/multihost.pid"
	# Belt and braces, should the script itself have been killed.
	"$ROOT/deploy/multihost/multihost.sh" down "$MH_ID"
	if ip netns list | grep -q "^mh$MH_ID-"; then
		echo "namespaces left behind:" >&2
		ip netns list | grep "^mh$MH_ID-" >&2
		return 1
	fi
	sanitizers_quiet || return 1
	[ -n "${KEEP_TEST_DIR:-}" ] || rm -rf "$T"
}

# The worker, when the file runs it itself (RUN_WORKER=0).
worker_start() {
	"$BIN_DIR/worker" >>"$T/worker.log" 2>&1 3>&- &
	echo $! >"$T/worker.pid"
}
worker_stop() {
	stop_pidfile "$T/worker.pid"
}
# replica_start PORT: a replica of the file's Redis (by TCP: the stack
# needs REDIS_TCP=1) on PORT, as the role replica; its pid in
# $T/replica.pid.
replica_start() {
	{
		echo "port $1"
		echo "bind 127.0.0.1"
		echo "dir $T"
		echo "save \"\""
		echo "aclfile $VAR_DIR/redis-users.acl"
		echo "replicaof 127.0.0.1 $REDIS_PORT"
		echo "masteruser replica"
		echo "masterauth $(cat "$VAR_DIR/redis-replica.pass")"
	} >"$T/replica.conf"
	redis-server "$T/replica.conf" >"$T/replica.log" 2>&1 3>&- &
	echo $! >"$T/replica.pid"
}

# The archiver, when the file runs it itself (RUN_ARCHIVER=0), with
# extra environment: archiver_start [VAR=value ...].
archiver_start() {
	env "$@" "$BIN_DIR/archiver" >>"$T/archiver.log" 2>&1 3>&- &
	echo $! >"$T/archiver.pid"
}
archiver_stop() {
	stop_pidfile "$T/archiver.pid"
}

# archived_past ID: waits (10 s at most) for a segment that ends at ID
# or later.
archived_past() {
	local i want
	want=$(printf '%020d-%020d' "${1%-*}" "${1#*-}")
	for i in $(seq 200); do
		ls "$VAR_DIR/archive" | grep -E '\.seg$' | sed 's/.*_//; s/\.seg$//' |
			awk -v w="$want" '$0 >= w { f = 1 } END { exit !f }' && return 0
		sleep 0.05
	done
	echo "no segment reaches $1: $(ls "$VAR_DIR/archive" | tail -2)" >&2
	return 1
}

# flip FILE: one byte in its middle, changed.
flip() {
	local off b
	off=$(($(stat -c %s "$1") / 2))
	b=$(od -An -tu1 -j "$off" -N1 "$1" | tr -d ' ')
	printf "\\$(printf %03o $((b ^ 1)))" | dd of="$1" bs=1 seek="$off" conv=notrunc status=none
}

# stop_pidfile FILE [TENTHS]
source "$ROOT/tests/pidfile.bash"

# rcli ARG...: redis-cli as admin (scripts/redis-cli) on the file's Redis
# (by REDIS_SOCKET: stack_start sets it); from inside the network
# namespace NETNS when it is set.
rcli() { ${NETNS:+nsenter --net="/run/netns/$NETNS"} "$ROOT/scripts/redis-cli" "$@"; }

# sql FILE QUERY: reads a database and never creates it. A plain
# `sqlite3 FILE` run before the worker made FILE leaves an empty file
# owned by root, which the worker (running as RUN_USER) cannot write.
sql() { sqlite3 -readonly "$@"; }

# login USER PASSWORD: prints the token.
login() {
	curl -sf -X POST "$A/auth/login" -d "{\"username\":\"$1\",\"password\":\"$2\"}" | jq -r .token
}

# req METHOD URL [BODY] [TOKEN]: sets $code (the HTTP status) and $body.
# Not $status: bats' run sets that one.
req() {
	local method=$1 url=$2 data=${3-} tok=${4-${TOKEN:-}}
	local args=(-s -o "$T/body" -w '%{http_code}' -X "$method")
	[ -n "$tok" ] && args+=(-H "Authorization: Bearer $tok")
	[ "$method" = POST ] && args+=(-H 'Content-Type: application/json' --data-binary "$data")
	code=$(curl "${args[@]}" "$url")
	body=$(cat "$T/body")
}

# new_customer NAME [ACCOUNT]: prints its id (account 1 unless told).
new_customer() {
	local out
	out=$(curl -sf -X POST "$C/customers" -H "Authorization: Bearer $TOKEN" \
		-d "$(jq -cn --arg n "$1" --arg a "${2:-1}" '{name:$n, account_id:$a}')") || return
	jq -r .id <<<"$out"
}
# new_invoice CUSTOMER CENTS: prints its id.
new_invoice() {
	local out
	out=$(curl -sf -X POST "$C/invoices" -H "Authorization: Bearer $TOKEN" \
		-d "{\"customer_id\":\"$1\",\"purchase_date\":\"2019-01-06\",\"purchase_price_cents\":$2}") || return
	jq -r .id <<<"$out"
}

# token_refused TOKEN: both services answer it 401, with the one message
# that tells nothing, and nothing is appended.
token_refused() {
	refused 401 GET "$A/accounts" "" "$1" &&
		[ "$body" = '{"error":"missing, malformed or expired Bearer token"}' ] &&
		refused 401 POST "$C/customers" '{"name":"x","account_id":"1"}' "$1" ||
		{ echo "accepted: $(jwt_payload "$1" 2>/dev/null)" >&2; return 1; }
}

# refused STATUS METHOD URL [BODY] [TOKEN]: that status, a JSON error,
# no new event.
refused() {
	local want=$1 before after
	before=$(stream_len)
	req "$2" "$3" "${4-}" ${5+"$5"}
	after=$(stream_len)
	if [ "$code" != "$want" ] || [ "$after" != "$before" ] ||
	    ! jq -e '.error | strings' <<<"$body" >/dev/null; then
		echo "$2 $3 ${4:0:80}: got $code ${body:0:200} (stream $before -> $after), want $want" >&2
		return 1
	fi
}

# revenue_api CUSTOMER: its total, as GET /accounts/1 answers it.
revenue_api() {
	curl -sf "$A/accounts/1" -H "Authorization: Bearer $TOKEN" |
		jq -r ".customers[] | select(.customer_id == \"$1\") | .total_revenue_cents"
}
# revenue_db CUSTOMER [DB]: its total, as the read model file has it.
revenue_db() { sql "${2:-$DB}" "SELECT total_revenue_cents FROM customers WHERE id = $1"; }

# totals_off [DB]: how many accounts' totals are not their customers' sum.
totals_off() {
	sql "${1:-$DB}" 'SELECT count(*) FROM accounts a WHERE total_revenue_cents !=
	    (SELECT coalesce(sum(total_revenue_cents), 0) FROM customers WHERE account_id = a.id)'
}

# next_link HEADERS: the path of a page's rel="next" Link in a file of
# curl -D headers, or nothing on the last page.
next_link() { sed -n 's/^Link: <\([^>]*\)>; rel="next"\r$/\1/Ip' "$1"; }

stream_len() { rcli XLEN event-stream; }
stream_last() { rcli --raw XREVRANGE event-stream + - COUNT 1 | head -1; }
# db_last [DB]: the last id the read model file has applied.
db_last() { sql "${1:-$DB}" 'SELECT last_event_id FROM projector_state'; }

# stream_top: the stream's last entry, or, when it has none (trimmed
# whole: STREAM_RETAIN_SECONDS=0), the last one trimmed, else the last id
# it gave.
stream_top() {
	local last
	last=$(stream_last)
	[ -n "$last" ] || last=$(rcli --raw GET retention:trimmed)
	[ -n "$last" ] || last=$(rcli --raw XINFO STREAM event-stream |
		awk 'prev == "last-generated-id" { print } { prev = $0 }')
	echo "$last"
}

# wait_projected [URL] [ID]: waits until the accounts service at URL ($A
# unless told) has applied everything in the stream (or trimmed from it),
# or, given ID, up to ID.
wait_projected() {
	local url=${1:-$A} i last
	for i in $(seq 200); do
		last=${2:-$(stream_top)}
		[ "$(curl -s "$url/status" | jq -r .last_event_id)" = "$last" ] && return 0
		sleep 0.05
	done
	echo "$url did not catch up with $last" >&2
	return 1
}
# db_caught_up [DB] [SECONDS]: the same, without the accounts service:
# waits until the file has applied the whole stream (10 s unless told).
# A worker of worker_start's that has exited fails it at once.
db_caught_up() {
	local db=${1:-$DB} i
	for i in $(seq $((${2:-10} * 20))); do
		[ "$(db_last "$db" 2>/dev/null)" = "$(stream_last)" ] && return 0
		if [ -f "$T/worker.pid" ] && ! kill -0 "$(cat "$T/worker.pid")" 2>/dev/null; then
			cat "$T/worker.log" >&2
			echo "the worker exited" >&2
			return 1
		fi
		sleep 0.05
	done
	echo "read model stuck at $(db_last "$db"), stream at $(stream_last)" >&2
	return 1
}

# lose_last_event CUSTOMER CENTS: the stream's last entry deleted, as a
# failover drops what had not reached the replica, and the worker's
# connection cut, so that its next read finds out; waits (10 s) until
# the customer's total in the read model is CENTS again.
lose_last_event() {
	local i
	rcli XDEL event-stream "$(stream_last)" >/dev/null
	rcli CLIENT KILL USER worker >/dev/null
	for i in $(seq 100); do
		[ "$(revenue_db "$1")" = "$2" ] && return 0
		sleep 0.1
	done
	echo "customer $1: $(revenue_db "$1"), want $2" >&2
	return 1
}

# The checkpoint file says ID: it follows the database within a second
# while events flow, and at once when the stream goes quiet.
checkpoint_is() {
	local i
	for i in $(seq 100); do
		[ "$(cat "$VAR_DIR/worker.checkpoint" 2>/dev/null)" = "$1" ] && return 0
		sleep 0.05
	done
	echo "checkpoint is $(cat "$VAR_DIR/worker.checkpoint" 2>/dev/null), want $1" >&2
	return 1
}

# ms_since START: milliseconds since START (from date +%s%N).
ms_since() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }

# JWTs made by hand, to present the services with tokens they must refuse.
b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }
# jwt_make HEADER_JSON PAYLOAD_JSON KEY [DIGEST]
jwt_make() {
	local h p s
	h=$(printf '%s' "$1" | b64url)
	p=$(printf '%s' "$2" | b64url)
	s=$(printf '%s' "$h.$p" | openssl dgst "-${4:-sha256}" -hmac "$3" -binary | b64url)
	echo "$h.$p.$s"
}
jwt_payload() { cut -d. -f2 <<<"$1" | tr -- '-_' '+/' | { b=$(cat); while [ $((${#b} % 4)) != 0 ]; do b="$b="; done; echo "$b"; } | base64 -d; }

# note TEXT: shown in the TAP output (bats' fd 3; make test-faults collects it).
note() { echo "# $*" >&3; }
