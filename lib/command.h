/*
 * Answering a command or a read of the command side: turns the reply of
 * a Redis Function (db/events.lua) into the HTTP answer.  The functions'
 * error replies start with a word that says which status they mean.
 */
#ifndef COMMAND_H
#define COMMAND_H

#include <hiredis/hiredis.h>

#include "http.h"

/*
 * Answers a NULL reply (Redis unreachable: 503) or an error reply (its
 * status) and returns 1; returns 0, answering nothing, for any other.
 */
int	command_respond_failure(struct http_request *req,
	    const redisReply *reply);

/* 201 {"id","event_id"} from a reply [id, event_id]. */
void	command_respond_created(struct http_request *req,
	    const redisReply *reply);

/* 204 with an Event-Id header from a reply event_id. */
void	command_respond_deleted(struct http_request *req,
	    const redisReply *reply);

#endif
