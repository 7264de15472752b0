#include <stdio.h>
#include <string.h>

#include "command.h"
#include "log.h"
#include "metrics.h"
#include "route.h"

static const struct {
	const char	*word;
	int		 status;
} error_words[] = {
	{ "INVALID ",	400 },
	{ "UNAUTHORIZED ", 401 },
	{ "FORBIDDEN ",	403 },
	{ "NOTFOUND ",	404 },
	{ "CONFLICT ",	409 },
	/* Redis states that pass: answer 503 so the client retries. */
	{ "LOADING ",	503 },
	{ "BUSY ",	503 },
	{ "OOM ",	503 },
	{ "MASTERDOWN ", 503 },
	{ "READONLY ",	503 },
};

static void
respond_error_reply(struct http_request *req, const char *str)
{
	size_t i, len;

	for (i = 0; i < sizeof(error_words) / sizeof(error_words[0]); i++) {
		len = strlen(error_words[i].word);
		if (strncmp(str, error_words[i].word, len) != 0)
			continue;
		if (error_words[i].status == 503) {
			log_warn("%s %s: redis: %s", req->method, req->path, str);
			http_respond_error(req, 503, "event store unavailable");
		} else if (error_words[i].status == 401)
			http_respond_error(req, 401,
			    "missing, malformed or expired Bearer token");
		else
			http_respond_error(req, error_words[i].status,
			    str + len);
		return;
	}
	log_warn("%s %s: redis: %s", req->method, req->path, str);
	http_respond_error(req, 500, "internal error");
}

int
command_respond_failure(struct http_request *req, const redisReply *reply)
{
	if (reply == NULL) {
		http_respond_error(req, 503, "event store unavailable");
		return 1;
	}
	if (reply->type == REDIS_REPLY_ERROR) {
		respond_error_reply(req, reply->str);
		return 1;
	}
	return 0;
}

static void
respond_unexpected(struct http_request *req)
{
	log_warn("%s %s: unexpected reply from redis", req->method, req->path);
	http_respond_error(req, 500, "internal error");
}

void
command_respond_created(struct http_request *req, const redisReply *reply,
    const char *event_type)
{
	json_object *body;

	if (command_respond_failure(req, reply))
		return;
	if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2 ||
	    reply->element[0]->type != REDIS_REPLY_STRING ||
	    reply->element[1]->type != REDIS_REPLY_STRING) {
		respond_unexpected(req);
		return;
	}
	if ((body = json_object_new_object()) == NULL ||
	    json_object_object_add(body, "id",
	    json_object_new_string(reply->element[0]->str)) != 0 ||
	    json_object_object_add(body, "event_id",
	    json_object_new_string(reply->element[1]->str)) != 0) {
		json_object_put(body);
		http_respond_error(req, 500, "out of memory");
		return;
	}
	http_respond_json(req, 201, body);
	json_object_put(body);
	if (req->metrics != NULL)
		metrics_event(req->metrics, event_type);
}

void
command_respond_deleted(struct http_request *req, const redisReply *reply,
    const char *event_type)
{
	char hdr[96];

	if (command_respond_failure(req, reply))
		return;
	if (reply->type != REDIS_REPLY_STRING || reply->len > 48) {
		respond_unexpected(req);
		return;
	}
	snprintf(hdr, sizeof(hdr), "Event-Id: %s\r\n", reply->str);
	http_respond_empty(req, 204, hdr);
	if (req->metrics != NULL)
		metrics_event(req->metrics, event_type);
}

void
command_delete(struct http_request *req, struct redis_conn *rc,
    const char *stream, const char *fn, const char *user, const char *id,
    const char *what, const char *event_type)
{
	redisReply *r;

	if (route_id(req, id, what) == -1)
		return;
	r = redis_conn_fcall(rc, fn, stream, 2, (const char *[]){ user, id });
	command_respond_deleted(req, r, event_type);
	freeReplyObject(r);
}
