/*
 * worker: the projector.  Reads the stream from where the read model
 * left off, applies it in batches, and keeps the checkpoint file.
 *
 *	worker			run until SIGTERM/SIGINT
 *	worker --rebuild	replay the stream into a new read model
 */
#include <sys/resource.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "checkpoint.h"
#include "cli.h"
#include "clock.h"
#include "fault.h"
#include "health.h"
#include "log.h"
#include "projector.h"
#include "pace.h"
#include "privdrop.h"
#include "stream_read.h"
#include "worker.h"

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
		log_warn("%s; retrying until it goes", problem);
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

static const char usage[] =
    "usage: worker [--rebuild | --help | --version]\n"
    "  (no option)  project the stream into the read model until SIGTERM\n"
    "  --rebuild    replay the whole stream into a new read model and swap\n"
    "               it in; safe while a worker runs\n";

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

/* Drops the answer to a read sent ahead, when it will not be used. */
static void
drop_prefetch(struct redis_conn *rc, const char *key, int *prefetched)
{
	const redisReply *entries;

	if (*prefetched)
		freeReplyObject(stream_read_recv(rc, key, &entries));
	*prefetched = 0;
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
	struct pace pace;
	struct stream_id pos, written, next;
	const redisReply *entries;
	redisReply *r;
	long long written_at = 0, batch_started;
	int backoff = BACKOFF_MIN_MS, quiet, full, prefetched = 0;

	if (open_projector(cfg, &p) == -1)
		goto out;
	pos = start_position(cfg, &p);
	written = pos;
	pace_init(&pace, cfg->catchup_share);
	while (!worker_stopping) {
		if (prefetched) {
			r = stream_read_recv(rc, cfg->stream_key, &entries);
			prefetched = 0;
		} else
			r = stream_read(rc, cfg->stream_key, &pos,
			    cfg->batch_size, cfg->block_ms, &entries);
		if (r == NULL) {
			health_report(cfg->status_path, "redis unavailable");
			worker_nap(backoff);
			backoff = backoff_next(backoff);
			continue;
		}
		if (backoff != BACKOFF_MIN_MS)
			log_info("redis reachable again");
		backoff = BACKOFF_MIN_MS;
		quiet = entries->elements == 0;
		full = entries->elements == (size_t)cfg->batch_size;
		if (full)
			pace_observe(&pace, rc, cfg->stream_key);
		/*
		 * A full batch: more is waiting.  Ask for it now, so that
		 * Redis prepares it while this one is applied (make bench:
		 * catch-up 150,000-200,000 events/s without, 250,000 with).
		 */
		if (full && stream_id_parse(entries->element[entries->elements - 1]
		    ->element[0]->str, &next) == 0 &&
		    stream_read_send(rc, cfg->stream_key, &next,
		    cfg->batch_size, cfg->block_ms) == 0)
			prefetched = 1;
		projector_set_catching_up(&p, full);
		batch_started = clock_monotonic_us();
		switch (quiet ? PROJECTOR_OK : projector_apply_batch(&p, entries)) {
		case PROJECTOR_OK:
			health_report(cfg->status_path, NULL);
			if (!quiet) {
				stream_id_parse(entries->element[
				    entries->elements - 1]->element[0]->str, &pos);
				fault_after_commit();
			}
			if (full)
				pace_rest(&pace,
				    clock_monotonic_us() - batch_started);
			break;
		case PROJECTOR_MOVED:
			log_warn("read model moved by another writer; rereading");
			drop_prefetch(rc, cfg->stream_key, &prefetched);
			pos = p.last;
			break;
		case PROJECTOR_FAILED:
			/*
			 * Nothing applied.  Reopen: a file opened while its
			 * disk was read-only stays read-only until then.  The
			 * database's id says where to read again.
			 */
			drop_prefetch(rc, cfg->stream_key, &prefetched);
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
		if (stream_id_cmp(&written, &p.last) != 0 && (quiet ||
		    clock_monotonic_us() / 1000 - written_at >= CHECKPOINT_MS) &&
		    checkpoint_write(cfg->checkpoint_path, &p.last) == 0) {
			written = p.last;
			written_at = clock_monotonic_us() / 1000;
		}
	}
	drop_prefetch(rc, cfg->stream_key, &prefetched);
	if (stream_id_cmp(&written, &p.last) != 0)
		checkpoint_write(cfg->checkpoint_path, &p.last);
	projector_close(&p);
out:
	health_report(cfg->status_path, "stopped");
	log_info("stopped");
	return EXIT_SUCCESS;
}

int
main(int argc, char *argv[])
{
	struct config cfg;
	struct redis_conn rc;
	struct sigaction sa;
	int rebuild = 0, status;

	log_init("worker");
	if ((status = cli_handle(argc, argv, "worker", usage,
	    "--rebuild")) != -1)
		return status;
	rebuild = argc == 2;
	if (privdrop() == -1)
		return EXIT_FAILURE;
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
	log_info("%s: stream %s at %s:%d into %s", rebuild ? "rebuilding" :
	    "starting", cfg.stream_key, cfg.redis_host, cfg.redis_port,
	    cfg.db_path);
	/*
	 * The projector gives way to the services: a catch-up of a million
	 * events would otherwise take a core from the requests (make bench).
	 */
	if (!rebuild && setpriority(PRIO_PROCESS, 0, cfg.worker_nice) == -1)
		log_warn("WORKER_NICE=%d: %s", cfg.worker_nice,
		    strerror(errno));
	status = rebuild ? worker_rebuild(&cfg, &rc) : run(&cfg, &rc);
	redis_conn_close(&rc);
	return status;
}
