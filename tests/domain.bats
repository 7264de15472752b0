#!/usr/bin/env bats
# Reads of single records, deletes and the account lifecycle, and the
# projection staying exact through any mix of them.

load fixtures

setup_file() {
	stack_start
	export TOKEN=$(login user1 password1)
	export TOKEN2=$(login user2 password2)
}

teardown_file() {
	stack_stop
}

# The event the stream has under id $1, as "<type> <payload>".
event_at() { rcli --raw XRANGE event-stream "$1" "$1" | sed -n '3p;5p' | paste -sd' '; }

@test "GET /customers/{id}: the record, only for its owner; 404 unknown; 400 not a number" {
	cid=$(new_customer "Reader")
	req GET "$C/customers/$cid"
	[ "$code" = 200 ]
	jq -e --arg id "$cid" '.id == $id and .account_id == "1" and .name == "Reader" and (.created_date | test("^20[0-9-]{8}T[0-9:]{8}Z$")) and (keys | length == 4)' <<<"$body"
	req GET "$C/customers/$cid" "" "$TOKEN2"
	[ "$code" = 403 ]
	req GET "$C/customers/999999"
	[ "$code" = 404 ]
	req GET "$C/customers/x1"
	[ "$code" = 400 ]
}

@test "GET /invoices/{id} and GET /customers/{id}/invoices, ordered by id" {
	cid=$(new_customer "Lister")
	i1=$(new_invoice "$cid" 100)
	i2=$(new_invoice "$cid" 250)
	req GET "$C/invoices/$i2"
	[ "$code" = 200 ]
	jq -e --arg id "$i2" --arg c "$cid" '.id == $id and .customer_id == $c and .purchase_date == "2019-01-06" and .purchase_price_cents == 250 and (keys | length == 5)' <<<"$body"
	req GET "$C/invoices/$i2" "" "$TOKEN2"
	[ "$code" = 403 ]
	req GET "$C/customers/$cid/invoices"
	[ "$code" = 200 ]
	[ "$(jq -c '[.[].id]' <<<"$body")" = "[\"$i1\",\"$i2\"]" ]
	req GET "$C/customers/$cid/invoices" "" "$TOKEN2"
	[ "$code" = 403 ]
	cid2=$(new_customer "NoInvoices")
	req GET "$C/customers/$cid2/invoices"
	[ "$code" = 200 ]
	[ "$body" = "[]" ]
}

@test "DELETE /invoices/{id}: 204, one InvoiceDeleted, revenue goes down; a second delete 404 and no event" {
	cid=$(new_customer "Refund")
	i1=$(new_invoice "$cid" 1000)
	i2=$(new_invoice "$cid" 300)
	run curl -s -i -X DELETE "$C/invoices/$i1" -H "Authorization: Bearer $TOKEN"
	[[ ${lines[0]} == *" 204 "* ]]
	eid=$(grep -i '^Event-Id:' <<<"$output" | tr -d '\r' | cut -d' ' -f2)
	[ "$(event_at "$eid")" = "InvoiceDeleted {\"id\":\"$i1\",\"customer_id\":\"$cid\",\"purchase_price_cents\":1000}" ]
	before=$(stream_len)
	req DELETE "$C/invoices/$i1"
	[ "$code" = 404 ]
	[ "$(stream_len)" = "$before" ]
	req GET "$C/invoices/$i1"
	[ "$code" = 404 ]
	wait_projected
	req GET "$A/accounts/1"
	[ "$(jq -r ".customers[] | select(.customer_id == \"$cid\") | .total_revenue_cents" <<<"$body")" = 300 ]
	req DELETE "$C/invoices/$i2" "" "$TOKEN2"
	[ "$code" = 403 ]
}

@test "DELETE /customers/{id}: 204, one CustomerDeleted, invoices go with it, new invoices 404" {
	cid=$(new_customer "Leaving")
	inv=$(new_invoice "$cid" 5000)
	req DELETE "$C/customers/$cid" "" "$TOKEN2"
	[ "$code" = 403 ]
	before=$(stream_len)
	req DELETE "$C/customers/$cid"
	[ "$code" = 204 ]
	[ "$(stream_len)" = $((before + 1)) ]
	last=$(stream_last)
	[ "$(event_at "$last")" = "CustomerDeleted {\"id\":\"$cid\",\"account_id\":\"1\"}" ]
	req GET "$C/customers/$cid"
	[ "$code" = 404 ]
	req GET "$C/invoices/$inv"
	[ "$code" = 404 ]
	req DELETE "$C/invoices/$inv"
	[ "$code" = 404 ]
	req POST "$C/invoices" "{\"customer_id\":\"$cid\",\"purchase_date\":\"2019-01-06\",\"purchase_price_cents\":1}"
	[ "$code" = 404 ]
	req DELETE "$C/customers/$cid"
	[ "$code" = 404 ]
	wait_projected
	req GET "$A/accounts/1"
	[ "$(jq "[.customers[] | select(.customer_id == \"$cid\")] | length" <<<"$body")" = 0 ]
}

@test "POST /accounts: 201, owned by the caller, projected; bad bodies 400" {
	req POST "$A/accounts" '{"name":"three","description":"the third"}'
	[ "$code" = 201 ]
	aid=$(jq -r .id <<<"$body")
	eid=$(jq -r .event_id <<<"$body")
	payload=$(rcli --raw XRANGE event-stream "$eid" "$eid" | sed -n 5p)
	jq -e --arg id "$aid" '.id == $id and .name == "three" and .description == "the third" and .owned_by == "user1"' <<<"$payload"
	wait_projected
	req GET "$A/accounts/$aid"
	[ "$code" = 200 ]
	jq -e '.account.owned_by == "user1" and .customers == []' <<<"$body"
	req GET "$A/accounts/$aid" "" "$TOKEN2"
	[ "$code" = 403 ]
	for b in '{"name":"x"}' '{"description":"x"}' '{"name":"","description":"x"}' '{"name":1,"description":"x"}' 'x'; do
		req POST "$A/accounts" "$b"
		[ "$code" = 400 ] || { echo "$b -> $code" >&2; false; }
	done
	req POST "$A/accounts" '{"name":"n","description":"d"}' ""
	[ "$code" = 401 ]
}

@test "DELETE /accounts/{id}: 409 while it has customers, 204 after; 403 another's; 404 twice" {
	req POST "$A/accounts" '{"name":"short-lived","description":"d"}'
	aid=$(jq -r .id <<<"$body")
	cid=$(new_customer "Holder" "$aid")
	before=$(stream_len)
	req DELETE "$A/accounts/$aid"
	[ "$code" = 409 ]
	jq -e '.error | test("customers")' <<<"$body"
	req DELETE "$A/accounts/$aid" "" "$TOKEN2"
	[ "$code" = 403 ]
	[ "$(stream_len)" = "$before" ]
	req DELETE "$C/customers/$cid"
	[ "$code" = 204 ]
	req DELETE "$A/accounts/$aid"
	[ "$code" = 204 ]
	req DELETE "$A/accounts/$aid"
	[ "$code" = 404 ]
	wait_projected
	req GET "$A/accounts/$aid"
	[ "$code" = 404 ]
	req POST "$C/customers" "{\"name\":\"late\",\"account_id\":\"$aid\"}"
	[ "$code" = 404 ]
	[ "$(sql "$VAR_DIR/accounts.db" 'SELECT count(*) FROM dead_letters')" = 0 ]
}

# deleted_once_of_two PATH: two DELETEs of PATH at once give one 204,
# one 404 and one event.
deleted_once_of_two() {
	local before i
	before=$(stream_len)
	for i in 1 2; do
		curl -s -o /dev/null -w '%{http_code}\n' -X DELETE "$C$1" -H "Authorization: Bearer $TOKEN" &
	done >"$T/codes"
	wait
	[ "$(sort "$T/codes" | paste -sd,)" = "204,404" ]
	[ "$(stream_len)" = $((before + 1)) ]
}

@test "two deletes of the same invoice at once: one 204, one 404, one event" {
	cid=$(new_customer "Race")
	inv=$(new_invoice "$cid" 10)
	deleted_once_of_two "/invoices/$inv"
}

@test "two deletes of the same customer at once: one 204, one 404, one event" {
	cid=$(new_customer "Race2")
	deleted_once_of_two "/customers/$cid"
}

@test "totals stay exact through a random mix of creates and deletes, and a rebuild agrees" {
	RANDOM=42
	declare -A total inv_of inv_price
	custs=()
	expected=0
	for i in $(seq 60); do
		op=$((RANDOM % 10))
		if [ ${#custs[@]} = 0 ] || [ $op -lt 2 ]; then
			c=$(new_customer "Mix $i"); custs+=("$c"); total[$c]=0
		elif [ $op -lt 7 ]; then
			c=${custs[$((RANDOM % ${#custs[@]}))]}
			cents=$((RANDOM * 1000 + RANDOM))
			id=$(new_invoice "$c" "$cents"); inv_of[$id]=$c; inv_price[$id]=$cents
			total[$c]=$((total[$c] + cents))
		elif [ $op -lt 9 ] && [ ${#inv_of[@]} -gt 0 ]; then
			ids=("${!inv_of[@]}"); id=${ids[$((RANDOM % ${#ids[@]}))]}
			req DELETE "$C/invoices/$id"; [ "$code" = 204 ]
			c=${inv_of[$id]}; total[$c]=$((total[$c] - inv_price[$id])); unset "inv_of[$id]"
		else
			idx=$((RANDOM % ${#custs[@]})); c=${custs[$idx]}
			req DELETE "$C/customers/$c"; [ "$code" = 204 ]
			for id in "${!inv_of[@]}"; do [ "${inv_of[$id]}" = "$c" ] && unset "inv_of[$id]"; done
			unset "total[$c]"; custs=("${custs[@]:0:$idx}" "${custs[@]:$((idx + 1))}")
		fi
	done
	wait_projected
	req GET "$A/accounts/1"
	for c in "${custs[@]}"; do
		got=$(jq -r ".customers[] | select(.customer_id == \"$c\") | .total_revenue_cents" <<<"$body")
		[ "$got" = "${total[$c]}" ] || { echo "customer $c: $got, want ${total[$c]}" >&2; false; }
	done
	[ "$(jq '.total_revenue_cents' <<<"$body")" = "$(jq '[.customers[].total_revenue_cents] | add // 0' <<<"$body")" ]
	before=$(curl -sf "$A/accounts" -H "Authorization: Bearer $TOKEN")
	"$BIN_DIR/worker" --rebuild 2>>"$T/run.log" 3>&-
	[ "$(curl -sf "$A/accounts" -H "Authorization: Bearer $TOKEN")" = "$before" ]
}
