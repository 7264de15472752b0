#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "redis.h"
#include "secret.h"

const char *
redis_role_user(const char *role)
{
	return strcmp(role, REDIS_ROLE_ADMIN) == 0 ||
	    strcmp(role, REDIS_ROLE_SENTINEL) == 0 ? "default" : role;
}

int
redis_conn_auth(struct redis_conn *rc, const char *dir, const char *role)
{
	char path[PATH_MAX];
	int n;

	if (secret_password_path(path, sizeof(path), dir, role) == -1 ||
	    (n = secret_read(path, rc->password, sizeof(rc->password) - 1)) ==
	    -1) {
		log_error("redis: no password for the role %s (%s); run "
		    "setup --keys", role, path);
		return -1;
	}
	rc->password[n] = '\0';
	rc->user = redis_role_user(role);
	return 0;
}

void
redis_conn_init(struct redis_conn *rc, const char *host, int port,
    int timeout_ms)
{
	memset(rc, 0, sizeof(*rc));
	rc->host = host;
	rc->port = port;
	rc->timeout_ms = timeout_ms;
}

void
redis_conn_sentinels(struct redis_conn *rc, const struct sentinels *s)
{
	rc->sentinels = s->n > 0 ? s : NULL;
}

int
redis_conn_open(struct redis_conn *rc, struct config *cfg, const char *role,
    int timeout_ms)
{
	redis_conn_init(rc, cfg->redis_host, cfg->redis_port, timeout_ms);
	rc->socket = cfg->redis_socket;
	if (rc->socket != NULL && cfg->sentinels.n > 0)
		log_info("redis: REDIS_SOCKET is not used with REDIS_SENTINELS: "
		    "the primary they name is reached by TCP");
	if (sentinels_auth(&cfg->sentinels, cfg->redis_auth_dir) == -1)
		return -1;
	redis_conn_sentinels(rc, &cfg->sentinels);
	return redis_conn_auth(rc, cfg->redis_auth_dir, role);
}

/* With Sentinels, never the socket: the primary is the host they name. */
static int
uses_socket(const struct redis_conn *rc)
{
	return rc->socket != NULL && rc->sentinels == NULL;
}

const char *
redis_conn_where(struct redis_conn *rc)
{
	if (uses_socket(rc))
		snprintf(rc->where, sizeof(rc->where), "%s", rc->socket);
	else
		snprintf(rc->where, sizeof(rc->where), "%s:%d", rc->host,
		    rc->port);
	return rc->where;
}

void
redis_conn_close(struct redis_conn *rc)
{
	if (rc->ctx != NULL)
		redisFree(rc->ctx);
	rc->ctx = NULL;
}

/* hiredis leaves a context unusable after an error: drop it. */
static void
failed(struct redis_conn *rc, const char *why)
{
	log_warn("redis %s: %s", redis_conn_where(rc), why);
	redis_conn_close(rc);
	rc->failing = 1;
	/* The node that Sentinel named failed us: ask another first next
	 * time.  One cut off with a stale Sentinel beside it (a partition)
	 * would otherwise be named again and again. */
	if (rc->sentinels != NULL)
		rc->sentinel_first = (rc->sentinel_first + 1) %
		    rc->sentinels->n;
	if (rc->on_failure != NULL)
		rc->on_failure(rc->on_failure_arg);
}

/* AUTH as the role; a refusal is a failure of the connection. */
static int
authenticate(struct redis_conn *rc)
{
	redisReply *r;
	char why[160];

	r = redisCommand(rc->ctx, "AUTH %s %s", rc->user, rc->password);
	if (r != NULL && r->type == REDIS_REPLY_STATUS) {
		freeReplyObject(r);
		return 0;
	}
	snprintf(why, sizeof(why), "AUTH as %s: %s", rc->user, r == NULL ?
	    rc->ctx->errstr : r->type == REDIS_REPLY_ERROR ? r->str :
	    "unexpected reply");
	freeReplyObject(r);
	failed(rc, why);
	return -1;
}

/*
 * A connection with nothing owed on it that reads as ready was closed by
 * the server while it sat idle (a Redis restart, a client timeout): made
 * anew now, it does not cost the next request a 503.  One poll(2) of no
 * wait, beside a round trip to Redis.
 */
static void
drop_if_closed(struct redis_conn *rc)
{
	struct pollfd p = { .fd = rc->ctx->fd, .events = POLLIN };

	if (rc->pending == 0 && poll(&p, 1, 0) == 1) {
		log_info("redis %s: the connection was closed while idle; "
		    "connecting again", redis_conn_where(rc));
		redis_conn_close(rc);
	}
}

/*
 * Sentinel's clients are to check that the node they were sent to is the
 * primary (it may have been demoted since the Sentinel answered).
 */
static int
is_primary(struct redis_conn *rc)
{
	redisReply *r = redisCommand(rc->ctx, "ROLE");
	int ok = r != NULL && r->type == REDIS_REPLY_ARRAY && r->elements > 0 &&
	    r->element[0]->type == REDIS_REPLY_STRING &&
	    strcmp(r->element[0]->str, "master") == 0;

	freeReplyObject(r);
	if (!ok)
		failed(rc, "not the primary (yet); asking the Sentinels again");
	return ok;
}

/* With Sentinels, where to connect: the primary they name now. */
static int
primary_find(struct redis_conn *rc)
{
	int port, at;

	if (rc->sentinels == NULL)
		return 0;
	/* A quarter of the budget each: the write's 503 stays within it. */
	if ((at = sentinels_primary(rc->sentinels, rc->sentinel_first,
	    rc->timeout_ms / 4, rc->primary, &port)) == -1) {
		rc->failing = 1;
		if (rc->on_failure != NULL)
			rc->on_failure(rc->on_failure_arg);
		return -1;
	}
	rc->sentinel_first = at;
	rc->host = rc->primary;
	rc->port = port;
	return 0;
}

/*
 * The one place that decides how Redis is reached: by its unix socket
 * (REDIS_SOCKET: make run's, in a folder only the service user may
 * enter, so that no other local user can fill Redis's maxclients), or
 * by TCP.
 */
static redisContext *
dial(const struct redis_conn *rc, struct timeval tv)
{
	if (uses_socket(rc))
		return redisConnectUnixWithTimeout(rc->socket, tv);
	return redisConnectWithTimeout(rc->host, rc->port, tv);
}

static int
connect_if_needed(struct redis_conn *rc)
{
	struct timeval tv;
	int ms;

	if (rc->ctx != NULL)
		drop_if_closed(rc);
	if (rc->ctx != NULL)
		return 0;
	rc->pending = 0;
	if (primary_find(rc) == -1)
		return -1;
	/* With Sentinels, half the budget to connect: the node they name
	 * may be the one that just went, and the 503 must come within it. */
	ms = rc->sentinels != NULL ? rc->timeout_ms / 2 : rc->timeout_ms;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	rc->ctx = dial(rc, tv);
	tv.tv_sec = rc->timeout_ms / 1000;
	tv.tv_usec = (rc->timeout_ms % 1000) * 1000;
	if (rc->ctx == NULL) {
		log_warn("redis %s: out of memory", redis_conn_where(rc));
		return -1;
	}
	if (rc->ctx->err != 0 || redisSetTimeout(rc->ctx, tv) != REDIS_OK) {
		failed(rc, rc->ctx->errstr);
		return -1;
	}
	if (rc->user != NULL && authenticate(rc) == -1)
		return -1;
	if (rc->sentinels != NULL && !is_primary(rc))
		return -1;
	if (rc->failing)
		log_info("redis %s: connected again", redis_conn_where(rc));
	rc->failing = 0;
	return 0;
}

/*
 * No reply: the connection is unusable.  READONLY or NOREPLICAS: the node
 * is not (or no longer) a primary that may take writes; with Sentinels,
 * the next call asks them where the primary is now.  The reply is the
 * caller's still (its error maps to 503).
 */
static redisReply *
checked(struct redis_conn *rc, void *reply)
{
	const redisReply *r = reply;

	if (reply == NULL)
		failed(rc, rc->ctx->errstr[0] != '\0' ? rc->ctx->errstr :
		    "no reply");
	else if (rc->sentinels != NULL && r->type == REDIS_REPLY_ERROR &&
	    (strncmp(r->str, "READONLY", 8) == 0 ||
	    strncmp(r->str, "NOREPLICAS", 10) == 0))
		failed(rc, r->str);
	return reply;
}

redisReply *
redis_conn_argv(struct redis_conn *rc, int argc, const char **argv,
    const size_t *lens)
{
	if (connect_if_needed(rc) == -1)
		return NULL;
	return checked(rc, redisCommandArgv(rc->ctx, argc, argv, lens));
}

int
redis_conn_send(struct redis_conn *rc, int argc, const char **argv,
    const size_t *lens)
{
	int done = 0;

	if (connect_if_needed(rc) == -1)
		return -1;
	if (redisAppendCommandArgv(rc->ctx, argc, argv, lens) != REDIS_OK)
		goto fail;
	while (!done)
		if (redisBufferWrite(rc->ctx, &done) != REDIS_OK)
			goto fail;
	rc->pending++;
	return 0;
fail:
	checked(rc, NULL);
	return -1;
}

redisReply *
redis_conn_reply(struct redis_conn *rc)
{
	void *reply = NULL;

	if (rc->ctx == NULL)
		return NULL;
	if (redisGetReply(rc->ctx, &reply) != REDIS_OK)
		reply = NULL;
	else if (rc->pending > 0)
		rc->pending--;
	return checked(rc, reply);
}

redisReply *
redis_conn_command(struct redis_conn *rc, const char *fmt, ...)
{
	va_list ap;
	void *reply;

	if (connect_if_needed(rc) == -1)
		return NULL;
	va_start(ap, fmt);
	reply = redisvCommand(rc->ctx, fmt, ap);
	va_end(ap);
	return checked(rc, reply);
}
