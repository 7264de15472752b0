/*
 * The projection: applies batches of stream entries to the accounts
 * read model, each batch in one SQLite transaction that also records the
 * last stream id applied.  That id, read inside the transaction, is what
 * makes every event count exactly once, whatever crashed and whoever
 * else writes the file.
 */
#ifndef PROJECTOR_H
#define PROJECTOR_H

#include <stdint.h>

#include <hiredis/hiredis.h>
#include <sqlite3.h>

#include "stream_id.h"

struct projector {
	sqlite3		*db;
	sqlite3_stmt	*state_get;
	sqlite3_stmt	*state_set;
	sqlite3_stmt	*account_insert;
	sqlite3_stmt	*customer_insert;
	sqlite3_stmt	*invoice_add;
	sqlite3_stmt	*invoice_remove;
	sqlite3_stmt	*customer_remove;
	sqlite3_stmt	*account_remove;
	sqlite3_stmt	*dead_letter;
	sqlite3_stmt	*counter_add;
	struct stream_id last;		/* as recorded in the database */
	int64_t		 seen;		/* stream entries counted so far */
	char		 error[160];	/* why the last batch failed */
};

enum projector_result {
	PROJECTOR_OK,		/* applied; last moved on */
	PROJECTOR_MOVED,	/* the database's id was not ours: reread from last */
	PROJECTOR_FAILED,	/* nothing applied (disk, lock): retry later */
};

/* fast: for a rebuild's scratch file, which is worthless after a crash. */
int	projector_open(struct projector *p, const char *path, int fast);
void	projector_close(struct projector *p);

/* Full batches (a backlog) checkpoint the WAL less often than live ones. */
void	projector_set_catching_up(struct projector *p, int catching_up);

/* entries: the list of [id, [field, value, ...]] of one XREAD reply. */
enum projector_result projector_apply_batch(struct projector *p,
	    const redisReply *entries);

#endif
