#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catchup.h"
#include "checkpoint.h"
#include "clock.h"
#include "fault.h"
#include "follow.h"
#include "health.h"
#include "live.h"
#include "log.h"
#include "rebuild.h"
#include "reconcile.h"
#include "report.h"
#include "stop.h"

#define BACKOFF_MIN_MS	100
#define BACKOFF_MAX_MS	5000
/*
 * The database, not the checkpoint file, makes each event count once;
 * the file only spares a lookup at start, and its two fsyncs cost more
 * than applying a whole batch.  So while events flow it is written at
 * most this often, and at once when the stream goes quiet or the worker
 * stops.  make bench, 300,000 events: catch-up 52,000 events/s with a
 * checkpoint per batch, 150,000-200,000 with this.
 */
#define CHECKPOINT_MS	1000

struct live {
	const struct config	*cfg;
	struct redis_conn	*rc;
	struct projector	 proj;
	struct pace		 pace;
	struct follow		 follow;
	struct report		 report;	/* the position, to Redis */
	struct stream_id	 written;	/* what the checkpoint file says */
	int64_t			 written_ms;	/* and since when */
	int			 backoff_ms;	/* the next wait for Redis */
	int			 archive_backoff_ms; /* for the archive */
	char			 archive_shown[CATCHUP_ERROR_MAX]; /* its trouble */
};

static int
backoff_next(int ms)
{
	return ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : ms * 2;
}

static void
report_db_trouble(const struct config *cfg, const char *why)
{
	static char shown[HEALTH_MAX];
	char problem[HEALTH_MAX];

	snprintf(problem, sizeof(problem), "read model: %s", why);
	/* Once per kind of trouble: it is retried every second. */
	if (strcmp(problem, shown) != 0) {
		log_warn("%s; retrying until it goes", problem);
		snprintf(shown, sizeof(shown), "%s", problem);
	}
	health_report(cfg->status_path, problem);
}

/*
 * Opens the read model, retrying while it cannot be written (a read-only
 * or full disk): the worker waits for the cause to go rather than exit.
 * A file of another layout (an older version's) is rebuilt first.
 */
static int
open_projector(struct live *l)
{
	int backoff = BACKOFF_MIN_MS;

	while (!worker_stopping) {
		switch (projector_open(&l->proj, l->cfg->db_path, RM_LIVE)) {
		case PROJECTOR_OK:
			fault_arm(l->proj.db);
			return 0;
		case PROJECTOR_OTHER_LAYOUT:
			log_warn("%s: another version's layout; rebuilding it "
			    "from the stream", l->cfg->db_path);
			if (rebuild_run(l->cfg, l->rc) != EXIT_SUCCESS)
				report_db_trouble(l->cfg, "rebuild failed");
			break;
		default:
			report_db_trouble(l->cfg, l->proj.error);
			break;
		}
		worker_nap(backoff);
		backoff = backoff_next(backoff);
	}
	return -1;
}

/* Where to start reading: the checkpoint if it is not past the database. */
static struct stream_id
start_position(const struct config *cfg, const struct projector *p)
{
	struct stream_id cp;
	char a[STREAM_ID_MAX], b[STREAM_ID_MAX];

	stream_id_format(&p->last, a);
	if (checkpoint_read(cfg->checkpoint_path, &cp) == -1) {
		log_warn("no usable checkpoint file; resuming after %s (database)",
		    a);
		return p->last;
	}
	stream_id_format(&cp, b);
	if (stream_id_cmp(&cp, &p->last) > 0) {
		log_warn("checkpoint %s is past the database's %s; resuming after "
		    "the database's", b, a);
		return p->last;
	}
	log_info("resuming after %s (checkpoint; database has %s)", b, a);
	return cp;
}

static void
checkpoint_keep(struct live *l, int now)
{
	int64_t ms = clock_monotonic_us() / 1000;

	/* Closed (a reopen that a stop cut short): proj.last says nothing. */
	if (l->proj.db == NULL)
		return;

	if (stream_id_cmp(&l->written, &l->proj.last) == 0 ||
	    (!now && ms - l->written_ms < CHECKPOINT_MS))
		return;
	if (checkpoint_write(l->cfg->checkpoint_path, &l->proj.last) == 0) {
		l->written = l->proj.last;
		l->written_ms = ms;
		report_set(&l->report, &l->proj.last);
	}
}

/*
 * Nothing applied: reopen, for a file opened while its disk was
 * read-only stays read-only until then; the database's id says where to
 * read again.
 */
static int
reopen(struct live *l)
{
	projector_close(&l->proj);
	if (open_projector(l) == -1)
		return -1;
	l->follow.pos = l->proj.last;
	return 0;
}

/*
 * The stream no longer has the entry the worker was to read after
 * (follow.h).  If it lacks what the read model applied, the read model is
 * rebuilt from the stream as it is (reconcile.h) and read on from what
 * the new file records; if it has that, the reading goes on from there.
 * Until one of the two, nothing is applied.
 */
static int
lost(struct live *l)
{
	switch (reconcile(l->cfg, l->rc, &l->proj)) {
	case RECONCILE_OK:
		l->follow.pos = l->proj.last;
		return 0;
	case RECONCILE_REBUILT:
		return reopen(l);
	default:
		worker_nap(l->backoff_ms);
		l->backoff_ms = backoff_next(l->backoff_ms);
		return 0;
	}
}

/*
 * The archive lacks some of what the stream no longer has, or a segment
 * of it fails its check: said once (the log line names the folder, or
 * the file, and the entries missing), and in the health line; nothing
 * past them is applied, and the archive is read again after a nap.
 */
static void
archive_trouble(struct live *l, const struct catchup *c)
{
	char pos[STREAM_ID_MAX], need[STREAM_ID_MAX], problem[HEALTH_MAX];

	if (strcmp(c->error, l->archive_shown) != 0) {
		log_warn("%s", c->error);
		snprintf(l->archive_shown, sizeof(l->archive_shown), "%s",
		    c->error);
	}
	stream_id_format(&c->pos, pos);
	stream_id_format(&c->need, need);
	snprintf(problem, sizeof(problem), "archive: the entries after %s "
	    "through %s are missing or damaged in %s", pos, need, c->dir);
	health_report(l->cfg->status_path, problem);
	worker_nap(l->archive_backoff_ms);
	l->archive_backoff_ms = backoff_next(l->archive_backoff_ms);
}

/* The archive read as far as was asked, after trouble or not. */
static void
archive_fine(struct live *l)
{
	if (l->archive_shown[0] != '\0')
		log_info("the archive reads again");
	l->archive_shown[0] = '\0';
	l->archive_backoff_ms = BACKOFF_MIN_MS;
}

/* A batch of the archive applied: as one of the stream is. */
static void
archive_applied(struct live *l)
{
	archive_fine(l);
	health_report(l->cfg->status_path, NULL);
	fault_after_commit();
	checkpoint_keep(l, 0);
	report_tick(&l->report, l->rc);
}

/*
 * What follows the position was trimmed from the stream (follow.h): it
 * is read from the archive, batch by batch, up to the trimmed mark, and
 * the reading goes back to the stream after the last id applied.
 */
static int
from_archive(struct live *l)
{
	struct catchup c = { .dir = l->cfg->archive_dir,
	    .stream = l->cfg->stream_key, .proj = &l->proj, .rc = l->rc,
	    .pace = &l->pace, .count = (size_t)l->cfg->batch_size,
	    .pos = l->follow.pos, .need = l->follow.trimmed };
	enum catchup_result res;
	char pos[STREAM_ID_MAX], need[STREAM_ID_MAX];
	long long n = 0;

	stream_id_format(&c.pos, pos);
	stream_id_format(&c.need, need);
	if (l->archive_shown[0] == '\0')
		log_info("the stream was trimmed past %s, through %s: reading "
		    "the archive %s", pos, need, c.dir);
	res = catchup_open(&c);
	while (res == CATCHUP_APPLIED && !worker_stopping)
		if ((res = catchup_step(&c)) == CATCHUP_APPLIED) {
			n += (long long)c.last_n;
			archive_applied(l);
		}
	catchup_close(&c);
	l->follow.pos = c.pos;
	switch (res) {
	case CATCHUP_DONE:
		archive_fine(l);
		stream_id_format(&c.pos, pos);
		log_info("applied %lld entries from the archive, up to %s; "
		    "reading the stream after it", n, pos);
		break;
	case CATCHUP_SHORT:
		archive_trouble(l, &c);
		break;
	case CATCHUP_MOVED:
		log_warn("read model moved by another writer; rereading");
		break;
	case CATCHUP_DB_FAILED:
		report_db_trouble(l->cfg, l->proj.error);
		worker_nap(1000);
		return reopen(l);
	default:
		break;		/* stopping */
	}
	checkpoint_keep(l, 1);
	return 0;
}

/* What a step's result asks for; -1 to stop. */
static int
after_step(struct live *l, enum follow_result res)
{
	if (res == FOLLOW_NO_REDIS) {
		health_report(l->cfg->status_path, "redis unavailable");
		worker_nap(l->backoff_ms);
		l->backoff_ms = backoff_next(l->backoff_ms);
		return 0;
	}
	if (l->backoff_ms != BACKOFF_MIN_MS)
		log_info("redis reachable again");
	l->backoff_ms = BACKOFF_MIN_MS;
	switch (res) {
	case FOLLOW_APPLIED:
		health_report(l->cfg->status_path, NULL);
		fault_after_commit();
		break;
	case FOLLOW_QUIET:
		health_report(l->cfg->status_path, NULL);
		break;
	case FOLLOW_MOVED:
		log_warn("read model moved by another writer; rereading");
		break;
	case FOLLOW_TRIMMED:
		return from_archive(l);
	case FOLLOW_LOST:
		return lost(l);
	default:
		report_db_trouble(l->cfg, l->proj.error);
		worker_nap(1000);
		return reopen(l);
	}
	checkpoint_keep(l, res == FOLLOW_QUIET);
	return 0;
}

static int
live_start(struct live *l, const struct config *cfg, struct redis_conn *rc)
{
	memset(l, 0, sizeof(*l));
	l->cfg = cfg;
	l->rc = rc;
	l->backoff_ms = l->archive_backoff_ms = BACKOFF_MIN_MS;
	if (open_projector(l) == -1)
		return -1;
	pace_init(&l->pace, cfg->catchup_share);
	report_init(&l->report, cfg->stream_key, cfg->consumer_name);
	l->follow = (struct follow){ .rd = { .rc = rc,
	    .stream = cfg->stream_key, .count = cfg->batch_size,
	    .block_ms = cfg->block_ms }, .proj = &l->proj, .pace = &l->pace,
	    .report = &l->report };
	l->follow.pos = l->written = start_position(cfg, &l->proj);
	/* Heard from at once: trimming waits for this worker again. */
	report_set(&l->report, &l->follow.pos);
	return 0;
}

int
live_run(const struct config *cfg, struct redis_conn *rc)
{
	struct live l;

	if (live_start(&l, cfg, rc) == 0) {
		while (!worker_stopping) {
			if (after_step(&l, follow_step(&l.follow)) == -1)
				break;
			if (!l.follow.rd.prefetched)
				report_tick(&l.report, rc);
		}
		follow_drop(&l.follow);
		checkpoint_keep(&l, 1);
		report_tick(&l.report, rc);
		projector_close(&l.proj);
	}
	health_report(cfg->status_path, "stopped");
	log_info("stopped");
	return EXIT_SUCCESS;
}
