/*
 * An archive's batches are the stream's: the projector applies the same
 * entries read back from an archive, in batches of two across two
 * segments, with projector_apply_batch, and the read model is the one it
 * makes of them as a single batch built as stream_read_recv builds it,
 * dead letters and unknown types included.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "archive_cursor.h"
#include "archive_fixture.h"
#include "check.h"
#include "projector.h"
#include "segment_write.h"

#define T	"\"2026-11-30T12:00:00Z\""
#define INVOICE(id, cents)						\
	"{\"id\":\"" id "\",\"customer_id\":\"10\",\"purchase_price_cents\":" \
	cents ",\"created_date\":" T ",\"purchase_date\":\"2026-11-30\"}"

static const struct {
	const char	*id, *type, *payload;	/* NULL: absent */
} entries[] = {
	{ "1-0", "AccountCreated", "{\"id\":\"1\",\"name\":\"Acme\","
	    "\"description\":\"d\",\"owned_by\":\"user1\",\"created_date\":"
	    T "}" },
	{ "2-0", "CustomerCreated", "{\"id\":\"10\",\"account_id\":\"1\","
	    "\"name\":\"Ann\",\"created_date\":" T "}" },
	{ "3-0", "InvoiceCreated", INVOICE("100", "8000") },
	{ "4-0", "InvoiceCreated", "not json" },
	{ "5-0", "InvoiceCreated", NULL },
	{ "5-1", "SomethingNew", "{}" },
	{ "6-0", "InvoiceCreated", INVOICE("101", "2000") },
};
#define ENTRIES	(sizeof(entries) / sizeof(entries[0]))

static void
entry_at(size_t i, struct stream_entry *e)
{
	memset(e, 0, sizeof(*e));
	stream_id_parse(entries[i].id, &e->id);
	e->id_text = entries[i].id;
	e->type = entries[i].type;
	e->type_len = strlen(e->type);
	e->payload = entries[i].payload;
	e->payload_len = e->payload != NULL ? strlen(e->payload) : 0;
}

/* The read model as one line of text: every row that events make. */
static void
snapshot(sqlite3 *db, char *out, size_t len)
{
	static const char sql[] = "SELECT (SELECT group_concat(id || ':' || "
	    "total_revenue_cents) FROM accounts) || '|' || (SELECT "
	    "group_concat(id || ':' || account_id || ':' || total_revenue_cents)"
	    " FROM customers) || '|' || (SELECT group_concat(stream_id || ':' ||"
	    " coalesce(payload, '-') || ':' || reason) FROM dead_letters) || '|'"
	    " || (SELECT last_event_id || ':' || events_seen || ':' || "
	    "unknown_skipped FROM projector_state)";
	sqlite3_stmt *st;

	snprintf(out, len, "(none)");
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return;
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		snprintf(out, len, "%s", sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
}

/* Two segments of the entries: 0 to 3, 4 to the last. */
static int
archive_of(const char *dir)
{
	struct segment_writer *w;
	struct stream_entry e;
	char err[ARCHIVE_ERROR_MAX];
	size_t i;
	int rc = 0;

	for (i = 0; rc == 0 && i < ENTRIES; i++) {
		if ((i == 0 || i == 4) && segment_writer_open(&w, dir,
		    FIXTURE_STREAM, ARCHIVE_ZSTD_LEVEL, err, sizeof(err)) == -1)
			return -1;
		entry_at(i, &e);
		rc = segment_writer_add(w, &e);
		if (rc == 0 && (i == 3 || i == ENTRIES - 1)) {
			rc = segment_writer_commit(w, NULL);
			segment_writer_close(w);
		}
	}
	return rc;
}

/* The projector fed from the archive, in batches of two. */
static int
from_archive(const char *dir, char *out, size_t len)
{
	static const struct stream_id zero;
	struct archive_cursor *c;
	struct archive_batch b;
	struct projector p;
	size_t n = 0;
	int ok = 1;

	if (archive_of(dir) == -1 ||
	    archive_cursor_open(&c, dir, FIXTURE_STREAM, &zero, NULL, 0) == -1)
		return 0;
	if (projector_open(&p, ":memory:", RM_LIVE) != PROJECTOR_OK) {
		archive_cursor_close(c);
		return 0;
	}
	do {
		ok = archive_cursor_next(c, 2, &b) == 0 && (b.batch.n == 0 ||
		    projector_apply_batch(&p, &b.batch) == PROJECTOR_OK);
		n = b.batch.n;
		archive_batch_free(&b);
	} while (ok && n > 0);
	snapshot(p.db, out, len);
	projector_close(&p);
	archive_cursor_close(c);
	return ok;
}

/* The projector fed the entries as one batch, as from the stream. */
static int
from_stream(char *out, size_t len)
{
	struct stream_entry e[ENTRIES];
	struct stream_batch b = { e, ENTRIES, NULL, { 0, 0 } };
	struct projector p;
	size_t i;
	int ok;

	for (i = 0; i < ENTRIES; i++)
		entry_at(i, &e[i]);
	if (projector_open(&p, ":memory:", RM_LIVE) != PROJECTOR_OK)
		return 0;
	ok = projector_apply_batch(&p, &b) == PROJECTOR_OK;
	snapshot(p.db, out, len);
	projector_close(&p);
	return ok;
}

void
test_archive_projector(void)
{
	char dir[64], live[1024], archived[1024];
	int saved = -1, null, a, s;

	if (fixture_dir(dir) == -1) {
		CHECK("a folder for the archive", 0);
		return;
	}
	/* The dead letters' log lines, expected: hidden unless -v. */
	if (!check_verbose && (null = open("/dev/null", O_WRONLY)) != -1) {
		saved = dup(STDERR_FILENO);
		dup2(null, STDERR_FILENO);
		close(null);
	}
	s = from_stream(live, sizeof(live));
	a = from_archive(dir, archived, sizeof(archived));
	if (saved != -1) {
		dup2(saved, STDERR_FILENO);
		close(saved);
	}
	if (check_verbose)
		printf("# stream:  %s\n# archive: %s\n", live, archived);
	CHECK("the projector applies the stream's batch", s);
	CHECK("and the archive's batches, with the same call", a);
	CHECK("to the same read model, dead letters and unknown types alike",
	    strcmp(live, archived) == 0 && strstr(live, "6-0:7:1") != NULL);
	fixture_rmdir(dir);
}
