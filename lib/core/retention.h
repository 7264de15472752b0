/*
 * The stream's retention, as its readers see it (db/retention.lua holds
 * the rules): each consumer reports how far it holds the stream, the
 * archiver trims in bounded steps, and the trimmed mark tells a reader
 * whose position is gone whether the archive has what follows.
 */
#ifndef RETENTION_H
#define RETENTION_H

#include "config.h"
#include "redis.h"
#include "stream_id.h"

/* The last id ever trimmed; db/retention.lua writes it. */
#define RETENTION_TRIMMED_KEY	"retention:trimmed"

/* The kinds of consumer: an archive copy, a read model's worker. */
#define RETENTION_KIND_ARCHIVE	"archive"
#define RETENTION_KIND_WORKER	"worker"

/*
 * FCALL consumer_report: name (CONSUMER_NAME) of kind holds the stream
 * up to pos.  0 and the trimmed mark (if trimmed is not NULL), or -1
 * (Redis unreachable, or a refusal: logged).
 */
int	retention_report(struct redis_conn *rc, const char *stream,
	    const char *kind, const char *name, const struct stream_id *pos,
	    struct stream_id *trimmed);
/*
 * The same, not logged: why it failed in why, Redis's refusal, or ""
 * when Redis was unreachable (the connection says that itself); for a
 * caller that reports often and says each kind of failure once (the
 * worker's heartbeat).
 */
int	retention_report_quiet(struct redis_conn *rc, const char *stream,
	    const char *kind, const char *name, const struct stream_id *pos,
	    struct stream_id *trimmed, char *why, size_t whylen);

/*
 * FCALL stream_trim, once: the entries it removed (0: none may go now)
 * and the trimmed mark (if trimmed is not NULL), or -1 (logged).  Call
 * again while it removes some; each call is bounded (db/retention.lua).
 * When none went, why says why if it is not NULL ("" when some went).
 */
#define RETENTION_WHY_MAX	128
long long retention_trim_step(struct redis_conn *rc, const char *stream,
	    struct stream_id *trimmed, char why[RETENTION_WHY_MAX]);

/* A consumer's last report, as retention_state gives it. */
struct retention_consumer {
	char			kind[8];	/* RETENTION_KIND_* */
	char			name[CONFIG_NAME_MAX + 1];
	struct stream_id	pos;
	long long		seen_ms;	/* Redis's clock at the report */
};

/* db/retention.lua's bound: 64 names a kind. */
#define RETENTION_CONSUMERS_MAX	128

struct retention_state {
	long long			now_ms;		/* Redis's clock */
	long long			timeout_s;	/* CONSUMER_TIMEOUT */
	struct stream_id		mark;
	size_t				n;
	struct retention_consumer	c[RETENTION_CONSUMERS_MAX];
};

/* FCALL_RO retention_state: 0, or -1 (Redis unreachable, or refused). */
int	retention_state(struct redis_conn *rc, const char *stream,
	    struct retention_state *st);

/* A worker silent past the timeout: it no longer holds trimming back. */
int	retention_consumer_stale(const struct retention_state *st,
	    const struct retention_consumer *c);

#endif
