#!/bin/bash
# The shape the tree promises, checked (make check):
#   - no function in lib/, cgi/, worker/, archiver/, tools/ or db/ is
#     over 60 lines;
#   - the worker, the archiver and setup link no FastCGI and no JWT, and
#     carry no HTTP code: they stand on lib/core (and db/ or lib/archive/)
#     alone; the archiver links no SQLite either.
# usage: check-shape.sh BIN_DIR
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:?usage: check-shape.sh BIN_DIR}
MAX_LINES=${MAX_LINES:-60}
fail=0

# style(9): a function's body opens with "{" in column 0 and closes with
# "}" in column 0; its name is the last line before it that starts one.
long=$(awk -v max="$MAX_LINES" '
	/^[a-z_][a-z0-9_]*\(/ { name = $0; sub(/\(.*/, "", name) }
	/^\{/ { start = FNR }
	/^\}/ && start { if (FNR - start + 1 > max) printf "%s:%d: %s is %d lines\n", FILENAME, start, name, FNR - start + 1; start = 0 }
	' lib/*/*.c cgi/*/*.c worker/*.c archiver/*.c tools/*.c db/*.c)
if [ -n "$long" ]; then
	echo "functions over $MAX_LINES lines:" >&2
	echo "$long" >&2
	fail=1
fi

for prog in worker archiver setup; do
	[ -x "$BIN/$prog" ] || { echo "$BIN/$prog: not built" >&2; fail=1; continue; }
	if readelf -d "$BIN/$prog" | grep -E 'NEEDED.*(libfcgi|libjwt)' >&2; then
		echo "$prog links a library of the HTTP layer" >&2
		fail=1
	fi
	if nm "$BIN/$prog" | grep -E ' [TtDdBbRr] (http_|route_|fcgi_|token_|metrics_|service_)' >&2; then
		echo "$prog carries code of the HTTP layer" >&2
		fail=1
	fi
done
if [ -x "$BIN/archiver" ] && readelf -d "$BIN/archiver" | grep -E 'NEEDED.*libsqlite' >&2; then
	echo "archiver links SQLite" >&2
	fail=1
fi
exit "$fail"
