#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "idempotency.h"
#include "service.h"

#define STRING(x)	#x
#define NUMBER(x)	STRING(x)

_Static_assert(CONTRACT_FINGERPRINT_HEX == 2 * crypto_hash_sha256_BYTES,
    "the contract's fingerprint is the hex of a SHA-256");

/* 1 to CONTRACT_KEY_MAX bytes of printable ASCII, as events.lua takes. */
static int
key_ok(const char *k)
{
	size_t n = strlen(k), i;

	if (n < 1 || n > CONTRACT_KEY_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)k[i] < 0x20 || (unsigned char)k[i] > 0x7e)
			return 0;
	return 1;
}

/*
 * SHA-256 of what makes the request: method, path, caller and body, each
 * ended by a NUL (none of the first three holds one), so that no two
 * requests share their bytes.  The body as sent: a retry sends the same.
 */
static void
fingerprint(const struct route_call *call, char out[CONTRACT_FINGERPRINT_HEX + 1])
{
	crypto_hash_sha256_state st;
	unsigned char h[crypto_hash_sha256_BYTES];
	const struct http_request *req = call->req;

	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const unsigned char *)req->method,
	    strlen(req->method) + 1);
	crypto_hash_sha256_update(&st, (const unsigned char *)req->path,
	    strlen(req->path) + 1);
	crypto_hash_sha256_update(&st, (const unsigned char *)call->user,
	    strlen(call->user) + 1);
	crypto_hash_sha256_update(&st, (const unsigned char *)
	    (req->body != NULL ? req->body : ""), req->body_len);
	crypto_hash_sha256_final(&st, h);
	sodium_bin2hex(out, CONTRACT_FINGERPRINT_HEX + 1, h, sizeof(h));
}

int
idempotency_args(const struct route_call *call, struct idempotency *id,
    struct command_args *args)
{
	const char *key = call->req->idempotency_key;

	if (key == NULL)
		return 0;
	if (!key_ok(key)) {
		http_respond_error(call->req, 400, "Idempotency-Key must be 1 to "
		    NUMBER(CONTRACT_KEY_MAX) " characters of printable ASCII");
		return -1;
	}
	fingerprint(call, id->fingerprint);
	snprintf(id->ttl, sizeof(id->ttl), "%d",
	    call->svc->cfg.idempotency_ttl);
	if (command_arg(args, "key", key) == -1 ||
	    command_arg(args, "fingerprint", id->fingerprint) == -1 ||
	    command_arg(args, "key_ttl", id->ttl) == -1) {
		http_respond_error(call->req, 500, "internal error");
		return -1;
	}
	return 0;
}
