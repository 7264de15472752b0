/*
 * The FastCGI accept loop shared by both services: read the request,
 * route it, check the Bearer token where the route asks for one, call
 * the handler, free everything.
 */
#ifndef FCGI_LOOP_H
#define FCGI_LOOP_H

#include <stddef.h>

#include "metrics.h"
#include "route.h"
#include "token.h"

struct fcgi_service {
	const struct route	*routes;
	size_t			 nroutes;
	void			*app;
	const struct token_key	*key;
	/*
	 * Optional: does the token's user still exist?  1 yes, 0 no (401),
	 * -1 cannot tell now (the request goes on: the token is still
	 * signed and unexpired).
	 */
	int			(*user_exists)(void *app, const char *user);
	struct metrics		*metrics;	/* may be NULL */
};

/* Serves until the socket closes; returns the process exit status. */
int	fcgi_loop_run(const struct fcgi_service *svc);

#endif
