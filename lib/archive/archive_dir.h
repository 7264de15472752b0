/*
 * The archive's folder: its segments in order (their names sort as their
 * ids do), and the chain they must form: each header names the last id of
 * the segment before it, the first names 0-0, so that a segment missing
 * anywhere, the first one included, is seen.
 */
#ifndef ARCHIVE_DIR_H
#define ARCHIVE_DIR_H

#include <stddef.h>

#include "archive_format.h"
#include "stream_id.h"

struct archive_segment {
	char			name[ARCHIVE_NAME_MAX];
	struct stream_id	first, last;	/* from the name */
};

struct archive_list {
	struct archive_segment	*v;	/* owned, in id order */
	size_t			 n;
};

/*
 * The segments of dir, by name; files of other names (a segment being
 * written, *.part) are not listed.  0, or -1 with err set.
 */
int	archive_list(const char *dir, struct archive_list *list, char *err,
	    size_t errlen);
void	archive_list_free(struct archive_list *list);

/*
 * The chain, from the names and each header (read, not the records):
 * the stream, the version, ranges that follow each other, each segment
 * naming the last id of the one before.  0, or -1 with err set, which
 * names the segment where the chain breaks and its ids.
 */
int	archive_check_chain(const char *dir, const char *stream,
	    const struct archive_list *list, char *err, size_t errlen);

/* The chain checked and every segment verified: 0, or -1 with err set. */
int	archive_verify(const char *dir, const char *stream, char *err,
	    size_t errlen);

#endif
