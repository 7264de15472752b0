#ifndef WORKER_H
#define WORKER_H

#include <signal.h>

#include "config.h"
#include "redis_conn.h"

extern volatile sig_atomic_t worker_stopping;

/* Sleeps ms milliseconds unless a stop is asked for meanwhile. */
void	worker_nap(int ms);

/* rebuild.c: replay the whole stream into a new file, then swap it in. */
int	worker_rebuild(const struct config *cfg, struct redis_conn *rc);

#endif
