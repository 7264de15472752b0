# What scripts/backup and scripts/restore share: where the data is (the
# same variables as the programs, so make run's VAR_DIR and the systemd
# units' /var/lib/microsvc alike), the names of the archive's segments,
# fsync, and a Redis of their own on a private socket, which loads an
# RDB file and nothing else.
# shellcheck shell=bash

VAR_DIR=${VAR_DIR:-$ROOT/var}
case $VAR_DIR in /*) ;; *) VAR_DIR=$PWD/$VAR_DIR ;; esac
ARCHIVE_DIR=${ARCHIVE_DIR:-$VAR_DIR/archive}
ACCOUNTS_DB=${ACCOUNTS_DB:-$VAR_DIR/accounts.db}
REDIS_AUTH_DIR=${REDIS_AUTH_DIR:-$VAR_DIR}
JWT_SECRET_FILE=${JWT_SECRET_FILE:-$VAR_DIR/jwt.secret}
STREAM_KEY=${STREAM_KEY:-event-stream}

# The manifest's format; a restore refuses another.
export MANIFEST_FORMAT=1

# A segment's name: its first and last ids, each two 20-digit numbers
# (docs/archive.md); anything else in the folder (writing.part) is not
# part of the archive.
export SEGMENT_RE='^[0-9]{20}-[0-9]{20}_[0-9]{20}-[0-9]{20}\.seg$'

die() { printf '%s: %s\n' "$PROG" "$*" >&2; exit 1; }
say() { printf '%s: %s\n' "$PROG" "$*" >&2; }

# id_key ID: the id as 41 characters that sort as the ids do, the way
# segment names write them ("1-2" -> 00000000000000000001-00000000000000000002).
id_key() { printf '%020d-%020d' "${1%-*}" "${1#*-}"; }

# id_plain KEY: id_key's form back to an id (00...01-00...02 -> 1-2).
id_plain() {
	local k=$1
	echo "$((10#${k%-*}))-$((10#${k#*-}))"
}

# segment_last NAME: a segment's last id, in id_key's form.
segment_last() { local n=${1%.seg}; echo "${n#*_}"; }

# durable PATH...: fsync each file, then each one's folder: a backup or a
# restore that said it was done survives a power cut.
durable() {
	[ "$#" -gt 0 ] || return 0
	sync -- "$@"
	local d
	for d in $(printf '%s\n' "$@" | xargs -d '\n' -n1 dirname | sort -u); do
		sync -- "$d"
	done
}

OWN_PID=
# redis_own_start DIR FILE [AS_USER]: a redis-server on DIR/FILE, on a
# socket in a private folder, no port, no AOF, no save: it only loads
# the file.  Sets OWN_SOCK, OWN_PID, OWN_TMP (which holds its password as
# redis-admin.pass) and OWN_RUN (what runs a program as AS_USER); waits
# until it answers (LOADING lasts as long as the file takes to load).
# Redis's own errors go to OWN_LOG.
redis_own_start() {
	local dir=$1 file=$2 user=${3:-} answer
	OWN_TMP=$(mktemp -d "${TMPDIR:-/tmp}/microsvc-$PROG.XXXXXX")
	OWN_SOCK=$OWN_TMP/redis.sock OWN_LOG=$OWN_TMP/redis.log
	# A password of its own, in a file (not on a command line, which
	# every local user can read), as the admin role's: the programs run
	# on it (archiver --restore-until) find it with REDIS_AUTH_DIR.
	REDISCLI_AUTH=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
	export REDISCLI_AUTH
	echo "requirepass $REDISCLI_AUTH" >"$OWN_TMP/redis.conf"
	printf '%s' "$REDISCLI_AUTH" >"$OWN_TMP/redis-admin.pass"
	OWN_RUN=()
	if [ -n "$user" ]; then
		chown -R "$user:" "$OWN_TMP"
		OWN_RUN=(setpriv --reuid="$user" --regid="$(id -g "$user")" --init-groups --)
	fi
	"${OWN_RUN[@]}" redis-server "$OWN_TMP/redis.conf" --port 0 --unixsocket "$OWN_SOCK" --unixsocketperm 700 \
		--dir "$dir" --dbfilename "$file" --appendonly no --save "" \
		--daemonize no --logfile "$OWN_LOG" &
	OWN_PID=$!
	while :; do
		answer=$(own_cli ping 2>/dev/null || true)
		[ "$answer" = PONG ] && return 0
		kill -0 "$OWN_PID" 2>/dev/null ||
			die "redis-server could not load $dir/$file: $(tail -1 "$OWN_LOG" 2>/dev/null)"
		sleep 0.05
	done
}
own_cli() { redis-cli -s "$OWN_SOCK" "$@"; }
redis_own_stop() {
	[ -n "$OWN_PID" ] || return 0
	own_cli shutdown nosave >/dev/null 2>&1 || kill "$OWN_PID" 2>/dev/null || true
	wait "$OWN_PID" 2>/dev/null || true
	OWN_PID=
	rm -rf "$OWN_TMP"
}

# stream_facts: what the loaded copy holds, one "key value" a line: its
# last event (the stream's last entry, or the trimmed mark when the
# stream was trimmed whole), the stream's length, and the trimmed mark
# (0-0: nothing was ever trimmed).
stream_facts() {
	local last mark
	last=$(own_cli --raw XREVRANGE "$STREAM_KEY" + - COUNT 1 | head -1)
	mark=$(own_cli --raw GET retention:trimmed)
	echo "stream_last_id ${last:-${mark:-0-0}}"
	echo "stream_length $(own_cli XLEN "$STREAM_KEY")"
	echo "trimmed ${mark:-0-0}"
}
