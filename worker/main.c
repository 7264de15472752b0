/*
 * worker: the projector.  Reads the stream from where the read model
 * left off, applies it in batches, and keeps the checkpoint file.
 *
 *	worker			run until SIGTERM/SIGINT
 *	worker --rebuild	replay the stream into a new read model
 */
#include <err.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "checkpoint.h"
#include "fault.h"
#include "health.h"
#include "projector.h"
#include "stream_read.h"
#include "worker.h"

#define BACKOFF_MIN_MS	100
#define BACKOFF_MAX_MS	5000

volatile sig_atomic_t worker_stopping;

/* SQLite's last logged error: why the read model could not be opened. */
static char sqlite_error[200] = "unknown error";

static void
on_sqlite_log(void *arg, int code, const char *msg)
{
	const char *sql;

	(void)arg;
	if ((code & 0xff) == SQLITE_NOTICE || (code & 0xff) == SQLITE_WARNING)
		return;
	/* "<error> in \"<statement>\"": the error is enough. */
	sql = strstr(msg, " in \"");
	snprintf(sqlite_error, sizeof(sqlite_error), "%.*s",
	    sql != NULL ? (int)(sql - msg) : (int)strlen(msg), msg);
}

static int
backoff_next(int ms)
{
	return ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : ms * 2;
}

static void
report_db_trouble(const struct config *cfg, const char *why)
{
	static char shown[256];
	char problem[256];

	snprintf(problem, sizeof(problem), "read model: %s", why);
	/* Once per kind of trouble: it is retried every second. */
	if (strcmp(problem, shown) != 0) {
		warnx("%s; retrying until it goes", problem);
		snprintf(shown, sizeof(shown), "%s", problem);
	}
	health_report(cfg->status_path, problem);
}

static void
on_signal(int sig)
{
	(void)sig;
	worker_stopping = 1;
}

void
worker_nap(int ms)
{
	struct timespec ts;

	for (; ms > 0 && !worker_stopping; ms -= 50) {
		ts.tv_sec = 0;
		ts.tv_nsec = (ms < 50 ? ms : 50) * 1000000L;
		nanosleep(&ts, NULL);
	}
}

static void
usage(void)
{
	fprintf(stderr,
	    "usage: worker [--rebuild | --help | --version]\n"
	    "  (no option)  project the stream into the read model until "
	    "SIGTERM\n"
	    "  --rebuild    replay the whole stream into a new read model "
	    "and swap it in\n"
	    "Configuration: REDIS_HOST, REDIS_PORT, STREAM_KEY, VAR_DIR, "
	    "ACCOUNTS_DB,\nCHECKPOINT_FILE, WORKER_STATUS_FILE, WORKER_BATCH, "
	    "WORKER_BLOCK_MS (see README).\n");
}

/* Where to start reading: the checkpoint if it is not past the database. */
static struct stream_id
start_position(const struct config *cfg, const struct projector *p)
{
	struct stream_id cp;
	char a[STREAM_ID_MAX], b[STREAM_ID_MAX];

	stream_id_format(&p->last, a);
	if (checkpoint_read(cfg->checkpoint_path, &cp) == -1) {
		warnx("no usable checkpoint file; resuming after %s (database)",
		    a);
		return p->last;
	}
	stream_id_format(&cp, b);
	if (stream_id_cmp(&cp, &p->last) > 0) {
		warnx("checkpoint %s is past the database's %s; resuming after "
		    "the database's", b, a);
		return p->last;
	}
	warnx("resuming after %s (checkpoint; database has %s)", b, a);
	return cp;
}

/*
 * Opens the read model, retrying while it cannot be written (a read-only
 * or full disk): the worker waits for the cause to go rather than exit.
 */
static int
open_projector(const struct config *cfg, struct projector *p)
{
	int backoff = BACKOFF_MIN_MS;

	while (!worker_stopping) {
		if (projector_open(p, cfg->db_path, 0) == 0) {
			fault_arm(p->db);
			return 0;
		}
		report_db_trouble(cfg, sqlite_error);
		worker_nap(backoff);
		backoff = backoff_next(backoff);
	}
	return -1;
}

static int
run(const struct config *cfg, struct redis_conn *rc)
{
	struct projector p;
	struct stream_id pos, written;
	const redisReply *entries;
	redisReply *r;
	int backoff = BACKOFF_MIN_MS;

	if (open_projector(cfg, &p) == -1)
		goto out;
	pos = start_position(cfg, &p);
	written = pos;
	while (!worker_stopping) {
		r = stream_read(rc, cfg->stream_key, &pos, cfg->batch_size,
		    cfg->block_ms, &entries);
		if (r == NULL) {
			health_report(cfg->status_path, "redis unavailable");
			worker_nap(backoff);
			backoff = backoff_next(backoff);
			continue;
		}
		if (backoff != BACKOFF_MIN_MS)
			warnx("redis reachable again");
		backoff = BACKOFF_MIN_MS;
		if (entries->elements == 0) {
			health_report(cfg->status_path, NULL);
			freeReplyObject(r);
			continue;
		}
		switch (projector_apply_batch(&p, entries)) {
		case PROJECTOR_OK:
			health_report(cfg->status_path, NULL);
			stream_id_parse(entries->element[entries->elements - 1]
			    ->element[0]->str, &pos);
			fault_after_commit();
			break;
		case PROJECTOR_MOVED:
			warnx("read model moved by another writer; rereading");
			pos = p.last;
			break;
		case PROJECTOR_FAILED:
			/*
			 * Nothing applied.  Reopen: a file opened while its
			 * disk was read-only stays read-only until then.  The
			 * database's id says where to read again.
			 */
			report_db_trouble(cfg, p.error);
			projector_close(&p);
			worker_nap(1000);
			if (open_projector(cfg, &p) == -1) {
				freeReplyObject(r);
				goto out;
			}
			pos = p.last;
			break;
		}
		freeReplyObject(r);
		if (stream_id_cmp(&written, &p.last) != 0 &&
		    checkpoint_write(cfg->checkpoint_path, &p.last) == 0)
			written = p.last;
	}
	projector_close(&p);
out:
	health_report(cfg->status_path, "stopped");
	warnx("stopped");
	return EXIT_SUCCESS;
}

int
main(int argc, char *argv[])
{
	struct config cfg;
	struct redis_conn rc;
	struct sigaction sa;
	int rebuild = 0, status;

	if (argc > 2) {
		usage();
		return EXIT_FAILURE;
	}
	if (argc == 2) {
		if (strcmp(argv[1], "--version") == 0) {
			puts("worker " VERSION);
			return EXIT_SUCCESS;
		}
		if (strcmp(argv[1], "--help") == 0) {
			usage();
			return EXIT_SUCCESS;
		}
		if (strcmp(argv[1], "--rebuild") != 0) {
			usage();
			return EXIT_FAILURE;
		}
		rebuild = 1;
	}
	if (config_load(&cfg) == -1 || fault_init() == -1)
		return EXIT_FAILURE;
	sqlite3_config(SQLITE_CONFIG_LOG, on_sqlite_log, NULL);
	/* No SA_RESTART: a stop request must end the blocking read. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* The command timeout must outlast XREAD's BLOCK. */
	redis_conn_init(&rc, cfg.redis_host, cfg.redis_port,
	    cfg.block_ms + cfg.redis_timeout_ms);
	warnx("%s: stream %s at %s:%d into %s", rebuild ? "rebuilding" :
	    "starting", cfg.stream_key, cfg.redis_host, cfg.redis_port,
	    cfg.db_path);
	status = rebuild ? worker_rebuild(&cfg, &rc) : run(&cfg, &rc);
	redis_conn_close(&rc);
	return status;
}
