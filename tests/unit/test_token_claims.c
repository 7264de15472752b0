/*
 * token_claims_check: the header and claims a token must have, each
 * refusal on its own, at a fixed clock.  The signature is not looked at
 * here, so the tokens are made by hand and signed with nothing.
 */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "check.h"
#include "token.h"

#define NOW	1796000000
#define TTL	900
#define HS256	"{\"alg\":\"HS256\",\"typ\":\"JWT\"}"

/* header.payload.signature, each base64url without padding. */
static const char *
token(const char *header, const char *payload)
{
	static char tok[2048];
	char h[512], p[1024];

	sodium_bin2base64(h, sizeof(h), (const unsigned char *)header,
	    strlen(header), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_bin2base64(p, sizeof(p), (const unsigned char *)payload,
	    strlen(payload), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	snprintf(tok, sizeof(tok), "%s.%s.c2ln", h, p);
	return tok;
}

static int
passes(const char *header, const char *payload)
{
	struct token_claims c;

	return token_claims_check(token(header, payload), TTL, NOW, &c) == 0;
}

static const struct {
	const char	*name;
	const char	*header;
	const char	*payload;
	int		 ok;
} cases[] = {
	{ "a token as token_issue makes it passes", HS256,
	    "{\"sub\":\"user1\",\"username\":\"user1\",\"iat\":1796000000,\"exp\":1796000900}", 1 },
	{ "alg alone, without typ, passes", "{\"alg\":\"HS256\"}",
	    "{\"username\":\"user1\",\"iat\":1796000000,\"exp\":1796000900}", 1 },
	{ "iat and nbf 60 s ahead (another host's clock) pass", HS256,
	    "{\"username\":\"user1\",\"iat\":1796000060,\"nbf\":1796000060,\"exp\":1796000900}", 1 },
	{ "alg hs256 in lower case is refused", "{\"alg\":\"hs256\",\"typ\":\"JWT\"}",
	    "{\"username\":\"user1\",\"iat\":1796000000,\"exp\":1796000900}", 0 },
	{ "alg none is refused", "{\"alg\":\"none\"}",
	    "{\"username\":\"user1\",\"iat\":1796000000,\"exp\":1796000900}", 0 },
	{ "a crit header is refused", "{\"alg\":\"HS256\",\"crit\":[\"exp\"]}",
	    "{\"username\":\"user1\",\"iat\":1796000000,\"exp\":1796000900}", 0 },
	{ "a kid header is refused", "{\"alg\":\"HS256\",\"kid\":\"k\"}",
	    "{\"username\":\"user1\",\"iat\":1796000000,\"exp\":1796000900}", 0 },
	{ "typ other than JWT is refused", "{\"alg\":\"HS256\",\"typ\":\"x\"}",
	    "{\"username\":\"user1\",\"iat\":1796000000,\"exp\":1796000900}", 0 },
	{ "alg twice in the header is refused", "{\"alg\":\"HS256\",\"alg\":\"HS256\"}",
	    "{\"username\":\"user1\",\"iat\":1796000000,\"exp\":1796000900}", 0 },
	{ "username twice is refused, whichever would win", HS256,
	    "{\"username\":\"user2\",\"username\":\"user1\",\"iat\":1796000000,\"exp\":1796000900}", 0 },
	{ "an unknown claim is refused", HS256,
	    "{\"username\":\"user1\",\"admin\":true,\"iat\":1796000000,\"exp\":1796000900}", 0 },
	{ "sub naming another user is refused", HS256,
	    "{\"sub\":\"user2\",\"username\":\"user1\",\"iat\":1796000000,\"exp\":1796000900}", 0 },
	{ "a username that is no user name is refused", HS256,
	    "{\"username\":\"user/1\",\"iat\":1796000000,\"exp\":1796000900}", 0 },
	{ "no exp is refused", HS256,
	    "{\"username\":\"user1\",\"iat\":1796000000}", 0 },
	{ "no iat is refused", HS256,
	    "{\"username\":\"user1\",\"exp\":1796000900}", 0 },
	{ "iat as a string is refused", HS256,
	    "{\"username\":\"user1\",\"iat\":\"1796000000\",\"exp\":1796000900}", 0 },
	{ "iat 61 s ahead is refused", HS256,
	    "{\"username\":\"user1\",\"iat\":1796000061,\"exp\":1796000900}", 0 },
	{ "iat a year ahead is refused", HS256,
	    "{\"username\":\"user1\",\"iat\":1827536000,\"exp\":1827536900}", 0 },
	{ "nbf an hour ahead is refused", HS256,
	    "{\"username\":\"user1\",\"iat\":1796000000,\"nbf\":1796003600,\"exp\":1796000900}", 0 },
	{ "exp more than TOKEN_TTL after iat is refused", HS256,
	    "{\"username\":\"user1\",\"iat\":1796000000,\"exp\":1796000901}", 0 },
	{ "exp ten years out is refused", HS256,
	    "{\"username\":\"user1\",\"iat\":1796000000,\"exp\":2111360000}", 0 },
	{ "exp now is refused (expired)", HS256,
	    "{\"username\":\"user1\",\"iat\":1795999500,\"exp\":1796000000}", 0 },
	{ "iat and exp at the ends of int64 are refused, with no overflow", HS256,
	    "{\"username\":\"user1\",\"iat\":-9223372036854775807,\"exp\":9223372036854775807}", 0 },
	{ "a negative iat is refused", HS256,
	    "{\"username\":\"user1\",\"iat\":-1,\"exp\":1796000900}", 0 },
	{ "a payload that is no object is refused", HS256, "[1]", 0 },
	{ "a payload that is no JSON is refused", HS256, "user1", 0 },
};

void
test_token_claims(void)
{
	struct token_claims c;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		CHECK(cases[i].name,
		    passes(cases[i].header, cases[i].payload) == cases[i].ok);
	CHECK("a passing token gives its user, iat and exp",
	    token_claims_check(token(HS256, "{\"username\":\"user1\","
	    "\"iat\":1796000000,\"exp\":1796000900}"), TTL, NOW, &c) == 0 &&
	    strcmp(c.user, "user1") == 0 && c.iat == NOW && c.exp == NOW + TTL);
	CHECK("a segment with base64 padding is refused",
	    token_claims_check("eyJhbGciOiJIUzI1NiJ9=.e30.c2ln", TTL, NOW, &c) == -1);
	CHECK("two segments are refused",
	    token_claims_check("eyJhbGciOiJIUzI1NiJ9.e30", TTL, NOW, &c) == -1);
}
