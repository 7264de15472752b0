#!/bin/bash
# The worker's catch-up from the archive against from the stream, in the
# same run: BENCH_EVENTS (300,000) InvoiceCreated events of 100
# customers put in the stream (pipelined XADD, as bench/run.sh does),
# archived by the release archiver, then `worker --rebuild` into a new
# file BENCH_RUNS (3) times each way, in turns: with ARCHIVE_DIR naming
# a folder with no segment (the stream alone, as before the archive),
# and with the archive (all of it from the archive, then the stream's
# nothing after it).  Wall clock of the whole rebuild (its scratch file,
# the swap and the checkpoint included, the same both ways), and CPU:
# user + system of the worker and of Redis (/proc/<pid>/stat), per event.
#
# Measured on the 2-core test machine shared with other test runs (load
# 8 to 17; release build; 300,102 entries), eight pairs over two runs:
# the archive's rate over the stream's, pair by pair, 0.82 to 1.48,
# median 1.12 (stream 43,600-181,770 events/s, archive 50,556-200,201:
# the wall clock follows the load).  CPU an event: the worker 5.0-7.6 us
# from the stream, 4.8-6.5 us from the archive (applying to SQLite is
# most of it either way); Redis 0.53-0.83 us from the stream, 0.00-0.07
# from the archive.
#
# usage: BIN_DIR=build/release/bin bench/rebuild_archive.sh
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN_DIR=$(cd "${BIN_DIR:-$ROOT/build/release/bin}" && pwd)
# The fixtures, say, xadd_invoices, rebuild.
. "$ROOT/bench/lib.sh"
EVENTS=${BENCH_EVENTS:-300000}
RUNS=${BENCH_RUNS:-3}
STREAM=event-stream

stack_start_user1 RUN_WORKER=0 RUN_ARCHIVER=0 CONSUMER_NAME=bench
trap 'stack_stop' EXIT
worker_stop

first=$(new_customer "Bench 1")
for i in $(seq 2 100); do new_customer "Bench $i" >/dev/null; done
say "appending $EVENTS InvoiceCreated events (pipelined XADD)"
xadd_invoices "$EVENTS" "$first" 100
LAST=$(stream_last)
ALL=$(stream_len)
LAST_NAME=$(printf '%020d-%020d' "${LAST%-*}" "${LAST#*-}")
REDIS_PID=$(cat "$VAR_DIR/redis.pid")

say "archiving them"
env CONSUMER_NAME=bench ARCHIVE_SEGMENT_SECONDS=1 "$BIN_DIR/archiver" \
    2>"$T/archiver.log" 3>&- &
pid=$!
for _ in $(seq 1200); do
	grep -q "_$LAST_NAME.seg" "$T/archiver.log" && break
	sleep 0.05
done
kill -TERM "$pid"
wait "$pid" || true
"$BIN_DIR/archiver" --verify >/dev/null
mkdir -p "$T/none"

say "worker --rebuild of $ALL entries, $RUNS runs each way, in turns"
echo "# way run events/s worker_cpu_us_per_event redis_cpu_us_per_event" >&2
for run in $(seq "$RUNS"); do
	rebuild stream "$T/none" "$run"
	rebuild archive "$VAR_DIR/archive" "$run"
done | tee "$T/results"
awk '{ s[$1] += $3; c[$1]++ } END {
	printf "mean: stream %.0f events/s, archive %.0f events/s: ratio %.2f\n",
	    s["stream"] / c["stream"], s["archive"] / c["archive"],
	    (s["archive"] / c["archive"]) / (s["stream"] / c["stream"]) }' "$T/results"
grep -q "([1-9][0-9]* of them from the archive)" "$T/rebuild.log" ||
    { say "no rebuild read the archive"; exit 1; }
