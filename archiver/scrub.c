/*
 * The scrub (scrub.h): a round lists the folder, then reads its segments
 * in order through one segment reader kept open between steps, each
 * against the last id of the one listed before it, as archiver --verify
 * does.  A step reads at most SCRUB_RECORDS records.
 */
#include <stdio.h>
#include <string.h>

#include "archiver.h"
#include "clock.h"
#include "scrub.h"

/*
 * A step's records, and how often a step is due.  Verifying costs 0.48
 * to 0.91 us of CPU an event (level 1, segment_write.h), some 0.2 ms a
 * step: with a step every 250 ms, 8,000 events a second, under 0.1% of a
 * core whatever the load, and a round of 300,000 events takes 38 s, of a
 * year at 10 events a second (315 million) 11 hours.  A step a pass
 * instead would scrub as fast as the archiver reads, adding half of its
 * CPU an event while it catches up.  A step never waits longer than the
 * step before it: a full segment (400,000 events) is read over 50 steps.
 */
#define SCRUB_RECORDS	2000
#define SCRUB_EVERY_MS	250
/* Opening a segment (stat, header, footer, a zstd context): as records. */
#define SCRUB_OPEN_COST	50

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
	log_info("the archive %s verified whole again: trimming past %s "
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

/* Reads on in the round, up to budget records; 1 at the round's end. */
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
		while (spent < budget && (rc = segment_next(s->r, &rec)) == 1)
			spent++, s->records++;
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
	int64_t t0 = clock_monotonic_us();

	if (round_begin(a) == -1)
		return;
	scrub_step(a, UINT64_MAX);
	s->stepped_us = clock_monotonic_us();
	log_info("archive %s: %zu segments, %llu entries verified in %lld ms",
	    a->cfg->archive_dir, s->list.n, (unsigned long long)s->records,
	    (long long)(s->stepped_us - t0) / 1000);
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
	if (scrub_step(a, SCRUB_RECORDS) == 1)
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
