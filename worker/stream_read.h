#ifndef STREAM_READ_H
#define STREAM_READ_H

#include <hiredis/hiredis.h>

#include "redis_conn.h"
#include "stream_id.h"

/*
 * XREAD COUNT count [BLOCK block_ms] STREAMS key after.  block_ms < 0
 * does not block.  Returns the reply (caller frees) and points *entries
 * at its list of entries (empty when none); NULL if Redis is unreachable
 * or answered with something else (logged).
 */
redisReply *stream_read(struct redis_conn *rc, const char *key,
	    const struct stream_id *after, int count, int block_ms,
	    const redisReply **entries);

/* The same in two halves, to ask for the next batch while applying one. */
int	 stream_read_send(struct redis_conn *rc, const char *key,
	    const struct stream_id *after, int count, int block_ms);
redisReply *stream_read_recv(struct redis_conn *rc, const char *key,
	    const redisReply **entries);

#endif
