/*
 * Read-your-writes: GET /accounts?after=<event_id> waits until the
 * projection has applied that stream id, so that a client can read its
 * own write without polling.  The wait polls the recorded position, a
 * one-row read, with a short sleep, and holds this FastCGI process
 * meanwhile; so it is bounded three ways.  An id past the stream's last
 * (no event to wait for) is refused at once (400).  At most READ_WAITERS
 * reads wait at a time, over all the service's processes, and at most
 * READ_WAITERS_PER_USER of them one user's (limiter.h): past that, 503
 * with Retry-After, so that no user can hold the others' slots.  And no
 * wait is longer than READ_WAIT_MS (504, with where the projection is).
 */
#include <stdio.h>
#include <time.h>

#include "accounts.h"
#include "clock.h"
#include "log.h"

/* 0 once the projection is at want; -1 after answering. */
static int
wait_for(const struct route_call *call, const struct stream_id *want)
{
	static const struct timespec nap = { 0, 2 * 1000 * 1000 };
	struct stream_id last;
	json_object *body;
	char s[STREAM_ID_MAX], msg[128];
	long long deadline, seen;

	deadline = clock_monotonic_us() / 1000 + call->svc->cfg.read_wait_ms;
	for (;;) {
		if (reader_position(&APP(call)->reader, &last, &seen) == -1) {
			http_respond_error(call->req, 503, "read model unavailable");
			return -1;
		}
		if (stream_id_cmp(&last, want) >= 0)
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
		http_respond_error(call->req, 500, "out of memory");
		return -1;
	}
	json_object_object_add(body, "error", json_object_new_string(msg));
	json_object_object_add(body, "last_event_id", json_object_new_string(s));
	http_respond_json(call->req, 504, body);
	json_object_put(body);
	return -1;
}

/* 0 when the stream has want; -1 after a 400, or a 503 when Redis
 * cannot tell (no wait for a projection that cannot move either). */
static int
exists(const struct route_call *call, const struct stream_id *want)
{
	struct stream_info info;
	char last[STREAM_ID_MAX], msg[160];

	if (stream_info(&call->svc->redis, call->svc->cfg.stream_key,
	    &info) == -1) {
		http_respond_error_ext(call->req, 503, "Retry-After: 1\r\n",
		    "event store unavailable");
		return -1;
	}
	if (stream_id_cmp(want, &info.last_generated) <= 0)
		return 0;
	stream_id_format(&info.last_generated, last);
	snprintf(msg, sizeof(msg), "after names no event of the stream (its "
	    "last is %s)", last);
	http_respond_error(call->req, 400, msg);
	return -1;
}

int
read_wait_after(const struct route_call *call)
{
	struct accounts_app *a = APP(call);
	struct stream_id want, last;
	char s[STREAM_ID_MAX];
	long long seen;
	int found, rc;

	if ((found = http_query_param(call->req, "after", s, sizeof(s))) == 0)
		return 0;
	if (found == -1 || stream_id_parse(s, &want) == -1) {
		http_respond_error(call->req, 400, "after must be an event id such "
		    "as 1553318690326-0");
		return -1;
	}
	/* Most reads need no wait: their event is applied already. */
	if (reader_position(&a->reader, &last, &seen) == 0 &&
	    stream_id_cmp(&last, &want) >= 0)
		return 0;
	if (exists(call, &want) == -1)
		return -1;
	if (limiter_wait_take(&call->svc->limiter, clock_monotonic_us()) == -1) {
		http_respond_error_ext(call->req, 503, "Retry-After: 1\r\n",
		    "too many reads are waiting for the projection; try again");
		return -1;
	}
	rc = wait_for(call, &want);
	limiter_wait_give(&call->svc->limiter, clock_monotonic_us());
	return rc;
}
