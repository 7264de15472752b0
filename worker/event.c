#include <stdio.h>
#include <string.h>

#include "decode.h"
#include "event.h"

static const struct {
	const char	*name;
	enum event_type	 type;
} types[] = {
	{ "AccountCreated",	EVENT_ACCOUNT_CREATED },
	{ "CustomerCreated",	EVENT_CUSTOMER_CREATED },
	{ "InvoiceCreated",	EVENT_INVOICE_CREATED },
	{ "AccountDeleted",	EVENT_ACCOUNT_DELETED },
	{ "CustomerDeleted",	EVENT_CUSTOMER_DELETED },
	{ "InvoiceDeleted",	EVENT_INVOICE_DELETED },
};

enum event_type
event_type_of(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(types[i].name, name) == 0)
			return types[i].type;
	return EVENT_UNKNOWN;
}

const char *
event_type_name(enum event_type type)
{
	size_t i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (types[i].type == type)
			return types[i].name;
	return "unknown";
}

void
event_free(struct event *ev)
{
	json_object_put(ev->root);
	ev->root = NULL;
}

/* Event ids arrive as strings of digits; the read model keys on integers. */
static int
id_field(json_object *obj, const char *key, int64_t *out,
    struct decode_error *err)
{
	uint64_t v;

	if (decode_id(obj, key, &v, err) == -1)
		return -1;
	*out = (int64_t)v;
	return 0;
}

int
event_decode(enum event_type type, const char *payload, size_t len,
    struct event *ev, char *reason, size_t reasonlen)
{
	struct decode_error err;
	json_object *o;
	int rc = -1;

	memset(ev, 0, sizeof(*ev));
	ev->type = type;
	if ((o = ev->root = decode_body("payload", payload, len, &err)) == NULL)
		goto out;
	switch (type) {
	case EVENT_ACCOUNT_CREATED:
		rc = id_field(o, "id", &ev->id, &err) == -1 ||
		    decode_text(o, "name", 0, &ev->name, &err) == -1 ||
		    decode_text(o, "description", 0, &ev->description,
		    &err) == -1 ||
		    decode_text(o, "owned_by", 0, &ev->owned_by, &err) == -1 ||
		    decode_text(o, "created_date", 0, &ev->created_date,
		    &err) == -1 ? -1 : 0;
		break;
	case EVENT_CUSTOMER_CREATED:
		rc = id_field(o, "id", &ev->id, &err) == -1 ||
		    id_field(o, "account_id", &ev->parent_id, &err) == -1 ||
		    decode_text(o, "name", 0, &ev->name, &err) == -1 ||
		    decode_text(o, "created_date", 0, &ev->created_date,
		    &err) == -1 ? -1 : 0;
		break;
	case EVENT_INVOICE_CREATED:
		rc = id_field(o, "id", &ev->id, &err) == -1 ||
		    id_field(o, "customer_id", &ev->parent_id, &err) == -1 ||
		    decode_cents(o, "purchase_price_cents", &ev->cents,
		    &err) == -1 ||
		    decode_date(o, "purchase_date", &ev->purchase_date,
		    &err) == -1 ? -1 : 0;
		break;
	case EVENT_ACCOUNT_DELETED:
		rc = id_field(o, "id", &ev->id, &err);
		break;
	case EVENT_CUSTOMER_DELETED:
		rc = id_field(o, "id", &ev->id, &err) == -1 ||
		    id_field(o, "account_id", &ev->parent_id, &err) == -1 ?
		    -1 : 0;
		break;
	case EVENT_INVOICE_DELETED:
		rc = id_field(o, "id", &ev->id, &err) == -1 ||
		    id_field(o, "customer_id", &ev->parent_id, &err) == -1 ||
		    decode_cents(o, "purchase_price_cents", &ev->cents,
		    &err) == -1 ? -1 : 0;
		break;
	case EVENT_UNKNOWN:
		snprintf(err.msg, sizeof(err.msg), "unknown event type");
		break;
	}
out:
	if (rc == -1)
		snprintf(reason, reasonlen, "%s", err.msg);
	return rc;
}
