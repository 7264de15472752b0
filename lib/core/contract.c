/*
 * The event catalogue and the rest of the command contract (contract.h).
 * To add an event type: a row here, its Redis Function in db/events.lua,
 * its effect on the read model in db/read_model.c, and a route.
 */
#include <string.h>

#include "contract.h"

#define FIELDS(...)						\
	sizeof((struct contract_field[]){ __VA_ARGS__ }) /		\
	sizeof(struct contract_field), { __VA_ARGS__ }

const struct event_spec contract_events[EVENT_TYPES] = {
	[EVENT_ACCOUNT_CREATED] = { "AccountCreated", "account_create",
	    "account", FIELDS(
		{ "id",			FIELD_ID,	FROM_STORE },
		{ "name",		FIELD_TEXT,	FROM_REQUEST },
		{ "description",	FIELD_TEXT,	FROM_REQUEST },
		{ "owned_by",		FIELD_USER,	FROM_CALLER },
		{ "created_date",	FIELD_TIME,	FROM_STORE }) },
	[EVENT_ACCOUNT_DELETED] = { "AccountDeleted", "account_delete",
	    "account", FIELDS(
		{ "id",			FIELD_ID,	FROM_REQUEST }) },
	[EVENT_CUSTOMER_CREATED] = { "CustomerCreated", "customer_create",
	    "customer", FIELDS(
		{ "id",			FIELD_ID,	FROM_STORE },
		{ "account_id",		FIELD_ID,	FROM_REQUEST },
		{ "name",		FIELD_TEXT,	FROM_REQUEST },
		{ "created_date",	FIELD_TIME,	FROM_STORE }) },
	/* Its invoices go with it: no InvoiceDeleted for each. */
	[EVENT_CUSTOMER_DELETED] = { "CustomerDeleted", "customer_delete",
	    "customer", FIELDS(
		{ "id",			FIELD_ID,	FROM_REQUEST },
		{ "account_id",		FIELD_ID,	FROM_STORE }) },
	[EVENT_INVOICE_CREATED] = { "InvoiceCreated", "invoice_create",
	    "invoice", FIELDS(
		{ "id",			FIELD_ID,	FROM_STORE },
		{ "customer_id",	FIELD_ID,	FROM_REQUEST },
		{ "purchase_price_cents", FIELD_CENTS,	FROM_REQUEST },
		{ "created_date",	FIELD_TIME,	FROM_STORE },
		{ "purchase_date",	FIELD_DATE,	FROM_REQUEST }) },
	[EVENT_INVOICE_DELETED] = { "InvoiceDeleted", "invoice_delete",
	    "invoice", FIELDS(
		{ "id",			FIELD_ID,	FROM_REQUEST },
		{ "customer_id",	FIELD_ID,	FROM_STORE },
		{ "purchase_price_cents", FIELD_CENTS,	FROM_STORE }) },
};

const struct record_read_spec contract_reads[RECORD_READS] = {
	[READ_CUSTOMER] = { "customer_get", EVENT_CUSTOMER_CREATED,
	    "customer", 0 },
	[READ_INVOICE] = { "invoice_get", EVENT_INVOICE_CREATED, "invoice", 0 },
	[READ_CUSTOMER_INVOICES] = { "customer_invoices", EVENT_INVOICE_CREATED,
	    "customer", 1 },
};

/* Each at least 1, at most 2^53-1 (exact as a Lua double). */
const struct bound_spec contract_bounds[CONTRACT_BOUNDS] = {
	[BOUND_CUSTOMERS_PER_ACCOUNT] = { .env = "LIMIT_CUSTOMERS_PER_ACCOUNT",
	    "customers_per_account", 100000, CONTRACT_CENTS_MAX },
	[BOUND_INVOICES_PER_CUSTOMER] = { .env = "LIMIT_INVOICES_PER_CUSTOMER",
	    "invoices_per_customer", 1000000, CONTRACT_CENTS_MAX },
	[BOUND_CENTS_PER_CUSTOMER] = { .env = "LIMIT_CENTS_PER_CUSTOMER",
	    "cents_per_customer", CONTRACT_CENTS_MAX, CONTRACT_CENTS_MAX },
	[BOUND_CENTS_PER_ACCOUNT] = { .env = "LIMIT_CENTS_PER_ACCOUNT",
	    "cents_per_account", CONTRACT_CENTS_MAX, CONTRACT_CENTS_MAX },
};

const char *const contract_refusals[REFUSALS] = {
	[REFUSAL_INVALID] =	 "INVALID",
	[REFUSAL_UNAUTHORIZED] = "UNAUTHORIZED",
	[REFUSAL_FORBIDDEN] =	 "FORBIDDEN",
	[REFUSAL_NOT_FOUND] =	 "NOTFOUND",
	[REFUSAL_CONFLICT] =	 "CONFLICT",
	[REFUSAL_LIMIT] =	 "LIMIT",
	[REFUSAL_REUSED] =	 "REUSED",
};

const char *const contract_kinds[FIELD_KINDS] = {
	[FIELD_ID] = "id", [FIELD_TEXT] = "text", [FIELD_USER] = "user",
	[FIELD_CENTS] = "cents", [FIELD_DATE] = "date", [FIELD_TIME] = "time",
};

const char *const contract_sources[FIELD_SOURCES] = {
	[FROM_REQUEST] = "request", [FROM_CALLER] = "caller",
	[FROM_STORE] = "store",
};

int
contract_field_index(const struct event_spec *spec, const char *name,
    size_t len)
{
	size_t i;

	for (i = 0; i < spec->nfields; i++)
		if (strlen(spec->fields[i].name) == len &&
		    memcmp(spec->fields[i].name, name, len) == 0)
			return (int)i;
	return -1;
}

enum event_type
event_type_of(const char *name, size_t len)
{
	int t;

	for (t = 0; t < EVENT_TYPES; t++)
		if (strlen(contract_events[t].name) == len &&
		    memcmp(contract_events[t].name, name, len) == 0)
			return (enum event_type)t;
	return EVENT_UNKNOWN;
}

const char *
event_type_name(enum event_type type)
{
	return type < EVENT_TYPES ? contract_events[type].name : "other";
}
