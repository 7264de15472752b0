/*
 * The last few GET /accounts answers of this process, each for one user,
 * one page and one version of the read model (list_cache.c says why).
 */
#ifndef LIST_CACHE_H
#define LIST_CACHE_H

#include <stddef.h>

#include "page.h"
#include "reader.h"
#include "token.h"

/* 8 answers of at most 32 KiB: 256 KiB at worst. */
#define LIST_CACHE_ENTRIES	8
#define LIST_CACHE_BODY_MAX	(32 * 1024)
#define LIST_CACHE_LINK_MAX	160

/* What names an answer: the user, the page asked for, the version read. */
struct list_cache_key {
	char			user[TOKEN_USER_MAX];
	int			limit;
	char			cursor[PAGE_CURSOR_MAX];
	struct reader_version	version;
};

struct list_cache_entry {
	struct list_cache_key	key;
	char			*body;	/* owned; NULL if free */
	char			link[LIST_CACHE_LINK_MAX];	/* "" if none */
};

struct list_cache {
	struct list_cache_entry	entries[LIST_CACHE_ENTRIES];
	size_t			next;	/* the entry to replace */
};

/* Fills in all of the key but its version. */
void	 list_cache_key_set(struct list_cache_key *k, const char *user,
	    int limit, const char *cursor);
/* The answer for key and its Link header line (NULL for none); or NULL. */
const char *list_cache_get(struct list_cache *c,
	    const struct list_cache_key *key, const char **link);
/* Keeps a copy; a body or link too large, or no memory, keeps nothing. */
void	 list_cache_put(struct list_cache *c, const struct list_cache_key *key,
	    const char *body, size_t len, const char *link);

#endif
