#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jwt.h>

#include "decode.h"
#include "token.h"

char *
token_issue(const struct token_key *key, const char *user, int ttl)
{
	jwt_t *jwt = NULL;
	char *out = NULL;
	time_t now = time(NULL);

	if (jwt_new(&jwt) != 0)
		return NULL;
	if (jwt_add_grant(jwt, "sub", user) != 0 ||
	    jwt_add_grant(jwt, "username", user) != 0 ||
	    jwt_add_grant_int(jwt, "iat", (long)now) != 0 ||
	    jwt_add_grant_int(jwt, "exp", (long)now + ttl) != 0 ||
	    jwt_set_alg(jwt, JWT_ALG_HS256, key->bytes, key->len) != 0)
		goto out;
	out = jwt_encode_str(jwt);
out:
	jwt_free(jwt);
	return out;
}

static struct token_memo_entry *
memo_find(struct token_memo *memo, const char *tok)
{
	size_t i;

	for (i = 0; i < TOKEN_MEMO_ENTRIES; i++)
		if (strcmp(memo->entries[i].token, tok) == 0)
			return &memo->entries[i];
	return NULL;
}

static void
memo_put(struct token_memo *memo, const char *tok, const char *user,
    long exp)
{
	struct token_memo_entry *e;
	size_t len = strlen(tok);

	if (len >= sizeof(e->token))
		return;
	e = &memo->entries[memo->next];
	memo->next = (memo->next + 1) % TOKEN_MEMO_ENTRIES;
	memcpy(e->token, tok, len + 1);
	memcpy(e->user, user, strlen(user) + 1);
	e->exp = exp;
}

/* Exactly three segments of base64url characters. */
static int
token_shape_ok(const char *tok)
{
	size_t len = strlen(tok), dots = 0, i;

	if (len == 0 || len > 4096)
		return 0;
	for (i = 0; i < len; i++) {
		if (tok[i] == '.')
			dots++;
		else if (!isalnum((unsigned char)tok[i]) && tok[i] != '-' &&
		    tok[i] != '_')
			return 0;
	}
	return dots == 2;
}

int
token_verify_header(const struct token_key *key, struct token_memo *memo,
    const char *header, char user[TOKEN_USER_MAX])
{
	static const char prefix[] = "Bearer ";
	struct token_memo_entry *known;
	struct token_claims claims;
	time_t now = time(NULL);
	const char *tok;
	jwt_t *jwt = NULL;
	int rc = -1;

	if (header == NULL || strncmp(header, prefix, sizeof(prefix) - 1) != 0 ||
	    !token_shape_ok(tok = header + sizeof(prefix) - 1))
		return -1;
	if (memo != NULL && (known = memo_find(memo, tok)) != NULL) {
		if (known->exp <= (long)now)
			return -1;
		memcpy(user, known->user, strlen(known->user) + 1);
		return 0;
	}
	if (token_claims_check(tok, key->ttl, now, &claims) == -1)
		return -1;
	/* Always with the key: without one libjwt accepts unsigned tokens. */
	if (jwt_decode(&jwt, tok, key->bytes, key->len) != 0 || jwt == NULL ||
	    jwt_get_alg(jwt) != JWT_ALG_HS256)
		goto out;
	memcpy(user, claims.user, strlen(claims.user) + 1);
	if (memo != NULL)
		memo_put(memo, tok, claims.user, (long)claims.exp);
	rc = 0;
out:
	jwt_free(jwt);
	return rc;
}
