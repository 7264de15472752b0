/*
 * accounts.fcgi: the accounts service (:8090).  Logs users in and answers
 * reads from the SQLite read model that the worker projects from the
 * stream; it never writes that database.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accounts.h"
#include "fcgi_loop.h"
#include "log.h"
#include "service.h"

static const struct route routes[] = {
	{ "GET",    "/status",			0, status_get },
	{ "GET",    "/metrics",			0, metrics_get },
	{ "POST",   "/auth/login",		0, auth_login },
	{ "GET",    "/accounts",		1, account_list },
	{ "POST",   "/accounts",		1, account_create },
	{ "GET",    "/accounts/*",		1, account_get },
	{ "DELETE", "/accounts/*",		1, account_delete },
	{ "GET",    "/accounts/*/is-owned-by/*", 1, account_is_owned_by },
};

/*
 * Reads come from SQLite, so the user is checked in Redis here.  When
 * Redis is down the signed, unexpired token is trusted, so that reads
 * keep working; commands check the user inside Redis regardless.
 */
static int
user_exists(void *app, const char *user)
{
	struct accounts_app *a = app;
	redisReply *r;
	int exists = -1;

	r = redis_conn_command(&a->redis, "EXISTS user:%s", user);
	if (r != NULL && r->type == REDIS_REPLY_INTEGER)
		exists = r->integer == 1;
	freeReplyObject(r);
	return exists;
}

int
main(int argc, char *argv[])
{
	static struct accounts_app app;
	struct fcgi_service svc = { routes, sizeof(routes) / sizeof(routes[0]),
	    &app, &app.key, user_exists, &app.metrics };
	int status;

	if ((status = service_start(argc, argv, "accounts", &app.cfg, &app.key,
	    &app.redis, &app.metrics)) != -1)
		return status;
	if (login_init(&app) == -1) {
		log_error("libsodium initialisation failed");
		return EXIT_FAILURE;
	}
	app.rm.path = app.cfg.db_path;
	app.routes = routes;
	app.nroutes = svc.nroutes;
	return fcgi_loop_run(&svc);
}
