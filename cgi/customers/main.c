/*
 * customers.fcgi: the customers service (:8080).  Stateless: every
 * command is validated here and then checked, numbered and appended to
 * the stream in one Redis Function call.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "customers.h"
#include "fcgi_loop.h"
#include "log.h"
#include "privdrop.h"
#include "route.h"
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

	log_init("customers.fcgi");
	if ((status = cli_handle(argc, argv, "customers.fcgi",
	    "usage: customers.fcgi [--help | --version]\n"
	    "The customers service, a FastCGI responder on the socket at fd 0\n"
	    "(started by lighttpd's bin-path or by spawn-fcgi).\n", NULL)) != -1)
		return status;
	/* Under lighttpd already unprivileged; spawn-fcgi as root without -u is not. */
	if (privdrop() == -1)
		return EXIT_FAILURE;
	if (config_load(&app.cfg) == -1 ||
	    (key.len = config_load_secret(&app.cfg, key.bytes,
	    sizeof(key.bytes))) == -1) {
		log_error("configuration error");
		return EXIT_FAILURE;
	}
	redis_conn_init(&app.redis, app.cfg.redis_host, app.cfg.redis_port,
	    app.cfg.redis_timeout_ms);
	metrics_open(&app.metrics, app.cfg.var_dir, "customers");
	app.redis.metrics = &app.metrics;
	app.routes = routes;
	app.nroutes = svc.nroutes;
	return fcgi_loop_run(&svc);
}
