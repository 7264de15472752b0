/*
 * The last few GET /accounts answers of this process, each for one user,
 * one page and one version of the read model.  Without it, every GET
 * /accounts rebuilt the same accounts and customers from SQLite and
 * serialised them with json-c: most of the request's cost (see make
 * bench), while the read model only changes when the worker commits.  A
 * version names the contents exactly (reader_begin), so an answer from
 * here is the answer the database would give.  One entry per user: a new
 * page or version replaces the user's last.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "list_cache.h"

void
list_cache_key_set(struct list_cache_key *k, const char *user, int limit,
    const char *cursor)
{
	snprintf(k->user, sizeof(k->user), "%s", user);
	k->limit = limit;
	snprintf(k->cursor, sizeof(k->cursor), "%s", cursor);
}

static int
same_key(const struct list_cache_key *a, const struct list_cache_key *b)
{
	return a->version.generation == b->version.generation &&
	    a->version.data == b->version.data && a->limit == b->limit &&
	    strcmp(a->cursor, b->cursor) == 0;
}

static struct list_cache_entry *
find(struct list_cache *c, const char *user)
{
	size_t i;

	for (i = 0; i < LIST_CACHE_ENTRIES; i++)
		if (c->entries[i].body != NULL &&
		    strcmp(c->entries[i].key.user, user) == 0)
			return &c->entries[i];
	return NULL;
}

const char *
list_cache_get(struct list_cache *c, const struct list_cache_key *key,
    const char **link)
{
	struct list_cache_entry *e = find(c, key->user);

	if (e == NULL || !same_key(&e->key, key))
		return NULL;
	*link = e->link[0] != '\0' ? e->link : NULL;
	return e->body;
}

void
list_cache_put(struct list_cache *c, const struct list_cache_key *key,
    const char *body, size_t len, const char *link)
{
	struct list_cache_entry *e;

	if (len > LIST_CACHE_BODY_MAX || strlen(link) >= sizeof(e->link))
		return;
	if ((e = find(c, key->user)) == NULL) {
		e = &c->entries[c->next];
		c->next = (c->next + 1) % LIST_CACHE_ENTRIES;
	}
	free(e->body);
	if ((e->body = malloc(len + 1)) == NULL)
		return;
	memcpy(e->body, body, len + 1);
	e->key = *key;
	snprintf(e->link, sizeof(e->link), "%s", link);
}
