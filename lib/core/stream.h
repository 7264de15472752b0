/*
 * Reading the event stream: batches of entries with XREAD, each entry's
 * id parsed once, here; and what XINFO says of the stream.
 */
#ifndef STREAM_H
#define STREAM_H

#include <stddef.h>

#include <hiredis/hiredis.h>

#include "redis.h"
#include "stream_id.h"

/* One entry; the strings point into the batch's reply. */
struct stream_entry {
	struct stream_id	 id;
	const char		*id_text;	/* as Redis wrote it */
	const char		*type;		/* EventTypeName; NULL if absent */
	size_t			 type_len;
	const char		*payload;	/* Payload; NULL if absent */
	size_t			 payload_len;	/* it may hold NUL bytes */
};

struct stream_batch {
	struct stream_entry	*entries;	/* owned */
	size_t			 n;		/* 0: nothing new */
	redisReply		*reply;		/* owned; NULL for a batch made by hand */
	/* The trimmed mark the read saw (retention.h); 0-0 when nothing was
	 * trimmed. */
	struct stream_id	 trimmed;
};

/*
 * XREAD COUNT count [BLOCK block_ms] STREAMS key after, in two halves, so
 * that the next batch can be asked for while one is applied; block_ms < 0
 * does not block.  The same round trip then asks whether the stream
 * still has after (XRANGE after after, unless after is 0-0), and how far
 * it was trimmed (retention.h): Redis's XREAD after an entry that is gone
 * starts at the next one there is, and a reader that went on would hide
 * the gap.  After 0-0, anything trimmed at all is such a gap.
 * send: 0, or -1 if Redis is unreachable.  recv, with send's after: 0 and
 * the batch (stream_batch_free), after is there or is the trimmed mark;
 * STREAM_READ_TRIMMED, nothing read, if the stream was trimmed past after
 * (what follows it is in the archive first); STREAM_READ_GONE, nothing
 * read, if the stream lost after past every trim (a failover, a node that
 * resynced under an open connection, an older backup); or -1 if Redis is
 * unreachable or answered with something else (logged).  batch->trimmed
 * holds the mark in every case.
 */
#define STREAM_READ_GONE	1
#define STREAM_READ_TRIMMED	2
int	 stream_read_send(struct redis_conn *rc, const char *key,
	    const struct stream_id *after, int count, int block_ms);
int	 stream_read_recv(struct redis_conn *rc, const char *key,
	    const struct stream_id *after, struct stream_batch *batch);
void	 stream_batch_free(struct stream_batch *batch);

/* XINFO STREAM: a stream that does not exist yet is all zeros. */
struct stream_info {
	long long		length;
	long long		entries_added;	/* ever, deleted ones too */
	struct stream_id	last_generated;
};

/* 0, or -1 if Redis is unreachable. */
int	 stream_info(struct redis_conn *rc, const char *key,
	    struct stream_info *info);

/* Whether the stream holds the entry id: 1, 0, or -1 if Redis cannot say. */
int	 stream_has(struct redis_conn *rc, const char *key,
	    const struct stream_id *id);

/* XLEN: the entries in the stream, or -1 if Redis is unreachable. */
long long stream_length(struct redis_conn *rc, const char *key);

#endif
