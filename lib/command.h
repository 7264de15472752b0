/*
 * Answering a command: turns the reply of a Redis Function (db/events.lua)
 * into the HTTP answer.  The function's error replies start with a word
 * that says which status they mean.
 */
#ifndef COMMAND_H
#define COMMAND_H

#include <hiredis/hiredis.h>

#include "http.h"

/* reply may be NULL (Redis unreachable): 503. 201 {"id","event_id"} on success. */
void	command_respond(struct http_request *req, const redisReply *reply);

#endif
