#include <stdlib.h>

#include "log.h"
#include "read_model.h"
#include "rebuild.h"
#include "reconcile.h"
#include "stream.h"

/* projector_state.reconciliations, or -1. */
static long long
count_of(sqlite3 *db)
{
	sqlite3_stmt *st;
	long long n = -1;

	if (read_model_prepare(db, RM_BATCH_STATS, &st) == -1)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, BATCH_STATS_RECONCILIATIONS);
	sqlite3_finalize(st);
	return n;
}

/* The rebuild started from a new file: the count goes on from before. */
static void
count_set(sqlite3 *db, long long n)
{
	sqlite3_stmt *st;

	if (read_model_prepare(db, RM_RECONCILED, &st) == -1)
		return;
	sqlite3_bind_int64(st, 1, n);
	if (sqlite3_step(st) != SQLITE_DONE)
		log_warn("reconciliations: %s", sqlite3_errmsg(db));
	sqlite3_finalize(st);
}

enum reconcile_result
reconcile(const struct config *cfg, struct redis_conn *rc,
    struct projector *p)
{
	char last[STREAM_ID_MAX];
	long long before;
	int has;

	if (p->last.ms == 0 && p->last.seq == 0)
		return RECONCILE_OK;
	if ((has = stream_has(rc, cfg->stream_key, &p->last)) != 0)
		return has == 1 ? RECONCILE_OK : RECONCILE_UNKNOWN;
	stream_id_format(&p->last, last);
	log_warn("the stream no longer has %s, the last event this read model "
	    "applied (a failover lost it, or an older backup came back); "
	    "rebuilding from the archive and the stream", last);
	before = count_of(p->db);
	if (rebuild_run(cfg, rc) != EXIT_SUCCESS)
		return RECONCILE_UNKNOWN;
	count_set(p->db, (before > 0 ? before : 0) + 1);
	return RECONCILE_REBUILT;
}
