/*
 * Everything a request's bytes reach before a handler runs: the JSON
 * body and each field decoder the services use, and the Authorization
 * header check.
 */
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "fuzz.h"
#include "token.h"

/* Every field of every event, decoded as the services decode a body. */
static void
fields(json_object *o)
{
	struct decode_error err;
	struct event_value v;
	const char *s;
	size_t i;
	int t;

	decode_text(o, "username", 1, &s, &err);
	for (t = 0; t < EVENT_TYPES; t++)
		for (i = 0; i < contract_events[t].nfields; i++)
			event_field_decode(o, &contract_events[t].fields[i], &v,
			    &err);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct token_key key = { "0123456789abcdef0123456789abcdef",
	    32, 900 };
	struct decode_error err;
	json_object *o;
	char *text, user[TOKEN_USER_MAX];
	uint64_t id;

	if ((o = decode_body("request body", (const char *)data, size,
	    &err)) != NULL)
		fields(o);
	json_object_put(o);
	text_valid((const char *)data, size);
	if ((text = malloc(size + 1)) == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	id_parse(text, &id);
	date_valid(text);
	time_valid(text);
	user_name_valid(text);
	token_verify_header(&key, NULL, text, user);
	free(text);
	return 0;
}
