/*
 * Read-your-writes: GET /accounts?after=<event_id> waits until the
 * projection has applied that stream id, at most READ_WAIT_MS, so that
 * a client can read its own write without polling.  The wait polls the
 * recorded position, a one-row read, with a short sleep; it holds this
 * FastCGI process meanwhile, which is why it is bounded.
 */
#include <stdio.h>
#include <time.h>

#include "accounts.h"
#include "clock.h"

int
read_wait_after(const struct route_call *call)
{
	struct http_request *req = call->req;
	static const struct timespec nap = { 0, 2 * 1000 * 1000 };
	struct stream_id want, last;
	json_object *body;
	char s[STREAM_ID_MAX], msg[128];
	long long deadline, seen;
	int found;

	found = http_query_param(req, "after", s, sizeof(s));
	if (found == 0)
		return 0;
	if (found == -1 || stream_id_parse(s, &want) == -1) {
		http_respond_error(req, 400, "after must be an event id such as "
		    "1553318690326-0");
		return -1;
	}
	deadline = clock_monotonic_us() / 1000 + call->svc->cfg.read_wait_ms;
	for (;;) {
		if (reader_position(&APP(call)->reader, &last, &seen) == -1) {
			http_respond_error(req, 503, "read model unavailable");
			return -1;
		}
		if (stream_id_cmp(&last, &want) >= 0)
			return 0;
		if (clock_monotonic_us() / 1000 >= deadline)
			break;
		nanosleep(&nap, NULL);
	}
	/* Like a gateway timeout: the answer is not there yet; try again. */
	stream_id_format(&last, s);
	snprintf(msg, sizeof(msg), "the projection has not reached the event "
	    "yet; it is at %s", s);
	if ((body = json_object_new_object()) == NULL) {
		http_respond_error(req, 500, "out of memory");
		return -1;
	}
	json_object_object_add(body, "error", json_object_new_string(msg));
	json_object_object_add(body, "last_event_id", json_object_new_string(s));
	http_respond_json(req, 504, body);
	json_object_put(body);
	return -1;
}
