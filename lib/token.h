/*
 * Bearer tokens: HS256 JWTs made and checked with libjwt, the algorithm
 * pinned and the expiry checked here (libjwt 1.10 checks neither).
 */
#ifndef TOKEN_H
#define TOKEN_H

#include <stddef.h>

#define TOKEN_USER_MAX 64

struct token_key {
	unsigned char	bytes[512];
	int		len;
};

/* A new token for user, valid ttl seconds; caller frees. NULL on error. */
char	*token_issue(const struct token_key *key, const char *user, int ttl);

/*
 * Checks an Authorization header value ("Bearer <jwt>").  On success
 * copies the user name into user and returns 0; -1 for anything else.
 */
int	 token_verify_header(const struct token_key *key, const char *header,
	    char user[TOKEN_USER_MAX]);

/* A user name is 1-63 characters of [A-Za-z0-9._-]. */
int	 token_user_valid(const char *user);

#endif
