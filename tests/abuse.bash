# The attacks testers ran, replayed as an attacker runs them, and a
# victim to measure them by: loaded by
# tests/abuse.bats, which shows each bound, and by bench/run.sh, which
# reports the victim's p99 under each.  Needs fixtures.bash and a stack.
#
# The attacker is user1 from 127.0.0.1; the victim is user2 from
# VICTIM_ADDR, a client of its own address, as lighttpd tells them apart.

VICTIM_ADDR=127.0.0.3
FAR_FUTURE=99999999999999-0

# victims_ready: a token and a customer for the victim (user2, account 2),
# and a token for the attacker; exported for the loops.
victims_ready() {
	export VICTIM_TOKEN ATTACKER_TOKEN VICTIM_CUSTOMER
	VICTIM_TOKEN=$(login user2 password2)
	ATTACKER_TOKEN=$(login user1 password1)
	VICTIM_CUSTOMER=$(TOKEN=$VICTIM_TOKEN new_customer Victim 2)
	[ -n "$VICTIM_TOKEN" ] && [ -n "$ATTACKER_TOKEN" ] && [ -n "$VICTIM_CUSTOMER" ]
}

# victim_run N OUT: the victim's day, N times a POST /invoices and a GET
# /accounts; one line per request in OUT: "milliseconds status".
victim_run() {
	local i
	local invoice="{\"customer_id\":\"$VICTIM_CUSTOMER\",\"purchase_date\":\"2019-01-06\",\"purchase_price_cents\":1}"
	for ((i = 0; i < $1; i++)); do
		curl -s -o /dev/null --max-time 30 --interface "$VICTIM_ADDR" \
			-w '%{time_total} %{http_code}\n' -X POST "$C/invoices" \
			-H "Authorization: Bearer $VICTIM_TOKEN" --data-binary "$invoice"
		curl -s -o /dev/null --max-time 30 --interface "$VICTIM_ADDR" \
			-w '%{time_total} %{http_code}\n' "$A/accounts" \
			-H "Authorization: Bearer $VICTIM_TOKEN"
	done | awk '{ printf "%.3f %s\n", $1 * 1000, $2 }' >"$2"
}

# percentile P FILE: the P-th percentile of the first column (nearest rank).
percentile() {
	sort -n "$2" | awk -v p="$1" '{ v[NR] = $1 }
		END { i = int((p * NR + 99) / 100); if (i < 1) i = 1; print v[i] }'
}

# victim_201s FILE: how many of the victim's requests answered 201.
victim_201s() { awk '$2 == 201 { n++ } END { print n + 0 }' "$1"; }
# victim_5xx FILE: how many answered 5xx (or not at all: 000).
victim_5xx() { awk '$2 >= 500 || $2 == 0 { n++ } END { print n + 0 }' "$1"; }
# victim_429 FILE: how many were refused as over a limit.
victim_429() { awk '$2 == 429 { n++ } END { print n + 0 }' "$1"; }

# attack_loops K URL CURL_ARGS...: K clients, each asking URL again as
# soon as it is answered, over one kept-alive connection (curl's URL
# globbing: one process, no fork per request), until attack_stop.  With
# ATTACK_ADDRS=N set, client i comes from 127.0.4.(i mod N + 1): one user
# from N addresses.  Each client writes its answers' statuses to
# $T/attack.codes.I (attacker_statuses reads them).
attack_loops() {
	local k=$1 url=$2 i from
	shift 2
	case $url in *\?*) url="$url&n=[1-10000000]" ;; *) url="$url?n=[1-10000000]" ;; esac
	for ((i = 0; i < k; i++)); do
		from=()
		[ -z "${ATTACK_ADDRS:-}" ] || from=(--interface "127.0.4.$((i % ATTACK_ADDRS + 1))")
		# -w to stderr, which is not buffered: a killed client has
		# written every status it got.
		nice -n 19 curl -s -o /dev/null -w '%{stderr}%{http_code}\n' --max-time 600 \
			"${from[@]}" "$url" "$@" 2>"$T/attack.codes.$i" >/dev/null 3>&- &
		echo $! >>"$T/attack.pids"
	done
}

# attacker_statuses: "count status" lines of the attack's answers so far.
attacker_statuses() {
	cat "$T"/attack.codes.* 2>/dev/null | sort | uniq -c | awk '{ print $1, $2 }'
}

# guess_loops FIRST LAST: one client on each address 127.0.5.FIRST to
# 127.0.5.LAST, guessing wrong passwords as soon as it is answered, in
# turn for 20 users of its own that do not exist (an unknown user costs
# the hash a wrong password does) and for user1, so that no one user or
# pair count stops it before its address's own does; until attack_stop
# (or 1,000 rounds).  Each address's statuses, one a line, go to
# $T/guesses.<n>.  One curl a round of 21 requests: a fork per guess
# would take the cores the login needs.
guess_loops() {
	local i
	for ((i = $1; i <= $2; i++)); do
		awk -v i="$i" -v url="$A/auth/login" 'BEGIN { q = "\\\""
			for (k = 1; k <= 21; k++) {
				u = k == 21 ? "user1" : "ghost" i "-" k
				if (k > 1) print "next"
				printf "url = \"%s\"\ninterface = \"127.0.5.%d\"\n", url, i
				print "silent\noutput = \"/dev/null\"\nmax-time = 30"
				print "write-out = \"%{http_code}\\n\""
				printf "data = \"{%susername%s:%s%s%s,%spassword%s:%sguess%d%s}\"\n",
				    q, q, q, u, q, q, q, q, k, q
			} }' >"$T/guess.$i.cfg"
		(
			for ((r = 0; r < 1000; r++)); do
				nice -n 19 curl -K "$T/guess.$i.cfg" || break
			done >"$T/guesses.$i" 2>/dev/null
		) 3>&- &
		echo $! >>"$T/attack.pids"
	done
}

# attack_idle N PORT...: N connections to each port that never send a
# byte, held open (the tester's 1,370 took both ports down).  Writes how
# many were opened to $T/idle.opened.
attack_idle() {
	local n=$1
	shift
	(
		ulimit -n $((n * $# + 64))
		opened=0
		for port; do
			for ((i = 0; i < n; i++)); do
				exec {fd}<>"/dev/tcp/127.0.0.1/$port" || break
				opened=$((opened + 1))
			done
		done
		echo "$opened" >"$T/idle.opened"
		exec sleep 120
	) >/dev/null 2>&1 3>&- &
	echo $! >>"$T/attack.pids"
	while [ ! -s "$T/idle.opened" ]; do sleep 0.05; done
}

# attack_stop: ends every attack, and waits for its loops to go.
attack_stop() {
	local pid
	[ -f "$T/attack.pids" ] || return 0
	while read -r pid; do
		pkill -P "$pid" 2>/dev/null || :
		kill "$pid" 2>/dev/null || :
	done <"$T/attack.pids"
	while read -r pid; do
		while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
	done <"$T/attack.pids"
	rm -f "$T/attack.pids" "$T/idle.opened" "$T"/attack.codes.*
}

# fcall_pipe FUNCTION N ARGS...: N calls of a Redis Function in one pipe,
# as admin: the quick way to give a customer 1,000,000 invoices.  ARGS
# may hold %i, replaced by the call's number.
fcall_pipe() {
	local fn=$1 n=$2
	shift 2
	# split once: mawk's gsub in a loop of a million took minutes.
	awk -v fn="$fn" -v n="$n" -v args="$*" 'BEGIN {
		np = split(args, part, /%i/)
		for (i = 1; i <= n; i++) { a = part[1]
			for (k = 2; k <= np; k++) a = a i part[k]
			print "FCALL " fn " 1 event-stream " a } }' |
		rcli --pipe >"$T/pipe.out" 2>&1
	grep -q 'errors: 0,' "$T/pipe.out" || { cat "$T/pipe.out" >&2; return 1; }
}

# slowest_call: the slowest call Redis logged since slowlog_reset, in
# microseconds, and its command ("0 -" if none).
slowlog_reset() {
	rcli CONFIG SET slowlog-log-slower-than 0 >/dev/null
	rcli CONFIG SET slowlog-max-len 100000 >/dev/null
	rcli SLOWLOG RESET >/dev/null
}
slowest_call() {
	rcli --json SLOWLOG GET 100000 | jq -r \
		'map({us: .[2], cmd: (.[3][0:2] | join(" "))}) |
		 (max_by(.us) // {us: 0, cmd: "-"}) | "\(.us) \(.cmd)"'
	rcli CONFIG SET slowlog-log-slower-than 10000 >/dev/null
}
