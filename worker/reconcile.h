/*
 * Every read of the worker first asks whether the stream still has the
 * entry it reads after (stream.h); when it does not, this checks that
 * the stream still holds the last event the read model applied.  A
 * failover that lost the newest events, a node that resynced under an
 * open connection, or a stream restored from an older backup leaves the
 * read model with events the stream no longer has: then the read model
 * is rebuilt from the archive and the stream as they are, with the same atomic swap as
 * worker --rebuild, and projector_state counts it.
 */
#ifndef RECONCILE_H
#define RECONCILE_H

#include "config.h"
#include "projector.h"
#include "redis.h"

enum reconcile_result {
	RECONCILE_OK,		/* the stream has it, or nothing was applied */
	RECONCILE_REBUILT,	/* it had not: rebuilt; the projector moves */
	RECONCILE_UNKNOWN,	/* Redis or the rebuild failed: ask again */
};

enum reconcile_result reconcile(const struct config *cfg,
	    struct redis_conn *rc, struct projector *p);

#endif
