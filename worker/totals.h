/*
 * The account totals one batch changes, by account: the projector adds
 * each change of a customer's total to its account's running total here
 * and writes each account's total once, before the batch's COMMIT
 * (projector.c), where a trigger per row used to write it every time.
 */
#ifndef TOTALS_H
#define TOTALS_H

#include <stddef.h>
#include <stdint.h>

struct account_total {
	int64_t	account;
	int	loaded;		/* 0: read it from the accounts table first */
	int	missing;	/* the table has no such row: nothing to keep */
	int64_t	before;		/* as the accounts table had it */
	int64_t	total;		/* with the batch's changes so far */
};

struct totals {
	struct account_total *v;	/* n of them in use, in arrival order */
	size_t		 n;
	uint32_t	*slot;		/* 1 + an index into v; 0: empty */
	size_t		 nslots;	/* a power of 2, at least 2 n */
};

/* Empties t for the next batch; it keeps its memory. */
void	totals_clear(struct totals *t);

/* account's entry, new (not loaded) if t had none; NULL: out of memory. */
struct account_total *totals_get(struct totals *t, int64_t account);

/* Frees t's memory; t is then empty, and usable again. */
void	totals_free(struct totals *t);

#endif
