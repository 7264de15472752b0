/*
 * The last few GET /accounts answers of this process, each for one user
 * and one version of the read model.  Without it, every GET /accounts
 * rebuilt the same accounts and customers from SQLite and serialised them
 * with json-c: most of the request's cost (see make bench), while the
 * read model only changes when the worker commits.  A version names the
 * contents exactly (reader_begin), so an answer from here is the
 * answer the database would give.
 */
#include <stdlib.h>
#include <string.h>

#include "list_cache.h"

static int
same_version(const struct reader_version *a,
    const struct reader_version *b)
{
	return a->generation == b->generation && a->data == b->data;
}

static struct list_cache_entry *
find(struct list_cache *c, const char *user)
{
	size_t i;

	for (i = 0; i < LIST_CACHE_ENTRIES; i++)
		if (c->entries[i].body != NULL &&
		    strcmp(c->entries[i].user, user) == 0)
			return &c->entries[i];
	return NULL;
}

const char *
list_cache_get(struct list_cache *c, const char *user,
    const struct reader_version *version)
{
	struct list_cache_entry *e = find(c, user);

	return e != NULL && same_version(&e->version, version) ? e->body : NULL;
}

void
list_cache_put(struct list_cache *c, const char *user,
    const struct reader_version *version, const char *body, size_t len)
{
	struct list_cache_entry *e;
	size_t ulen = strlen(user);

	if (len > LIST_CACHE_BODY_MAX || ulen >= sizeof(e->user))
		return;
	if ((e = find(c, user)) == NULL) {
		e = &c->entries[c->next];
		c->next = (c->next + 1) % LIST_CACHE_ENTRIES;
	}
	free(e->body);
	if ((e->body = malloc(len + 1)) == NULL)
		return;
	memcpy(e->body, body, len + 1);
	memcpy(e->user, user, ulen + 1);
	e->version = *version;
}
