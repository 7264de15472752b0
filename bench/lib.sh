# bench/lib.sh: the helpers of make bench's scripts (run.sh, bounds.sh),
# sourced after ROOT and BIN_DIR are set.  Each names the globals it
# reads; the script that calls it sets them.
# shellcheck shell=bash

# The tests' fixtures: free_port, worker_start, rcli, login, the waits.
# After BIN_DIR, which they would otherwise set to the test build.
. "$ROOT/tests/fixtures.bash"

say() { printf 'bench: %s\n' "$*" >&2; }

# as_owner CMD...: CMD as OWNER (the owner of the instance's VAR_DIR)
# when run as root.  As root, run.sh runs every process as a service user
# and gives it $VAR_DIR: what a script writes there is written as that
# user too, as a file of root's would be one the worker cannot write.
as_owner() {
	if [ "$(id -u)" = 0 ] && [ "$OWNER" != root ]; then
		runuser -u "$OWNER" -- "$@"
	else
		"$@"
	fi
}

# --- the data: commands straight to the Functions, on $STREAM ----------

# A command answers its event type, event id and record id (db/events.lua).
new_account() {
	rcli --raw FCALL account_create 1 "$STREAM" caller "$1" name "$1" \
	    description "$1" | sed -n 3p
}
# new_customers OWNER ACCOUNT N: N customers by pipelined FCALLs.
new_customers() {
	seq "$3" | awk -v o="$1" -v a="$2" -v s="$STREAM" \
	    '{ printf "FCALL customer_create 1 %s caller %s account_id %s name c%d\n", s, o, a, $1 }' |
	    rcli --pipe >/dev/null
}
one_customer() {
	rcli --raw FCALL customer_create 1 "$STREAM" caller "$1" account_id "$2" \
	    name "$3" | sed -n 3p
}

# --- memory: of lighttpd ($LIGHTTPD_PID), its children and the worker
# ($T/worker.pid), to $RES/memory.txt ---------------------------------

# mem_snapshot LABEL: RSS, peak RSS, anonymous RSS and PSS (the
# process's share of pages it shares, libraries mostly) in KiB.
mem_snapshot() {
	local pid name
	for pid in "$LIGHTTPD_PID" $(pgrep -P "$LIGHTTPD_PID") \
	    $(cat "$T/worker.pid" 2>/dev/null); do
		name=$(cat "/proc/$pid/comm")
		awk -v l="$1" -v n="$name" -v p="$pid" '
		    /^VmRSS:/ { rss = $2 } /^VmHWM:/ { hwm = $2 }
		    /^RssAnon:/ { anon = $2 } /^Pss:/ { pss = $2 }
		    END { print l, n, p, rss, hwm, anon, pss }' \
		    "/proc/$pid/status" "/proc/$pid/smaps_rollup"
	done >>"$RES/memory.txt"
}

# --- CPU: user + system time of every process of the stack, from /proc --

# CPU_ROOTS: "label:pidfile" words, set by the caller: each process named
# there, with the time of its exited children (cutime, cstime: Redis's
# AOF rewrites, FastCGI processes lighttpd restarted), and, for the label
# lighttpd, each of its FastCGI children as "fcgi".  wrk is not counted.
CLK_TCK=$(getconf CLK_TCK)

# cpu_ticks: "label ticks" per process of CPU_ROOTS that runs now, read
# by one awk (awk's VAR=value arguments label the files after them).
cpu_ticks() {
	local root label pid kid args=()
	for root in $CPU_ROOTS; do
		label=${root%%:*}
		pid=$(cat "${root#*:}" 2>/dev/null) || continue
		[ -r "/proc/$pid/stat" ] || continue
		args+=(l="$label" all=1 "/proc/$pid/stat")
		[ "$label" = lighttpd ] || continue
		for kid in $(pgrep -P "$pid"); do
			args+=(l=fcgi all=0 "/proc/$kid/stat")
		done
	done
	# After the last ')': comm may hold spaces.  Fields 14-17 of
	# proc(5) are then $12-$15.
	awk '{ sub(/.*\) /, ""); print l, $12 + $13 + (all ? $14 + $15 : 0) }' \
	    "${args[@]}" 2>/dev/null || true
}

# cpu_delta BEFORE AFTER: "lighttpd fcgi redis replica worker total" in
# ms of CPU between two cpu_ticks (their output, as text).
cpu_delta() {
	awk -v hz="$CLK_TCK" -v before="$1" -v after="$2" 'BEGIN {
		n = split(before, b, "\n"); for (i = 1; i <= n; i++) { split(b[i], f, " "); t[f[1]] -= f[2] }
		n = split(after, a, "\n"); for (i = 1; i <= n; i++) { split(a[i], f, " "); t[f[1]] += f[2] }
		split("lighttpd fcgi redis replica worker", k, " ")
		for (i = 1; i <= 5; i++) { ms = t[k[i]] * 1000 / hz; sum += ms; printf "%d ", ms }
		printf "%d\n", sum
	}'
}

# --- wrk: runs under $RES/raw, with bench/request.lua -----------------

# The users the loads come from, 1..USERS: token, account, customer.
declare -a USER_TOKEN=() USER_ACCOUNT=() USER_CUSTOMER=()

# wrk_load NAME CONNS SECONDS URL METHOD BODY IDEM USER...: one run, a
# wrk -t1 per USER (an index of USER_TOKEN; the same one again for one
# user on many connections), with CONNS connections each, all at once,
# from 127.0.0.1.  BODY's @ACCOUNT@ and @CUSTOMER@ become the user's;
# IDEM=1 sends a fresh Idempotency-Key with every request.  Appends to
# $RES/raw/NAME.dat "rps_2xx p50_us p99_us share_2xx cpu_ms_per_1000
# lighttpd fcgi redis replica worker" (the CPU of the whole stack, in ms
# per 1,000 2xx answers, then its parts): the p50 is the median of the
# wrk processes' p50s, the p99 the highest of their p99s.
wrk_load() {
	local name=$1 conns=$2 secs=$3 url=$4 method=$5 body=$6 idem=$7 i=0 u
	local before after cpu out=$RES/raw/$name.run pids=()
	shift 7
	rm -f "$out".*
	before=$(cpu_ticks)
	for u in "$@"; do
		i=$((i + 1))
		env METHOD="$method" TOKEN="${USER_TOKEN[$u]:-}" \
		    BODY="$(sed -e "s/@ACCOUNT@/${USER_ACCOUNT[$u]:-}/" \
		    -e "s/@CUSTOMER@/${USER_CUSTOMER[$u]:-}/" <<<"$body")" \
		    IDEM="$([ "$idem" = 1 ] && echo "$name-$RANDOM$RANDOM-$i")" \
		    wrk -t1 -c"$conns" -d"${secs}s" --latency \
		    -s "$ROOT/bench/request.lua" "$url" >"$out.$i" 2>&1 &
		pids+=($!)
	done
	wait "${pids[@]}" || { cat "$out".* >&2; say "$name: wrk failed"; exit 1; }
	after=$(cpu_ticks)
	cpu=$(cpu_delta "$before" "$after")
	cat "$out".* >>"$RES/raw/$name.txt"
	grep -h '^RESULT' "$out".* | tr '=' ' ' | awk -v cpu="$cpu" -v name="$name" -v c="$conns" '
	    function sort(v, n,  i, j, x) { for (i = 2; i <= n; i++) { x = v[i]
		for (j = i - 1; j >= 1 && v[j] > x; j--) v[j + 1] = v[j]; v[j + 1] = x } }
	    { req += $9; non += $11; err += $13; ok = $9 - $11
	      rps += ok / ($15 / 1e6); p50[NR] = $5; if ($7 > p99) p99 = $7 }
	    END {
		if (NR == 0) { print "no RESULT" > "/dev/stderr"; exit 1 }
		sort(p50, NR); split(cpu, k, " ")
		ok = req - non; share = req ? 100 * ok / req : 0
		per = ok ? 1000 / ok : 0
		printf "%.1f %d %d %.2f %.1f %.1f %.1f %.1f %.1f %.1f\n", rps,
		    p50[int((NR + 1) / 2)], p99, share, k[6] * per,
		    k[1] * per, k[2] * per, k[3] * per, k[4] * per, k[5] * per
		printf "  %s %dx%d: %.0f 2xx/s (%.2f %% 2xx, %d errors), p50 %.2f ms, p99 %.2f ms, %.1f ms CPU per 1,000\n",
		    name, NR, c, rps, share, err, p50[int((NR + 1) / 2)] / 1000,
		    p99 / 1000, k[6] * per > "/dev/stderr"
	    }' >>"$RES/raw/$name.dat"
	rm -f "$out".*
}

# median NAME COLUMN: the median of one column of $RES/raw/NAME.dat.
median() {
	sort -g -k"$2","$2" "$RES/raw/$1.dat" |
	    awk -v c="$2" '{ v[NR] = $c } END { print v[int((NR + 1) / 2)] }'
}

# paired NAME BASE COLUMN: the median over runs of NAME's COLUMN over
# BASE's, run by run (line N of each .dat is run N, measured within
# minutes of each other): a noisy neighbour moves both of a pair.
paired() {
	paste -d' ' "$RES/raw/$1.dat" "$RES/raw/$2.dat" |
	    awk -v c="$3" '{ n = NF / 2; if ($(c + n) > 0) v[++k] = $c / $(c + n) }
	    END { if (!k) { print 0; exit }
		for (i = 2; i <= k; i++) { x = v[i]
		    for (j = i - 1; j >= 1 && v[j] > x; j--) v[j + 1] = v[j]; v[j + 1] = x }
		printf "%.3f\n", v[int((k + 1) / 2)] }'
}

# --- the archive's figures (rebuild_archive.sh, retention.sh) ----------

# pid_ticks PID: its user + system clock ticks.
pid_ticks() { awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }

# xadd_invoices N FIRST K: N InvoiceCreated events, for the customers
# FIRST to FIRST + K - 1 in turn, appended to $STREAM by pipelined XADD
# (the protocol itself, as bench/run.sh appends them).
xadd_invoices() {
	awk -v n="$1" -v first="$2" -v k="$3" -v s="$STREAM" 'BEGIN {
		for (i = 1; i <= n; i++) {
			p = sprintf("{\"id\":\"%d\",\"customer_id\":\"%d\"," \
			    "\"purchase_price_cents\":100,\"created_date\":\"2026-11-30T12:00:00Z\"," \
			    "\"purchase_date\":\"2019-01-06\"}", 100000000 + i, first + (i - 1) % k)
			printf "*7\r\n$4\r\nXADD\r\n$%d\r\n%s\r\n$1\r\n*\r\n" \
			    "$13\r\nEventTypeName\r\n$14\r\nInvoiceCreated\r\n" \
			    "$7\r\nPayload\r\n$%d\r\n%s\r\n", length(s), s, length(p), p
		}
	    }' | rcli --pipe >/dev/null
}

# rebuild WAY DIR RUN: one `worker --rebuild` into a new file under $T
# with ARCHIVE_DIR=DIR, which must reach $LAST; prints "WAY RUN events/s
# worker_us redis_us": $ALL events over its wall clock (its scratch
# file, the swap and the checkpoint included), and the CPU an event of
# the worker and of Redis ($REDIS_PID).  Its log in $T/rebuild.log.
rebuild() {
	local r0 r1 out
	r0=$(pid_ticks "$REDIS_PID")
	out=$( { TIMEFORMAT='%R %U %S'; time env ARCHIVE_DIR="$2" \
	    ACCOUNTS_DB="$T/$1$3.db" CHECKPOINT_FILE="$T/$1$3.checkpoint" \
	    "$BIN_DIR/worker" --rebuild 2>>"$T/rebuild.log" 3>&-; } 2>&1)
	r1=$(pid_ticks "$REDIS_PID")
	[ "$(db_last "$T/$1$3.db")" = "$LAST" ] || { say "$1 run $3 did not reach $LAST"; exit 1; }
	awk -v way="$1" -v run="$3" -v n="$ALL" -v r="$((r1 - r0))" -v hz="$CLK_TCK" '{
		printf "%s %d %.0f %.2f %.2f\n", way, run, n / $1, ($2 + $3) * 1e6 / n,
		    r * 1e6 / hz / n }' <<<"$out"
	rm -f "$T/$1$3".db*
}
