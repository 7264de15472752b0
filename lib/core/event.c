#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "event.h"

static int
string_member(json_object *v, const struct contract_field *f,
    const char **out, struct decode_error *err)
{
	if (!json_object_is_type(v, json_type_string))
		return decode_fail(err, f->name, "must be a string");
	*out = json_object_get_string(v);
	/* A NUL inside would let the checks see less than the bytes stored. */
	if (strlen(*out) != (size_t)json_object_get_string_len(v))
		return decode_fail(err, f->name, "must not contain NUL");
	return 0;
}

static int
cents_member(json_object *v, const struct contract_field *f, int64_t *out,
    struct decode_error *err)
{
	char what[64];

	/* json-c parses 1.0 and 1e3 as doubles: only plain integers pass. */
	if (!json_object_is_type(v, json_type_int))
		return decode_fail(err, f->name, "must be an integer");
	*out = json_object_get_int64(v);
	/* json-c clamps out-of-range integers to INT64_MIN/MAX. */
	if (*out >= 0 && *out <= CONTRACT_CENTS_MAX)
		return 0;
	snprintf(what, sizeof(what), "must be an integer from 0 to %lld",
	    CONTRACT_CENTS_MAX);
	return decode_fail(err, f->name, what);
}

static int
checked(int ok, const struct contract_field *f, const char *what,
    struct decode_error *err)
{
	return ok ? 0 : decode_fail(err, f->name, what);
}

int
event_field_decode(json_object *obj, const struct contract_field *f,
    struct event_value *out, struct decode_error *err)
{
	json_object *v = decode_member(obj, f->name, 0);
	uint64_t id;

	memset(out, 0, sizeof(*out));
	if (v == NULL)
		return decode_fail(err, f->name, "is required");
	if (f->kind == FIELD_TEXT)
		return decode_text(obj, f->name, 0, &out->text, err);
	if (f->kind == FIELD_CENTS)
		return cents_member(v, f, &out->num, err);
	if (string_member(v, f, &out->text, err) == -1)
		return -1;
	switch (f->kind) {
	case FIELD_ID:
		if (id_parse(out->text, &id) == -1)
			return decode_fail(err, f->name,
			    "must be a decimal id such as \"7\"");
		out->num = (int64_t)id;
		return 0;
	case FIELD_USER:
		return checked(user_name_valid(out->text), f,
		    "must be a user name", err);
	case FIELD_DATE:
		return checked(date_valid(out->text), f,
		    "must be a calendar date YYYY-MM-DD", err);
	case FIELD_TIME:
		return checked(time_valid(out->text), f,
		    "must be a UTC time YYYY-MM-DDTHH:MM:SSZ", err);
	default:
		return decode_fail(err, f->name, "has no known kind");
	}
}

void
event_free(struct event *ev)
{
	json_object_put(ev->root);
	ev->root = NULL;
}

int
event_decode(enum event_type type, const char *payload, size_t len,
    struct event *ev, char *reason, size_t reasonlen)
{
	const struct event_spec *spec;
	struct decode_error err;
	size_t i;

	memset(ev, 0, sizeof(*ev));
	ev->type = type;
	if (type >= EVENT_TYPES) {
		snprintf(reason, reasonlen, "unknown event type");
		return -1;
	}
	spec = &contract_events[type];
	if ((ev->root = decode_body("payload", payload, len, &err)) == NULL)
		goto fail;
	for (i = 0; i < spec->nfields; i++)
		if (event_field_decode(ev->root, &spec->fields[i], &ev->v[i],
		    &err) == -1)
			goto fail;
	return 0;
fail:
	snprintf(reason, reasonlen, "%s", err.msg);
	return -1;
}
