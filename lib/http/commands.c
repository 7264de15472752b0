#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "commands.h"
#include "event.h"
#include "idempotency.h"
#include "log.h"
#include "page.h"
#include "service.h"

#define STRING(x)	#x
#define NUMBER(x)	STRING(x)

static const int refusal_status[REFUSALS] = {
	[REFUSAL_INVALID] =	 400,
	[REFUSAL_UNAUTHORIZED] = 401,
	[REFUSAL_FORBIDDEN] =	 403,
	[REFUSAL_NOT_FOUND] =	 404,
	[REFUSAL_CONFLICT] =	 409,
	[REFUSAL_LIMIT] =	 422,
	[REFUSAL_REUSED] =	 422,
};

int
commands_status(const struct command_result *res)
{
	switch (res->outcome) {
	case COMMAND_REFUSED:
		return refusal_status[res->refusal];
	case COMMAND_UNAVAILABLE:
		return 503;
	default:
		return 500;
	}
}

/*
 * A full Redis stays full until the archiver trims the stream or someone
 * raises maxmemory: minutes, not milliseconds.  Its refusal costs Redis
 * next to nothing (it comes before the Function runs), but a client
 * that retries at once only adds to the log and the load: 30 s.  The
 * log line comes once a minute with the count since the last one: a
 * line per request would fill the disk faster than Redis filled up.
 */
#define FULL_RETRY_S	30
#define FULL_LOG_S	60

void
commands_answer_full(struct http_request *req)
{
	static int64_t logged_us;
	static unsigned long refused;
	static int logged;
	int64_t now = clock_monotonic_us();

	refused++;
	if (!logged || now - logged_us >= FULL_LOG_S * 1000000LL) {
		log_warn("redis is at its maxmemory (REDIS_MAXMEMORY): %lu "
		    "writes answered 503 in this process since the last "
		    "such line, the latest %s %s", refused, req->method,
		    req->path);
		logged_us = now;
		logged = 1;
		refused = 0;
	}
	http_respond_error_ext(req, 503, "Retry-After: "
	    NUMBER(FULL_RETRY_S) "\r\n", "the event store is full: it "
	    "takes no writes until space is freed; nothing was done, retry "
	    "later");
}

int
commands_answer_failure(struct http_request *req,
    const struct command_result *res)
{
	int status = commands_status(res);

	if (res->outcome == COMMAND_DONE)
		return 0;
	if (res->full) {
		commands_answer_full(req);
		return 1;
	}
	if (res->outcome != COMMAND_REFUSED && !res->unreachable)
		log_warn("%s %s: redis: %s", req->method, req->path,
		    res->message);
	if (status == 401)
		http_respond_error(req, 401,
		    "missing, malformed or expired Bearer token");
	else if (status == 503 && res->unreplicated)
		http_respond_error(req, 503, "the event store could not copy the "
		    "event to its replicas in time; retry with the same "
		    "Idempotency-Key");
	else if (status == 503)
		http_respond_error(req, 503, "event store unavailable");
	else if (status == 500)
		http_respond_error(req, 500, "internal error");
	else
		http_respond_error(req, status, res->message);
	return 1;
}

/* The spec's FROM_REQUEST fields from body, as named arguments. */
static int
body_args(json_object *body, const struct event_spec *spec,
    char digits[][24], struct command_args *args, struct decode_error *err)
{
	struct event_value v;
	const char *value;
	size_t i;

	for (i = 0; i < spec->nfields; i++) {
		if (spec->fields[i].source != FROM_REQUEST)
			continue;
		if (event_field_decode(body, &spec->fields[i], &v, err) == -1)
			return -1;
		value = v.text;
		if (spec->fields[i].kind == FIELD_CENTS) {
			snprintf(digits[i], sizeof(digits[i]), "%" PRId64, v.num);
			value = digits[i];
		}
		if (command_arg(args, spec->fields[i].name, value) == -1)
			return decode_fail(err, NULL, "too many fields");
	}
	return 0;
}

/*
 * REDIS_WAIT_REPLICAS: the event must be on that many replicas before
 * the answer says so.  WAIT counts the replicas that have everything
 * this connection wrote, the command's writes last (a kept answer's
 * replay writes too, for this: events.lua, keyed()).  Too few by the
 * timeout: 503, and the client retries with its key.
 *
 * WAIT goes out once the FCALL's answer is in, not in the same write:
 * pipelined, POST /invoices answered 3 times fewer requests a second
 * (bench/groupcommit.sh, appendfsync always + WAIT 1: 265 against 746
 * with 4 processes, 457 against 1,555 with 32).  Our reading: Redis then
 * blocks the WAIT in the FCALL's own pass, so the replica's fsync comes
 * after the primary's instead of during the round trip.
 */
static void
wait_replicas(struct service *svc, struct command_result *res)
{
	redisReply *r;

	if (svc->cfg.wait_replicas == 0 || res->outcome != COMMAND_DONE)
		return;
	r = redis_conn_command(&svc->redis, "WAIT %d %d",
	    svc->cfg.wait_replicas, svc->cfg.wait_timeout_ms);
	if (r == NULL || r->type != REDIS_REPLY_INTEGER ||
	    r->integer < svc->cfg.wait_replicas) {
		res->outcome = COMMAND_UNAVAILABLE;
		res->unreachable = r == NULL;
		res->unreplicated = 1;
		res->message = "the event is not on enough replicas yet";
		metrics_unreplicated(&svc->metrics);
	}
	freeReplyObject(r);
}

/* FCALL of the spec's function; the result, and the reply it points into. */
static redisReply *
call_appending(const struct route_call *call, const struct event_spec *spec,
    const struct command_args *args, struct command_result *res)
{
	struct service *svc = call->svc;
	redisReply *reply;

	reply = command_call(&svc->redis, svc->cfg.stream_key, spec->function,
	    call->user, args);
	command_result_of(reply, 1, res);
	if (res->outcome == COMMAND_DONE && !res->replayed)
		metrics_event(&svc->metrics, res->appended);
	wait_replicas(svc, res);
	return reply;
}

/* A kept answer, given again for its idempotency key, says so. */
#define REPLAYED	"Idempotent-Replayed: true\r\n"

static void
respond_created(struct http_request *req, const struct command_result *res)
{
	json_object *body;

	if ((body = json_object_new_object()) == NULL ||
	    json_object_object_add(body, "id",
	    json_object_new_string(res->id)) != 0 ||
	    json_object_object_add(body, "event_id",
	    json_object_new_string(res->event_id)) != 0) {
		json_object_put(body);
		http_respond_error(req, 500, "out of memory");
		return;
	}
	http_respond_json_ext(req, 201, res->replayed ? REPLAYED : NULL, body);
	json_object_put(body);
}

void
commands_create(const struct route_call *call, const struct event_spec *spec)
{
	struct http_request *req = call->req;
	struct command_args args = { .n = 0 };
	struct command_result res;
	struct decode_error err;
	struct idempotency idem;
	char digits[CONTRACT_FIELDS_MAX][24];
	json_object *body;
	redisReply *reply;

	if ((body = decode_body("request body", req->body, req->body_len,
	    &err)) == NULL) {
		http_respond_decode_error(req, &err);
		return;
	}
	if (body_args(body, spec, digits, &args, &err) == -1) {
		http_respond_decode_error(req, &err);
		goto out;
	}
	if (idempotency_args(call, &idem, &args) == -1)
		goto out;
	reply = call_appending(call, spec, &args, &res);
	if (!commands_answer_failure(req, &res))
		respond_created(req, &res);
	freeReplyObject(reply);
out:
	json_object_put(body);
}

void
commands_delete(const struct route_call *call, const struct event_spec *spec)
{
	struct command_args args = { .n = 0 };
	struct command_result res;
	struct idempotency idem;
	redisReply *reply;
	char hdr[96];

	if (route_id(call->req, call->args[0], spec->record) == -1)
		return;
	command_arg(&args, "id", call->args[0]);
	if (idempotency_args(call, &idem, &args) == -1)
		return;
	reply = call_appending(call, spec, &args, &res);
	if (!commands_answer_failure(call->req, &res)) {
		snprintf(hdr, sizeof(hdr), "Event-Id: %.48s\r\n%s", res.event_id,
		    res.replayed ? REPLAYED : "");
		http_respond_empty(call->req, 204, hdr);
	}
	freeReplyObject(reply);
}

/* A value of the field's kind; NULL if it is not one. */
static json_object *
value_json(const struct contract_field *f, const char *s)
{
	long long n;
	char *end;

	if (f->kind != FIELD_CENTS)
		return json_object_new_string(s);
	errno = 0;
	n = strtoll(s, &end, 10);
	return errno == 0 && end != s && *end == '\0' ?
	    json_object_new_int64(n) : NULL;
}

/* A record answered as [name, value, ...]; NULL if it is not that. */
static json_object *
record_json(const redisReply *r, const struct event_spec *shape)
{
	const struct contract_field *f;
	json_object *o, *v;
	size_t i;
	int k;

	if (r->type != REDIS_REPLY_ARRAY || r->elements % 2 != 0 ||
	    (o = json_object_new_object()) == NULL)
		return NULL;
	for (i = 0; i + 1 < r->elements; i += 2) {
		if (r->element[i]->type != REDIS_REPLY_STRING ||
		    r->element[i + 1]->type != REDIS_REPLY_STRING ||
		    (k = contract_field_index(shape, r->element[i]->str,
		    r->element[i]->len)) == -1 ||
		    (v = value_json(f = &shape->fields[k],
		    r->element[i + 1]->str)) == NULL)
			goto fail;
		if (json_object_object_add(o, f->name, v) != 0) {
			json_object_put(v);
			goto fail;
		}
	}
	return o;
fail:
	json_object_put(o);
	return NULL;
}

/* Adds the records of r, from element first on, to list; -1 if not records. */
static int
records_add(json_object *list, const redisReply *r, size_t first,
    const struct event_spec *shape)
{
	json_object *item;
	size_t i;

	for (i = first; i < r->elements; i++)
		if ((item = record_json(r->element[i], shape)) == NULL ||
		    json_object_array_add(list, item) != 0) {
			json_object_put(item);
			return -1;
		}
	return 0;
}

/*
 * A page is asked of Redis in calls of at most READ_CALL_MAX records:
 * one call of 1,000 invoices held Redis for 3.8 ms (SLOWLOG), and every
 * other client's command waited behind it; calls of 100 hold it about a
 * tenth of that, and others' commands go in between.
 */
#define READ_CALL_MAX	100

/*
 * One call for at most left records of the list, after cursor: adds them
 * to list, and leaves in cursor where the list goes on ("" at its end).
 * 0; or -1 after answering.
 */
static int
read_call(const struct route_call *call, const struct record_read_spec *rs,
    json_object *list, int *left, char cursor[PAGE_CURSOR_MAX])
{
	struct service *svc = call->svc;
	struct command_args args = { .n = 0 };
	struct command_result res;
	redisReply *r;
	char limit[16];
	int rc = -1;

	snprintf(limit, sizeof(limit), "%d", *left < READ_CALL_MAX ? *left :
	    READ_CALL_MAX);
	command_arg(&args, "id", call->args[0]);
	command_arg(&args, "limit", limit);
	if (cursor[0] != '\0')
		command_arg(&args, "cursor", cursor);
	r = command_call(&svc->redis, svc->cfg.stream_key, rs->function,
	    call->user, &args);
	command_result_of(r, 0, &res);
	if (commands_answer_failure(call->req, &res))
		goto out;
	if (r->type != REDIS_REPLY_ARRAY || r->elements < 1 ||
	    r->element[0]->type != REDIS_REPLY_STRING ||
	    r->element[0]->len >= PAGE_CURSOR_MAX ||
	    (r->elements == 1 && r->element[0]->len != 0) ||	/* no progress */
	    records_add(list, r, 1, &contract_events[rs->shape]) == -1) {
		log_warn("%s: answer outside the contract", rs->function);
		http_respond_error(call->req, 500, "internal error");
		goto out;
	}
	*left -= (int)(r->elements - 1);
	memcpy(cursor, r->element[0]->str, r->element[0]->len + 1);
	rc = 0;
out:
	freeReplyObject(r);
	return rc;
}

/* A page of records; the next page, if any, in a Link header. */
static void
read_page(const struct route_call *call, const struct record_read_spec *rs)
{
	char cursor[PAGE_CURSOR_MAX], link[HTTP_PATH_MAX + 96] = "";
	struct page pg;
	json_object *list;
	int left;

	if (page_of(call->req, &pg) == -1)
		return;
	if ((list = json_object_new_array()) == NULL) {
		http_respond_error(call->req, 500, "out of memory");
		return;
	}
	memcpy(cursor, pg.cursor, sizeof(cursor));
	/* At most limit / READ_CALL_MAX + 1 calls: each takes one at least. */
	left = pg.limit;
	do {
		if (read_call(call, rs, list, &left, cursor) == -1)
			goto out;
	} while (left > 0 && cursor[0] != '\0');
	if (cursor[0] != '\0' && page_link_next(call->req, pg.limit, cursor,
	    link, sizeof(link)) == -1) {
		http_respond_error(call->req, 500, "internal error");
		goto out;
	}
	http_respond_json_ext(call->req, 200, link[0] != '\0' ? link : NULL,
	    list);
out:
	json_object_put(list);
}

void
commands_read(const struct route_call *call, const struct record_read_spec *rs)
{
	struct service *svc = call->svc;
	struct command_args args = { .n = 0 };
	struct command_result res;
	json_object *body = NULL;
	redisReply *reply;

	if (route_id(call->req, call->args[0], rs->of) == -1)
		return;
	if (rs->list) {
		read_page(call, rs);
		return;
	}
	command_arg(&args, "id", call->args[0]);
	reply = command_call(&svc->redis, svc->cfg.stream_key, rs->function,
	    call->user, &args);
	command_result_of(reply, 0, &res);
	if (!commands_answer_failure(call->req, &res)) {
		if ((body = record_json(reply, &contract_events[rs->shape])) ==
		    NULL) {
			log_warn("%s: answer outside the contract", rs->function);
			http_respond_error(call->req, 500, "internal error");
		} else
			http_respond_json(call->req, 200, body);
	}
	json_object_put(body);
	freeReplyObject(reply);
}
