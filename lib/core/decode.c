#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "contract.h"
#include "decode.h"

#define STR(x)	STR_(x)
#define STR_(x)	#x

int
decode_fail(struct decode_error *err, const char *key, const char *what)
{
	err->no_memory = 0;
	if (key != NULL)
		snprintf(err->msg, sizeof(err->msg), "%s: %s", key, what);
	else
		snprintf(err->msg, sizeof(err->msg), "%s", what);
	return -1;
}

/*
 * A second look at a text json-c has already accepted.  json-c 0.16
 * keeps the last of duplicate keys without a word, and reads "-0" and
 * "00" as the integer 0, dropping their text; neither can be asked of
 * it afterwards.  This walk only tracks strings and nesting, trusting
 * json-c for the rest of the grammar: it counts the top-level members
 * (one ':' each) and refuses integers with a minus zero or leading zeros.
 * Returns the member count, or -1.
 */
static int
number_char(char c)
{
	return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' ||
	    c == 'e' || c == 'E';
}

/* The number starting at *i: no leading zero, no integer -0.  Moves *i to its last character. */
static int
number_ok(const char *s, size_t len, size_t *i)
{
	size_t j = *i, start = *i;
	int minus = s[j] == '-';

	if (minus)
		j++;
	if (j < len && s[j] == '0') {
		if (j + 1 < len && s[j + 1] >= '0' && s[j + 1] <= '9')
			return 0;
		if (minus && (j + 1 >= len || (s[j + 1] != '.' &&
		    s[j + 1] != 'e' && s[j + 1] != 'E')))
			return 0;
	}
	for (j = start; j + 1 < len && number_char(s[j + 1]); j++)
		;
	*i = j;
	return 1;
}

static int
raw_members(const char *s, size_t len)
{
	size_t i;
	int depth = 0, members = 0, in_string = 0;

	for (i = 0; i < len; i++) {
		if (in_string) {
			if (s[i] == '\\')
				i++;
			else if (s[i] == '"')
				in_string = 0;
			continue;
		}
		switch (s[i]) {
		case '"':
			in_string = 1;
			break;
		case '{':
		case '[':
			depth++;
			break;
		case '}':
		case ']':
			depth--;
			break;
		case ':':
			if (depth == 1)
				members++;
			break;
		default:
			if ((s[i] == '-' || (s[i] >= '0' && s[i] <= '9')) &&
			    !number_ok(s, len, &i))
				return -1;
			break;
		}
	}
	return members;
}

/*
 * One tokener for the process, reset for each text: every program is
 * single-threaded, and a new tokener per text cost the worker about 5 %
 * of a catch-up (make bench).  It lives as long as the process.
 */
static json_tokener *
tokener(void)
{
	static json_tokener *tok;

	if (tok == NULL && (tok = json_tokener_new_ex(DECODE_DEPTH_MAX)) !=
	    NULL)
		json_tokener_set_flags(tok,
		    JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	if (tok != NULL)
		json_tokener_reset(tok);
	return tok;
}

json_object *
decode_body(const char *what, const char *body, size_t len,
    struct decode_error *err)
{
	json_tokener *tok;
	json_object *obj = NULL;
	int members;

	if (len == 0) {
		decode_fail(err, what, "must be a JSON object");
		return NULL;
	}
	/* Our bodies are flat objects: no need for json-c's depth of 32. */
	if (len > INT32_MAX || (tok = tokener()) == NULL) {
		decode_fail(err, NULL, "out of memory");
		err->no_memory = 1;
		return NULL;
	}
	obj = json_tokener_parse_ex(tok, body, (int)len);
	if (obj == NULL || json_tokener_get_error(tok) != json_tokener_success ||
	    json_tokener_get_parse_end(tok) != len) {
		decode_fail(err, what, json_tokener_get_error(tok) ==
		    json_tokener_error_depth ? "nested too deeply" :
		    "not valid JSON");
		goto bad;
	}
	if (!json_object_is_type(obj, json_type_object)) {
		decode_fail(err, what, "must be a JSON object");
		goto bad;
	}
	if ((members = raw_members(body, len)) == -1) {
		decode_fail(err, what, "has a number with a leading zero or -0");
		goto bad;
	}
	if (members != json_object_object_length(obj)) {
		decode_fail(err, what, "has a duplicate key");
		goto bad;
	}
	return obj;
bad:
	json_object_put(obj);
	return NULL;
}

/* The member named key in any case, and how many members are so named. */
static json_object *
member_folded(json_object *obj, const char *key, int *count)
{
	json_object *found = NULL;

	*count = 0;
	json_object_object_foreach(obj, k, val) {
		if (strcasecmp(k, key) == 0) {
			found = val;
			(*count)++;
		}
	}
	return found;
}

json_object *
decode_member(json_object *obj, const char *key, int fold_case)
{
	json_object *v = NULL;
	int count;

	if (!fold_case) {
		json_object_object_get_ex(obj, key, &v);
		return v;
	}
	v = member_folded(obj, key, &count);
	return count == 1 ? v : NULL;
}

/*
 * Hand-written because no small Debian library offers a plain UTF-8
 * check; json-c validates its input bytes, but \u escapes (lone
 * surrogates) can still decode to ill-formed sequences.  Overlongs,
 * surrogates and code points past U+10FFFF are refused, and so are
 * control characters: names are shown to people.
 */
int
text_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	const unsigned char *end = p + len;
	unsigned int cp;
	int n, i;

	if (len == 0 || len > CONTRACT_TEXT_MAX)
		return 0;
	while (p < end) {
		if (*p < 0x80) {
			if (*p < 0x20 || *p == 0x7f)
				return 0;
			p++;
			continue;
		}
		if (*p >= 0xc2 && *p <= 0xdf) {
			n = 1;
			cp = *p & 0x1f;
		} else if (*p >= 0xe0 && *p <= 0xef) {
			n = 2;
			cp = *p & 0x0f;
		} else if (*p >= 0xf0 && *p <= 0xf4) {
			n = 3;
			cp = *p & 0x07;
		} else
			return 0;
		if (end - p <= n)
			return 0;
		for (i = 1; i <= n; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (p[i] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff ||
		    (cp >= 0x80 && cp <= 0x9f))
			return 0;
		p += n + 1;
	}
	return 1;
}

/* Canonical decimal ids only: "7", never "07", "+7" or " 7". */
int
id_parse(const char *s, uint64_t *out)
{
	uint64_t n = 0;
	const char *p;

	if (s == NULL || *s < '1' || *s > '9')
		return -1;
	for (p = s; *p != '\0'; p++) {
		if (*p < '0' || *p > '9' || p - s >= CONTRACT_ID_DIGITS)
			return -1;
		if (n > ((uint64_t)INT64_MAX - (uint64_t)(*p - '0')) / 10)
			return -1;
		n = n * 10 + (uint64_t)(*p - '0');
	}
	*out = n;
	return 0;
}

static int
digits(const char *s, int n)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* The first 10 characters of s are a calendar date, YYYY-MM-DD. */
static int
date_prefix_valid(const char *s)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };
	int y, m, d, leap, max;

	if (s[4] != '-' || s[7] != '-')
		return 0;
	if ((y = digits(s, 4)) < 1 || (m = digits(s + 5, 2)) < 1 || m > 12 ||
	    (d = digits(s + 8, 2)) < 1)
		return 0;
	leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	max = mdays[m - 1] + (m == 2 && leap);
	return d <= max;
}

int
date_valid(const char *s)
{
	return s != NULL && strlen(s) == 10 && date_prefix_valid(s);
}

/* "2026-11-30T12:00:00Z", as the command side stamps created_date. */
int
time_valid(const char *s)
{
	int h, m, sec;

	if (s == NULL || strlen(s) != 20 || !date_prefix_valid(s) ||
	    s[10] != 'T' || s[13] != ':' || s[16] != ':' || s[19] != 'Z')
		return 0;
	h = digits(s + 11, 2);
	m = digits(s + 14, 2);
	sec = digits(s + 17, 2);
	return h >= 0 && h <= 23 && m >= 0 && m <= 59 && sec >= 0 && sec <= 59;
}

int
user_name_valid(const char *s)
{
	size_t i, len;

	if (s == NULL || (len = strlen(s)) == 0 || len > CONTRACT_USER_MAX)
		return 0;
	for (i = 0; i < len; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

int
decode_text(json_object *obj, const char *key, int fold_case,
    const char **out, struct decode_error *err)
{
	json_object *v;
	const char *s;
	int len, count = 1;

	v = fold_case ? member_folded(obj, key, &count) :
	    decode_member(obj, key, 0);
	/* {"username":"a","USERNAME":"b"}: which is meant cannot be told. */
	if (count > 1)
		return decode_fail(err, key, "is given twice, in different cases");
	if (v == NULL)
		return decode_fail(err, key, "is required");
	if (!json_object_is_type(v, json_type_string))
		return decode_fail(err, key, "must be a string");
	s = json_object_get_string(v);
	len = json_object_get_string_len(v);
	if (len == 0)
		return decode_fail(err, key, "must not be empty");
	if (len > CONTRACT_TEXT_MAX)
		return decode_fail(err, key,
		    "must be at most " STR(CONTRACT_TEXT_MAX) " bytes");
	if (strlen(s) != (size_t)len || !text_valid(s, (size_t)len))
		return decode_fail(err, key,
		    "must be valid UTF-8 without control characters");
	*out = s;
	return 0;
}
