#!/usr/bin/env bats
# The archive under faults, with the stream trimmed as soon as it may
# be (STREAM_RETAIN_SECONDS=0) and a segment committed every second:
# the archiver killed at each step of write -> commit (fsync, rename) ->
# report -> trim (ARCHIVER_FAULT), a full Redis freed by the trim, and a
# worker silent past CONSUMER_TIMEOUT that catches up from the archive.
# After each: the archive checks, archive then stream hold every 201's
# event once, and the read model is a rebuild's.  The file runs the
# worker and the archiver itself.

load faults

setup_file() {
	# RATE_PER_USER=0: the fill of a full Redis is one user's.
	stack_start_user1 RUN_WORKER=0 RUN_ARCHIVER=0 STREAM_RETAIN_SECONDS=0 \
		ARCHIVE_SEGMENT_SECONDS=1 CONSUMER_TIMEOUT=10 RATE_PER_USER=0
	export ARCHIVE=$VAR_DIR/archive
}

teardown_file() {
	load_stop 2>/dev/null || true
	stack_stop
}

teardown() {
	load_stop 2>/dev/null || true
	archiver_stop
	[ -f "$T/worker.pid" ] || worker_start
}

archiving() { archiver_start ARCHIVE_SEGMENT_SECONDS=1 "$@"; }

archive_last() { "$BIN_DIR/archiver" --dump 2>/dev/null | tail -1 | cut -d' ' -f1; }
trimmed_mark() { rcli --raw GET retention:trimmed; }

# settled: the archive ends at the stream's last id, and the read model
# has applied it (the stream may be empty: everything trimmed).
settled() {
	local top i
	top=$(stream_top)
	for i in $(seq 400); do
		[ "$(archive_last)" = "$top" ] && [ "$(db_last)" = "$top" ] && return 0
		sleep 0.05
	done
	echo "stream at $top, archive at $(archive_last), read model at $(db_last)" >&2
	tail -n 20 "$T/archiver.log" "$T/worker.log" >&2
	return 1
}

# check_all WHAT: the archive verifies; what it holds, then what the
# stream holds after it, is each id once, ascending, with every 201 of
# the load; nothing was trimmed that the archive lacks; the worker saw
# each entry once; the read model is a fresh rebuild's, row for row.
check_all() {
	local last mark posted
	"$BIN_DIR/archiver" --verify
	"$BIN_DIR/archiver" --dump | cut -d' ' -f1 >"$T/ids"
	last=$(tail -1 "$T/ids")
	rcli --raw XRANGE event-stream "(${last:-0-0}" + | grep -E '^[0-9]+-[0-9]+$' >>"$T/ids" || true
	mark=$(trimmed_mark)
	posted=$(load_count 201)
	note "$1: $posted 201s after $(load_retries) retries; archive+stream $(grep -c . "$T/ids") ids, archive" \
		"$(ls "$ARCHIVE" | grep -c '\.seg$') segments; stream $(stream_len) entries, trimmed to ${mark:-nothing}"
	[ "$posted" -gt 0 ]
	# Trimming ran, and never past the archive's end.
	[ -n "$mark" ]
	[ "$(printf '%s\n' "$mark" "$last" | sort -t- -k1,1n -k2,2n | tail -1)" = "$last" ]
	# Ascending, no id twice.
	sort -t- -k1,1n -k2,2n -u "$T/ids" | diff - "$T/ids"
	# Every 201's event is there.
	awk '$1 == 201 { print $4 }' "$T/load.all" | sort >"$T/posted.ids"
	[ "$(sort "$T/ids" | comm -13 - "$T/posted.ids" | wc -l)" = 0 ]
	# The worker counted each entry once: the archive then the stream.
	[ "$(sql "$DB" 'SELECT events_seen FROM projector_state')" = "$(wc -l <"$T/ids")" ]
	rebuild_copy "$T/rebuilt.db"
	diff <(model_dump "$DB") <(model_dump "$T/rebuilt.db")
}

# The read model's rows but the timings.
model_dump() {
	sql "$1" 'SELECT * FROM accounts ORDER BY id' \
		'SELECT * FROM customers ORDER BY id' \
		'SELECT * FROM projector_events ORDER BY 1, 2' \
		'SELECT last_event_id, events_seen, unknown_skipped FROM projector_state'
}

# killed_at POINT: the archiver, under load, kills itself at POINT;
# restarted, it archives on.  Then everything is checked.
killed_at() {
	local i pid
	for i in 1 2 3 4; do ids+=("$(new_customer "Fault $1 $i")"); done
	archiving ARCHIVER_FAULT="$1"
	pid=$(cat "$T/archiver.pid")
	load_start 3 "${ids[@]}"
	for i in $(seq 1200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
	wait "$pid" 2>/dev/null || true
	grep -q "ARCHIVER_FAULT: killing myself $1" "$T/archiver.log" ||
		{ tail -n 20 "$T/archiver.log" >&2; false; }
	# Restarted, as a supervisor would, while the load goes on.
	archiving
	sleep 2
	load_stop
	settled
	check_all "killed $1"
}

@test "archiver killed after writing a segment, before its commit: nothing lost or doubled" {
	killed_at before-commit
}

@test "archiver killed after a commit, before reporting it: nothing lost or doubled" {
	killed_at after-commit
}

@test "archiver killed after reporting, before the trim: nothing lost or doubled" {
	killed_at after-report
}

@test "archiver killed in the middle of a trim pass: nothing lost or doubled" {
	killed_at mid-trim
}

@test "an unknown ARCHIVER_FAULT stops the archiver at its start" {
	run env ARCHIVER_FAULT=sometime "$BIN_DIR/archiver" 3>&-
	[ "$status" != 0 ]
	[[ $output == *ARCHIVER_FAULT* ]]
}

# The worker's entry in GET /status's consumers: "<stale> <position>".
worker_consumer() {
	curl -s "$A/status" | jq -r '.stream.consumers[] | select(.kind == "worker") | "\(.stale) \(.position)"'
}

@test "a worker stopped past CONSUMER_TIMEOUT: shown stale, trimmed past by the archiver, caught up from the archive when back" {
	for i in 1 2 3; do ids+=("$(new_customer "Away $i")"); done
	archiving
	load_start 2 "${ids[@]}"
	sleep 1
	worker_stop
	stopped_at=$(db_last)
	# CONSUMER_TIMEOUT=10: stale after 10 s of silence, then no longer
	# holding the trim back.
	for i in $(seq 400); do
		[[ $(worker_consumer) == true* ]] && break
		sleep 0.05
	done
	curl -s "$A/status" | jq -c .stream >"$T/stream.status"
	[[ $(worker_consumer) == true* ]] || { cat "$T/stream.status" >&2; false; }
	# The archiver trims past the silent worker's position.
	for i in $(seq 200); do
		mark=$(trimmed_mark)
		[ "$(printf '%s\n' "$stopped_at" "$mark" | sort -t- -k1,1n -k2,2n | tail -1)" = "$mark" ] &&
			[ "$mark" != "$stopped_at" ] && break
		sleep 0.05
	done
	note "worker stopped at $stopped_at, shown stale; the stream trimmed to $mark"
	[ "$mark" != "$stopped_at" ]
	[ "$(printf '%s\n' "$stopped_at" "$mark" | sort -t- -k1,1n -k2,2n | tail -1)" = "$mark" ]
	[ "$(rcli --raw XRANGE event-stream - "$stopped_at" COUNT 1)" = "" ]
	load_stop
	worker_start
	settled
	grep -q "the stream was trimmed past $stopped_at, through .*: reading the archive $ARCHIVE" "$T/worker.log"
	[[ $(worker_consumer) == false* ]]
	check_all "worker away"
}

info_memory() { rcli INFO memory | tr -d '\r' | awk -F: -v f="$1" '$1 == f { print $2 }'; }

@test "a Redis full of stream: POSTs 503; the archiver's trim frees it, POSTs 201 again, nothing lost" {
	for i in 1 2 3; do ids+=("$(new_customer "Full $i")"); done
	archiving
	settled
	archiver_stop
	max=$(rcli CONFIG GET maxmemory | tail -1)
	base=$(info_memory used_memory)
	stream_before=$(rcli MEMORY USAGE event-stream)
	# 1 MiB over what it holds now, with nothing trimming the stream.
	rcli CONFIG SET maxmemory $((base + 1024 * 1024)) >/dev/null
	# The clients retry each 503, 300 times (half a minute and more):
	# the trim frees room within seconds; without it the 503s stay and
	# the test fails, rather than waits for ever.
	LOAD_RETRIES=300 load_start 3 "${ids[@]}"
	for i in $(seq 1200); do
		cat "$T"/attempts.[0-9]* 2>/dev/null | grep -q '^503 ' && break
		sleep 0.05
	done
	stream_full=$(rcli MEMORY USAGE event-stream)
	state=$(curl -s "$A/status" | jq -r .redis_memory.state)
	top=$(stream_top)
	archiving
	# Taken again once the trim has freed the stream's memory.
	for i in $(seq 400); do
		[ "$(stream_top)" != "$top" ] && break
		sleep 0.05
	done
	sleep 1
	load_stop
	rcli CONFIG SET maxmemory "$max" >/dev/null
	refused=$(grep -c '^503 ' "$T/attempts.all" || true)
	after=$(awk -v top="$top" '$1 == 201 { split($4, a, "-"); split(top, b, "-");
		if (a[1] > b[1] || (a[1] == b[1] && a[2] > b[2])) n++ } END { print n + 0 }' "$T/load.all")
	note "full: $refused POST attempts refused with 503, the stream grew by" \
		"$(( (stream_full - stream_before) / 1024 )) KiB of the 1024 KiB;" \
		"after the trim, $after POSTs 201"
	[ "$refused" -gt 0 ]
	[ "$state" = full ]
	# The stream took the largest share of the room (490 KiB of 1024
	# measured; the kept Idempotency-Keys and the commands' state the
	# rest), so that only its trim can free it.
	[ $((stream_full - stream_before)) -gt $((384 * 1024)) ]
	[ "$after" -gt 0 ]
	# Every invoice was taken in the end, and only once.
	[ "$(load_other)" = 0 ]
	settled
	check_all "full Redis"
}
