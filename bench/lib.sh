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

# --- wrk: runs under $RES/raw, with bench/request.lua -----------------

# wrk_run NAME CONNS SECONDS URL METHOD BODY TOKEN: one run; appends
# "rps p50_us p99_us" to $RES/raw/NAME.dat and fails on any non-2xx.
wrk_run() {
	local name=$1 conns=$2 secs=$3 url=$4 threads=2 line
	[ "$conns" -lt 2 ] && threads=1
	env METHOD="$5" BODY="$6" TOKEN="$7" wrk -t"$threads" -c"$conns" \
	    -d"${secs}s" --latency -s "$ROOT/bench/request.lua" "$url" \
	    >>"$RES/raw/$name.txt" 2>&1
	line=$(grep '^RESULT' "$RES/raw/$name.txt" | tail -1)
	case $line in
	*" non2xx=0 errors=0") ;;
	*) say "$name: $line"; exit 1 ;;
	esac
	awk '{ for (i = 2; i <= 4; i++) { split($i, kv, "="); printf "%s ", kv[2] }
	    print "" }' <<<"$line" >>"$RES/raw/$name.dat"
	printf '%s\n' "$line" | sed "s/^RESULT/  $name c=$conns/" >&2
}

# median NAME COLUMN: the median of one column of $RES/raw/NAME.dat.
median() {
	sort -g -k"$2","$2" "$RES/raw/$1.dat" |
	    awk -v c="$2" '{ v[NR] = $c } END { print v[int((NR + 1) / 2)] }'
}
