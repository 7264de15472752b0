/*
 * TEST-ONLY fault injection, off by default.  WORKER_FAULT, read once at
 * start, makes the worker kill itself (SIGKILL, no cleanup) at a point a
 * crash test cannot hit reliably from outside:
 *
 *	after-commit	after a batch's COMMIT, before the checkpoint write
 *	mid-batch	inside a batch's transaction, after some row changes
 *
 * Each fires once, at a random commit or row change, so that repeated
 * runs hit different places.
 */
#ifndef FAULT_H
#define FAULT_H

#include <sqlite3.h>

/* Reads WORKER_FAULT; -1 with a message if it names no known fault. */
int	fault_init(void);

/* mid-batch: watch the row changes of this (newly opened) database. */
void	fault_arm(sqlite3 *db);

/* after-commit: call between a commit and the checkpoint write. */
void	fault_after_commit(void);

#endif
