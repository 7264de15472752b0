#!/bin/bash
# make bench, the archive and the trim (docs/archive.md), on a private
# stack of its own with STREAM_RETAIN_SECONDS=0 and
# ARCHIVE_SEGMENT_SECONDS=1 (the shortest window), each figure against a
# baseline measured in the same run:
# - the archiver's throughput on BENCH_RETENTION_EVENTS (300,000)
#   InvoiceCreated events put in the stream first (pipelined XADD), from
#   its commit's log line, against the POST /invoices rate below;
# - `worker --rebuild` of them BENCH_RUNS (3) times each way, in turns:
#   from the stream alone (ARCHIVE_DIR naming a folder with no segment)
#   and from the archive; a consumer report at 0-0 holds the trim back
#   meanwhile, so that the stream still has them all;
# - then the trim of all of them: the slowest stream_trim in SLOWLOG;
# - POST /invoices, BENCH_SECONDS (5) a round, with the archiver
#   archiving and trimming beside it and without it, in paired rounds
#   (every other round the other way round);
# - BENCH_RETENTION_INVOICES (600,000; the issue's figure is
#   5,000,000) invoices by pipelined FCALL invoice_create over 100
#   customers, BENCH_RETENTION_RATE a second (twice the POST rate alone
#   above), while the archiver runs: the stream's bytes every second, the
#   Redis bytes an invoice keeps (the command state, once its event left
#   the stream) and the archive's bytes an invoice.
# Only 2xx answers count; CPU is user + system time from /proc of
# lighttpd and its FastCGI processes, Redis and the archiver (or the
# rebuilding worker).  Prints a Markdown section; bench/run.sh appends
# it to its table.  Runs alone too: BIN_DIR=build/release/bin
# bench/retention.sh.  About 3 minutes at the defaults on 2 cores.
# BENCH_RETENTION_RAW, a folder: the samples, the rebuilds and the
# archiver's log are copied there.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN_DIR=$(cd "${BIN_DIR:-$ROOT/build/release/bin}" && pwd)
. "$ROOT/bench/lib.sh"
EVENTS=${BENCH_RETENTION_EVENTS:-300000}
INVOICES=${BENCH_RETENTION_INVOICES:-600000}
RUNS=${BENCH_RUNS:-3}
SECONDS_PER_RUN=${BENCH_SECONDS:-5}
STREAM=event-stream
CONNS=8
# One user on 4 wrk processes of 8 connections: its limits out of reach.
LOAD_USERS="1 1 1 1"
# From bench/run.sh, its own instance's: this stack sets its own.
unset REDIS_SOCKET REDIS_USER REDISCLI_AUTH
# The archiver and the stack's setup read these (config:retention).
export CONSUMER_NAME=bench ARCHIVE_SEGMENT_SECONDS=1 STREAM_RETAIN_SECONDS=0

stack_start_user1 RUN_WORKER=0 RUN_ARCHIVER=0 RATE_PER_USER=1000000 \
    RATE_BURST=1000000 LIMIT_INVOICES_PER_CUSTOMER=1000000000 \
    REDIS_MAXMEMORY=4gb
trap 'archiver_stop; stack_stop' EXIT
worker_stop
RES=$T/res
mkdir -p "$RES/raw"
REDIS_PID=$(cat "$VAR_DIR/redis.pid")
ARCHIVE=$VAR_DIR/archive
# The archiver counts as the worker in cpu_delta's columns.
CPU_ROOTS="redis:$VAR_DIR/redis.pid worker:$T/archiver.pid lighttpd:$VAR_DIR/lighttpd.pid"
used_memory() { rcli INFO memory | tr -d '\r' | sed -n 's/^used_memory:\([0-9]*\)$/\1/p'; }
met() { awk -v ok="$1" 'BEGIN { print ok ? "**met**" : "**missed**" }'; }
# The worker's report holds the trim back; the stack's worker is gone.
rcli DEL retention:workers >/dev/null
hold() { rcli FCALL consumer_report 1 $STREAM worker benchhold 0-0 >/dev/null; }
release() { rcli DEL retention:workers >/dev/null; }
hold

ACCOUNT=$(rcli --raw FCALL account_create 1 $STREAM caller user1 name bench \
    description bench | sed -n 3p)
fcall() { rcli --pipe >"$T/pipe.out"; grep -q 'errors: 0,' "$T/pipe.out" || { cat "$T/pipe.out" >&2; exit 1; }; }
seq 100 | awk -v s=$STREAM -v a="$ACCOUNT" \
    '{ print "FCALL customer_create 1 " s " caller user1 account_id " a " name c" $1 }' | fcall
LAST_CUSTOMER=$(rcli GET seq:customer)
FIRST=$((LAST_CUSTOMER - 99))

# --- the archiver's throughput ----------------------------------------

say "retention: $EVENTS InvoiceCreated events (pipelined XADD), then the archiver"
xadd_invoices "$EVENTS" "$FIRST" 100
LAST=$(stream_last)
ALL=$(stream_len)
LAST_NAME=$(printf '%020d-%020d' "${LAST%-*}" "${LAST#*-}")
r0=$(pid_ticks "$REDIS_PID")
archiver_start
done_=0
for _ in $(seq 1200); do
	grep -q "committed .*_$LAST_NAME.seg" "$T/archiver.log" && { done_=1; break; }
	sleep 0.05
done
a=$(pid_ticks "$(cat "$T/archiver.pid")")
r1=$(pid_ticks "$REDIS_PID")
archiver_stop
[ "$done_" = 1 ] || { cat "$T/archiver.log" >&2; say "not archived"; exit 1; }
# Entries and ms of each commit; the rate over all but the last (each
# was open while entries came), or, all in one, a lower bound.
read -r ARCH_RATE ARCH_NOTE < <(grep -o 'committed [^"]*' "$T/archiver.log" |
    sed 's/.*: \([0-9]*\) entries.*appended \([0-9]*\) ms.*/\1 \2/' | awk '
	{ n[NR] = $1; ms[NR] = $2 }
	END {
		if (NR > 1) {
			for (i = 1; i < NR; i++) { e += n[i]; t += ms[i] }
			printf "%d %d-events-in-%d-full-segments\n", e * 1000 / t, e, NR - 1
		} else
			printf "%d all-%d-in-one-segment:-a-lower-bound\n", n[1] * 1000 / ms[1], n[1]
	}')
ARCH_CPU=$(awk -v a="$a" -v r="$((r1 - r0))" -v hz="$CLK_TCK" -v n="$ALL" \
    'BEGIN { printf "%.2f %.2f", a * 1e6 / hz / n, r * 1e6 / hz / n }')
say "  $ARCH_RATE events/s (${ARCH_NOTE//-/ }), CPU us an event: archiver, Redis $ARCH_CPU"

# --- catch-up: worker --rebuild from the stream and from the archive ---

mkdir -p "$T/none"
say "retention: worker --rebuild of $ALL entries, $RUNS runs each way, in turns"
for run in $(seq "$RUNS"); do
	if [ $((run % 2)) = 1 ]; then
		rebuild stream "$T/none" "$run"
		rebuild archive "$ARCHIVE" "$run"
	else
		rebuild archive "$ARCHIVE" "$run"
		rebuild stream "$T/none" "$run"
	fi
done >"$RES/rebuild.dat"
grep -q "([1-9][0-9]* of them from the archive)" "$T/rebuild.log" ||
    { say "no rebuild read the archive"; exit 1; }
# way: median events/s, worker us, Redis us; the ratio pair by pair.
rb() { awk -v w="$1" -v c="$(($2 + 1))" '$1 == w { print $c }' "$RES/rebuild.dat" | sort -g |
    awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
RB_RATIO=$(paste -d' ' <(awk '$1 == "archive"' "$RES/rebuild.dat") \
    <(awk '$1 == "stream"' "$RES/rebuild.dat") | awk '{ print $3 / $8 }' | sort -g |
    awk '{ v[NR] = $1 } END { printf "%.2f", v[int((NR + 1) / 2)] }')
sed 's/^/  /' "$RES/rebuild.dat" >&2

# --- the trim of them all ---------------------------------------------

say "retention: the trim of $ALL entries, SLOWLOG of every call"
rcli CONFIG SET slowlog-log-slower-than 0 >/dev/null
rcli CONFIG SET slowlog-max-len 200000 >/dev/null
rcli SLOWLOG RESET >/dev/null
LEN0=$(stream_len)
release
archiver_start
for _ in $(seq 1200); do
	[ "$(stream_len)" -lt 1000 ] && break
	sleep 0.05
done
LEN1=$(stream_len)
TRIMMED=$((LEN0 - LEN1))
read -r TRIM_CALLS TRIM_MED TRIM_MAX < <(rcli --json SLOWLOG GET 200000 | jq -r '
	map(select((.[3][0] | ascii_downcase) == "fcall" and .[3][1] == "stream_trim") | .[2]) |
	sort | "\(length) \(.[length / 2 | floor] // 0) \(.[-1] // 0)"')
rcli CONFIG SET slowlog-log-slower-than 10000 >/dev/null
rcli SLOWLOG RESET >/dev/null
say "  $TRIMMED entries in $TRIM_CALLS calls: median $TRIM_MED us, slowest $TRIM_MAX us"

# --- POST /invoices with and without the archiver beside it -----------

USER_TOKEN[1]=$TOKEN
USER_CUSTOMER[1]=$FIRST
INV_BODY='{"customer_id":"@CUSTOMER@","purchase_date":"2019-01-06","purchase_price_cents":100}'
# archiver_ready: started, and caught up with the stream (its trim too).
archiver_ready() {
	[ -f "$T/archiver.pid" ] || archiver_start
	for _ in $(seq 600); do
		[ "$(stream_len)" -lt 1000 ] && return 0
		sleep 0.05
	done
	say "the archiver did not catch up"
	exit 1
}
alone() { archiver_stop; wrk_load alone "$CONNS" "$SECONDS_PER_RUN" "$C/invoices" POST "$INV_BODY" 1 $LOAD_USERS; }
beside() { archiver_ready; wrk_load beside "$CONNS" "$SECONDS_PER_RUN" "$C/invoices" POST "$INV_BODY" 1 $LOAD_USERS; }
say "retention: POST /invoices alone and with the archiver trimming, $RUNS rounds of ${SECONDS_PER_RUN}s"
for run in $(seq "$RUNS"); do
	if [ $((run % 2)) = 1 ]; then alone; beside; else beside; alone; fi
done

# --- memory over INVOICES invoices --------------------------------------

# Twice the POST rate alone: what the archiver must keep up with.
RATE=${BENCH_RETENTION_RATE:-$(awk -v r="$(median alone 1)" 'BEGIN { printf "%d", 2 * r }')}
say "retention: $INVOICES invoices (pipelined FCALL, $RATE a second) with the archiver trimming"
archiver_ready
sleep 1.5
M0=$(used_memory)
S0=$(rcli GET seq:invoice)
A0=$(du -sb "$ARCHIVE" | cut -f1)
# Every second: elapsed s, invoices so far, used_memory, stream length,
# the stream's own bytes (MEMORY USAGE of every node, SAMPLES 0: some
# 80 nodes at this window, a few µs).
stream_bytes() { rcli MEMORY USAGE $STREAM SAMPLES 0; }
(
	t0=$(date +%s.%N)
	while [ ! -e "$T/pipe.done" ]; do
		echo "$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')" \
		    "$(($(rcli GET seq:invoice) - S0))" "$(used_memory)" "$(stream_len)" "$(stream_bytes)"
		sleep 1
	done
) >"$RES/memory.dat" &
SAMPLER=$!
# A pipe of RATE a second.  As fast as Redis goes (some 12,000 a
# second on the 2-core machine, three times POST's), the archiver's
# reads wait behind the pipe's and the stream grew by 2,000 entries a
# second: measured then is Redis's saturation, not the window.
sent=0
while [ "$sent" -lt "$INVOICES" ]; do
	n=$((INVOICES - sent < RATE ? INVOICES - sent : RATE))
	t0=$(date +%s%N)
	awk -v n="$n" -v o="$sent" -v s=$STREAM -v f="$FIRST" 'BEGIN {
		for (i = o; i < o + n; i++)
			printf "FCALL invoice_create 1 %s caller user1 customer_id %d purchase_price_cents %d purchase_date 2019-01-06\n",
			    s, f + i % 100, 100 + i % 1000 }' | fcall
	sent=$((sent + n))
	left=$((1000000000 - ($(date +%s%N) - t0)))
	[ "$left" -le 0 ] || sleep "$(awk -v l="$left" 'BEGIN { printf "%.3f", l / 1e9 }')"
done
touch "$T/pipe.done"
wait "$SAMPLER"
# The last segment committed and trimmed: what stays is the commands'.
archiver_ready
sleep 1.5
M1=$(used_memory)
N=$(($(rcli GET seq:invoice) - S0))
A1=$(du -sb "$ARCHIVE" | cut -f1)
archiver_stop
ARCHIVE_DIR=$ARCHIVE "$BIN_DIR/archiver" --verify >/dev/null ||
    { say "archiver --verify failed"; exit 1; }
# Flat: the median of the stream's bytes over the second half of the
# samples within 10 % of the median over the first half, once the window
# filled (the first two samples left out); a median, for a sample falls
# anywhere between two commits of a segment.  The stream's own bytes, not
# used_memory less an estimate of the command state: that grows by steps
# (a chunk of 128 invoices, a hash table doubling), and the estimate's
# error alone was 20 % of the window's 1.6 MB in a 5,000,000 run.
read -r CMD_BPI ARCH_BPI S_MED1 S_MED2 S_MAX FLAT SAMPLES L_MED1 L_MED2 < <(awk -v m0="$M0" -v m1="$M1" \
    -v n="$N" -v a0="$A0" -v a1="$A1" '
	function median(v, c,  i, j, x) {
		for (i = 2; i <= c; i++) { x = v[i]; for (j = i - 1; j >= 1 && v[j] > x; j--) v[j + 1] = v[j]; v[j + 1] = x }
		return c ? v[int((c + 1) / 2)] : 0 }
	{ l[NR] = $4; b[NR] = $5 }
	END {
		for (i = 3; i <= NR; i++) { s = b[i]; if (s > max) max = s
			if (i <= (NR + 2) / 2) { h1[++c1] = s; l1[c1] = l[i] } else { h2[++c2] = s; l2[c2] = l[i] } }
		m1_ = median(h1, c1); m2_ = median(h2, c2)
		d = m2_ - m1_; if (d < 0) d = -d
		printf "%.1f %.1f %.0f %.0f %.0f %d %d %d %d\n", (m1 - m0) / n, (a1 - a0) / n, m1_, m2_,
		    max, (c1 >= 1 && c2 >= 1 && d <= 0.1 * m1_), c1 + c2, median(l1, c1), median(l2, c2) }' "$RES/memory.dat")
say "  $N invoices: Redis $CMD_BPI B an invoice, archive $ARCH_BPI B; the stream" \
    "median $S_MED1 B then $S_MED2 B, highest $S_MAX B, over $SAMPLES samples;" \
    "XLEN median $L_MED1 then $L_MED2"

# The samples and the rebuilds, for bench/run.sh's raw figures.
if [ -n "${BENCH_RETENTION_RAW:-}" ]; then
	mkdir -p "$BENCH_RETENTION_RAW"
	cp "$RES/memory.dat" "$RES/rebuild.dat" "$T/archiver.log" \
	    "$BENCH_RETENTION_RAW/"
fi

# --- the section --------------------------------------------------------

# A figure's median column of $RES/raw/NAME.dat (lib.sh's median, paired).
POST_RPS=$(median alone 1)
BESIDE_RPS=$(median beside 1)
POST_RATIO=$(paired beside alone 1)
CPU_RATIO=$(paired beside alone 5)
mb() { awk -v b="$1" 'BEGIN { printf "%.1f MiB", b / 1048576 }'; }
read -r RB_S RB_SW RB_SR <<<"$(rb stream 2) $(rb stream 3) $(rb stream 4)"
read -r RB_A RB_AW RB_AR <<<"$(rb archive 2) $(rb archive 3) $(rb archive 4)"
echo
echo "The archive and the trim, measured $(date -u '+%Y-%m-%d %H:%M UTC') (load average at the end"
echo "$(cut -d' ' -f1-3 /proc/loadavg)), on a stack of its own with \`STREAM_RETAIN_SECONDS=0\` and"
echo "\`ARCHIVE_SEGMENT_SECONDS=1\`: $EVENTS InvoiceCreated events put in the stream, archived,"
echo "rebuilt from both sides ($RUNS runs each way, in turns) and trimmed; POST /invoices from one user"
echo "at $(wc -w <<<"$LOAD_USERS") × $CONNS connections, ${SECONDS_PER_RUN}s a round, $RUNS paired rounds; then"
echo "$N invoices by pipelined \`FCALL invoice_create\` with the archiver trimming.  CPU in µs an event"
echo "(user + system, /proc); for POST, ms per 1,000 2xx of lighttpd, FastCGI, Redis and the archiver."
echo
echo "| figure | value | against | ratio | CPU | target | |"
echo "|---|---:|---:|---:|---|---|---|"
printf '| archiver: events/s (%s) vs POST /invoices alone, 2xx/s | %d | %.0f | %s | archiver %s µs, Redis %s µs an event | ≥ 2 × | %s |\n' \
    "${ARCH_NOTE//-/ }" "$ARCH_RATE" "$POST_RPS" \
    "$(awk -v a="$ARCH_RATE" -v b="$POST_RPS" 'BEGIN { printf "%.1f ×", a / b }')" \
    "${ARCH_CPU% *}" "${ARCH_CPU#* }" "$(met "$(awk -v a="$ARCH_RATE" -v b="$POST_RPS" 'BEGIN { print (a >= 2 * b) }')")"
printf '| catch-up: `worker --rebuild` from the archive vs from the stream, events/s | %s | %s | %s × | worker %s / %s µs, Redis %s / %s µs an event | ≥ 1 × | %s |\n' \
    "$RB_A" "$RB_S" "$RB_RATIO" "$RB_AW" "$RB_SW" "$RB_AR" "$RB_SR" \
    "$(met "$(awk -v r="$RB_RATIO" 'BEGIN { print (r >= 1) }')")"
printf '| rebuild of everything from the archive, %s events | %s events/s | | | | (a figure) | |\n' "$ALL" "$RB_A"
printf '| slowest `stream_trim` in SLOWLOG, %s entries trimmed in %s calls (median %s µs) | %.2f ms | | | | ≤ 5 ms | %s |\n' \
    "$TRIMMED" "$TRIM_CALLS" "$TRIM_MED" "$(awk -v u="$TRIM_MAX" 'BEGIN { print u / 1000 }')" \
    "$(met "$(awk -v u="$TRIM_MAX" -v t="$TRIMMED" 'BEGIN { print (u <= 5000 && t >= 200000) }')")"
printf '| POST /invoices with the archiver trimming beside it vs without, 2xx/s | %.0f | %.0f | %s | %.1f vs %.1f ms per 1,000 (%s ×; the archiver %.1f, Redis %.1f vs %.1f) | ≥ 0.9 × | %s |\n' \
    "$BESIDE_RPS" "$POST_RPS" "$POST_RATIO" "$(median beside 5)" "$(median alone 5)" "$CPU_RATIO" \
    "$(median beside 10)" "$(median beside 8)" "$(median alone 8)" \
    "$(met "$(awk -v r="$POST_RATIO" 'BEGIN { print (r >= 0.9) }')")"
printf '| Redis bytes of the stream (`MEMORY USAGE`) over %s invoices at %s a second (%s samples, 1 s apart): median of the second half vs of the first (highest %s; XLEN %s vs %s) | %s | %s | %s | | flat once the window is full (± 10 %%) | %s |\n' \
    "$N" "$RATE" "$SAMPLES" "$(mb "$S_MAX")" "$L_MED2" "$L_MED1" "$(mb "$S_MED2")" "$(mb "$S_MED1")" \
    "$(awk -v a="$S_MED2" -v b="$S_MED1" 'BEGIN { printf "%.2f ×", b ? a / b : 0 }')" "$(met "$FLAT")"
printf '| Redis bytes an invoice once its event left the stream (the command state), used_memory %s to %s | %s B | | | | ≤ 64 B | %s |\n' \
    "$(mb "$M0")" "$(mb "$M1")" "$CMD_BPI" "$(met "$(awk -v b="$CMD_BPI" 'BEGIN { print (b <= 64) }')")"
printf '| archive bytes an invoice | %s B | | | | (a figure) | |\n' "$ARCH_BPI"
