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
struct event_spec;
struct record_read_spec;

/* What a handler is called with. */
struct route_call {
	struct service		*svc;
	struct http_request	*req;
	const struct route	*route;
	const char		*user;	/* the token's user; "" on open routes */
	char			*args[ROUTE_ARGS_MAX];	/* the "*" segments */
};

/*
 * A route sets one of handler, command and read.  The shared handlers
 * (commands.h) take what they act on, each with its own type, so that a
 * command handler given a read (or the reverse) does not compile.
 */
struct route {
	const char	*method;
	const char	*pattern;	/* star = one segment */
	int		 auth;		/* needs a Bearer token */
	void		(*handler)(const struct route_call *call);
	struct {	/* commands_create, commands_delete */
		void	(*fn)(const struct route_call *call,
			    const struct event_spec *event);
		const struct event_spec *event;	/* the event it appends */
	} command;
	struct {	/* commands_read */
		void	(*fn)(const struct route_call *call,
			    const struct record_read_spec *read);
		const struct record_read_spec *read;
	} read;
};

/*
 * Finds the route for req; copies the "*" segments into args (pointing
 * into segbuf).  Returns the route, or NULL after answering 404/405.
 */
const struct route *route_find(const struct route *table, size_t n,
	    struct http_request *req, char *segbuf, size_t seglen,
	    char **args);

/* Calls the route's handler, command or read. */
void	route_call(const struct route_call *call);

/*
 * A path segment that must be an id ("7"): 0, or -1 after answering 400
 * "<what> id must be a decimal number".
 */
int	route_id(struct http_request *req, const char *segment,
	    const char *what);

#endif
