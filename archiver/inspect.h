/*
 * The archive looked at, without Redis: for operators and tests.
 */
#ifndef INSPECT_H
#define INSPECT_H

#include "config.h"

/*
 * archiver --verify: every segment verified against the one before it,
 * one line on stderr a problem, a summary on stdout.  The exit status:
 * 0 if none, 1 otherwise.
 */
int	archiver_verify(const struct config *cfg);

/*
 * archiver --dump [AFTER]: the entries after AFTER (0-0), one line each,
 * "<id> <type> <payload>", an absent field as "-", read through the
 * cursor as the worker will (each segment verified before it is shown).
 */
int	archiver_dump(const struct config *cfg, const char *after);

#endif
