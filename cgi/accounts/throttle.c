/*
 * Login throttling: each attempt is checked and counted in Redis in one
 * Redis Function call (db/login.lua says how), so the counts are shared
 * by every process, survive FastCGI restarts, and cannot be raced.
 */
#include <stdio.h>

#include "accounts.h"
#include "addr_key.h"
#include "command.h"
#include "log.h"

/* A count of the configuration as an argument; its digits live in buf. */
static void
count_arg(struct command_args *args, const char *name, int n, char buf[16])
{
	snprintf(buf, 16, "%d", n);
	command_arg(args, name, buf);
}

int
login_throttle_wait(struct service *svc, const char *user, const char *addr)
{
	const struct config *cfg = &svc->cfg;
	struct command_args args = { .n = 0 };
	struct command_result res;
	char n[8][16], key[ADDR_KEY_MAX];
	redisReply *r;
	int wait = -1;

	command_arg(&args, "user", user);
	command_arg(&args, "addr", addr_key(addr, key));
	count_arg(&args, "window", cfg->login_window, n[0]);
	count_arg(&args, "max_pair", cfg->login_max_pair, n[1]);
	count_arg(&args, "max_user", cfg->login_max_user, n[2]);
	count_arg(&args, "max_addr", cfg->login_max_addr, n[3]);
	count_arg(&args, "max_ok_user", cfg->login_max_ok_user, n[4]);
	count_arg(&args, "max_ok_addr", cfg->login_max_ok_addr, n[5]);
	count_arg(&args, "known_ttl", cfg->login_known_ttl, n[6]);
	count_arg(&args, "strangers", cfg->login_strangers, n[7]);
	r = command_call(&svc->redis, cfg->stream_key, "login_attempt", NULL,
	    &args);
	command_result_of(r, 0, &res);
	if (r != NULL && r->type == REDIS_REPLY_INTEGER && r->integer >= 0)
		wait = r->integer > 86400 ? 86400 : (int)r->integer;
	else if (res.full)
		wait = LOGIN_STORE_FULL;
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
	const struct config *cfg = &svc->cfg;
	struct command_args args = { .n = 0 };
	char n[3][16], key[ADDR_KEY_MAX];

	command_arg(&args, "user", user);
	command_arg(&args, "addr", addr_key(addr, key));
	count_arg(&args, "window", cfg->login_window, n[0]);
	count_arg(&args, "known_max", cfg->login_known_max, n[1]);
	count_arg(&args, "known_ttl", cfg->login_known_ttl, n[2]);
	freeReplyObject(command_call(&svc->redis, cfg->stream_key,
	    "login_succeeded", NULL, &args));
}
