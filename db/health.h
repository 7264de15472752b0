/*
 * The worker's health file (WORKER_STATUS_FILE): one line, "<pid> ok" or
 * "<pid> <what is wrong>", replaced atomically when the state changes.
 * The worker writes it; the accounts service's /status reads it and
 * checks that the pid is alive, so that it can say what is down without
 * talking to the worker.  Both sides are here.
 */
#ifndef HEALTH_H
#define HEALTH_H

#include <stddef.h>

#define HEALTH_MAX 256

/* problem NULL means all is well.  Writes only when the line changes. */
void	health_report(const char *path, const char *problem);

/*
 * What the line says: "ok", the problem, "not running" when its pid is
 * gone, or "unknown (no health file)".
 */
void	health_read(const char *path, char *out, size_t len);

#endif
