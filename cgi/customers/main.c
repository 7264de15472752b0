/*
 * customers.fcgi: the customers service (:8080).  Stateless: every
 * command is validated here and then checked, numbered and appended to
 * the stream in one Redis Function call.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "customers.h"
#include "fcgi_loop.h"
#include "route.h"
#include "service.h"
#include "token.h"

static void
status_get(void *app, struct http_request *req, const char *user, char **args)
{
	struct customers_app *a = app;
	redisReply *r;
	json_object *body;
	int ok;

	(void)user;
	(void)args;
	r = redis_conn_command(&a->redis, "PING");
	ok = r != NULL && r->type == REDIS_REPLY_STATUS;
	freeReplyObject(r);
	if ((body = json_object_new_object()) == NULL) {
		http_respond_error(req, 500, "out of memory");
		return;
	}
	json_object_object_add(body, "status",
	    json_object_new_string(ok ? "ok" : "unavailable"));
	if (!ok)
		json_object_object_add(body, "error",
		    json_object_new_string("redis unavailable"));
	http_respond_json(req, ok ? 200 : 503, body);
	json_object_put(body);
}

static void
metrics_get(void *app, struct http_request *req, const char *user,
    char **args)
{
	struct customers_app *a = app;

	(void)user;
	(void)args;
	metrics_respond(req, &a->metrics, a->routes, a->nroutes, NULL, NULL);
}

static const struct route routes[] = {
	{ "GET",    "/status",			0, status_get },
	{ "GET",    "/metrics",			0, metrics_get },
	{ "POST",   "/customers",		1, customer_create },
	{ "GET",    "/customers/*",		1, customer_get },
	{ "DELETE", "/customers/*",		1, customer_delete },
	{ "GET",    "/customers/*/invoices",	1, invoice_list },
	{ "POST",   "/invoices",		1, invoice_create },
	{ "GET",    "/invoices/*",		1, invoice_get },
	{ "DELETE", "/invoices/*",		1, invoice_delete },
};

int
main(int argc, char *argv[])
{
	static struct customers_app app;
	static struct token_key key;
	/* No user check here: every Redis Function checks the caller itself. */
	struct fcgi_service svc = { routes, sizeof(routes) / sizeof(routes[0]),
	    &app, &key, NULL, &app.metrics };
	int status;

	if ((status = service_start(argc, argv, "customers", &app.cfg, &key,
	    &app.redis, &app.metrics)) != -1)
		return status;
	app.routes = routes;
	app.nroutes = svc.nroutes;
	return fcgi_loop_run(&svc);
}
