/*
 * Reading one segment of the archive: every byte checked as it goes by,
 * with a fixed amount of memory whatever the file holds (a record of at
 * most RECORD_MAX bytes, and buffers of the reader's own).  A record is
 * handed out once its checksum and its place in the order are checked;
 * the segment as a whole (its hash, its count, its first and last ids) is
 * checked when segment_next reaches the end, so a caller that must not
 * act on a record of a bad segment verifies first (segment_verify).
 */
#ifndef SEGMENT_READ_H
#define SEGMENT_READ_H

#include <stddef.h>

#include "archive_format.h"
#include "stream_id.h"

struct segment_reader;

/* One record; the strings point into the reader, until the next call. */
struct segment_record {
	struct stream_id	 id;
	const char		*type;		/* NULL if the entry had none */
	size_t			 type_len;
	const char		*payload;	/* NULL if the entry had none */
	size_t			 payload_len;
};

/*
 * Opens dir/name, a segment of the given stream: its header read, its
 * footer found.  prev_last, unless NULL, is the last id of the segment
 * before it, which its header must name.  0, or -1 with err set.
 */
int	segment_open(struct segment_reader **r, const char *dir,
	    const char *name, const char *stream,
	    const struct stream_id *prev_last, char *err, size_t errlen);
/* 1 and the next record; 0 at the end, the whole segment verified; -1. */
int	segment_next(struct segment_reader *r, struct segment_record *rec);
/* Why the last call failed: the file, its ids, what is wrong. */
const char *segment_error(const struct segment_reader *r);
const struct archive_header *segment_header(const struct segment_reader *r);
void	segment_close(struct segment_reader *r);

/* Every record read and the whole checked: 0, or -1 with err set. */
int	segment_verify(const char *dir, const char *name, const char *stream,
	    const struct stream_id *prev_last, char *err, size_t errlen);

#endif
