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

/* 0 and *out, -1 if the field is refused, -2 if the body is. */
static int
cents(const char *text, int64_t *out)
{
	struct decode_error err;
	json_object *o = decode_body("body", text, strlen(text), &err);
	static const struct contract_field c = { "c", FIELD_CENTS, FROM_REQUEST };
	struct event_value v = { 0, NULL };
	int rc = o != NULL ? event_field_decode(o, &c, &v, &err) : -2;

	*out = v.num;
	json_object_put(o);
	return rc;
}

/* The refusal's message for a cents value. */
static const char *
cents_refusal(const char *text)
{
	static struct decode_error err;
	static const struct contract_field c = { "c", FIELD_CENTS, FROM_REQUEST };
	struct event_value v;
	json_object *o = decode_body("body", text, strlen(text), &err);

	if (o != NULL && event_field_decode(o, &c, &v, &err) == 0)
		err.msg[0] = '\0';
	json_object_put(o);
	return err.msg;
}

static void
test_ids(void)
{
	uint64_t id;

	CHECK("id \"7\" is 7", id_parse("7", &id) == 0 && id == 7);
	CHECK("id 9223372036854775807 (INT64_MAX) is accepted",
	    id_parse("9223372036854775807", &id) == 0);
	CHECK("id 9223372036854775808 (INT64_MAX + 1) is refused",
	    id_parse("9223372036854775808", &id) == -1);
	CHECK("an id with a leading zero is refused",
	    id_parse("07", &id) == -1);
	CHECK("id 0 is refused", id_parse("0", &id) == -1);
	CHECK("an empty id is refused", id_parse("", &id) == -1);
	CHECK("an id with a plus sign is refused", id_parse("+7", &id) == -1);
	CHECK("an id with a trailing space is refused",
	    id_parse("7 ", &id) == -1);
	CHECK("an id in exponent notation is refused",
	    id_parse("1e3", &id) == -1);
	CHECK("a NULL id is refused", id_parse(NULL, &id) == -1);
}

static void
test_dates(void)
{
	CHECK("2019-01-06 is a date", date_valid("2019-01-06"));
	CHECK("2020-02-29 is a date (leap year)", date_valid("2020-02-29"));
	CHECK("2000-02-29 is a date (leap century)",
	    date_valid("2000-02-29"));
	CHECK("1900-02-29 is not a date (a century, not leap)",
	    !date_valid("1900-02-29"));
	CHECK("2019-02-29 is not a date", !date_valid("2019-02-29"));
	CHECK("2019-04-31 is not a date", !date_valid("2019-04-31"));
	CHECK("month 13 is not a date", !date_valid("2019-13-01"));
	CHECK("month 00 is not a date", !date_valid("2019-00-10"));
	CHECK("year 0000 is not a date", !date_valid("0000-01-01"));
	CHECK("a one-digit month is not a date", !date_valid("2019-1-06"));
	CHECK("a date with a time is not a date",
	    !date_valid("2019-01-06T00:00:00Z"));
	CHECK("a date with slashes is not a date", !date_valid("2019/01/06"));
}

static void
test_texts(void)
{
	char big[CONTRACT_TEXT_MAX + 2];

	CHECK("plain text is valid", text_ok("John Adams"));
	CHECK("quotes, percent signs and SQL are valid text",
	    text_ok("O'Brien \"quoted\" 100% ; DROP TABLE customers; --"));
	CHECK("2-, 3- and 4-byte UTF-8 is valid text",
	    text_ok("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"));	/* é € 😀 */
	CHECK("empty text is refused", !text_ok(""));
	CHECK("a tab is refused in text", !text_ok("tab\there"));
	CHECK("DEL is refused in text", !text_ok("\x7f"));
	CHECK("a C1 control (NEL) is refused in text", !text_ok("\xc2\x85"));
	CHECK("an overlong '/' is refused in text", !text_ok("\xc0\xaf"));
	CHECK("a surrogate is refused in text", !text_ok("\xed\xa0\x80"));
	CHECK("a code point past U+10FFFF is refused in text",
	    !text_ok("\xf4\x90\x80\x80"));
	CHECK("a truncated UTF-8 sequence is refused in text",
	    !text_ok("\xe2\x82"));
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	CHECK("text of CONTRACT_TEXT_MAX + 1 bytes is refused", !text_ok(big));
	big[CONTRACT_TEXT_MAX] = '\0';
	CHECK("text of CONTRACT_TEXT_MAX bytes is valid", text_ok(big));
}

static void
test_bodies(void)
{
	CHECK("{} is a body", body_ok("{}"));
	CHECK("{\"a\":1} is a body", body_ok("{\"a\":1}"));
	CHECK("an empty body is refused", !body_ok(""));
	CHECK("an array body is refused", !body_ok("[]"));
	CHECK("a string body is refused", !body_ok("\"s\""));
	CHECK("trailing text after the object is refused",
	    !body_ok("{\"a\":1} x"));
	CHECK("two objects in one body are refused", !body_ok("{\"a\":1}{}"));
	/* json-c 0.16 accepts single-quoted strings even when strict; harmless. */
	CHECK("a trailing comma is refused", !body_ok("{\"a\":1,}"));
	CHECK("invalid UTF-8 in a string is refused",
	    !body_ok("{\"a\":\"\xff\"}"));
	CHECK("a truncated body is refused", !body_ok("{\"a\":"));
	/* Duplicate keys, also when spelled differently. */
	CHECK("a duplicate key is refused", !body_ok("{\"a\":1,\"a\":2}"));
	CHECK("a duplicate key spelled \\u0061 is refused",
	    !body_ok("{\"a\":1,\"\\u0061\":2}"));
	CHECK("colons and commas inside strings and nested objects pass",
	    body_ok("{\"a\":\"x:y\",\"b\":{\"c\":1,\"d\":2}}"));
	CHECK("an escaped quote inside a string passes",
	    body_ok("{\"a\":\"\\\"\",\"b\":1}"));
	/* Numbers json-c would read as 0. */
	CHECK("-0 is refused", !body_ok("{\"a\":-0}"));
	CHECK("00 is refused", !body_ok("{\"a\":00}"));
	CHECK("-012 is refused", !body_ok("{\"a\":-012}"));
	CHECK("-0 inside an array is refused", !body_ok("{\"a\":[1,-0]}"));
	CHECK("0, -0.5, 10, 1e-05 and -1 are numbers",
	    body_ok("{\"a\":0,\"b\":-0.5,\"c\":10,\"d\":1e-05,\"e\":-1}"));
	CHECK("\"-0\" as a string passes", body_ok("{\"a\":\"-0\"}"));
	/* Depth: flat bodies only need a little. */
	CHECK("nesting 7 deep passes", body_ok("{\"a\":[[[[[[1]]]]]]}"));
	CHECK("nesting 13 deep is refused",
	    !body_ok("{\"a\":[[[[[[[[[[[[1]]]]]]]]]]]]}"));
}

static void
test_cents(void)
{
	int64_t c;

	CHECK("cents 0 is 0", cents("{\"c\":0}", &c) == 0 && c == 0);
	CHECK("cents 10000 is 10000",
	    cents("{\"c\":10000}", &c) == 0 && c == 10000);
	CHECK("cents 9007199254740991 (2^53-1) is accepted",
	    cents("{\"c\":9007199254740991}", &c) == 0);
	CHECK("cents 9007199254740992 (2^53) is refused",
	    cents("{\"c\":9007199254740992}", &c) == -1);
	CHECK("cents past INT64_MAX are refused, not clamped",
	    cents("{\"c\":99999999999999999999999}", &c) == -1);
	CHECK("cents -1 is refused", cents("{\"c\":-1}", &c) == -1);
	CHECK("cents -0 is refused with the body",
	    cents("{\"c\":-0}", &c) == -2);
	CHECK("cents 9007199254740993 is refused",
	    cents("{\"c\":9007199254740993}", &c) == -1);
	CHECK("cents 1.5 is refused", cents("{\"c\":1.5}", &c) == -1);
	CHECK("cents 1e308 is refused", cents("{\"c\":1e308}", &c) == -1);
	CHECK("cents as a string are refused",
	    cents("{\"c\":\"100\"}", &c) == -1);
	CHECK("cents true is refused", cents("{\"c\":true}", &c) == -1);
	CHECK("cents null is refused", cents("{\"c\":null}", &c) == -1);
	CHECK("missing cents are refused", cents("{}", &c) == -1);
	CHECK("the refusal states the limit as a JSON number, without C's LL",
	    strcmp(cents_refusal("{\"c\":9007199254740992}"),
	    "c: must be an integer from 0 to 9007199254740991") == 0);
}

void
test_decode(void)
{
	test_ids();
	test_dates();
	test_texts();
	test_bodies();
	test_cents();
}
