/*
 * A token's header and claims, decoded from its own bytes with the
 * strict decoder (no duplicate keys, no reshaped numbers) and checked
 * one by one; the signature is libjwt's (token.c).  Anything unknown is
 * refused rather than ignored: a header member may change how the token
 * must be read (crit, kid, jku), and this issuer writes no other claim.
 */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "decode.h"
#include "token.h"

#define SEGMENT_MAX	2048	/* decoded bytes of a header or payload */

/* Segment n (0, 1) of a.b.c, base64url without padding, as JSON. */
static json_object *
segment_json(const char *tok, int n)
{
	unsigned char bin[SEGMENT_MAX];
	struct decode_error err;
	const char *start = tok, *end;
	size_t len;

	for (; n > 0; n--)
		if ((start = strchr(start, '.')) == NULL)
			return NULL;
		else
			start++;
	if ((end = strchr(start, '.')) == NULL ||
	    sodium_base642bin(bin, sizeof(bin), start, (size_t)(end - start),
	    NULL, &len, NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
		return NULL;
	return decode_body("token", (const char *)bin, len, &err);
}

/* {"alg":"HS256"} or {"alg":"HS256","typ":"JWT"}, byte for byte. */
static int
header_ok(json_object *h)
{
	json_object *alg, *typ;
	int n = json_object_object_length(h);

	if (!json_object_object_get_ex(h, "alg", &alg) ||
	    !json_object_is_type(alg, json_type_string) ||
	    strcmp(json_object_get_string(alg), "HS256") != 0)
		return 0;
	if (n == 1)
		return 1;
	return n == 2 && json_object_object_get_ex(h, "typ", &typ) &&
	    json_object_is_type(typ, json_type_string) &&
	    strcmp(json_object_get_string(typ), "JWT") == 0;
}

/* An integer claim; 1 present, 0 absent, -1 not an integer. */
static int
time_claim(json_object *p, const char *name, int64_t *out)
{
	json_object *v;

	if (!json_object_object_get_ex(p, name, &v))
		return 0;
	if (!json_object_is_type(v, json_type_int))
		return -1;
	*out = json_object_get_int64(v);
	return 1;
}

/* Only the claims this issuer writes, and nbf. */
static int
claims_known(json_object *p)
{
	static const char *const known[] = { "sub", "username", "iat", "exp",
	    "nbf" };
	size_t i;

	json_object_object_foreach(p, k, v) {
		(void)v;
		for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
			if (strcmp(k, known[i]) == 0)
				break;
		if (i == sizeof(known) / sizeof(known[0]))
			return 0;
	}
	return 1;
}

static int
claims_ok(json_object *p, int ttl, time_t now, struct token_claims *out)
{
	json_object *name, *sub;
	int64_t nbf;
	int has_nbf;

	if (!claims_known(p) ||
	    !json_object_object_get_ex(p, "username", &name) ||
	    !json_object_is_type(name, json_type_string) ||
	    !user_name_valid(json_object_get_string(name)))
		return 0;
	/* sub, when there, names the same user. */
	if (json_object_object_get_ex(p, "sub", &sub) &&
	    (!json_object_is_type(sub, json_type_string) ||
	    strcmp(json_object_get_string(sub),
	    json_object_get_string(name)) != 0))
		return 0;
	if (time_claim(p, "iat", &out->iat) != 1 ||
	    time_claim(p, "exp", &out->exp) != 1 ||
	    (has_nbf = time_claim(p, "nbf", &nbf)) == -1)
		return 0;
	/* In this order, no sum overflows: iat is at most now + skew before
	 * ttl is added to it (exp - iat could: a token at the ends of int64
	 * is anyone's to send). */
	if (out->iat > now + TOKEN_SKEW || (has_nbf && nbf > now + TOKEN_SKEW) ||
	    out->exp <= now || out->exp <= out->iat ||
	    out->exp > out->iat + ttl)
		return 0;
	snprintf(out->user, sizeof(out->user), "%s",
	    json_object_get_string(name));
	return 1;
}

int
token_claims_check(const char *tok, int ttl, time_t now,
    struct token_claims *out)
{
	json_object *h = NULL, *p = NULL;
	int ok;

	ok = (h = segment_json(tok, 0)) != NULL && header_ok(h) &&
	    (p = segment_json(tok, 1)) != NULL && claims_ok(p, ttl, now, out);
	json_object_put(h);
	json_object_put(p);
	return ok ? 0 : -1;
}
