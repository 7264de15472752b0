#include <inttypes.h>
#include <stdio.h>

#include "clock.h"
#include "command.h"
#include "customers.h"
#include "decode.h"

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
	if ((body = decode_body("request body", req->body, req->body_len, &err)) == NULL) {
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
	command_respond(req, reply);
	freeReplyObject(reply);
out:
	json_object_put(body);
}
