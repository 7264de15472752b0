#!/usr/bin/env bats
# scripts/backup and scripts/restore on a real stack (docs/operations.md,
# "Backup and restore").  setup_file loads BACKUP_EVENTS invoices (3,000
# unless told; docs/operations.md's figures are of 100,000), then takes a
# backup while a client keeps POSTing, and another with the keys, keeps
# what the first stack answered, and stops it.  The tests restore the
# copies on fresh folders and start a stack on them.

load fixtures

# id_le A B: stream id A is at most B.
id_le() {
	awk -v a="$1" -v b="$2" 'BEGIN { split(a, x, "-"); split(b, y, "-")
	    exit !(x[1] < y[1] || (x[1] == y[1] && x[2] <= y[2])) }'
}

# fact BACKUP KEY: a line of its manifest.
fact() { awk -v k="$2" '$1 == k { print $2 }' "$1/manifest"; }

# posting: POSTs one at a time to $C until $BK/stop exists: an invoice
# for customer $1, and a customer every fourth time.  One line each in
# $BK/posts: kind, status, id, event id.
posting() {
	local i=0 out
	while [ ! -e "$BK/stop" ]; do
		i=$((i + 1))
		out=$(curl -s -X POST "$C/invoices" -H "Authorization: Bearer $TOKEN" \
			-w ' %{http_code}' -d "{\"customer_id\":\"$1\",\"purchase_date\":\"2019-01-06\",\"purchase_price_cents\":$i}")
		echo "invoices ${out##* } $(jq -r '"\(.id) \(.event_id)"' <<<"${out% *}" 2>/dev/null)" >>"$BK/posts"
		[ $((i % 4)) = 0 ] || continue
		out=$(curl -s -X POST "$C/customers" -H "Authorization: Bearer $TOKEN" \
			-w ' %{http_code}' -d "{\"name\":\"late $i\",\"account_id\":\"1\"}")
		echo "customers ${out##* } $(jq -r '"\(.id) \(.event_id)"' <<<"${out% *}" 2>/dev/null)" >>"$BK/posts"
	done
}

# posts_past N: waits until $BK/posts has N lines.
posts_past() {
	local i
	for i in $(seq 600); do
		[ "$(wc -l <"$BK/posts" 2>/dev/null || echo 0)" -ge "$1" ] && return 0
		sleep 0.05
	done
	return 1
}

setup_file() {
	export BK=$(mktemp -d "${TMPDIR:-/tmp}/backup-test.XXXXXX")
	stack_start_user1 ARCHIVE_SEGMENT_SECONDS=1
	local c n=${BACKUP_EVENTS:-3000} k start
	for k in 1 2 3 4 5; do
		c=$(new_customer "early $k")
		seq $((n / 5)) | awk -v c="$c" '{ printf "FCALL invoice_create 1 event-stream caller user1 customer_id %s purchase_price_cents %d purchase_date 2019-01-06\n", c, $1 }' |
			rcli --pipe >/dev/null
	done
	wait_projected
	# The early events' ids: the 1,000th and the last.
	local early
	early=$(rcli --raw XRANGE event-stream - + COUNT 1000 | awk 'NR % 5 == 1' | tail -1)
	early=$(printf '%s\n%s' "$early" "$(stream_last)")
	posting "$c" 3>&- &
	local poster=$!
	posts_past 20
	start=$(date +%s%N)
	"$ROOT/scripts/backup" "$BK/plain" 2>"$BK/backup.log" 3>&- || { cat "$BK/backup.log" >&2; return 1; }
	echo "$(ms_since "$start")" >"$BK/backup.ms"
	# Writes after the copy too, which the restore must not have.
	posts_past $(($(wc -l <"$BK/posts") + 20))
	touch "$BK/stop"
	wait "$poster"
	"$ROOT/scripts/backup" --with-keys "$BK/keys" 2>>"$BK/backup.log" 3>&-
	wait_projected
	# A mark past every segment: the stream says it lost entries that
	# the archive lacks (another host's ARCHIVE_DIR, say).  Past the
	# stream's end too, so that no reader takes it for a trim.
	local last
	last=$(stream_last)
	export FAR_MARK=$((${last%-*} + 1000))-0
	rcli SET retention:trimmed "$FAR_MARK" >/dev/null
	"$ROOT/scripts/backup" "$BK/uncovered" 2>"$BK/uncovered.log" 3>&- &&
		echo "accepted" >>"$BK/uncovered.log"
	rcli DEL retention:trimmed >/dev/null
	# What the first stack holds and answers, up to the copy's point.
	rcli --raw XRANGE event-stream - "$(fact "$BK/plain" stream_last_id)" >"$BK/stream.a"
	while read -r kind code id _; do
		[ "$code" = 201 ] || continue
		echo "$kind $id $(curl -s "$C/$kind/$id" -H "Authorization: Bearer $TOKEN")"
	done <"$BK/posts" >"$BK/gets.a"
	echo "$TOKEN" >"$BK/token.a"
	# A copy whose stream was trimmed past the early invoices: those are
	# in its archive only.
	echo "$early" >"$BK/early"
	rcli HSET config:retention retain_seconds 0 >/dev/null
	# An event, so that a segment is committed and the trim comes at once
	# rather than at the next report.
	new_customer "trim now" >/dev/null
	for k in $(seq 400); do
		last=$(rcli --raw GET retention:trimmed)
		[ -n "$last" ] && id_le "$(tail -1 "$BK/early")" "$last" && break
		sleep 0.05
	done
	"$ROOT/scripts/backup" "$BK/trimmed" 2>>"$BK/backup.log" 3>&- || { cat "$BK/backup.log" >&2; return 1; }
	id_le "$(tail -1 "$BK/early")" "$(fact "$BK/trimmed" trimmed)"
	note "$n events: backup $(awk '{ printf "%.1f", $1 / 1000 }' "$BK/backup.ms") s" \
		"($(fact "$BK/plain" seconds) s inside), $(du -sk "$BK/plain" | cut -f1) KiB," \
		"$(grep -c '^file segment' "$BK/plain/manifest" || true) segments"
	stack_stop
}

teardown_file() {
	[ -n "${KEEP_TEST_DIR:-}" ] || rm -rf "$BK"
}

teardown() {
	stack_stop
}

restore_plain() { "$ROOT/scripts/restore" "$BK/plain" 2>"$T/restore.log" 3>&-; }
restore_keys() { "$ROOT/scripts/restore" "$BK/keys" 2>"$T/restore.log" 3>&-; }
restore_until() { "$ROOT/scripts/restore" --until "$UNTIL" "$BK/$FROM" 2>"$T/restore.log" 3>&- || { cat "$T/restore.log" >&2; return 1; }; }

# same_as_rebuild: the read model is what worker --rebuild of archive and
# stream makes, row for row.
same_as_rebuild() {
	local q='SELECT id, account_id, name, total_revenue_cents FROM customers ORDER BY id;
		SELECT id, owned_by, total_revenue_cents FROM accounts ORDER BY id;'
	ACCOUNTS_DB=$T/rebuilt.db CHECKPOINT_FILE=$T/rebuilt.checkpoint WORKER_STATUS_FILE=$T/rebuilt.status \
		"$BIN_DIR/worker" --rebuild 2>>"$T/worker.log" 3>&-
	diff <(sql "$T/rebuilt.db" "$q") <(sql "$DB" "$q")
}

@test "a backup taken while POSTs come in restores on a fresh VAR_DIR: the stream to its last id, every customer and invoice up to it, none after, the worker resumes, new POSTs work" {
	local p r start
	p=$(fact "$BK/plain" stream_last_id)
	r=$(awk '$1 == "read_model" && $2 == "accounts.db" { print $3 }' "$BK/plain/manifest")
	# The read model was copied before Redis: the worker resumes, never
	# finds its position gone.
	id_le "$r" "$p"
	start=$(date +%s%N)
	STACK_PREPARE=restore_plain stack_start_user1 ARCHIVE_SEGMENT_SECONDS=1
	note "restore: $(grep -o '[0-9.]* s;' "$T/restore.log" | tr -d ';'), up and caught up in $(ms_since "$start") ms"
	[ "$(stream_last)" = "$p" ]
	diff "$BK/stream.a" <(rcli --raw XRANGE event-stream - +)
	[ "$(curl -s "$A/status" | jq -r .last_event_id)" = "$p" ]
	grep -q "resuming after $r" "$T/run.log"

	# Each POST of the first stack: there up to the copy, gone after.
	local kind code id ev before=0 after=0
	while read -r kind code id ev; do
		[ "$code" = 201 ] || continue
		if id_le "$ev" "$p"; then
			[ "$(grep "^$kind $id " "$BK/gets.a")" = "$kind $id $(curl -s "$C/$kind/$id" -H "Authorization: Bearer $TOKEN")" ]
			before=$((before + 1))
		else
			req GET "$C/$kind/$id"
			[ "$code" = 404 ] || { echo "$kind $id (event $ev, after $p): $code" >&2; false; }
			after=$((after + 1))
		fi
	done <"$BK/posts"
	note "POSTs during the backup: $before in the copy, $after after it"
	[ "$before" -gt 0 ]
	[ "$after" -gt 0 ]

	# The read model, restored and caught up, is what a rebuild of the
	# restored stream makes.
	same_as_rebuild

	# The segments, when this build has the archiver.
	local segs
	segs=$(grep -c '^file segment' "$BK/plain/manifest" || true)
	if [ -x "$BIN_DIR/archiver" ]; then
		[ "$segs" -gt 0 ]
	fi
	[ "$(ls "$VAR_DIR/archive" | grep -c '\.seg$' || true)" -ge "$segs" ]

	# No keys in the copy: the tokens signed before are refused, a login works.
	token_refused "$(cat "$BK/token.a")"
	local c i
	c=$(new_customer "after restore")
	i=$(new_invoice "$c" 1234)
	[ -n "$i" ]
	wait_projected
	[ "$(revenue_api "$c")" = 1234 ]

	# The archiver goes on from the last segment restored.
	if [ -x "$BIN_DIR/archiver" ]; then
		archived_past "$(stream_last)"
	fi
}

# invoices_listed CUSTOMER: how many invoices the customers service lists
# for it, page after page.
invoices_listed() {
	local url="/customers/$1/invoices?limit=1000" n=0
	while [ -n "$url" ]; do
		curl -s -D "$T/headers" "$C$url" -H "Authorization: Bearer $TOKEN" >"$T/page"
		n=$((n + $(jq length "$T/page")))
		url=$(next_link "$T/headers")
	done
	echo "$n"
}

# posts_split ID: each POST of the first stack answered as before if its
# event is at most ID, 404 if after it; prints "before after".
posts_split() {
	local kind code id ev before=0 after=0
	while read -r kind code id ev; do
		[ "$code" = 201 ] || continue
		if id_le "$ev" "$1"; then
			[ "$(grep "^$kind $id " "$BK/gets.a")" = "$kind $id $(curl -s "$C/$kind/$id" -H "Authorization: Bearer $TOKEN")" ] ||
				{ echo "$kind $id (event $ev, up to $1): not as before" >&2; return 1; }
			before=$((before + 1))
		else
			req GET "$C/$kind/$id"
			[ "$code" = 404 ] || { echo "$kind $id (event $ev, after $1): $code" >&2; return 1; }
			after=$((after + 1))
		fi
	done <"$BK/posts"
	echo "$before $after"
}

@test "restore --until ID: the instance as it was just after ID; every POST up to it answered as before, none after; the read model made again; no id given twice" {
	local p
	p=$(fact "$BK/plain" stream_last_id)
	# ID: the middle one of the POSTs the copy holds.
	mapfile -t evs < <(awk '$2 == 201 { print $4 }' "$BK/posts" | while read -r e; do ! id_le "$e" "$p" || echo "$e"; done)
	export UNTIL=${evs[$((${#evs[@]} / 2))]} FROM=plain
	STACK_PREPARE=restore_until stack_start_user1 ARCHIVE_SEGMENT_SECONDS=1
	note "restore --until: $(grep -o '[0-9.]* s;' "$T/restore.log" | tr -d ';')"
	grep -q "restored up to $UNTIL, its last event $UNTIL" "$T/restore.log"
	[ "$(stream_last)" = "$UNTIL" ]
	wait_projected "$A" "$UNTIL"
	# Nothing left to apply: the deleted entries do not count.
	[ "$(curl -s "$A/status" | jq -r .lag)" = 0 ]
	read -r before after < <(posts_split "$UNTIL")
	note "POSTs of the copy: $before up to the id, $after after it"
	[ "$before" -gt 0 ]
	[ "$after" -gt 0 ]
	same_as_rebuild
	ARCHIVE_DIR=$VAR_DIR/archive "$BIN_DIR/archiver" --verify

	# The command state is the events': the posting customer's invoices,
	# as the customers service lists them, are the stream's.
	local c
	c=$(awk '$1 == "invoices" && $2 == 201 { print $3; exit }' "$BK/posts")
	c=$(grep "^invoices $c " "$BK/gets.a" | cut -d' ' -f3- | jq -r .customer_id)
	[ "$(invoices_listed "$c")" = \
		"$(rcli --raw XRANGE event-stream - + | grep -c "^{\"id\":\"[0-9]*\",\"customer_id\":\"$c\"" || true)" ]

	# New ids come after every id the copy holds, past the event too.
	local max_c max_i c2 i2
	max_c=$(while read -r kind code id ev; do [ "$kind $code" != "customers 201" ] || ! id_le "$ev" "$p" || echo "$id"; done <"$BK/posts" | sort -n | tail -1)
	max_i=$(while read -r kind code id ev; do [ "$kind $code" != "invoices 201" ] || ! id_le "$ev" "$p" || echo "$id"; done <"$BK/posts" | sort -n | tail -1)
	c2=$(new_customer "after restore")
	i2=$(new_invoice "$c2" 77)
	[ "$c2" -gt "$max_c" ]
	[ "$i2" -gt "$max_i" ]
	id_le "$(fact "$BK/plain" stream_last_id)" "$(stream_last)"
	wait_projected
	[ "$(revenue_api "$c2")" = 77 ]

	# Pointed at a live instance by mistake, it refuses, changing nothing.
	local len
	len=$(stream_len)
	run "$BIN_DIR/archiver" --restore-until "$UNTIL"
	[ "$status" = 1 ]
	[[ "$output" == *"runs on scripts/restore's own Redis, which has no other client"* ]]
	[ "$(stream_len)" = "$len" ]
	[ "$(rcli EXISTS restore:until)" = 0 ]
	[ "$(curl -s "$C/invoices/$i2" -H "Authorization: Bearer $TOKEN" | jq -r .id)" = "$i2" ]
}

@test "restore --until an id that only the archive holds: its segment cut after it, the command state made from the archive, the stream empty" {
	export UNTIL=$(head -1 "$BK/early") FROM=trimmed
	STACK_PREPARE=restore_until stack_start_user1 ARCHIVE_SEGMENT_SECONDS=1
	grep -q "restored up to $UNTIL, its last event $UNTIL: [1-9][0-9]* events from the archive and 0 from the stream" "$T/restore.log"
	grep -q "cut after $UNTIL" "$T/restore.log"
	[ "$(stream_len)" = 0 ]
	[ "$(rcli --raw GET retention:trimmed)" = "$UNTIL" ]
	ARCHIVE_DIR=$VAR_DIR/archive "$BIN_DIR/archiver" --verify
	[ "$(ARCHIVE_DIR=$VAR_DIR/archive "$BIN_DIR/archiver" --dump | tail -1 | cut -d' ' -f1)" = "$UNTIL" ]
	wait_projected "$A" "$UNTIL"
	[ "$(curl -s "$A/status" | jq -r .lag)" = 0 ]
	same_as_rebuild

	# Each customer's invoices, as the customers service lists them (the
	# command state), and its total in the read model: the archive's.
	local c want got
	ARCHIVE_DIR=$VAR_DIR/archive "$BIN_DIR/archiver" --dump >"$T/dump"
	for c in $(awk '$2 == "CustomerCreated"' "$T/dump" | grep -o '"id":"[0-9]*"' | grep -o '[0-9]*'); do
		want=$(awk '$2 == "InvoiceCreated"' "$T/dump" | grep -c "\"customer_id\":\"$c\"" || true)
		got=$(invoices_listed "$c")
		[ "$got" = "$want" ] || { echo "customer $c: $got invoices listed, $want in the archive" >&2; false; }
		want=$(awk '$2 == "InvoiceCreated"' "$T/dump" | grep "\"customer_id\":\"$c\"" |
			grep -o '"purchase_price_cents":[0-9]*' | cut -d: -f2 | awk '{ s += $1 } END { print s + 0 }')
		[ "$(revenue_db "$c")" = "$want" ]
	done
	# A write on it: past every id, applied.
	local i
	i=$(new_invoice "$c" 5)
	[ -n "$i" ]
	wait_projected
}

# refused_naming BACKUP FILE: restore refuses BACKUP with one line that
# names FILE, and writes nothing.
refused_naming() {
	run env VAR_DIR="$BK/nowhere" "$ROOT/scripts/restore" "$1"
	[ "$status" = 1 ]
	[ "${#lines[@]}" = 1 ]
	[[ "${lines[0]}" == "restore: $1/$2: "* ]] || { echo "got: $output" >&2; false; }
	[ ! -e "$BK/nowhere" ]
}

@test "a damaged backup is refused before anything is written, with the damaged file named: a byte of the RDB, of the read model, of a segment, a file missing" {
	local seg
	cp -a "$BK/plain" "$BK/bad-rdb"
	flip "$BK/bad-rdb/redis.rdb"
	refused_naming "$BK/bad-rdb" redis.rdb
	[[ "${lines[0]}" == *"damaged"* ]]

	cp -a "$BK/plain" "$BK/bad-db"
	flip "$BK/bad-db/db/accounts.db"
	refused_naming "$BK/bad-db" db/accounts.db

	cp -a "$BK/plain" "$BK/short"
	rm "$BK/short/db/accounts.db"
	refused_naming "$BK/short" db/accounts.db
	[[ "${lines[0]}" == *"missing" ]]

	# cp -a copies the segments: the live archive's links stay as they are.
	seg=$(cd "$BK/plain" && ls archive/*.seg 2>/dev/null | head -1)
	if [ -z "$seg" ]; then
		[ ! -x "$BIN_DIR/archiver" ]
		skip "no archiver in this build, so no segment"
	fi
	cp -a "$BK/plain" "$BK/bad-seg"
	flip "$BK/bad-seg/$seg"
	refused_naming "$BK/bad-seg" "$seg"
}

@test "backup refuses a copy whose stream was trimmed past the archive it finds" {
	[ "$(wc -l <"$BK/uncovered.log")" = 1 ] &&
		[[ "$(cat "$BK/uncovered.log")" == "backup: the stream was trimmed up to $FAR_MARK, but the archive in $(fact "$BK/plain" var_dir)/archive ends at "*": set ARCHIVE_DIR to this host's archive" ]] ||
		{ cat "$BK/uncovered.log" >&2; false; }
	[ ! -e "$BK/uncovered" ]
}

@test "restore refuses a VAR_DIR that is not empty, and backup a DEST that is not empty" {
	mkdir "$BK/full"
	echo mine >"$BK/full/x"
	run env VAR_DIR="$BK/full" "$ROOT/scripts/restore" "$BK/plain"
	[ "$status" = 1 ]
	[ "$output" = "restore: VAR_DIR $BK/full is not empty: a restore goes into an empty or absent folder only" ]
	[ "$(ls -A "$BK/full")" = x ]
	[ "$(cat "$BK/full/x")" = mine ]
	run env VAR_DIR="$BK/full" "$ROOT/scripts/backup" "$BK/full"
	[ "$status" = 1 ]
	[ "$output" = "backup: $BK/full is not empty: a backup goes into a new or empty folder" ]
	[ "$(ls -A "$BK/full")" = x ]
}

@test "a backup is its runner's alone (folder 0700, files 0600), holds the keys only with --with-keys, and restored with them still accepts the tokens signed before" {
	local f
	[ "$(stat -c '%a %U' "$BK/plain")" = "700 $(id -un)" ]
	for f in "$BK/plain/manifest" "$BK/plain/redis.rdb" "$BK/plain"/db/*; do
		[ "$(stat -c '%a %U' "$f")" = "600 $(id -un)" ] || { ls -l "$f" >&2; false; }
	done
	[ ! -e "$BK/plain/keys" ]
	grep -q '^keys no$' "$BK/plain/manifest"
	[ -f "$BK/keys/keys/jwt.secret" ]
	[ -f "$BK/keys/keys/redis-admin.pass" ]
	[ "$(stat -c %a "$BK/keys/keys/jwt.secret")" = 600 ]

	STACK_PREPARE=restore_keys stack_start_user1
	cmp "$BK/keys/keys/jwt.secret" "$VAR_DIR/jwt.secret"
	req GET "$A/accounts" "" "$(cat "$BK/token.a")"
	[ "$code" = 200 ]
}
