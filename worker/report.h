/*
 * The worker's position, reported to Redis (FCALL consumer_report, as
 * worker:<CONSUMER_NAME>): what its read model applied, which trimming
 * must not pass while it is heard from (docs/archive.md, Retention).
 * Sent when the checkpoint file moves and every REPORT_HEARTBEAT_MS when
 * quiet.  A failure is said once per kind and otherwise ignored: the
 * worker never stops for it.
 */
#ifndef REPORT_H
#define REPORT_H

#include <stdint.h>

#include "redis.h"
#include "stream_id.h"

/* CONSUMER_TIMEOUT is an hour by default: a report every 10 s keeps a
 * quiet worker far from stale, for one FCALL. */
#define REPORT_HEARTBEAT_MS	10000

struct report {
	const char		*stream;
	const char		*name;		/* CONSUMER_NAME */
	struct stream_id	 pos;		/* to report */
	int			 known;		/* pos was set */
	int			 due;		/* pos moved since the last report */
	int64_t			 sent_ms;	/* the last attempt */
	char			 shown[200];	/* the failure last logged */
};

void	report_init(struct report *r, const char *stream, const char *name);
/* The checkpoint file now says pos: report it at the next chance. */
void	report_set(struct report *r, const struct stream_id *pos);
/*
 * Reports if due or if the heartbeat is; only with no reply pending on
 * rc (a read in flight would take the report's reply).
 */
void	report_tick(struct report *r, struct redis_conn *rc);

#endif
