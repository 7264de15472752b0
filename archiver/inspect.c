#include <stdio.h>
#include <stdlib.h>

#include "archive_cursor.h"
#include "archive_dir.h"
#include "inspect.h"
#include "segment_read.h"

int
archiver_verify(const struct config *cfg)
{
	const char *dir = cfg->archive_dir;
	char err[ARCHIVE_ERROR_MAX], id[STREAM_ID_MAX];
	struct stream_id prev = { 0, 0 };
	struct archive_list list;
	size_t i, bad = 0;

	if (archive_list(dir, &list, err, sizeof(err)) == -1) {
		fprintf(stderr, "%s\n", err);
		return EXIT_FAILURE;
	}
	/* Each against the one listed before it: a gap is a problem of the
	 * segment after it, and the next one is checked all the same. */
	for (i = 0; i < list.n; i++) {
		if (segment_verify(dir, list.v[i].name, cfg->stream_key, &prev,
		    err, sizeof(err)) == -1) {
			fprintf(stderr, "%s\n", err);
			bad++;
		}
		prev = list.v[i].last;
	}
	stream_id_format(&prev, id);
	printf("%s: %zu segments, to %s: %s\n", dir, list.n, id,
	    bad == 0 ? "verified" : "DAMAGED");
	archive_list_free(&list);
	return bad == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

static void
field(const char *s, size_t len)
{
	if (s == NULL)
		fputs("-", stdout);
	else
		fwrite(s, 1, len, stdout);
}

static void
show(const struct stream_batch *b)
{
	const struct stream_entry *e;
	size_t i;

	for (i = 0; i < b->n; i++) {
		e = &b->entries[i];
		printf("%s ", e->id_text);
		field(e->type, e->type_len);
		putchar(' ');
		field(e->payload, e->payload_len);
		putchar('\n');
	}
}

int
archiver_dump(const struct config *cfg, const char *after)
{
	char err[ARCHIVE_ERROR_MAX];
	struct archive_cursor *c;
	struct archive_batch b;
	struct stream_id from = { 0, 0 };
	int status = EXIT_SUCCESS;

	if (after != NULL && stream_id_parse(after, &from) == -1) {
		fprintf(stderr, "archiver --dump: %s is not a stream id\n",
		    after);
		return EXIT_FAILURE;
	}
	if (archive_cursor_open(&c, cfg->archive_dir, cfg->stream_key, &from,
	    err, sizeof(err)) == -1) {
		fprintf(stderr, "%s\n", err);
		return EXIT_FAILURE;
	}
	for (;;) {
		if (archive_cursor_next(c, 1000, &b) == -1) {
			fprintf(stderr, "%s\n", archive_cursor_error(c));
			status = EXIT_FAILURE;
		} else
			show(&b.batch);
		if (status != EXIT_SUCCESS || b.batch.n == 0)
			break;
		archive_batch_free(&b);
	}
	archive_batch_free(&b);
	archive_cursor_close(c);
	return status;
}
