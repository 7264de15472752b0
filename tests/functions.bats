#!/usr/bin/env bats
# The command side alone: db/events.lua, as the programs carry it (setup
# loads it), driven by FCALL against a bare redis-server, without
# lighttpd.  Then the one contract, both ways: every edge value the
# functions accept is applied by the projector (worker --rebuild), and
# the values just beyond are refused with nothing appended.

load fixtures

setup_file() {
	test_dir
	export REDIS_PORT=$(free_port) VAR_DIR=$T/var STREAM=event-stream
	mkdir -p "$VAR_DIR"
	chmod 1777 "$VAR_DIR"
	"$BIN_DIR/setup" --keys 2>>"$T/setup.log" 3>&-
	redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' \
		--aclfile "$VAR_DIR/redis-users.acl" \
		--appendonly no --daemonize no --logfile "$T/redis.log" 3>&- &
	echo $! >"$T/redis.pid"
	local i
	for i in $(seq 100); do
		[ "$(rcli ping 2>/dev/null)" = PONG ] && break
		sleep 0.05
	done
	"$BIN_DIR/setup" 2>>"$T/setup.log" 3>&-
}

teardown_file() {
	stop_pidfile "$T/redis.pid"
	sanitizers_quiet
	[ -n "${KEEP_TEST_DIR:-}" ] || rm -rf "$T"
}

# fcall FUNCTION ARG...: FCALL with the stream as its key; the reply, raw.
fcall() {
	local fn=$1
	shift
	rcli --raw FCALL "$fn" 1 "$STREAM" "$@"
}

# refused_fcall WORD FUNCTION ARG...: an error starting with WORD, and
# nothing appended.
refused_fcall() {
	local word=$1 before out
	shift
	before=$(stream_len)
	out=$(fcall "$@" 2>&1)
	if [[ $out != "$word "* ]] || [ "$(stream_len)" != "$before" ]; then
		echo "FCALL $*: got '${out:0:200}', want $word (stream $before -> $(stream_len))" >&2
		return 1
	fi
}

# The id of a new record: the third line of a command's answer.
record_id() { sed -n 3p; }

@test "every function the contract names is in the library Redis holds" {
	want=$(grep -oE "function_name = '[a-z_]+'" "$ROOT/build/gen/events.lua" |
		cut -d"'" -f2 | sort)
	[ "$(wc -l <<<"$want")" = 9 ]
	have=$(rcli --raw FUNCTION LIST LIBRARYNAME events |
		awk 'prev == "name" { print } { prev = $0 }' | grep -v '^events$' | sort)
	comm -23 <(echo "$want") <(echo "$have") >"$T/missing"
	[ ! -s "$T/missing" ] || { cat "$T/missing" >&2; false; }
}

@test "a command answers its event type, event id and record id, and stamps Redis's clock" {
	run fcall customer_create caller user1 account_id 1 name "John Adams"
	[ "$status" = 0 ]
	[ "${lines[0]}" = CustomerCreated ]
	[ "${lines[1]}" = "$(stream_last)" ]
	[[ ${lines[2]} =~ ^[1-9][0-9]*$ ]]
	payload=$(rcli --raw XRANGE "$STREAM" "${lines[1]}" "${lines[1]}" | sed -n 5p)
	[[ $payload == "{\"id\":\"${lines[2]}\",\"account_id\":\"1\",\"name\":\"John Adams\",\"created_date\":\""* ]]
	# created_date is Redis's TIME, to the second (it may have ticked).
	stamp=$(date -u -d "$(jq -r .created_date <<<"$payload")" +%s)
	now=$(rcli --raw TIME | head -1)
	[ $((now - stamp)) -ge 0 ]
	[ $((now - stamp)) -le 2 ]
}

@test "arguments are named: unknown, repeated, missing or unpaired ones are refused, nothing appended" {
	refused_fcall INVALID customer_create caller user1 account_id 1 nam x
	refused_fcall INVALID customer_create caller user1 account_id 1 name x name y
	refused_fcall INVALID customer_create caller user1 account_id 1
	refused_fcall INVALID customer_create caller user1 account_id 1 name
	refused_fcall INVALID customer_create account_id 1 name x
	refused_fcall INVALID customer_get caller user1
	# Positional, as before the contract: refused, not misread.
	refused_fcall INVALID invoice_create user1 1 100 2019-01-06
}

@test "refusals: a gone caller, another's record, an unknown record, an account with customers" {
	cid=$(fcall customer_create caller user1 account_id 1 name Mine | record_id)
	refused_fcall UNAUTHORIZED customer_create caller ghost account_id 1 name x
	refused_fcall FORBIDDEN customer_create caller user2 account_id 1 name x
	refused_fcall FORBIDDEN invoice_create caller user2 customer_id "$cid" \
		purchase_price_cents 1 purchase_date 2019-01-06
	refused_fcall NOTFOUND customer_create caller user1 account_id 999 name x
	refused_fcall NOTFOUND invoice_delete caller user1 id 999999
	refused_fcall CONFLICT account_delete caller user1 id 1
	refused_fcall FORBIDDEN customer_get caller user2 id "$cid"
}

@test "reads answer field, value pairs in the event's order, with the commands' checks" {
	cid=$(fcall customer_create caller user1 account_id 1 name Reader | record_id)
	iid=$(fcall invoice_create caller user1 customer_id "$cid" \
		purchase_price_cents 250 purchase_date 2019-01-06 | record_id)
	run fcall invoice_get caller user1 id "$iid"
	[ "$status" = 0 ]
	[ "${lines[*]:0:6}" = "id $iid customer_id $cid purchase_price_cents 250" ]
	[ "${lines[6]}" = created_date ]
	[ "${lines[8]}" = purchase_date ]
	[ "${lines[9]}" = 2019-01-06 ]
	run fcall customer_get caller user1 id "$cid"
	[ "${lines[*]:0:6}" = "id $cid account_id 1 name Reader" ]
	run fcall customer_invoices caller user1 id "$cid"
	[ "${#lines[@]}" = 10 ]
	[ "${lines[1]}" = "$iid" ]
}

@test "accounts_seed appends the pre-loaded accounts once in the stream's life" {
	before=$(stream_len)
	run fcall accounts_seed accounts '[{"owned_by":"user1","name":"again","description":"d"}]'
	[ "$status" = 0 ]
	[ -z "$output" ]
	[ "$(stream_len)" = "$before" ]
	refused_fcall INVALID accounts_seed accounts 'not json'
}

# Restore up to an event (db/restore.lua): the command state cleared and
# rebuilt from the events.  These run before the tests below that write
# state without events in this stream (the memory test's own stream, the
# invoices kept as before): up to here, every derived key came from an
# event of $STREAM.

# state_dump: every key of the command state but the kept answers
# (idem:*, not rebuilt), one line per value, sorted: a string as hex, a
# hash's fields, a sorted set's members (hex) with their scores, a list
# by index; the seq:* counters; users and config as they are.  The
# stream, and the restore's own keys, left out.
DUMP_LUA='
local function hex(s)
  return (s:gsub(".", function(c) return string.format("%02x", c:byte()) end))
end
local out, cursor = {}, "0"
repeat
  local r = redis.call("SCAN", cursor, "COUNT", 1000)
  cursor = r[1]
  for _, k in ipairs(r[2]) do
    local t = redis.call("TYPE", k).ok
    if t ~= "stream" and k:sub(1, 5) ~= "idem:" and k:sub(1, 8) ~= "restore:" then
      if t == "string" then
        out[#out + 1] = k .. " " .. hex(redis.call("GET", k))
      elseif t == "hash" then
        local h = redis.call("HGETALL", k)
        for i = 1, #h, 2 do out[#out + 1] = k .. " " .. h[i] .. " " .. h[i + 1] end
      elseif t == "zset" then
        local z = redis.call("ZRANGE", k, 0, -1, "WITHSCORES")
        for i = 1, #z, 2 do out[#out + 1] = k .. " " .. hex(z[i]) .. " " .. z[i + 1] end
      elseif t == "list" then
        local l = redis.call("LRANGE", k, 0, -1)
        for i = 1, #l do out[#out + 1] = k .. " " .. i .. " " .. l[i] end
      else
        out[#out + 1] = k .. " " .. t
      end
    end
  end
until cursor == "0"
return out'
state_dump() { rcli --raw EVAL "$DUMP_LUA" 0 | LC_ALL=C sort; }

# piped: the commands on stdin, one pipe; fails on any error.
piped() {
	rcli --pipe >"$T/pipe.out"
	grep -q 'errors: 0,' "$T/pipe.out" || { cat "$T/pipe.out" >&2; false; }
}

# state_clear_all: state_clear from cursor 0 until it answers 0.
state_clear_all() {
	local cursor=0 calls=0
	while :; do
		cursor=$(rcli --raw FCALL state_clear 0 cursor "$cursor" count 1000)
		[[ $cursor =~ ^[0-9]+$ ]] || { echo "state_clear: $cursor" >&2; return 1; }
		[ $((calls += 1)) -le 1000 ] || return 1
		[ "$cursor" != 0 ] || return 0
	done
}

# replay_stream: state_replay of every entry of the stream, in order, in
# one pipe: Redis's protocol, made by awk (the payloads hold spaces and
# quotes; length() counts bytes in the C locale).
replay_stream() {
	rcli --raw XRANGE "$STREAM" - + | LC_ALL=C awk -v s="$STREAM" '
		function arg(a) { printf "$%d\r\n%s\r\n", length(a), a }
		NR % 5 == 1 { id = $0 }
		NR % 5 == 3 { type = $0 }
		NR % 5 == 0 { printf "*10\r\n"; arg("FCALL"); arg("state_replay")
			arg("1"); arg(s); arg("id"); arg(id); arg("type"); arg(type)
			arg("payload"); arg($0) }' | piped
}

# The restore's keys gone, whatever a test left.
restore_off() { rcli DEL restore:until restore:applied >/dev/null; }

@test "the command state rebuilt from the events is the commands' own, key for key" {
	rcli HSET user:user2 password_hash x >/dev/null
	a1=$(fcall account_create caller user1 name "Replay one" description "d é" | record_id)
	a2=$(fcall account_create caller user2 name "Replay two" description d | record_id)
	big=$(fcall customer_create caller user1 account_id "$a1" name 'Big "one"' | record_id)
	gone=$(fcall customer_create caller user1 account_id "$a1" name Gone | record_id)
	other=$(fcall customer_create caller user2 account_id "$a2" name Other | record_id)
	# 300 invoices of one customer: chunks of 128, 128 and 44.
	first=$(($(rcli GET seq:invoice) + 1))
	for i in $(seq 300); do
		echo "FCALL invoice_create 1 $STREAM caller user1 customer_id $big purchase_price_cents $i purchase_date 2019-01-0$((i % 9 + 1))"
	done | piped
	[ "$(rcli ZCARD "customer:$big:chunks")" = 3 ]
	# 200 of another, whose customer is deleted: its chunks go to gc.
	for i in $(seq 200); do
		echo "FCALL invoice_create 1 $STREAM caller user1 customer_id $gone purchase_price_cents 3 purchase_date 2020-02-29"
	done | piped
	# 128 deleted from the middle: the second chunk merges with the third.
	for id in $(seq $((first + 100)) $((first + 227))); do
		echo "FCALL invoice_delete 1 $STREAM caller user1 id $id"
	done | piped
	[ "$(rcli ZCARD "customer:$big:chunks")" = 2 ]
	[ "$(fcall customer_delete caller user1 id "$gone" | head -1)" = CustomerDeleted ]
	# Two writes after: the gc goes on, and is not done (200 > 3 * 64).
	fcall invoice_create caller user2 customer_id "$other" purchase_price_cents 0 \
		purchase_date 2021-03-01 >/dev/null
	fcall invoice_create caller user2 customer_id "$other" purchase_price_cents 9007199254740991 \
		purchase_date 2021-03-02 key k1 key_id aaaaaaaaaaaaaaaaaaaaaa \
		fingerprint 0123456789abcdef0123456789abcdef key_ttl 600 >/dev/null
	[ "$(rcli EXISTS "gc:customer:$gone:chunks" idem:aaaaaaaaaaaaaaaaaaaaaa)" = 2 ]
	state_dump >"$T/commands"
	[ "$(grep -c "^customer:$big:c:" "$T/commands")" = 2 ]

	rcli SET restore:until "$(stream_last)" >/dev/null
	state_clear_all
	# Only what is not derived from events is left.
	rcli --raw KEYS '*' | grep -vE "^(user|config|seq|restore):|^$STREAM\$" >"$T/left" || true
	[ ! -s "$T/left" ] || { cat "$T/left" >&2; false; }
	[ "$(rcli EXISTS user:user1 config:limits seq:invoice)" = 3 ]
	replay_stream
	[ "$(rcli GET restore:applied)" = "$(stream_last)" ]
	state_dump >"$T/replayed"
	diff "$T/commands" "$T/replayed"
	[ "$(rcli EXISTS idem:aaaaaaaaaaaaaaaaaaaaaa)" = 0 ]
	restore_off
	# And the commands go on from the rebuilt state.
	[ "$(fcall invoice_delete caller user1 id $((first + 1)) | head -1)" = InvoiceDeleted ]
}

# replay_refused WORD ID TYPE PAYLOAD: state_replay answers an error
# starting with WORD, and the state is as it was.
replay_refused() {
	local word=$1 out
	shift
	state_dump >"$T/before"
	out=$(rcli --raw FCALL state_replay 1 "$STREAM" id "$1" type "$2" payload "$3" 2>&1)
	state_dump >"$T/after"
	if [[ $out != "$word "* ]] || ! cmp -s "$T/before" "$T/after"; then
		echo "state_replay $*: got '${out:0:200}', want $word, state unchanged" >&2
		diff "$T/before" "$T/after" | head >&2
		return 1
	fi
}

@test "state_replay and state_clear run only while a restore is on, each event once, up to restore:until" {
	restore_off
	cid=$(fcall customer_create caller user1 account_id 1 name Once | record_id)
	last=$(stream_last)
	payload=$(rcli --raw XRANGE "$STREAM" "$last" "$last" | sed -n 5p)
	replay_refused CONFLICT "$last" CustomerCreated "$payload"
	run rcli --raw FCALL state_clear 0 cursor 0 count 10
	[[ $output == CONFLICT* ]]
	[ "$(rcli EXISTS "customer:$cid")" = 1 ]
	# Up to the event before it: the event is past restore:until.
	before=$(rcli --raw XREVRANGE "$STREAM" "($last" - COUNT 1 | head -1)
	rcli SET restore:until "$before" >/dev/null
	replay_refused LIMIT "$last" CustomerCreated "$payload"
	# Applied already: refused, whether it is the last applied or older.
	rcli MSET restore:until "$last" restore:applied "$last" >/dev/null
	replay_refused CONFLICT "$last" CustomerCreated "$payload"
	replay_refused CONFLICT "$before" CustomerCreated "$payload"
	[ "$(rcli GET restore:applied)" = "$last" ]
	# seq:<record> raised to a replayed id, compared as digits: past
	# 2^53, a double takes 2^53 + 1 for 2^53.
	seq=$(rcli GET seq:account)
	rcli MSET restore:until 99999999999999-2 restore:applied 99999999999999-0 >/dev/null
	for e in '1 9007199254740992' '2 9007199254740993'; do
		set -- $e
		[ "$(rcli --raw FCALL state_replay 1 "$STREAM" id "99999999999999-$1" \
			type AccountCreated payload "{\"id\":\"$2\",\"name\":\"n\",\"description\":\"d\",\"owned_by\":\"user1\",\"created_date\":\"2026-01-01T00:00:00Z\"}")" = "99999999999999-$1" ]
	done
	[ "$(rcli GET seq:account)" = 9007199254740993 ]
	[ "$(rcli HGET account:9007199254740992 owned_by)" = user1 ]
	rcli DEL account:9007199254740993 account:9007199254740992 >/dev/null
	rcli SET seq:account "$seq" >/dev/null
	# The arguments and the bound of a clear.
	run rcli --raw FCALL state_clear 0 cursor 0 count 1001
	[[ $output == INVALID* ]]
	run rcli --raw FCALL state_clear 0 cursor x count 10
	[[ $output == INVALID* ]]
	restore_off
}

@test "state_replay refuses a payload that does not decode or lacks a field, nothing changed" {
	rcli SET restore:until 99999999999999-0 >/dev/null
	rcli DEL restore:applied >/dev/null
	id=99999999999998-0
	replay_refused INVALID "$id" CustomerCreated 'not json'
	replay_refused INVALID "$id" CustomerCreated '"a string"'
	replay_refused INVALID "$id" CustomerCreated '{"id":"9","account_id":"1","name":"x"}'
	replay_refused INVALID "$id" CustomerCreated '{"id":"9","account_id":"1","name":"","created_date":"2026-01-01T00:00:00Z"}'
	replay_refused INVALID "$id" CustomerCreated '{"id":9,"account_id":"1","name":"x","created_date":"2026-01-01T00:00:00Z"}'
	replay_refused INVALID "$id" InvoiceCreated '{"id":"9","customer_id":"1","purchase_price_cents":1.5,"created_date":"2026-01-01T00:00:00Z","purchase_date":"2019-01-06"}'
	replay_refused INVALID "$id" InvoiceCreated '{"id":"9","customer_id":"1","purchase_price_cents":"1","created_date":"2026-01-01T00:00:00Z","purchase_date":"2019-02-29"}'
	replay_refused INVALID "$id" InvoiceDeleted '{"id":"9","customer_id":"1","purchase_price_cents":-1}'
	replay_refused INVALID "$id" NoSuchEvent '{"id":"9"}'
	replay_refused INVALID 1-01 AccountDeleted '{"id":"9"}'
	# Well formed, but of records the state lacks: a gap in the events.
	replay_refused CONFLICT "$id" CustomerCreated '{"id":"9","account_id":"424242","name":"x","created_date":"2026-01-01T00:00:00Z"}'
	replay_refused CONFLICT "$id" InvoiceDeleted '{"id":"424242","customer_id":"1","purchase_price_cents":1}'
	replay_refused CONFLICT "$id" InvoiceCreated '{"id":"424242","customer_id":"424242","purchase_price_cents":1,"created_date":"2026-01-01T00:00:00Z","purchase_date":"2019-01-06"}'
	[ "$(rcli EXISTS restore:applied)" = 0 ]
	restore_off
}

@test "no service role may replay or clear: Redis refuses the Function's read of restore:until" {
	rcli SET restore:until 99999999999999-0 >/dev/null
	state_dump >"$T/before"
	payload='{"id":"1","owned_by":"user1","name":"x","description":"y","created_date":"2026-01-01T00:00:00Z"}'
	for role in customers accounts worker archiver; do
		run as_role "$role" FCALL state_replay 1 "$STREAM" id 99999999999998-0 \
			type AccountCreated payload "$payload"
		[[ $output == *"can't"* ]] || { echo "$role: $output" >&2; false; }
		run as_role "$role" FCALL state_clear 0 cursor 0 count 1000
		[[ $output == *"can't"* ]] || { echo "$role: $output" >&2; false; }
	done
	state_dump >"$T/after"
	diff "$T/before" "$T/after"
	[ "$(rcli EXISTS restore:applied)" = 0 ]
	restore_off
}

# The compact invoices (db/events.lua): what one costs once its event
# has left the stream, and the layout before it, still read and moved.

used_memory() { rcli INFO memory | sed -n 's/^used_memory:\([0-9]*\).*/\1/p'; }

# invoices_piped STREAM N CUSTOMER...: N invoice_create in one pipe, round
# robin over the customers.
invoices_piped() {
	local stream=$1 n=$2
	shift 2
	awk -v s="$stream" -v n="$n" -v c="$*" 'BEGIN { k = split(c, cs, " ")
		for (i = 0; i < n; i++)
			printf "FCALL invoice_create 1 %s caller user1 customer_id %s purchase_price_cents %d purchase_date 2019-01-06\n",
			    s, cs[i % k + 1], i }' | rcli --pipe >"$T/pipe.out"
	grep -q 'errors: 0,' "$T/pipe.out"
}

@test "an invoice costs at most 64 bytes of Redis once its event has left the stream" {
	one=$(fcall customer_create caller user1 account_id 1 name Big | record_id)
	many=()
	for i in $(seq 100); do
		many+=("$(fcall customer_create caller user1 account_id 1 name "m$i" | record_id)")
	done
	for set in "$one" "${many[*]}"; do
		rcli DEL memory-stream >/dev/null
		before=$(used_memory)
		invoices_piped memory-stream 20000 $set
		rcli DEL memory-stream >/dev/null
		after=$(used_memory)
		note "20,000 invoices over $(wc -w <<<"$set") customers: $(((after - before) / 20000)) bytes an invoice"
		# The allowance: the keys of 100 customers' first chunks.
		[ $((after - before)) -le $((64 * 20000 + 65536)) ]
	done
}

@test "invoices kept as before are read, deleted and paged, then moved by setup, answering the same" {
	cid=$(fcall customer_create caller user1 account_id 1 name Upgraded | record_id)
	# 300 invoices as the library before wrote them: a hash each and a
	# sorted set of ids, the price as 'cents', the customer's total.
	for i in $(seq 300); do
		id=$(rcli INCR seq:invoice)
		echo "HSET invoice:$id customer_id $cid purchase_date 2019-01-0$((i % 9 + 1)) cents $i created_date 2026-11-30T12:00:0$((i % 10))Z"
		echo "ZADD customer:$cid:invoices $id $id"
		echo "HINCRBY customer:$cid cents $i"
		echo "HINCRBY account:1 cents $i"
	done | rcli >/dev/null
	old=$(rcli ZRANGE "customer:$cid:invoices" 0 0)
	# And 5 by this library, after the upgrade.
	for i in 1 2 3 4 5; do
		fcall invoice_create caller user1 customer_id "$cid" \
			purchase_price_cents 7 purchase_date 2020-02-29 >/dev/null
	done
	# all_pages: every invoice of the customer, a page of 100 at a time.
	all_pages() {
		local cursor='' out pages=0
		while [ $((pages += 1)) -le 10 ]; do
			out=$(fcall customer_invoices caller user1 id "$cid" limit 100 \
				${cursor:+cursor "$cursor"})
			sed 1d <<<"$out"
			cursor=$(sed -n 1p <<<"$out")
			[ -n "$cursor" ] || break
		done
	}
	all_pages >"$T/before"
	[ "$(grep -c '^id$' "$T/before")" = 305 ]
	sed -n '2~10p' "$T/before" >"$T/ids"
	sort -n -c "$T/ids"
	[ "$(sed -n 1p "$T/ids")" = "$old" ]
	run fcall invoice_get caller user1 id "$old"
	[ "${lines[*]}" = "id $old customer_id $cid purchase_price_cents 1 created_date 2026-11-30T12:00:01Z purchase_date 2019-01-02" ]
	# A delete of one kept as before: its event, and it is gone.
	second=$(sed -n 2p "$T/ids")
	run fcall invoice_delete caller user1 id "$second"
	[ "${lines[0]}" = InvoiceDeleted ]
	payload=$(rcli --raw XRANGE "$STREAM" "${lines[1]}" "${lines[1]}" | sed -n 5p)
	[ "$payload" = "{\"id\":\"$second\",\"customer_id\":\"$cid\",\"purchase_price_cents\":2}" ]
	refused_fcall NOTFOUND invoice_get caller user1 id "$second"
	refused_fcall NOTFOUND invoice_delete caller user1 id "$second"
	all_pages >"$T/before"
	# setup moves them, and every answer stays the same.
	"$BIN_DIR/setup" 2>>"$T/setup.log" 3>&-
	[ "$(rcli EXISTS "customer:$cid:invoices" "invoice:$old")" = 0 ]
	[ "$(rcli HGET "customer:$cid" invoices)" = 304 ]
	all_pages >"$T/after"
	diff "$T/before" "$T/after"
	run fcall invoice_get caller user1 id "$old"
	[ "${lines[*]}" = "id $old customer_id $cid purchase_price_cents 1 created_date 2026-11-30T12:00:01Z purchase_date 2019-01-02" ]
	run fcall invoice_delete caller user1 id "$old"
	[ "${lines[0]}" = InvoiceDeleted ]
	payload=$(rcli --raw XRANGE "$STREAM" "${lines[1]}" "${lines[1]}" | sed -n 5p)
	[ "$payload" = "{\"id\":\"$old\",\"customer_id\":\"$cid\",\"purchase_price_cents\":1}" ]
	refused_fcall NOTFOUND invoice_get caller user1 id "$old"
	# The totals came along: a customer delete takes exactly them away.
	[ "$(rcli HGET "customer:$cid" cents)" = $((300 * 301 / 2 - 3 + 35)) ]
}

# The values at the edges of each kind, and just beyond them.
TEXT_1=x
TEXT_200=$(printf 'a%.0s' $(seq 200))
TEXT_200_2=$(printf 'é%.0s' $(seq 100))
TEXT_200_4=$(printf '😀%.0s' $(seq 50))
TEXT_HIGH=$'\xf4\x8f\xbf\xbf\xc2\xa0~ '	# U+10FFFF, U+00A0 (first after C1), ~, space
USER_63=$(printf 'u%.0s' $(seq 61)).-
ID_MAX=9223372036854775807

@test "every edge value the functions accept is applied by the projector, exactly" {
	rcli HSET "user:$USER_63" password_hash x >/dev/null
	# Ids at the largest the contract allows: the next INCR gives it.
	rcli SET seq:account $((ID_MAX - 1)) >/dev/null
	rcli SET seq:customer $((ID_MAX - 5)) >/dev/null
	rcli SET seq:invoice $((ID_MAX - 5)) >/dev/null
	aid=$(fcall account_create caller "$USER_63" name "$TEXT_200_4" description "$TEXT_HIGH" | record_id)
	[ "$aid" = $ID_MAX ]
	c1=$(fcall customer_create caller "$USER_63" account_id "$aid" name "$TEXT_200" | record_id)
	for n in "$TEXT_1" "$TEXT_200_4" "$TEXT_HIGH"; do
		[ "$(fcall customer_create caller "$USER_63" account_id "$aid" name "$n" | head -1)" = CustomerCreated ]
	done
	c2=$(fcall customer_create caller "$USER_63" account_id "$aid" name "$TEXT_200_2" | record_id)
	[ "$c2" = $ID_MAX ]
	# The largest price, which is also the most a customer or an account
	# may total (the bounds): the next cent is refused, LIMIT.
	for d in 0001-01-01 9999-12-31 2000-02-29 2024-02-29; do
		[ "$(fcall invoice_create caller "$USER_63" customer_id "$c2" purchase_price_cents \
			"$([ $d = 0001-01-01 ] && echo 9007199254740991 || echo 0)" purchase_date "$d" |
			head -1)" = InvoiceCreated ]
	done
	refused_fcall LIMIT invoice_create caller "$USER_63" customer_id "$c2" \
		purchase_price_cents 1 purchase_date 2019-01-06
	i0=$(fcall invoice_create caller "$USER_63" customer_id "$c1" \
		purchase_price_cents 0 purchase_date 2019-01-06 | record_id)
	[ "$i0" = $ID_MAX ]
	[ "$(fcall invoice_delete caller "$USER_63" id "$i0" | head -1)" = InvoiceDeleted ]
	[ "$(fcall customer_delete caller "$USER_63" id "$c1" | head -1)" = CustomerDeleted ]

	ACCOUNTS_DB=$T/edges.db CHECKPOINT_FILE=$T/edges.checkpoint WORKER_STATUS_FILE=$T/edges.status \
		"$BIN_DIR/worker" --rebuild 2>>"$T/worker.log" 3>&-
	[ "$(sql "$T/edges.db" 'SELECT count(*) FROM dead_letters')" = 0 ] ||
		{ sql "$T/edges.db" 'SELECT reason FROM dead_letters' >&2; false; }
	[ "$(sql "$T/edges.db" 'SELECT events_seen FROM projector_state')" = "$(stream_len)" ]
	# Byte for byte, and the largest sums exact.
	q() { sql "$T/edges.db" "$1"; }
	[ "$(q "SELECT owned_by FROM accounts WHERE id = $aid")" = "$USER_63" ]
	[ "$(q "SELECT name FROM accounts WHERE id = $aid")" = "$TEXT_200_4" ]
	[ "$(q "SELECT hex(description) FROM accounts WHERE id = $aid")" = "$(printf '%s' "$TEXT_HIGH" | od -v -An -tx1 | tr -d ' \n' | tr a-f A-F)" ]
	[ "$(q "SELECT name FROM customers WHERE id = $c2")" = "$TEXT_200_2" ]
	[ "$(q "SELECT total_revenue_cents FROM customers WHERE id = $c2")" = 9007199254740991 ]
	[ "$(q "SELECT total_revenue_cents FROM accounts WHERE id = $aid")" = 9007199254740991 ]
	[ "$(q "SELECT count(*) FROM customers WHERE id = $c1")" = 0 ]
	[ "$(q "SELECT hex(name) FROM customers WHERE account_id = $aid AND id < $c2 ORDER BY id")" = \
	    "$(for n in "$TEXT_1" "$TEXT_200_4" "$TEXT_HIGH"; do printf '%s' "$n" | od -v -An -tx1 | tr -d ' \n' | tr a-f A-F; echo; done)" ]
}

@test "the values just beyond each edge are refused by the functions, nothing appended" {
	cid=$(fcall customer_create caller user1 account_id 1 name Edge | record_id)
	for n in '' "${TEXT_200}a" $'a\x01' $'a\x7f' $'\xc2\x85' $'\xc0\xaf' $'\xed\xa0\x80' \
	    $'\xf4\x90\x80\x80' $'\xe2\x82' $'line\nbreak'; do
		refused_fcall INVALID customer_create caller user1 account_id 1 name "$n"
	done
	for id in 0 07 -1 1e3 ' 1' 9223372036854775808 99999999999999999999; do
		refused_fcall INVALID customer_create caller user1 account_id "$id" name x
		refused_fcall INVALID invoice_delete caller user1 id "$id"
	done
	for cents in -1 9007199254740992 9999999999999999 1.5 007 '' 1e3; do
		refused_fcall INVALID invoice_create caller user1 customer_id "$cid" \
			purchase_price_cents "$cents" purchase_date 2019-01-06
	done
	for d in 2019-02-29 1900-02-29 0000-01-01 2019-13-01 2019-04-31 2019-1-6 2019-01-06T00:00:00Z; do
		refused_fcall INVALID invoice_create caller user1 customer_id "$cid" \
			purchase_price_cents 1 purchase_date "$d"
	done
	for u in "${USER_63}x" 'a/b' '' 'ü'; do
		refused_fcall INVALID account_create caller "$u" name x description y
	done
}

# Retention (db/retention.lua), on a stream of its own: entries of ancient
# ids, so that only the positions hold them.

# as ROLE ARG...: redis-cli as that role.
as_role() {
	local role=$1
	shift
	REDISCLI_AUTH=$(cat "$VAR_DIR/redis-$role.pass") redis-cli -p "$REDIS_PORT" \
		--user "$role" --raw "$@"
}

# trim: the removed count and the mark, on one line.
trim() { rcli --raw FCALL stream_trim 1 trim-test | head -2 | paste -sd' '; }
report() { rcli --raw FCALL consumer_report 1 trim-test "$@"; }

@test "setup stores the retention settings where the trim reads them" {
	STREAM_RETAIN_SECONDS=0 CONSUMER_TIMEOUT=10 ARCHIVE_COPIES='a b' \
		"$BIN_DIR/setup" 2>>"$T/setup.log" 3>&-
	[ "$(rcli --raw HMGET config:retention retain_seconds consumer_timeout archives | paste -sd,)" = '0,10,a b' ]
	run env ARCHIVE_COPIES='a b/c' "$BIN_DIR/setup"
	[ "$status" != 0 ]
	[[ $output == *"ARCHIVE_COPIES=a b/c"* ]]
}

@test "stream_trim removes only what every archive copy and every worker heard from holds" {
	rcli HSET config:retention retain_seconds 0 consumer_timeout 10 archives 'a b' >/dev/null
	for ms in 1 2; do for s in 1 2 3 4 5; do
		rcli XADD trim-test "$ms-$s" EventTypeName T Payload '{}' >/dev/null
	done; done
	# No copy has reported: nothing goes, and the answer says why.
	[ "$(rcli --raw FCALL stream_trim 1 trim-test | paste -sd,)" = '0,0-0,archive a has not reported' ]
	[ "$(report archive a 2-3)" = 0-0 ]
	[ "$(trim)" = '0 0-0' ]
	# Both copies: up to the lower of the two.
	report archive b 1-4 >/dev/null
	[ "$(trim)" = '4 1-4' ]
	[ "$(rcli XLEN trim-test)" = 6 ]
	[ "$(rcli GET retention:trimmed)" = 1-4 ]
	[ "$(trim)" = '0 1-4' ]
	# A worker that reports holds it back, a silent one no longer does.
	report archive b 2-5 >/dev/null
	[ "$(report worker w1 1-5)" = 1-4 ]
	[ "$(trim)" = '1 1-5' ]
	rcli HSET retention:workers w1 '1-5 1000' >/dev/null
	[ "$(trim)" = '3 2-3' ]
	[ "$(rcli --raw XRANGE trim-test - + | grep -c '^2-')" = 2 ]
	# An entry younger than retain_seconds stays, whoever has it.
	rcli HSET config:retention retain_seconds 3600 >/dev/null
	rcli XADD trim-test '*' EventTypeName T Payload '{}' >/dev/null
	report archive a 99999999999999-0 >/dev/null
	report archive b 99999999999999-0 >/dev/null
	[ "$(trim)" = '2 2-5' ]
	[ "$(rcli XLEN trim-test)" = 1 ]
}

@test "stream_trim works in bounded steps" {
	rcli HSET config:retention retain_seconds 0 archives a >/dev/null
	rcli DEL retention:workers >/dev/null
	for i in $(seq 2500); do echo "XADD trim-steps 3-$i EventTypeName T Payload {}"; done |
		rcli >/dev/null
	report archive a 3-2500 >/dev/null
	steps() { rcli --raw FCALL stream_trim 1 trim-steps | head -2 | paste -sd' '; }
	# The mark moves first, to the last entry that may go.
	[ "$(steps)" = '1000 3-2500' ]
	[ "$(steps)" = '1000 3-2500' ]
	[ "$(steps)" = '500 3-2500' ]
	[ "$(steps)" = '0 3-2500' ]
	[ "$(rcli XLEN trim-steps)" = 0 ]
}

@test "only the archiver's role trims; a worker reports as a worker only; names are bounded" {
	# Redis refuses a Function's command the caller's role lacks.
	run as_role worker FCALL stream_trim 1 event-stream
	[[ $output == *"can't run this command"* ]]
	run as_role worker FCALL consumer_report 1 event-stream archive x 1-1
	[[ $output == *"can't access"* ]]
	[ "$(rcli HEXISTS retention:archives x)" = 0 ]
	run as_role worker FCALL consumer_report 1 event-stream worker x 1-1
	[ "$status" = 0 ]
	[[ $output =~ ^[0-9]+-[0-9]+$ ]]
	run as_role customers FCALL consumer_report 1 event-stream worker y 1-1
	[[ $output == *"can't"* ]]
	run as_role archiver FCALL stream_trim 1 event-stream
	[ "$status" = 0 ]
	[[ $output != *ERR* ]]
	for bad in 'a b' '' "$(printf 'n%.0s' $(seq 49))"; do
		run report worker "$bad" 1-1
		[[ $output == INVALID* ]]
	done
	[[ $(report worker ok 1) == INVALID* ]]
	rcli DEL retention:workers >/dev/null
	for i in $(seq 64); do echo "FCALL consumer_report 1 trim-test worker w$i 1-1"; done |
		rcli >/dev/null
	[ "$(report worker w64 2-2)" != '' ]
	[[ $(report worker w65 1-1) == INVALID*"at most 64"* ]]
}

