/*
 * The read model's contract, beside its schema (schema.sql): every
 * statement the worker (its one writer) and the accounts service (its
 * readers) run against it, what each event type does to it, and the
 * projector's counters.
 */
#ifndef READ_MODEL_H
#define READ_MODEL_H

#include <stddef.h>

#include <sqlite3.h>

#include "event.h"

#define READ_MODEL_VERSION	5	/* the PRAGMA user_version schema.sql sets */

enum rm_sql {
	/* The writer: the projector. */
	RM_STATE,		/* last_event_id, events_seen (readers too) */
	RM_STATE_SET,
	RM_DEAD_LETTER_ADD,
	RM_EVENTS_ADD,
	RM_BEGIN_WRITE,
	RM_COMMIT,
	RM_ROLLBACK,
	RM_ACCOUNT_TOTAL,	/* ?1 account */
	RM_ACCOUNT_TOTAL_SET,	/* ?1 account, to ?2 + ?3 (read_model.c) */
	RM_CUSTOMER_TOTAL_UNDO,	/* ?1 customer, ?2 the change to take back */
	/* The readers: the accounts service. */
	RM_BEGIN_READ,
	RM_DATA_VERSION,
	RM_ACCOUNTS_OF_OWNER,	/* ?1 owner, after id ?2, at most ?3 */
	RM_ACCOUNT,		/* ?1 id */
	RM_CUSTOMERS_OF_ACCOUNT, /* ?1 account, after id ?2, at most ?3 */
	RM_EVENT_COUNTS,
	RM_BATCH_STATS,		/* batches, batch_us, reconciliations */
	RM_RECONCILED,		/* ?1: the count of reconciliations */
	RM_DEAD_LETTER_COUNT,
	RM_SQL
};

/*
 * The result columns of the statements that return rows, by name, in the
 * order of their SELECT (read_model.c): sqlite3_column_*(st, ACCOUNT_NAME).
 */
enum rm_state_col {		/* RM_STATE */
	STATE_LAST_EVENT_ID,
	STATE_EVENTS_SEEN,
};
enum rm_data_version_col {	/* RM_DATA_VERSION */
	DATA_VERSION,
};
enum rm_account_col {		/* RM_ACCOUNTS_OF_OWNER, RM_ACCOUNT */
	ACCOUNT_ID,
	ACCOUNT_NAME,
	ACCOUNT_DESCRIPTION,
	ACCOUNT_OWNED_BY,
	ACCOUNT_CREATED_DATE,
	ACCOUNT_TOTAL_REVENUE_CENTS,
};
enum rm_customer_col {		/* RM_CUSTOMERS_OF_ACCOUNT */
	CUSTOMER_ID,
	CUSTOMER_NAME,
	CUSTOMER_TOTAL_REVENUE_CENTS,
};
enum rm_event_count_col {	/* RM_EVENT_COUNTS */
	EVENT_COUNT_TYPE,
	EVENT_COUNT_OUTCOME,
	EVENT_COUNT_EVENTS,
};
enum rm_batch_stats_col {	/* RM_BATCH_STATS */
	BATCH_STATS_BATCHES,
	BATCH_STATS_BATCH_US,
	BATCH_STATS_RECONCILIATIONS,
};
enum rm_dead_letter_count_col {	/* RM_DEAD_LETTER_COUNT */
	DEAD_LETTER_COUNT,
};

/* Prepared once per connection (persistent); 0, or -1. */
int	read_model_prepare(sqlite3 *db, enum rm_sql which, sqlite3_stmt **st);

/*
 * Each event type's effect: one statement whose named parameters are the
 * event's fields (":customer_id"), and why it failed when it changed no
 * row ("{customer_id}" stands for that field's value).
 */
struct read_model_effect {
	const char	*sql;
	const char	*no_match;
};

extern const struct read_model_effect read_model_effects[EVENT_TYPES];

/*
 * An account's total is its customers' sum (schema.sql), kept by the
 * projector from each change of a customers row: these are the columns
 * it reads, in schema.sql's order.
 */
enum rm_customer_column {
	RM_CUSTOMER_ACCOUNT_ID = 1,
	RM_CUSTOMER_TOTAL = 4,
};

/* The no_match text of ev's effect, its fields filled in. */
void	read_model_no_match(const struct event *ev, char *out, size_t len);

/* The outcomes the projector counts, per event type, as stored and as /metrics labels them. */
enum rm_outcome {
	OUTCOME_APPLIED,
	OUTCOME_DEAD_LETTER,
	OUTCOMES
};

extern const char *const read_model_outcomes[OUTCOMES];

/* How a file opened for writing is set up. */
enum rm_mode {
	RM_LIVE,	/* WAL; survives a crash with whole transactions */
	RM_SCRATCH,	/* a rebuild's: journal in memory, worthless after a
			 * crash */
};

enum rm_layout {
	RM_LAYOUT_CURRENT,	/* READ_MODEL_VERSION, or a new file (now made so) */
	RM_LAYOUT_OTHER,	/* another version's: rebuild it */
	RM_LAYOUT_FAILED,	/* SQLite failed; sqlite3_errmsg says why */
};

/*
 * Sets the file up for mode and makes its tables if it has none.  A file
 * of another layout is left untouched.
 */
enum rm_layout read_model_setup(sqlite3 *db, enum rm_mode mode);

#endif
