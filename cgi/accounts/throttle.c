/*
 * Login throttling: failed logins are counted per user name and per
 * client address in Redis keys that expire after the window, so the
 * count survives FastCGI restarts and is shared by every process.
 */
#include <stdio.h>
#include <stdlib.h>

#include "accounts.h"

/* Names are at most 200 bytes and addresses shorter: the keys fit. */
#define KEY_MAX 256

static void
keys(const char *user, const char *addr, char ku[KEY_MAX], char ka[KEY_MAX])
{
	snprintf(ku, KEY_MAX, "login_fail:user:%s", user);
	snprintf(ka, KEY_MAX, "login_fail:addr:%s", addr);
}

static long long
ttl(struct service *svc, const char *key)
{
	redisReply *r = redis_conn_command(&svc->redis, "TTL %s", key);
	long long t = 1;

	if (r != NULL && r->type == REDIS_REPLY_INTEGER && r->integer > 0)
		t = r->integer;
	freeReplyObject(r);
	return t;
}

static long long
count(const redisReply *r)
{
	return r->type == REDIS_REPLY_STRING ? atoll(r->str) : 0;
}

int
login_throttle_wait(struct service *svc, const char *user,
    const char *addr)
{
	char ku[KEY_MAX], ka[KEY_MAX];
	redisReply *r;
	long long wait = 0;

	keys(user, addr, ku, ka);
	if ((r = redis_conn_command(&svc->redis, "MGET %s %s", ku, ka)) == NULL)
		return -1;
	if (r->type == REDIS_REPLY_ARRAY && r->elements == 2) {
		if (count(r->element[0]) >= svc->cfg.login_max_user)
			wait = ttl(svc, ku);
		else if (count(r->element[1]) >= svc->cfg.login_max_addr)
			wait = ttl(svc, ka);
	}
	freeReplyObject(r);
	return (int)wait;
}

void
login_throttle_fail(struct service *svc, const char *user,
    const char *addr)
{
	char ku[KEY_MAX], ka[KEY_MAX];
	const char *k[2];
	size_t i;

	keys(user, addr, ku, ka);
	k[0] = ku;
	k[1] = ka;
	/* INCR, then start the window only on the first failure (NX). */
	for (i = 0; i < 2; i++) {
		freeReplyObject(redis_conn_command(&svc->redis, "INCR %s", k[i]));
		freeReplyObject(redis_conn_command(&svc->redis, "EXPIRE %s %d NX",
		    k[i], svc->cfg.login_window));
	}
}

void
login_throttle_clear(struct service *svc, const char *user)
{
	char ku[KEY_MAX], ka[KEY_MAX];

	keys(user, "", ku, ka);
	freeReplyObject(redis_conn_command(&svc->redis, "DEL %s", ku));
}
