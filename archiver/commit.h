/*
 * The open segment made part of the archive: its entries first made as
 * durable as a 201 (on enough replicas, and on the primary this
 * connection now talks to), then the segment committed (segment_write.h),
 * the position reported, the stream's trimming due.
 */
#ifndef COMMIT_H
#define COMMIT_H

#include "archiver.h"

/*
 * 0, committed; -1, not (logged): try again later.  The open segment
 * stays open unless its entries must be read again (a failed write, a
 * stream that lost them), then it is dropped and pos is committed.
 */
int	archiver_commit(struct archiver *a);

/* Drops the open segment (uncommitted) and reads again after committed. */
void	archiver_discard(struct archiver *a);

#endif
