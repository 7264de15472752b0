/*
 * Events and their fields, decoded by the contract (contract.h) into
 * typed values: the worker's view of a stream entry's payload, and the
 * services' view of a command's request body.
 */
#ifndef EVENT_H
#define EVENT_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "contract.h"
#include "decode.h"

struct event_value {
	int64_t		 num;	/* FIELD_ID and FIELD_CENTS */
	const char	*text;	/* the others, and FIELD_ID as its digits */
};

/* One decoded event; the strings point into root, which it owns. */
struct event {
	enum event_type		 type;
	struct event_value	 v[CONTRACT_FIELDS_MAX];	/* the spec's order */
	json_object		*root;
};

/* Member f->name of obj, checked against its kind; 0, or -1 with err set. */
int	event_field_decode(json_object *obj, const struct contract_field *f,
	    struct event_value *out, struct decode_error *err);

/*
 * Decodes the payload of an event of the given type: every field of the
 * spec, in its order; members it does not name are ignored.  Returns 0,
 * or -1 with reason set.  event_free() either way.
 */
int	event_decode(enum event_type type, const char *payload, size_t len,
	    struct event *ev, char *reason, size_t reasonlen);
void	event_free(struct event *ev);

#endif
