#!/usr/bin/env bats
# Log rotation (scripts/rotate-logs, deploy/logrotate/microsvc.in) while
# requests keep coming: every request's line is in one of the files.

load fixtures

setup_file() {
	# A folder with a space and sed's & in its path: rotate-logs puts it
	# in a config and a script.
	STACK_VAR="logs & more/var" stack_start
}

teardown_file() {
	stack_stop
}

@test "the logs rotate three times under load, and no access log line is lost" {
	command -v logrotate >/dev/null || skip "logrotate is not installed"
	n=600
	( for i in $(seq "$n"); do curl -s -o /dev/null "$A/status?n=$i"; done ) 3>&- &
	loader=$!
	for r in 1 2 3; do
		sleep 0.3
		"$ROOT/scripts/rotate-logs" --force
	done
	wait "$loader"
	ls "$VAR_DIR"/access.log.1
	# lighttpd buffers its access log; a reopen (SIGHUP, the same name)
	# writes out what it holds.
	kill -HUP "$(cat "$VAR_DIR/lighttpd.pid")"
	for i in $(seq 100); do
		zcat -f "$VAR_DIR"/access.log* | grep -o 'GET /status?n=[0-9]*' | sort >"$T/seen"
		[ "$(wc -l <"$T/seen")" -ge "$n" ] && break
		sleep 0.1
	done
	note "rotated 3 times under $n requests: $(wc -l <"$T/seen") lines," \
		"in $(ls "$VAR_DIR"/access.log* | wc -l) files"
	[ "$(wc -l <"$T/seen")" = "$n" ]
	[ "$(sort -u "$T/seen" | wc -l)" = "$n" ]
	# Redis's log rotates too: it opens its file anew for every line.
	ls "$VAR_DIR"/redis.log.1
}

@test "rotate-logs through a link of root's to the folder: logrotate still runs as the folder's owner, not root" {
	command -v logrotate >/dev/null || skip "logrotate is not installed"
	[ "$(id -u)" = 0 ] || skip "needs root"
	ln -s "$VAR_DIR" "$T/link"
	rm -f "$VAR_DIR/logrotate.state"
	VAR_DIR=$T/link "$ROOT/scripts/rotate-logs" --force
	[ "$(stat -c %U "$VAR_DIR/logrotate.state")" = "$(stat -c %U "$VAR_DIR")" ]
	[ "$(stat -c %U "$VAR_DIR")" != root ]
}
