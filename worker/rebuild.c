#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "catchup.h"
#include "checkpoint.h"
#include "clock.h"
#include "follow.h"
#include "log.h"
#include "rebuild.h"
#include "stop.h"

/* Larger batches than live: nobody waits for any one event here. */
#define REBUILD_BATCH 10000
/* The live worker holds the file for a batch, milliseconds; a minute of
 * waiting means something else holds it, and the rebuild gives up. */
#define SWAP_WAIT_MS 60000

struct progress {
	/* XLEN when the replay started; with an archive, every entry the
	 * stream ever had (XINFO's entries-added), in the archive or still
	 * in the stream */
	long long	total;
	long long	done;		/* from the archive and the stream */
	long long	archived;	/* of which from the archive */
	double		started, shown;	/* seconds */
	int		tty;		/* shown only on a terminal */
};

static double
now_s(void)
{
	return (double)clock_monotonic_us() / 1e6;
}

static void
progress_show(struct progress *pg, int final)
{
	double elapsed = now_s() - pg->started;
	double rate = elapsed > 0 ? (double)pg->done / elapsed : 0;
	long long total = pg->total > pg->done ? pg->total : pg->done;
	double left = rate > 0 ? (double)(total - pg->done) / rate : 0;

	if (!pg->tty || (!final && now_s() - pg->shown < 0.25))
		return;
	pg->shown = now_s();
	fprintf(stderr, "\rrebuild: %lld/%lld events, %.0f/s, %.0f s left   %s",
	    pg->done, final ? pg->done : total, rate, left, final ? "\n" : "");
}

/*
 * The archive after *pos into scratch, to its end; it must reach need
 * (the trimmed mark).  0, or -1 if it stopped short (said).
 */
static int
from_archive(struct projector *scratch, const struct config *cfg,
    struct stream_id *pos, const struct stream_id *need,
    struct progress *pg)
{
	struct catchup c = { .dir = cfg->archive_dir,
	    .stream = cfg->stream_key, .proj = scratch,
	    .count = REBUILD_BATCH, .pos = *pos, .need = *need, .whole = 1 };
	enum catchup_result res;

	res = catchup_open(&c);
	while (res == CATCHUP_APPLIED && !worker_stopping)
		if ((res = catchup_step(&c)) == CATCHUP_APPLIED) {
			pg->done += (long long)c.last_n;
			pg->archived += (long long)c.last_n;
			progress_show(pg, 0);
		}
	catchup_close(&c);
	*pos = c.pos;
	if (res == CATCHUP_SHORT)
		log_warn("%s", c.error);
	else if (res == CATCHUP_DB_FAILED)
		log_warn("%s", scratch->error);
	return res == CATCHUP_DONE ? 0 : -1;
}

/* How many entries there are to replay, for the progress line; -1. */
static long long
total_of(const struct config *cfg, struct redis_conn *rc, int archive)
{
	struct stream_info info;

	if (!archive)
		return stream_length(rc, cfg->stream_key);
	return stream_info(rc, cfg->stream_key, &info) == -1 ? -1 :
	    info.entries_added;
}

/*
 * Every entry into scratch: the archive's, when ARCHIVE_DIR has segments,
 * then the stream's after the last of them (follow_step's guard says
 * whether the stream was trimmed past it meanwhile: then the archive
 * again, up to the mark).  0, or -1 if it stopped short.
 */
static int
replay(struct projector *scratch, const struct config *cfg,
    struct redis_conn *rc, struct progress *pg)
{
	struct follow f = { .rd = { .rc = rc, .stream = cfg->stream_key,
	    .count = REBUILD_BATCH, .block_ms = -1 }, .proj = scratch };
	enum follow_result res = FOLLOW_NO_REDIS;
	int archive = catchup_has_archive(cfg->archive_dir);

	pg->tty = isatty(STDERR_FILENO);
	pg->started = now_s();
	if ((pg->total = total_of(cfg, rc, archive)) < 0)
		return -1;
	if (archive && from_archive(scratch, cfg, &f.pos, &f.pos, pg) == -1)
		return -1;
	for (;;) {
		while (!worker_stopping &&
		    (res = follow_step(&f)) == FOLLOW_APPLIED) {
			pg->done += (long long)f.last_n;
			progress_show(pg, 0);
		}
		/* Each pass ends at the mark or past it: it moves on. */
		if (worker_stopping || res != FOLLOW_TRIMMED ||
		    from_archive(scratch, cfg, &f.pos, &f.trimmed, pg) == -1)
			break;
	}
	follow_drop(&f);
	progress_show(pg, 1);
	return !worker_stopping && res == FOLLOW_QUIET ? 0 : -1;
}

/* Copies scratch over the live file, waiting while the live worker holds it. */
static int
swap_in(struct projector *scratch, sqlite3 *live)
{
	sqlite3_backup *b;
	int rc, waited = 0;

	if ((b = sqlite3_backup_init(live, "main", scratch->db, "main")) ==
	    NULL) {
		log_warn("backup: %s", sqlite3_errmsg(live));
		return -1;
	}
	while (((rc = sqlite3_backup_step(b, -1)) == SQLITE_BUSY ||
	    rc == SQLITE_LOCKED) && !worker_stopping && waited < SWAP_WAIT_MS) {
		worker_nap(50);
		waited += 50;
	}
	if (sqlite3_backup_finish(b) != SQLITE_OK || rc != SQLITE_DONE) {
		log_warn("backup: %s", rc == SQLITE_BUSY || rc == SQLITE_LOCKED ?
		    "the live file stayed locked" : sqlite3_errmsg(live));
		return -1;
	}
	return 0;
}

/* The live file, set up as the worker keeps it, whatever its layout. */
static sqlite3 *
open_live(const char *path)
{
	sqlite3 *db = NULL;

	/* The live worker may be in a batch: wait for it, as it waits for us. */
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE, NULL) != SQLITE_OK ||
	    sqlite3_busy_timeout(db, 5000) != SQLITE_OK ||
	    read_model_setup(db, RM_LIVE) == RM_LAYOUT_FAILED) {
		log_warn("%s: %s", path, db != NULL ? sqlite3_errmsg(db) :
		    "out of memory");
		sqlite3_close(db);
		return NULL;
	}
	return db;
}

int
rebuild_run(const struct config *cfg, struct redis_conn *rc)
{
	struct projector scratch;
	struct progress pg = { 0 };
	char tmp[PATH_MAX], last[STREAM_ID_MAX];
	sqlite3 *live = NULL;
	int status = EXIT_FAILURE;

	if (snprintf(tmp, sizeof(tmp), "%s.rebuild", cfg->db_path) >=
	    (int)sizeof(tmp))
		return EXIT_FAILURE;
	unlink(tmp);
	if (projector_open(&scratch, tmp, RM_SCRATCH) != PROJECTOR_OK)
		return EXIT_FAILURE;
	if (replay(&scratch, cfg, rc, &pg) == -1) {
		log_warn("rebuild stopped before the end of the stream; the live "
		    "read model is untouched");
		goto out;
	}
	if ((live = open_live(cfg->db_path)) != NULL &&
	    swap_in(&scratch, live) == 0 &&
	    checkpoint_write(cfg->checkpoint_path, &scratch.last) == 0) {
		stream_id_format(&scratch.last, last);
		log_info("rebuilt %s from %lld entries (%lld of them from the "
		    "archive), up to %s", cfg->db_path, pg.done, pg.archived,
		    last);
		status = EXIT_SUCCESS;
	}
	sqlite3_close(live);
out:
	projector_close(&scratch);
	unlink(tmp);
	return status;
}
