/*
 * archiver: follows the event stream into the archive (docs/archive.md),
 * segment by segment, so that Redis may drop what the archive and every
 * worker hold (docs/retention.md).
 *
 *	archiver		run until SIGTERM/SIGINT (run.c)
 *	archiver --verify	check the archive (inspect.c)
 *	archiver --dump [ID]	print what it holds after ID (inspect.c)
 *	archiver --restore-until ID	a restored copy made as it was just
 *				after ID (restore.c; scripts/restore --until)
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "config.h"
#include "fault.h"
#include "inspect.h"
#include "log.h"
#include "privdrop.h"
#include "redis.h"
#include "restore.h"
#include "run.h"
#include "stop.h"

static const char usage[] =
    "usage: archiver [--verify | --dump [ID] | --help | --version]\n"
    "  (no option)  follow the stream into the archive (ARCHIVE_DIR) until\n"
    "               SIGTERM; commit a segment every ARCHIVE_SEGMENT_SECONDS\n"
    "  --verify     check the archive's chain and every segment: one line\n"
    "               a problem, exit status 1 if any\n"
    "  --dump [ID]  print the archived entries after ID (0-0), one a line:\n"
    "               \"<id> <type> <payload>\", an absent field as \"-\"\n"
    "  --restore-until ID\n"
    "               on a copy scripts/restore brought up (its own Redis):\n"
    "               cut the archive and the stream after ID, and make the\n"
    "               command state again from the events up to ID\n";

static int
dumping(int argc, char *argv[])
{
	return argc >= 2 && argc <= 3 && strcmp(argv[1], "--dump") == 0;
}

static int
restoring(int argc, char *argv[])
{
	return argc == 3 && strcmp(argv[1], "--restore-until") == 0;
}

int
main(int argc, char *argv[])
{
	struct config cfg;
	struct redis_conn rc;
	int status;

	log_init("archiver");
	if (!dumping(argc, argv) && !restoring(argc, argv) && (status = cli_handle(argc, argv,
	    "archiver", usage, "--verify")) != -1)
		return status;
	if (privdrop() == -1 || config_load(&cfg) == -1)
		return EXIT_FAILURE;
	if (dumping(argc, argv))
		return archiver_dump(&cfg, argc == 3 ? argv[2] : NULL);
	if (argc == 2)
		return archiver_verify(&cfg);
	if (argc == 3) {
		if (redis_conn_open(&rc, &cfg, REDIS_ROLE_ADMIN,
		    cfg.redis_timeout_ms) == -1)
			return EXIT_FAILURE;
		status = archiver_restore(&cfg, &rc, argv[2]);
		redis_conn_close(&rc);
		return status;
	}
	if (archiver_fault_init() == -1)
		return EXIT_FAILURE;
	stop_on_signals();
	/* The command timeout must outlast XREAD's BLOCK (run.c). */
	if (redis_conn_open(&rc, &cfg, REDIS_ROLE_ARCHIVER,
	    ARCHIVER_BLOCK_MS + cfg.redis_timeout_ms) == -1)
		return EXIT_FAILURE;
	log_info("starting: stream %s at %s into %s as %s", cfg.stream_key,
	    redis_conn_where(&rc), cfg.archive_dir, cfg.consumer_name);
	status = archiver_run(&cfg, &rc);
	redis_conn_close(&rc);
	return status;
}
