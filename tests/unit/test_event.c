#include <string.h>

#include "check.h"
#include "event.h"

static int
decode(enum event_type t, const char *payload, struct event *ev)
{
	char reason[200];
	int rc = event_decode(t, payload, strlen(payload), ev, reason,
	    sizeof(reason));

	return rc;
}

void
test_event(void)
{
	struct event ev;

	CHECK("CustomerCreated is found by name",
	    event_type_of("CustomerCreated", 15) == EVENT_CUSTOMER_CREATED);
	CHECK("InvoiceCreated is found by name",
	    event_type_of("InvoiceCreated", 14) == EVENT_INVOICE_CREATED);
	CHECK("AccountCreated is found by name",
	    event_type_of("AccountCreated", 14) == EVENT_ACCOUNT_CREATED);
	CHECK("type names are case-sensitive",
	    event_type_of("customercreated", 15) == EVENT_UNKNOWN);

	/* The seed's own payloads. */
	CHECK("the seed's CustomerCreated decodes to id, account and name",
	    decode(EVENT_CUSTOMER_CREATED, "{\"id\":\"7\",\"account_id\":"
	    "\"1\",\"name\":\"Martin North 4\",\"created_date\":"
	    "\"0001-01-01T00:00:00Z\"}", &ev) == 0 && ev.v[0].num == 7 &&
	    ev.v[1].num == 1 && strcmp(ev.v[2].text, "Martin North 4") == 0);
	event_free(&ev);
	CHECK("the seed's InvoiceCreated decodes to id, customer and cents",
	    decode(EVENT_INVOICE_CREATED, "{\"id\":\"10\",\"customer_id\":"
	    "\"9\",\"purchase_price_cents\":8000,\"created_date\":"
	    "\"0001-01-01T00:00:00Z\",\"purchase_date\":\"2019-01-09\"}",
	    &ev) == 0 && ev.v[0].num == 10 && ev.v[1].num == 9 &&
	    ev.v[2].num == 8000);
	event_free(&ev);

	CHECK("a payload that is not JSON is refused",
	    decode(EVENT_INVOICE_CREATED, "not json", &ev) == -1);
	event_free(&ev);
	CHECK("a payload missing fields is refused",
	    decode(EVENT_INVOICE_CREATED, "{\"id\":\"10\"}", &ev) == -1);
	event_free(&ev);
	CHECK("an InvoiceCreated with negative cents is refused",
	    decode(EVENT_INVOICE_CREATED, "{\"id\":\"10\",\"customer_id\":"
	    "\"9\",\"purchase_price_cents\":-5,\"created_date\":\"x\","
	    "\"purchase_date\":\"2019-01-09\"}", &ev) == -1);
	event_free(&ev);
	CHECK("an id as a JSON number is refused",
	    decode(EVENT_CUSTOMER_CREATED, "{\"id\":7,\"account_id\":\"1\","
	    "\"name\":\"n\",\"created_date\":\"d\"}", &ev) == -1);
	event_free(&ev);
	CHECK("an AccountCreated decodes to id and owner",
	    decode(EVENT_ACCOUNT_CREATED, "{\"id\":\"3\",\"name\":\"three\","
	    "\"description\":\"d\",\"owned_by\":\"user1\",\"created_date\":"
	    "\"2026-11-30T12:00:00Z\"}", &ev) == 0 && ev.v[0].num == 3 &&
	    strcmp(ev.v[3].text, "user1") == 0);
	event_free(&ev);
}
