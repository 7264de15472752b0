#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "commit.h"
#include "report.h"
#include "run.h"
#include "start.h"
#include "stop.h"

/*
 * Entries a read: the worker's WORKER_BATCH default; the read's answer
 * is some 200 KB, appended in about 1.2 ms (docs/archive.md).
 */
#define READ_COUNT	1000
/*
 * Caught up, the archiver waits this long before its next read, so that
 * each read brings many entries rather than the one or two a POST rate
 * leaves between reads: read at once, it spent some 20 us of its CPU an
 * event under POST load against 1.2 in bulk, and POST /invoices beside it
 * ran at 0.80-0.92 of alone (bench/retention.sh, make bench's section).
 * An archive a quarter of a second later changes nothing: a segment is
 * committed every ARCHIVE_SEGMENT_SECONDS.
 */
#define GATHER_MS	250
#define BACKOFF_MIN_MS	100
#define BACKOFF_MAX_MS	5000
/* A trimmed or lost stream waits for an operator: no hurry to retry. */
#define STUCK_RETRY_MS	10000

static void
redis_down(struct archiver *a)
{
	worker_nap(a->backoff_ms);
	a->backoff_ms = a->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS :
	    a->backoff_ms * 2;
}

/* Another copy trimmed the stream past this archive's end. */
static void
trimmed(struct archiver *a, const struct stream_id *mark)
{
	char end[STREAM_ID_MAX], to[STREAM_ID_MAX];

	archiver_discard(a);
	stream_id_format(&a->committed, end);
	stream_id_format(mark, to);
	archiver_problem(a, LOG_ERROR, "archive %s ends at %s, but the stream "
	    "was trimmed to %s (by another copy): the entries after %s up to "
	    "%s are in no segment here, nothing is archived until they are "
	    "(copy them from another archive); trying again every %d s",
	    a->cfg->archive_dir, end, to, end, to, STUCK_RETRY_MS / 1000);
	worker_nap(STUCK_RETRY_MS);
	archiver_locate(a);
}

/*
 * The stream lacks the entry read after.  Past the archive's end (the
 * open segment's), the segment is dropped and read again; at the end, it
 * lost what the archive holds.
 */
static void
gone(struct archiver *a)
{
	char end[STREAM_ID_MAX];

	if (stream_id_cmp(&a->pos, &a->committed) != 0) {
		archiver_discard(a);
		return;
	}
	stream_id_format(&a->committed, end);
	archiver_problem(a, LOG_ERROR, "the stream no longer has %s, the last "
	    "entry of archive %s: a failover or an older backup lost events "
	    "the archive holds; archiving stopped, trying again every %d s",
	    end, a->cfg->archive_dir, STUCK_RETRY_MS / 1000);
	worker_nap(STUCK_RETRY_MS);
	archiver_locate(a);
}

/* The batch into the open segment, up to a full one: 1 if full, else 0. */
static int
append(struct archiver *a, const struct stream_batch *b)
{
	char id[STREAM_ID_MAX];
	size_t i;

	for (i = 0; i < b->n; i++) {
		switch (segment_writer_add(a->w, &b->entries[i])) {
		case 0:
			if (segment_writer_count(a->w) == 1)
				a->opened_us = clock_monotonic_us();
			a->pos = b->entries[i].id;
			break;
		case SEGMENT_FULL:
			return 1;
		default:
			stream_id_format(&b->entries[i].id, id);
			archiver_problem(a, LOG_ERROR, "entry %s was not "
			    "archived: %s", id, segment_writer_error(a->w));
			archiver_discard(a);
			worker_nap(STUCK_RETRY_MS);
			return 0;
		}
	}
	return 0;
}

/* One read, appended; 1 if the open segment is full. */
static int
step(struct archiver *a)
{
	struct stream_batch b;
	int full = 0;

	switch (stream_reader_next(&a->rd, &a->pos, &b)) {
	case 0:
		break;
	case STREAM_READ_TRIMMED:
		trimmed(a, &b.trimmed);
		return 0;
	case STREAM_READ_GONE:
		gone(a);
		return 0;
	default:
		redis_down(a);
		return 0;
	}
	a->backoff_ms = BACKOFF_MIN_MS;
	if (b.n == (size_t)a->rd.count)
		stream_reader_prefetch(&a->rd, &b.entries[b.n - 1].id);
	if (b.n > 0)
		full = append(a, &b);
	/* Caught up: let the next batch gather (GATHER_MS). */
	if (b.n > 0 && b.n < (size_t)a->rd.count)
		worker_nap(GATHER_MS);
	stream_batch_free(&b);
	return full;
}

static int
commit_due(const struct archiver *a, int full)
{
	int64_t age;

	if (a->w == NULL || segment_writer_count(a->w) == 0)
		return 0;
	age = clock_monotonic_us() - a->opened_us;
	return full || age >= (int64_t)a->cfg->archive_segment_s * 1000000;
}

/*
 * Commit, report, scrub, trim, each when due; -1: wait before reading
 * on.  While a segment fails its check, nothing is trimmed (scrub.h).
 */
static int
due(struct archiver *a, int full)
{
	struct stream_id sound;

	if (commit_due(a, full) && archiver_commit(a) == -1)
		return -1;
	if (clock_monotonic_us() - a->reported_us >= REPORT_MS * 1000LL &&
	    archiver_report(a) == 0)
		a->trim_more = 1;
	scrub_due(a);
	if (a->trim_more && !scrub_held(a, &sound))
		archiver_trim_pass(a);
	if (a->w == NULL && archiver_open_segment(a) == -1)
		return -1;
	return 0;
}

/* The open segment committed at a stop, if it holds anything. */
static void
finish(struct archiver *a)
{
	stream_reader_drop(&a->rd);
	if (a->w != NULL && segment_writer_count(a->w) > 0)
		archiver_commit(a);
	segment_writer_close(a->w);
	a->w = NULL;
	scrub_free(&a->scrub);
}

int
archiver_run(const struct config *cfg, struct redis_conn *rc)
{
	struct archiver a;
	char end[STREAM_ID_MAX];
	int full = 0;

	memset(&a, 0, sizeof(a));
	a.cfg = cfg;
	a.rc = rc;
	a.rd = (struct stream_reader){ .rc = rc, .stream = cfg->stream_key,
	    .count = READ_COUNT, .block_ms = ARCHIVER_BLOCK_MS };
	a.backoff_ms = BACKOFF_MIN_MS;
	if (archiver_start(&a) == -1)
		return EXIT_FAILURE;
	scrub_start(&a);
	a.reported_us = clock_monotonic_us() - REPORT_MS * 1000LL;
	while (!worker_stopping) {
		if (due(&a, full) == -1) {
			worker_nap(1000);
			continue;
		}
		full = step(&a);
	}
	finish(&a);
	stream_id_format(&a.committed, end);
	log_info("stopped: archive %s ends at %s", cfg->archive_dir, end);
	return EXIT_SUCCESS;
}
