/*
 * Login throttling: each attempt is checked and counted in Redis in one
 * Redis Function call (db/login.lua says how), so the counts are shared
 * by every process, survive FastCGI restarts, and cannot be raced.
 */
#include <stdio.h>

#include "accounts.h"
#include "command.h"
#include "log.h"

/* The client's address as the functions take it. */
static const char *
address(const char *addr)
{
	return addr[0] != '\0' ? addr : "0.0.0.0";
}

int
login_throttle_wait(struct service *svc, const char *user, const char *addr)
{
	struct command_args args = { .n = 0 };
	char window[16], pair[16], per_user[16], per_addr[16];
	redisReply *r;
	int wait = -1;

	snprintf(window, sizeof(window), "%d", svc->cfg.login_window);
	snprintf(pair, sizeof(pair), "%d", svc->cfg.login_max_pair);
	snprintf(per_user, sizeof(per_user), "%d", svc->cfg.login_max_user);
	snprintf(per_addr, sizeof(per_addr), "%d", svc->cfg.login_max_addr);
	command_arg(&args, "user", user);
	command_arg(&args, "addr", address(addr));
	command_arg(&args, "window", window);
	command_arg(&args, "max_pair", pair);
	command_arg(&args, "max_user", per_user);
	command_arg(&args, "max_addr", per_addr);
	r = command_call(&svc->redis, svc->cfg.stream_key, "login_attempt",
	    NULL, &args);
	if (r != NULL && r->type == REDIS_REPLY_INTEGER && r->integer >= 0)
		wait = r->integer > 86400 ? 86400 : (int)r->integer;
	else if (r != NULL)
		log_warn("login_attempt: %s", r->type == REDIS_REPLY_ERROR ?
		    r->str : "unexpected reply");
	freeReplyObject(r);
	return wait;
}

void
login_throttle_succeeded(struct service *svc, const char *user,
    const char *addr)
{
	struct command_args args = { .n = 0 };

	command_arg(&args, "user", user);
	command_arg(&args, "addr", address(addr));
	freeReplyObject(command_call(&svc->redis, svc->cfg.stream_key,
	    "login_succeeded", NULL, &args));
}
