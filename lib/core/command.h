/*
 * Calls of the command side: FCALL of a function of the Redis Function
 * library "events" (db/events.lua), with the stream as its one key and
 * named arguments,
 *
 *	FCALL invoice_create 1 event-stream caller user1 customer_id 7 ...
 *
 * and what the answer means.  Every function that appends answers
 * {EventTypeName, event id, record id}; a refusal is an error reply that
 * starts with one of the contract's words (contract.h).
 */
#ifndef COMMAND_H
#define COMMAND_H

#include <hiredis/hiredis.h>

#include "contract.h"
#include "redis.h"

#define COMMAND_ARGS_MAX 12	/* the most: the login's attempt, 10 */

struct command_args {
	const char	*name[COMMAND_ARGS_MAX];
	const char	*value[COMMAND_ARGS_MAX];
	size_t		 n;
};

/* Adds a name and value (not copied); -1 when full. */
int	 command_arg(struct command_args *a, const char *name,
	    const char *value);

/*
 * The reply (caller frees), or NULL when Redis could not be reached.
 * caller may be NULL (setup's and the login's calls).
 */
redisReply *command_call(struct redis_conn *rc, const char *stream,
	    const char *function, const char *caller,
	    const struct command_args *args);

/* FUNCTION LOAD REPLACE of the library built into this program (admin only). */
int	 command_load_library(struct redis_conn *rc);

enum command_outcome {
	COMMAND_DONE,		/* the reply is the function's answer */
	COMMAND_REFUSED,	/* refused: refusal and message say why */
	COMMAND_UNAVAILABLE,	/* Redis unreachable, or LOADING, READONLY... */
	COMMAND_FAILED,		/* an answer outside the contract: a bug */
};

struct command_result {
	enum command_outcome	 outcome;
	enum refusal		 refusal;
	const char		*message;	/* unless COMMAND_DONE */
	int			 unreachable;	/* no reply at all (logged already) */
	/* Redis at maxmemory refused the call before it ran ("OOM ..."):
	 * nothing changed.  COMMAND_UNAVAILABLE too. */
	int			 full;
	/* COMMAND_DONE of a function that appends: */
	enum event_type		 appended;
	const char		*event_id;
	const char		*id;
	int			 replayed;	/* the answer kept for its key */
	int			 unreplicated;	/* done, but WAIT found too few replicas */
};

/*
 * What reply (NULL: unreachable) means.  appends: the reply must be the
 * {type, event id, id} of a function that appends, followed by
 * "replayed" when it is the answer kept for an idempotency key.  The strings point
 * into reply.
 */
void	 command_result_of(const redisReply *reply, int appends,
	    struct command_result *res);

#endif
