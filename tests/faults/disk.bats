#!/usr/bin/env bats
# Fault 5: disk trouble under the read model, on a small tmpfs of its own.
# Read-only, then full: the worker stops applying, says why in /status
# and its log, keeps its checkpoint, applies no partial batch, and
# resumes by itself when the cause is gone.

load faults

setup_file() {
	export DISK=$(mktemp -d "${TMPDIR:-/tmp}/es-disk.XXXXXX")
	if ! mount -t tmpfs -o size=2m tmpfs "$DISK" 2>/dev/null; then
		rmdir "$DISK"
		export NO_MOUNT=1
		return 0
	fi
	# For every program, the worker started here included.
	export ACCOUNTS_DB=$DISK/accounts.db DB=$DISK/accounts.db
	stack_start RUN_WORKER=0
	export TOKEN=$(login user1 password1)
	export CID=$(new_customer "Disk")
	worker_start
	db_caught_up
}

teardown_file() {
	[ -n "${NO_MOUNT:-}" ] && return 0
	mount -o remount,rw "$DISK" 2>/dev/null || true
	stack_stop
	umount "$DISK" && rmdir "$DISK"
}

setup() {
	[ -z "${NO_MOUNT:-}" ] || skip "cannot mount a tmpfs here (needs root); disk faults not tested"
}

# Read without the -shm file, which a read-only disk lacks.
RO="file:$DB?immutable=1"
# worker_says TEXT: waits until /status reports that worker state.
worker_says() {
	local i
	for i in $(seq 100); do
		req GET "$A/status"
		[[ $(jq -r .worker <<<"$body") == *"$1"* ]] && return 0
		sleep 0.1
	done
	echo "worker state: $body" >&2
	return 1
}
# trouble_seen REVENUE LAST DB: the worker is alive, has applied nothing,
# and kept its checkpoint.
trouble_seen() {
	sleep 1.5
	kill -0 "$(cat "$T/worker.pid")"
	[ "$(revenue_db "$CID" "$3")" = "$1" ]
	[ "$(db_last "$3")" = "$2" ]
	[ "$(cat "$VAR_DIR/worker.checkpoint")" = "$2" ]
}

@test "read-only read model: the worker waits, says why, resumes when writable" {
	# The accounts service has not opened the file yet: nothing holds it
	# open once the worker stops, so the tmpfs can be made read-only.
	new_invoice "$CID" 100
	db_caught_up
	worker_stop
	before=$(revenue_db "$CID")
	last=$(db_last)
	mount -o remount,ro "$DISK"
	worker_start
	for i in 1 2 3 4 5; do new_invoice "$CID" 10; done
	worker_says "read model:"
	note "read-only: /status worker = $(jq -c .worker <<<"$body")"
	grep -q -i 'readonly\|read-only\|unable to open' "$T/worker.log"
	trouble_seen "$before" "$last" "$RO"
	mount -o remount,rw "$DISK"
	db_caught_up "$DB" 15
	[ "$(revenue_db "$CID")" = $((before + 50)) ]
	checkpoint_is "$(stream_last)"
	worker_says ok
}

@test "full disk under the read model: no partial batch, error in /status, resumes when space is back" {
	before=$(revenue_db "$CID")
	last=$(db_last)
	# Fill the tmpfs; the write fails with ENOSPC once it is full.
	dd if=/dev/zero of="$DISK/filler" bs=64k 2>/dev/null || true
	# Enough events that the next batch needs new pages.
	for i in $(seq 40); do new_invoice "$CID" 1; done
	worker_says "disk is full"
	note "disk full: /status worker = $(jq -c .worker <<<"$body")"
	grep -q 'full' "$T/worker.log"
	trouble_seen "$before" "$last" "$DB"
	rm "$DISK/filler"
	db_caught_up "$DB" 15
	[ "$(revenue_db "$CID")" = $((before + 40)) ]
	checkpoint_is "$(stream_last)"
	worker_says ok
}
