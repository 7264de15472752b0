/*
 * The contract between the command side and everyone who reads the
 * stream, in one place: each event type with its payload fields and
 * their limits, the Redis Functions that append and read them, and the
 * words a refusal starts with.  The HTTP handlers decode requests with
 * it, the metrics name events with it, the worker decodes payloads with
 * it, and the Redis Function library (db/events.lua) gets it as a Lua
 * table generated from this one at build time (tools/contract_lua.c).
 */
#ifndef CONTRACT_H
#define CONTRACT_H

#include <stddef.h>
#include <stdint.h>

/* Limits of the values a payload may carry. */
#define CONTRACT_TEXT_MAX	200			/* bytes of a name */
#define CONTRACT_USER_MAX	63			/* bytes of a user name */
#define CONTRACT_CENTS_MAX	9007199254740991LL	/* 2^53-1: exact in every JSON reader */
#define CONTRACT_ID_MAX		INT64_MAX		/* SQLite's largest integer key */
#define CONTRACT_ID_DIGITS	19			/* digits of CONTRACT_ID_MAX */
#define CONTRACT_FIELDS_MAX	5			/* fields of the largest payload */

/*
 * A command's Idempotency-Key: 1 to CONTRACT_KEY_MAX bytes of printable
 * ASCII.  Its answer is kept under a name the service makes: the
 * BLAKE2b of caller and key, 16 bytes, in CONTRACT_KEY_ID_CHARS of
 * unpadded base64url; with the fingerprint of the request it names: the
 * first 16 bytes of the request's SHA-256, in CONTRACT_FINGERPRINT_HEX
 * lowercase hex digits (db/events.lua, keyed(), says why 16).
 */
#define CONTRACT_KEY_MAX		255
#define CONTRACT_KEY_ID_CHARS		22
#define CONTRACT_FINGERPRINT_HEX	32

/*
 * The bounds a command keeps (the Redis Functions refuse past them, 422),
 * so that no Function's work and no total grows without limit.  One table,
 * contract_bounds, that config reads (env, default, max), setup stores
 * (field of config:limits) and contract_lua gives the Functions (field,
 * default).  A total of cents is at most 2^53-1, exact in every JSON
 * reader, so no sum the projector makes can overflow.
 */
enum contract_bound {
	BOUND_CUSTOMERS_PER_ACCOUNT,
	BOUND_INVOICES_PER_CUSTOMER,
	BOUND_CENTS_PER_CUSTOMER,
	BOUND_CENTS_PER_ACCOUNT,
	CONTRACT_BOUNDS
};

struct bound_spec {
	const char	*env;		/* the variable that sets it, LIMIT_* */
	const char	*field;		/* of config:limits, and in the Lua */
	long long	 fallback;	/* the default */
	long long	 max;		/* the largest value it may be set to */
};

extern const struct bound_spec contract_bounds[CONTRACT_BOUNDS];

/* Pages of lists: the default and the largest number of items. */
#define CONTRACT_PAGE_DEFAULT	200
#define CONTRACT_PAGE_MAX	1000

enum event_type {
	EVENT_ACCOUNT_CREATED,
	EVENT_ACCOUNT_DELETED,
	EVENT_CUSTOMER_CREATED,
	EVENT_CUSTOMER_DELETED,
	EVENT_INVOICE_CREATED,
	EVENT_INVOICE_DELETED,
	EVENT_TYPES,
	EVENT_UNKNOWN = EVENT_TYPES	/* not in the catalogue */
};

enum field_kind {
	FIELD_ID,	/* a canonical decimal string, "1" to CONTRACT_ID_MAX */
	FIELD_TEXT,	/* 1 to CONTRACT_TEXT_MAX bytes of UTF-8, no control characters */
	FIELD_USER,	/* 1 to CONTRACT_USER_MAX of [A-Za-z0-9._-] */
	FIELD_CENTS,	/* a JSON integer from 0 to CONTRACT_CENTS_MAX */
	FIELD_DATE,	/* a calendar date, YYYY-MM-DD */
	FIELD_TIME,	/* a UTC time, YYYY-MM-DDTHH:MM:SSZ */
	FIELD_KINDS
};

/* Where the command that appends an event takes a field's value from. */
enum field_source {
	FROM_REQUEST,	/* the client: a create's body, a delete's path */
	FROM_CALLER,	/* the authenticated user */
	FROM_STORE,	/* the Redis Function: a new id, Redis's clock, the record */
	FIELD_SOURCES
};

struct contract_field {
	const char		*name;
	enum field_kind		 kind;
	enum field_source	 source;
};

struct event_spec {
	const char		*name;		/* EventTypeName */
	const char		*function;	/* the Redis Function that appends it */
	const char		*record;	/* what it creates or deletes */
	size_t			 nfields;
	struct contract_field	 fields[CONTRACT_FIELDS_MAX];	/* the payload's order */
};

extern const struct event_spec contract_events[EVENT_TYPES];

/* The Redis Functions that read the command side's records. */
enum record_read {
	READ_CUSTOMER,		/* one customer */
	READ_INVOICE,		/* one invoice */
	READ_CUSTOMER_INVOICES,	/* a customer's invoices */
	RECORD_READS
};

struct record_read_spec {
	const char	*function;
	enum event_type	 shape;		/* the fields answered: this event's */
	const char	*of;		/* the record whose id the caller gives */
	int		 list;		/* answers a list of records */
};

extern const struct record_read_spec contract_reads[RECORD_READS];

/* The first word of a Redis Function's refusal, and what it means. */
enum refusal {
	REFUSAL_INVALID,	/* the arguments break the contract */
	REFUSAL_UNAUTHORIZED,	/* the caller no longer exists */
	REFUSAL_FORBIDDEN,	/* another user's record */
	REFUSAL_NOT_FOUND,	/* no such record */
	REFUSAL_CONFLICT,	/* the record's state forbids it */
	REFUSAL_LIMIT,		/* it would pass a bound of the contract */
	REFUSAL_REUSED,		/* its idempotency key named another request */
	REFUSALS
};

extern const char *const contract_refusals[REFUSALS];
extern const char *const contract_kinds[FIELD_KINDS];
extern const char *const contract_sources[FIELD_SOURCES];

/* The index in spec->fields of the field named by the len bytes at name; -1 if none. */
int		 contract_field_index(const struct event_spec *spec,
		    const char *name, size_t len);
/* The type named by the len bytes at name; EVENT_UNKNOWN if none. */
enum event_type	 event_type_of(const char *name, size_t len);
/* Its EventTypeName; "other" for EVENT_UNKNOWN. */
const char	*event_type_name(enum event_type type);

#endif
