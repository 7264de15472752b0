/*
 * The archive's writer and reader together (lib/archive): what goes in
 * comes out, in order, in batches like the stream's; the writer's rules;
 * a crash before commit.  The damaged archives are test_archive_damage.c.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "archive_cursor.h"
#include "archive_dir.h"
#include "archive_fixture.h"
#include "check.h"
#include "segment_write.h"

/*
 * Every entry after after, read in batches of count: 1 if they are the
 * made-up ones from `from` to `to`-1, in order, and nothing else.
 */
static int
reads_back(const char *dir, const struct stream_id *after, size_t count,
    uint64_t from, uint64_t to)
{
	struct archive_cursor *c;
	struct archive_batch b;
	char err[ARCHIVE_ERROR_MAX];
	uint64_t next = from;
	size_t i, n;
	int ok = 1;

	if (archive_cursor_open(&c, dir, FIXTURE_STREAM, after, err,
	    sizeof(err)) == -1)
		return printf("# %s\n", err), 0;
	do {
		if (archive_cursor_next(c, count, &b) == -1) {
			printf("# %s\n", archive_cursor_error(c));
			ok = 0;
		}
		for (i = 0; i < b.batch.n; i++)
			ok = ok && b.batch.reply == NULL &&
			    fixture_entry_is(next++, &b.batch.entries[i]);
		n = b.batch.n;
		ok = ok && n <= count;
		archive_batch_free(&b);
	} while (ok && n > 0);
	archive_cursor_close(c);
	return ok && next == to;
}

static void
round_trip(int level, const char *how)
{
	static const struct stream_id zero;
	struct stream_id mid = { 1000 + 150, 150 % 3 };
	struct stream_id end = { 1000 + 299, 299 % 3 };
	char dir[64], name[ARCHIVE_NAME_MAX], err[ARCHIVE_ERROR_MAX], what[160];
	int ok;

	if (fixture_dir(dir) == -1) {
		CHECK("a folder for the archive", 0);
		return;
	}
	ok = fixture_segment(dir, FIXTURE_STREAM, level, 0, 100, name) == 0 &&
	    fixture_segment(dir, FIXTURE_STREAM, level, 100, 101, name) == 0 &&
	    fixture_segment(dir, FIXTURE_STREAM, level, 101, 300, name) == 0;
	snprintf(what, sizeof(what), "%s: three segments written", how);
	CHECK(what, ok);
	snprintf(what, sizeof(what), "%s: the last one named by its ids", how);
	CHECK(what, strcmp(name, "00000000000000001101-00000000000000000002_"
	    "00000000000000001299-00000000000000000002.seg") == 0);
	snprintf(what, sizeof(what), "%s: the archive verifies", how);
	CHECK(what, archive_verify(dir, FIXTURE_STREAM, err, sizeof(err)) == 0);
	snprintf(what, sizeof(what), "%s: all of it reads back in batches of "
	    "7, across segments, types and payloads absent or with NUL kept",
	    how);
	CHECK(what, reads_back(dir, &zero, 7, 0, 300));
	snprintf(what, sizeof(what), "%s: a batch of 1000 holds all 300", how);
	CHECK(what, reads_back(dir, &zero, 1000, 0, 300));
	snprintf(what, sizeof(what), "%s: after an id mid-segment, what "
	    "follows it and nothing before", how);
	CHECK(what, reads_back(dir, &mid, 64, 151, 300));
	snprintf(what, sizeof(what), "%s: after the last id, an empty batch",
	    how);
	CHECK(what, reads_back(dir, &end, 64, 300, 300));
	fixture_rmdir(dir);
}

/* An entry the writer must refuse, leaving the segment as it was. */
static int
refused(struct segment_writer *w, const struct stream_entry *e,
    const char *words)
{
	return segment_writer_add(w, e) == -1 &&
	    strstr(segment_writer_error(w), words) != NULL;
}

static void
writer_rules(const char *dir)
{
	static char big[ARCHIVE_PAYLOAD_MAX + 1];
	struct segment_writer *w, *w2;
	struct stream_entry e;
	char err[ARCHIVE_ERROR_MAX], buf[256], type[ARCHIVE_TYPE_MAX + 1];

	CHECK("the writer opens on an empty folder", segment_writer_open(&w,
	    dir, FIXTURE_STREAM, 1, err, sizeof(err)) == 0);
	CHECK("a second writer is refused while the first holds the folder",
	    segment_writer_open(&w2, dir, FIXTURE_STREAM, 1, err,
	    sizeof(err)) == -1 && strstr(err, "another writer") != NULL);
	CHECK("a segment of no record is not committed",
	    segment_writer_commit(w, NULL) == -1);
	fixture_entry(3, &e, buf);
	CHECK("an entry is appended", segment_writer_add(w, &e) == 0);
	CHECK("the same id again is refused", refused(w, &e, "does not follow"));
	fixture_entry(2, &e, buf);
	CHECK("an earlier id is refused", refused(w, &e, "does not follow"));
	fixture_entry(4, &e, buf);
	memset(type, 'T', sizeof(type));
	e.type = type, e.type_len = sizeof(type);
	CHECK("a type over ARCHIVE_TYPE_MAX is refused", refused(w, &e,
	    "a type of 256 bytes"));
	fixture_entry(4, &e, buf);
	e.payload = big, e.payload_len = sizeof(big);
	CHECK("a payload over ARCHIVE_PAYLOAD_MAX is refused", refused(w, &e,
	    "a payload of 65537 bytes"));
	e.payload_len = ARCHIVE_PAYLOAD_MAX;
	CHECK("a payload of ARCHIVE_PAYLOAD_MAX is taken",
	    segment_writer_add(w, &e) == 0);
	CHECK("two records, after the refusals", segment_writer_count(w) == 2);
	CHECK("they commit", segment_writer_commit(w, NULL) == 0);
	segment_writer_close(w);
	CHECK("the folder verifies, the largest payload in it",
	    archive_verify(dir, FIXTURE_STREAM, err, sizeof(err)) == 0);
	CHECK("the next writer starts after the last segment",
	    segment_writer_open(&w, dir, FIXTURE_STREAM, 0, err,
	    sizeof(err)) == 0 && (fixture_entry(4, &e, buf),
	    refused(w, &e, "does not follow")));
	segment_writer_close(w);
	CHECK("a writer of another stream is refused on this folder",
	    segment_writer_open(&w, dir, "other-stream", 0, err,
	    sizeof(err)) == -1 && strstr(err, "other-stream") != NULL);
}

/* A crash before commit: the *.part is never listed, then removed. */
static void
crash_before_commit(const char *dir)
{
	struct archive_list list;
	struct segment_writer *w;
	char err[ARCHIVE_ERROR_MAX], path[128];
	int fd;

	snprintf(path, sizeof(path), "%s/writing.part", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	CHECK("a half-written segment left behind", fd != -1 &&
	    write(fd, "EVSEGMNT", 8) == 8);
	if (fd != -1)
		close(fd);
	CHECK("the listing skips it", archive_list(dir, &list, err,
	    sizeof(err)) == 0 && list.n == 1);
	archive_list_free(&list);
	CHECK("the archive verifies without it",
	    archive_verify(dir, FIXTURE_STREAM, err, sizeof(err)) == 0);
	CHECK("the next writer opens", segment_writer_open(&w, dir,
	    FIXTURE_STREAM, 1, err, sizeof(err)) == 0);
	segment_writer_close(w);
	CHECK("and removed it; closing without commit left nothing either",
	    access(path, F_OK) == -1 && archive_list(dir, &list, err,
	    sizeof(err)) == 0 && list.n == 1);
	archive_list_free(&list);
}

/*
 * A segment takes records up to ARCHIVE_SEGMENT_BYTES, then says
 * SEGMENT_FULL and takes nothing more; the next segment takes that entry.
 * Payloads of one repeated byte, so that zstd keeps the file small.
 */
static void
segment_full(void)
{
	static char big[ARCHIVE_PAYLOAD_MAX];
	const size_t rec = RECORD_HEAD + 14 + sizeof(big) + RECORD_CRC;
	struct segment_writer *w = NULL;
	struct stream_entry e;
	char dir[64], err[ARCHIVE_ERROR_MAX];
	size_t n = 0;
	int rc = -1;

	memset(big, 'x', sizeof(big));
	memset(&e, 0, sizeof(e));
	e.type = "InvoiceCreated", e.type_len = 14;
	e.payload = big, e.payload_len = sizeof(big);
	if (fixture_dir(dir) == 0 && segment_writer_open(&w, dir,
	    FIXTURE_STREAM, ARCHIVE_ZSTD_LEVEL, err, sizeof(err)) == 0)
		for (e.id.ms = 1; (rc = segment_writer_add(w, &e)) == 0;
		    e.id.ms++)
			n++;
	CHECK("a segment fills up: SEGMENT_FULL, not an error",
	    rc == SEGMENT_FULL);
	CHECK("with as many records as ARCHIVE_SEGMENT_BYTES holds",
	    n * rec <= ARCHIVE_SEGMENT_BYTES &&
	    (n + 1) * rec > ARCHIVE_SEGMENT_BYTES &&
	    segment_writer_count(w) == n);
	CHECK("it commits", w != NULL && segment_writer_commit(w, NULL) == 0);
	segment_writer_close(w);
	CHECK("the next segment takes the entry the full one did not",
	    segment_writer_open(&w, dir, FIXTURE_STREAM, 0, err,
	    sizeof(err)) == 0 && segment_writer_add(w, &e) == 0 &&
	    segment_writer_commit(w, NULL) == 0);
	segment_writer_close(w);
	CHECK("and the two verify", archive_verify(dir, FIXTURE_STREAM, err,
	    sizeof(err)) == 0);
	fixture_rmdir(dir);
}

/* The largest payload a Function writes fits the reader's bound. */
static void
payload_bound(void)
{
	char payload[4096];
	char text[2 * CONTRACT_TEXT_MAX + 1];
	int n;

	/* 200 '"', each escaped by cjson: \" */
	for (n = 0; n < 2 * CONTRACT_TEXT_MAX; n += 2)
		text[n] = '\\', text[n + 1] = '"';
	text[2 * CONTRACT_TEXT_MAX] = '\0';
	n = snprintf(payload, sizeof(payload), "{\"id\":\"9223372036854775807\","
	    "\"name\":\"%s\",\"description\":\"%s\",\"owned_by\":\"%063d\","
	    "\"created_date\":\"2026-12-31T23:59:59Z\"}", text, text, 0);
	CHECK("the largest AccountCreated fits ARCHIVE_PAYLOAD_CONTRACT",
	    n > 0 && n <= ARCHIVE_PAYLOAD_CONTRACT);
	CHECK("ARCHIVE_PAYLOAD_CONTRACT fits ARCHIVE_PAYLOAD_MAX",
	    ARCHIVE_PAYLOAD_CONTRACT <= ARCHIVE_PAYLOAD_MAX);
}

void
test_archive(void)
{
	char dir[64];

	round_trip(0, "plain");
	round_trip(ARCHIVE_ZSTD_LEVEL, "zstd");
	payload_bound();
	segment_full();
	if (fixture_dir(dir) == -1) {
		CHECK("a folder for the archive", 0);
		return;
	}
	writer_rules(dir);
	crash_before_commit(dir);
	fixture_rmdir(dir);
}
