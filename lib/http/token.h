/*
 * Bearer tokens: HS256 JWTs made and checked with libjwt, the algorithm
 * pinned and the expiry checked here (libjwt 1.10 checks neither).
 */
#ifndef TOKEN_H
#define TOKEN_H

#include <stddef.h>

#include "contract.h"

#define TOKEN_USER_MAX (CONTRACT_USER_MAX + 1)	/* with its NUL */

struct token_key {
	unsigned char	bytes[512];
	int		len;
};

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
