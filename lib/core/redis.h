/*
 * One Redis connection per process, made on first use and remade after
 * any I/O error, so that a Redis restart costs one failed request, not a
 * process restart.  Every call is bounded by the configured timeout.
 */
#ifndef REDIS_H
#define REDIS_H

#include <hiredis/hiredis.h>

struct redis_conn {
	redisContext	*ctx;
	const char	*host;
	int		 port;
	int		 timeout_ms;	/* connect and command timeout */
	int		 failing;	/* the last attempt failed: log the recovery */
	/* Called at each failure (a metrics counter); may be NULL. */
	void		(*on_failure)(void *arg);
	void		*on_failure_arg;
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

#endif
