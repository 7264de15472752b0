/*
 * accounts.fcgi: the accounts service (:8090).  Logs users in and answers
 * reads from the SQLite read model that the worker projects from the
 * stream; it never writes that database.
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accounts.h"
#include "fcgi_loop.h"

static const struct route routes[] = {
	{ "GET",  "/status",			0, status_get },
	{ "POST", "/auth/login",		0, auth_login },
	{ "GET",  "/accounts",			1, account_list },
	{ "GET",  "/accounts/*",		1, account_get },
	{ "GET",  "/accounts/*/is-owned-by/*",	1, account_is_owned_by },
};

int
main(int argc, char *argv[])
{
	static struct accounts_app app;

	if (argc > 1 && strcmp(argv[1], "--version") == 0) {
		puts("accounts.fcgi " VERSION);
		return EXIT_SUCCESS;
	}
	if (config_load(&app.cfg) == -1 ||
	    (app.key.len = config_load_secret(&app.cfg, app.key.bytes,
	    sizeof(app.key.bytes))) == -1)
		errx(EXIT_FAILURE, "configuration error");
	if (login_init(&app) == -1)
		errx(EXIT_FAILURE, "libsodium initialisation failed");
	redis_conn_init(&app.redis, app.cfg.redis_host, app.cfg.redis_port,
	    app.cfg.redis_timeout_ms);
	app.rm.path = app.cfg.db_path;
	return fcgi_loop_run(routes, sizeof(routes) / sizeof(routes[0]), &app,
	    &app.key);
}
