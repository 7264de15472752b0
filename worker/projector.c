/*
 * The preupdate hook keeps the account totals (row_changing): SQLite
 * declares it only on request, and Debian's library has it (PRAGMA
 * compile_options: ENABLE_PREUPDATE_HOOK).
 */
#define SQLITE_ENABLE_PREUPDATE_HOOK 1

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "event.h"
#include "log.h"
#include "projector.h"

#define REASON_MAX 200

static const enum rm_sql stmt_sql[PS_STMTS] = {
	[PS_STATE] = RM_STATE,
	[PS_STATE_SET] = RM_STATE_SET,
	[PS_DEAD_LETTER_ADD] = RM_DEAD_LETTER_ADD,
	[PS_EVENTS_ADD] = RM_EVENTS_ADD,
	[PS_BEGIN] = RM_BEGIN_WRITE,
	[PS_COMMIT] = RM_COMMIT,
	[PS_ROLLBACK] = RM_ROLLBACK,
	[PS_ACCOUNT_TOTAL] = RM_ACCOUNT_TOTAL,
	[PS_ACCOUNT_TOTAL_SET] = RM_ACCOUNT_TOTAL_SET,
	[PS_CUSTOMER_TOTAL_UNDO] = RM_CUSTOMER_TOTAL_UNDO,
};

/* Outcome of one entry: applied or dead-lettered (both advance), or a failure of the database. */
enum entry_result { ENTRY_DONE, ENTRY_UNKNOWN, ENTRY_REJECTED, ENTRY_FAILED };

/* What one batch did, for projector_events: [type or EVENT_UNKNOWN][outcome]. */
struct batch_counts {
	int64_t	n[EVENT_TYPES + 1][OUTCOMES];
	int64_t	unknown;	/* entries of a type not in the catalogue */
};

static void	row_changing(void *, sqlite3 *, int, const char *,
		    const char *, sqlite3_int64, sqlite3_int64);

/*
 * The one place errors land: p->error, which the caller reports (the
 * worker's log and health line).  Returns -1.
 */
static int
failed_because(struct projector *p, const char *what, const char *why)
{
	snprintf(p->error, sizeof(p->error), "%s", why);
	log_warn("read model: %s: %s", what, why);
	return -1;
}

static int
failed(struct projector *p, const char *what)
{
	return failed_because(p, what, p->db != NULL ? sqlite3_errmsg(p->db) :
	    "out of memory");
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
	int i;

	for (i = 0; i < PS_STMTS; i++)
		sqlite3_finalize(p->stmt[i]);
	for (i = 0; i < EVENT_TYPES; i++)
		sqlite3_finalize(p->effect[i]);
	sqlite3_close(p->db);
	totals_free(&p->totals);
	/* p->error stays: it says why an open or a batch failed. */
	memset(p->stmt, 0, sizeof(p->stmt));
	memset(p->effect, 0, sizeof(p->effect));
	p->db = NULL;
}

/* Runs a bound statement once; SQLITE_DONE, SQLITE_ROW or the error code. */
static int
run(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc;
}

/* Reads the recorded position; call inside a transaction to trust it. */
static int
state_read(struct projector *p, struct stream_id *last, int64_t *seen)
{
	sqlite3_stmt *st = p->stmt[PS_STATE];
	int rc, bad;

	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		sqlite3_reset(st);
		return failed(p, "projector_state");
	}
	bad = stream_id_parse((const char *)sqlite3_column_text(st,
	    STATE_LAST_EVENT_ID), last) == -1;
	*seen = sqlite3_column_int64(st, STATE_EVENTS_SEEN);
	sqlite3_reset(st);
	return bad ? failed_because(p, "projector_state", "holds a bad id") : 0;
}

/* Each event's statement, and which parameter each of its fields binds. */
static int
prepare_effects(struct projector *p)
{
	const struct event_spec *spec;
	char name[64];
	size_t i;
	int t;

	for (t = 0; t < EVENT_TYPES; t++) {
		if (sqlite3_prepare_v3(p->db, read_model_effects[t].sql, -1,
		    SQLITE_PREPARE_PERSISTENT, &p->effect[t], NULL) != SQLITE_OK)
			return -1;
		spec = &contract_events[t];
		for (i = 0; i < spec->nfields; i++) {
			snprintf(name, sizeof(name), ":%s", spec->fields[i].name);
			p->param[t][i] = sqlite3_bind_parameter_index(
			    p->effect[t], name);
		}
	}
	return 0;
}

static int
prepare_all(struct projector *p)
{
	int i;

	for (i = 0; i < PS_STMTS; i++)
		if (read_model_prepare(p->db, stmt_sql[i], &p->stmt[i]) == -1)
			return -1;
	return prepare_effects(p);
}

enum projector_result
projector_open(struct projector *p, const char *path, enum rm_mode mode)
{
	enum rm_layout layout;

	memset(p, 0, sizeof(*p));
	/* One thread: no mutexes (SQLite's own are a few % of a catch-up). */
	if (sqlite3_open_v2(path, &p->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		failed(p, path);
		goto fail;
	}
	sqlite3_busy_timeout(p->db, 5000);
	sqlite3_preupdate_hook(p->db, row_changing, p);
	if ((layout = read_model_setup(p->db, mode)) == RM_LAYOUT_OTHER) {
		projector_close(p);
		return PROJECTOR_OTHER_LAYOUT;
	}
	if (layout == RM_LAYOUT_FAILED || prepare_all(p) == -1) {
		failed(p, path);
		goto fail;
	}
	if (state_read(p, &p->last, &p->seen) == -1)
		goto fail;
	return PROJECTOR_OK;
fail:
	projector_close(p);
	return PROJECTOR_FAILED;
}

static void
bind_event(struct projector *p, const struct event *ev, sqlite3_stmt *st)
{
	const struct event_spec *spec = &contract_events[ev->type];
	const int *param = p->param[ev->type];
	size_t i;

	for (i = 0; i < spec->nfields; i++) {
		if (param[i] == 0)
			continue;
		if (spec->fields[i].kind == FIELD_ID ||
		    spec->fields[i].kind == FIELD_CENTS)
			sqlite3_bind_int64(st, param[i], ev->v[i].num);
		else
			sqlite3_bind_text(st, param[i], ev->v[i].text, -1,
			    SQLITE_STATIC);
	}
}

/* account's entry in the batch's totals; NULL: out of memory. */
static struct account_total *
totals_entry(struct projector *p, int64_t account)
{
	struct account_total *a = totals_get(&p->totals, account);

	if (a == NULL)
		failed_because(p, "account totals", "out of memory");
	return a;
}

/*
 * The same, its total read from the accounts table at the account's
 * first change in the batch; NULL on failure.  A customer whose account
 * row is missing (foreign keys hold it, but a rebuild's file, without a
 * journal, keeps what a refused statement did) changes no total, as
 * the trigger's UPDATE of no row did not.
 */
static struct account_total *
account_total(struct projector *p, int64_t account)
{
	sqlite3_stmt *st = p->stmt[PS_ACCOUNT_TOTAL];
	struct account_total *a;
	int rc;

	if ((a = totals_entry(p, account)) == NULL)
		return NULL;
	if (a->loaded)
		return a;
	sqlite3_bind_int64(st, 1, account);
	rc = sqlite3_step(st);
	a->before = a->total = rc == SQLITE_ROW ?
	    sqlite3_column_int64(st, 0) : 0;
	a->missing = rc == SQLITE_DONE;
	a->loaded = rc == SQLITE_ROW || rc == SQLITE_DONE;
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return a->loaded ? a : NULL;
}

/*
 * A change that would take a's total out of 0..INT64_MAX.  Past
 * INT64_MAX (an invoice): the accounts table's CHECK refuses it, as it
 * refused the trigger that kept the totals until layout 5 (SQLite makes
 * an overflowing sum a float), its message is the dead letter's reason,
 * and the customer's change is taken back.  Below 0 no event can take
 * it, for each total is its customers' sum: the file is wrong, and the
 * batch fails.
 */
static enum entry_result
refuse_change(struct projector *p, const struct account_total *a,
    const struct row_change *c, char *reason)
{
	sqlite3_stmt *set = p->stmt[PS_ACCOUNT_TOTAL_SET];
	sqlite3_stmt *undo = p->stmt[PS_CUSTOMER_TOTAL_UNDO];
	char why[REASON_MAX];

	if (c->change < 0) {
		snprintf(why, sizeof(why), "account %lld's total would fall "
		    "below 0: not its customers' sum; rebuild the read model",
		    (long long)a->account);
		failed_because(p, "account totals", why);
		return ENTRY_FAILED;
	}
	sqlite3_bind_int64(set, 1, a->account);
	sqlite3_bind_int64(set, 2, a->total);
	sqlite3_bind_int64(set, 3, c->change);
	if ((run(set) & 0xff) != SQLITE_CONSTRAINT)
		return ENTRY_FAILED;
	snprintf(reason, REASON_MAX, "%s", sqlite3_errmsg(p->db));
	sqlite3_bind_int64(undo, 1, c->customer);
	sqlite3_bind_int64(undo, 2, c->change);
	if (run(undo) != SQLITE_DONE || sqlite3_changes(p->db) != 1)
		return ENTRY_FAILED;
	return ENTRY_REJECTED;
}

/*
 * What the effect just applied did to the customers (row_changing),
 * added to its account's running total for the batch.
 */
static enum entry_result
totals_follow(struct projector *p, char *reason)
{
	const struct row_change c = p->changed;	/* an undo changes it */
	struct account_total *a;

	if (c.account_gone) {
		/* Its total went with it; a new account of that id starts
		 * from the new row's. */
		if ((a = totals_entry(p, c.gone)) == NULL)
			return ENTRY_FAILED;
		a->loaded = 0;
	}
	if (c.customers > 1 || c.moved) {
		failed_because(p, "account totals", "an effect changed more "
		    "than one customer, or moved one: no account total kept");
		return ENTRY_FAILED;
	}
	if (c.customers == 0 || c.change == 0)
		return ENTRY_DONE;
	if ((a = account_total(p, c.account)) == NULL)
		return ENTRY_FAILED;
	if (a->missing)
		return ENTRY_DONE;
	/* Both >= 0 or both <= 0 would be needed to overflow: no sum. */
	if (c.change > 0 ? a->total > INT64_MAX - c.change :
	    a->total < -c.change)
		return refuse_change(p, a, &c, reason);
	a->total += c.change;
	return ENTRY_DONE;
}

/* Reads column i of the row being changed, as it was or will be. */
static int64_t
column(sqlite3 *db, int after, int i)
{
	sqlite3_value *v = NULL;

	if ((after ? sqlite3_preupdate_new(db, i, &v) :
	    sqlite3_preupdate_old(db, i, &v)) != SQLITE_OK || v == NULL)
		return 0;
	return sqlite3_value_int64(v);
}

/*
 * SQLite's preupdate hook: called before each row a statement of the
 * projector inserts, updates or deletes.  What the account total
 * triggers of layout 4 did per row, in SQL, it notes in C, for the
 * entry's outcome to add up (totals_follow); a statement that fails
 * after it leaves a note that nobody reads.
 */
static void
row_changing(void *arg, sqlite3 *db, int op, const char *schema,
    const char *table, sqlite3_int64 key, sqlite3_int64 new_key)
{
	struct row_change *c = &((struct projector *)arg)->changed;
	int64_t before = 0, after = 0, account;

	(void)new_key;
	if (strcmp(schema, "main") != 0)
		return;
	if (op == SQLITE_DELETE && strcmp(table, "accounts") == 0) {
		c->account_gone = 1;
		c->gone = key;
		return;
	}
	if (strcmp(table, "customers") != 0)
		return;
	account = column(db, op == SQLITE_INSERT, RM_CUSTOMER_ACCOUNT_ID);
	if (op != SQLITE_INSERT)
		before = column(db, 0, RM_CUSTOMER_TOTAL);
	if (op != SQLITE_DELETE) {
		after = column(db, 1, RM_CUSTOMER_TOTAL);
		c->moved |= column(db, 1, RM_CUSTOMER_ACCOUNT_ID) != account;
	}
	c->customers++;
	c->customer = key;
	c->account = account;
	c->change = after - before;	/* both >= 0: no overflow */
}

static enum entry_result
apply_event(struct projector *p, const struct event *ev, char *reason)
{
	sqlite3_stmt *st = p->effect[ev->type];
	int rc;

	memset(&p->changed, 0, sizeof(p->changed));
	bind_event(p, ev, st);
	rc = run(st);
	if ((rc & 0xff) == SQLITE_CONSTRAINT) {
		snprintf(reason, REASON_MAX, "%s", sqlite3_errmsg(p->db));
		return ENTRY_REJECTED;
	}
	if (rc != SQLITE_DONE)
		return ENTRY_FAILED;
	/* An update or delete that matched nothing did not apply. */
	if (sqlite3_changes(p->db) == 0) {
		read_model_no_match(ev, reason, REASON_MAX);
		return ENTRY_REJECTED;
	}
	return totals_follow(p, reason);
}

static int
dead_letter(struct projector *p, const struct stream_entry *e,
    const char *reason)
{
	sqlite3_stmt *st = p->stmt[PS_DEAD_LETTER_ADD];
	char now[CLOCK_ISO_MAX] = "";

	clock_iso8601(now);
	if (e->type != NULL)
		log_warn("dead letter %s (%.*s): %s", e->id_text,
		    (int)e->type_len, e->type, reason);
	else
		log_warn("dead letter %s (no type): %s", e->id_text, reason);
	sqlite3_bind_text(st, 1, e->id_text, -1, SQLITE_STATIC);
	if (e->type != NULL)
		sqlite3_bind_text(st, 2, e->type, (int)e->type_len,
		    SQLITE_STATIC);
	if (e->payload != NULL)
		sqlite3_bind_text(st, 3, e->payload, (int)e->payload_len,
		    SQLITE_STATIC);
	sqlite3_bind_text(st, 4, reason, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, now, -1, SQLITE_STATIC);
	return run(st) == SQLITE_DONE ? 0 : -1;
}

/* One entry: decode, apply or dead-letter; its type in *type. */
static enum entry_result
apply_entry(struct projector *p, const struct stream_entry *e,
    enum event_type *type)
{
	struct event ev;
	char reason[REASON_MAX] = "";
	enum entry_result res;

	*type = e->type != NULL ? event_type_of(e->type, e->type_len) :
	    EVENT_UNKNOWN;
	if (e->type == NULL || e->payload == NULL) {
		snprintf(reason, sizeof(reason), "entry lacks %s",
		    e->type == NULL ? "EventTypeName" : "Payload");
		res = ENTRY_REJECTED;
	} else if (*type == EVENT_UNKNOWN)
		return ENTRY_UNKNOWN;
	else if (event_decode(*type, e->payload, e->payload_len, &ev, reason,
	    sizeof(reason)) == -1) {
		event_free(&ev);
		res = ENTRY_REJECTED;
	} else {
		res = apply_event(p, &ev, reason);
		event_free(&ev);
	}
	if (res == ENTRY_REJECTED && dead_letter(p, e, reason) == -1)
		return ENTRY_FAILED;
	return res;
}

static int
counts_write(struct projector *p, const struct batch_counts *c)
{
	sqlite3_stmt *st = p->stmt[PS_EVENTS_ADD];
	int t, o;

	for (t = 0; t <= EVENT_TYPES; t++)
		for (o = 0; o < OUTCOMES; o++) {
			if (c->n[t][o] == 0)
				continue;
			sqlite3_bind_text(st, 1, event_type_name(t), -1,
			    SQLITE_STATIC);
			sqlite3_bind_text(st, 2, read_model_outcomes[o], -1,
			    SQLITE_STATIC);
			sqlite3_bind_int64(st, 3, c->n[t][o]);
			if (run(st) != SQLITE_DONE)
				return -1;
		}
	return 0;
}

/* The entries after p->last, applied; their position in *last, *seen. */
static int
apply_entries(struct projector *p, const struct stream_batch *b,
    struct batch_counts *c, struct stream_id *last, int64_t *seen)
{
	enum event_type type;
	size_t i;

	for (i = 0; i < b->n; i++) {
		if (stream_id_cmp(&b->entries[i].id, last) <= 0)
			continue;
		switch (apply_entry(p, &b->entries[i], &type)) {
		case ENTRY_FAILED:
			return -1;
		case ENTRY_UNKNOWN:
			c->unknown++;
			break;
		case ENTRY_REJECTED:
			c->n[type][OUTCOME_DEAD_LETTER]++;
			break;
		case ENTRY_DONE:
			c->n[type][OUTCOME_APPLIED]++;
			break;
		}
		*last = b->entries[i].id;
		(*seen)++;
	}
	return 0;
}

/* Each account total the batch changed, written once. */
static int
totals_write(struct projector *p)
{
	sqlite3_stmt *st = p->stmt[PS_ACCOUNT_TOTAL_SET];
	const struct account_total *a;
	size_t i;

	for (i = 0; i < p->totals.n; i++) {
		a = &p->totals.v[i];
		if (!a->loaded || a->total == a->before)
			continue;
		sqlite3_bind_int64(st, 1, a->account);
		sqlite3_bind_int64(st, 2, a->total);
		sqlite3_bind_int64(st, 3, 0);
		if (run(st) != SQLITE_DONE)
			return -1;
	}
	return 0;
}

static int
state_write(struct projector *p, const struct stream_id *last, int64_t seen,
    const struct batch_counts *c, int64_t batch_us)
{
	sqlite3_stmt *st = p->stmt[PS_STATE_SET];
	char last_s[STREAM_ID_MAX];

	stream_id_format(last, last_s);
	sqlite3_bind_text(st, 1, last_s, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, seen);
	sqlite3_bind_int64(st, 3, c->unknown);
	sqlite3_bind_int64(st, 4, batch_us);
	return run(st) == SQLITE_DONE && counts_write(p, c) == 0 ? 0 : -1;
}

enum projector_result
projector_apply_batch(struct projector *p, const struct stream_batch *b)
{
	int64_t started = clock_monotonic_us(), seen;
	struct batch_counts counts;
	struct stream_id last;

	if (run(p->stmt[PS_BEGIN]) != SQLITE_DONE) {
		failed(p, "BEGIN");
		return PROJECTOR_FAILED;
	}
	if (state_read(p, &last, &seen) == -1) {
		run(p->stmt[PS_ROLLBACK]);
		return PROJECTOR_FAILED;
	}
	/* Someone else moved the database (a rebuild, a second worker). */
	if (stream_id_cmp(&last, &p->last) != 0) {
		run(p->stmt[PS_ROLLBACK]);
		p->last = last;
		p->seen = seen;
		return PROJECTOR_MOVED;
	}
	memset(&counts, 0, sizeof(counts));
	totals_clear(&p->totals);
	p->error[0] = '\0';
	if (apply_entries(p, b, &counts, &last, &seen) == -1 ||
	    totals_write(p) == -1 ||
	    state_write(p, &last, seen, &counts,
	    clock_monotonic_us() - started) == -1 ||
	    run(p->stmt[PS_COMMIT]) != SQLITE_DONE)
		goto fail;
	p->last = last;
	p->seen = seen;
	return PROJECTOR_OK;
fail:
	/* A reason of the projector's own (account totals), or SQLite's. */
	if (p->error[0] != '\0')
		log_warn("read model: batch not applied: %s", p->error);
	else
		failed(p, "batch not applied");
	run(p->stmt[PS_ROLLBACK]);
	return PROJECTOR_FAILED;
}
