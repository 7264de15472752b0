#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

int check_verbose;
static int passed, failed;

void
check(int ok, const char *name, const char *file, int line)
{
	int n = passed + failed + 1;

	if (ok)
		passed++;
	else
		failed++;
	if (!ok)
		printf("not ok %d - %s (%s:%d)\n", n, name, file, line);
	else if (check_verbose)
		printf("ok %d - %s\n", n, name);
}

int
main(int argc, char **argv)
{
	const char *env = getenv("UNIT_VERBOSE");

	if (argc > 2 || (argc == 2 && strcmp(argv[1], "-v") != 0)) {
		fprintf(stderr, "usage: unit_tests [-v]\n");
		return 2;
	}
	check_verbose = argc == 2 || (env != NULL && *env != '\0' &&
	    strcmp(env, "0") != 0);
	/* Lines in order with the code's own log lines on stderr. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	test_decode();
	test_stream_id();
	test_event();
	test_token();
	test_pace();
	test_list_cache();
	test_contract();
	test_command();
	test_projector();
	test_token_claims();
	test_sentinel();
	test_limiter();
	test_addr_key();
	test_redis_socket();
	test_maxmemory();
	test_archive();
	test_archive_damage();
	test_archive_projector();
	if (check_verbose)
		printf("1..%d\n", passed + failed);
	printf("%d passed, %d failed\n", passed, failed);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
