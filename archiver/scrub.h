/*
 * The archive re-read while the archiver runs: every segment verified
 * (records, hash, footer, and the chain: each header names the last id
 * of the segment before it), in order, round and round, a bounded amount
 * at a time, and the whole archive once at the start.  A segment that
 * rots on disk, or that an operator damaged, is seen without waiting for
 * archiver --verify, a worker or a backup to read it.  While one fails,
 * the archiver trims nothing and reports the last id before it (run.c,
 * report.c), so that no copy trims past it; a round that passes whole
 * lifts that.
 */
#ifndef SCRUB_H
#define SCRUB_H

#include <stdint.h>

#include "archive_dir.h"
#include "segment_read.h"

struct scrub {
	struct archive_list	 list;		/* the round's segments */
	size_t			 next;		/* list.v[next]: being read */
	struct segment_reader	*r;		/* it, open; NULL: not yet */
	struct stream_id	 prev;		/* the last id before it */
	int64_t			 stepped_us;	/* the last step */
	int			 found;		/* this round: a damaged one */
	int			 telling;	/* this round's damage is news */
	int			 held;		/* trimming is held */
	struct stream_id	 hold;		/* the last id before the damage */
	uint64_t		 records;	/* read this round */
	char			 shown[ARCHIVE_ERROR_MAX]; /* the damage told */
};

struct archiver;

/* The whole archive verified, once, before the archiver goes on. */
void	scrub_start(struct archiver *a);
/* A bounded step of the round, when one is due (SCRUB_EVERY_MS). */
void	scrub_due(struct archiver *a);
/* Whether trimming is held, and up to where the archive is sound. */
int	scrub_held(const struct archiver *a, struct stream_id *sound);
void	scrub_free(struct scrub *s);

#endif
