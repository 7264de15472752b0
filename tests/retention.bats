#!/usr/bin/env bats
# The worker and a trimmed stream: what follows its position was trimmed
# into the archive, so it reads the archive, then the stream; an archive
# short of the mark or damaged stops it before the gap, said once; a
# rebuild replays the archive, then the stream; a stream that lost what
# the worker applied is still a rebuild.  The file runs the worker and
# the archiver itself, and trims by hand, as admin, as stream_trim would.

load fixtures

setup_file() {
	# The worker's name in retention:workers.
	export CONSUMER_NAME=w
	stack_start_user1 RUN_WORKER=0 RUN_ARCHIVER=0
	export ARCHIVE=$VAR_DIR/archive
}

teardown_file() {
	stack_stop
}

# archive_all: the archiver run until its archive ends at the stream's
# last entry, then stopped (SIGTERM commits its open segment).
archive_all() {
	local want i
	want=$(stream_last)
	archiver_start CONSUMER_NAME=a ARCHIVE_SEGMENT_SECONDS=1
	for i in $(seq 200); do
		[ "$(archive_last)" = "$want" ] && break
		sleep 0.05
	done
	archiver_stop
	[ "$(archive_last)" = "$want" ] || { cat "$T/archiver.log" >&2; return 1; }
}
archive_last() { "$BIN_DIR/archiver" --dump 2>/dev/null | tail -1 | cut -d' ' -f1; }
segments() { ls "$ARCHIVE" | grep '\.seg$' || true; }

# trim_through ID: every entry up to ID removed from the stream, and the
# mark set there, as stream_trim does.
trim_through() {
	local next
	next=$(rcli --raw XRANGE event-stream "($1" + COUNT 1 | head -1)
	if [ -n "$next" ]; then
		rcli XTRIM event-stream MINID "$next" >/dev/null
	else
		rcli XTRIM event-stream MAXLEN 0 >/dev/null
	fi
	rcli SET retention:trimmed "$1" >/dev/null
	[ "$(rcli --raw XRANGE event-stream - "$1" COUNT 1)" = "" ]
}

# invoices CUSTOMER N: N invoices of 1 cent.
invoices() {
	local i
	for i in $(seq "$2"); do new_invoice "$1" 1 >/dev/null || return 1; done
}

# Every row of the read model but what differs between two files that
# applied the same events: when a dead letter was written, the timings.
model_dump() {
	sql "$1" 'SELECT * FROM accounts ORDER BY id' \
		'SELECT * FROM customers ORDER BY id' \
		'SELECT stream_id, event_type, payload, reason FROM dead_letters ORDER BY stream_id' \
		'SELECT * FROM projector_events ORDER BY 1, 2' \
		'SELECT last_event_id, events_seen, unknown_skipped FROM projector_state'
}

# The worker's health, as GET /status has it.
worker_health() { curl -s "$A/status" | jq -r .worker; }

# waits until GET /status's worker field matches the pattern.
health_matches() {
	local i
	for i in $(seq 200); do
		[[ $(worker_health) == $1 ]] && return 0
		sleep 0.05
	done
	echo "worker health: $(worker_health)" >&2
	return 1
}

@test "a stopped worker whose position was trimmed applies the archive, then the stream: each event once, the read model a rebuild's" {
	cid=$(new_customer "Trimmed")
	new_invoice "$cid" 100 >/dev/null
	db_caught_up
	worker_stop
	pos=$(db_last)
	invoices "$cid" 30
	rcli XADD event-stream '*' EventTypeName InvoiceCreated Payload 'not json' >/dev/null
	archive_all
	mark=$(stream_last)
	invoices "$cid" 5
	trim_through "$mark"
	# The worker's position is gone from the stream, under the mark.
	[ "$(rcli --raw XRANGE event-stream "$pos" "$pos")" = "" ]
	worker_start
	db_caught_up
	[ "$(revenue_db "$cid")" = 135 ]
	grep -q "the stream was trimmed past $pos, through $mark: reading the archive $ARCHIVE" "$T/worker.log"
	grep -q "applied 31 entries from the archive, up to $mark; reading the stream after it" "$T/worker.log"
	[ "$(totals_off)" = 0 ]
	[ "$(worker_health)" = ok ]
	# Its position reported, as worker:w.
	for i in $(seq 100); do
		[ "$(rcli HGET retention:workers w | cut -d' ' -f1)" = "$(db_last)" ] && break
		sleep 0.05
	done
	[ "$(rcli HGET retention:workers w | cut -d' ' -f1)" = "$(db_last)" ]
	# A rebuild of the same events (archive, then stream) has every row alike.
	ACCOUNTS_DB=$T/rebuilt.db CHECKPOINT_FILE=$T/rebuilt.checkpoint \
		"$BIN_DIR/worker" --rebuild 2>>"$T/rebuild.log" 3>&-
	diff <(model_dump "$DB") <(model_dump "$T/rebuilt.db")
	grep -q "of them from the archive" "$T/rebuild.log"
}

@test "an archive that ends before the mark: nothing applied past the position, one line naming the folder and the entries, the status says so; once completed, caught up" {
	cid=$(new_customer "Short")
	db_caught_up
	worker_stop
	pos=$(db_last)
	invoices "$cid" 3
	archive_all
	segments >"$T/segs.before"
	ends=$(stream_last)
	invoices "$cid" 4
	archive_all
	mark=$(stream_last)
	invoices "$cid" 2
	# The last segments lost, as if never copied to this host.
	mkdir -p "$T/aside"
	for s in $(comm -13 "$T/segs.before" <(segments)); do mv "$ARCHIVE/$s" "$T/aside/"; done
	[ "$(archive_last)" = "$ends" ]
	trim_through "$mark"
	lines=$(grep -c "ends at .*, but the stream was trimmed through" "$T/worker.log" || true)
	worker_start
	health_matches "archive: the entries after $pos through $mark are missing or damaged in $ARCHIVE"
	# Tried again (0.1 s, doubling): still one line, and nothing applied.
	sleep 1.5
	[ "$(grep -c "ends at .*, but the stream was trimmed through" "$T/worker.log")" = $((lines + 1)) ]
	grep -q "archive $ARCHIVE ends at $ends, but the stream was trimmed through $mark: the entries after $pos through $mark are in no readable segment nor in the stream" "$T/worker.log"
	[ "$(db_last)" = "$pos" ]
	[ "$(revenue_db "$cid")" = 0 ]
	# The segments back: the worker catches up, each event once.
	mv "$T/aside/"*.seg "$ARCHIVE/"
	db_caught_up "$DB" 15
	[ "$(revenue_db "$cid")" = 9 ]
	grep -q "the archive reads again" "$T/worker.log"
	health_matches ok
}

@test "a damaged segment: the worker stops before it, naming the file; the good copy back, caught up" {
	cid=$(new_customer "Damaged")
	db_caught_up
	worker_stop
	pos=$(db_last)
	segments >"$T/segs.before"
	invoices "$cid" 6
	archive_all
	mark=$(stream_last)
	invoices "$cid" 1
	bad=$(comm -13 "$T/segs.before" <(segments) | head -1)
	[ -n "$bad" ]
	cp "$ARCHIVE/$bad" "$T/good.seg"
	# One byte of the middle of its records flipped.
	size=$(stat -c %s "$ARCHIVE/$bad")
	off=$((size / 2))
	byte=$(od -An -tu1 -j "$off" -N1 "$ARCHIVE/$bad" | tr -d ' ')
	printf "$(printf '\\%03o' $((byte ^ 1)))" |
		dd of="$ARCHIVE/$bad" bs=1 seek="$off" conv=notrunc 2>/dev/null
	! cmp -s "$ARCHIVE/$bad" "$T/good.seg"
	trim_through "$mark"
	worker_start
	health_matches "archive: the entries after $pos through $mark are missing or damaged in $ARCHIVE"
	sleep 1
	[ "$(grep -c "$ARCHIVE/$bad (ids .*): .*: the entries after $pos through $mark" "$T/worker.log")" = 1 ]
	[ "$(db_last)" = "$pos" ]
	cp "$T/good.seg" "$ARCHIVE/$bad"
	db_caught_up "$DB" 15
	[ "$(revenue_db "$cid")" = 7 ]
	health_matches ok
}

@test "worker --rebuild from the archive and the stream equals the live read model caught up through trims, row for row" {
	db_caught_up
	rm -f "$T/rebuilt.db" "$T/rebuilt.db-wal" "$T/rebuilt.db-shm"
	ACCOUNTS_DB=$T/rebuilt.db CHECKPOINT_FILE=$T/rebuilt.checkpoint \
		"$BIN_DIR/worker" --rebuild 2>>"$T/rebuild.log" 3>&-
	model_dump "$DB" >"$T/live.rows"
	model_dump "$T/rebuilt.db" >"$T/rebuilt.rows"
	diff "$T/live.rows" "$T/rebuilt.rows"
	[ "$(grep -c . "$T/live.rows")" -gt 10 ]
	# The live file too, swapped in: GET /accounts unchanged.
	before=$(curl -sf "$A/accounts" -H "Authorization: Bearer $TOKEN")
	"$BIN_DIR/worker" --rebuild 2>>"$T/rebuild.log" 3>&-
	[ "$(curl -sf "$A/accounts" -H "Authorization: Bearer $TOKEN")" = "$before" ]
}

@test "a rebuild whose archive ends before the mark fails, naming the folder, and leaves the live read model" {
	mkdir -p "$T/empty"
	before=$(model_dump "$DB")
	run env ARCHIVE_DIR="$T/empty" "$BIN_DIR/worker" --rebuild 3>&-
	[ "$status" = 1 ]
	[[ $output == *"archive $T/empty holds no segment, but the stream was trimmed through $(rcli GET retention:trimmed)"* ]]
	[ "$(model_dump "$DB")" = "$before" ]
}

@test "a stream that lost the worker's last event (not trimmed: past the mark) is still a rebuild, from the archive and the stream" {
	cid=$(new_customer "Lost")
	new_invoice "$cid" 100 >/dev/null
	new_invoice "$cid" 20 >/dev/null
	db_caught_up
	lose_last_event "$cid" 100
	grep -q "the stream no longer has .* rebuilding from the archive and the stream" "$T/worker.log"
	# Logged once the new file is in place, which the total above may precede.
	for i in $(seq 50); do
		grep -q "of them from the archive" "$T/worker.log" && break
		sleep 0.1
	done
	grep -q "rebuilt .* entries ([1-9][0-9]* of them from the archive)" "$T/worker.log"
	new_invoice "$cid" 3 >/dev/null
	db_caught_up
	[ "$(revenue_db "$cid")" = 103 ]
}
