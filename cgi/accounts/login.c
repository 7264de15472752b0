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
#include "commands.h"
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
respond_token(struct http_request *req, struct service *svc, const char *user)
{
	json_object *body;
	char *token;

	if ((token = token_issue(&svc->key, user, svc->cfg.token_ttl)) == NULL) {
		http_respond_error(req, 500, "cannot make a token");
		return;
	}
	if ((body = json_object_new_object()) != NULL) {
		json_object_object_add(body, "token",
		    json_object_new_string(token));
		json_object_object_add(body, "token_type",
		    json_object_new_string("Bearer"));
		json_object_object_add(body, "expires_in",
		    json_object_new_int(svc->cfg.token_ttl));
		http_respond_json(req, 200, body);
		json_object_put(body);
	} else
		http_respond_error(req, 500, "out of memory");
	/* The token is a credential: wipe our copy. */
	sodium_memzero(token, strlen(token));
	free(token);
}

/*
 * 1 after answering 499 when the client has hung up: its login is neither
 * counted nor hashed.  A login waits in the queue to the login process
 * before it is read, so this is where a client gives up; from here to
 * the hash is one Redis round trip (under a millisecond).  Checked before
 * the count, so that a user's own impatient retries do not use up its
 * failures.  Measured (tests/logins.bats): 20 logins at once hung up
 * after 50 ms; the next login took 1.8 s behind their 20 hashes, and
 * takes 0.09 s with 19 of them answered 499 unhashed.
 */
static int
gone(struct http_request *req)
{
	if (!http_client_gone(req))
		return 0;
	http_respond_error(req, 499, "the client hung up");
	return 1;
}

/* 0 when the caller may try a password now, else -1 after answering. */
static int
throttled(struct service *svc, struct http_request *req, const char *user)
{
	char retry[48];
	int wait;

	if ((wait = login_throttle_wait(svc, user, req->remote_addr)) ==
	    LOGIN_STORE_FULL) {
		commands_answer_full(req);
		return -1;
	}
	if (wait == -1) {
		http_respond_error(req, 503, "user store unavailable");
		return -1;
	}
	if (wait == 0)
		return 0;
	snprintf(retry, sizeof(retry), "Retry-After: %d\r\n", wait);
	http_respond_error_ext(req, 429, retry,
	    "too many failed logins; try again later");
	return -1;
}

/*
 * The user's password hash in *hash (pointing into *reply, which the
 * caller frees), or the dummy one for an unknown user: both cost one
 * check.  1 known, 0 unknown, -1 after answering 503.
 */
static int
hash_of(struct service *svc, struct http_request *req, const char *user,
    redisReply **reply, const char **hash)
{
	*hash = ((struct accounts_app *)svc->app)->dummy_hash;
	*reply = NULL;
	if (!user_name_valid(user))
		return 0;
	*reply = redis_conn_command(&svc->redis, "HGET user:%s password_hash",
	    user);
	/* An error reply (LOADING, BUSY) is no answer either: a 401 would
	 * tell the user its password is wrong. */
	if (*reply == NULL || (*reply)->type == REDIS_REPLY_ERROR) {
		http_respond_error(req, 503, "user store unavailable");
		return -1;
	}
	if ((*reply)->type != REDIS_REPLY_STRING)
		return 0;
	*hash = (*reply)->str;
	return 1;
}

void
auth_login(const struct route_call *call)
{
	struct service *svc = call->svc;
	struct http_request *req = call->req;
	struct decode_error err;
	json_object *body;
	const char *user, *password, *hash;
	redisReply *r = NULL;
	int known;

	if ((body = decode_body("request body", req->body, req->body_len,
	    &err)) == NULL) {
		http_respond_decode_error(req, &err);
		return;
	}
	if (decode_text(body, "username", 1, &user, &err) == -1 ||
	    decode_text(body, "password", 1, &password, &err) == -1) {
		http_respond_decode_error(req, &err);
		goto out;
	}
	if (gone(req) || throttled(svc, req, user) == -1 ||
	    (known = hash_of(svc, req, user, &r, &hash)) == -1)
		goto out;
	if (crypto_pwhash_str_verify(hash, password, strlen(password)) == 0 &&
	    known) {
		login_throttle_succeeded(svc, user, req->remote_addr);
		respond_token(req, svc, user);
	} else
		http_respond_error(req, 401, "invalid user name or password");
out:
	freeReplyObject(r);
	json_object_put(body);
}
