/*
 * The FastCGI accept loop shared by both services: read the request,
 * route it, check the Bearer token where the route asks for one, call
 * the handler, free everything.
 */
#ifndef FCGI_LOOP_H
#define FCGI_LOOP_H

#include <stddef.h>

#include "route.h"
#include "token.h"

/* Serves until the socket closes; returns the process exit status. */
int	fcgi_loop_run(const struct route *table, size_t n, void *app,
	    const struct token_key *key);

#endif
