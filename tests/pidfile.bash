# stop_pidfile FILE [TENTHS]: SIGTERM to the process in a pid file;
# waits up to TENTHS tenths of a second for it (100: ten seconds), then
# SIGKILL; the file goes.  Its own file, so that tests/package.bats,
# which cannot load the fixtures (it defines its own stack for the
# chroot), stops its booted root the same way.
stop_pidfile() {
	[ -f "$1" ] || return 0
	local pid i
	pid=$(cat "$1")
	kill -TERM "$pid" 2>/dev/null || true
	for i in $(seq "${2:-100}"); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	! kill -0 "$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
	rm -f "$1"
}
