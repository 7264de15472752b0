#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

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
	long long	total;		/* XLEN when the replay started */
	long long	done;
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

/* Every entry of the stream into scratch: 0, or -1 if it stopped short. */
static int
replay(struct projector *scratch, const struct config *cfg,
    struct redis_conn *rc, struct progress *pg)
{
	struct follow f = { .rc = rc, .stream = cfg->stream_key,
	    .proj = scratch, .count = REBUILD_BATCH, .block_ms = -1 };
	enum follow_result res = FOLLOW_NO_REDIS;

	pg->tty = isatty(STDERR_FILENO);
	pg->started = now_s();
	if ((pg->total = stream_length(rc, cfg->stream_key)) < 0)
		return -1;
	while (!worker_stopping &&
	    (res = follow_step(&f)) == FOLLOW_APPLIED) {
		pg->done += (long long)f.last_n;
		progress_show(pg, 0);
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
		log_info("rebuilt %s from %lld entries, up to %s", cfg->db_path,
		    pg.done, last);
		status = EXIT_SUCCESS;
	}
	sqlite3_close(live);
out:
	projector_close(&scratch);
	unlink(tmp);
	return status;
}
