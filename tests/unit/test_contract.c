/*
 * The event catalogue (contract.c) is what the handlers, the worker, the
 * metrics and the Lua library all read: a hole in it (a missing name, a
 * repeated field) would be everyone's bug at once.  And its limits are
 * only as good as the decoders that enforce them, so every field of every
 * event is tried at the edges of its kind.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "config.h"
#include "event.h"

#define NAME_MAX_LEN	160
#define JSON_MAX	(4 * CONTRACT_TEXT_MAX + 16)

static int
filled(const char *s)
{
	return s != NULL && *s != '\0';
}

static int
fields_unique(const struct event_spec *spec)
{
	size_t i, j;

	for (i = 0; i < spec->nfields; i++)
		for (j = i + 1; j < spec->nfields; j++)
			if (strcmp(spec->fields[i].name,
			    spec->fields[j].name) == 0)
				return 0;
	return 1;
}

static int
fields_sane(const struct event_spec *spec)
{
	size_t i;

	for (i = 0; i < spec->nfields; i++)
		if (!filled(spec->fields[i].name) ||
		    spec->fields[i].kind >= FIELD_KINDS ||
		    spec->fields[i].source >= FIELD_SOURCES)
			return 0;
	return 1;
}

static void
test_event_spec(enum event_type t)
{
	const struct event_spec *spec = &contract_events[t];
	char name[NAME_MAX_LEN];
	int u;

	snprintf(name, sizeof(name), "event type %d (%s) has a name, a "
	    "function and a record", (int)t, filled(spec->name) ? spec->name :
	    "?");
	CHECK(name, filled(spec->name) && filled(spec->function) &&
	    filled(spec->record));
	if (!filled(spec->name))
		return;
	snprintf(name, sizeof(name), "%s has 1 to CONTRACT_FIELDS_MAX fields",
	    spec->name);
	CHECK(name, spec->nfields >= 1 && spec->nfields <= CONTRACT_FIELDS_MAX);
	snprintf(name, sizeof(name), "%s's fields have names, kinds and "
	    "sources", spec->name);
	CHECK(name, fields_sane(spec));
	snprintf(name, sizeof(name), "%s's field names are unique", spec->name);
	CHECK(name, fields_unique(spec));
	/* The record's id comes first: deletes and no-match reasons use it. */
	snprintf(name, sizeof(name), "%s's first field is its id", spec->name);
	CHECK(name, strcmp(spec->fields[0].name, "id") == 0 &&
	    spec->fields[0].kind == FIELD_ID);
	snprintf(name, sizeof(name), "%s is found by its name and length",
	    spec->name);
	CHECK(name, event_type_of(spec->name, strlen(spec->name)) == t &&
	    strcmp(event_type_name(t), spec->name) == 0);
	for (u = 0; u < (int)t; u++)
		if ((filled(contract_events[u].name) &&
		    strcmp(contract_events[u].name, spec->name) == 0) ||
		    (filled(contract_events[u].function) &&
		    strcmp(contract_events[u].function, spec->function) == 0))
			break;
	snprintf(name, sizeof(name), "%s's name and function are its own",
	    spec->name);
	CHECK(name, u == (int)t);
}

static void
test_type_names(void)
{
	const char *n = contract_events[EVENT_INVOICE_CREATED].name;

	CHECK("a type name in lower case is unknown",
	    event_type_of("invoicecreated", 14) == EVENT_UNKNOWN);
	CHECK("a prefix of a type name is unknown",
	    event_type_of("InvoiceCreate", 13) == EVENT_UNKNOWN);
	CHECK("a type name with a byte more is unknown",
	    event_type_of("InvoiceCreatedX", 15) == EVENT_UNKNOWN);
	CHECK("a type name is matched by its length, not its NUL",
	    event_type_of(n, strlen(n) - 1) == EVENT_UNKNOWN);
	CHECK("an empty type name is unknown", event_type_of("", 0) ==
	    EVENT_UNKNOWN);
	CHECK("the unknown type is called \"other\"",
	    strcmp(event_type_name(EVENT_UNKNOWN), "other") == 0);
}

static void
test_tables(void)
{
	int i, ok;

	for (i = 0, ok = 1; i < RECORD_READS; i++)
		ok &= filled(contract_reads[i].function) &&
		    filled(contract_reads[i].of) &&
		    contract_reads[i].shape < EVENT_TYPES;
	CHECK("every record read has a function, a record and a valid shape",
	    ok);
	for (i = 0, ok = 1; i < REFUSALS; i++)
		ok &= filled(contract_refusals[i]) &&
		    strchr(contract_refusals[i], ' ') == NULL;
	CHECK("every refusal is one word", ok);
	for (i = 0, ok = 1; i < FIELD_KINDS; i++)
		ok &= filled(contract_kinds[i]);
	CHECK("every field kind has a name", ok);
	for (i = 0, ok = 1; i < FIELD_SOURCES; i++)
		ok &= filled(contract_sources[i]);
	CHECK("every field source has a name", ok);
	/* The Lua library, the OpenAPI document and docs/design.md say these. */
	CHECK("CONTRACT_TEXT_MAX is 200", CONTRACT_TEXT_MAX == 200);
	CHECK("CONTRACT_USER_MAX is 63", CONTRACT_USER_MAX == 63);
	CHECK("CONTRACT_CENTS_MAX is 2^53-1",
	    CONTRACT_CENTS_MAX == (1LL << 53) - 1);
	CHECK("CONTRACT_ID_MAX is INT64_MAX", CONTRACT_ID_MAX == INT64_MAX);
	CHECK("CONTRACT_ID_DIGITS is the digits of CONTRACT_ID_MAX",
	    CONTRACT_ID_DIGITS == strlen("9223372036854775807"));
}

/* An edge value of a kind, as the JSON text of a member's value. */
struct edge {
	enum field_kind	 kind;
	int		 ok;		/* 1: must be accepted */
	const char	*what;		/* ends the check's name */
	const char	*json;
};

static char id_max[32], id_over[32], cents_max[32], cents_over[32];
static char text_max[CONTRACT_TEXT_MAX + 3], text_utf8[CONTRACT_TEXT_MAX + 3];
static char text_over[CONTRACT_TEXT_MAX + 4], text_split[CONTRACT_TEXT_MAX + 4];
static char user_max[CONTRACT_USER_MAX + 3], user_over[CONTRACT_USER_MAX + 4];

static const struct edge edges[] = {
	{ FIELD_ID, 1, "accepts the id \"1\"", "\"1\"" },
	{ FIELD_ID, 1, "accepts CONTRACT_ID_MAX", id_max },
	{ FIELD_ID, 0, "refuses the id \"0\"", "\"0\"" },
	{ FIELD_ID, 0, "refuses the id \"07\"", "\"07\"" },
	{ FIELD_ID, 0, "refuses CONTRACT_ID_MAX + 1", id_over },
	{ FIELD_ID, 0, "refuses an id as a JSON number", "7" },
	{ FIELD_CENTS, 1, "accepts 0 cents", "0" },
	{ FIELD_CENTS, 1, "accepts CONTRACT_CENTS_MAX", cents_max },
	{ FIELD_CENTS, 0, "refuses -1 cents", "-1" },
	{ FIELD_CENTS, 0, "refuses CONTRACT_CENTS_MAX + 1", cents_over },
	{ FIELD_CENTS, 0, "refuses 1.5 cents", "1.5" },
	{ FIELD_TEXT, 1, "accepts text of 1 byte", "\"a\"" },
	{ FIELD_TEXT, 1, "accepts CONTRACT_TEXT_MAX bytes", text_max },
	{ FIELD_TEXT, 1, "accepts CONTRACT_TEXT_MAX bytes of 2- and 4-byte "
	    "UTF-8", text_utf8 },
	{ FIELD_TEXT, 0, "refuses CONTRACT_TEXT_MAX + 1 bytes", text_over },
	{ FIELD_TEXT, 0, "refuses a 4-byte character that ends past "
	    "CONTRACT_TEXT_MAX", text_split },
	{ FIELD_TEXT, 0, "refuses empty text", "\"\"" },
	{ FIELD_TEXT, 0, "refuses a control character", "\"a\\u0001b\"" },
	{ FIELD_TEXT, 0, "refuses a newline", "\"a\\nb\"" },
	{ FIELD_TEXT, 0, "refuses a NUL", "\"a\\u0000b\"" },
	{ FIELD_USER, 1, "accepts a user of CONTRACT_USER_MAX characters",
	    user_max },
	{ FIELD_USER, 1, "accepts a user of letters, digits and ._-",
	    "\"User.name_1-2\"" },
	{ FIELD_USER, 0, "refuses a user of CONTRACT_USER_MAX + 1 characters",
	    user_over },
	{ FIELD_USER, 0, "refuses a user with '/'", "\"a/b\"" },
	{ FIELD_USER, 0, "refuses an empty user", "\"\"" },
	{ FIELD_DATE, 1, "accepts 0001-01-01", "\"0001-01-01\"" },
	{ FIELD_DATE, 1, "accepts 9999-12-31", "\"9999-12-31\"" },
	{ FIELD_DATE, 1, "accepts 2000-02-29", "\"2000-02-29\"" },
	{ FIELD_DATE, 0, "refuses 2019-02-29", "\"2019-02-29\"" },
	{ FIELD_DATE, 0, "refuses 1900-02-29", "\"1900-02-29\"" },
	{ FIELD_TIME, 1, "accepts 2026-11-30T23:59:59Z",
	    "\"2026-11-30T23:59:59Z\"" },
	{ FIELD_TIME, 1, "accepts 0001-01-01T00:00:00Z",
	    "\"0001-01-01T00:00:00Z\"" },
	{ FIELD_TIME, 0, "refuses hour 24", "\"2026-11-30T24:00:00Z\"" },
	{ FIELD_TIME, 0, "refuses a time without Z",
	    "\"2026-11-30T23:59:59\"" },
	{ FIELD_TIME, 0, "refuses minute 60", "\"2026-11-30T23:60:00Z\"" },
	{ FIELD_TIME, 0, "refuses a date alone", "\"2026-11-30\"" },
	{ FIELD_TIME, 0, "refuses 2019-02-29T00:00:00Z",
	    "\"2019-02-29T00:00:00Z\"" },
};

/* A JSON string: head, then unit as often as fits in bytes in all. */
static void
fill(char *out, const char *head, const char *unit, size_t bytes)
{
	size_t n = strlen(head), u = strlen(unit);

	out[0] = '"';
	memcpy(out + 1, head, n);
	for (; n + u <= bytes; n += u)
		memcpy(out + 1 + n, unit, u);
	out[1 + n] = '"';
	out[2 + n] = '\0';
}

static void
edges_init(void)
{
	snprintf(id_max, sizeof(id_max), "\"%" PRId64 "\"",
	    (int64_t)CONTRACT_ID_MAX);
	snprintf(id_over, sizeof(id_over), "\"%" PRIu64 "\"",
	    (uint64_t)CONTRACT_ID_MAX + 1);
	snprintf(cents_max, sizeof(cents_max), "%lld", CONTRACT_CENTS_MAX);
	snprintf(cents_over, sizeof(cents_over), "%lld",
	    CONTRACT_CENTS_MAX + 1);
	fill(text_max, "", "a", CONTRACT_TEXT_MAX);
	/* U+1F600, then U+00E9 to the end: 4 + 2 * 98 bytes. */
	fill(text_utf8, "\xf0\x9f\x98\x80", "\xc3\xa9", CONTRACT_TEXT_MAX);
	fill(text_over, "", "a", CONTRACT_TEXT_MAX + 1);
	/* "a", then 50 of U+1F600: the last one ends one byte too far. */
	fill(text_split, "a", "\xf0\x9f\x98\x80", CONTRACT_TEXT_MAX + 1);
	fill(user_max, "", "u", CONTRACT_USER_MAX);
	fill(user_over, "", "u", CONTRACT_USER_MAX + 1);
	/* Lest a slip in fill() make the edges below vacuous. */
	CHECK("the edge texts have the lengths they are named for",
	    strlen(text_max) == CONTRACT_TEXT_MAX + 2 &&
	    strlen(text_utf8) == CONTRACT_TEXT_MAX + 2 &&
	    strlen(text_over) == CONTRACT_TEXT_MAX + 3 &&
	    strlen(text_split) == CONTRACT_TEXT_MAX + 3 &&
	    strlen(user_max) == CONTRACT_USER_MAX + 2 &&
	    strlen(user_over) == CONTRACT_USER_MAX + 3);
}

/* Accepted as the edge says; an id's or cents' value is the text's, exactly. */
static int
edge_holds(const struct edge *e, const struct contract_field *f)
{
	char json[JSON_MAX];
	struct decode_error err;
	struct event_value v;
	json_object *o;
	int rc, ok;

	snprintf(json, sizeof(json), "{\"%s\":%s}", f->name, e->json);
	/* The body itself must pass: the field's decoder is under test. */
	if ((o = decode_body("payload", json, strlen(json), &err)) == NULL)
		return 0;
	rc = event_field_decode(o, f, &v, &err);
	if (!e->ok)
		ok = rc == -1;
	else if (f->kind == FIELD_ID)
		ok = rc == 0 && v.num == strtoll(e->json + 1, NULL, 10);
	else if (f->kind == FIELD_CENTS)
		ok = rc == 0 && v.num == strtoll(e->json, NULL, 10);
	else
		ok = rc == 0 && v.text != NULL;
	json_object_put(o);
	return ok;
}

static void
test_edges(enum event_type t)
{
	const struct event_spec *spec = &contract_events[t];
	char name[NAME_MAX_LEN];
	size_t i, j;

	for (i = 0; i < spec->nfields; i++)
		for (j = 0; j < sizeof(edges) / sizeof(edges[0]); j++) {
			if (edges[j].kind != spec->fields[i].kind)
				continue;
			snprintf(name, sizeof(name), "%s.%s %s", spec->name,
			    spec->fields[i].name, edges[j].what);
			CHECK(name, edge_holds(&edges[j], &spec->fields[i]));
		}
}

/* The bounds table that config, setup and contract_lua all read. */
static void
test_bounds(void)
{
	const struct bound_spec *b;
	struct config cfg;
	int i, ok = 1;

	for (i = 0; i < CONTRACT_BOUNDS; i++) {
		b = &contract_bounds[i];
		ok = ok && strncmp(b->env, "LIMIT_", 6) == 0 &&
		    filled(b->field) && b->fallback >= 1 &&
		    b->fallback <= b->max && b->max <= CONTRACT_CENTS_MAX;
	}
	CHECK("every bound has a LIMIT_ variable, a field, and 1 <= default "
	    "<= max <= 2^53-1", ok);
	unsetenv("LIMIT_INVOICES_PER_CUSTOMER");
	setenv("LIMIT_CUSTOMERS_PER_ACCOUNT", "7", 1);
	CHECK("a LIMIT_ variable sets its bound; an unset one is the default",
	    config_load(&cfg) == 0 &&
	    cfg.limits[BOUND_CUSTOMERS_PER_ACCOUNT] == 7 &&
	    cfg.limits[BOUND_INVOICES_PER_CUSTOMER] ==
	    contract_bounds[BOUND_INVOICES_PER_CUSTOMER].fallback);
	setenv("LIMIT_CUSTOMERS_PER_ACCOUNT", "0", 1);
	CHECK("a bound of 0 is refused", config_load(&cfg) == -1);
	unsetenv("LIMIT_CUSTOMERS_PER_ACCOUNT");
}

void
test_contract(void)
{
	int t;

	for (t = 0; t < EVENT_TYPES; t++)
		test_event_spec((enum event_type)t);
	test_type_names();
	test_tables();
	test_bounds();
	edges_init();
	for (t = 0; t < EVENT_TYPES; t++)
		test_edges((enum event_type)t);
}
