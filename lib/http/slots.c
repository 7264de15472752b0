#include <errno.h>
#include <signal.h>
#include <unistd.h>

#include "shm.h"
#include "slots.h"

void
slots_open(struct slots *s, const char *var_dir, const char *name,
    const char *service, int n)
{
	s->n = n < SLOTS_MAX ? n : SLOTS_MAX;
	s->shm = shm_map(var_dir, name, service, sizeof(struct slots_shm));
}

static int
gone(int pid)
{
	return kill(pid, 0) == -1 && errno == ESRCH;
}

int
slots_take(struct slots *s)
{
	int i, held, me = (int)getpid();

	if (s->shm == NULL)
		return SLOTS_MAX;	/* cannot share: a slot of its own */
	for (i = 0; i < s->n; i++) {
		held = atomic_load(&s->shm->pid[i]);
		if ((held == 0 || gone(held)) &&
		    atomic_compare_exchange_strong(&s->shm->pid[i], &held, me))
			return i;
	}
	return -1;
}

void
slots_give(struct slots *s, int slot)
{
	if (s->shm != NULL && slot >= 0 && slot < SLOTS_MAX)
		atomic_store(&s->shm->pid[slot], 0);
}
