/*
 * The projector on an in-memory read model, fed batches built by hand:
 * what each event does to the tables, what is skipped (ids at or below
 * the recorded one, twice the same id), what is dead-lettered and why,
 * and what happens when someone else moved the recorded id.  Until now
 * only a running stack (Redis, the worker) showed any of it.
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "projector.h"

/* Payloads of each event type, the fields in the catalogue's order. */
#define T	"\"2026-11-30T12:00:00Z\""
#define ACCOUNT(id)							\
	"{\"id\":\"" id "\",\"name\":\"Acme\",\"description\":\"d\","	\
	"\"owned_by\":\"user1\",\"created_date\":" T "}"
#define ACCOUNT_DELETED(id)	"{\"id\":\"" id "\"}"
#define CUSTOMER(id, account)						\
	"{\"id\":\"" id "\",\"account_id\":\"" account "\","		\
	"\"name\":\"Ann\",\"created_date\":" T "}"
#define CUSTOMER_DELETED(id, account)					\
	"{\"id\":\"" id "\",\"account_id\":\"" account "\"}"
#define INVOICE(id, customer, cents)					\
	"{\"id\":\"" id "\",\"customer_id\":\"" customer "\","		\
	"\"purchase_price_cents\":" cents ",\"created_date\":" T ","	\
	"\"purchase_date\":\"2026-11-30\"}"
#define INVOICE_DELETED(id, customer, cents)				\
	"{\"id\":\"" id "\",\"customer_id\":\"" customer "\","		\
	"\"purchase_price_cents\":" cents "}"

#define TOTAL_10 "SELECT total_revenue_cents FROM customers WHERE id = 10"
#define TOTAL_A1 "SELECT total_revenue_cents FROM accounts WHERE id = 1"

/* An entry as stream_read_recv() makes it; a NULL type or payload: absent. */
static void
entry(struct stream_entry *e, const char *id, const char *type,
    const char *payload)
{
	memset(e, 0, sizeof(*e));
	if (stream_id_parse(id, &e->id) == -1)
		abort();	/* a typo in a test */
	e->id_text = id;
	e->type = type;
	e->type_len = type != NULL ? strlen(type) : 0;
	e->payload = payload;
	e->payload_len = payload != NULL ? strlen(payload) : 0;
}

/*
 * Applies n entries as one batch.  Each dead letter is logged to stderr,
 * on purpose; here they are expected, and hidden unless -v (which also
 * shows a sanitizer's report, should one come while they are hidden).
 */
static enum projector_result
apply(struct projector *p, struct stream_entry *e, size_t n)
{
	struct stream_batch b = { e, n, NULL, { 0, 0 } };
	enum projector_result res;
	int saved = -1, null;

	if (!check_verbose && (null = open("/dev/null", O_WRONLY)) != -1) {
		saved = dup(STDERR_FILENO);
		dup2(null, STDERR_FILENO);
		close(null);
	}
	res = projector_apply_batch(p, &b);
	if (saved != -1) {
		dup2(saved, STDERR_FILENO);
		close(saved);
	}
	return res;
}

/* The first column of sql's first row; -1 if it has none. */
static int64_t
int_of(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	int64_t v = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* The same as text, in out; "(none)" for no row, "(null)" for NULL. */
static const char *
text_of(sqlite3 *db, const char *sql, char *out, size_t len)
{
	sqlite3_stmt *st;
	const unsigned char *s;

	snprintf(out, len, "(none)");
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return out;
	if (sqlite3_step(st) == SQLITE_ROW) {
		s = sqlite3_column_text(st, 0);
		snprintf(out, len, "%s", s != NULL ? (const char *)s :
		    "(null)");
	}
	sqlite3_finalize(st);
	return out;
}

/* The dead letter reason of stream entry id, in out. */
static const char *
reason_of(sqlite3 *db, const char *id, char *out, size_t len)
{
	char sql[128];

	snprintf(sql, sizeof(sql), "SELECT reason FROM dead_letters WHERE"
	    " stream_id = '%s'", id);
	return text_of(db, sql, out, len);
}

/* projector_events' count of type's outcome; 0 if it has no row. */
static int64_t
events_of(sqlite3 *db, const char *type, const char *outcome)
{
	char sql[160];

	snprintf(sql, sizeof(sql), "SELECT coalesce(sum(events), 0) FROM"
	    " projector_events WHERE event_type = '%s' AND outcome = '%s'",
	    type, outcome);
	return int_of(db, sql);
}

/*
 * Customer id's total set by hand, quicker than by invoices; every
 * account's total follows, as the projector keeps it: its customers' sum.
 */
static void
set_total(sqlite3 *db, int id, const char *cents)
{
	char sql[320];

	snprintf(sql, sizeof(sql), "UPDATE customers SET total_revenue_cents ="
	    " %s WHERE id = %d; UPDATE accounts SET total_revenue_cents ="
	    " (SELECT coalesce(sum(total_revenue_cents), 0) FROM customers"
	    " WHERE account_id = accounts.id)", cents, id);
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		abort();	/* a typo in a test */
}

/* Accounts whose total is not their customers' sum, counted from scratch. */
static int64_t
totals_wrong(sqlite3 *db)
{
	return int_of(db, "SELECT count(*) FROM accounts a WHERE"
	    " total_revenue_cents != (SELECT coalesce(sum(total_revenue_cents),"
	    " 0) FROM customers WHERE account_id = a.id)");
}

/* The recorded position is last and seen, in the file and in p alike. */
static int
state_is(const struct projector *p, const char *last, int64_t seen)
{
	char db_last[STREAM_ID_MAX], p_last[STREAM_ID_MAX];

	text_of(p->db, "SELECT last_event_id FROM projector_state", db_last,
	    sizeof(db_last));
	stream_id_format(&p->last, p_last);
	return strcmp(db_last, last) == 0 && strcmp(p_last, last) == 0 &&
	    int_of(p->db, "SELECT events_seen FROM projector_state") == seen &&
	    p->seen == seen;
}

/* Account 1 and its customer 10, at 1-0 and 2-0. */
static int
seed(struct projector *p)
{
	struct stream_entry e[2];

	entry(&e[0], "1-0", "AccountCreated", ACCOUNT("1"));
	entry(&e[1], "2-0", "CustomerCreated", CUSTOMER("10", "1"));
	return apply(p, e, 2) == PROJECTOR_OK && state_is(p, "2-0", 2) ? 0 : -1;
}

/* A projector on a new in-memory read model, seeded unless bare. */
static int
open_memory(struct projector *p, enum rm_mode mode, int bare)
{
	if (projector_open(p, ":memory:", mode) != PROJECTOR_OK)
		return -1;
	if (!bare && seed(p) == -1) {
		projector_close(p);
		return -1;
	}
	return 0;
}

static void
test_open(const char *dir)
{
	struct projector p;
	char path[256], mode[16];
	sqlite3 *db;

	CHECK("a scratch read model opens on :memory: at 0-0",
	    open_memory(&p, RM_SCRATCH, 1) == 0 && state_is(&p, "0-0", 0));
	projector_close(&p);
	/* SQLite keeps an in-memory file's journal in memory, WAL or not. */
	CHECK("a live read model opens on :memory:, its journal in memory",
	    open_memory(&p, RM_LIVE, 1) == 0 && strcmp(text_of(p.db,
	    "PRAGMA journal_mode", mode, sizeof(mode)), "memory") == 0);
	projector_close(&p);

	snprintf(path, sizeof(path), "%s/other.db", dir);
	if (sqlite3_open(path, &db) == SQLITE_OK)
		sqlite3_exec(db, "CREATE TABLE t (x); PRAGMA user_version = 1",
		    NULL, NULL, NULL);
	sqlite3_close(db);
	CHECK("a file of another layout is not opened",
	    projector_open(&p, path, RM_LIVE) == PROJECTOR_OTHER_LAYOUT &&
	    p.db == NULL);
	CHECK("a file of another layout is left as it was",
	    sqlite3_open(path, &db) == SQLITE_OK &&
	    int_of(db, "PRAGMA user_version") == 1 &&
	    int_of(db, "SELECT count(*) FROM sqlite_schema") == 1);
	sqlite3_close(db);
	unlink(path);
}

/* Every parameter of an effect is a field of its event: none binds NULL. */
static void
test_effect_params(void)
{
	const struct event_spec *spec;
	struct projector p;
	char name[128];
	int t, i, n, ok;
	size_t f;

	if (open_memory(&p, RM_SCRATCH, 1) == -1)
		return;
	for (t = 0; t < EVENT_TYPES; t++) {
		spec = &contract_events[t];
		n = sqlite3_bind_parameter_count(p.effect[t]);
		for (i = 1, ok = n > 0; i <= n; i++) {
			for (f = 0; f < spec->nfields; f++)
				if (p.param[t][f] == i)
					break;
			ok &= f < spec->nfields;
		}
		snprintf(name, sizeof(name), "every parameter of %s's effect "
		    "is one of its fields", spec->name);
		CHECK(name, ok && read_model_effects[t].no_match != NULL);
	}
	projector_close(&p);
}

/* The columns the projector's hook reads are the ones it means. */
static void
test_customer_columns(void)
{
	struct projector p;
	char sql[160], name[64];

	if (open_memory(&p, RM_SCRATCH, 1) == -1)
		return;
	snprintf(sql, sizeof(sql), "SELECT name FROM pragma_table_info("
	    "'customers') WHERE cid = %d", RM_CUSTOMER_ACCOUNT_ID);
	CHECK("RM_CUSTOMER_ACCOUNT_ID is customers.account_id",
	    strcmp(text_of(p.db, sql, name, sizeof(name)), "account_id") == 0);
	snprintf(sql, sizeof(sql), "SELECT name FROM pragma_table_info("
	    "'customers') WHERE cid = %d", RM_CUSTOMER_TOTAL);
	CHECK("RM_CUSTOMER_TOTAL is customers.total_revenue_cents",
	    strcmp(text_of(p.db, sql, name, sizeof(name)),
	    "total_revenue_cents") == 0);
	CHECK("the read model has no trigger: the projector keeps the totals",
	    int_of(p.db, "SELECT count(*) FROM sqlite_schema WHERE"
	    " type = 'trigger'") == 0);
	projector_close(&p);
}

/* Each event type's effect, batch by batch, on a scratch file (a rebuild's). */
static void
test_effects(void)
{
	struct projector p;
	struct stream_entry e[4];

	CHECK("a scratch read model takes AccountCreated and CustomerCreated",
	    open_memory(&p, RM_SCRATCH, 0) == 0);
	if (p.db == NULL)
		return;
	CHECK("AccountCreated inserts the account with every field",
	    int_of(p.db, "SELECT count(*) FROM accounts WHERE id = 1 AND"
	    " name = 'Acme' AND description = 'd' AND owned_by = 'user1' AND"
	    " created_date = '2026-11-30T12:00:00Z'") == 1);
	CHECK("CustomerCreated inserts the customer, its total 0",
	    int_of(p.db, "SELECT count(*) FROM customers WHERE id = 10 AND"
	    " account_id = 1 AND name = 'Ann' AND created_date ="
	    " '2026-11-30T12:00:00Z' AND total_revenue_cents = 0") == 1);
	entry(&e[0], "3-0", "InvoiceCreated", INVOICE("100", "10", "8000"));
	entry(&e[1], "4-0", "InvoiceCreated", INVOICE("101", "10", "2000"));
	CHECK("InvoiceCreated adds its cents to the customer's total",
	    apply(&p, e, 2) == PROJECTOR_OK &&
	    int_of(p.db, TOTAL_10) == 10000);
	CHECK("after a batch, the state is its last id and the count so far",
	    state_is(&p, "4-0", 4));
	entry(&e[0], "5-0", "InvoiceDeleted",
	    INVOICE_DELETED("100", "10", "8000"));
	CHECK("InvoiceDeleted subtracts its cents from the customer's total",
	    apply(&p, e, 1) == PROJECTOR_OK &&
	    int_of(p.db, TOTAL_10) == 2000 && state_is(&p, "5-0", 5));
	entry(&e[0], "6-0", "CustomerDeleted", CUSTOMER_DELETED("10", "1"));
	CHECK("CustomerDeleted removes the customer",
	    apply(&p, e, 1) == PROJECTOR_OK && int_of(p.db,
	    "SELECT count(*) FROM customers") == 0 && state_is(&p, "6-0", 6));
	entry(&e[0], "7-0", "AccountDeleted", ACCOUNT_DELETED("1"));
	CHECK("AccountDeleted removes an account without customers",
	    apply(&p, e, 1) == PROJECTOR_OK && int_of(p.db,
	    "SELECT count(*) FROM accounts") == 0 && state_is(&p, "7-0", 7));
	CHECK("projector_events counts each type applied, none dead",
	    events_of(p.db, "AccountCreated", "applied") == 1 &&
	    events_of(p.db, "CustomerCreated", "applied") == 1 &&
	    events_of(p.db, "InvoiceCreated", "applied") == 2 &&
	    events_of(p.db, "InvoiceDeleted", "applied") == 1 &&
	    events_of(p.db, "CustomerDeleted", "applied") == 1 &&
	    events_of(p.db, "AccountDeleted", "applied") == 1 &&
	    int_of(p.db, "SELECT count(*) FROM projector_events WHERE"
	    " outcome = 'dead_letter'") == 0);
	CHECK("projector_state counts the batches, no dead letters kept",
	    int_of(p.db, "SELECT batches FROM projector_state") == 5 &&
	    int_of(p.db, "SELECT count(*) FROM dead_letters") == 0);
	projector_close(&p);
}

/* Entries at or below the recorded id are skipped, in numeric order. */
static void
test_replay(void)
{
	struct projector p;
	struct stream_entry e[3];

	CHECK("a live read model takes the seed for the replay cases",
	    open_memory(&p, RM_LIVE, 0) == 0);
	if (p.db == NULL)
		return;
	entry(&e[0], "3-0", "InvoiceCreated", INVOICE("100", "10", "500"));
	CHECK("a first invoice is applied",
	    apply(&p, e, 1) == PROJECTOR_OK && int_of(p.db, TOTAL_10) == 500);
	CHECK("the same batch again is skipped: total and count unchanged",
	    apply(&p, e, 1) == PROJECTOR_OK &&
	    int_of(p.db, TOTAL_10) == 500 && state_is(&p, "3-0", 3) &&
	    events_of(p.db, "InvoiceCreated", "applied") == 1);
	entry(&e[0], "2-0", "InvoiceCreated", INVOICE("101", "10", "7"));
	entry(&e[1], "3-0", "InvoiceCreated", INVOICE("102", "10", "7"));
	entry(&e[2], "4-0", "InvoiceCreated", INVOICE("103", "10", "1"));
	CHECK("of ids below, at and above the recorded one, only above counts",
	    apply(&p, e, 3) == PROJECTOR_OK &&
	    int_of(p.db, TOTAL_10) == 501 && state_is(&p, "4-0", 4));
	CHECK("an empty batch commits and leaves the position",
	    apply(&p, e, 0) == PROJECTOR_OK && state_is(&p, "4-0", 4));
	entry(&e[0], "9-0", "InvoiceCreated", INVOICE("104", "10", "10"));
	entry(&e[1], "10-0", "InvoiceCreated", INVOICE("105", "10", "100"));
	CHECK("10-0 follows 9-0 (numbers, not text)",
	    apply(&p, e, 2) == PROJECTOR_OK &&
	    int_of(p.db, TOTAL_10) == 611 && state_is(&p, "10-0", 6));
	entry(&e[0], "9-5", "InvoiceCreated", INVOICE("106", "10", "1000"));
	entry(&e[1], "10-1", "InvoiceCreated", INVOICE("107", "10", "1000"));
	CHECK("9-5 is below 10-0 and skipped; 10-1 is above and applied",
	    apply(&p, e, 2) == PROJECTOR_OK &&
	    int_of(p.db, TOTAL_10) == 1611 && state_is(&p, "10-1", 7));
	projector_close(&p);
}

static void
test_duplicates(void)
{
	struct projector p;
	struct stream_entry e[3];

	CHECK("a live read model takes the seed for the duplicate case",
	    open_memory(&p, RM_LIVE, 0) == 0);
	if (p.db == NULL)
		return;
	entry(&e[0], "3-0", "InvoiceCreated", INVOICE("100", "10", "500"));
	entry(&e[1], "3-0", "InvoiceCreated", INVOICE("100", "10", "500"));
	entry(&e[2], "4-0", "InvoiceCreated", INVOICE("101", "10", "1"));
	CHECK("a batch with the same id twice applies it once",
	    apply(&p, e, 3) == PROJECTOR_OK &&
	    int_of(p.db, TOTAL_10) == 501 && state_is(&p, "4-0", 4) &&
	    events_of(p.db, "InvoiceCreated", "applied") == 2);
	projector_close(&p);
}

/* One batch: poison between good entries, from 3-0 to 9-0. */
static void
apply_poison(struct projector *p)
{
	struct stream_entry e[7];

	entry(&e[0], "3-0", "InvoiceCreated", "not json");
	entry(&e[1], "4-0", "InvoiceCreated", "{\"id\":\"100\","
	    "\"customer_id\":\"10\",\"purchase_price_cents\":1,"
	    "\"created_date\":" T "}");
	entry(&e[2], "5-0", "InvoiceCreated",
	    INVOICE("101", "10", "9007199254740992"));
	entry(&e[3], "6-0", "InvoiceCreated", INVOICE("102", "99", "1"));
	entry(&e[4], "7-0", NULL, INVOICE("103", "10", "1"));
	entry(&e[5], "8-0", "InvoiceCreated", NULL);
	entry(&e[6], "9-0", "InvoiceCreated", INVOICE("104", "10", "300"));
	CHECK("a batch with poison entries still commits",
	    apply(p, e, 7) == PROJECTOR_OK);
}

static void
test_poison(void)
{
	struct projector p;
	char r[256];

	CHECK("a live read model takes the seed for the dead-letter cases",
	    open_memory(&p, RM_LIVE, 0) == 0);
	if (p.db == NULL)
		return;
	apply_poison(&p);
	CHECK("the good entry after the poison is applied",
	    int_of(p.db, TOTAL_10) == 300 && state_is(&p, "9-0", 9));
	CHECK("six poison entries, six dead letters",
	    int_of(p.db, "SELECT count(*) FROM dead_letters") == 6);
	CHECK("a payload that is not JSON is dead-lettered as such",
	    strstr(reason_of(p.db, "3-0", r, sizeof(r)), "not valid JSON") !=
	    NULL);
	CHECK("a missing field is dead-lettered by its name",
	    strstr(reason_of(p.db, "4-0", r, sizeof(r)),
	    "purchase_date: is required") != NULL);
	CHECK("cents over the limit are dead-lettered by the field's name",
	    strstr(reason_of(p.db, "5-0", r, sizeof(r)),
	    "purchase_price_cents:") != NULL);
	CHECK("an invoice of an unknown customer says \"customer 99 unknown\"",
	    strstr(reason_of(p.db, "6-0", r, sizeof(r)),
	    "customer 99 unknown") != NULL);
	CHECK("an entry without a type: \"entry lacks EventTypeName\"",
	    strcmp(reason_of(p.db, "7-0", r, sizeof(r)),
	    "entry lacks EventTypeName") == 0);
	CHECK("an entry without a payload: \"entry lacks Payload\"",
	    strcmp(reason_of(p.db, "8-0", r, sizeof(r)),
	    "entry lacks Payload") == 0);
	CHECK("a dead letter keeps the entry's type, payload and a time",
	    int_of(p.db, "SELECT count(*) FROM dead_letters WHERE stream_id ="
	    " '3-0' AND event_type = 'InvoiceCreated' AND payload = 'not json'"
	    " AND recorded_at LIKE '____-__-__T__:__:__Z'") == 1);
	CHECK("what an entry lacks is NULL in its dead letter",
	    int_of(p.db, "SELECT count(*) FROM dead_letters WHERE"
	    " (stream_id = '7-0' AND event_type IS NULL) OR"
	    " (stream_id = '8-0' AND payload IS NULL)") == 2);
	CHECK("projector_events counts dead letters by type, 'other' if none",
	    events_of(p.db, "InvoiceCreated", "dead_letter") == 5 &&
	    events_of(p.db, "other", "dead_letter") == 1 &&
	    events_of(p.db, "InvoiceCreated", "applied") == 1);
	projector_close(&p);
}

static void
test_unknown(void)
{
	struct projector p;
	struct stream_entry e[2];

	CHECK("a live read model takes the seed for the unknown-type case",
	    open_memory(&p, RM_LIVE, 0) == 0);
	if (p.db == NULL)
		return;
	entry(&e[0], "3-0", "InvoiceUpdated", "{}");
	entry(&e[1], "4-0", "InvoiceCreated", INVOICE("100", "10", "5"));
	CHECK("an unknown type is skipped, the entry after it applied",
	    apply(&p, e, 2) == PROJECTOR_OK && int_of(p.db, TOTAL_10) == 5 &&
	    state_is(&p, "4-0", 4));
	CHECK("an unknown type is counted in unknown_skipped, not dead",
	    int_of(p.db, "SELECT unknown_skipped FROM projector_state") == 1 &&
	    int_of(p.db, "SELECT count(*) FROM dead_letters") == 0 &&
	    events_of(p.db, "other", "dead_letter") == 0);
	projector_close(&p);
}

/* A payload may hold NUL bytes: what is decoded is all of it. */
static void
test_nul_payload(void)
{
	static const char payload[] = INVOICE("100", "10", "5") "\0junk";
	struct projector p;
	struct stream_entry e[1];
	char r[256];

	CHECK("a live read model takes the seed for the NUL case",
	    open_memory(&p, RM_LIVE, 0) == 0);
	if (p.db == NULL)
		return;
	entry(&e[0], "3-0", "InvoiceCreated", payload);
	e[0].payload_len = sizeof(payload) - 1;
	CHECK("a payload with a NUL and more after its JSON is dead-lettered",
	    apply(&p, e, 1) == PROJECTOR_OK && int_of(p.db, TOTAL_10) == 0 &&
	    strstr(reason_of(p.db, "3-0", r, sizeof(r)), "not valid JSON") !=
	    NULL);
	projector_close(&p);
}

/* Effects the read model's constraints refuse: dead letters, not failures. */
static void
test_refused_effects(enum rm_mode mode)
{
	struct projector p;
	struct stream_entry e[6];
	char r[256];

	/* A rebuild's scratch file refuses the same effects as the live
	 * one, with nothing of theirs left: else a rebuild differs. */
	fprintf(stderr, "# refused effects, %s read model\n",
	    mode == RM_LIVE ? "live" : "scratch");
	CHECK("a read model takes the seed for the refused effects",
	    open_memory(&p, mode, 0) == 0);
	if (p.db == NULL)
		return;
	entry(&e[0], "3-0", "AccountDeleted", ACCOUNT_DELETED("1"));
	entry(&e[1], "4-0", "AccountDeleted", ACCOUNT_DELETED("2"));
	entry(&e[2], "5-0", "CustomerCreated", CUSTOMER("11", "5"));
	entry(&e[3], "6-0", "AccountCreated", ACCOUNT("1"));
	entry(&e[4], "7-0", "CustomerDeleted", CUSTOMER_DELETED("10", "2"));
	entry(&e[5], "8-0", "InvoiceDeleted",
	    INVOICE_DELETED("100", "10", "1"));
	CHECK("a batch of refused effects commits",
	    apply(&p, e, 6) == PROJECTOR_OK && state_is(&p, "8-0", 8));
	CHECK("AccountDeleted of an account with customers is dead (FK)",
	    strstr(reason_of(p.db, "3-0", r, sizeof(r)), "FOREIGN KEY") !=
	    NULL && int_of(p.db, "SELECT count(*) FROM accounts") == 1);
	CHECK("AccountDeleted of an unknown account: \"account 2 unknown\"",
	    strcmp(reason_of(p.db, "4-0", r, sizeof(r)),
	    "account 2 unknown") == 0);
	CHECK("CustomerCreated in an unknown account is dead (FK)",
	    strstr(reason_of(p.db, "5-0", r, sizeof(r)), "FOREIGN KEY") !=
	    NULL && int_of(p.db, "SELECT count(*) FROM customers") == 1);
	CHECK("AccountCreated of an existing id is dead (unique)",
	    strstr(reason_of(p.db, "6-0", r, sizeof(r)), "UNIQUE") != NULL);
	CHECK("CustomerDeleted under another account is dead; the row stays",
	    strcmp(reason_of(p.db, "7-0", r, sizeof(r)),
	    "customer 10 of account 2 unknown") == 0 &&
	    int_of(p.db, "SELECT count(*) FROM customers") == 1);
	CHECK("InvoiceDeleted of more than the total is dead, the total kept",
	    strstr(reason_of(p.db, "8-0", r, sizeof(r)),
	    "less than the invoice") != NULL && int_of(p.db, TOTAL_10) == 0);
	CHECK("projector_events counts each refused effect by its type",
	    events_of(p.db, "AccountDeleted", "dead_letter") == 2 &&
	    events_of(p.db, "CustomerCreated", "dead_letter") == 1 &&
	    events_of(p.db, "AccountCreated", "dead_letter") == 1 &&
	    events_of(p.db, "CustomerDeleted", "dead_letter") == 1 &&
	    events_of(p.db, "InvoiceDeleted", "dead_letter") == 1);
	projector_close(&p);
}

/* A total stays an exact integer: SQLite would make an overflow a float. */
static void
test_overflow(void)
{
	struct projector p;
	struct stream_entry e[2];
	char r[256], type[16];

	CHECK("a live read model takes the seed for the overflow case",
	    open_memory(&p, RM_LIVE, 0) == 0);
	if (p.db == NULL)
		return;
	/* 1024 invoices of the largest cents would do it; this is quicker. */
	set_total(p.db, 10, "9223372036854775807 - 5");
	entry(&e[0], "3-0", "InvoiceCreated", INVOICE("100", "10", "6"));
	entry(&e[1], "4-0", "InvoiceCreated", INVOICE("101", "10", "5"));
	CHECK("an invoice that would take a total past INT64_MAX is dead",
	    apply(&p, e, 1) == PROJECTOR_OK && strstr(reason_of(p.db, "3-0",
	    r, sizeof(r)), "would overflow") != NULL &&
	    int_of(p.db, TOTAL_10) == INT64_MAX - 5);
	CHECK("an invoice that takes a total to exactly INT64_MAX is applied",
	    apply(&p, e + 1, 1) == PROJECTOR_OK &&
	    int_of(p.db, TOTAL_10) == INT64_MAX && strcmp(text_of(p.db,
	    "SELECT typeof(total_revenue_cents) FROM customers", type,
	    sizeof(type)), "integer") == 0);
	CHECK("the account's total follows to exactly INT64_MAX",
	    int_of(p.db, TOTAL_A1) == INT64_MAX);
	projector_close(&p);
}

/*
 * The account's total is its customers' sum, kept by the projector; one
 * that would pass INT64_MAX over two customers is a dead letter, as the
 * trigger that kept it before made it, not a float.
 */
static void
test_account_total(void)
{
	struct projector p;
	struct stream_entry e[6];
	char r[256];

	CHECK("a live read model takes the seed for the account total case",
	    open_memory(&p, RM_LIVE, 0) == 0);
	if (p.db == NULL)
		return;
	entry(&e[0], "3-0", "CustomerCreated", CUSTOMER("11", "1"));
	entry(&e[1], "4-0", "InvoiceCreated", INVOICE("100", "10", "700"));
	entry(&e[2], "5-0", "InvoiceCreated", INVOICE("101", "11", "40"));
	entry(&e[3], "6-0", "InvoiceDeleted", INVOICE_DELETED("100", "10", "200"));
	CHECK("the account's total is its customers' sum through creates and"
	    " deletes", apply(&p, e, 4) == PROJECTOR_OK &&
	    int_of(p.db, TOTAL_A1) == 540);
	entry(&e[0], "7-0", "CustomerDeleted", CUSTOMER_DELETED("11", "1"));
	CHECK("a customer deleted takes its total from the account's",
	    apply(&p, e, 1) == PROJECTOR_OK && int_of(p.db, TOTAL_A1) == 500);
	entry(&e[0], "8-0", "CustomerCreated", CUSTOMER("12", "1"));
	apply(&p, e, 1);
	set_total(p.db, 12, "9223372036854775807 - 500");
	entry(&e[0], "9-0", "InvoiceCreated", INVOICE("102", "12", "1"));
	CHECK("an invoice that would take the account's total past INT64_MAX"
	    " is dead", apply(&p, e, 1) == PROJECTOR_OK &&
	    strstr(reason_of(p.db, "9-0", r, sizeof(r)), "CHECK") != NULL &&
	    int_of(p.db, TOTAL_A1) == INT64_MAX && int_of(p.db,
	    "SELECT total_revenue_cents FROM customers WHERE id = 12") ==
	    INT64_MAX - 500);
	CHECK("its reason is the accounts table's CHECK, as the trigger's was",
	    strncmp(r, "CHECK constraint failed: typeof(total_revenue_cents) ="
	    " 'integer'", 64) == 0);
	/* In one batch: refused, then a delete and a smaller invoice fit. */
	entry(&e[0], "10-0", "InvoiceCreated", INVOICE("103", "12", "1"));
	entry(&e[1], "11-0", "InvoiceDeleted", INVOICE_DELETED("104", "10", "100"));
	entry(&e[2], "12-0", "InvoiceCreated", INVOICE("105", "12", "60"));
	entry(&e[3], "13-0", "InvoiceCreated", INVOICE("106", "12", "41"));
	CHECK("past INT64_MAX mid-batch: dead, and the account's later"
	    " changes in the batch count from the total before it",
	    apply(&p, e, 4) == PROJECTOR_OK &&
	    strstr(reason_of(p.db, "10-0", r, sizeof(r)), "CHECK") != NULL &&
	    strstr(reason_of(p.db, "13-0", r, sizeof(r)), "CHECK") != NULL &&
	    int_of(p.db, "SELECT count(*) FROM dead_letters") == 3 &&
	    int_of(p.db, TOTAL_A1) == INT64_MAX - 40 && totals_wrong(p.db) == 0);
	projector_close(&p);
}

/*
 * The per-batch account totals, against their customers' sums counted
 * from scratch (totals_wrong), batch after batch.
 */

#define BUILT_MAX	512

/* Entries made on the fly, their ids from 3-0 on (after the seed). */
struct built {
	struct stream_entry	e[BUILT_MAX];
	char			id[BUILT_MAX][24];
	char			payload[BUILT_MAX][200];
	size_t			n;
	unsigned		next;	/* the next id: <next>-0 */
};

static void add(struct built *b, const char *type, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

/* One more entry of type (NULL: none), its payload printf'd. */
static void
add(struct built *b, const char *type, const char *fmt, ...)
{
	va_list ap;
	size_t i = b->n++;

	if (i >= BUILT_MAX)
		abort();	/* a test too big for it */
	snprintf(b->id[i], sizeof(b->id[i]), "%u-0", b->next++);
	va_start(ap, fmt);
	vsnprintf(b->payload[i], sizeof(b->payload[i]), fmt, ap);
	va_end(ap);
	entry(&b->e[i], b->id[i], type, b->payload[i]);
}

static struct built *
built_new(void)
{
	struct built *b = calloc(1, sizeof(*b));

	if (b == NULL)
		abort();
	b->next = 3;
	return b;
}

/*
 * One batch that changes one account 300 times, among creates, deletes
 * and dead letters: the account's total is written once, and right.
 */
static void
test_totals_one_account(void)
{
	struct built *b = built_new();
	struct projector p;
	unsigned i;

	CHECK("a scratch read model takes the seed for the many-changes batch",
	    open_memory(&p, RM_SCRATCH, 0) == 0);
	if (p.db == NULL)
		goto out;
	/* Counts the writes of account rows, by a trigger of this test. */
	sqlite3_exec(p.db, "CREATE TEMP TABLE writes (n); INSERT INTO writes"
	    " VALUES (0); CREATE TEMP TRIGGER counted AFTER UPDATE ON accounts"
	    " BEGIN UPDATE writes SET n = n + 1; END", NULL, NULL, NULL);
	add(b, "CustomerCreated", CUSTOMER("11", "1"));
	add(b, "CustomerCreated", CUSTOMER("12", "1"));
	for (i = 0; i < 300; i++) {
		if (i == 150)
			add(b, "InvoiceCreated", "not json");
		else if (i == 200)	/* an unknown customer's */
			add(b, "InvoiceCreated", INVOICE("%u", "99", "5"), i);
		else if (i % 7 == 3)	/* dead when over the total */
			add(b, "InvoiceDeleted", INVOICE_DELETED("%u", "%u",
			    "%u"), i, 10 + i % 3, 2 * i);
		else
			add(b, "InvoiceCreated", INVOICE("%u", "%u", "%u"), i,
			    10 + i % 3, i + 1);
	}
	add(b, "CustomerDeleted", CUSTOMER_DELETED("11", "1"));
	CHECK("a batch of 300 changes to one account commits",
	    apply(&p, b->e, b->n) == PROJECTOR_OK && state_is(&p, "305-0", 305));
	CHECK("the account's total is its customers' sum after it",
	    totals_wrong(p.db) == 0 && int_of(p.db, TOTAL_A1) > 0);
	CHECK("with dead letters among the changes",
	    int_of(p.db, "SELECT count(*) FROM dead_letters") > 2);
	CHECK("the account's row is written once in the batch",
	    int_of(p.db, "SELECT n FROM temp.writes") == 1);
	projector_close(&p);
out:
	free(b);
}

/*
 * In one batch: an account's customer deleted with its invoices, the
 * account deleted, made again under the same id, and invoiced; and a
 * second account's deletion refused while it has customers.
 */
static void
test_totals_account_again(void)
{
	struct built *b = built_new();
	struct projector p;

	CHECK("a live read model takes the seed for the account made again",
	    open_memory(&p, RM_LIVE, 0) == 0);
	if (p.db == NULL)
		goto out;
	add(b, "InvoiceCreated", INVOICE("100", "10", "700"));
	add(b, "AccountCreated", ACCOUNT("2"));
	add(b, "CustomerCreated", CUSTOMER("20", "2"));
	add(b, "InvoiceCreated", INVOICE("101", "20", "30"));
	CHECK("a first batch: account 1 holds 700, account 2 30",
	    apply(&p, b->e, b->n) == PROJECTOR_OK && totals_wrong(p.db) == 0 &&
	    int_of(p.db, TOTAL_A1) == 700);
	/* Wrong by hand: a total that is not the sum shows which one counts. */
	sqlite3_exec(p.db, "UPDATE accounts SET total_revenue_cents = 1000"
	    " WHERE id = 1", NULL, NULL, NULL);
	b->n = 0;
	add(b, "InvoiceCreated", INVOICE("102", "10", "5"));
	add(b, "AccountDeleted", ACCOUNT_DELETED("1"));	/* dead: FK */
	add(b, "CustomerDeleted", CUSTOMER_DELETED("10", "1"));
	add(b, "AccountDeleted", ACCOUNT_DELETED("2"));	/* dead: FK */
	add(b, "AccountDeleted", ACCOUNT_DELETED("1"));
	add(b, "AccountCreated", ACCOUNT("1"));
	add(b, "CustomerCreated", CUSTOMER("11", "1"));
	add(b, "InvoiceCreated", INVOICE("103", "11", "9"));
	add(b, "InvoiceCreated", INVOICE("104", "20", "1"));
	CHECK("a batch that deletes account 1 and makes it again commits",
	    apply(&p, b->e, b->n) == PROJECTOR_OK &&
	    int_of(p.db, "SELECT count(*) FROM dead_letters") == 2);
	CHECK("the account made again counts from its new row's 0: 9, not 309",
	    int_of(p.db, TOTAL_A1) == 9 && totals_wrong(p.db) == 0 &&
	    int_of(p.db, "SELECT total_revenue_cents FROM accounts WHERE"
	    " id = 2") == 31);
	projector_close(&p);
out:
	free(b);
}

/* A batch that fails leaves no running total behind for the next one. */
static void
test_totals_after_failure(void)
{
	struct built *b = built_new();
	struct projector p;

	CHECK("a live read model takes the seed for the failed batch's totals",
	    open_memory(&p, RM_LIVE, 0) == 0);
	if (p.db == NULL)
		goto out;
	sqlite3_exec(p.db, "CREATE TRIGGER full BEFORE INSERT ON dead_letters"
	    " BEGIN SELECT RAISE(ABORT, 'disk full'); END", NULL, NULL, NULL);
	add(b, "InvoiceCreated", INVOICE("100", "10", "5"));
	add(b, "InvoiceCreated", "not json");
	CHECK("a batch whose dead letter cannot be written fails, totals kept",
	    apply(&p, b->e, b->n) == PROJECTOR_FAILED &&
	    int_of(p.db, TOTAL_A1) == 0);
	sqlite3_exec(p.db, "DROP TRIGGER full", NULL, NULL, NULL);
	b->n = 0;
	add(b, "InvoiceCreated", INVOICE("101", "10", "7"));
	CHECK("the next batch counts from the file's total, not the failed"
	    " batch's", apply(&p, b->e, b->n) == PROJECTOR_OK &&
	    int_of(p.db, TOTAL_A1) == 7 && totals_wrong(p.db) == 0);
	projector_close(&p);
out:
	free(b);
}

/*
 * Files no event makes: a customer without its account row (a rebuild's
 * file, without a journal, keeps the DELETE of a refused AccountDeleted),
 * and an account's total below its customers' sum (edited by hand).
 */
static void
test_totals_odd_files(void)
{
	struct built *b = built_new();
	struct projector p;

	CHECK("a live read model takes the seed for the odd files",
	    open_memory(&p, RM_LIVE, 0) == 0);
	if (p.db == NULL)
		goto out;
	sqlite3_exec(p.db, "PRAGMA foreign_keys = OFF; DELETE FROM accounts;"
	    " PRAGMA foreign_keys = ON", NULL, NULL, NULL);
	add(b, "InvoiceCreated", INVOICE("100", "10", "50"));
	add(b, "InvoiceDeleted", INVOICE_DELETED("100", "10", "20"));
	CHECK("a customer without its account row takes invoices, as it did",
	    apply(&p, b->e, b->n) == PROJECTOR_OK &&
	    int_of(p.db, TOTAL_10) == 30 &&
	    int_of(p.db, "SELECT count(*) FROM dead_letters") == 0);
	b->n = 0;
	add(b, "AccountCreated", ACCOUNT("2"));
	add(b, "CustomerCreated", CUSTOMER("20", "2"));
	add(b, "InvoiceCreated", INVOICE("101", "20", "40"));
	apply(&p, b->e, b->n);
	sqlite3_exec(p.db, "UPDATE accounts SET total_revenue_cents = 10",
	    NULL, NULL, NULL);
	b->n = 0;
	add(b, "InvoiceDeleted", INVOICE_DELETED("102", "20", "25"));
	CHECK("a total below its customers' sum that would fall below 0"
	    " fails the batch, and says which account",
	    apply(&p, b->e, b->n) == PROJECTOR_FAILED &&
	    strstr(p.error, "account 2's total would fall below 0") != NULL &&
	    state_is(&p, "7-0", 7));
	projector_close(&p);
out:
	free(b);
}

/* xorshift32: the same entries on every run. */
static unsigned
rnd(unsigned *x, unsigned n)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x % n;
}

/* The largest cents the contract takes: 1024 of them fill a total. */
#define BIG	"9007199254740991"

/*
 * One random entry over accounts 1 and 2 and customers 10 to 17
 * (customer c in account 1 + c % 2): creates, deletes, invoices of the
 * largest cents, poison, and so dead letters of every kind.
 */
static void
add_random(struct built *b, unsigned *x)
{
	unsigned r = rnd(x, 100), c = 10 + rnd(x, 8), a = 1 + rnd(x, 2);
	unsigned id = b->next;

	if (r < 45)
		add(b, "InvoiceCreated", INVOICE("%u", "%u", "%s"), id, c,
		    rnd(x, 3) == 0 ? BIG : "100");
	else if (r < 60)
		add(b, "InvoiceDeleted", INVOICE_DELETED("%u", "%u", "%s"), id,
		    c, rnd(x, 3) == 0 ? BIG : "70");
	else if (r < 72)
		add(b, "CustomerCreated", CUSTOMER("%u", "%u"), c, 1 + c % 2);
	else if (r < 80)
		add(b, "CustomerDeleted", CUSTOMER_DELETED("%u", "%u"), c,
		    rnd(x, 4) == 0 ? a : 1 + c % 2);
	else if (r < 87)
		add(b, "AccountCreated", ACCOUNT("%u"), a);
	else if (r < 94)
		add(b, "AccountDeleted", ACCOUNT_DELETED("%u"), a);
	else
		add(b, "InvoiceCreated", "not json");
}

/* sql gives the same rows, column by column as text, in db1 and db2. */
static int
same_rows(sqlite3 *db1, sqlite3 *db2, const char *sql)
{
	sqlite3_stmt *s1 = NULL, *s2 = NULL;
	int r1, r2, i, same = 0;
	const char *t1, *t2;

	if (sqlite3_prepare_v2(db1, sql, -1, &s1, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db2, sql, -1, &s2, NULL) != SQLITE_OK)
		goto out;
	do {
		r1 = sqlite3_step(s1);
		r2 = sqlite3_step(s2);
		for (i = 0; r1 == SQLITE_ROW && r2 == SQLITE_ROW &&
		    i < sqlite3_column_count(s1); i++) {
			t1 = (const char *)sqlite3_column_text(s1, i);
			t2 = (const char *)sqlite3_column_text(s2, i);
			if ((t1 == NULL) != (t2 == NULL) ||
			    (t1 != NULL && strcmp(t1, t2) != 0))
				goto out;
		}
	} while (r1 == SQLITE_ROW && r2 == SQLITE_ROW);
	same = r1 == SQLITE_DONE && r2 == SQLITE_DONE;
out:
	sqlite3_finalize(s1);
	sqlite3_finalize(s2);
	return same;
}

/* Every account's total 4 invoices of BIG short of INT64_MAX. */
static void
fill_totals(sqlite3 *db)
{
	sqlite3_exec(db, "UPDATE customers SET total_revenue_cents ="
	    " (9223372036854775807 - 4 * " BIG ") / (SELECT count(*) FROM"
	    " customers c WHERE c.account_id = customers.account_id);"
	    " UPDATE accounts SET"
	    " total_revenue_cents = (SELECT coalesce(sum(total_revenue_cents),"
	    " 0) FROM customers WHERE account_id = accounts.id)",
	    NULL, NULL, NULL);
}

/*
 * 200 random batches of 1 to 64 entries into one read model, and the
 * same entries one per batch into another, as a trigger per row kept
 * them: every account's total is its customers' sum after every batch,
 * and the two read models are the same, dead letters and all.  Every 20
 * batches the totals are set near the top, so that invoices would take
 * accounts past INT64_MAX.
 */
static void
test_totals_mix(void)
{
	struct built *b = built_new();
	struct projector p, one;
	unsigned x = 2463534242u, i, wrong = 0;
	size_t k;

	CHECK("two read models take the seed for the random batches",
	    open_memory(&p, RM_LIVE, 0) == 0 &&
	    open_memory(&one, RM_LIVE, 0) == 0);
	for (i = 0; p.db != NULL && one.db != NULL && i < 200; i++) {
		if (i % 20 == 10) {
			fill_totals(p.db);
			fill_totals(one.db);
		}
		b->n = 0;
		for (k = 1 + rnd(&x, 64); k > 0; k--)
			add_random(b, &x);
		if (apply(&p, b->e, b->n) != PROJECTOR_OK)
			wrong++;
		for (k = 0; k < b->n; k++)
			if (apply(&one, &b->e[k], 1) != PROJECTOR_OK)
				wrong++;
		wrong += (unsigned)totals_wrong(p.db);
	}
	CHECK("after each of 200 random batches, each account's total is its"
	    " customers' sum", p.db != NULL && wrong == 0);
	CHECK("the batches hold applied deletes and refusals past INT64_MAX",
	    events_of(p.db, "AccountDeleted", "applied") > 5 &&
	    events_of(p.db, "CustomerDeleted", "applied") > 5 &&
	    int_of(p.db, "SELECT count(*) FROM dead_letters WHERE reason LIKE"
	    " 'CHECK constraint failed%'") > 5);
	CHECK("in batches or one entry at a time: the same accounts",
	    same_rows(p.db, one.db, "SELECT * FROM accounts ORDER BY id"));
	CHECK("the same customers",
	    same_rows(p.db, one.db, "SELECT * FROM customers ORDER BY id"));
	CHECK("the same dead letters, for the same reasons",
	    same_rows(p.db, one.db, "SELECT stream_id, event_type, payload,"
	    " reason FROM dead_letters ORDER BY stream_id") &&
	    same_rows(p.db, one.db, "SELECT * FROM projector_events ORDER BY"
	    " event_type, outcome"));
	projector_close(&p);
	projector_close(&one);
	free(b);
}

/* The recorded id changed behind the projector's back. */
static void
test_moved(void)
{
	struct projector p;
	struct stream_entry e[1];

	CHECK("a live read model takes the seed for the moved case",
	    open_memory(&p, RM_LIVE, 0) == 0);
	if (p.db == NULL)
		return;
	sqlite3_exec(p.db, "UPDATE projector_state SET last_event_id ="
	    " '50-0', events_seen = 50", NULL, NULL, NULL);
	entry(&e[0], "3-0", "InvoiceCreated", INVOICE("100", "10", "5"));
	CHECK("a batch after someone moved the recorded id is PROJECTOR_MOVED",
	    apply(&p, e, 1) == PROJECTOR_MOVED);
	CHECK("PROJECTOR_MOVED applies nothing and takes the database's id",
	    int_of(p.db, TOTAL_10) == 0 && state_is(&p, "50-0", 50));
	entry(&e[0], "51-0", "InvoiceCreated", INVOICE("100", "10", "5"));
	CHECK("the batch read from the new id is applied",
	    apply(&p, e, 1) == PROJECTOR_OK && int_of(p.db, TOTAL_10) == 5 &&
	    state_is(&p, "51-0", 51));
	projector_close(&p);
}

/* Two writers of one file: each sees the other's batches as a move. */
static void
test_two_writers(const char *dir)
{
	struct projector a, b;
	struct stream_entry e[2];
	enum projector_result ra, rb;
	char path[256];

	snprintf(path, sizeof(path), "%s/shared.db", dir);
	ra = projector_open(&a, path, RM_LIVE);
	rb = projector_open(&b, path, RM_LIVE);
	CHECK("two projectors open one file",
	    ra == PROJECTOR_OK && rb == PROJECTOR_OK);
	entry(&e[0], "1-0", "AccountCreated", ACCOUNT("1"));
	entry(&e[1], "2-0", "CustomerCreated", CUSTOMER("10", "1"));
	CHECK("the first writer applies its batch",
	    a.db != NULL && apply(&a, e, 1) == PROJECTOR_OK);
	CHECK("the second writer, behind, gets PROJECTOR_MOVED and the new id",
	    b.db != NULL && apply(&b, e, 1) == PROJECTOR_MOVED &&
	    state_is(&b, "1-0", 1));
	CHECK("reread from there, it applies only what is new",
	    b.db != NULL && apply(&b, e, 2) == PROJECTOR_OK &&
	    state_is(&b, "2-0", 2) &&
	    int_of(b.db, "SELECT count(*) FROM accounts") == 1 &&
	    int_of(b.db, "SELECT count(*) FROM dead_letters") == 0);
	CHECK("and then the first writer is the one moved",
	    a.db != NULL && apply(&a, e + 1, 1) == PROJECTOR_MOVED &&
	    state_is(&a, "2-0", 2));
	projector_close(&a);
	projector_close(&b);
	unlink(path);
	snprintf(path, sizeof(path), "%s/shared.db-wal", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/shared.db-shm", dir);
	unlink(path);
}

/* A batch the database cannot take is not applied in part. */
static void
test_failed(void)
{
	struct projector p;
	struct stream_entry e[2];

	CHECK("a live read model takes the seed for the failure case",
	    open_memory(&p, RM_LIVE, 0) == 0);
	if (p.db == NULL)
		return;
	/* A dead letter that cannot be written, as on a full disk. */
	sqlite3_exec(p.db, "CREATE TRIGGER full BEFORE INSERT ON dead_letters"
	    " BEGIN SELECT RAISE(ABORT, 'disk full'); END", NULL, NULL, NULL);
	entry(&e[0], "3-0", "InvoiceCreated", INVOICE("100", "10", "5"));
	entry(&e[1], "4-0", "InvoiceCreated", "not json");
	CHECK("a batch whose dead letter cannot be written fails",
	    apply(&p, e, 2) == PROJECTOR_FAILED && p.error[0] != '\0');
	CHECK("a failed batch applies none of its entries",
	    int_of(p.db, TOTAL_10) == 0 && state_is(&p, "2-0", 2) &&
	    events_of(p.db, "InvoiceCreated", "applied") == 0);
	sqlite3_exec(p.db, "DROP TRIGGER full", NULL, NULL, NULL);
	CHECK("the same batch, once the cause is gone, is applied whole",
	    apply(&p, e, 2) == PROJECTOR_OK && int_of(p.db, TOTAL_10) == 5 &&
	    state_is(&p, "4-0", 4) &&
	    int_of(p.db, "SELECT count(*) FROM dead_letters") == 1);
	projector_close(&p);
}

void
test_projector(void)
{
	char dir[] = "/tmp/unit_projector.XXXXXX";

	test_effect_params();
	test_customer_columns();
	test_effects();
	test_replay();
	test_duplicates();
	test_poison();
	test_unknown();
	test_nul_payload();
	test_refused_effects(RM_LIVE);
	test_refused_effects(RM_SCRATCH);
	test_overflow();
	test_account_total();
	test_totals_one_account();
	test_totals_account_again();
	test_totals_after_failure();
	test_totals_odd_files();
	test_totals_mix();
	test_moved();
	test_failed();
	CHECK("a temporary folder is made for the file cases",
	    mkdtemp(dir) != NULL);
	if (strstr(dir, "XXXXXX") != NULL)
		return;
	test_open(dir);
	test_two_writers(dir);
	rmdir(dir);
}
