/*
 * The users this process has seen exist, until Redis says that a user:*
 * key changed (user_watch.c): a read checks its user without a round
 * trip to Redis.
 */
#ifndef USER_WATCH_H
#define USER_WATCH_H

#include <stdint.h>

#include "redis.h"
#include "token.h"

#define USER_WATCH_USERS	16

struct config;

struct user_watch {
	/* Subscribed to the invalidations of user:*; NULL: none, so no
	 * user is known and each is asked of Redis. */
	struct redis_conn	 sub;
	int			 subscribed;
	char			 where[160];	/* the server it is on */
	int64_t			 retry_us;	/* no new try before */
	char			 users[USER_WATCH_USERS][TOKEN_USER_MAX];
	int			 n, next;
};

/*
 * 1 if user is known to exist now, else 0 (ask Redis, then
 * user_watch_seen).  main is the connection the answers come from: the
 * users known are forgotten when it moves to another server.
 */
int	user_watch_knows(struct user_watch *w, struct config *cfg,
	    struct redis_conn *main, const char *user, int64_t now_us);
/* Redis said user exists, on main: known until a user:* key changes. */
void	user_watch_seen(struct user_watch *w, const char *user);

#endif
