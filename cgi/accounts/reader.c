#include <sys/stat.h>

#include <string.h>

#include "log.h"
#include "reader.h"

static const enum rm_sql stmt_sql[RS_STMTS] = {
	[RS_STATE] = RM_STATE,
	/* Prepared once too: sqlite3_exec would parse them on every request. */
	[RS_BEGIN] = RM_BEGIN_READ,
	[RS_COMMIT] = RM_COMMIT,
	[RS_DATA_VERSION] = RM_DATA_VERSION,
	[RS_ACCOUNTS_OF_OWNER] = RM_ACCOUNTS_OF_OWNER,
	[RS_ACCOUNT] = RM_ACCOUNT,
	[RS_CUSTOMERS_OF_ACCOUNT] = RM_CUSTOMERS_OF_ACCOUNT,
};

void
reader_close(struct reader *r)
{
	int i;

	for (i = 0; i < RS_STMTS; i++)
		sqlite3_finalize(r->stmt[i]);
	memset(r->stmt, 0, sizeof(r->stmt));
	sqlite3_close(r->db);
	r->db = NULL;
}

static int
reopen(struct reader *r, const struct stat *st)
{
	int i;

	reader_close(r);
	if (sqlite3_open_v2(r->path, &r->db, SQLITE_OPEN_READONLY,
	    NULL) != SQLITE_OK)
		return -1;
	sqlite3_busy_timeout(r->db, 1000);
	for (i = 0; i < RS_STMTS; i++)
		if (read_model_prepare(r->db, stmt_sql[i], &r->stmt[i]) == -1)
			return -1;
	r->dev = st->st_dev;
	r->ino = st->st_ino;
	r->generation++;
	return 0;
}

sqlite3 *
reader_get(struct reader *r)
{
	struct stat st;

	if (stat(r->path, &st) == -1) {
		reader_close(r);
		return NULL;
	}
	if (r->db != NULL && st.st_dev == r->dev && st.st_ino == r->ino)
		return r->db;
	if (reopen(r, &st) == 0)
		return r->db;
	log_warn("%s: %s", r->path, r->db != NULL ? sqlite3_errmsg(r->db) :
	    "cannot open");
	reader_close(r);
	return NULL;
}

int
reader_position(struct reader *r, struct stream_id *last, long long *seen)
{
	sqlite3_stmt *st;
	int rc = -1;

	if (reader_get(r) == NULL)
		return -1;
	st = r->stmt[RS_STATE];
	if (sqlite3_step(st) == SQLITE_ROW &&
	    stream_id_parse((const char *)sqlite3_column_text(st,
	    STATE_LAST_EVENT_ID), last) == 0) {
		*seen = sqlite3_column_int64(st, STATE_EVENTS_SEEN);
		rc = 0;
	}
	sqlite3_reset(st);
	return rc;
}

static int
step_once(sqlite3_stmt *stmt)
{
	int rc = sqlite3_step(stmt);

	sqlite3_reset(stmt);
	return rc == SQLITE_DONE ? 0 : -1;
}

int
reader_begin(struct reader *r, struct reader_version *version)
{
	sqlite3_stmt *st;

	if (reader_get(r) == NULL || step_once(r->stmt[RS_BEGIN]) == -1)
		return -1;
	if (version == NULL)
		return 0;
	/* The pragma reads the file: the snapshot is taken here. */
	st = r->stmt[RS_DATA_VERSION];
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		reader_end(r);
		return -1;
	}
	version->generation = r->generation;
	version->data = sqlite3_column_int64(st, DATA_VERSION);
	sqlite3_reset(st);
	return 0;
}

void
reader_end(struct reader *r)
{
	if (step_once(r->stmt[RS_COMMIT]) == -1)
		log_warn("%s: end of read: %s", r->path, sqlite3_errmsg(r->db));
}
