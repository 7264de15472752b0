#include <string.h>

#include "check.h"
#include "redis.h"
#include "sentinel.h"

void
test_sentinel(void)
{
	struct sentinels s;

	CHECK("no REDIS_SENTINELS: none, REDIS_HOST is the primary",
	    sentinels_parse(&s, NULL, "microsvc") == 0 && s.n == 0 &&
	    sentinels_parse(&s, "", "microsvc") == 0 && s.n == 0);
	CHECK("three Sentinels, each host and port, and the master's name",
	    sentinels_parse(&s, "10.77.0.2:26379,10.77.0.7:26380,web:1",
	    "microsvc") == 0 && s.n == 3 &&
	    strcmp(s.at[0].host, "10.77.0.2") == 0 && s.at[0].port == 26379 &&
	    strcmp(s.at[1].host, "10.77.0.7") == 0 && s.at[1].port == 26380 &&
	    strcmp(s.at[2].host, "web") == 0 && s.at[2].port == 1 &&
	    strcmp(s.master, "microsvc") == 0);
	CHECK("a Sentinel without a port is refused",
	    sentinels_parse(&s, "10.77.0.2", "m") == -1);
	CHECK("port 0, 65536 or not a number is refused",
	    sentinels_parse(&s, "a:0", "m") == -1 &&
	    sentinels_parse(&s, "a:65536", "m") == -1 &&
	    sentinels_parse(&s, "a:26379x", "m") == -1 &&
	    sentinels_parse(&s, "a:", "m") == -1);
	CHECK("an empty item or host is refused",
	    sentinels_parse(&s, "a:1,,b:2", "m") == -1 &&
	    sentinels_parse(&s, ":26379", "m") == -1 &&
	    sentinels_parse(&s, "a:1,", "m") == -1);
	CHECK("more than SENTINELS_MAX is refused",
	    sentinels_parse(&s, "a:1,b:1,c:1,d:1,e:1,f:1", "m") == -1);
	CHECK("an empty master name is refused with Sentinels",
	    sentinels_parse(&s, "a:1", "") == -1);
	CHECK("on the Sentinels, their own role is their default user, the "
	    "programs' is the user discovery (not the Sentinels' own)",
	    strcmp(redis_role_user(REDIS_ROLE_SENTINEL), "default") == 0 &&
	    strcmp(redis_role_user(REDIS_ROLE_DISCOVERY), "discovery") == 0);
}
