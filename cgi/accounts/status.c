/*
 * GET /status: how far the projection is behind the stream, and what is
 * down.  lag is the number of stream entries the worker has not yet
 * seen: the stream's entries-added (Redis 7 XINFO) less the entries the
 * worker counted.  The worker's state comes from its health file.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
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

/*
 * The worker's health file holds "<pid> ok" or "<pid> <problem>".
 * Fills out with "ok", the problem, or why there is no answer.
 */
static void
worker_health(const char *path, char *out, size_t len)
{
	char line[256], *end;
	FILE *f;
	long pid;

	snprintf(out, len, "unknown (no health file)");
	if ((f = fopen(path, "r")) == NULL)
		return;
	if (fgets(line, sizeof(line), f) == NULL) {
		fclose(f);
		return;
	}
	fclose(f);
	line[strcspn(line, "\n")] = '\0';
	pid = strtol(line, &end, 10);
	if (pid <= 0 || *end != ' ')
		return;
	if (kill((pid_t)pid, 0) == -1 && errno == ESRCH)
		snprintf(out, len, "not running");
	else
		snprintf(out, len, "%s", end + 1);
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
	char last_id[STREAM_ID_MAX] = "0-0", worker[256];
	int known = 0;

	(void)user;
	(void)args;
	if (read_model_position(rm, &last, &seen) == 0) {
		stream_id_format(&last, last_id);
		known = 1;
	}
	added = stream_entries_added(a);
	worker_health(a->cfg.status_path, worker, sizeof(worker));
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
		json_object_object_add(body, "status", json_object_new_string(
		    strcmp(worker, "ok") == 0 ? "ok" : "degraded"));
	json_object_object_add(body, "redis",
	    json_object_new_string(added >= 0 ? "ok" : "unavailable"));
	json_object_object_add(body, "read_model", json_object_new_string(
	    known ? "ok" : "unavailable"));
	json_object_object_add(body, "worker", json_object_new_string(worker));
	json_object_object_add(body, "last_event_id",
	    json_object_new_string(last_id));
	if (added >= 0)
		json_object_object_add(body, "lag",
		    json_object_new_int64(added > seen ? added - seen : 0));
	http_respond_json(req, known && added >= 0 ? 200 : 503,
	    body);
	json_object_put(body);
}
