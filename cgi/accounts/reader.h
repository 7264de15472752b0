/*
 * The accounts service's read-only view of the read model that the
 * worker keeps.  The connection and its prepared statements live as long
 * as the process; if the file is replaced (a restored copy, a manual
 * swap), the next request reopens it.  The SQL is the read model's
 * contract (db/read_model.c).
 */
#ifndef READER_H
#define READER_H

#include <sys/types.h>

#include <stdint.h>

#include <sqlite3.h>

#include "read_model.h"
#include "stream_id.h"

enum reader_stmt {
	RS_STATE,
	RS_BEGIN,
	RS_COMMIT,
	RS_DATA_VERSION,
	RS_ACCOUNTS_OF_OWNER,
	RS_ACCOUNT,
	RS_CUSTOMERS_OF_ACCOUNT,
	RS_STMTS
};

struct reader {
	const char	*path;
	sqlite3		*db;
	dev_t		 dev;
	ino_t		 ino;
	sqlite3_stmt	*stmt[RS_STMTS];
	uint64_t	 generation;	/* opens so far */
};

/* Which contents a read saw: equal versions, equal contents. */
struct reader_version {
	uint64_t	generation;
	int64_t		data;		/* PRAGMA data_version */
};

/* The open connection, or NULL (logged) when the read model is not there yet. */
sqlite3	*reader_get(struct reader *r);
void	 reader_close(struct reader *r);

/* The projection's position: the last stream id applied, and entries seen. */
int	 reader_position(struct reader *r, struct stream_id *last,
	    long long *seen);

/*
 * Starts a read transaction, so that every statement until reader_end
 * sees one snapshot.  Unless version is NULL, puts the snapshot's
 * version there: it changes with every commit of the worker, and with
 * every reopen, so equal versions mean equal contents.
 */
int	 reader_begin(struct reader *r, struct reader_version *version);
void	 reader_end(struct reader *r);

#endif
