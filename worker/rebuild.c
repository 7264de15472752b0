/*
 * worker --rebuild: replays the stream from its first entry into a
 * scratch file, then copies it over the live read model with SQLite's
 * backup API, which swaps the content in one write transaction: readers
 * see the old model or the new one, never a mix.  A worker running
 * beside it notices that the recorded id moved and rereads from there.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "checkpoint.h"
#include "clock.h"
#include "log.h"
#include "projector.h"
#include "stream_read.h"
#include "worker.h"

#define REBUILD_BATCH 10000

static long long
stream_length(struct redis_conn *rc, const char *key)
{
	redisReply *r = redis_conn_command(rc, "XLEN %s", key);
	long long n = -1;

	if (r != NULL && r->type == REDIS_REPLY_INTEGER)
		n = r->integer;
	freeReplyObject(r);
	return n;
}

static void
progress(long long done, long long total, double started, int final)
{
	double elapsed = (double)clock_monotonic_us() / 1e6 - started;
	double rate = elapsed > 0 ? (double)done / elapsed : 0;
	double left = rate > 0 && total > done ? (double)(total - done) / rate : 0;

	fprintf(stderr, "\rrebuild: %lld/%lld events, %.0f/s, %.0f s left   %s",
	    done, total, rate, left, final ? "\n" : "");
}

static int
replay(struct projector *scratch, const struct config *cfg,
    struct redis_conn *rc, long long *done)
{
	struct stream_id pos = { 0, 0 };
	const redisReply *entries;
	redisReply *r;
	long long total = stream_length(rc, cfg->stream_key);
	double started = (double)clock_monotonic_us() / 1e6, shown = 0;
	int tty = isatty(STDERR_FILENO);

	if (total < 0)
		return -1;
	for (*done = 0; !worker_stopping; ) {
		r = stream_read(rc, cfg->stream_key, &pos, REBUILD_BATCH, -1,
		    &entries);
		if (r == NULL)
			return -1;
		if (entries->elements == 0) {
			freeReplyObject(r);
			break;
		}
		if (projector_apply_batch(scratch, entries) != PROJECTOR_OK) {
			freeReplyObject(r);
			return -1;
		}
		stream_id_parse(entries->element[entries->elements - 1]
		    ->element[0]->str, &pos);
		*done += (long long)entries->elements;
		freeReplyObject(r);
		if (tty && (double)clock_monotonic_us() / 1e6 - shown > 0.25) {
			shown = (double)clock_monotonic_us() / 1e6;
			progress(*done, total > *done ? total : *done, started, 0);
		}
	}
	if (tty)
		progress(*done, *done, started, 1);
	return worker_stopping ? -1 : 0;
}

/* Copies scratch over the live file, waiting while the live worker holds it. */
static int
swap_in(struct projector *scratch, struct projector *live)
{
	sqlite3_backup *b;
	int rc;

	if ((b = sqlite3_backup_init(live->db, "main", scratch->db,
	    "main")) == NULL) {
		log_warn("backup: %s", sqlite3_errmsg(live->db));
		return -1;
	}
	while ((rc = sqlite3_backup_step(b, -1)) == SQLITE_BUSY ||
	    rc == SQLITE_LOCKED)
		worker_nap(50);
	if (sqlite3_backup_finish(b) != SQLITE_OK || rc != SQLITE_DONE) {
		log_warn("backup: %s", sqlite3_errmsg(live->db));
		return -1;
	}
	return 0;
}

int
worker_rebuild(const struct config *cfg, struct redis_conn *rc)
{
	struct projector scratch, live;
	char tmp[PATH_MAX], last[STREAM_ID_MAX];
	long long done = 0;
	int status = EXIT_FAILURE;

	if (snprintf(tmp, sizeof(tmp), "%s.rebuild", cfg->db_path) >=
	    (int)sizeof(tmp))
		return EXIT_FAILURE;
	unlink(tmp);
	if (projector_open(&scratch, tmp, 1) == -1)
		return EXIT_FAILURE;
	if (replay(&scratch, cfg, rc, &done) == -1) {
		log_warn("rebuild stopped before the end of the stream; the live "
		    "read model is untouched");
		goto out;
	}
	if (projector_open(&live, cfg->db_path, 0) == -1)
		goto out;
	if (swap_in(&scratch, &live) == 0 &&
	    checkpoint_write(cfg->checkpoint_path, &scratch.last) == 0) {
		stream_id_format(&scratch.last, last);
		log_info("rebuilt %s from %lld entries, up to %s", cfg->db_path,
		    done, last);
		status = EXIT_SUCCESS;
	}
	projector_close(&live);
out:
	projector_close(&scratch);
	unlink(tmp);
	return status;
}
