#!/usr/bin/env bats
# The dashboard at / on the accounts port, driven in Debian's headless
# Chromium (playwright-core from npm, no downloaded browser).  The
# screenshot is kept as build/test-artifacts/dashboard.png.

load fixtures

setup_file() {
	[ -x /usr/bin/chromium ] || skip "Debian's chromium is not installed (apt-get install chromium)"
	command -v node >/dev/null || skip "node is needed to drive the browser"
	if [ ! -d "$ROOT/tests/dashboard/node_modules" ]; then
		npm ci --prefix "$ROOT/tests/dashboard" --no-audit --no-fund --silent 3>&-
	fi
	stack_start
}

teardown_file() {
	stack_stop
}

@test "the page and its files are served by lighttpd on the accounts port" {
	run curl -s -D "$T/headers" "$A/"
	grep -qi '^Content-Type: text/html' "$T/headers"
	[[ $output == *'<form id="login">'* ]]
	for f in app.js app.css; do
		[ "$(curl -s -o /dev/null -w '%{http_code}' "$A/$f")" = 200 ]
	done
	# the API is untouched
	req GET "$A/accounts" "" ""
	[ "$code" = 401 ]
}

@test "in Chromium: log in, add a customer, see a real invoice's revenue appear by itself, and an account longer than a page whole" {
	mkdir -p "$ROOT/build/test-artifacts"
	run node "$ROOT/tests/dashboard/drive.mjs" "$A" "$C" "$ROOT/build/test-artifacts/dashboard.png"
	echo "$output"
	[ "$status" = 0 ]
	[[ $output == "dashboard ok:"* ]]
	note "$output"
	[ -s "$ROOT/build/test-artifacts/dashboard.png" ]
}
