/*
 * The scrub (scrub.h): a round lists the folder, then reads its segments
 * in order through one segment reader kept open between steps, each
 * against the last id of the one listed before it, as archiver --verify
 * does.  A step reads at most SCRUB_BYTES of records.
 */
#include <stdio.h>
#include <string.h>

#include "archiver.h"
#include "clock.h"
#include "scrub.h"

/*
 * A step's budget in bytes of records, and how often a step is due.
 * Measured (release build, archiver --verify): 300,000 of the services'
 * events, 169 bytes of records each (bench/archive_size), took 0.18 s of
 * CPU, 0.6 us an event, 3.5 ns a byte; 2,000 segments of one entry,
 * 0.08 s, some 40 us to open and check a segment, the cost of about 12
 * KiB of records.  So 192 KiB a step, about 0.7 ms, every 250 ms: 0.3% of
 * a core whatever the load, some 4,600 events a second; a round of
 * 300,000 events takes about 65 s, of a year at 10 events a second (315
 * million) about 19 hours, well within the 7 days the stream keeps.  A
 * step every pass of the loop would scrub as fast as the archiver reads,
 * adding a third to its CPU while it catches up.
 */
#define SCRUB_BYTES	(192u << 10)
#define SCRUB_EVERY_MS	250
#define SCRUB_OPEN_COST	(12u << 10)
/*
 * The start verifies the archive from its first segment for at most this
 * long, and the rounds go on from there: 300,000 events take 0.19 s, so
 * an archive of up to some 25 million is verified whole before the
 * archiver goes on, and a larger one does not hold a restart up.
 */
#define SCRUB_START_MS	15000

static int
round_begin(struct archiver *a)
{
	struct scrub *s = &a->scrub;
	char err[ARCHIVE_ERROR_MAX];

	archive_list_free(&s->list);
	s->next = 0;
	s->prev = (struct stream_id){ 0, 0 };
	s->found = s->telling = 0;
	s->records = 0;
	if (archive_list(a->cfg->archive_dir, &s->list, err, sizeof(err)) ==
	    -1) {
		archiver_problem(a, LOG_ERROR, "%s", err);
		return -1;
	}
	return 0;
}

/* A round passed whole: whatever held trimming is put right. */
static void
round_end(struct archiver *a)
{
	struct scrub *s = &a->scrub;
	char id[STREAM_ID_MAX];

	if (s->found || !s->held)
		return;
	stream_id_format(&s->hold, id);
	log_info("the archive %s verified whole again: trimming, held at %s, "
	    "resumes", a->cfg->archive_dir, id);
	s->held = 0;
	s->shown[0] = '\0';
	a->reported_us = 0;	/* report the whole archive again, now */
}

/*
 * The segment being read failed: nothing is trimmed past the last id
 * before the first one of the round that fails.  One line a damage,
 * while it lasts: a round whose first damage is the one already told
 * tells none of the others (archiver --verify lists them all).
 */
static void
damaged(struct archiver *a, const char *err)
{
	struct scrub *s = &a->scrub;
	char id[STREAM_ID_MAX];

	if (!s->found) {
		s->found = 1;
		s->telling = strcmp(err, s->shown) != 0;
		if (s->telling)
			snprintf(s->shown, sizeof(s->shown), "%s", err);
		if (!s->held || stream_id_cmp(&s->hold, &s->prev) != 0)
			a->reported_us = 0;	/* the new hold, now */
		s->held = 1;
		s->hold = s->prev;
	}
	if (!s->telling)
		return;
	stream_id_format(&s->hold, id);
	log_error("damaged segment: %s; nothing is trimmed past %s until it "
	    "is put right (copied from another archive copy; archiver "
	    "--verify lists every damaged segment)", err, id);
}

/* The segment after list.v[next], whether this one passed or not. */
static void
segment_done(struct scrub *s)
{
	segment_close(s->r);
	s->r = NULL;
	s->prev = s->list.v[s->next].last;
	s->next++;
}

/* Reads on in the round, about budget bytes; 1 at the round's end. */
static int
scrub_step(struct archiver *a, uint64_t budget)
{
	struct scrub *s = &a->scrub;
	struct segment_record rec;
	char err[ARCHIVE_ERROR_MAX];
	uint64_t spent = 0;
	int rc;

	while (s->next < s->list.n && spent < budget) {
		if (s->r == NULL) {
			spent += SCRUB_OPEN_COST;
			if (segment_open(&s->r, a->cfg->archive_dir,
			    s->list.v[s->next].name, a->cfg->stream_key,
			    &s->prev, err, sizeof(err)) == -1) {
				damaged(a, err);
				segment_done(s);
				continue;
			}
		}
		rc = 1;
		while (spent < budget && (rc = segment_next(s->r, &rec)) == 1) {
			spent += RECORD_HEAD + rec.type_len + rec.payload_len +
			    RECORD_CRC;
			s->records++;
		}
		if (rc == 1)
			break;		/* the budget is spent mid-segment */
		if (rc == -1)
			damaged(a, segment_error(s->r));
		segment_done(s);
	}
	return s->next == s->list.n;
}

void
scrub_start(struct archiver *a)
{
	struct scrub *s = &a->scrub;
	int64_t t0 = clock_monotonic_us(), now = t0;
	int done = 0;

	if (round_begin(a) == -1)
		return;
	while (!done && now - t0 < SCRUB_START_MS * 1000LL) {
		done = scrub_step(a, SCRUB_BYTES);
		now = clock_monotonic_us();
	}
	s->stepped_us = now;
	log_info("archive %s: %zu of %zu segments, %llu entries verified in "
	    "%lld ms%s", a->cfg->archive_dir, s->next, s->list.n,
	    (unsigned long long)s->records, (long long)(now - t0) / 1000,
	    done ? "" : "; the rest as the archiver goes on");
	if (done)
		round_end(a);
}

void
scrub_due(struct archiver *a)
{
	struct scrub *s = &a->scrub;
	int64_t now = clock_monotonic_us();

	if (now - s->stepped_us < SCRUB_EVERY_MS * 1000LL)
		return;
	s->stepped_us = now;
	if (s->next == s->list.n && round_begin(a) == -1)
		return;
	if (scrub_step(a, SCRUB_BYTES) == 1)
		round_end(a);
}

int
scrub_held(const struct archiver *a, struct stream_id *sound)
{
	*sound = a->scrub.hold;
	return a->scrub.held;
}

void
scrub_free(struct scrub *s)
{
	segment_close(s->r);
	s->r = NULL;
	archive_list_free(&s->list);
}
