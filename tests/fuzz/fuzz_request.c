/*
 * Everything a request's bytes reach before a handler runs: the JSON
 * body and each field decoder the services use, and the Authorization
 * header check.
 */
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "fuzz.h"
#include "token.h"

static void
fields(json_object *o)
{
	struct decode_error err;
	const char *s;
	uint64_t id;
	int64_t cents;

	decode_text(o, "name", 0, &s, &err);
	decode_text(o, "description", 0, &s, &err);
	decode_text(o, "username", 1, &s, &err);
	decode_id(o, "account_id", &id, &err);
	decode_id(o, "customer_id", &id, &err);
	decode_date(o, "purchase_date", &s, &err);
	decode_cents(o, "purchase_price_cents", &cents, &err);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct token_key key = { "0123456789abcdef0123456789abcdef",
	    32 };
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
	token_verify_header(&key, NULL, text, user);
	free(text);
	return 0;
}
