#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "token.h"

static const struct token_key key = { "0123456789abcdef0123456789abcdef",
    32, 900 };

static int
verify(struct token_memo *memo, const char *tok, char user[TOKEN_USER_MAX])
{
	char header[1024];

	snprintf(header, sizeof(header), "Bearer %s", tok);
	return token_verify_header(&key, memo, header, user);
}

void
test_token(void)
{
	static struct token_memo memo;
	char user[TOKEN_USER_MAX], *tok, *other;
	size_t i, len;

	tok = token_issue(&key, "user1", 60);
	other = token_issue(&key, "user2", 60);
	CHECK("tokens are issued for user1 and user2",
	    tok != NULL && other != NULL);
	if (tok == NULL || other == NULL)
		goto out;
	CHECK("a fresh token names its user, without a memo",
	    verify(NULL, tok, user) == 0 && strcmp(user, "user1") == 0);
	/* Twice: verified, then remembered; the same answer both times. */
	for (i = 0; i < 2; i++) {
		memset(user, 0, sizeof(user));
		CHECK(i == 0 ? "a token is verified, then remembered" :
		    "a remembered token names the same user",
		    verify(&memo, tok, user) == 0 &&
		    strcmp(user, "user1") == 0);
	}
	CHECK("a second user's token is told apart in the memo",
	    verify(&memo, other, user) == 0 && strcmp(user, "user2") == 0);

	/* A remembered token with one byte changed is checked afresh. */
	len = strlen(tok);
	tok[len - 1] = tok[len - 1] == 'A' ? 'B' : 'A';
	CHECK("a remembered token with its last byte changed is refused",
	    verify(&memo, tok, user) == -1);
	tok[len - 5] = '\0';
	CHECK("a remembered token cut short is refused",
	    verify(&memo, tok, user) == -1);

	/* A remembered token past its expiry is refused. */
	for (i = 0; i < TOKEN_MEMO_ENTRIES; i++)
		if (strcmp(memo.entries[i].user, "user2") == 0)
			memo.entries[i].exp = 1;
	CHECK("a remembered token past its expiry is refused",
	    verify(&memo, other, user) == -1);
out:
	free(tok);
	free(other);
}
