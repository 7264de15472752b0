#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "read_model.h"
#include "schema_sql.h"		/* generated from db/schema.sql */

/* A statement's result columns are named in read_model.h (enum rm_*_col):
 * one changed here is changed there. */
static const char *const sql[RM_SQL] = {
	[RM_STATE] =
	    "SELECT last_event_id, events_seen FROM projector_state"
	    " WHERE id = 1",
	[RM_STATE_SET] =
	    "UPDATE projector_state SET last_event_id = ?1, events_seen = ?2,"
	    " unknown_skipped = unknown_skipped + ?3, batches = batches + 1,"
	    " batch_us = batch_us + ?4 WHERE id = 1",
	[RM_DEAD_LETTER_ADD] =
	    "INSERT OR REPLACE INTO dead_letters"
	    " (stream_id, event_type, payload, reason, recorded_at)"
	    " VALUES (?1, ?2, ?3, ?4, ?5)",
	[RM_EVENTS_ADD] =
	    "INSERT INTO projector_events (event_type, outcome, events)"
	    " VALUES (?1, ?2, ?3) ON CONFLICT (event_type, outcome)"
	    " DO UPDATE SET events = events + excluded.events",
	/* Immediate: "when in doubt, immediate" (sqlbox); the writer must not
	 * find the file taken between its read of the state and its write. */
	[RM_BEGIN_WRITE] = "BEGIN IMMEDIATE",
	[RM_COMMIT] = "COMMIT",
	[RM_ROLLBACK] = "ROLLBACK",
	[RM_ACCOUNT_TOTAL] =
	    "SELECT total_revenue_cents FROM accounts WHERE id = ?1",
	/* The projector's running total ?2 and a change ?3 (0 but for a
	 * refusal): SQLite adds them, so that a sum past INT64_MAX is a
	 * float, which the CHECK refuses with its own message. */
	[RM_ACCOUNT_TOTAL_SET] =
	    "UPDATE accounts SET total_revenue_cents = ?2 + ?3 WHERE id = ?1",
	[RM_CUSTOMER_TOTAL_UNDO] =
	    "UPDATE customers SET total_revenue_cents = total_revenue_cents"
	    " - ?2 WHERE id = ?1",
	[RM_BEGIN_READ] = "BEGIN",
	[RM_DATA_VERSION] = "PRAGMA data_version",
	/* Pages: after an id, at most ?3 (read_model.h). */
	[RM_ACCOUNTS_OF_OWNER] =
	    "SELECT id, name, description, owned_by, created_date,"
	    " total_revenue_cents FROM accounts"
	    " WHERE owned_by = ?1 AND id > ?2 ORDER BY id LIMIT ?3",
	[RM_ACCOUNT] =
	    "SELECT id, name, description, owned_by, created_date,"
	    " total_revenue_cents FROM accounts WHERE id = ?1",
	[RM_CUSTOMERS_OF_ACCOUNT] =
	    "SELECT id, name, total_revenue_cents FROM customers"
	    " WHERE account_id = ?1 AND id > ?2 ORDER BY id LIMIT ?3",
	[RM_EVENT_COUNTS] =
	    "SELECT event_type, outcome, events FROM projector_events"
	    " ORDER BY event_type, outcome",
	[RM_BATCH_STATS] =
	    "SELECT batches, batch_us, reconciliations FROM projector_state"
	    " WHERE id = 1",
	[RM_RECONCILED] =
	    "UPDATE projector_state SET reconciliations = ?1 WHERE id = 1",
	[RM_DEAD_LETTER_COUNT] = "SELECT count(*) FROM dead_letters",
};

const struct read_model_effect read_model_effects[EVENT_TYPES] = {
	[EVENT_ACCOUNT_CREATED] = {
	    "INSERT INTO accounts (id, name, description, owned_by,"
	    " created_date) VALUES (:id, :name, :description, :owned_by,"
	    " :created_date)", "account {id} not inserted" },
	/* With foreign keys on, an account that still has customers stays. */
	[EVENT_ACCOUNT_DELETED] = {
	    "DELETE FROM accounts WHERE id = :id", "account {id} unknown" },
	[EVENT_CUSTOMER_CREATED] = {
	    "INSERT INTO customers (id, account_id, name, created_date)"
	    " VALUES (:id, :account_id, :name, :created_date)",
	    "customer {id} not inserted" },
	[EVENT_CUSTOMER_DELETED] = {
	    "DELETE FROM customers WHERE id = :id AND account_id = :account_id",
	    "customer {id} of account {account_id} unknown" },
	/* The guard keeps the sum an exact integer: SQLite would turn an
	 * overflow into a float. */
	[EVENT_INVOICE_CREATED] = {
	    "UPDATE customers SET total_revenue_cents = total_revenue_cents"
	    " + :purchase_price_cents WHERE id = :customer_id AND"
	    " total_revenue_cents <= 9223372036854775807 - :purchase_price_cents",
	    "customer {customer_id} unknown, or its total would overflow" },
	[EVENT_INVOICE_DELETED] = {
	    "UPDATE customers SET total_revenue_cents = total_revenue_cents"
	    " - :purchase_price_cents WHERE id = :customer_id AND"
	    " total_revenue_cents >= :purchase_price_cents",
	    "customer {customer_id} unknown, or its total is less than the"
	    " invoice" },
};

const char *const read_model_outcomes[OUTCOMES] = {
	[OUTCOME_APPLIED] = "applied",
	[OUTCOME_DEAD_LETTER] = "dead_letter",
};

int
read_model_prepare(sqlite3 *db, enum rm_sql which, sqlite3_stmt **st)
{
	return sqlite3_prepare_v3(db, sql[which], -1,
	    SQLITE_PREPARE_PERSISTENT, st, NULL) == SQLITE_OK ? 0 : -1;
}

/* Appends the value of the field named by the n bytes at name to out. */
static void
put_value(const struct event *ev, const char *name, size_t n, char *out,
    size_t len)
{
	int i = contract_field_index(&contract_events[ev->type], name, n);
	size_t used = strlen(out);

	if (i == -1)
		return;
	if (ev->v[i].text != NULL)
		snprintf(out + used, len - used, "%s", ev->v[i].text);
	else
		snprintf(out + used, len - used, "%" PRId64, ev->v[i].num);
}

void
read_model_no_match(const struct event *ev, char *out, size_t len)
{
	const char *p = read_model_effects[ev->type].no_match, *close;
	size_t used;

	out[0] = '\0';
	while (*p != '\0' && (used = strlen(out)) + 1 < len) {
		if (*p == '{' && (close = strchr(p, '}')) != NULL) {
			put_value(ev, p + 1, (size_t)(close - p - 1), out, len);
			p = close + 1;
			continue;
		}
		out[used] = *p++;
		out[used + 1] = '\0';
	}
}

/* The file's user_version, -1 if it has no tables yet, -2 on failure. */
static int
layout_version(sqlite3 *db)
{
	sqlite3_stmt *st;
	int v = -2;

	if (sqlite3_prepare_v2(db, "SELECT (SELECT count(*) FROM sqlite_schema),"
	    " user_version FROM pragma_user_version", -1, &st, NULL) != SQLITE_OK)
		return -2;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0) == 0 ? -1 :
		    sqlite3_column_int(st, 1);
	sqlite3_finalize(st);
	return v;
}

enum rm_layout
read_model_setup(sqlite3 *db, enum rm_mode mode)
{
	/* The scratch file keeps its journal in memory, not OFF: without
	 * a journal SQLite cannot undo a statement it refuses (a FOREIGN
	 * KEY or UNIQUE failure), whose rows would then stay, and the
	 * rebuild would differ from the live read model. */
	const char *pragmas = mode == RM_SCRATCH ?
	    "PRAGMA journal_mode = MEMORY; PRAGMA synchronous = OFF;"
	    " PRAGMA foreign_keys = ON;" :
	    /* NORMAL in WAL mode may lose the last commits on power loss,
	     * but never splits one: the recorded id goes back with them. */
	    "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"
	    " PRAGMA foreign_keys = ON;";
	int version;

	if (sqlite3_exec(db, pragmas, NULL, NULL, NULL) != SQLITE_OK ||
	    (version = layout_version(db)) == -2)
		return RM_LAYOUT_FAILED;
	if (version != -1 && version != READ_MODEL_VERSION)
		return RM_LAYOUT_OTHER;
	if (sqlite3_exec(db, schema_sql, NULL, NULL, NULL) != SQLITE_OK)
		return RM_LAYOUT_FAILED;
	return RM_LAYOUT_CURRENT;
}
