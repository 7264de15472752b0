/*
 * The worker's health file (WORKER_STATUS_FILE): one line, "<pid> ok" or
 * "<pid> <what is wrong>", replaced atomically when the state changes.
 * The accounts service's /status reads it, and checks that the pid is
 * alive, so that it can say what is down without talking to the worker.
 */
#ifndef HEALTH_H
#define HEALTH_H

/* problem NULL means all is well.  Writes only when the line changes. */
void	health_report(const char *path, const char *problem);

#endif
