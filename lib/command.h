/*
 * Answering a command or a read of the command side: turns the reply of
 * a Redis Function (db/events.lua) into the HTTP answer.  The functions'
 * error replies start with a word that says which status they mean.
 */
#ifndef COMMAND_H
#define COMMAND_H

#include <hiredis/hiredis.h>

#include "http.h"
#include "redis_conn.h"

/*
 * Answers a NULL reply (Redis unreachable: 503) or an error reply (its
 * status) and returns 1; returns 0, answering nothing, for any other.
 */
int	command_respond_failure(struct http_request *req,
	    const redisReply *reply);

/* 201 {"id","event_id"} from a reply [id, event_id]; counts event_type. */
void	command_respond_created(struct http_request *req,
	    const redisReply *reply, const char *event_type);

/* 204 with an Event-Id header from a reply event_id; counts event_type. */
void	command_respond_deleted(struct http_request *req,
	    const redisReply *reply, const char *event_type);

/*
 * DELETE of one record: checks the path id, calls the Redis Function fn
 * with (user, id) and answers 204, or the refusal.  what names the kind
 * in the 400 for a bad id.
 */
void	command_delete(struct http_request *req, struct redis_conn *rc,
	    const char *stream, const char *fn, const char *user,
	    const char *id, const char *what, const char *event_type);

#endif
