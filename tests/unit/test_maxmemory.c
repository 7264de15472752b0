/*
 * REDIS_MAXMEMORY: a size as Redis reads maxmemory (digits, then kb, mb
 * or gb, any case, or nothing), 16 MiB at least, 1 GiB by default; and a
 * call refused at maxmemory is known as such (command_result's full),
 * whichever of Redis's two OOM messages it gets.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "command.h"
#include "config.h"

static int
size_is(const char *text, long long bytes)
{
	struct config cfg;

	setenv("REDIS_MAXMEMORY", text, 1);
	return config_load(&cfg) == 0 && cfg.redis_maxmemory == bytes;
}

static int
size_refused(const char *text)
{
	struct config cfg;

	setenv("REDIS_MAXMEMORY", text, 1);
	return config_load(&cfg) == -1;
}

static void
test_sizes(void)
{
	struct config cfg;

	unsetenv("REDIS_MAXMEMORY");
	CHECK("REDIS_MAXMEMORY is 1 GiB by default", config_load(&cfg) == 0 &&
	    cfg.redis_maxmemory == 1LL << 30);
	CHECK("64mb, 64MB and 65536kb are 64 MiB", size_is("64mb", 64 << 20) &&
	    size_is("64MB", 64 << 20) && size_is("65536kb", 64 << 20));
	CHECK("2gb is 2 GiB; digits alone are bytes", size_is("2gb", 2LL << 30) &&
	    size_is("16777216", 16 << 20));
	CHECK("under 16 MiB is refused", size_refused("1mb") &&
	    size_refused("16777215"));
	CHECK("a unit Redis would read otherwise (k, m: powers of 1000), or "
	    "none it knows, is refused", size_refused("64m") &&
	    size_refused("1tb") && size_refused("mb") &&
	    size_refused("-64mb") && size_refused("64 mb"));
	CHECK("past 1048576gb is refused, without overflow",
	    size_refused("1048577gb") && size_refused("9223372036854775807gb"));
	unsetenv("REDIS_MAXMEMORY");
}

static void
test_full(void)
{
	static const char *const oom[] = {
		"OOM command not allowed when used memory > 'maxmemory'.",
		"OOM allow-oom flag is not set on the script, can not run it "
		    "when used memory > 'maxmemory'",
	};
	redisReply r = { .type = REDIS_REPLY_ERROR };
	struct command_result res;
	size_t i;
	int ok = 1;

	for (i = 0; i < sizeof(oom) / sizeof(oom[0]); i++) {
		r.str = (char *)oom[i];
		r.len = strlen(oom[i]);
		command_result_of(&r, 1, &res);
		ok = ok && res.full && res.outcome == COMMAND_UNAVAILABLE;
	}
	CHECK("both OOM replies are a full Redis, unavailable", ok);
	r.str = (char *)"LOADING Redis is loading the dataset in memory";
	r.len = strlen(r.str);
	command_result_of(&r, 1, &res);
	CHECK("LOADING is not a full Redis", !res.full &&
	    res.outcome == COMMAND_UNAVAILABLE);
}

void
test_maxmemory(void)
{
	test_sizes();
	test_full();
}
