#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "decode.h"

static int
fail(struct decode_error *err, int status, const char *key, const char *what)
{
	err->status = status;
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
		fail(err, 400, what, "must be a JSON object");
		return NULL;
	}
	/* Our bodies are flat objects: no need for json-c's depth of 32. */
	if (len > INT32_MAX || (tok = tokener()) == NULL) {
		fail(err, 500, NULL, "out of memory");
		return NULL;
	}
	obj = json_tokener_parse_ex(tok, body, (int)len);
	if (obj == NULL || json_tokener_get_error(tok) != json_tokener_success ||
	    json_tokener_get_parse_end(tok) != len) {
		fail(err, 400, what, json_tokener_get_error(tok) ==
		    json_tokener_error_depth ? "nested too deeply" :
		    "not valid JSON");
		goto bad;
	}
	if (!json_object_is_type(obj, json_type_object)) {
		fail(err, 400, what, "must be a JSON object");
		goto bad;
	}
	if ((members = raw_members(body, len)) == -1) {
		fail(err, 400, what, "has a number with a leading zero or -0");
		goto bad;
	}
	if (members != json_object_object_length(obj)) {
		fail(err, 400, what, "has a duplicate key");
		goto bad;
	}
	return obj;
bad:
	json_object_put(obj);
	return NULL;
}

json_object *
decode_member(json_object *obj, const char *key, int fold_case)
{
	json_object *v = NULL;

	if (!fold_case) {
		json_object_object_get_ex(obj, key, &v);
		return v;
	}
	json_object_object_foreach(obj, k, val) {
		if (strcasecmp(k, key) == 0)
			return val;
	}
	return NULL;
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

	if (len == 0 || len > DECODE_TEXT_MAX)
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
		if (*p < '0' || *p > '9' || p - s >= DECODE_ID_MAX - 1)
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

int
date_valid(const char *s)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };
	int y, m, d, leap, max;

	if (s == NULL || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return 0;
	if ((y = digits(s, 4)) < 1 || (m = digits(s + 5, 2)) < 1 || m > 12 ||
	    (d = digits(s + 8, 2)) < 1)
		return 0;
	leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	max = mdays[m - 1] + (m == 2 && leap);
	return d <= max;
}

int
decode_text(json_object *obj, const char *key, int fold_case,
    const char **out, struct decode_error *err)
{
	json_object *v = decode_member(obj, key, fold_case);
	const char *s;
	int len;

	if (v == NULL)
		return fail(err, 400, key, "is required");
	if (!json_object_is_type(v, json_type_string))
		return fail(err, 400, key, "must be a string");
	s = json_object_get_string(v);
	len = json_object_get_string_len(v);
	if (len == 0)
		return fail(err, 400, key, "must not be empty");
	if (len > DECODE_TEXT_MAX)
		return fail(err, 400, key, "must be at most 200 bytes");
	if (strlen(s) != (size_t)len || !text_valid(s, (size_t)len))
		return fail(err, 400, key,
		    "must be valid UTF-8 without control characters");
	*out = s;
	return 0;
}

int
decode_id(json_object *obj, const char *key, uint64_t *out,
    struct decode_error *err)
{
	json_object *v = decode_member(obj, key, 0);

	if (v == NULL)
		return fail(err, 400, key, "is required");
	if (!json_object_is_type(v, json_type_string))
		return fail(err, 400, key, "must be a string of decimal digits");
	if (id_parse(json_object_get_string(v), out) == -1)
		return fail(err, 400, key, "must be a decimal id such as \"7\"");
	return 0;
}

int
decode_date(json_object *obj, const char *key, const char **out,
    struct decode_error *err)
{
	json_object *v = decode_member(obj, key, 0);

	if (v == NULL)
		return fail(err, 400, key, "is required");
	if (!json_object_is_type(v, json_type_string) ||
	    !date_valid(json_object_get_string(v)))
		return fail(err, 400, key,
		    "must be a calendar date YYYY-MM-DD");
	*out = json_object_get_string(v);
	return 0;
}

int
decode_cents(json_object *obj, const char *key, int64_t *out,
    struct decode_error *err)
{
	json_object *v = decode_member(obj, key, 0);
	int64_t n;

	if (v == NULL)
		return fail(err, 400, key, "is required");
	/* json-c parses 1.0 and 1e3 as doubles: only plain integers pass. */
	if (!json_object_is_type(v, json_type_int))
		return fail(err, 400, key, "must be an integer");
	n = json_object_get_int64(v);
	/* json-c clamps out-of-range integers to INT64_MIN/MAX. */
	if (n < 0 || n > DECODE_CENTS_MAX)
		return fail(err, 400, key,
		    "must be an integer from 0 to 9007199254740991");
	*out = n;
	return 0;
}
