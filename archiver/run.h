#ifndef RUN_H
#define RUN_H

#include "config.h"
#include "redis.h"

/* XREAD's BLOCK: how long a read waits for an entry. */
#define ARCHIVER_BLOCK_MS	500

/* Follows the stream into the archive until SIGTERM/SIGINT; the exit status. */
int	archiver_run(const struct config *cfg, struct redis_conn *rc);

#endif
