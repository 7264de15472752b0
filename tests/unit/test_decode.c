#include <string.h>

#include "check.h"
#include "event.h"

static int
body_ok(const char *text)
{
	struct decode_error err;
	json_object *o = decode_body("body", text, strlen(text), &err);
	int ok = o != NULL;

	json_object_put(o);
	return ok;
}

static int
text_ok(const char *s)
{
	return text_valid(s, strlen(s));
}

static int
cents(const char *text, int64_t *out)
{
	struct decode_error err;
	json_object *o = decode_body("body", text, strlen(text), &err);
	static const struct contract_field c = { "c", FIELD_CENTS, FROM_REQUEST };
	struct event_value v;
	int rc = o != NULL ? event_field_decode(o, &c, &v, &err) : -2;

	*out = v.num;

	json_object_put(o);
	return rc;
}

void
test_decode(void)
{
	uint64_t id;
	int64_t c;
	char big[CONTRACT_TEXT_MAX + 2];

	CHECK(id_parse("7", &id) == 0 && id == 7);
	CHECK(id_parse("9223372036854775807", &id) == 0);
	CHECK(id_parse("9223372036854775808", &id) == -1);
	CHECK(id_parse("07", &id) == -1);
	CHECK(id_parse("0", &id) == -1);
	CHECK(id_parse("", &id) == -1);
	CHECK(id_parse("+7", &id) == -1);
	CHECK(id_parse("7 ", &id) == -1);
	CHECK(id_parse("1e3", &id) == -1);
	CHECK(id_parse(NULL, &id) == -1);

	CHECK(date_valid("2019-01-06"));
	CHECK(date_valid("2020-02-29"));
	CHECK(date_valid("2000-02-29"));
	CHECK(!date_valid("1900-02-29"));
	CHECK(!date_valid("2019-02-29"));
	CHECK(!date_valid("2019-04-31"));
	CHECK(!date_valid("2019-13-01"));
	CHECK(!date_valid("2019-00-10"));
	CHECK(!date_valid("0000-01-01"));
	CHECK(!date_valid("2019-1-06"));
	CHECK(!date_valid("2019-01-06T00:00:00Z"));
	CHECK(!date_valid("2019/01/06"));

	CHECK(text_ok("John Adams"));
	CHECK(text_ok("O'Brien \"quoted\" 100% ; DROP TABLE customers; --"));
	CHECK(text_ok("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"));	/* é € 😀 */
	CHECK(!text_ok(""));
	CHECK(!text_ok("tab\there"));
	CHECK(!text_ok("\x7f"));
	CHECK(!text_ok("\xc2\x85"));		/* C1 control, NEL */
	CHECK(!text_ok("\xc0\xaf"));		/* overlong '/' */
	CHECK(!text_ok("\xed\xa0\x80"));	/* surrogate */
	CHECK(!text_ok("\xf4\x90\x80\x80"));	/* past U+10FFFF */
	CHECK(!text_ok("\xe2\x82"));		/* truncated */
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	CHECK(!text_ok(big));
	big[CONTRACT_TEXT_MAX] = '\0';
	CHECK(text_ok(big));

	CHECK(body_ok("{}"));
	CHECK(body_ok("{\"a\":1}"));
	CHECK(!body_ok(""));
	CHECK(!body_ok("[]"));
	CHECK(!body_ok("\"s\""));
	CHECK(!body_ok("{\"a\":1} x"));
	CHECK(!body_ok("{\"a\":1}{}"));
	/* json-c 0.16 accepts single-quoted strings even when strict; harmless. */
	CHECK(!body_ok("{\"a\":1,}"));
	CHECK(!body_ok("{\"a\":\"\xff\"}"));
	CHECK(!body_ok("{\"a\":"));
	/* Duplicate keys, also when spelled differently. */
	CHECK(!body_ok("{\"a\":1,\"a\":2}"));
	CHECK(!body_ok("{\"a\":1,\"\\u0061\":2}"));
	CHECK(body_ok("{\"a\":\"x:y\",\"b\":{\"c\":1,\"d\":2}}"));
	CHECK(body_ok("{\"a\":\"\\\"\",\"b\":1}"));
	/* Numbers json-c would read as 0. */
	CHECK(!body_ok("{\"a\":-0}"));
	CHECK(!body_ok("{\"a\":00}"));
	CHECK(!body_ok("{\"a\":-012}"));
	CHECK(!body_ok("{\"a\":[1,-0]}"));
	CHECK(body_ok("{\"a\":0,\"b\":-0.5,\"c\":10,\"d\":1e-05,\"e\":-1}"));
	CHECK(body_ok("{\"a\":\"-0\"}"));
	/* Depth: flat bodies only need a little. */
	CHECK(body_ok("{\"a\":[[[[[[1]]]]]]}"));
	CHECK(!body_ok("{\"a\":[[[[[[[[[[[[1]]]]]]]]]]]]}"));

	CHECK(cents("{\"c\":0}", &c) == 0 && c == 0);
	CHECK(cents("{\"c\":10000}", &c) == 0 && c == 10000);
	CHECK(cents("{\"c\":9007199254740991}", &c) == 0);
	CHECK(cents("{\"c\":9007199254740992}", &c) == -1);
	CHECK(cents("{\"c\":99999999999999999999999}", &c) == -1);
	CHECK(cents("{\"c\":-1}", &c) == -1);
	CHECK(cents("{\"c\":-0}", &c) == -2);
	CHECK(cents("{\"c\":9007199254740993}", &c) == -1);
	CHECK(cents("{\"c\":1.5}", &c) == -1);
	CHECK(cents("{\"c\":1e308}", &c) == -1);
	CHECK(cents("{\"c\":\"100\"}", &c) == -1);
	CHECK(cents("{\"c\":true}", &c) == -1);
	CHECK(cents("{\"c\":null}", &c) == -1);
	CHECK(cents("{}", &c) == -1);
}
