#include <stdlib.h>

#include "check.h"

int check_passed, check_failed;

int
main(void)
{
	test_decode();
	test_stream_id();
	test_event();
	test_token();
	test_pace();
	test_list_cache();
	printf("%d passed, %d failed\n", check_passed, check_failed);
	return check_failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
