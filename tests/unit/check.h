/* A minimal test harness: CHECK counts, the runner prints the totals. */
#ifndef CHECK_H
#define CHECK_H

#include <stdio.h>

extern int check_passed, check_failed;

#define CHECK(expr) do {						\
	if (expr)							\
		check_passed++;						\
	else {								\
		check_failed++;						\
		fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__,	\
		    __LINE__, #expr);					\
	}								\
} while (0)

void	test_decode(void);
void	test_stream_id(void);
void	test_event(void);
void	test_token(void);
void	test_pace(void);
void	test_list_cache(void);

#endif
