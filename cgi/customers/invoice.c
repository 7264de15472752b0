/*
 * Invoices: POST /invoices, GET and DELETE /invoices/{id}, and
 * GET /customers/{id}/invoices.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "clock.h"
#include "command.h"
#include "customers.h"
#include "decode.h"
#include "route.h"

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
	if ((body = decode_body("request body", req->body, req->body_len,
	    &err)) == NULL) {
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
	command_respond_created(req, reply, "InvoiceCreated");
	freeReplyObject(reply);
out:
	json_object_put(body);
}

/*
 * {"id","customer_id","purchase_date","purchase_price_cents","created_date"}
 * from the five strings invoice_get answers; NULL if they are not that.
 */
static json_object *
invoice_json(const redisReply *r)
{
	static const char *const keys[] = { "id", "customer_id",
	    "purchase_date", "purchase_price_cents", "created_date" };
	json_object *o;
	long long cents;
	char *end;
	size_t i;

	if (r->type != REDIS_REPLY_ARRAY || r->elements != 5)
		return NULL;
	for (i = 0; i < 5; i++)
		if (r->element[i]->type != REDIS_REPLY_STRING)
			return NULL;
	errno = 0;
	cents = strtoll(r->element[3]->str, &end, 10);
	if (errno != 0 || *end != '\0' || (o = json_object_new_object()) == NULL)
		return NULL;
	for (i = 0; i < 5; i++)
		json_object_object_add(o, keys[i], i == 3 ?
		    json_object_new_int64(cents) :
		    json_object_new_string(r->element[i]->str));
	return o;
}

/* GET /invoices/{id} */
void
invoice_get(void *app, struct http_request *req, const char *user,
    char **args)
{
	struct customers_app *a = app;
	json_object *body;
	redisReply *r;

	if (route_id(req, args[0], "invoice") == -1)
		return;
	r = redis_conn_fcall(&a->redis, "invoice_get", a->cfg.stream_key, 2,
	    (const char *[]){ user, args[0] });
	if (command_respond_failure(req, r))
		goto out;
	if ((body = invoice_json(r)) == NULL) {
		http_respond_error(req, 500, "internal error");
		goto out;
	}
	http_respond_json(req, 200, body);
	json_object_put(body);
out:
	freeReplyObject(r);
}

/* GET /customers/{id}/invoices: the customer's invoices, by id. */
void
invoice_list(void *app, struct http_request *req, const char *user,
    char **args)
{
	struct customers_app *a = app;
	json_object *list = NULL, *item;
	redisReply *r;
	size_t i;

	if (route_id(req, args[0], "customer") == -1)
		return;
	r = redis_conn_fcall(&a->redis, "customer_invoices", a->cfg.stream_key,
	    2, (const char *[]){ user, args[0] });
	if (command_respond_failure(req, r))
		goto out;
	if (r->type != REDIS_REPLY_ARRAY ||
	    (list = json_object_new_array()) == NULL)
		goto fail;
	for (i = 0; i < r->elements; i++) {
		if ((item = invoice_json(r->element[i])) == NULL)
			goto fail;
		json_object_array_add(list, item);
	}
	http_respond_json(req, 200, list);
	goto out;
fail:
	http_respond_error(req, 500, "internal error");
out:
	json_object_put(list);
	freeReplyObject(r);
}

/* DELETE /invoices/{id} -> InvoiceDeleted */
void
invoice_delete(void *app, struct http_request *req, const char *user,
    char **args)
{
	struct customers_app *a = app;

	command_delete(req, &a->redis, a->cfg.stream_key, "invoice_delete",
	    user, args[0], "invoice", "InvoiceDeleted");
}
