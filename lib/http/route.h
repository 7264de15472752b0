/*
 * Path routing: a table of "METHOD /pattern" with "*" for one path
 * segment.  A path that matches with another method gets 405 and Allow.
 */
#ifndef ROUTE_H
#define ROUTE_H

#include <stddef.h>

#include "http.h"

#define ROUTE_ARGS_MAX 4

struct route;
struct service;

/* What a handler is called with. */
struct route_call {
	struct service		*svc;
	struct http_request	*req;
	const struct route	*route;
	const char		*user;	/* the token's user; "" on open routes */
	char			*args[ROUTE_ARGS_MAX];	/* the "*" segments */
};

struct route {
	const char	*method;
	const char	*pattern;	/* star = one segment */
	int		 auth;		/* needs a Bearer token */
	void		(*handler)(const struct route_call *call);
	/* For the shared handlers: the event a command appends, or the read. */
	int		 arg;
};

/*
 * Finds the route for req; copies the "*" segments into args (pointing
 * into segbuf).  Returns the route, or NULL after answering 404/405.
 */
const struct route *route_find(const struct route *table, size_t n,
	    struct http_request *req, char *segbuf, size_t seglen,
	    char **args);

/*
 * A path segment that must be an id ("7"): 0, or -1 after answering 400
 * "<what> id must be a decimal number".
 */
int	route_id(struct http_request *req, const char *segment,
	    const char *what);

#endif
