#!/bin/bash
# make bench, the bounds that keep the system fair to every client
# (docs/operations.md), on a private stack of its own with
# the deployment's bounds (the limits per user and the rest at their
# defaults), once one customer holds 1,000,000 invoices and one account
# 100,000 customers (the contract's limits):
# - the slowest Redis call (SLOWLOG) through pages, writes, the attacks
#   and the delete of that customer;
# - the p99 of one GET /accounts page at 100,000 customers, beside one
#   at 100;
# - another user's p50 and p99 under each attack of tests/abuse.bash,
#   beside its own without it, just before.
# Prints a Markdown section.  Environment: BIN_DIR (the release build),
# BENCH_BOUND_INVOICES (1000000), BENCH_BOUND_CUSTOMERS (100000),
# BENCH_VICTIM_ROUNDS (200).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/bench/lib.sh"
. "$ROOT/tests/abuse.bash"
INVOICES=${BENCH_BOUND_INVOICES:-1000000}
CUSTOMERS=${BENCH_BOUND_CUSTOMERS:-100000}
ROUNDS=${BENCH_VICTIM_ROUNDS:-200}
PAGES=300

stack_start_user1 RUN_ARCHIVER=0
trap 'attack_stop; stack_stop' EXIT
victims_ready

say "bounds: a customer of $INVOICES invoices, an account of $CUSTOMERS customers"
rcli HSET user:bench100k password_hash "$(rcli HGET user:user1 password_hash)" >/dev/null
TOKEN_100K=$(login bench100k password1)
BIG=$(TOKEN=$ATTACKER_TOKEN new_customer Big)
fcall_pipe invoice_create "$INVOICES" caller user1 customer_id "$BIG" \
	purchase_price_cents 1 purchase_date 2019-01-06
ACCT_100K=$(rcli --raw FCALL account_create 1 event-stream caller bench100k \
	name big description big | sed -n 3p)
fcall_pipe customer_create "$CUSTOMERS" caller bench100k account_id "$ACCT_100K" name c%i
for _ in $(seq 30); do wait_projected 2>/dev/null && break; done
wait_projected

# Every call over 100 µs (a page's calls take a few hundred).
rcli CONFIG SET slowlog-log-slower-than 100 >/dev/null
rcli CONFIG SET slowlog-max-len 1000000 >/dev/null
rcli SLOWLOG RESET >/dev/null
# slowest: "calls µs command" of the SLOWLOG since the last (its own
# commands aside), and resets it.
slowest() {
	rcli --json SLOWLOG GET 1000000 | jq -r '
		map(select(.[3][0] | IN("SLOWLOG", "CONFIG") | not)) | length as $n |
		map({us: .[2], cmd: (.[3][0:2] | join(" "))}) |
		(max_by(.us) // {us: 0, cmd: "-"}) | "\($n) \(.us) \(.cmd)"'
	rcli SLOWLOG RESET >/dev/null
}

# page_p99 TOKEN ACCOUNT FIRST LAST: the p99 of PAGES GET /accounts pages
# of 200, each from a random customer of FIRST..LAST (none from the
# process's cache of answers), over one connection, in ms.
page_p99() {
	awk -v a="$2" -v f="$3" -v l="$4" -v n="$PAGES" -v url="$A/accounts" 'BEGIN {
		srand(7); for (i = 0; i < n; i++)
			printf "url = \"%s?limit=200&cursor=%d.%d\"\noutput = /dev/null\n",
			    url, a, f + int(rand() * (l - f)) }' >"$T/pages.curl"
	curl -s -K "$T/pages.curl" -H "Authorization: Bearer $1" -w '%{time_total}\n' |
		awk '{ print $1 * 1000 }' >"$T/pages.ms"
	percentile 99 "$T/pages.ms"
}
read -r FIRST LAST < <(sql "$DB" "SELECT min(id) || ' ' || max(id) FROM customers
	WHERE account_id = $ACCT_100K")
PAGE_100K=$(page_p99 "$TOKEN_100K" "$ACCT_100K" "$FIRST" "$LAST")
PAGE_100=$(page_p99 "$VICTIM_TOKEN" 2 0 "$VICTIM_CUSTOMER")
say "  GET /accounts page of 200: p99 $PAGE_100K ms at $CUSTOMERS customers, $PAGE_100 ms at a few"

# Quiet: pages of invoices at the start, the middle and the end of the
# million, and writes beside them (the customer and the account at their
# limits: 422 after counting).
for c in '' "cursor=$((INVOICES / 2))&" "cursor=$((INVOICES - 500))&"; do
	curl -s -o /dev/null "$C/customers/$BIG/invoices?${c}limit=1000" \
		-H "Authorization: Bearer $ATTACKER_TOKEN"
done
req POST "$C/invoices" "{\"customer_id\":\"$BIG\",\"purchase_date\":\"2019-01-06\",\"purchase_price_cents\":1}" "$ATTACKER_TOKEN"
req POST "$C/customers" "{\"name\":\"one more\",\"account_id\":\"$ACCT_100K\"}" "$TOKEN_100K"
read -r QUIET1_N QUIET1_US QUIET1_CMD < <(slowest)

# attack NAME START...: the victim without, then with the attack.
attacks=()
attack() {
	local name=$1
	shift
	victim_run "$ROUNDS" "$T/base"
	"$@"
	victim_run "$ROUNDS" "$T/during"
	attack_stop
	attacks+=("$name|$(percentile 50 "$T/base")|$(percentile 99 "$T/base")|$(percentile 50 "$T/during")|$(percentile 99 "$T/during")|$(victim_5xx "$T/during")")
	say "  ${attacks[-1]}"
}
attack "2,000 idle connections" attack_idle 1000 "$CUSTOMERS_PORT" "$ACCOUNTS_PORT"
attack "4 loops of 1,000 invoices of the $INVOICES" attack_loops 4 \
	"$C/customers/$BIG/invoices?limit=1000" -H "Authorization: Bearer $ATTACKER_TOKEN"
attack "4 loops of 1,000 customers of the $CUSTOMERS" attack_loops 4 \
	"$A/accounts?limit=1000" -H "Authorization: Bearer $TOKEN_100K"
attack "16 loops of ?after= far in the future" attack_loops 16 \
	"$A/accounts?after=$FAR_FUTURE" -H "Authorization: Bearer $ATTACKER_TOKEN"
attack "8 loops of logins" attack_loops 8 "$A/auth/login" -X POST \
	-d '{"username":"user1","password":"password1"}'

read -r ATTACK_N ATTACK_US ATTACK_CMD < <(slowest)

# Quiet again: the million invoices go, in one call, then 64 a write.
req DELETE "$C/customers/$BIG" "" "$ATTACKER_TOKEN"
[ "$code" = 204 ] || { say "DELETE of the big customer: $code"; exit 1; }
fcall_pipe customer_create 1000 caller user1 account_id 1 name gc
read -r QUIET2_N QUIET2_US QUIET2_CMD < <(slowest)
if [ "$QUIET2_US" -gt "$QUIET1_US" ]; then
	SLOW_US=$QUIET2_US SLOW_CMD=$QUIET2_CMD
else
	SLOW_US=$QUIET1_US SLOW_CMD=$QUIET1_CMD
fi
SLOW_N=$((QUIET1_N + QUIET2_N))
say "  slowest Redis call $SLOW_US µs ($SLOW_CMD), of $SLOW_N over 100 µs;" \
	"under the attacks $ATTACK_US µs ($ATTACK_CMD), of $ATTACK_N"

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f ×", a / b }'; }
echo
echo "Bounds fair to every client, on a stack with the deployment's bounds, once one customer"
echo "holds $INVOICES invoices and one account $CUSTOMERS customers:"
echo
echo "| figure | value | beside | ratio | target | |"
echo "|---|---:|---:|---:|---|---|"
printf '| slowest Redis call (%s), of %s over 100 µs: pages, writes, the delete | %.2f ms | | | ≤ 5 ms | %s |\n' \
	"$SLOW_CMD" "$SLOW_N" "$(awk -v u="$SLOW_US" 'BEGIN { print u / 1000 }')" \
	"$(awk -v u="$SLOW_US" 'BEGIN { print u <= 5000 ? "**met**" : "**missed**" }')"
printf '| the same during the attacks below (%s), of %s: Redis shares 2 cores with them | %.2f ms | | | | |\n' \
	"$ATTACK_CMD" "$ATTACK_N" "$(awk -v u="$ATTACK_US" 'BEGIN { print u / 1000 }')"
printf '| GET /accounts, a page of 200 of %s customers, p99 | %.2f ms | %.2f ms (a few) | %s | | |\n' \
	"$CUSTOMERS" "$PAGE_100K" "$PAGE_100" "$(ratio "$PAGE_100K" "$PAGE_100")"
for a in "${attacks[@]}"; do
	IFS='|' read -r name b50 b99 d50 d99 e5 <<<"$a"
	printf '| another user, during %s: p50 / p99 (5xx: %s) | %.2f / %.2f ms | %.2f / %.2f ms | %s / %s | p50 ≤ 3 × | %s |\n' \
		"$name" "$e5" "$d50" "$d99" "$b50" "$b99" "$(ratio "$d50" "$b50")" "$(ratio "$d99" "$b99")" \
		"$(awk -v d="$d50" -v b="$b50" -v e="$e5" 'BEGIN { print d <= 3 * b && e == 0 ? "**met**" : "**missed**" }')"
done
