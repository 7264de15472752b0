/*
 * GET /status: how far the projection is behind the stream, and what is
 * down.  lag is the number of stream entries the worker has not yet
 * seen: the stream's entries-added (Redis 7 XINFO) less the entries the
 * worker counted.  The worker's state comes from its health file.
 */
#include <string.h>

#include "accounts.h"
#include "health.h"

long long
projection_lag(struct service *svc, long long seen, struct stream_info *info)
{
	if (stream_info(&svc->redis, svc->cfg.stream_key, info) == -1)
		return -1;
	return info->entries_added > seen ? info->entries_added - seen : 0;
}

static json_object *
status_json(int known, long long lag, const char *last_id, const char *worker)
{
	json_object *body;

	if ((body = json_object_new_object()) == NULL)
		return NULL;
	if (!known || lag < 0) {
		json_object_object_add(body, "status",
		    json_object_new_string("unavailable"));
		json_object_object_add(body, "error", json_object_new_string(
		    !known ? "read model unavailable" : "redis unavailable"));
	} else
		json_object_object_add(body, "status", json_object_new_string(
		    strcmp(worker, "ok") == 0 ? "ok" : "degraded"));
	json_object_object_add(body, "redis",
	    json_object_new_string(lag >= 0 ? "ok" : "unavailable"));
	json_object_object_add(body, "read_model", json_object_new_string(
	    known ? "ok" : "unavailable"));
	json_object_object_add(body, "worker", json_object_new_string(worker));
	json_object_object_add(body, "last_event_id",
	    json_object_new_string(last_id));
	if (lag >= 0)
		json_object_object_add(body, "lag", json_object_new_int64(lag));
	return body;
}

/*
 * "redis_memory": {"state", "used_bytes", "max_bytes"}; past 90 % of
 * maxmemory the status is degraded: at 100 % every write answers 503.
 */
static void
memory_json(struct service *svc, json_object *body)
{
	struct redis_memory m;
	json_object *o;
	const char *state;

	if (redis_memory(svc, &m) == -1 ||
	    (o = json_object_new_object()) == NULL)
		return;
	state = redis_memory_state(&m);
	json_object_object_add(o, "state", json_object_new_string(state));
	json_object_object_add(o, "used_bytes", json_object_new_int64(m.used));
	json_object_object_add(o, "max_bytes", json_object_new_int64(m.max));
	json_object_object_add(body, "redis_memory", o);
	if ((strcmp(state, "full") == 0 || strcmp(state, "nearly full") == 0)
	    && json_object_object_get_ex(body, "status", &o) &&
	    strcmp(json_object_get_string(o), "ok") == 0)
		json_object_object_add(body, "status",
		    json_object_new_string("degraded"));
}

void
status_get(const struct route_call *call)
{
	struct service *svc = call->svc;
	struct stream_info info;
	struct stream_id last;
	json_object *body;
	long long lag, seen = 0;
	char last_id[STREAM_ID_MAX] = "0-0", worker[HEALTH_MAX];
	int known = 0;

	if (reader_position(&APP(call)->reader, &last, &seen) == 0) {
		stream_id_format(&last, last_id);
		known = 1;
	}
	lag = projection_lag(svc, seen, &info);
	health_read(svc->cfg.status_path, worker, sizeof(worker));
	if ((body = status_json(known, lag, last_id, worker)) == NULL) {
		http_respond_error(call->req, 500, "out of memory");
		return;
	}
	if (lag >= 0) {
		json_object_object_add(body, "stream", consumers_json(svc));
		memory_json(svc, body);
	}
	http_respond_json(call->req, known && lag >= 0 ? 200 : 503, body);
	json_object_put(body);
}
