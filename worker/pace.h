/*
 * Catch-up pacing: while the worker works through a backlog and clients
 * are writing, it rests between batches so that requests keep the CPU
 * and Redis (see pace.c).
 */
#ifndef PACE_H
#define PACE_H

#include "redis.h"

struct pace {
	int		share;		/* % of the time to work; 100: no rest */
	long long	checked_ms;	/* when the stream was last measured */
	long long	length;		/* its length then; -1 unknown */
	int		writers;	/* it grew since the check before */
};

void	pace_init(struct pace *pc, int share);
/*
 * Four times a second at most, asks Redis whether the stream grew.  Call with
 * no reply pending on rc.
 */
void	pace_observe(struct pace *pc, struct redis_conn *rc, const char *key);
/* After a full batch that took batch_us: rests if clients are writing. */
void	pace_rest(const struct pace *pc, long long batch_us);

#endif
