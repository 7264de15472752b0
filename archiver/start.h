#ifndef START_H
#define START_H

#include "archiver.h"

/*
 * The archive's folder (made, 0700, if missing) and its last id, which
 * is where the archiver goes on: the archive on disk is the authority,
 * whatever Redis says of it.  0, or -1 (logged).
 */
int	archiver_start(struct archiver *a);
/* The same without making the folder: the archive's end read again. */
int	archiver_locate(struct archiver *a);

/* A segment opened after the last committed one; 0, or -1 (logged). */
int	archiver_open_segment(struct archiver *a);

#endif
