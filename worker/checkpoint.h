/*
 * The checkpoint file: the last stream id the worker applied, written
 * after each commit so an operator can `cat` it.  The id recorded inside
 * the database stays the authority; the file only says where to start
 * reading, and is trusted only when it is not past the database.
 */
#ifndef CHECKPOINT_H
#define CHECKPOINT_H

#include "stream_id.h"

/* 0 and the id, or -1 if the file is missing or holds no valid id. */
int	checkpoint_read(const char *path, struct stream_id *id);

/* Atomic replace: temporary file, fsync, rename, fsync of the folder. */
int	checkpoint_write(const char *path, const struct stream_id *id);

#endif
