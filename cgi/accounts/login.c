/*
 * POST /auth/login: argon2id (libsodium crypto_pwhash_str) hashes kept in
 * Redis as user:<name> {password_hash}.  An unknown user costs the same
 * hash check as a wrong password, so timing does not tell them apart.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "accounts.h"
#include "decode.h"

int
login_init(struct accounts_app *a)
{
	unsigned char pw[32];

	if (sodium_init() < 0)
		return -1;
	randombytes_buf(pw, sizeof(pw));
	return crypto_pwhash_str(a->dummy_hash, (const char *)pw, sizeof(pw),
	    crypto_pwhash_OPSLIMIT_INTERACTIVE,
	    crypto_pwhash_MEMLIMIT_INTERACTIVE);
}

static void
respond_token(struct http_request *req, struct accounts_app *a,
    const char *user)
{
	json_object *body;
	char *token;

	if ((token = token_issue(&a->key, user, a->cfg.token_ttl)) == NULL) {
		http_respond_error(req, 500, "cannot make a token");
		return;
	}
	if ((body = json_object_new_object()) != NULL) {
		json_object_object_add(body, "token",
		    json_object_new_string(token));
		json_object_object_add(body, "token_type",
		    json_object_new_string("Bearer"));
		json_object_object_add(body, "expires_in",
		    json_object_new_int(a->cfg.token_ttl));
		http_respond_json(req, 200, body);
		json_object_put(body);
	} else
		http_respond_error(req, 500, "out of memory");
	/* The token is a credential: wipe our copy. */
	sodium_memzero(token, strlen(token));
	free(token);
}

void
auth_login(void *app, struct http_request *req, const char *unused,
    char **args)
{
	struct accounts_app *a = app;
	struct decode_error err;
	json_object *body;
	const char *user, *password, *hash;
	redisReply *r = NULL;
	char retry[48];
	int known, match, wait;

	(void)unused;
	(void)args;
	if ((body = decode_body("request body", req->body, req->body_len, &err)) == NULL) {
		http_respond_error(req, err.status, err.msg);
		return;
	}
	if (decode_text(body, "username", 1, &user, &err) == -1 ||
	    decode_text(body, "password", 1, &password, &err) == -1) {
		http_respond_error(req, err.status, err.msg);
		goto out;
	}
	if ((wait = login_throttle_wait(a, user, req->remote_addr)) == -1) {
		http_respond_error(req, 503, "user store unavailable");
		goto out;
	}
	if (wait > 0) {
		snprintf(retry, sizeof(retry), "Retry-After: %d\r\n", wait);
		http_respond_error_ext(req, 429, retry,
		    "too many failed logins; try again later");
		goto out;
	}
	hash = a->dummy_hash;
	if ((known = token_user_valid(user))) {
		r = redis_conn_command(&a->redis, "HGET user:%s password_hash",
		    user);
		if (r == NULL) {
			http_respond_error(req, 503, "user store unavailable");
			goto out;
		}
		if (r->type == REDIS_REPLY_STRING)
			hash = r->str;
		else
			known = 0;
	}
	match = crypto_pwhash_str_verify(hash, password, strlen(password)) == 0;
	if (known && match) {
		login_throttle_clear(a, user);
		respond_token(req, a, user);
	} else {
		login_throttle_fail(a, user, req->remote_addr);
		http_respond_error(req, 401, "invalid user name or password");
	}
out:
	freeReplyObject(r);
	json_object_put(body);
}
