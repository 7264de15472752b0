/*
 * Path routing: a table of "METHOD /pattern" with "*" for one path
 * segment.  A path that matches with another method gets 405 and Allow.
 */
#ifndef ROUTE_H
#define ROUTE_H

#include "http.h"

#define ROUTE_ARGS_MAX 4

struct route {
	const char	*method;
	const char	*pattern;	/* star = one segment */
	int		 auth;		/* needs a Bearer token */
	void		(*handler)(void *app, struct http_request *req,
			    const char *user, char **args);
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
