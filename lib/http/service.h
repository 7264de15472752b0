/*
 * A FastCGI service: its routes and hooks, and what start-up gives it
 * (configuration, signing key, Redis connection, shared metrics).  Each
 * program is one struct service and a call of service_main.
 */
#ifndef SERVICE_H
#define SERVICE_H

#include <stddef.h>
#include <stdio.h>

#include "config.h"
#include "limiter.h"
#include "metrics.h"
#include "redis.h"
#include "route.h"
#include "token.h"

struct service {
	const char		*name;	/* "customers": the program is customers.fcgi */
	const struct route	*routes;
	size_t			 nroutes;
	/*
	 * Optional: does the token's user still exist?  1 yes, 0 no (401),
	 * -1 cannot tell now (the request goes on: the token is still
	 * signed and unexpired).
	 */
	int	(*user_exists)(struct service *svc, const char *user);
	/* Optional: more samples for GET /metrics. */
	void	(*metrics_extra)(struct service *svc, FILE *out);
	void			*app;	/* the program's own state */

	/* Filled by service_main. */
	struct config		 cfg;
	struct token_key	 key;
	struct redis_conn	 redis;
	struct metrics		 metrics;
	struct limiter		 limiter;	/* each user's share */
};

/*
 * --help and --version, the privilege drop, configuration, the signing
 * key, the Redis connection and the metrics file; then init (may be
 * NULL) and the FastCGI loop.  Returns the exit status.
 */
int	service_main(struct service *svc, int argc, char *argv[],
	    int (*init)(struct service *svc));

/* GET /metrics: the service's counters and its metrics_extra. */
void	service_metrics_get(const struct route_call *call);

#endif
