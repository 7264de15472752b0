/*
 * GET /status: how far the projection is behind the stream.  lag is the
 * number of stream entries the worker has not yet seen: the stream's
 * entries-added (Redis 7 XINFO) less the entries the worker counted.
 */
#include <stdio.h>
#include <string.h>

#include "accounts.h"

/* entries-added of the stream; 0 if it does not exist yet; -1 if Redis is down. */
static long long
stream_entries_added(struct accounts_app *a)
{
	redisReply *r;
	long long n = 0;
	size_t i;

	r = redis_conn_command(&a->redis, "XINFO STREAM %s", a->cfg.stream_key);
	if (r == NULL)
		return -1;
	if (r->type == REDIS_REPLY_ARRAY) {
		for (i = 0; i + 1 < r->elements; i += 2) {
			if (r->element[i]->type == REDIS_REPLY_STRING &&
			    strcmp(r->element[i]->str, "entries-added") == 0 &&
			    r->element[i + 1]->type == REDIS_REPLY_INTEGER)
				n = r->element[i + 1]->integer;
		}
	}
	freeReplyObject(r);
	return n;
}

void
status_get(void *app, struct http_request *req, const char *user,
    char **args)
{
	struct accounts_app *a = app;
	struct read_model *rm = &a->rm;
	struct stream_id last;
	json_object *body;
	long long added, seen = 0;
	char last_id[STREAM_ID_MAX] = "0-0";
	int known = 0;

	(void)user;
	(void)args;
	if (read_model_position(rm, &last, &seen) == 0) {
		stream_id_format(&last, last_id);
		known = 1;
	}
	added = stream_entries_added(a);
	if ((body = json_object_new_object()) == NULL) {
		http_respond_error(req, 500, "out of memory");
		return;
	}
	if (!known || added < 0) {
		json_object_object_add(body, "status",
		    json_object_new_string("unavailable"));
		json_object_object_add(body, "error", json_object_new_string(
		    !known ? "read model unavailable" :
		    "redis unavailable"));
	} else
		json_object_object_add(body, "status",
		    json_object_new_string("ok"));
	json_object_object_add(body, "last_event_id",
	    json_object_new_string(last_id));
	if (added >= 0)
		json_object_object_add(body, "lag",
		    json_object_new_int64(added > seen ? added - seen : 0));
	http_respond_json(req, known && added >= 0 ? 200 : 503,
	    body);
	json_object_put(body);
}
