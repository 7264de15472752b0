#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "idempotency.h"
#include "service.h"

#define STRING(x)	#x
#define NUMBER(x)	STRING(x)

_Static_assert(CONTRACT_FINGERPRINT_HEX <= 2 * crypto_hash_sha256_BYTES,
    "the contract's fingerprint is the hex of part of a SHA-256");
#define KEY_ID_BYTES	16
_Static_assert(CONTRACT_KEY_ID_CHARS == (4 * KEY_ID_BYTES + 2) / 3,
    "the contract's key id is 16 bytes in unpadded base64");

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
	sodium_bin2hex(out, CONTRACT_FINGERPRINT_HEX + 1, h,
	    CONTRACT_FINGERPRINT_HEX / 2);
}

/*
 * The name the answer is kept under: BLAKE2b-128 of caller and key (a
 * NUL between: a user name holds none), so that every kept key has the
 * same short name whatever the key's length.  128 bits: two (caller,
 * key) pairs meet by chance once in 2^64 pairs, and finding a pair that
 * meets a given one takes 2^128 tries.  The same as
 *	printf '%s\0%s' "$caller" "$key" | b2sum -l 128
 * in base64url.
 */
static void
key_id(const char *caller, const char *key,
    char out[CONTRACT_KEY_ID_CHARS + 1])
{
	crypto_generichash_state st;
	unsigned char h[KEY_ID_BYTES];

	crypto_generichash_init(&st, NULL, 0, sizeof(h));
	crypto_generichash_update(&st, (const unsigned char *)caller,
	    strlen(caller) + 1);
	crypto_generichash_update(&st, (const unsigned char *)key, strlen(key));
	crypto_generichash_final(&st, h, sizeof(h));
	sodium_bin2base64(out, CONTRACT_KEY_ID_CHARS + 1, h, sizeof(h),
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
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
	key_id(call->user, key, id->key_id);
	snprintf(id->ttl, sizeof(id->ttl), "%d",
	    call->svc->cfg.idempotency_ttl);
	if (command_arg(args, "key", key) == -1 ||
	    command_arg(args, "key_id", id->key_id) == -1 ||
	    command_arg(args, "fingerprint", id->fingerprint) == -1 ||
	    command_arg(args, "key_ttl", id->ttl) == -1) {
		http_respond_error(call->req, 500, "internal error");
		return -1;
	}
	return 0;
}
