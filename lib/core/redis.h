/*
 * One Redis connection per process, made on first use and remade after
 * any I/O error or when the server closed it, so that a Redis restart
 * costs at most the requests in flight, not a process restart.  Every
 * call is bounded by the configured timeout.
 */
#ifndef REDIS_H
#define REDIS_H

#include <stddef.h>

#include <hiredis/hiredis.h>

#include "sentinel.h"

#define REDIS_PASSWORD_MAX	128

/* The roles; what each may do is tools/redis_acl.c's. */
#define REDIS_ROLE_ADMIN	"admin"		/* setup, scripts/redis-cli: the ACL user "default" */
#define REDIS_ROLE_CUSTOMERS	"customers"	/* customers.fcgi */
#define REDIS_ROLE_ACCOUNTS	"accounts"	/* accounts.fcgi */
#define REDIS_ROLE_WORKER	"worker"	/* the projector */
#define REDIS_ROLE_ARCHIVER	"archiver"	/* the archiver, who alone trims */
#define REDIS_ROLE_REPLICA	"replica"	/* a replica, of its primary */
#define REDIS_ROLE_MONITOR	"monitor"	/* Redis Sentinel, of every node */
/* The roles on the Sentinels themselves: sentinel.h. */

/*
 * Each program talks to Redis as its role, an ACL user (tools/redis_acl.c
 * says what each may do): "customers", "accounts", "worker", or "admin".
 * The password of a role is in <dir>/redis-<role>.pass (REDIS_AUTH_DIR),
 * mode 0600, made by setup --keys (secret_password_path).
 */
/* The ACL user of a role: its own name, but "default" for admin (on
 * Redis) and sentinel (on the Sentinels). */
const char *redis_role_user(const char *role);

struct redis_conn {
	redisContext	*ctx;
	const char	*host;		/* REDIS_HOST, or the primary last found */
	int		 port;
	/* REDIS_SOCKET: a unix socket instead of host and port; NULL: TCP.
	 * Not used with Sentinels: they name a host and port. */
	const char	*socket;
	char		 where[160];	/* for the logs: redis_conn_where */
	const struct sentinels *sentinels;	/* NULL: host is the primary */
	int		 sentinel_first;	/* the one to ask first */
	char		 primary[SENTINEL_HOST_MAX];
	int		 timeout_ms;	/* connect and command timeout */
	int		 failing;	/* the last attempt failed: log the recovery */
	int		 pending;	/* answers sent for and not yet read */
	const char	*user;		/* the ACL user; NULL: the default user */
	char		 password[REDIS_PASSWORD_MAX];
	/* Called at each failure (a metrics counter); may be NULL. */
	void		(*on_failure)(void *arg);
	void		*on_failure_arg;
};

void	 redis_conn_init(struct redis_conn *rc, const char *host, int port,
	    int timeout_ms);
/*
 * With Sentinels (s->n > 0), every connection is made to the primary
 * they name, and checked to be one (ROLE); a node that answers READONLY
 * or NOREPLICAS is left, and the primary asked for again at the next
 * call.  s must outlive rc.
 */
void	 redis_conn_sentinels(struct redis_conn *rc, const struct sentinels *s);
void	 redis_conn_close(struct redis_conn *rc);

/*
 * Authenticates every connection as role, with the password read now
 * from its file under dir.  0, or -1 with a message (no such file: the
 * role has no password yet; run setup --keys).
 */
int	 redis_conn_auth(struct redis_conn *rc, const char *dir,
	    const char *role);

/* Where rc connects, for the logs: the socket's path, or host:port. */
const char *redis_conn_where(struct redis_conn *rc);

struct config;
/*
 * All of the above from the configuration: REDIS_SOCKET, REDIS_HOST or
 * the Sentinels, the role's password, and timeout_ms.  0, or -1 with a message.  cfg
 * must outlive rc.
 */
int	 redis_conn_open(struct redis_conn *rc, struct config *cfg,
	    const char *role, int timeout_ms);

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
