#!/usr/bin/env bats
# One address cannot fill lighttpd or Redis (deploy/nftables/microsvc.nft),
# on the hosts of multihost.sh, which loads the ruleset on the web host
# and the Redis hosts.  An attacker host of its own (10.77.0.66, on the
# hosts' bridge) opens thousands of slow connections, each sending a byte
# every 4 s (under lighttpd's 5 s idle timeout); another host (cust's
# address) asks GET /status meanwhile.  With the ruleset the attacker
# holds the bound and the other host is answered; without it (the table
# deleted, the positive controls) the same attack leaves the other host
# unanswered.  Figures go to the TAP output.  Needs root, network
# namespaces and nft; skips otherwise.

load fixtures

ATTACKER=10.77.0.66

# Every curl (the fixtures' login and req too) runs on the cust host.
curl_from cust 5

setup_file() {
	multihost_up
	[ -z "${MH_SKIP:-}" ] && [ -z "${FIREWALL_SKIP:-}" ] || return 0
	# The attacker: one more host on the bridge; teardown_file removes it.
	local ns=$NS_PREFIX-atk
	ip netns add "$ns"
	ip -n "$NS_PREFIX-sw" link add p-atk type veth peer name eth0 netns "$ns"
	ip -n "$NS_PREFIX-sw" link set p-atk master br0 up
	ip -n "$ns" link set lo up
	ip -n "$ns" addr add "$ATTACKER/24" dev eth0
	ip -n "$ns" link set eth0 up
	# The bounds, as the ruleset has them.
	export HTTP_BOUND=$(bound http_v4) REDIS_BOUND=$(bound redis_v4)
	[ "$HTTP_BOUND" -gt 0 ] && [ "$REDIS_BOUND" -gt 0 ]
}

teardown_file() {
	if [ -e "/run/netns/$NS_PREFIX-atk" ]; then
		attack_end
		ip netns del "$NS_PREFIX-atk"
	fi
	multihost_down
}

setup() {
	[ -z "${MH_SKIP:-}" ] || skip "$MH_SKIP"
	[ -z "${FIREWALL_SKIP:-}" ] || skip "no firewall: $FIREWALL_SKIP"
}

# After each test, the attack ends and the ruleset is back where the
# positive controls deleted it.
teardown() {
	[ -z "${MH_SKIP:-}" ] && [ -z "${FIREWALL_SKIP:-}" ] || return 0
	attack_end
	local h
	for h in web redis; do
		on_host "$h" nft list table inet microsvc >/dev/null 2>&1 ||
			on_host "$h" nft -f "$NFT_RULES"
	done
}

# bound SET: the number after `ct count over` in SET's rule.
bound() {
	grep -o "@$1 { [^}]* ct count over [0-9]*" "$NFT_RULES" | grep -o '[0-9]*$'
}

# slow_attack ADDR PORT N: from the attacker, N connections to ADDR:PORT
# at most (bash's /dev/tcp, as tests/abuse.bash), one byte sent on each
# at once and then every 4 s, for 60 s at most or until attack_end.
# Returns once all were tried; $T/opened says how many are open.
slow_attack() {
	rm -f "$T/opened"
	on_host atk bash -c '
		ulimit -n $(($3 + 64))
		trap "" PIPE  # a connection the server reset must not end the attack
		fds=()
		for ((i = 0; i < $3; i++)); do
			exec {fd}<>"/dev/tcp/$1/$2" || continue
			printf G >&"$fd"
			fds+=("$fd")
		done
		echo "${#fds[@]}" >"$4"
		for ((r = 0; r < 15; r++)); do
			sleep 4
			for fd in "${fds[@]}"; do printf E >&"$fd"; done
		done' attack "$1" "$2" "$3" "$T/opened" >/dev/null 2>&1 3>&- &
	local i
	for i in $(seq 600); do
		[ -s "$T/opened" ] && return 0
		sleep 0.1
	done
	echo "the attack did not finish opening in 60 s" >&2
	return 1
}

# attack_end: ends the attacker's processes (every process in its
# namespace is this file's), and waits up to 10 s for them to go.
attack_end() {
	local pids i
	for i in $(seq 100); do
		pids=$(ip netns pids "$NS_PREFIX-atk" 2>/dev/null) || return 0
		[ -n "$pids" ] || return 0
		kill -KILL $pids 2>/dev/null || :
		sleep 0.1
	done
	echo "attacker processes left: $pids" >&2
	return 1
}

# held HOST PORT: connections from the attacker that HOST holds
# established on PORT (also those lighttpd has not accepted yet).
held() {
	on_host "$1" ss -Htn state established "( sport = :$2 )" dst "$ATTACKER" | wc -l
}

# freed HOST PORT: waits up to 30 s until HOST has closed every one of
# the attacker's connections on PORT (none established, none that the
# attacker closed and HOST has yet to).
freed() {
	local i n
	for i in $(seq 300); do
		n=$(on_host "$1" ss -Htn state established state close-wait "( sport = :$2 )" dst "$ATTACKER" | wc -l)
		[ "$n" = 0 ] && return 0
		sleep 0.1
	done
	echo "$1 still has $n of the attacker's connections on $2" >&2
	return 1
}

# asked URL: "status seconds" of a GET from the other host (000 when no
# answer came in 5 s).
asked() { curl -s -o /dev/null -w '%{http_code} %{time_total}' "$1" || :; }

# web_attacked: 5,000 slow connections from the attacker to the web host,
# kept past lighttpd's 5 s idle timeout by their bytes; then how many the
# web host holds (held), and the other host's GET /status on each port
# (c_code c_time, a_code a_time).
web_attacked() {
	slow_attack "$WEB" 8080 5000
	sleep 6
	held=$(held web 8080)
	read -r c_code c_time <<<"$(asked "$C/status")"
	read -r a_code a_time <<<"$(asked "$A/status")"
}

@test "5,000 slow connections from one address: it holds the bound, another host is still served" {
	web_attacked
	note "ruleset on: attacker opened $(cat "$T/opened") of 5000, web holds $held (bound $HTTP_BOUND); other host: :8080 $c_code in ${c_time}s, :8090 $a_code in ${a_time}s"
	[ "$(cat "$T/opened")" = "$HTTP_BOUND" ]
	[ "$held" = "$HTTP_BOUND" ]
	[ "$c_code" = 200 ]
	[ "$a_code" = 200 ]
	awk -v a="$c_time" -v b="$a_time" 'BEGIN { exit !(a < 2 && b < 2) }'
	# The refused were reset at once, not left retrying: the counter has them.
	on_host web nft list chain inet microsvc input | grep '@http_v4' | grep -q "packets $((5000 - HTTP_BOUND)) "
}

@test "positive control: without the ruleset the same attack fills lighttpd, and another host gets no answer" {
	on_host web nft delete table inet microsvc
	web_attacked
	note "ruleset off: attacker opened $(cat "$T/opened") of 5000, web holds $held (lighttpd's bound 4096, then its listen backlog); other host: :8080 $c_code in ${c_time}s, :8090 $a_code in ${a_time}s"
	attack_end
	freed web 8080
	[ "$(cat "$T/opened")" = 5000 ]
	[ "$held" -gt 4096 ]
	[ "$c_code" = 000 ]
	[ "$a_code" = 000 ]
	# Served again once the attacker has gone.
	[ "$(asked "$C/status" | cut -d' ' -f1)" = 200 ]
}

@test "1,000 connections from one address to Redis: it holds the bound, the program hosts still connect" {
	# What the hosts hold themselves, per address, on the Redis and
	# Sentinel ports: far below the bound.
	most=$(for h in redis redis2 web; do
		on_host "$h" ss -Htn state established '( sport = :6379 or sport = :26379 )' |
			awk '{ sub(/:[0-9]+$/, "", $4); n[$4]++ } END { for (a in n) print n[a] }'
	done | sort -n | tail -1)
	slow_attack "$REDIS" 6379 1000
	held=$(held redis 6379)
	ping=$(NETNS=$NS_PREFIX-cust rcli PING 2>&1) || :
	# A program reconnects: customers.fcgi's connections cut, a command
	# goes through on a new one (the first may find its old one gone: 503).
	rcli CLIENT KILL USER customers >/dev/null
	export TOKEN=$(login user1 password1)
	for i in 1 2 3; do
		req POST "$C/customers" '{"name": "Firewall", "account_id": "1"}'
		[ "$code" != 201 ] || break
	done
	note "ruleset on: attacker opened $(cat "$T/opened") of 1000 to Redis, it holds $held (bound $REDIS_BOUND); a host's own connections at most $most; PING from cust: $ping; POST /customers after the cut: $code (try $i)"
	[ "$(cat "$T/opened")" = "$REDIS_BOUND" ]
	[ "$held" = "$REDIS_BOUND" ]
	[ "$most" -lt $((REDIS_BOUND / 4)) ]
	[ "$ping" = PONG ]
	[ "$code" = 201 ]
}

@test "positive control: without the ruleset 10,000 connections from one address fill Redis's maxclients" {
	maxclients=$(NETNS=$NS_PREFIX-redis rcli CONFIG GET maxclients | tail -1)
	on_host redis nft delete table inet microsvc
	slow_attack "$REDIS" 6379 10000
	held=$(held redis 6379)
	ping=$(NETNS=$NS_PREFIX-cust rcli PING 2>&1) || :
	note "ruleset off: attacker opened $(cat "$T/opened") of 10000 to Redis, it holds $held (maxclients $maxclients); PING from cust: ${ping//$'\n'/; }"
	attack_end
	freed redis 6379
	[ "$held" -gt $((10000 - 100)) ]
	# Full: refused at AUTH, or (scripts/redis-cli checks the named node's
	# ROLE first) no primary that answers.
	[[ $ping == *"max number of clients"* || $ping == *"names a primary that answers"* ]]
	# Answered again once the attacker has gone.
	[ "$(NETNS=$NS_PREFIX-cust rcli PING 2>&1)" = PONG ]
}
