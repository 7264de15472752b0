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

/* A key for USER's page (LIMIT, CURSOR) at version V. */
static struct list_cache_key
key(const char *user, int limit, const char *cursor, struct reader_version v)
{
	struct list_cache_key k;

	memset(&k, 0, sizeof(k));
	list_cache_key_set(&k, user, limit, cursor);
	k.version = v;
	return k;
}

static const char *
get(struct list_cache *c, struct list_cache_key k, const char **link)
{
	const char *ignored;

	return list_cache_get(c, &k, link != NULL ? link : &ignored);
}

static void
put(struct list_cache *c, struct list_cache_key k, const char *body,
    const char *link)
{
	list_cache_put(c, &k, body, strlen(body), link);
}

static void
pages_and_versions(struct list_cache *c)
{
	struct reader_version v1 = { 1, 7 }, v2 = { 1, 8 }, v3 = { 2, 7 };
	const char *got, *link = "x";

	CHECK("an empty cache has nothing",
	    get(c, key("user1", 200, "", v1), NULL) == NULL);
	put(c, key("user1", 200, "", v1), "[1]", "");
	CHECK("an answer put is got back for its user, page and version",
	    (got = get(c, key("user1", 200, "", v1), &link)) != NULL &&
	    strcmp(got, "[1]") == 0);
	CHECK("an answer without a next page has no Link", link == NULL);
	CHECK("another user does not get it",
	    get(c, key("user2", 200, "", v1), NULL) == NULL);
	CHECK("another commit does not get it",
	    get(c, key("user1", 200, "", v2), NULL) == NULL);
	CHECK("another opening of the file does not get it",
	    get(c, key("user1", 200, "", v3), NULL) == NULL);
	CHECK("another page size does not get it",
	    get(c, key("user1", 10, "", v1), NULL) == NULL);
	CHECK("another cursor does not get it",
	    get(c, key("user1", 200, "3.4", v1), NULL) == NULL);

	put(c, key("user1", 2, "", v1), "[1,2]", "</accounts?limit=2&cursor=2.5>; rel=\"next\"");
	CHECK("a cut page comes back with its Link",
	    get(c, key("user1", 2, "", v1), &link) != NULL && link != NULL &&
	    strstr(link, "cursor=2.5") != NULL);
	CHECK("a user's newer page replaces the user's older one",
	    get(c, key("user1", 200, "", v1), NULL) == NULL);
	put(c, key("user2", 200, "", v1), "[2]", "");
	CHECK("another user's answer leaves the first user's",
	    get(c, key("user1", 2, "", v1), NULL) != NULL);
}

static void
sizes(struct list_cache *c)
{
	struct reader_version v1 = { 1, 7 };
	char user[16], link[LIST_CACHE_LINK_MAX + 1], *big;
	size_t i;

	/* More users than entries: the oldest go, the newest stay. */
	for (i = 0; i < LIST_CACHE_ENTRIES + 2; i++) {
		snprintf(user, sizeof(user), "u%zu", i);
		put(c, key(user, 200, "", v1), "[]", "");
	}
	CHECK("past its size, the oldest user goes",
	    get(c, key("u0", 200, "", v1), NULL) == NULL);
	snprintf(user, sizeof(user), "u%d", LIST_CACHE_ENTRIES + 1);
	CHECK("past its size, the newest user stays",
	    get(c, key(user, 200, "", v1), NULL) != NULL);

	memset(link, 'l', sizeof(link) - 1);
	link[sizeof(link) - 1] = '\0';
	put(c, key("longlink", 200, "", v1), "[]", link);
	CHECK("an answer whose Link does not fit is not kept",
	    get(c, key("longlink", 200, "", v1), NULL) == NULL);

	big = calloc(1, LIST_CACHE_BODY_MAX + 2);
	CHECK("an answer over the limit can be allocated", big != NULL);
	if (big != NULL) {
		memset(big, 'x', LIST_CACHE_BODY_MAX + 1);
		put(c, key("huge", 200, "", v1), big, "");
		CHECK("an answer over the size limit is not kept",
		    get(c, key("huge", 200, "", v1), NULL) == NULL);
		free(big);
	}
}

void
test_list_cache(void)
{
	static struct list_cache c;

	pages_and_versions(&c);
	clear(&c);
	sizes(&c);
	clear(&c);
}
