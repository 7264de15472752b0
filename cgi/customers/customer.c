/*
 * Customers: POST /customers, GET and DELETE /customers/{id}.  Reads come
 * from the command-side state in Redis, through the same ownership
 * checks as the commands.
 */
#include <inttypes.h>
#include <stdio.h>

#include "clock.h"
#include "command.h"
#include "customers.h"
#include "decode.h"
#include "route.h"

/* POST /customers {"name","account_id"} -> CustomerCreated */
void
customer_create(void *app, struct http_request *req, const char *user,
    char **args)
{
	struct customers_app *a = app;
	struct decode_error err;
	json_object *body;
	const char *name;
	uint64_t account_id;
	char account_s[DECODE_ID_MAX], now[CLOCK_ISO_MAX];
	redisReply *reply;

	(void)args;
	if ((body = decode_body("request body", req->body, req->body_len,
	    &err)) == NULL) {
		http_respond_error(req, err.status, err.msg);
		return;
	}
	if (decode_text(body, "name", 0, &name, &err) == -1 ||
	    decode_id(body, "account_id", &account_id, &err) == -1) {
		http_respond_error(req, err.status, err.msg);
		goto out;
	}
	if (clock_iso8601(now) == -1) {
		http_respond_error(req, 500, "clock unavailable");
		goto out;
	}
	snprintf(account_s, sizeof(account_s), "%" PRIu64, account_id);
	reply = redis_conn_fcall(&a->redis, "customer_create",
	    a->cfg.stream_key, 4,
	    (const char *[]){ user, account_s, name, now });
	command_respond_created(req, reply, "CustomerCreated");
	freeReplyObject(reply);
out:
	json_object_put(body);
}

/* GET /customers/{id} -> {"id","account_id","name","created_date"} */
void
customer_get(void *app, struct http_request *req, const char *user,
    char **args)
{
	static const char *const keys[] = { "id", "account_id", "name",
	    "created_date" };
	struct customers_app *a = app;
	json_object *body;
	redisReply *r;
	size_t i;

	if (route_id(req, args[0], "customer") == -1)
		return;
	r = redis_conn_fcall(&a->redis, "customer_get", a->cfg.stream_key, 2,
	    (const char *[]){ user, args[0] });
	if (command_respond_failure(req, r))
		goto out;
	if (r->type != REDIS_REPLY_ARRAY || r->elements != 4 ||
	    (body = json_object_new_object()) == NULL) {
		http_respond_error(req, 500, "internal error");
		goto out;
	}
	for (i = 0; i < 4; i++)
		json_object_object_add(body, keys[i], json_object_new_string(
		    r->element[i]->type == REDIS_REPLY_STRING ?
		    r->element[i]->str : ""));
	http_respond_json(req, 200, body);
	json_object_put(body);
out:
	freeReplyObject(r);
}

/* DELETE /customers/{id} -> CustomerDeleted; its invoices go with it. */
void
customer_delete(void *app, struct http_request *req, const char *user,
    char **args)
{
	struct customers_app *a = app;

	command_delete(req, &a->redis, a->cfg.stream_key, "customer_delete",
	    user, args[0], "customer", "CustomerDeleted");
}
