/*
 * The projector on an in-memory read model, fed batches built by hand:
 * what each event does to the tables, what is skipped (ids at or below
 * the recorded one, twice the same id), what is dead-lettered and why,
 * and what happens when someone else moved the recorded id.  Until now
 * only a running stack (Redis, the worker) showed any of it.
 */
#include <fcntl.h>
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
	struct stream_batch b = { e, n, NULL };
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
test_refused_effects(void)
{
	struct projector p;
	struct stream_entry e[6];
	char r[256];

	CHECK("a live read model takes the seed for the refused effects",
	    open_memory(&p, RM_LIVE, 0) == 0);
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
	sqlite3_exec(p.db, "UPDATE customers SET total_revenue_cents ="
	    " 9223372036854775807 - 5", NULL, NULL, NULL);
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
 * The account's total is its customers' sum, kept by triggers; one that
 * would pass INT64_MAX over two customers is a dead letter, not a float.
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
	sqlite3_exec(p.db, "UPDATE customers SET total_revenue_cents ="
	    " 9223372036854775807 - 500 WHERE id = 12", NULL, NULL, NULL);
	entry(&e[0], "9-0", "InvoiceCreated", INVOICE("102", "12", "1"));
	CHECK("an invoice that would take the account's total past INT64_MAX"
	    " is dead", apply(&p, e, 1) == PROJECTOR_OK &&
	    strstr(reason_of(p.db, "9-0", r, sizeof(r)), "CHECK") != NULL &&
	    int_of(p.db, TOTAL_A1) == INT64_MAX && int_of(p.db,
	    "SELECT total_revenue_cents FROM customers WHERE id = 12") ==
	    INT64_MAX - 500);
	projector_close(&p);
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
	test_effects();
	test_replay();
	test_duplicates();
	test_poison();
	test_unknown();
	test_nul_payload();
	test_refused_effects();
	test_overflow();
	test_account_total();
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
