/*
 * worker --rebuild: replays the archive (ARCHIVE_DIR), if it has
 * segments, then the stream after the archive's last entry, into a
 * scratch file, then copies it over the live read model with SQLite's
 * backup API, which swaps the content in one write transaction: readers
 * see the old model or the new one, never a mix.  A worker running
 * beside it notices that the recorded id moved and rereads from there.
 */
#ifndef REBUILD_H
#define REBUILD_H

#include "config.h"
#include "redis.h"

/* Returns the exit status; the live file is untouched unless it succeeds. */
int	rebuild_run(const struct config *cfg, struct redis_conn *rc);

#endif
