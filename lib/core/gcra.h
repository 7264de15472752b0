/*
 * The generic cell rate algorithm (ITU-T I.371): a token bucket kept as
 * one timestamp, the time at which the bucket would be full again (its
 * theoretical arrival time).  No timer and no refill step, so it fits a
 * slot of shared memory or a static; the request limiter (limiter.h)
 * and the log's own bound (log.c) both use it.  Costs and the burst are
 * in the bucket's own time: a cost of c takes c microseconds to refill.
 */
#ifndef GCRA_H
#define GCRA_H

#include <stdint.h>

/*
 * Takes cost_us (points times the interval between two) from the bucket
 * whose full time is *tat, at now_us; the bucket holds burst_us.  0 and
 * *tat moved; or, when it would overflow, the seconds until it would not
 * (at least 1) and *tat unchanged.  With force, the request is served
 * all the same, and charged no further than a full bucket.
 */
int	gcra_take(int64_t *tat, int64_t now_us, int64_t cost_us,
	    int64_t burst_us, int force);

/*
 * Charges cost_us after the fact, whatever it makes of the bucket: a
 * cost known only once the work is done.  The debt is paid back in time,
 * as the rate goes on.
 */
void	gcra_charge(int64_t *tat, int64_t now_us, int64_t cost_us);

#endif
