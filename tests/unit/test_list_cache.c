#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "list_cache.h"
#include "check.h"

static void
clear(struct list_cache *c)
{
	size_t i;

	for (i = 0; i < LIST_CACHE_ENTRIES; i++)
		free(c->entries[i].body);
	memset(c, 0, sizeof(*c));
}

void
test_list_cache(void)
{
	static struct list_cache c;
	struct reader_version v1 = { 1, 7 }, v2 = { 1, 8 }, v3 = { 2, 7 };
	char user[16], *big;
	const char *got;
	size_t i;

	CHECK("an empty cache has nothing",
	    list_cache_get(&c, "user1", &v1) == NULL);
	list_cache_put(&c, "user1", &v1, "[1]", 3);
	CHECK("an answer put is got back for its user and version",
	    (got = list_cache_get(&c, "user1", &v1)) != NULL &&
	    strcmp(got, "[1]") == 0);
	/* Another user, another commit, another opening of the file: no. */
	CHECK("another user does not get it",
	    list_cache_get(&c, "user2", &v1) == NULL);
	CHECK("another commit does not get it",
	    list_cache_get(&c, "user1", &v2) == NULL);
	CHECK("another opening of the file does not get it",
	    list_cache_get(&c, "user1", &v3) == NULL);
	/* A newer answer replaces the user's entry, not another's. */
	list_cache_put(&c, "user2", &v1, "[2]", 3);
	list_cache_put(&c, "user1", &v2, "[1,1]", 5);
	CHECK("a newer answer is got at its version",
	    (got = list_cache_get(&c, "user1", &v2)) != NULL &&
	    strcmp(got, "[1,1]") == 0);
	CHECK("a newer answer replaces the user's older one",
	    list_cache_get(&c, "user1", &v1) == NULL);
	CHECK("a newer answer leaves another user's",
	    list_cache_get(&c, "user2", &v1) != NULL);

	/* More users than entries: the oldest go, the newest stay. */
	for (i = 0; i < LIST_CACHE_ENTRIES + 2; i++) {
		snprintf(user, sizeof(user), "u%zu", i);
		list_cache_put(&c, user, &v1, "[]", 2);
	}
	CHECK("past its size, the oldest user goes",
	    list_cache_get(&c, "u0", &v1) == NULL);
	snprintf(user, sizeof(user), "u%d", LIST_CACHE_ENTRIES + 1);
	CHECK("past its size, the newest user stays",
	    list_cache_get(&c, user, &v1) != NULL);

	/* An answer over the size limit is not kept. */
	big = calloc(1, LIST_CACHE_BODY_MAX + 2);
	CHECK("an answer over the limit can be allocated", big != NULL);
	if (big != NULL) {
		memset(big, 'x', LIST_CACHE_BODY_MAX + 1);
		list_cache_put(&c, "huge", &v1, big, LIST_CACHE_BODY_MAX + 1);
		CHECK("an answer over the size limit is not kept",
		    list_cache_get(&c, "huge", &v1) == NULL);
		free(big);
	}
	clear(&c);
}
