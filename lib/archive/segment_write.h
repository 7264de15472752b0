/*
 * Writing one segment of the archive: under a temporary name, records
 * appended, then committed (footer, fsync, its final name, the folder
 * fsynced); only a committed segment counts.  A crash before leaves a
 * *.part file that readers never list and the next writer removes.  One
 * writer at a time: it holds an flock on the folder from open to close.
 */
#ifndef SEGMENT_WRITE_H
#define SEGMENT_WRITE_H

#include <stddef.h>

#include "archive_format.h"
#include "stream.h"

/*
 * Bytes of records (before compression) in a segment: 64 MiB, about
 * 400,000 of the services' events of 169 bytes, 10 MB on disk.  A
 * segment is what a reader verifies before it hands out a record, what
 * the folder lists one file for, and what a crash can cost the writer to
 * write again: 64 MiB is checked in well under a second, and years of
 * events at a few hundred a second stay some thousands of files.
 */
#define ARCHIVE_SEGMENT_BYTES	(64u << 20)

/*
 * The zstd level the archive is written with.  Measured on 300,000
 * events like the services' (bench/archive_size, four runs on a 2-core
 * machine shared with other test runs, load 12 to 17, so CPU time per
 * event is the figure to compare; wall-clock MB/s varied up to 7 times
 * between runs): 169 bytes of records an event.  Plain: 169 bytes on
 * disk, 1.00 to 1.70 us of CPU an event to write, 0.58 to 0.95 to verify,
 * 1.26 to 2.04 to read back.  Level 1: 25.7 bytes (6.6 times less), 1.15
 * to 1.79 to write, 0.48 to 0.91 to verify, 1.17 to 1.37 to read.  Level
 * 3: 26.1 bytes, the same CPU within the noise.  So level 1: a sixth of
 * the disk (at 100 events a second, 81 GB a year rather than 530) for at
 * most a quarter of a microsecond an event, where Redis takes tens to
 * append one.
 */
#define ARCHIVE_ZSTD_LEVEL	1

/* segment_writer_add: the record would pass ARCHIVE_SEGMENT_BYTES. */
#define SEGMENT_FULL		1

struct segment_writer;

/*
 * Starts the next segment of the stream in dir: it will follow the last
 * committed one (whose header must name the same stream).  zstd_level 0
 * writes the records as they are; 1 to 19, as one zstd frame.  0, or -1
 * with err set.
 */
int	segment_writer_open(struct segment_writer **w, const char *dir,
	    const char *stream, int zstd_level, char *err, size_t errlen);
/*
 * Appends an entry, whose id must follow the last one appended (or the
 * last segment's).  0; SEGMENT_FULL, nothing appended: commit and start
 * another; -1, with segment_writer_error set: an entry past the bounds or
 * out of order (nothing appended), or a failed write (the segment can
 * only be closed).
 */
int	segment_writer_add(struct segment_writer *w,
	    const struct stream_entry *e);
/* Records appended so far. */
size_t	segment_writer_count(const struct segment_writer *w);
/* The segment made durable under its name (in name, if not NULL): 0 or -1. */
int	segment_writer_commit(struct segment_writer *w,
	    char name[ARCHIVE_NAME_MAX]);
const char *segment_writer_error(const struct segment_writer *w);
/* Frees w; a segment not committed is removed. */
void	segment_writer_close(struct segment_writer *w);

#endif
