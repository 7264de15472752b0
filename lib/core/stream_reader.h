/*
 * A follower's reads of the stream (the worker's, the archiver's):
 * batches after a position, the next one asked for while this one is
 * applied or written, and dropped when the connection must say something
 * else in between (a commit, a report, a trim): Redis answers in order,
 * and no other reply may come between a read and its answer.
 */
#ifndef STREAM_READER_H
#define STREAM_READER_H

#include "redis.h"
#include "stream.h"

struct stream_reader {
	struct redis_conn	*rc;
	const char		*stream;
	int			 count;		/* XREAD COUNT */
	int			 block_ms;	/* XREAD BLOCK; -1: do not wait */
	struct stream_id	 asked;		/* the read in flight is after this */
	int			 prefetched;	/* a read is in flight */
};

/*
 * The entries after after, as stream_read_recv says: 0 and the batch
 * (stream_batch_free), STREAM_READ_TRIMMED, STREAM_READ_GONE, or -1.
 */
int	stream_reader_next(struct stream_reader *r,
	    const struct stream_id *after, struct stream_batch *b);
/* Asks now for the entries after after, which stream_reader_next will
 * want. */
void	stream_reader_prefetch(struct stream_reader *r,
	    const struct stream_id *after);
/* Drops a read in flight, so that other commands may be sent. */
void	stream_reader_drop(struct stream_reader *r);

#endif
