#!/usr/bin/env bats
# The archiver: the stream into the archive's segments, and the stream
# trimmed to what the archive and the workers have not both got.  This
# file runs the archiver and the worker itself (RUN_ARCHIVER=0,
# RUN_WORKER=0), as the copy named "a" (CONSUMER_NAME), and plays other
# workers by reporting their positions as admin.

load fixtures

setup_file() {
	# REDIS_TCP=1: a replica (below) follows Redis by TCP only.
	stack_start_user1 RUN_WORKER=0 RUN_ARCHIVER=0 CONSUMER_NAME=a \
		ARCHIVE_COPIES=a REDIS_TCP=1
	export ARCHIVE=$VAR_DIR/archive
	# The workers here are played; the real one would lag behind what
	# is trimmed under it (a worker's reading of the archive is
	# tests/worker.bats').
	worker_stop
	rcli DEL retention:workers >/dev/null
}

teardown_file() {
	stop_pidfile "$T/replica.pid"
	stack_stop
}

teardown() {
	archiver_stop
	# A segment a failed test left damaged: the next tests need it whole.
	if [ -f "$T/flipped" ]; then
		cp "$T/good.seg" "$(cat "$T/flipped")"
		rm "$T/flipped"
	fi
}

# arch [ARG...]: the archiver's own commands (--verify, --dump), on the
# file's archive unless ARCHIVE_DIR says another.
arch() { CONSUMER_NAME=a "$BIN_DIR/archiver" "$@"; }

# archiving [VAR=value ...]: the archiver started, committing every second.
archiving() { archiver_start CONSUMER_NAME=a ARCHIVE_SEGMENT_SECONDS=1 "$@"; }

# The last id the archive holds ("" if none).
archive_last() { arch --dump | tail -1 | cut -d' ' -f1; }

# archived [ID]: waits until the archive ends at ID (the stream's last).
archived() {
	local want=${1:-$(stream_last)} i
	for i in $(seq 200); do
		[ "$(archive_last)" = "$want" ] && return 0
		sleep 0.05
	done
	echo "archive ends at $(archive_last), want $want" >&2
	cat "$T/archiver.log" >&2
	return 1
}

# The stream as archiver --dump prints it: "<id> <type> <payload>".
stream_dump() {
	rcli --json XRANGE event-stream - + | jq -r '.[] |
		(.[1] as $f | [range(0; $f | length; 2)] |
		 map({ key: $f[.], value: $f[. + 1] }) | from_entries) as $m |
		"\(.[0]) \($m.EventTypeName // "-") \($m.Payload // "-")"'
}

# The archive holds every entry the stream has, once, in order, and ends
# where the stream does; what the stream lost to trimming is before.
archive_matches_stream() {
	local n
	arch --verify
	arch --dump >"$T/archive.dump"
	stream_dump >"$T/stream.dump"
	n=$(wc -l <"$T/stream.dump")
	[ "$(cut -d' ' -f1 "$T/archive.dump" | sort | uniq -d)" = "" ] ||
		{ echo "ids twice in the archive" >&2; return 1; }
	diff <(tail -n "$n" "$T/archive.dump") "$T/stream.dump"
}

trimmed_mark() { rcli GET retention:trimmed; }
stream_first() { rcli --raw XRANGE event-stream - + COUNT 1 | head -1; }
# report_worker NAME ID: a worker's report, as its Function takes it.
report_worker() {
	rcli FCALL consumer_report 1 event-stream worker "$1" "$2" >/dev/null
}
retention() { rcli HSET config:retention "$@" >/dev/null; }
# events N: N events of a type no reader knows, straight into the stream.
events() {
	local i
	for ((i = 0; i < $1; i++)); do
		echo "XADD event-stream * EventTypeName ArchiveTest Payload '{\"i\":$i}'"
	done | rcli >/dev/null
}

@test "the archive holds every event, as the stream has them" {
	cid=$(new_customer "Archived")
	new_invoice "$cid" 250
	new_invoice "$cid" 125
	archiving
	archived
	archive_matches_stream
	# The position is reported: archive a at the archive's end.
	rcli HGET retention:archives a | grep -q "^$(stream_last) "
	[ -z "$(trimmed_mark)" ]
}

@test "SIGTERM commits the open segment" {
	archiver_start CONSUMER_NAME=a ARCHIVE_SEGMENT_SECONDS=3600
	before=$(ls "$ARCHIVE"/*.seg | wc -l)
	new_customer "At the stop"
	sleep 1
	archiver_stop
	[ "$(archive_last)" = "$(stream_last)" ]
	[ "$(ls "$ARCHIVE"/*.seg | wc -l)" = $((before + 1)) ]
	archive_matches_stream
}

@test "a second configured copy that never reported: nothing trimmed" {
	retention retain_seconds 0 archives "a b"
	archiving
	new_customer "Two copies"
	archived
	len=$(stream_len)
	sleep 1.5
	[ "$(stream_len)" = "$len" ]
	[ -z "$(trimmed_mark)" ]
	archiver_stop
	# The log says why, once.
	[ "$(grep -c 'nothing is trimmed: archive b has not reported' "$T/archiver.log")" = 1 ]
}

@test "the stream is trimmed to what the archive and the workers have not both got" {
	retention retain_seconds 0 archives a consumer_timeout 3600
	events 10
	held=$(stream_last)
	report_worker w1 "$held"
	events 10
	archiving
	archived
	# The worker holds it: trimmed up to its position, not past.
	for _ in $(seq 100); do [ "$(trimmed_mark)" = "$held" ] && break; sleep 0.05; done
	[ "$(trimmed_mark)" = "$held" ]
	[ "$(stream_len)" = 10 ]
	archive_matches_stream
	# The worker moves on: so does the trimming, at the next commit.
	report_worker w1 999999999999999-0
	events 1
	archived
	for _ in $(seq 100); do [ "$(stream_len)" = 0 ] && break; sleep 0.05; done
	[ "$(stream_len)" = 0 ]
	[ "$(trimmed_mark)" = "$(archive_last)" ]
	arch --verify
}

@test "a stopped archiver: nothing is trimmed" {
	retention retain_seconds 0 archives a
	report_worker w1 999999999999999-0
	events 5
	mark=$(trimmed_mark)
	sleep 1.5
	[ "$(trimmed_mark)" = "$mark" ]
	[ "$(stream_len)" = 5 ]
	# Started, it archives them, and only then trims them.
	archiving
	archived
	for _ in $(seq 100); do [ "$(stream_len)" = 0 ] && break; sleep 0.05; done
	[ "$(stream_len)" = 0 ]
}

@test "a worker silent past CONSUMER_TIMEOUT holds nothing back; one that reports does" {
	retention retain_seconds 0 archives a consumer_timeout 60
	events 3
	old=$(stream_last)
	events 3
	held=$(stream_last)
	events 3
	# w1, behind, last spoke ten minutes ago (by this clock, Redis's
	# too); w2 reports now.
	rcli HSET retention:workers w1 "$old $(($(date +%s%3N) - 600000))" >/dev/null
	report_worker w2 "$held"
	archiving
	archived
	for _ in $(seq 100); do [ "$(trimmed_mark)" = "$held" ] && break; sleep 0.05; done
	[ "$(trimmed_mark)" = "$held" ]
	[ "$(stream_len)" = 3 ]
	rcli DEL retention:workers >/dev/null
}

@test "20,000 events trimmed: no stream_trim call over 5 ms (SLOWLOG)" {
	retention retain_seconds 0 archives a consumer_timeout 3600
	events 20000
	rcli CONFIG SET slowlog-log-slower-than 5000 >/dev/null
	rcli SLOWLOG RESET >/dev/null
	archiving
	archived
	for _ in $(seq 200); do [ "$(stream_len)" = 0 ] && break; sleep 0.05; done
	[ "$(stream_len)" = 0 ]
	slow=$(rcli SLOWLOG GET 128)
	rcli CONFIG SET slowlog-log-slower-than 10000 >/dev/null
	note "slowlog over 5 ms: $(grep -c stream_trim <<<"$slow" || true) stream_trim calls"
	! grep -q stream_trim <<<"$slow"
	grep -q "trimmed" "$T/archiver.log"
}

@test "SIGKILL mid-segment loses nothing and archives nothing twice" {
	retention retain_seconds 86400
	archiver_start CONSUMER_NAME=a ARCHIVE_SEGMENT_SECONDS=3600
	events 500
	# Read by now, in the open segment (writing.part), not committed.
	sleep 1
	kill -KILL "$(cat "$T/archiver.pid")"
	rm -f "$T/archiver.pid"
	events 500
	archiving
	archived
	archive_matches_stream
}

@test "an empty archive of a trimmed stream: one clear error, no segment" {
	[ -n "$(trimmed_mark)" ]
	export ARCHIVE_DIR=$T/fresh
	archiving ARCHIVE_DIR="$ARCHIVE_DIR"
	for _ in $(seq 100); do grep -q "trimmed to" "$T/archiver.log" && break; sleep 0.05; done
	grep "level=error" "$T/archiver.log" | grep "archive $ARCHIVE_DIR ends at 0-0, but the stream was trimmed to $(trimmed_mark)"
	! compgen -G "$ARCHIVE_DIR/*.seg"
	kill -0 "$(cat "$T/archiver.pid")"
	unset ARCHIVE_DIR
}

@test "a byte flipped in a segment: --verify names the file and fails" {
	seg=$(ls "$ARCHIVE"/*.seg | head -1)
	cp "$seg" "$T/seg.orig"
	byte=$(od -An -tu1 -j100 -N1 "$seg")
	printf "\\$(printf %03o $((byte ^ 0xff)))" |
		dd of="$seg" bs=1 seek=100 conv=notrunc status=none
	run arch --verify
	[ "$status" = 1 ]
	grep -F "$seg" <<<"$output"
	cp "$T/seg.orig" "$seg"
	arch --verify
}

@test "a segment damaged under the running archiver: named once, nothing more trimmed; put right, trimming resumes" {
	retention retain_seconds 0 archives a consumer_timeout 3600
	archiving
	events 5
	archived
	for _ in $(seq 100); do [ "$(stream_len)" = 0 ] && break; sleep 0.05; done
	[ "$(stream_len)" = 0 ]
	mark=$(trimmed_mark)
	# The oldest segment, long trimmed from the stream, rots.
	seg=$(ls "$ARCHIVE"/*.seg | head -1)
	cp "$seg" "$T/good.seg"
	echo "$seg" >"$T/flipped"
	flip "$seg"
	for _ in $(seq 400); do grep -qF "damaged segment: $seg" "$T/archiver.log" && break; sleep 0.05; done
	grep "level=error" "$T/archiver.log" | grep -F "damaged segment: $seg (ids "
	# New events are committed (archived can't say so: --dump stops at
	# the damage), and stay in the stream.
	events 5
	archived_past "$(stream_last)"
	sleep 1.5
	[ "$(stream_len)" = 5 ]
	[ "$(trimmed_mark)" = "$mark" ]
	# The copy reports the last id before the damage, none here, and
	# /status shows it there.
	rcli HGET retention:archives a | grep -q "^0-0 "
	curl -s "$A/status" | jq -e '.stream.consumers[] |
		select(.kind == "archive" and .name == "a") | .position == "0-0"'
	# The good copy back: a round passes whole, and trimming resumes.
	cp "$T/good.seg" "$seg"
	rm "$T/flipped"
	for _ in $(seq 400); do [ "$(stream_len)" = 0 ] && break; sleep 0.05; done
	[ "$(stream_len)" = 0 ]
	[ "$(trimmed_mark)" = "$(archive_last)" ]
	grep -q "verified whole again: trimming, held at 0-0, resumes" "$T/archiver.log"
	[ "$(grep -cF "damaged segment: $seg" "$T/archiver.log")" = 1 ]
	rcli HGET retention:archives a | grep -q "^$(archive_last) "
}

@test "REDIS_WAIT_REPLICAS: a segment waits until its events are on a replica" {
	retention retain_seconds 86400
	archiving REDIS_WAIT_REPLICAS=1 REDIS_WAIT_TIMEOUT_MS=100
	before=$(archive_last)
	events 3
	sleep 2
	[ "$(archive_last)" = "$before" ]
	[ "$(grep -c 'is not committed: 0 of the 1 replicas' "$T/archiver.log")" = 1 ]
	replica_start "$(free_port)"
	archived
	grep -q 'resolved: the open segment' "$T/archiver.log"
	archive_matches_stream
	stop_pidfile "$T/replica.pid"
}

@test "the stream lost the archive's last entry (a failover): one clear error, archiving stops" {
	retention retain_seconds 86400
	archiving
	events 1
	archived
	archiver_stop
	last=$(stream_last)
	rcli XDEL event-stream "$last" >/dev/null
	events 1
	archiving
	for _ in $(seq 100); do grep -q "no longer has $last" "$T/archiver.log" && break; sleep 0.05; done
	grep "level=error" "$T/archiver.log" | grep "the stream no longer has $last, the last entry of archive $ARCHIVE"
	sleep 1
	[ "$(archive_last)" = "$last" ]
	kill -0 "$(cat "$T/archiver.pid")"
}
