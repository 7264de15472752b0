/*
 * worker: the projector.  Reads the stream from where the read model
 * left off, applies it in batches, and keeps the checkpoint file.
 *
 *	worker			run until SIGTERM/SIGINT (live.c)
 *	worker --rebuild	replay the stream into a new read model (rebuild.c)
 */
#include <sys/resource.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "config.h"
#include "fault.h"
#include "live.h"
#include "log.h"
#include "privdrop.h"
#include "redis.h"
#include "rebuild.h"
#include "stop.h"

static const char usage[] =
    "usage: worker [--rebuild | --help | --version]\n"
    "  (no option)  project the stream into the read model until SIGTERM\n"
    "  --rebuild    replay the whole stream into a new read model and swap\n"
    "               it in; safe while a worker runs\n";

int
main(int argc, char *argv[])
{
	struct config cfg;
	struct redis_conn rc;
	int rebuild, status;

	log_init("worker");
	if ((status = cli_handle(argc, argv, "worker", usage,
	    "--rebuild")) != -1)
		return status;
	rebuild = argc == 2;
	if (privdrop() == -1 || config_load(&cfg) == -1 || fault_init() == -1)
		return EXIT_FAILURE;
	stop_on_signals();
	/* The command timeout must outlast XREAD's BLOCK. */
	if (redis_conn_open(&rc, &cfg, REDIS_ROLE_WORKER,
	    cfg.block_ms + cfg.redis_timeout_ms) == -1)
		return EXIT_FAILURE;
	log_info("%s: stream %s at %s into %s", rebuild ? "rebuilding" :
	    "starting", cfg.stream_key, redis_conn_where(&rc), cfg.db_path);
	/*
	 * The projector gives way to the services: a catch-up of a million
	 * events would otherwise take a core from the requests (make bench).
	 */
	if (!rebuild && setpriority(PRIO_PROCESS, 0, cfg.worker_nice) == -1)
		log_warn("WORKER_NICE=%d: %s", cfg.worker_nice,
		    strerror(errno));
	status = rebuild ? rebuild_run(&cfg, &rc) : live_run(&cfg, &rc);
	redis_conn_close(&rc);
	return status;
}
