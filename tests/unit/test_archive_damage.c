/*
 * Damaged archives (lib/archive): each damage is refused with one
 * sentence that names the file and its ids, and none crashes the reader
 * (this suite runs under ASan and UBSan): every byte of a segment
 * flipped, every length it can be cut to, a segment missing, one of
 * another stream, one of an unknown version.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "archive_cursor.h"
#include "archive_dir.h"
#include "archive_fixture.h"
#include "check.h"
#include "segment_write.h"

/* dir/name holds len bytes of buf; the archive is refused, naming it. */
static int
refused_as(const char *dir, const char *name, const unsigned char *buf,
    size_t len, const char *words)
{
	char err[ARCHIVE_ERROR_MAX];

	if (fixture_spill(dir, name, buf, len) == -1 ||
	    archive_verify(dir, FIXTURE_STREAM, err, sizeof(err)) == 0)
		return 0;
	if (check_verbose && words != NULL)
		printf("# %s\n", err);
	return strstr(err, name) != NULL && strstr(err, " (ids ") != NULL &&
	    (words == NULL || strstr(err, words) != NULL);
}

/* Each byte flipped, then each length short of the whole: all refused. */
static void
every_byte(int level, const char *how)
{
	char a[64], b[64], name[ARCHIVE_NAME_MAX], what[160];
	unsigned char *buf = NULL;
	size_t len = 0, i, flips = 0, cuts = 0;

	/* Entries 5 to 10: with a NUL, without a type, without a payload. */
	if (fixture_dir(a) == -1 || fixture_dir(b) == -1 ||
	    fixture_segment(a, FIXTURE_STREAM, level, 5, 11, name) == -1 ||
	    fixture_slurp(a, name, &buf, &len) == -1) {
		CHECK("a small segment to damage", 0);
		return;
	}
	for (i = 0; i < len; i++) {
		buf[i] ^= 0xff;
		flips += refused_as(b, name, buf, len, NULL);
		buf[i] ^= 0xff;
	}
	snprintf(what, sizeof(what), "%s: each of the %zu bytes flipped is "
	    "refused, naming the file and its ids", how, len);
	CHECK(what, flips == len);
	for (i = 0; i < len; i++)
		cuts += refused_as(b, name, buf, i, NULL);
	snprintf(what, sizeof(what), "%s: cut to any length, it is refused",
	    how);
	CHECK(what, cuts == len);
	snprintf(what, sizeof(what), "%s: a segment cut short says truncated",
	    how);
	CHECK(what, refused_as(b, name, buf, len - 1, "truncated") &&
	    refused_as(b, name, buf, len / 2, "truncated"));
	free(buf);
	fixture_rmdir(a);
	fixture_rmdir(b);
}

/* Three segments, 0-99, 100-199, 200-299, in dir; their names in n. */
static int
three(const char *dir, const char *stream, char n[3][ARCHIVE_NAME_MAX])
{
	return fixture_segment(dir, stream, 1, 0, 100, n[0]) == 0 &&
	    fixture_segment(dir, stream, 1, 100, 200, n[1]) == 0 &&
	    fixture_segment(dir, stream, 1, 200, 300, n[2]) == 0 ? 0 : -1;
}

static int
says(const char *dir, const char *stream, const char *name,
    const char *words)
{
	char err[ARCHIVE_ERROR_MAX];

	if (archive_verify(dir, stream, err, sizeof(err)) == 0)
		return 0;
	if (check_verbose)
		printf("# %s\n", err);
	return strstr(err, name) != NULL && strstr(err, " (ids ") != NULL &&
	    strstr(err, words) != NULL;
}

static void
chain(void)
{
	char dir[64], n[3][ARCHIVE_NAME_MAX], path[256];

	if (fixture_dir(dir) == -1 || three(dir, FIXTURE_STREAM, n) == -1) {
		CHECK("three segments", 0);
		return;
	}
	CHECK("a segment of another stream is refused, naming both streams",
	    says(dir, "other-stream", n[0], "a segment of the stream "
	    "\"event-stream\", not of \"other-stream\""));
	snprintf(path, sizeof(path), "%s/%s", dir, n[1]);
	unlink(path);
	CHECK("a missing segment breaks the chain at the one after it",
	    says(dir, FIXTURE_STREAM, n[2], "chain broken"));
	snprintf(path, sizeof(path), "%s/%s", dir, n[0]);
	unlink(path);
	CHECK("so does a missing first segment",
	    says(dir, FIXTURE_STREAM, n[2], "none is before it"));
	fixture_rmdir(dir);
}

static void
unknown_version(void)
{
	char dir[64], name[ARCHIVE_NAME_MAX];
	unsigned char *buf;
	size_t len;

	if (fixture_dir(dir) == -1 ||
	    fixture_segment(dir, FIXTURE_STREAM, 0, 0, 3, name) == -1 ||
	    fixture_slurp(dir, name, &buf, &len) == -1) {
		CHECK("a segment to make newer", 0);
		return;
	}
	le_put32(buf + 8, ARCHIVE_VERSION + 1);
	CHECK("a segment of an unknown format version is refused as such",
	    refused_as(dir, name, buf, len, "unknown format version 2"));
	free(buf);
	fixture_rmdir(dir);
}

/* The cursor hands out no entry of a damaged segment. */
static void
cursor_refuses(void)
{
	static const struct stream_id zero;
	char dir[64], n[3][ARCHIVE_NAME_MAX];
	struct archive_cursor *c;
	struct archive_batch b;
	unsigned char *buf;
	size_t len;
	int rc;

	if (fixture_dir(dir) == -1 || three(dir, FIXTURE_STREAM, n) == -1 ||
	    fixture_slurp(dir, n[1], &buf, &len) == -1) {
		CHECK("three segments to damage", 0);
		return;
	}
	buf[len - 100] ^= 0x01;
	fixture_spill(dir, n[1], buf, len);
	free(buf);
	CHECK("a cursor opens on a chain whose headers are whole",
	    archive_cursor_open(&c, dir, FIXTURE_STREAM, &zero, NULL, 0) == 0);
	if (c == NULL)
		return;
	rc = archive_cursor_next(c, 100, &b);
	CHECK("the first segment's entries come", rc == 0 && b.batch.n == 100);
	archive_batch_free(&b);
	rc = archive_cursor_next(c, 100, &b);
	CHECK("none of the damaged one's: an error that names it",
	    rc == -1 && strstr(archive_cursor_error(c), n[1]) != NULL);
	archive_batch_free(&b);
	archive_cursor_close(c);
	fixture_rmdir(dir);
}

void
test_archive_damage(void)
{
	every_byte(0, "plain");
	every_byte(ARCHIVE_ZSTD_LEVEL, "zstd");
	chain();
	unknown_version();
	cursor_refuses();
}
