/*
 * The accounts service's read-only view of the SQLite read model that
 * the worker keeps.  The connection and its prepared statements live as
 * long as the process; if the file is replaced (a restored copy, a
 * manual swap), the next request reopens it.
 */
#include <sys/stat.h>


#include "accounts.h"
#include "log.h"

static const char sql_by_owner[] =
    "SELECT id, name, description, owned_by, created_date FROM accounts"
    " WHERE owned_by = ?1 ORDER BY id";
static const char sql_by_id[] =
    "SELECT id, name, description, owned_by, created_date FROM accounts"
    " WHERE id = ?1";
static const char sql_customers[] =
    "SELECT id, name, total_revenue_cents FROM customers"
    " WHERE account_id = ?1 ORDER BY id";
static const char sql_state[] =
    "SELECT last_event_id, events_seen FROM projector_state WHERE id = 1";
/* Prepared once too: sqlite3_exec would parse them on every request. */
static const char sql_begin[] = "BEGIN";
static const char sql_commit[] = "COMMIT";
static const char sql_version[] = "PRAGMA data_version";

void
read_model_close(struct read_model *rm)
{
	sqlite3_finalize(rm->by_owner);
	sqlite3_finalize(rm->by_id);
	sqlite3_finalize(rm->customers);
	sqlite3_finalize(rm->state);
	sqlite3_finalize(rm->begin);
	sqlite3_finalize(rm->commit);
	sqlite3_finalize(rm->version);
	sqlite3_close(rm->db);
	rm->by_owner = rm->by_id = rm->customers = rm->state = NULL;
	rm->begin = rm->commit = rm->version = NULL;
	rm->db = NULL;
}

static int
prepare(sqlite3 *db, const char *sql, sqlite3_stmt **stmt)
{
	return sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, stmt,
	    NULL) == SQLITE_OK ? 0 : -1;
}

/* The open connection, or NULL (logged) when the read model is not there yet. */
sqlite3 *
read_model_get(struct read_model *rm)
{
	struct stat st;

	if (stat(rm->path, &st) == -1) {
		read_model_close(rm);
		return NULL;
	}
	if (rm->db != NULL && st.st_dev == rm->dev && st.st_ino == rm->ino)
		return rm->db;
	read_model_close(rm);
	if (sqlite3_open_v2(rm->path, &rm->db, SQLITE_OPEN_READONLY,
	    NULL) != SQLITE_OK)
		goto fail;
	sqlite3_busy_timeout(rm->db, 1000);
	if (prepare(rm->db, sql_by_owner, &rm->by_owner) == -1 ||
	    prepare(rm->db, sql_by_id, &rm->by_id) == -1 ||
	    prepare(rm->db, sql_customers, &rm->customers) == -1 ||
	    prepare(rm->db, sql_state, &rm->state) == -1 ||
	    prepare(rm->db, sql_begin, &rm->begin) == -1 ||
	    prepare(rm->db, sql_commit, &rm->commit) == -1 ||
	    prepare(rm->db, sql_version, &rm->version) == -1)
		goto fail;
	rm->dev = st.st_dev;
	rm->ino = st.st_ino;
	rm->generation++;
	return rm->db;
fail:
	log_warn("%s: %s", rm->path, rm->db != NULL ? sqlite3_errmsg(rm->db) :
	    "cannot open");
	read_model_close(rm);
	return NULL;
}

/* The projection's position: the last stream id applied, and entries seen. */
int
read_model_position(struct read_model *rm, struct stream_id *last,
    long long *seen)
{
	int rc = -1;

	if (read_model_get(rm) == NULL)
		return -1;
	if (sqlite3_step(rm->state) == SQLITE_ROW &&
	    stream_id_parse((const char *)sqlite3_column_text(rm->state, 0),
	    last) == 0) {
		*seen = sqlite3_column_int64(rm->state, 1);
		rc = 0;
	}
	sqlite3_reset(rm->state);
	return rc;
}

static int
step_once(sqlite3_stmt *stmt)
{
	int rc = sqlite3_step(stmt);

	sqlite3_reset(stmt);
	return rc == SQLITE_DONE ? 0 : -1;
}

/*
 * Starts a read transaction, so that every statement until
 * read_model_end sees one snapshot.  Unless version is NULL, puts the
 * snapshot's version there: it changes with every commit of the worker,
 * and with every reopen (read_model_get), so equal versions mean equal
 * contents.
 */
int
read_model_begin(struct read_model *rm, struct read_model_version *version)
{
	if (read_model_get(rm) == NULL || step_once(rm->begin) == -1)
		return -1;
	if (version == NULL)
		return 0;
	/* The pragma reads the file: the snapshot is taken here. */
	if (sqlite3_step(rm->version) != SQLITE_ROW) {
		sqlite3_reset(rm->version);
		read_model_end(rm);
		return -1;
	}
	version->generation = rm->generation;
	version->data = sqlite3_column_int64(rm->version, 0);
	sqlite3_reset(rm->version);
	return 0;
}

void
read_model_end(struct read_model *rm)
{
	if (step_once(rm->commit) == -1)
		log_warn("%s: end of read: %s", rm->path,
		    sqlite3_errmsg(rm->db));
}
