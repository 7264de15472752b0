/*
 * The projection: applies batches of stream entries to the accounts
 * read model, each batch in one SQLite transaction that also records the
 * last stream id applied.  That id, read inside the transaction, is what
 * makes every event count exactly once, whatever crashed and whoever
 * else writes the file.  What each event does, in SQL, is the read
 * model's contract (db/read_model.c); an account's total, its customers'
 * sum, is written once per batch, after the batch's entries and before
 * its COMMIT.
 */
#ifndef PROJECTOR_H
#define PROJECTOR_H

#include <stdint.h>

#include <sqlite3.h>

#include "read_model.h"
#include "stream.h"
#include "totals.h"

enum projector_stmt {
	PS_STATE,
	PS_STATE_SET,
	PS_DEAD_LETTER_ADD,
	PS_EVENTS_ADD,
	PS_BEGIN,
	PS_COMMIT,
	PS_ROLLBACK,
	PS_ACCOUNT_TOTAL,
	PS_ACCOUNT_TOTAL_SET,
	PS_CUSTOMER_TOTAL_UNDO,
	PS_STMTS
};

/*
 * What the statement just run did to the customers and accounts tables,
 * as SQLite's preupdate hook saw it (projector.c): the account total
 * trigger of layout 4, done in C.
 */
struct row_change {
	int		customers;	/* customers rows changed: 0 or 1 */
	int64_t		customer, account;
	int64_t		change;		/* to the customer's total */
	int		moved;		/* a customer changed accounts */
	int		account_gone;	/* an accounts row was deleted: */
	int64_t		gone;		/* this one */
};

struct projector {
	sqlite3		*db;
	sqlite3_stmt	*stmt[PS_STMTS];
	sqlite3_stmt	*effect[EVENT_TYPES];
	/* The parameter each field of an event binds to; 0: none. */
	int		 param[EVENT_TYPES][CONTRACT_FIELDS_MAX];
	struct stream_id last;		/* as recorded in the database */
	int64_t		 seen;		/* stream entries counted so far */
	struct totals	 totals;	/* the accounts the batch changed */
	struct row_change changed;	/* by the last statement */
	char		 error[200];	/* why the last open or batch failed */
};

enum projector_result {
	PROJECTOR_OK,		/* applied; last moved on */
	PROJECTOR_MOVED,	/* the database's id was not ours: reread from last */
	PROJECTOR_FAILED,	/* nothing applied (disk, lock): error says why */
	PROJECTOR_OTHER_LAYOUT,	/* (open) a file of another schema version */
};

/* PROJECTOR_OK, PROJECTOR_FAILED or PROJECTOR_OTHER_LAYOUT (closed then). */
enum projector_result projector_open(struct projector *p, const char *path,
	    enum rm_mode mode);
void	projector_close(struct projector *p);

/* Full batches (a backlog) checkpoint the WAL less often than live ones. */
void	projector_set_catching_up(struct projector *p, int catching_up);

enum projector_result projector_apply_batch(struct projector *p,
	    const struct stream_batch *batch);

#endif
