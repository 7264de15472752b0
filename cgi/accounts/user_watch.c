/*
 * Every authenticated request to this service checks that its user
 * still exists (a token outlives a deleted user otherwise), and reads
 * come from SQLite: that EXISTS was their only round trip to Redis,
 * and it cost GET /accounts 18 points of ceiling (a) (paired runs
 * beside the ceiling, five of 5 s: 56 % of (a) with it, 74 % without;
 * CPU of lighttpd and the processes per request 186 and 147 us).
 *
 * So each process keeps the users Redis said exist, and hears of every
 * change to a user:* key: Redis's client-side caching (CLIENT TRACKING,
 * broadcast mode, prefix user:) sends the names of the keys changed to
 * a second connection, subscribed to __redis__:invalidate.  Redis 7
 * sends those in its event loop before it writes the replies, so the
 * names are on their way before the client that deleted a user hears
 * that it is done.  Before each answer from
 * here the process reads whatever came on that connection (one poll(2)
 * of no wait, no round trip); any change forgets every user known, and
 * so does the connection's loss, or a main connection that moved to
 * another server (a failover).  Without the subscription nothing is
 * known, and every request asks Redis as before.
 */
#include <poll.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "user_watch.h"

/* A Redis without the subscription (its ACL predates it) is asked again
 * this often: each try is three round trips. */
#define RETRY_US	1000000

static void
forget(struct user_watch *w)
{
	w->n = 0;
	w->next = 0;
}

static void
unsubscribe(struct user_watch *w)
{
	redis_conn_close(&w->sub);
	w->subscribed = 0;
	forget(w);
}

/* One command of the subscription's; 0 if its reply is of type. */
static int
ask(struct user_watch *w, int type, long long *integer, const char *fmt,
    const char *arg)
{
	redisReply *r = redis_conn_command(&w->sub, fmt, arg);
	int ok = r != NULL && r->type == type;

	if (r != NULL && r->type == REDIS_REPLY_ERROR) {
		static int told;

		if (!told++)
			log_warn("user checks ask Redis every time: %s", r->str);
	}
	if (ok && integer != NULL)
		*integer = r->integer;
	freeReplyObject(r);
	return ok ? 0 : -1;
}

/*
 * The connection that hears of user:* changes: tracking on, its own
 * invalidations sent to itself (RESP2 has them as Pub/Sub messages).
 */
static int
subscribe(struct user_watch *w, struct config *cfg)
{
	long long id;
	char ids[24];

	if (redis_conn_open(&w->sub, cfg, REDIS_ROLE_ACCOUNTS,
	    cfg->redis_timeout_ms) == -1 ||
	    ask(w, REDIS_REPLY_INTEGER, &id, "CLIENT %s", "ID") == -1)
		return -1;
	snprintf(ids, sizeof(ids), "%lld", id);
	if (ask(w, REDIS_REPLY_STATUS, NULL,
	    "CLIENT TRACKING on REDIRECT %s BCAST PREFIX user:", ids) == -1 ||
	    ask(w, REDIS_REPLY_ARRAY, NULL, "SUBSCRIBE %s",
	    "__redis__:invalidate") == -1)
		return -1;
	snprintf(w->where, sizeof(w->where), "%s",
	    redis_conn_where(&w->sub));
	w->subscribed = 1;
	return 0;
}

/*
 * Reads what came on the subscription: any message (a key's name, or
 * none for a flush) forgets every user.  -1 if it cannot be trusted.
 */
static int
drain(struct user_watch *w)
{
	redisContext *c = w->sub.ctx;
	struct pollfd p = { .fd = c->fd, .events = POLLIN };
	void *reply;
	int ready = poll(&p, 1, 0);

	/* Bytes read but not yet parsed: hiredis keeps the ones it parsed
	 * in its buffer (len) until it trims it, so pos tells. */
	if (ready == 0 && c->reader->pos >= c->reader->len)
		return 0;
	if (ready != 0 && (ready == -1 || redisBufferRead(c) != REDIS_OK)) {
		log_info("user checks: the subscription to Redis was lost");
		unsubscribe(w);
		return -1;
	}
	/* Any byte forgets: a message split across reads is still one, and
	 * one read may leave more in the socket. */
	forget(w);
	while (redisGetReplyFromReader(c, &reply) == REDIS_OK &&
	    reply != NULL)
		freeReplyObject(reply);
	if (c->err != 0) {
		unsubscribe(w);
		return -1;
	}
	return 0;
}

int
user_watch_knows(struct user_watch *w, struct config *cfg,
    struct redis_conn *main, const char *user, int64_t now_us)
{
	int i;

	/* Not connected: its next command connects, perhaps elsewhere. */
	if (main->ctx == NULL)
		return 0;
	if (w->subscribed && strcmp(w->where, redis_conn_where(main)) != 0)
		unsubscribe(w);
	if (!w->subscribed) {
		if (now_us < w->retry_us)
			return 0;
		w->retry_us = now_us + RETRY_US;
		if (subscribe(w, cfg) == -1 ||
		    strcmp(w->where, redis_conn_where(main)) != 0) {
			unsubscribe(w);
			return 0;
		}
	}
	if (drain(w) == -1)
		return 0;
	for (i = 0; i < w->n; i++)
		if (strcmp(w->users[i], user) == 0)
			return 1;
	return 0;
}

void
user_watch_seen(struct user_watch *w, const char *user)
{
	int i;

	if (!w->subscribed)
		return;
	for (i = 0; i < w->n; i++)
		if (strcmp(w->users[i], user) == 0)
			return;
	snprintf(w->users[w->next], sizeof(w->users[w->next]), "%s", user);
	w->next = (w->next + 1) % USER_WATCH_USERS;
	if (w->n < USER_WATCH_USERS)
		w->n++;
}
