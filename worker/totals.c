#include <stdlib.h>
#include <string.h>

#include "totals.h"

#define SLOTS_MIN 64

static size_t
slot_of(const struct totals *t, int64_t account)
{
	/* Fibonacci hashing: ids that follow each other spread out. */
	return (size_t)(((uint64_t)account * 0x9E3779B97F4A7C15u) >> 32) &
	    (t->nslots - 1);
}

/* The slot that holds account, or the empty one where it would go. */
static size_t
probe(const struct totals *t, int64_t account)
{
	size_t i = slot_of(t, account);

	while (t->slot[i] != 0 && t->v[t->slot[i] - 1].account != account)
		i = (i + 1) & (t->nslots - 1);
	return i;
}

/* Twice the slots, and room in v for half as many entries; 0, or -1. */
static int
grow(struct totals *t)
{
	size_t nslots = t->nslots != 0 ? t->nslots * 2 : SLOTS_MIN, i;
	struct account_total *v;
	uint32_t *slot;

	if (nslots > UINT32_MAX ||
	    (slot = calloc(nslots, sizeof(*slot))) == NULL)
		return -1;
	if ((v = realloc(t->v, nslots / 2 * sizeof(*v))) == NULL) {
		free(slot);
		return -1;
	}
	free(t->slot);
	t->v = v;
	t->slot = slot;
	t->nslots = nslots;
	for (i = 0; i < t->n; i++)
		t->slot[probe(t, t->v[i].account)] = (uint32_t)(i + 1);
	return 0;
}

void
totals_clear(struct totals *t)
{
	if (t->slot != NULL)
		memset(t->slot, 0, t->nslots * sizeof(*t->slot));
	t->n = 0;
}

struct account_total *
totals_get(struct totals *t, int64_t account)
{
	struct account_total *a;
	size_t i;

	if (t->nslots != 0) {
		i = probe(t, account);
		if (t->slot[i] != 0)
			return &t->v[t->slot[i] - 1];
	}
	if ((t->n + 1) * 2 > t->nslots && grow(t) == -1)
		return NULL;
	a = &t->v[t->n++];
	memset(a, 0, sizeof(*a));
	a->account = account;
	t->slot[probe(t, account)] = (uint32_t)t->n;
	return a;
}

void
totals_free(struct totals *t)
{
	free(t->v);
	free(t->slot);
	memset(t, 0, sizeof(*t));
}
