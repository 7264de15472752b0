/*
 * Moves the invoices an installation kept before their compact layout
 * (db/events.lua: a sorted set of ids and a hash each) into it, at
 * setup, in bounded steps: the Functions read both meanwhile.
 */
#ifndef INVOICES_MIGRATE_H
#define INVOICES_MIGRATE_H

#include "redis.h"

/* Every customer's: 0, or -1 (logged). */
int	invoices_migrate(struct redis_conn *rc, const char *stream);

#endif
