/*
 * One Redis connection per process, made on first use and remade after
 * any I/O error, so that a Redis restart costs one failed request, not a
 * process restart.  Every call is bounded by the configured timeout.
 */
#ifndef REDIS_CONN_H
#define REDIS_CONN_H

#include <hiredis/hiredis.h>

#include "metrics.h"


struct redis_conn {
	redisContext	*ctx;
	const char	*host;
	int		 port;
	int		 timeout_ms;	/* connect and command timeout */
	struct metrics	*metrics;	/* counts failures; may be NULL */
	int		 failing;	/* the last attempt failed: log the recovery */
};

void	 redis_conn_init(struct redis_conn *rc, const char *host, int port,
	    int timeout_ms);
void	 redis_conn_close(struct redis_conn *rc);

/* The reply (caller frees), or NULL when Redis could not be reached. */
redisReply *redis_conn_argv(struct redis_conn *rc, int argc,
	    const char **argv, const size_t *lens);
redisReply *redis_conn_command(struct redis_conn *rc, const char *fmt, ...);
/*
 * Pipelining: redis_conn_send queues a command and flushes it without
 * waiting (0, or -1 when Redis could not be reached); redis_conn_reply
 * waits for the oldest answer.  A reconnect in between loses the answer.
 */
int	 redis_conn_send(struct redis_conn *rc, int argc, const char **argv,
	    const size_t *lens);
redisReply *redis_conn_reply(struct redis_conn *rc);

/*
 * FCALL of one function of the "events" library (db/events.lua) with the
 * stream as its key; loads the library first if Redis lacks it.
 */
redisReply *redis_conn_fcall(struct redis_conn *rc, const char *fn,
	    const char *stream, int argc, const char **argv);

/* FUNCTION LOAD REPLACE of the library built into this program. */
int	 redis_conn_load_functions(struct redis_conn *rc);

#endif
