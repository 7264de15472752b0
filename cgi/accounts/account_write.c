/*
 * POST /accounts and DELETE /accounts/{id}: commands, appended through
 * the same Redis Function library as the customers service's.
 */
#include "accounts.h"
#include "clock.h"
#include "command.h"
#include "decode.h"

/* POST /accounts {"name","description"} -> AccountCreated, owned by the caller */
void
account_create(void *app, struct http_request *req, const char *user,
    char **args)
{
	struct accounts_app *a = app;
	struct decode_error err;
	json_object *body;
	const char *name, *description;
	char now[CLOCK_ISO_MAX];
	redisReply *reply;

	(void)args;
	if ((body = decode_body("request body", req->body, req->body_len,
	    &err)) == NULL) {
		http_respond_error(req, err.status, err.msg);
		return;
	}
	if (decode_text(body, "name", 0, &name, &err) == -1 ||
	    decode_text(body, "description", 0, &description, &err) == -1) {
		http_respond_error(req, err.status, err.msg);
		goto out;
	}
	if (clock_iso8601(now) == -1) {
		http_respond_error(req, 500, "clock unavailable");
		goto out;
	}
	reply = redis_conn_fcall(&a->redis, "account_create",
	    a->cfg.stream_key, 4,
	    (const char *[]){ user, name, description, now });
	command_respond_created(req, reply, "AccountCreated");
	freeReplyObject(reply);
out:
	json_object_put(body);
}

/* DELETE /accounts/{id} -> AccountDeleted; 409 while it has customers */
void
account_delete(void *app, struct http_request *req, const char *user,
    char **args)
{
	struct accounts_app *a = app;

	command_delete(req, &a->redis, a->cfg.stream_key, "account_delete",
	    user, args[0], "account", "AccountDeleted");
}
