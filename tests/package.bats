#!/usr/bin/env bats
# The Debian package (make deb, docs/package.md) in a Debian 12 root:
# installed, run, upgraded and purged.
#
# The root is made by mmdebstrap (--variant=apt) from this machine's apt
# sources, with the package's Depends and systemd installed by apt, and
# cached as a tarball in /var/cache/microsvc-test/ (MICROSVC_TEST_CACHE),
# keyed by the day and that list: the first run of a day makes it (about
# a minute), the others unpack it.
#
# The services run twice.  In a chroot, without systemd: each installed
# unit's ExecStartPre= and ExecStart= lines, run as its User= and Group=
# (setpriv), with its EnvironmentFile=, in the units' order, after making
# the folders its RuntimeDirectory=, StateDirectory= and LogsDirectory=
# would make (units.sh below), in a PID, mount and network namespace of
# their own, so that their ports (8080, 8090) meet no other test's.  Then
# under systemd itself: systemd-nspawn boots the root (on a throwaway
# overlay, with a network of its own), and the units start as installed,
# hardening and all.

ROOT=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
load pidfile
CACHE=${MICROSVC_TEST_CACHE:-/var/cache/microsvc-test}
A=http://127.0.0.1:8090
C=http://127.0.0.1:8080

setup_file() {
	export PKG_SKIP=""
	if [ "$(id -u)" != 0 ]; then
		PKG_SKIP="needs root (a chroot, dpkg inside it, namespaces)"
		return 0
	fi
	local c
	for c in mmdebstrap dpkg-buildpackage dh lintian systemd-analyze unshare nsenter chroot \
	    ip curl jq; do
		if ! command -v "$c" >/dev/null; then
			PKG_SKIP="needs $c (scripts/deps.sh installs it)"
			return 0
		fi
	done
	if ! unshare --fork --pid --net --mount true 2>/dev/null; then
		PKG_SKIP="cannot make PID, mount and network namespaces here (unshare failed)"
		return 0
	fi
	export W
	W=$(mktemp -d "${TMPDIR:-/tmp}/microsvc-pkg.XXXXXX")
	export R=$W/root

	# The package, then 0.1.0-2: the same tree and build, one more entry
	# in the changelog (-nc: make finds the programs up to date).
	make -s -C "$ROOT" deb >"$W/deb.log" 2>&1 || { cat "$W/deb.log" >&2; return 1; }
	export DEB1 DEB2
	DEB1=$(ls "$ROOT"/build/deb/microsvc_0.1.0-1_*.deb)
	cp -a "$ROOT/build/deb/src" "$W/src2"
	(
		cd "$W/src2"
		rm -rf debian/microsvc debian/.debhelper debian/files debian/*.substvars \
			debian/*.debhelper.log debian/debhelper-build-stamp
		maint=$(sed -n 's/^Maintainer: //p' debian/control)
		{
			printf 'microsvc (0.1.0-2) bookworm; urgency=medium\n\n'
			printf '  * Rebuilt by tests/package.bats, to test the upgrade.\n\n'
			printf ' -- %s  %s\n\n' "$maint" "$(date -R)"
			cat debian/changelog
		} >debian/changelog.new
		mv debian/changelog.new debian/changelog
		dpkg-buildpackage -us -uc -b -nc
	) >"$W/deb2.log" 2>&1 || { cat "$W/deb2.log" >&2; return 1; }
	DEB2=$(ls "$W"/microsvc_0.1.0-2_*.deb)

	root_unpack
}

teardown_file() {
	[ -n "${W:-}" ] || return 0
	stack_stop
	boot_stop
	rm -rf --one-file-system "$W"
}

setup() {
	[ -z "$PKG_SKIP" ] || skip "$PKG_SKIP"
}

# The cached root with the Depends of the package, unpacked into $R.
root_unpack() {
	local deps key tarball sources=()
	# The Depends, and systemd, for the test that boots the root.
	deps=$(dpkg-deb -f "$DEB1" Depends |
		sed -e 's/([^)]*)//g' -e 's/|[^,]*//g' -e 's/,/ /g' | xargs)
	deps="$deps systemd"
	key=$(date +%Y%m%d)-$(printf '%s' "$deps" | sha256sum | cut -c1-12)
	tarball=$CACHE/bookworm-$key.tar
	if [ ! -f "$tarball" ]; then
		mkdir -p "$CACHE"
		# Other days' and lists' roots go; a run beside this one makes
		# its own temporary file.
		rm -f "$CACHE"/bookworm-*.tar
		# This machine's sources (deb822 or one-line); mmdebstrap's
		# default mirror when it has neither.
		if [ -f /etc/apt/sources.list.d/debian.sources ]; then
			sources=(/etc/apt/sources.list.d/debian.sources)
		elif [ -s /etc/apt/sources.list ]; then
			sources=(/etc/apt/sources.list)
		fi
		mmdebstrap --quiet --variant=apt --format=tar \
			--include="$(tr ' ' , <<<"$deps")" \
			bookworm "$tarball.$$.tmp" "${sources[@]}" >"$W/mmdebstrap.log" 2>&1 ||
			{ cat "$W/mmdebstrap.log" >&2; rm -f "$tarball.$$.tmp"; return 1; }
		mv "$tarball.$$.tmp" "$tarball"
	fi
	mkdir "$R"
	tar -C "$R" -xf "$tarball"
}

# inroot CMD...: CMD in the root, with a clean environment and /proc.
inroot() {
	unshare --mount --propagation private -- sh -c '
		mount -t proc proc "$0/proc" &&
		exec chroot "$0" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
			LC_ALL=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"' "$R" "$@"
}

# listing: every path of the root with its owner and mode, but dpkg's
# and apt's own records, logs and caches, /tmp, and adduser's lock file
# (/run/adduser: adduser's own, which a boot clears with /run).
listing() {
	(cd "$R" && find . -xdev \( -path ./proc -o -path ./tmp -o -path ./var/lib/dpkg \
		-o -path ./run/adduser \
		-o -path ./var/lib/apt -o -path ./var/cache/apt -o -path ./var/cache/debconf \
		-o -path ./var/log/dpkg.log -o -path ./var/log/apt \
		-o -path ./var/log/alternatives.log \) -prune -o -printf '%p %U:%G %m\n' | sort)
}

# The runner of the units, inside the root (pid 1 of its namespace).
units_sh() {
	cat <<'EOF'
set -eu
# What systemd makes for the units (RuntimeDirectory=, StateDirectory=
# with StateDirectoryMode=0700, LogsDirectory= with LogsDirectoryMode=0750).
install -d -o microsvc -g microsvc -m 0755 /run/microsvc
install -d -o microsvc -g microsvc -m 0700 /var/lib/microsvc /var/lib/microsvc/redis
install -d -o microsvc -g microsvc -m 0750 /var/log/microsvc
key() { sed -n "s/^$2=//p" "/lib/systemd/system/microsvc-$1.service"; }
# run UNIT LINE: a command line of the unit, as its user, in its environment.
run() {
	setpriv --reuid="$(key "$1" User)" --regid="$(key "$1" Group)" --init-groups -- \
		env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
		sh -c 'set -a; . "$0"; set +a; eval "exec $1"' "$(key "$1" EnvironmentFile)" "$2"
}
for u in redis setup worker archiver customers customers-read accounts login lighttpd; do
	pre=$(key $u ExecStartPre)
	[ -z "$pre" ] || run $u "$pre"
	if [ "$(key $u Type)" = oneshot ]; then
		run $u "$(key $u ExecStart)"
	else
		run $u "$(key $u ExecStart)" &
	fi
	echo "units.sh: started $u"
done
echo "units.sh: all started"
wait
EOF
}

# stack_start: the units, in their namespaces; NSPID is the first
# process, as this host sees it.
stack_start() {
	units_sh >"$R/tmp/units.sh"
	unshare --fork --pid --net --mount --propagation private -- sh -c '
		mount -t proc proc "$0/proc" &&
		exec chroot "$0" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
			LC_ALL=C.UTF-8 /bin/sh /tmp/units.sh' "$R" >"$W/stack.log" 2>&1 3>&- &
	echo $! >"$W/unshare.pid"
	local i
	NSPID=
	for i in $(seq 100); do
		NSPID=$(cat "/proc/$(cat "$W/unshare.pid")/task/$(cat "$W/unshare.pid")/children" 2>/dev/null | awk '{ print $1 }')
		[ -n "$NSPID" ] && break
		sleep 0.05
	done
	[ -n "$NSPID" ] || { cat "$W/stack.log" >&2; return 1; }
	echo "$NSPID" >"$W/ns.pid"
	nsrun ip link set lo up
	for i in $(seq 300); do
		if grep -q 'all started' "$W/stack.log" &&
		    [ "$(nsrun curl -s -o /dev/null -w '%{http_code}' "$A/status")" = 200 ]; then
			return 0
		fi
		kill -0 "$NSPID" 2>/dev/null || break
		sleep 0.1
	done
	echo "the stack did not come up:" >&2
	cat "$W/stack.log" >&2
	return 1
}

stack_stop() {
	[ -f "$W/ns.pid" ] || return 0
	kill -KILL "$(cat "$W/ns.pid")" 2>/dev/null || true
	local i
	for i in $(seq 100); do
		kill -0 "$(cat "$W/unshare.pid")" 2>/dev/null || break
		sleep 0.05
	done
	rm -f "$W/ns.pid" "$W/unshare.pid"
}

# boot_stop: the booted root powers off (SIGTERM to systemd-nspawn).
boot_stop() {
	stop_pidfile "$W/nspawn.pid" 300
	rm -f "$W/boot.pid"
}

# nsrun CMD...: CMD from this host, in the stack's network namespace.
nsrun() { nsenter --net="/proc/$(cat "$W/ns.pid")/ns/net" "$@"; }

login() {
	nsrun curl -sf -X POST "$A/auth/login" -d '{"username":"user1","password":"password1"}' |
		jq -r .token
}

# new_customer TOKEN NAME: its id, once GET /accounts/1 shows it.
new_customer() {
	local out id eid
	out=$(nsrun curl -sf -X POST "$C/customers" -H "Authorization: Bearer $1" \
		-d "{\"name\":\"$2\",\"account_id\":\"1\"}") || return 1
	id=$(jq -r .id <<<"$out") eid=$(jq -r .event_id <<<"$out")
	nsrun curl -sf "$A/accounts/1?after=$eid" -H "Authorization: Bearer $1" |
		jq -e --arg c "$id" '.customers[] | select(.customer_id == $c)' >/dev/null || return 1
	echo "$id"
}

@test "lintian --pedantic finds no error and no warning in the .deb and .changes" {
	run lintian --pedantic -I --fail-on error,warning "$ROOT"/build/deb/microsvc_0.1.0-1_*.changes
	echo "$output"
	[ "$status" = 0 ]
	! grep -q '^[EW]:' <<<"$output"
}

@test "the man pages: one per program, no warning from man" {
	mkdir -p "$W/x"
	dpkg-deb -x "$DEB1" "$W/x"
	for p in customers.fcgi accounts.fcgi microsvc-worker microsvc-archiver microsvc-setup; do
		page=$W/x/usr/share/man/man8/$p.8.gz
		[ -f "$page" ]
		run env MANWIDTH=80 LC_ALL=C.UTF-8 man --warnings -E UTF-8 -l "$page"
		[ "$status" = 0 ]
		[[ $output == *ENVIRONMENT* ]]
		[[ $output == *"EXIT STATUS"* ]]
		errs=$(env LC_ALL=C.UTF-8 man --warnings -E UTF-8 -l -Tutf8 -Z "$page" 2>&1 >/dev/null)
		[ -z "$errs" ] || { echo "$p: $errs" >&2; false; }
	done
}

@test "dpkg -i makes the user, the folders and the keys, with their owners and modes" {
	listing >"$W/before"
	cp "$DEB1" "$R/tmp/"
	inroot dpkg -i "/tmp/${DEB1##*/}" </dev/null
	# The service user: a system user, its own group, no home, no shell.
	run inroot getent passwd microsvc
	IFS=: read -r _ _ uid gid _ home shell <<<"$output"
	[ "$uid" -lt 1000 ]
	[ "$home" = /nonexistent ]
	[ "$shell" = /usr/sbin/nologin ]
	[ "$(inroot getent group microsvc | cut -d: -f3)" = "$gid" ]
	# The folders.
	[ "$(inroot stat -c '%U:%G %a' /var/lib/microsvc)" = "microsvc:microsvc 700" ]
	[ "$(inroot stat -c '%U:%G %a' /var/lib/microsvc/redis)" = "microsvc:microsvc 700" ]
	[ "$(inroot stat -c '%U:%G %a' /var/log/microsvc)" = "microsvc:microsvc 750" ]
	# The keys: the JWT key, every role's password, the ACL file.
	for f in jwt.secret redis-admin.pass redis-customers.pass redis-accounts.pass \
	    redis-worker.pass redis-replica.pass redis-monitor.pass redis-sentinel.pass \
	    redis-users.acl; do
		[ "$(inroot stat -c '%U:%G %a' "/var/lib/microsvc/$f")" = "microsvc:microsvc 600" ] ||
			{ echo "$f: $(inroot stat -c '%U:%G %a' "/var/lib/microsvc/$f")" >&2; false; }
	done
	[ "$(wc -c <"$R/var/lib/microsvc/jwt.secret")" = 64 ]
	grep -q '^user default on #' "$R/var/lib/microsvc/redis-users.acl"
	# The configuration: conffiles in /etc/microsvc and /etc/logrotate.d.
	conffiles=$(inroot dpkg-query -W -f='${Conffiles}\n' microsvc | awk 'NF { print $1 }' | sort)
	for f in /etc/logrotate.d/microsvc /etc/microsvc/lighttpd-common.conf \
	    /etc/microsvc/lighttpd-spawn.conf /etc/microsvc/lighttpd-tcp.conf \
	    /etc/microsvc/lighttpd.conf /etc/microsvc/microsvc.env /etc/microsvc/microsvc.nft; do
		grep -qx "$f" <<<"$conffiles" || { echo "not a conffile: $f" >&2; false; }
	done
	# The programs run from their installed paths (their libraries are there).
	for p in /usr/libexec/microsvc/customers.fcgi /usr/libexec/microsvc/accounts.fcgi \
	    /usr/bin/microsvc-worker /usr/bin/microsvc-archiver /usr/bin/microsvc-setup; do
		run inroot "$p" --version
		[ "$status" = 0 ]
		[[ $output == *" 0.1.0" ]]
	done
	# Run again (as an upgrade does), postinst keeps the keys.
	sum=$(sha256sum "$R"/var/lib/microsvc/*.pass "$R/var/lib/microsvc/jwt.secret")
	inroot /var/lib/dpkg/info/microsvc.postinst configure 0.1.0-1
	[ "$(sha256sum "$R"/var/lib/microsvc/*.pass "$R/var/lib/microsvc/jwt.secret")" = "$sum" ]
}

@test "systemd-analyze verify accepts the units (this host's systemd, the package's files laid over /usr)" {
	# The root has no systemd: this host's verifies them, in a mount
	# namespace of its own where the package's files (dpkg-deb -x) lie
	# over /usr and /lib/systemd/system, so that every program the units
	# start is where they say.  Any line it prints is a finding.
	mkdir -p "$W/v"
	dpkg-deb -x "$DEB1" "$W/v"
	run unshare --mount --propagation private -- sh -c '
		mount -t overlay overlay -o "lowerdir=$0/usr:/usr" /usr &&
		mount -t overlay overlay -o "lowerdir=$0/lib/systemd/system:/lib/systemd/system" \
			/lib/systemd/system &&
		systemd-analyze verify --man=no microsvc-redis.service microsvc-setup.service \
			microsvc-worker.service microsvc-archiver.service microsvc-customers.service \
			microsvc-customers-read.service microsvc-accounts.service microsvc-login.service \
			microsvc-lighttpd.service' "$W/v"
	echo "$output"
	[ "$status" = 0 ]
	[ -z "$output" ]
	# The hardening block is in every unit.
	for u in redis setup worker archiver customers customers-read accounts login lighttpd; do
		grep -q '^ProtectSystem=strict$' "$W/v/lib/systemd/system/microsvc-$u.service"
		grep -q '^NoNewPrivileges=true$' "$W/v/lib/systemd/system/microsvc-$u.service"
	done
}

@test "the installed units' command lines serve the seed's flow: login, POST /customers, GET /accounts" {
	stack_start
	tok=$(login)
	[ -n "$tok" ]
	[ "$tok" != null ]
	id=$(new_customer "$tok" "Packaged")
	echo "$id" >"$W/customer1"
	# Every program runs as the service user (ps by uid: the host's
	# names are not the root's).
	uid=$(inroot id -u microsvc)
	for comm in redis-server lighttpd customers.fcgi accounts.fcgi microsvc-worker microsvc-archiv; do
		pids=$(pgrep --ns "$NSPID" --nslist pid -x "$comm" | xargs)
		[ -n "$pids" ] || { echo "not running: $comm" >&2; false; }
		[ "$(ps -o uid= -p "${pids// /,}" | sort -u | xargs)" = "$uid" ]
	done
	# The access log, where the logrotate rules look for it.
	[ "$(inroot stat -c %U /var/log/microsvc/access.log)" = microsvc ]
	stack_stop
}

@test "systemd-nspawn boots the root: the installed units start, hardened, and serve the flow" {
	command -v systemd-nspawn >/dev/null ||
		skip "needs systemd-nspawn (systemd-container) to boot the root"
	[ -s "$W/customer1" ]
	# --volatile=overlay: what the boot writes goes to a tmpfs and is gone
	# after, so that the purge below compares the root as dpkg left it.
	systemd-nspawn --quiet --console=passive --register=no --keep-unit \
		--private-network --volatile=overlay -D "$R" -b >"$W/boot.log" 2>&1 3>&- &
	echo $! >"$W/nspawn.pid"
	# The root's systemd: the descendant of systemd-nspawn of that name.
	cpid=
	for i in $(seq 100); do
		cpid=$(pgrep -x systemd -P "$!,$(pgrep -d, -P "$!")" 2>/dev/null | head -1)
		[ -n "$cpid" ] && break
		sleep 0.1
	done
	[ -n "$cpid" ] || { cat "$W/boot.log" >&2; false; }
	echo "$cpid" >"$W/boot.pid"
	inboot() { nsenter -t "$cpid" -a -- /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@"; }
	# Booted: systemd's socket is there, then the start-up jobs are done
	# (running, or degraded by some unit of Debian's own).
	for i in $(seq 300); do
		inboot test -S /run/systemd/private && break
		sleep 0.1
	done
	state=$(timeout 120 nsenter -t "$cpid" -a -- /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
		systemctl is-system-running --wait || true)
	[ "$state" = running ] || [ "$state" = degraded ] ||
		{ echo "boot: $state" >&2; cat "$W/boot.log" >&2; false; }
	for u in redis setup worker archiver customers customers-read accounts login lighttpd; do
		[ "$(inboot systemctl is-active "microsvc-$u.service")" = active ] ||
			{ inboot systemctl --no-pager status "microsvc-$u.service" >&2; false; }
		[ "$(inboot systemctl show -p NoNewPrivileges --value "microsvc-$u.service")" = yes ]
	done
	# Debian's own Redis and lighttpd run beside them (6379, 80).
	[ "$(inboot systemctl is-active redis-server.service)" = active ]
	[ "$(inboot systemctl is-active lighttpd.service)" = active ]
	# The flow, through the booted lighttpd (wait for /status: the worker
	# may still be catching up).
	for i in $(seq 100); do
		[ "$(nsenter -t "$cpid" -n curl -s -o /dev/null -w '%{http_code}' "$A/status")" = 200 ] && break
		sleep 0.1
	done
	tok=$(nsenter -t "$cpid" -n curl -sf -X POST "$A/auth/login" \
		-d '{"username":"user1","password":"password1"}' | jq -r .token)
	out=$(nsenter -t "$cpid" -n curl -sf -X POST "$C/customers" -H "Authorization: Bearer $tok" \
		-d '{"name":"Booted","account_id":"1"}')
	nsenter -t "$cpid" -n curl -sf "$A/accounts/1?after=$(jq -r .event_id <<<"$out")" \
		-H "Authorization: Bearer $tok" |
		jq -e --arg c "$(jq -r .id <<<"$out")" '.customers[] | select(.customer_id == $c)'
	# A restart of Redis restarts setup, the worker and the services with
	# it (they require it, through setup), and logins work again.
	before=$(inboot systemctl show -p MainPID --value microsvc-accounts.service)
	inboot systemctl restart microsvc-redis.service
	for i in $(seq 150); do
		after=$(inboot systemctl show -p MainPID --value microsvc-accounts.service)
		[ "$after" != "$before" ] && [ "$after" != 0 ] &&
			nsenter -t "$cpid" -n curl -sf -X POST "$A/auth/login" \
			-d '{"username":"user1","password":"password1"}' >/dev/null && break
		sleep 0.1
	done
	[ "$after" != "$before" ]
	[ "$after" != 0 ]
	nsenter -t "$cpid" -n curl -sf -X POST "$A/auth/login" \
		-d '{"username":"user1","password":"password1"}' | jq -e .token
	boot_stop
}

@test "an upgrade to 0.1.0-2 keeps the data, the keys and a changed conffile" {
	[ -s "$W/customer1" ]
	echo 'TOKEN_TTL=600' >>"$R/etc/microsvc/microsvc.env"
	env_before=$(sha256sum <"$R/etc/microsvc/microsvc.env")
	keys_before=$(sha256sum "$R"/var/lib/microsvc/*.pass "$R/var/lib/microsvc/jwt.secret")
	cp "$DEB2" "$R/tmp/"
	# No conffile question (stdin is empty): the package's own did not change.
	inroot dpkg -i "/tmp/${DEB2##*/}" </dev/null
	[ "$(inroot dpkg-query -W -f='${Version}' microsvc)" = 0.1.0-2 ]
	[ "$(sha256sum <"$R/etc/microsvc/microsvc.env")" = "$env_before" ]
	! ls "$R"/etc/microsvc/*.dpkg-* 2>/dev/null
	[ "$(sha256sum "$R"/var/lib/microsvc/*.pass "$R/var/lib/microsvc/jwt.secret")" = "$keys_before" ]
	stack_start
	tok=$(login)
	# The programs read the changed file: the token lives 600 s.
	payload=$(cut -d. -f2 <<<"$tok" | tr -- '-_' '+/')
	while [ $((${#payload} % 4)) != 0 ]; do payload="$payload="; done
	[ "$(base64 -d <<<"$payload" | jq '.exp - .iat')" = 600 ]
	# The customer made before the upgrade is still there, and new ones come.
	nsrun curl -sf "$A/accounts/1" -H "Authorization: Bearer $tok" |
		jq -e --arg c "$(cat "$W/customer1")" '.customers[] | select(.customer_id == $c)'
	new_customer "$tok" "Upgraded"
	stack_stop
}

@test "dpkg --purge removes what the package made and nothing else; the user stays" {
	inroot dpkg --purge microsvc </dev/null
	for p in /etc/microsvc /var/lib/microsvc /var/log/microsvc /run/microsvc \
	    /usr/libexec/microsvc /usr/share/microsvc /usr/bin/microsvc-worker /usr/bin/microsvc-archiver \
	    /lib/systemd/system/microsvc-redis.service /etc/logrotate.d/microsvc; do
		[ ! -e "$R$p" ] || { echo "left behind: $p" >&2; false; }
	done
	# The service user stays (docs/package.md says why).
	inroot getent passwd microsvc
	listing >"$W/after"
	diff "$W/before" "$W/after"
}
