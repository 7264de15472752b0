#include <inttypes.h>
#include <stdio.h>

#include "clock.h"
#include "command.h"
#include "customers.h"
#include "decode.h"

/* POST /invoices {"customer_id","purchase_date","purchase_price_cents"} -> InvoiceCreated */
void
invoice_create(void *app, struct http_request *req, const char *user,
    char **args)
{
	struct customers_app *a = app;
	struct decode_error err;
	json_object *body;
	const char *date;
	uint64_t customer_id;
	int64_t cents;
	char customer_s[DECODE_ID_MAX], cents_s[24], now[CLOCK_ISO_MAX];
	redisReply *reply;

	(void)args;
	if ((body = decode_body("request body", req->body, req->body_len, &err)) == NULL) {
		http_respond_error(req, err.status, err.msg);
		return;
	}
	if (decode_id(body, "customer_id", &customer_id, &err) == -1 ||
	    decode_date(body, "purchase_date", &date, &err) == -1 ||
	    decode_cents(body, "purchase_price_cents", &cents, &err) == -1) {
		http_respond_error(req, err.status, err.msg);
		goto out;
	}
	if (clock_iso8601(now) == -1) {
		http_respond_error(req, 500, "clock unavailable");
		goto out;
	}
	snprintf(customer_s, sizeof(customer_s), "%" PRIu64, customer_id);
	snprintf(cents_s, sizeof(cents_s), "%" PRId64, cents);
	reply = redis_conn_fcall(&a->redis, "invoice_create",
	    a->cfg.stream_key, 5,
	    (const char *[]){ user, customer_s, cents_s, date, now });
	command_respond(req, reply);
	freeReplyObject(reply);
out:
	json_object_put(body);
}
