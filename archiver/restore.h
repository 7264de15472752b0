/*
 * archiver --restore-until ID, for scripts/restore --until: the restored
 * copy made what the instance was just after the event ID.
 */
#ifndef RESTORE_H
#define RESTORE_H

#include "config.h"
#include "redis.h"

/*
 * On the restore's own Redis (rc, as admin) and ARCHIVE_DIR: the archive
 * cut after ID, the command state made again from the events up to ID,
 * the stream's entries past ID deleted.  EXIT_SUCCESS or EXIT_FAILURE,
 * each step's trouble logged.
 */
int	archiver_restore(const struct config *cfg, struct redis_conn *rc,
	    const char *until);

#endif
