/*
 * A bounded number of slots shared by every process of a service, for
 * what only a few may do at once (reads waiting for the projection).  A
 * slot holds the pid that took it; a slot whose process died is free
 * again, so a killed process never keeps one.
 */
#ifndef SLOTS_H
#define SLOTS_H

#include <stdatomic.h>

#define SLOTS_MAX	64

struct slots_shm {
	_Atomic int	pid[SLOTS_MAX];
};

struct slots {
	struct slots_shm	*shm;	/* NULL: no sharing; nothing is bounded */
	int			 n;	/* slots in use: at most SLOTS_MAX */
};

/* Maps $VAR_DIR/<name>-<service>.bin with n slots. */
void	slots_open(struct slots *s, const char *var_dir, const char *name,
	    const char *service, int n);
/* A free slot, now this process's; -1 if every one is taken. */
int	slots_take(struct slots *s);
void	slots_give(struct slots *s, int slot);

#endif
