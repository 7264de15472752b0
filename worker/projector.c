#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "event.h"
#include "log.h"
#include "projector.h"
#include "schema_sql.h"		/* generated from db/schema.sql */

#define REASON_MAX 200

static const char sql_state_get[] =
    "SELECT last_event_id, events_seen FROM projector_state WHERE id = 1";
static const char sql_state_set[] =
    "UPDATE projector_state SET last_event_id = ?1, events_seen = ?2,"
    " unknown_skipped = unknown_skipped + ?3 WHERE id = 1";
static const char sql_account_insert[] =
    "INSERT INTO accounts (id, name, description, owned_by, created_date)"
    " VALUES (?1, ?2, ?3, ?4, ?5)";
static const char sql_customer_insert[] =
    "INSERT INTO customers (id, account_id, name, created_date)"
    " VALUES (?1, ?2, ?3, ?4)";
/* The guard keeps the sum an exact integer: SQLite would turn an overflow into a float. */
static const char sql_invoice_add[] =
    "UPDATE customers SET total_revenue_cents = total_revenue_cents + ?1"
    " WHERE id = ?2 AND total_revenue_cents <= 9223372036854775807 - ?1";
static const char sql_invoice_remove[] =
    "UPDATE customers SET total_revenue_cents = total_revenue_cents - ?1"
    " WHERE id = ?2 AND total_revenue_cents >= ?1";
static const char sql_customer_remove[] =
    "DELETE FROM customers WHERE id = ?1 AND account_id = ?2";
/* With foreign keys on, an account that still has customers stays. */
static const char sql_account_remove[] =
    "DELETE FROM accounts WHERE id = ?1";
static const char sql_counter_add[] =
    "INSERT INTO projector_counters (name, value) VALUES (?1, ?2)"
    " ON CONFLICT (name) DO UPDATE SET value = value + excluded.value";
static const char sql_dead_letter[] =
    "INSERT OR REPLACE INTO dead_letters"
    " (stream_id, event_type, payload, reason, recorded_at)"
    " VALUES (?1, ?2, ?3, ?4, ?5)";

/* Outcome of one entry: applied or dead-lettered (both advance), or a failure of the database. */
enum entry_result { ENTRY_DONE, ENTRY_UNKNOWN, ENTRY_REJECTED, ENTRY_FAILED };

static int
prepare(sqlite3 *db, const char *sql, sqlite3_stmt **stmt)
{
	if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, stmt,
	    NULL) != SQLITE_OK) {
		log_warn("sqlite: %s: %s", sql, sqlite3_errmsg(db));
		return -1;
	}
	return 0;
}

/*
 * SQLite checkpoints the WAL inside the commit that crosses the limit,
 * and the checkpoint's fdatasync holds that batch up, and every reader
 * waiting for it.  Live, small checkpoints keep that short: at 1,000
 * invoices/s, p99 from 201 to visible was 5.3-6.7 ms with SQLite's 1000
 * pages and 3.2-3.3 ms with 300.  Catching up, they would cost
 * throughput, and nobody waits for one event then.  (Measured with
 * make bench's freshness probe; a 10,000-page limit gave 60 ms stalls.)
 */
void
projector_set_catching_up(struct projector *p, int catching_up)
{
	sqlite3_wal_autocheckpoint(p->db, catching_up ? 1000 : 300);
}

void
projector_close(struct projector *p)
{
	sqlite3_finalize(p->state_get);
	sqlite3_finalize(p->state_set);
	sqlite3_finalize(p->account_insert);
	sqlite3_finalize(p->customer_insert);
	sqlite3_finalize(p->invoice_add);
	sqlite3_finalize(p->invoice_remove);
	sqlite3_finalize(p->customer_remove);
	sqlite3_finalize(p->account_remove);
	sqlite3_finalize(p->dead_letter);
	sqlite3_finalize(p->counter_add);
	sqlite3_close(p->db);
	memset(p, 0, sizeof(*p));
}

/* Reads the recorded position; call inside a transaction to trust it. */
static int
state_read(struct projector *p, struct stream_id *last, int64_t *seen)
{
	const char *s;
	int rc;

	rc = sqlite3_step(p->state_get);
	if (rc == SQLITE_ROW) {
		s = (const char *)sqlite3_column_text(p->state_get, 0);
		*seen = sqlite3_column_int64(p->state_get, 1);
		if (stream_id_parse(s, last) == -1) {
			log_warn("projector_state holds a bad id: %s", s);
			rc = SQLITE_CORRUPT;
		}
	}
	sqlite3_reset(p->state_get);
	return rc == SQLITE_ROW ? 0 : -1;
}

int
projector_open(struct projector *p, const char *path, int fast)
{
	const char *pragmas = fast ?
	    "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;"
	    " PRAGMA foreign_keys = ON;" :
	    /* NORMAL in WAL mode may lose the last commits on power loss,
	     * but never splits one: the recorded id goes back with them. */
	    "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"
	    " PRAGMA foreign_keys = ON;";

	memset(p, 0, sizeof(*p));
	/* One thread: SQLite's own locking would be pure cost (make bench). */
	if (sqlite3_open_v2(path, &p->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		log_warn("%s: %s", path, p->db != NULL ? sqlite3_errmsg(p->db) :
		    "out of memory");
		goto fail;
	}
	sqlite3_busy_timeout(p->db, 5000);
	if (sqlite3_exec(p->db, pragmas, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(p->db, schema_sql, NULL, NULL, NULL) != SQLITE_OK) {
		log_warn("%s: %s", path, sqlite3_errmsg(p->db));
		goto fail;
	}
	if (prepare(p->db, sql_state_get, &p->state_get) == -1 ||
	    prepare(p->db, sql_state_set, &p->state_set) == -1 ||
	    prepare(p->db, sql_account_insert, &p->account_insert) == -1 ||
	    prepare(p->db, sql_customer_insert, &p->customer_insert) == -1 ||
	    prepare(p->db, sql_invoice_add, &p->invoice_add) == -1 ||
	    prepare(p->db, sql_invoice_remove, &p->invoice_remove) == -1 ||
	    prepare(p->db, sql_customer_remove, &p->customer_remove) == -1 ||
	    prepare(p->db, sql_account_remove, &p->account_remove) == -1 ||
	    prepare(p->db, sql_dead_letter, &p->dead_letter) == -1 ||
	    prepare(p->db, sql_counter_add, &p->counter_add) == -1 ||
	    state_read(p, &p->last, &p->seen) == -1)
		goto fail;
	return 0;
fail:
	projector_close(p);
	return -1;
}

/* Runs a bound statement once; SQLITE_DONE or the error code. */
static int
run(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc;
}

static void
no_match_reason(const struct event *ev, char *reason)
{
	switch (ev->type) {
	case EVENT_INVOICE_CREATED:
		snprintf(reason, REASON_MAX, "customer %lld unknown, or its "
		    "total would overflow", (long long)ev->parent_id);
		break;
	case EVENT_INVOICE_DELETED:
		snprintf(reason, REASON_MAX, "customer %lld unknown, or its "
		    "total is less than the invoice", (long long)ev->parent_id);
		break;
	case EVENT_CUSTOMER_DELETED:
		snprintf(reason, REASON_MAX, "customer %lld of account %lld "
		    "unknown", (long long)ev->id, (long long)ev->parent_id);
		break;
	default:
		snprintf(reason, REASON_MAX, "%lld unknown", (long long)ev->id);
		break;
	}
}

static enum entry_result
apply_event(struct projector *p, const struct event *ev, char *reason)
{
	sqlite3_stmt *st;
	int rc;

	switch (ev->type) {
	case EVENT_ACCOUNT_CREATED:
		st = p->account_insert;
		sqlite3_bind_int64(st, 1, ev->id);
		sqlite3_bind_text(st, 2, ev->name, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, ev->description, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, ev->owned_by, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, ev->created_date, -1, SQLITE_STATIC);
		break;
	case EVENT_CUSTOMER_CREATED:
		st = p->customer_insert;
		sqlite3_bind_int64(st, 1, ev->id);
		sqlite3_bind_int64(st, 2, ev->parent_id);
		sqlite3_bind_text(st, 3, ev->name, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, ev->created_date, -1, SQLITE_STATIC);
		break;
	case EVENT_INVOICE_CREATED:
		st = p->invoice_add;
		sqlite3_bind_int64(st, 1, ev->cents);
		sqlite3_bind_int64(st, 2, ev->parent_id);
		break;
	case EVENT_INVOICE_DELETED:
		st = p->invoice_remove;
		sqlite3_bind_int64(st, 1, ev->cents);
		sqlite3_bind_int64(st, 2, ev->parent_id);
		break;
	case EVENT_CUSTOMER_DELETED:
		st = p->customer_remove;
		sqlite3_bind_int64(st, 1, ev->id);
		sqlite3_bind_int64(st, 2, ev->parent_id);
		break;
	case EVENT_ACCOUNT_DELETED:
		st = p->account_remove;
		sqlite3_bind_int64(st, 1, ev->id);
		break;
	default:
		return ENTRY_UNKNOWN;
	}
	rc = run(st);
	if ((rc & 0xff) == SQLITE_CONSTRAINT) {
		snprintf(reason, REASON_MAX, "%s", sqlite3_errmsg(p->db));
		return ENTRY_REJECTED;
	}
	if (rc != SQLITE_DONE)
		return ENTRY_FAILED;
	/* An update or delete that matched nothing did not apply. */
	if (sqlite3_changes(p->db) == 0) {
		no_match_reason(ev, reason);
		return ENTRY_REJECTED;
	}
	return ENTRY_DONE;
}

static int
dead_letter(struct projector *p, const char *id, const char *type,
    const char *payload, const char *reason)
{
	sqlite3_stmt *st = p->dead_letter;
	char now[CLOCK_ISO_MAX] = "";

	clock_iso8601(now);
	log_warn("dead letter %s (%s): %s", id, type != NULL ? type : "no type",
	    reason);
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, type, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, payload, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, reason, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, now, -1, SQLITE_STATIC);
	if (run(st) != SQLITE_DONE)
		return -1;
	return 0;
}

/* The value and its length: a value may hold NUL bytes, which strlen would hide. */
static const char *
field(const redisReply *fields, const char *name, size_t *len)
{
	size_t i;

	for (i = 0; i + 1 < fields->elements; i += 2)
		if (fields->element[i]->type == REDIS_REPLY_STRING &&
		    strcmp(fields->element[i]->str, name) == 0 &&
		    fields->element[i + 1]->type == REDIS_REPLY_STRING) {
			*len = fields->element[i + 1]->len;
			return fields->element[i + 1]->str;
		}
	return NULL;
}

/* One stream entry [id, [field, value, ...]]: decode, apply or dead-letter. */
static enum entry_result
apply_entry(struct projector *p, const char *id, const redisReply *fields,
    enum event_type *type_out)
{
	struct event ev;
	const char *type = NULL, *payload = NULL;
	char reason[REASON_MAX] = "";
	enum entry_result res;
	size_t len = 0;

	*type_out = EVENT_UNKNOWN;
	if (fields->type == REDIS_REPLY_ARRAY) {
		type = field(fields, "EventTypeName", &len);
		payload = field(fields, "Payload", &len);
	}
	if (type != NULL)
		*type_out = event_type_of(type);
	if (type == NULL || payload == NULL) {
		snprintf(reason, sizeof(reason), "entry lacks %s",
		    type == NULL ? "EventTypeName" : "Payload");
		res = ENTRY_REJECTED;
	} else if (event_type_of(type) == EVENT_UNKNOWN)
		return ENTRY_UNKNOWN;
	else if (event_decode(event_type_of(type), payload, len, &ev, reason,
	    sizeof(reason)) == -1) {
		event_free(&ev);
		res = ENTRY_REJECTED;
	} else {
		res = apply_event(p, &ev, reason);
		event_free(&ev);
	}
	if (res == ENTRY_REJECTED && dead_letter(p, id, type, payload,
	    reason) == -1)
		return ENTRY_FAILED;
	return res;
}

static void
rollback(struct projector *p)
{
	sqlite3_exec(p->db, "ROLLBACK", NULL, NULL, NULL);
}

/* What one batch did, for projector_counters. */
struct batch_counts {
	int64_t	applied[EVENT_TYPES];
	int64_t	rejected[EVENT_TYPES];
};

static int
counter_add(struct projector *p, const char *name, int64_t n)
{
	if (n == 0)
		return 0;
	sqlite3_bind_text(p->counter_add, 1, name, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(p->counter_add, 2, n);
	return run(p->counter_add) == SQLITE_DONE ? 0 : -1;
}

static int
counters_write(struct projector *p, const struct batch_counts *c,
    int64_t batch_us)
{
	char name[64];
	int t;

	for (t = 1; t < EVENT_TYPES; t++) {
		snprintf(name, sizeof(name), "applied:%s", event_type_name(t));
		if (counter_add(p, name, c->applied[t]) == -1)
			return -1;
		snprintf(name, sizeof(name), "rejected:%s", event_type_name(t));
		if (counter_add(p, name, c->rejected[t]) == -1)
			return -1;
	}
	if (counter_add(p, "rejected:other", c->rejected[0]) == -1 ||
	    counter_add(p, "batches", 1) == -1 ||
	    counter_add(p, "batch_us", batch_us) == -1)
		return -1;
	return 0;
}

enum projector_result
projector_apply_batch(struct projector *p, const redisReply *entries)
{
	struct batch_counts counts;
	int64_t started = clock_monotonic_us();
	enum event_type type;
	struct stream_id db_last, last, id;
	int64_t db_seen, seen, unknown = 0;
	const redisReply *e;
	char last_s[STREAM_ID_MAX];
	size_t i;

	if (sqlite3_exec(p->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) !=
	    SQLITE_OK) {
		log_warn("BEGIN: %s", sqlite3_errmsg(p->db));
		return PROJECTOR_FAILED;
	}
	if (state_read(p, &db_last, &db_seen) == -1)
		goto fail;
	/* Someone else moved the database (a rebuild, a second worker). */
	if (stream_id_cmp(&db_last, &p->last) != 0) {
		rollback(p);
		p->last = db_last;
		p->seen = db_seen;
		return PROJECTOR_MOVED;
	}
	last = db_last;
	seen = db_seen;
	memset(&counts, 0, sizeof(counts));
	for (i = 0; i < entries->elements; i++) {
		e = entries->element[i];
		if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 ||
		    e->element[0]->type != REDIS_REPLY_STRING ||
		    stream_id_parse(e->element[0]->str, &id) == -1) {
			log_warn("unexpected stream entry shape");
			goto fail;
		}
		if (stream_id_cmp(&id, &last) <= 0)
			continue;
		switch (apply_entry(p, e->element[0]->str, e->element[1],
		    &type)) {
		case ENTRY_FAILED:
			goto fail;
		case ENTRY_UNKNOWN:
			unknown++;
			break;
		case ENTRY_REJECTED:
			counts.rejected[type]++;
			break;
		case ENTRY_DONE:
			counts.applied[type]++;
			break;
		}
		last = id;
		seen++;
	}
	stream_id_format(&last, last_s);
	sqlite3_bind_text(p->state_set, 1, last_s, -1, SQLITE_STATIC);
	sqlite3_bind_int64(p->state_set, 2, seen);
	sqlite3_bind_int64(p->state_set, 3, unknown);
	if (run(p->state_set) != SQLITE_DONE ||
	    counters_write(p, &counts, clock_monotonic_us() - started) == -1 ||
	    sqlite3_exec(p->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		goto fail;
	p->last = last;
	p->seen = seen;
	return PROJECTOR_OK;
fail:
	snprintf(p->error, sizeof(p->error), "%s", sqlite3_errmsg(p->db));
	log_warn("batch not applied: %s", p->error);
	rollback(p);
	return PROJECTOR_FAILED;
}
