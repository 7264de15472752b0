/*
 * A catch-up from far behind would otherwise take a core and a share of
 * Redis (each XREAD of 1,000 entries costs it about 0.5 ms) from the
 * requests: make bench measured POST /invoices at 64-70 % of its
 * throughput beside it, and 87 % with a half share, 94 % with a quarter.
 * When nobody writes, there is no one to give way to and the worker goes
 * flat out; live (batches not full), it never rests.
 */
#include <time.h>

#include "clock.h"
#include "pace.h"

#define CHECK_MS	250

void
pace_init(struct pace *pc, int share)
{
	pc->share = share;
	pc->checked_ms = 0;
	pc->length = -1;
	pc->writers = 0;
}

void
pace_observe(struct pace *pc, struct redis_conn *rc, const char *key)
{
	long long now = clock_monotonic_us() / 1000;
	redisReply *r;

	if (pc->share >= 100 || now - pc->checked_ms < CHECK_MS)
		return;
	pc->checked_ms = now;
	r = redis_conn_command(rc, "XLEN %s", key);
	if (r != NULL && r->type == REDIS_REPLY_INTEGER) {
		pc->writers = pc->length >= 0 && r->integer > pc->length;
		pc->length = r->integer;
	} else {
		/* Unknown: work on; the next read will say what is wrong. */
		pc->writers = 0;
		pc->length = -1;
	}
	freeReplyObject(r);
}

void
pace_rest(const struct pace *pc, long long batch_us)
{
	long long rest_us;
	struct timespec ts;

	if (!pc->writers || pc->share >= 100 || batch_us <= 0)
		return;
	rest_us = batch_us * (100 - pc->share) / pc->share;
	/* A stop request (a signal) ends the rest early: EINTR. */
	if (rest_us > 1000000)
		rest_us = 1000000;
	ts.tv_sec = rest_us / 1000000;
	ts.tv_nsec = (rest_us % 1000000) * 1000;
	nanosleep(&ts, NULL);
}
