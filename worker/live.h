/*
 * The live worker: follows the stream from where the read model left
 * off until SIGTERM, keeping the checkpoint file and the health line.
 */
#ifndef LIVE_H
#define LIVE_H

#include "config.h"
#include "redis.h"

/* Returns the exit status. */
int	live_run(const struct config *cfg, struct redis_conn *rc);

#endif
