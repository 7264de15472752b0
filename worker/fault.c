/* TEST-ONLY: see fault.h.  Nothing here runs unless WORKER_FAULT is set. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fault.h"
#include "log.h"

#define MID_BATCH_ROWS_MAX	1500	/* a batch of 1000 changes ~1000 rows */
#define AFTER_COMMIT_MAX	3

static enum { FAULT_NONE, FAULT_AFTER_COMMIT, FAULT_MID_BATCH } fault;
static long countdown;

static void
die(const char *where)
{
	log_warn("WORKER_FAULT: killing myself %s", where);
	raise(SIGKILL);
}

int
fault_init(void)
{
	const char *v = getenv("WORKER_FAULT");

	if (v == NULL || *v == '\0')
		return 0;
	srandom((unsigned)time(NULL) ^ (unsigned)getpid());
	if (strcmp(v, "after-commit") == 0) {
		fault = FAULT_AFTER_COMMIT;
		countdown = 1 + random() % AFTER_COMMIT_MAX;
	} else if (strcmp(v, "mid-batch") == 0) {
		fault = FAULT_MID_BATCH;
		countdown = 1 + random() % MID_BATCH_ROWS_MAX;
	} else {
		log_warn("WORKER_FAULT=%s: expected after-commit or mid-batch", v);
		return -1;
	}
	log_warn("WORKER_FAULT=%s armed (test only)", v);
	return 0;
}

static void
on_row_change(void *arg, int op, const char *db, const char *table,
    sqlite3_int64 rowid)
{
	(void)arg;
	(void)op;
	(void)db;
	(void)table;
	(void)rowid;
	if (--countdown == 0)
		die("in the middle of a batch");
}

void
fault_arm(sqlite3 *db)
{
	if (fault == FAULT_MID_BATCH)
		sqlite3_update_hook(db, on_row_change, NULL);
}

void
fault_after_commit(void)
{
	if (fault == FAULT_AFTER_COMMIT && --countdown == 0)
		die("between a commit and the checkpoint write");
}
