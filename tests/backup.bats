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
	[ "$before" -gt 0 ] && [ "$after" -gt 0 ]

	# The read model, restored and caught up, is what a rebuild of the
	# restored stream makes.
	local q='SELECT id, account_id, name, total_revenue_cents FROM customers ORDER BY id;
		SELECT id, owned_by, total_revenue_cents FROM accounts ORDER BY id;'
	ACCOUNTS_DB=$T/rebuilt.db CHECKPOINT_FILE=$T/rebuilt.checkpoint WORKER_STATUS_FILE=$T/rebuilt.status \
		"$BIN_DIR/worker" --rebuild 2>>"$T/worker.log" 3>&-
	diff <(sql "$T/rebuilt.db" "$q") <(sql "$DB" "$q")

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
	[ "$(ls -A "$BK/full")" = x ] && [ "$(cat "$BK/full/x")" = mine ]
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
	[ -f "$BK/keys/keys/jwt.secret" ] && [ -f "$BK/keys/keys/redis-admin.pass" ]
	[ "$(stat -c %a "$BK/keys/keys/jwt.secret")" = 600 ]

	STACK_PREPARE=restore_keys stack_start_user1
	cmp "$BK/keys/keys/jwt.secret" "$VAR_DIR/jwt.secret"
	req GET "$A/accounts" "" "$(cat "$BK/token.a")"
	[ "$code" = 200 ]
}
