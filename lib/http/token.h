/*
 * Bearer tokens: HS256 JWTs made and signed with libjwt.  libjwt 1.10
 * checks the signature but not the rest: it takes "hs256" for HS256,
 * ignores crit and every time claim, and lets a repeated claim win
 * silently.  So the header and the claims are decoded here too, with the
 * strict JSON decoder, and checked one by one.
 */
#ifndef TOKEN_H
#define TOKEN_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "contract.h"

#define TOKEN_USER_MAX (CONTRACT_USER_MAX + 1)	/* with its NUL */

/* Seconds a token's iat or nbf may be ahead of our clock (another host's). */
#define TOKEN_SKEW	60

struct token_key {
	unsigned char	bytes[512];
	int		len;
	int		ttl;	/* the longest life a token may claim: TOKEN_TTL */
};

/* What a token says, once its header and claims passed (token_claims.c). */
struct token_claims {
	char	user[TOKEN_USER_MAX];
	int64_t	iat;
	int64_t	exp;
};

/*
 * tok's header is exactly HS256 (typ JWT at most), no claim is repeated
 * or unknown, username is a user name (sub, if there, the same), iat and
 * exp are there, iat and nbf are at most TOKEN_SKEW ahead of now, exp is
 * after now and at most ttl after iat.  0, or -1.  Not the signature.
 */
int	 token_claims_check(const char *tok, int ttl, time_t now,
	    struct token_claims *out);

/* A new token for user, valid ttl seconds; caller frees. NULL on error. */
char	*token_issue(const struct token_key *key, const char *user, int ttl);

/*
 * The last tokens a process verified.  A client sends the same token
 * with every request; checking its HMAC and parsing its JSON again was a
 * tenth of a GET /accounts (make bench).  Only the very same bytes match,
 * and the expiry is checked at every use.
 */
#define TOKEN_MEMO_ENTRIES	16
#define TOKEN_MEMO_LEN		512	/* longer tokens are not kept */

struct token_memo_entry {
	char	token[TOKEN_MEMO_LEN];	/* "" if free */
	char	user[TOKEN_USER_MAX];
	long	exp;
};

struct token_memo {
	struct token_memo_entry	entries[TOKEN_MEMO_ENTRIES];
	size_t			next;	/* the entry to replace */
};

/*
 * Checks an Authorization header value ("Bearer <jwt>").  On success
 * copies the user name into user and returns 0; -1 for anything else.
 * memo may be NULL.
 */
int	 token_verify_header(const struct token_key *key,
	    struct token_memo *memo, const char *header,
	    char user[TOKEN_USER_MAX]);

#endif
