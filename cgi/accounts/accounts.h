/*
 * accounts.fcgi's own state and handlers.  The service (service.h) gives
 * every handler the configuration, the Redis connection and the metrics;
 * this adds the read model's reader, the answers kept per user and the
 * users known to exist.
 */
#ifndef ACCOUNTS_H
#define ACCOUNTS_H

#include "list_cache.h"
#include "reader.h"
#include "service.h"
#include "stream.h"
#include "user_watch.h"

struct accounts_app {
	struct reader		reader;
	struct list_cache	list_cache;
	struct user_watch	users;		/* users known to exist */
	char			dummy_hash[128];	/* for unknown users */
};

#define APP(call)	((struct accounts_app *)(call)->svc->app)

/* account_read.c */
void	account_list(const struct route_call *call);
void	account_get(const struct route_call *call);
void	account_is_owned_by(const struct route_call *call);

/* read_wait.c: 0 to go on, -1 after answering (400, 503, 504). */
int	read_wait_after(const struct route_call *call);

/* login.c */
int	login_init(struct accounts_app *a);
void	auth_login(const struct route_call *call);

/*
 * throttle.c: seconds to wait, or 0 after counting this attempt; -1 when
 * Redis cannot tell, LOGIN_STORE_FULL when it is at its maxmemory (the
 * attempt cannot be counted, so no password is checked).  A success
 * takes its attempt back.
 */
#define LOGIN_STORE_FULL	(-2)
int	login_throttle_wait(struct service *svc, const char *user,
	    const char *addr);
void	login_throttle_succeeded(struct service *svc, const char *user,
	    const char *addr);

/* status.c */
void	status_get(const struct route_call *call);
/* metrics.c: the projector's figures for GET /metrics */
void	projector_metrics(struct service *svc, FILE *out);
/*
 * consumers.c: the stream's consumers and its trimmed mark, for
 * GET /metrics and GET /status (as {"trimmed_through", "consumers"}; NULL
 * when Redis cannot say).
 */
void	consumers_metrics(struct service *svc, FILE *out);
json_object *consumers_json(struct service *svc);
/* memory.c: Redis's INFO used_memory and maxmemory, in bytes. */
struct redis_memory {
	long long	used;
	long long	max;	/* 0: no maxmemory */
};
int	redis_memory(struct service *svc, struct redis_memory *m);
/* "ok", "nearly full" (90 % of maxmemory), "full" or "unbounded". */
const char *redis_memory_state(const struct redis_memory *m);
void	memory_metrics(struct service *svc, FILE *out);
/* status.c: entries in the stream not yet applied; -1 if Redis is down. */
long long projection_lag(struct service *svc, long long seen,
	    struct stream_info *info);

#endif
