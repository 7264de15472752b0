/*
 * The archive read as the stream is: the entries after an id, in order,
 * in batches of struct stream_batch, so that the projector applies a
 * batch of the archive with the code that applies one of Redis
 * (projector_apply_batch).  The end of the archive is a batch of none;
 * the reader then goes on in the stream after the last id it applied.
 */
#ifndef ARCHIVE_CURSOR_H
#define ARCHIVE_CURSOR_H

#include <stddef.h>

#include "archive_dir.h"
#include "stream.h"

/* A batch and the bytes its entries point into. */
struct archive_batch {
	struct stream_batch	 batch;		/* reply is NULL */
	char			*store;		/* owned */
};

struct archive_cursor;

/*
 * The segments of dir listed and their chain checked (archive_dir.h);
 * segments committed after this are not seen.  0, or -1 with err set.
 */
int	archive_cursor_open(struct archive_cursor **c, const char *dir,
	    const char *stream, const struct stream_id *after, char *err,
	    size_t errlen);
/*
 * The next at most count entries: 0 and the batch (n 0: the end of the
 * archive), or -1 with archive_cursor_error set.  Each segment is verified
 * whole before an entry of it is handed out.  archive_batch_free either way.
 */
int	archive_cursor_next(struct archive_cursor *c, size_t count,
	    struct archive_batch *b);
const char *archive_cursor_error(const struct archive_cursor *c);
void	archive_cursor_close(struct archive_cursor *c);
void	archive_batch_free(struct archive_batch *b);

#endif
