#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char config_help[] =
    "Configuration comes from the environment, read once at start:\n"
    "  REDIS_SOCKET (else REDIS_HOST, REDIS_PORT), REDIS_TIMEOUT_MS,\n"
    "  STREAM_KEY, VAR_DIR, ACCOUNTS_DB, CHECKPOINT_FILE,\n"
    "  JWT_SECRET_FILE or JWT_SECRET,\n"
    "  TOKEN_TTL, LOGIN_*, RATE_PER_USER, RATE_BURST, READ_WAIT_MS,\n"
    "  READ_WAITERS, READ_WAITERS_PER_USER, WORKER_BATCH, WORKER_BLOCK_MS,\n"
    "  RUN_USER (whom to become when started as root).  See docs/operations.md.\n";

int
cli_handle(int argc, char *argv[], const char *name, const char *usage,
    const char *own)
{
	if (argc < 2)
		return -1;
	if (argc == 2 && strcmp(argv[1], "--version") == 0) {
		printf("%s %s\n", name, VERSION);
		return EXIT_SUCCESS;
	}
	if (argc == 2 && strcmp(argv[1], "--help") == 0) {
		printf("%s%s", usage, config_help);
		return EXIT_SUCCESS;
	}
	if (argc == 2 && own != NULL && strcmp(argv[1], own) == 0)
		return -1;
	fprintf(stderr, "%s%s", usage, config_help);
	return EXIT_FAILURE;
}
