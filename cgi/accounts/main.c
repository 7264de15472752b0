/*
 * accounts.fcgi: the accounts service (:8090).  Logs users in and answers
 * reads from the SQLite read model that the worker projects from the
 * stream; it never writes that database.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accounts.h"
#include "cli.h"
#include "fcgi_loop.h"
#include "log.h"
#include "privdrop.h"

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

	log_init("accounts.fcgi");
	if ((status = cli_handle(argc, argv, "accounts.fcgi",
	    "usage: accounts.fcgi [--help | --version]\n"
	    "The accounts service, a FastCGI responder on the socket at fd 0\n"
	    "(started by lighttpd's bin-path or by spawn-fcgi).\n", NULL)) != -1)
		return status;
	/* Under lighttpd already unprivileged; spawn-fcgi as root without -u is not. */
	if (privdrop() == -1)
		return EXIT_FAILURE;
	if (config_load(&app.cfg) == -1 ||
	    (app.key.len = config_load_secret(&app.cfg, app.key.bytes,
	    sizeof(app.key.bytes))) == -1) {
		log_error("configuration error");
		return EXIT_FAILURE;
	}
	if (login_init(&app) == -1) {
		log_error("libsodium initialisation failed");
		return EXIT_FAILURE;
	}
	redis_conn_init(&app.redis, app.cfg.redis_host, app.cfg.redis_port,
	    app.cfg.redis_timeout_ms);
	app.rm.path = app.cfg.db_path;
	metrics_open(&app.metrics, app.cfg.var_dir, "accounts");
	app.redis.metrics = &app.metrics;
	app.routes = routes;
	app.nroutes = svc.nroutes;
	return fcgi_loop_run(&svc);
}
