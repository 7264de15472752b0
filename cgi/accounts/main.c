/*
 * accounts.fcgi: the accounts service (:8090).  Logs users in, takes the
 * account commands, and answers reads from the SQLite read model that
 * the worker projects from the stream; it never writes that database.
 */
#include <stdlib.h>

#include "accounts.h"
#include "clock.h"
#include "commands.h"
#include "log.h"

static const struct route routes[] = {
	{ "GET",    "/status",			0, .handler = status_get },
	{ "GET",    "/metrics",			0, .handler = service_metrics_get },
	{ "POST",   "/auth/login",		0, .handler = auth_login },
	{ "GET",    "/accounts",		1, .handler = account_list },
	{ "POST",   "/accounts",		1, .command = { commands_create,
	    &contract_events[EVENT_ACCOUNT_CREATED] } },
	{ "GET",    "/accounts/*",		1, .handler = account_get },
	{ "DELETE", "/accounts/*",		1, .command = { commands_delete,
	    &contract_events[EVENT_ACCOUNT_DELETED] } },
	{ "GET",    "/accounts/*/is-owned-by/*", 1,
	    .handler = account_is_owned_by },
};

/*
 * Reads come from SQLite, so the user is checked in Redis here, or in
 * what this process heard from it (user_watch.c).  When Redis is down
 * the signed, unexpired token is trusted, so that reads keep working;
 * commands check the user inside Redis regardless.
 */
static int
user_exists(struct service *svc, const char *user)
{
	struct accounts_app *a = svc->app;
	redisReply *r;
	int exists = -1;

	if (user_watch_knows(&a->users, &svc->cfg, &svc->redis, user,
	    clock_monotonic_us()))
		return 1;
	r = redis_conn_command(&svc->redis, "EXISTS user:%s", user);
	if (r != NULL && r->type == REDIS_REPLY_INTEGER)
		exists = r->integer == 1;
	freeReplyObject(r);
	if (exists == 1)
		user_watch_seen(&a->users, user);
	return exists;
}

static int
init(struct service *svc)
{
	struct accounts_app *a = svc->app;

	if (login_init(a) == -1) {
		log_error("libsodium initialisation failed");
		return -1;
	}
	a->reader.path = svc->cfg.db_path;
	return 0;
}

int
main(int argc, char *argv[])
{
	static struct accounts_app app;
	static struct service svc = {
		.name = "accounts",
		.routes = routes,
		.nroutes = sizeof(routes) / sizeof(routes[0]),
		.user_exists = user_exists,
		.metrics_extra = projector_metrics,
		.app = &app,
	};

	return service_main(&svc, argc, argv, init);
}
