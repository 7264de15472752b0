/*
 * The FastCGI accept loop shared by both services: read the request,
 * route it, check the Bearer token where the route asks for one, call
 * the handler, count and log the answer, free everything.
 */
#ifndef FCGI_LOOP_H
#define FCGI_LOOP_H

#include "service.h"

/* Serves until the socket closes; returns the process exit status. */
int	fcgi_loop_run(struct service *svc);

#endif
