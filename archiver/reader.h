/*
 * The archiver's reads of the stream: batches after a position, the next
 * one asked for while this one is written to the segment, and dropped
 * when the connection must say something else in between (a commit, a
 * report, a trim): Redis answers in order, and no other reply may come
 * between a read and its answer.
 */
#ifndef READER_H
#define READER_H

#include "redis.h"
#include "stream.h"

struct reader {
	struct redis_conn	*rc;
	const char		*stream;
	int			 count;		/* XREAD COUNT */
	int			 block_ms;	/* XREAD BLOCK */
	struct stream_id	 asked;		/* the read in flight is after this */
	int			 prefetched;	/* a read is in flight */
};

/*
 * The entries after after, as stream_read_recv says: 0 and the batch
 * (stream_batch_free), STREAM_READ_TRIMMED, STREAM_READ_GONE, or -1.
 */
int	reader_next(struct reader *r, const struct stream_id *after,
	    struct stream_batch *b);
/* Asks now for the entries after after, which reader_next will want. */
void	reader_prefetch(struct reader *r, const struct stream_id *after);
/* Drops a read in flight, so that other commands may be sent. */
void	reader_drop(struct reader *r);

#endif
