/*
 * Commands and record reads over HTTP: the route handlers both services
 * share.  The route gives the event the command appends, or the read it
 * makes (struct route's
 * command and read); the request's fields, the Redis Function to call and
 * the answer's shape all come from the contract (contract.h).
 */
#ifndef COMMANDS_H
#define COMMANDS_H

#include "command.h"
#include "route.h"

/* POST: the body's FROM_REQUEST fields; 201 {"id","event_id"}. */
void	commands_create(const struct route_call *call,
	    const struct event_spec *event);
/* DELETE /<record>s/{id}: 204 with an Event-Id header. */
void	commands_delete(const struct route_call *call,
	    const struct event_spec *event);
/* GET /<record>s/{id}[/...]: the record, or the list, as JSON. */
void	commands_read(const struct route_call *call,
	    const struct record_read_spec *read);

/* The status of a result that is not COMMAND_DONE. */
int	commands_status(const struct command_result *res);
/*
 * Answers a result that is not COMMAND_DONE and returns 1; returns 0,
 * answering nothing, for COMMAND_DONE.
 */
int	commands_answer_failure(struct http_request *req,
	    const struct command_result *res);
/*
 * 503 with Retry-After for a write Redis refused at its maxmemory
 * (command_result's full); logged once a FULL_LOG_S per process, not
 * once a request.
 */
void	commands_answer_full(struct http_request *req);

#endif
