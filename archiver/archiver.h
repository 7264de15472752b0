/*
 * The archiver's state: the stream read after its position, entries
 * appended to an open segment, the segment committed (only then do its
 * entries count), the position reported and the stream trimmed.
 */
#ifndef ARCHIVER_H
#define ARCHIVER_H

#include <stdint.h>

#include "config.h"
#include "log.h"
#include "scrub.h"
#include "stream_reader.h"
#include "segment_write.h"

#define PROBLEM_MAX	512

struct archiver {
	const struct config	*cfg;
	struct redis_conn	*rc;
	struct stream_reader		 rd;
	struct segment_writer	*w;		/* the open segment; NULL: none */
	struct stream_id	 committed;	/* the archive's last id */
	struct stream_id	 pos;		/* the last id appended */
	int64_t			 opened_us;	/* the open segment's first entry */
	int64_t			 reported_us;	/* the last report */
	int			 trim_more;	/* a pass ended with more to trim */
	int			 backoff_ms;	/* the next wait for Redis */
	char			 shown[PROBLEM_MAX]; /* the last problem logged */
	struct scrub		 scrub;		/* the archive re-read */
};

/* Logs a problem once, until another or archiver_clear; at level. */
void	archiver_problem(struct archiver *a, enum log_level level,
	    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The problem is gone: logs that, if one was logged. */
void	archiver_clear(struct archiver *a);

#endif
