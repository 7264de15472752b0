#!/bin/bash
# The archiver's speed: BENCH_EVENTS (300,000) InvoiceCreated events put
# in the stream first (pipelined XADD, as bench/run.sh does), then the
# release archiver started on an empty archive, BENCH_RUNS (3) times,
# each into a folder of its own, with ARCHIVE_SEGMENT_SECONDS=1.  The
# rate is over the segments committed before the last (each was open
# while entries came: it was full, about 390,000 of these events, or a
# second old), from their commits' log lines, so that the wait for the
# last segment's second is not counted; when all fit in one, it is a
# lower bound.  CPU: user + system of the archiver and of Redis
# (/proc/<pid>/stat) over the whole run, per event.  Nothing is trimmed
# (STREAM_RETAIN_SECONDS, a week).
#
# Measured on the 2-core test machine (load 0.2, three runs each):
# 300,000 events, all in one segment, in under 1.11 to 1.13 s (at least
# 265,000-270,000 events/s), the archiver 1.50-1.80 us of CPU an event,
# Redis 0.97-1.13 us; BENCH_EVENTS=1000000: 447,000 to 521,000 events/s
# over two full segments, 1.64-1.95 us and 1.31-1.58 us.
#
# usage: BIN_DIR=build/release/bin bench/archiver.sh
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN_DIR=$(cd "${BIN_DIR:-$ROOT/build/release/bin}" && pwd)
# The fixtures, say, xadd_invoices, pid_ticks, CLK_TCK.
. "$ROOT/bench/lib.sh"
EVENTS=${BENCH_EVENTS:-300000}
RUNS=${BENCH_RUNS:-3}
STREAM=event-stream

stack_start RUN_WORKER=0 RUN_ARCHIVER=0 CONSUMER_NAME=bench
trap 'stack_stop' EXIT

say "appending $EVENTS InvoiceCreated events (pipelined XADD)"
xadd_invoices "$EVENTS" 1 10000
LAST=$(stream_last)
# As a segment's name writes it.
LAST_NAME=$(printf '%020d-%020d' "${LAST%-*}" "${LAST#*-}")
REDIS_PID=$(cat "$VAR_DIR/redis.pid")

for run in $(seq "$RUNS"); do
	dir=$T/archive$run
	log=$T/archiver$run.log
	r0=$(pid_ticks "$REDIS_PID")
	env CONSUMER_NAME=bench ARCHIVE_SEGMENT_SECONDS=1 ARCHIVE_DIR="$dir" \
	    "$BIN_DIR/archiver" 2>"$log" 3>&- &
	pid=$!
	done_=0
	for _ in $(seq 1200); do
		if grep -q "committed .*_$LAST_NAME.seg" "$log"; then
			done_=1
			break
		fi
		sleep 0.05
	done
	a=$(pid_ticks "$pid")
	r1=$(pid_ticks "$REDIS_PID")
	kill -TERM "$pid"
	wait "$pid" || true
	[ "$done_" = 1 ] || { cat "$log" >&2; say "run $run: not archived"; exit 1; }
	# The segments but the last: each was open while entries came.
	segs=$(grep -o 'committed [^"]*' "$log" | sed 's/.*: \([0-9]*\) entries.*appended \([0-9]*\) ms.*/\1 \2/')
	awk -v a="$a" -v r="$((r1 - r0))" -v hz="$CLK_TCK" -v all="$EVENTS" -v run="$run" \
	    -v bytes="$(du -sb "$dir" | cut -f1)" '
		{ n[NR] = $1; ms[NR] = $2 }
		END {
			if (NR > 1) {
				for (i = 1; i < NR; i++) { e += n[i]; t += ms[i] }
				rate = sprintf("%d events/s (%d events in %d full segments, %d ms)", e * 1000 / t, e, NR - 1, t)
			} else
				rate = sprintf("all %d events in one segment, in under %d ms: at least %d events/s", n[1], ms[1], n[1] * 1000 / ms[1])
			printf "run %d: %s; CPU per event: archiver %.2f us, redis %.2f us; %.1f bytes on disk per event\n",
			    run, rate, a * 1e6 / hz / all, r * 1e6 / hz / all, bytes / all
		}' <<<"$segs"
	ARCHIVE_DIR=$dir "$BIN_DIR/archiver" --verify >/dev/null
done
