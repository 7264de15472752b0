/*
 * The last few GET /accounts answers of this process, each for one user
 * and one version of the read model (list_cache.c says why).
 */
#ifndef LIST_CACHE_H
#define LIST_CACHE_H

#include <stddef.h>

#include "reader.h"
#include "token.h"

/* 8 answers of at most 32 KiB: 256 KiB at worst. */
#define LIST_CACHE_ENTRIES	8
#define LIST_CACHE_BODY_MAX	(32 * 1024)

struct list_cache_entry {
	char			user[TOKEN_USER_MAX];
	struct reader_version	version;
	char			*body;	/* owned; NULL if free */
};

struct list_cache {
	struct list_cache_entry	entries[LIST_CACHE_ENTRIES];
	size_t			next;	/* the entry to replace */
};

/* The user's answer at this version, or NULL. */
const char *list_cache_get(struct list_cache *c, const char *user,
	    const struct reader_version *version);
/* Keeps a copy of body; a body too large, or no memory, keeps nothing. */
void	 list_cache_put(struct list_cache *c, const char *user,
	    const struct reader_version *version, const char *body,
	    size_t len);

#endif
