/*
 * The Idempotency-Key header (draft-ietf-httpapi-idempotency-key-header)
 * of a command: the key, the name its answer is kept under, and the
 * fingerprint of the request it names, as arguments of the Redis
 * Function, which keeps the fingerprint with the answer (db/events.lua,
 * keyed()).
 */
#ifndef IDEMPOTENCY_H
#define IDEMPOTENCY_H

#include "command.h"
#include "route.h"

/* What the arguments point into; lives as long as they are used. */
struct idempotency {
	char	fingerprint[CONTRACT_FINGERPRINT_HEX + 1];
	char	key_id[CONTRACT_KEY_ID_CHARS + 1];
	char	ttl[16];
};

/*
 * Adds key, key_id, fingerprint and key_ttl to args when the request has the
 * header: 0 (also without one), or -1 after answering 400.
 */
int	idempotency_args(const struct route_call *call, struct idempotency *id,
	    struct command_args *args);

#endif
