/*
 * What the archiver tells Redis: its position (the archive's last id),
 * after each commit and every REPORT_MS, and the trimming of the stream
 * (db/retention.lua decides what may go; the archiver only asks).
 */
#ifndef REPORT_H
#define REPORT_H

#include "archiver.h"

/*
 * While quiet, the position is reported this often, so that a reader of
 * retention:archives sees the archiver alive.
 */
#define REPORT_MS	10000

/*
 * stream_trim calls a pass: each removes at most TRIM_STEP entries
 * (db/retention.lua), so a pass frees some millions of entries, and
 * then the stream is read before the next pass.
 */
#define TRIM_CALLS	1000

/*
 * The position to report: the archive's last id, or, while a segment
 * fails its check (scrub.h), the last id before it, so that no copy
 * trims past it and /status shows this copy stopped there.
 */
void	archiver_position(const struct archiver *a, struct stream_id *pos);

/* FCALL consumer_report of the position; 0 or -1 (logged). */
int	archiver_report(struct archiver *a);

/* One pass of stream_trim calls; a->trim_more says whether more is due. */
void	archiver_trim_pass(struct archiver *a);

#endif
