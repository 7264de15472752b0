/*
 * One business event from the stream, decoded and checked into typed
 * fields.  The strings point into the parsed JSON, which the event owns.
 */
#ifndef EVENT_H
#define EVENT_H

#include <stdint.h>

#include <json-c/json.h>

enum event_type {
	EVENT_UNKNOWN,
	EVENT_ACCOUNT_CREATED,
	EVENT_CUSTOMER_CREATED,
	EVENT_INVOICE_CREATED,
	EVENT_ACCOUNT_DELETED,
	EVENT_CUSTOMER_DELETED,
	EVENT_INVOICE_DELETED,
};
#define EVENT_TYPES (EVENT_INVOICE_DELETED + 1)	/* EVENT_UNKNOWN included */

struct event {
	enum event_type	 type;
	int64_t		 id;
	int64_t		 parent_id;	/* account of a customer, customer of an invoice */
	int64_t		 cents;
	const char	*name;
	const char	*description;
	const char	*owned_by;
	const char	*created_date;
	const char	*purchase_date;
	json_object	*root;
};

enum event_type event_type_of(const char *name);
const char	*event_type_name(enum event_type type);

/*
 * Decodes payload for an event of the given type.  Returns 0, or -1 with
 * reason set to a static message.  event_free() either way.
 */
int	event_decode(enum event_type type, const char *payload, size_t len,
	    struct event *ev, char *reason, size_t reasonlen);
void	event_free(struct event *ev);

#endif
