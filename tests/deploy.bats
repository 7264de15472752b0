#!/usr/bin/env bats
# Packaging and the spawn-fcgi shape: `make install`, the programs'
# --help/--version, and lighttpd forwarding to FastCGI programs that
# spawn-fcgi started (as the systemd units in deploy/ do).

load fixtures

setup_file() {
	stack_start
	export TOKEN=$(login user1 password1)
}

teardown_file() {
	for f in "$T"/spawn/*.pid; do stop_pidfile "$f"; done
	stack_stop
}

@test "make install puts programs, configs and systemd units under PREFIX" {
	make -s -C "$ROOT" install BUILD="${BIN_DIR%/bin}" SANITIZE=1 PREFIX="$T/prefix" >/dev/null
	for f in bin/microsvc-worker bin/microsvc-archiver bin/microsvc-setup libexec/microsvc/customers.fcgi \
	    libexec/microsvc/accounts.fcgi share/microsvc/lighttpd-spawn.conf \
	    share/microsvc/events.lua share/microsvc/systemd/microsvc.env \
	    share/microsvc/microsvc.nft; do
		[ -e "$T/prefix/$f" ] || { echo "missing $f" >&2; false; }
	done
	for u in redis setup worker archiver customers customers-read accounts login lighttpd; do
		unit=$T/prefix/share/microsvc/systemd/microsvc-$u.service
		[ -f "$unit" ]
		! grep -q @PREFIX@ "$unit"
		# every program a unit starts exists
		for prog in $(sed -n 's/^ExecStart\(Pre\)\?=//p' "$unit" | tr ' ' '\n' | grep "^$T/prefix"); do
			[ -e "$prog" ] || { echo "$unit starts missing $prog" >&2; false; }
		done
	done
	# The environment file names the PREFIX it was installed under.
	grep -q "^DEPLOY_DIR=$T/prefix/share/microsvc\$" "$T/prefix/share/microsvc/systemd/microsvc.env"
	# The logrotate rules for the units: filled in, and read by logrotate.
	rules=$T/prefix/share/microsvc/logrotate
	! grep -q '@[A-Z_]*@' "$rules"
	grep -q '^"/var/log/microsvc/access.log"' "$rules"
	if id -u microsvc >/dev/null 2>&1 && command -v logrotate >/dev/null; then
		logrotate -d "$rules" 2>&1 | grep -q 'rotating pattern: "/var/log/microsvc/access.log"'
	fi
}

@test "setup started before its Redis (a boot under systemd) waits for it, then does its work" {
	port=$(free_port)
	# By TCP, to this Redis, not the file's stack's socket.
	REDIS_SOCKET= REDIS_PORT=$port "$BIN_DIR/setup" >"$T/early-setup.log" 2>&1 3>&- &
	setup=$!
	sleep 1
	kill -0 "$setup"	# still waiting, not failed
	redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no \
		--aclfile "$VAR_DIR/redis-users.acl" --dir "$T" >/dev/null 3>&- &
	echo $! >"$T/early-redis.pid"
	wait "$setup"
	REDIS_SOCKET= REDIS_HOST=127.0.0.1 REDIS_PORT=$port run rcli FUNCTION LIST LIBRARYNAME events
	stop_pidfile "$T/early-redis.pid"
	[[ $output == *invoice_create* ]]
}

@test "every program answers --version and --help, and refuses unknown options" {
	for p in customers.fcgi accounts.fcgi worker archiver setup; do
		run "$BIN_DIR/$p" --version
		[ "$status" = 0 ]
		[[ $output == "$p "[0-9]* ]]
		run "$BIN_DIR/$p" --help
		[ "$status" = 0 ]
		[[ $output == usage:* ]]
		[[ $output == *REDIS_HOST* ]]
		run "$BIN_DIR/$p" --bogus
		[ "$status" = 1 ]
	done
}

@test "spawn-fcgi runs the programs and a forwarding-only lighttpd serves the seed's flow" {
	mkdir -p "$T/spawn"
	chmod 711 "$T/spawn"
	user=() run_user=$(id -un)
	if [ "$(id -u)" = 0 ]; then
		run_user=microsvc
		user=(-u microsvc -g microsvc)
	fi
	# login: accounts.fcgi again, for POST /auth/login alone;
	# customers-read: customers.fcgi again, for the reads.
	for svc in customers customers-read accounts login; do
		prog=${svc%-read}
		[ "$svc" != login ] || prog=accounts
		pool=
		[ "$svc" != customers-read ] || pool=read
		FCGI_POOL=$pool spawn-fcgi "${user[@]}" -s "$T/spawn/$svc.sock" -M 0660 -P "$T/spawn/$svc.pid" \
			-- "$BIN_DIR/$prog.fcgi" >/dev/null 2>>"$T/run.log" 3>&-
	done
	# lighttpd opens its access log as RUN_USER, as under LogsDirectory=.
	mkdir -p "$T/spawn/log"
	chown "$run_user:" "$T/spawn/log"
	export CP=$(free_port) AP=$(free_port)
	env CUSTOMERS_PORT="$CP" ACCOUNTS_PORT="$AP" BIND_ADDR=127.0.0.1 STATE_DIR="$T/spawn" LOG_DIR="$T/spawn/log" \
		CUSTOMERS_FCGI="$T/spawn/customers.sock" CUSTOMERS_READ_FCGI="$T/spawn/customers-read.sock" \
		ACCOUNTS_FCGI="$T/spawn/accounts.sock" \
		LOGIN_FCGI="$T/spawn/login.sock" DEPLOY_DIR="$ROOT/deploy" \
		RUN_USER="$run_user" RUN_GROUP="$(id -gn "$run_user")" \
		lighttpd -D -f "$ROOT/deploy/lighttpd-spawn.conf" >>"$T/run.log" 2>&1 3>&- &
	echo $! >"$T/spawn/lighttpd.pid"
	for i in $(seq 100); do
		curl -s -o /dev/null "http://127.0.0.1:$AP/status" && break
		sleep 0.05
	done
	[ "$(id -u)" != 0 ] || [ "$(ps -o user= -p "$(cat "$T/spawn/customers.pid")")" = microsvc ]
	A=http://127.0.0.1:$AP C=http://127.0.0.1:$CP
	TOKEN=$(login user1 password1)
	[ -n "$TOKEN" ]
	[ "$TOKEN" != null ]
	req POST "$C/customers" '{"name":"Spawned","account_id":"1"}'
	[ "$code" = 201 ]
	cid=$(jq -r .id <<<"$body")
	req POST "$C/invoices" "{\"customer_id\":\"$cid\",\"purchase_date\":\"2019-01-06\",\"purchase_price_cents\":4200}"
	[ "$code" = 201 ]
	eid=$(jq -r .event_id <<<"$body")
	tok=$TOKEN
	body=$(curl -sf "http://127.0.0.1:$AP/accounts/1?after=$eid" -H "Authorization: Bearer $tok")
	[ "$(jq -r --arg c "$cid" '.customers[] | select(.customer_id == $c) | .total_revenue_cents' <<<"$body")" = 4200 ]
	# The access log, where logrotate (share/microsvc/logrotate) finds it.
	kill -HUP "$(cat "$T/spawn/lighttpd.pid")"
	for i in $(seq 50); do grep -q 'POST /customers' "$T/spawn/log/access.log" 2>/dev/null && break; sleep 0.1; done
	grep -q 'POST /customers' "$T/spawn/log/access.log"
}
