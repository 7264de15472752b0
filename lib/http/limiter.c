#include <sys/file.h>
#include <sys/mman.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "gcra.h"
#include "limiter.h"
#include "log.h"
#include "shm.h"

#define LIMITER_VERSION	2	/* the layout of struct limiter_shm */
/*
 * Buckets of principals whose bucket is not full, users and addresses
 * apart: strangers' addresses, of which an IPv6 client has many /64s,
 * can never push a user's bucket out.  A bucket is looked for in
 * LIMITER_PROBES places.  Users beyond: unbounded, logged; addresses
 * beyond: refused, so a flood of addresses bounds itself.
 */
#define LIMITER_BUCKETS	4096
#define LIMITER_PROBES	16
/* Processes of one service: lighttpd's max-procs, or spawn-fcgi's -F. */
#define LIMITER_PROCS	64

struct limiter_bucket {
	uint64_t	hash;
	int64_t		tat_us;		/* GCRA's theoretical arrival time */
	char		key[LIMITER_KEY_MAX];
};

/* What one process is doing; only that process writes its entry. */
struct limiter_proc {
	int		pid;
	int		busy;		/* serving key */
	int		waiting;	/* holding a wait slot for key */
	uint64_t	hash;
	char		key[LIMITER_KEY_MAX];
};

struct limiter_shm {
	uint32_t		version;
	pthread_mutex_t		mutex;	/* robust, shared between processes */
	struct limiter_proc	procs[LIMITER_PROCS];
	struct limiter_bucket	users[LIMITER_BUCKETS];
	struct limiter_bucket	addrs[LIMITER_BUCKETS];
};

/*
 * Every read and write of the table is under a process-shared robust
 * mutex in the table itself: uncontended, taking it is one atomic
 * instruction, no system call (the flock(2) it replaces cost two
 * system calls per lock, four per request).  Robust: when its holder
 * dies, the kernel hands it to the next taker with EOWNERDEAD, so a
 * process killed inside cannot stop the others; each write here leaves
 * the table valid, so it is marked consistent and used on.  flock stays
 * for making the table (limiter_open): the mutex cannot guard its own
 * initialisation.
 */
static void
lock(const struct limiter *lim)
{
	if (pthread_mutex_lock(&lim->shm->mutex) == EOWNERDEAD)
		pthread_mutex_consistent(&lim->shm->mutex);
}

static void
unlock(const struct limiter *lim)
{
	pthread_mutex_unlock(&lim->shm->mutex);
}

static void
file_lock(const struct limiter *lim)
{
	while (flock(lim->fd, LOCK_EX) == -1 && errno == EINTR)
		;
}

static void
file_unlock(const struct limiter *lim)
{
	flock(lim->fd, LOCK_UN);
}

/* A table of this layout, with its mutex; 0, or -1 if it cannot be. */
static int
table_init(struct limiter_shm *shm)
{
	pthread_mutexattr_t attr;
	int rc;

	memset(shm, 0, sizeof(*shm));
	if (pthread_mutexattr_init(&attr) != 0)
		return -1;
	rc = pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED) ||
	    pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST) ||
	    pthread_mutex_init(&shm->mutex, &attr);
	pthread_mutexattr_destroy(&attr);
	if (rc != 0)
		return -1;
	shm->version = LIMITER_VERSION;
	return 0;
}

/* FNV-1a: spreads the keys; the key itself is compared on a match. */
static uint64_t
hash_of(const char *s)
{
	uint64_t h = 14695981039346656037ULL;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static int
alive(int pid)
{
	return pid > 0 && !(kill(pid, 0) == -1 && errno == ESRCH);
}

/*
 * An entry of its own: free, or of a process that is gone.  Every entry
 * of a process that is gone is freed first, so that the entries in use
 * are the service's processes (procs_of): a stack started again with
 * fewer leaves none behind.
 */
static int
claim(struct limiter_shm *shm)
{
	int i, mine = -1, pid = (int)getpid();

	for (i = 0; i < LIMITER_PROCS; i++)
		if (shm->procs[i].pid != pid && !alive(shm->procs[i].pid))
			memset(&shm->procs[i], 0, sizeof(shm->procs[i]));
	for (i = 0; i < LIMITER_PROCS && mine == -1; i++)
		if (shm->procs[i].pid == pid || shm->procs[i].pid == 0)
			mine = i;
	if (mine != -1) {
		memset(&shm->procs[mine], 0, sizeof(shm->procs[mine]));
		shm->procs[mine].pid = pid;
	}
	return mine;
}

/* The service's processes: the entries taken (a killed one's until its
 * successor takes it). */
static int
procs_of(const struct limiter_shm *shm)
{
	int i, n = 0;

	for (i = 0; i < LIMITER_PROCS; i++)
		n += shm->procs[i].pid != 0;
	return n > 0 ? n : 1;
}

/*
 * The rate now: RATE_PER_USER, or one process for every four there are
 * (in whole processes: the accounts service's four and its login process
 * keep the one they had, 1,000; with 1,250 an attack of 16 loops of
 * pages got 120 pages to 70, and its victim's p90 passed its bound).
 */
static int
rate_of(const struct limiter *lim)
{
	int share;

	if (lim->rate >= 0)
		return lim->rate;
	share = lim->shm == NULL ? 0 : procs_of(lim->shm) / LIMITER_SHARE;
	return share > 1 ? share * LIMITER_ONE_MS : LIMITER_ONE_MS;
}

/* Microseconds of work in the bucket's time: at the rate, 1 ms a ms/s. */
static int64_t
bucket_time(int rate, int64_t work_us)
{
	return work_us * 1000 / rate;
}

/*
 * The bucket's depth, in its time: RATE_BURST of work, which grows with
 * the default rate, so that it stays two seconds of the rate whatever the
 * processes.  Charges come as requests end, a user's at once: 8 requests
 * of 600 ms on 32 processes (WAIT on a loaded machine) are 4.8 s of work,
 * and a depth of 2 s of work refused an honest pool there.
 */
static int64_t
depth_of(const struct limiter *lim, int rate)
{
	int64_t work_us = (int64_t)lim->burst_ms * 1000;

	if (lim->rate < 0)
		work_us = work_us * rate / LIMITER_ONE_MS;
	return bucket_time(rate, work_us);
}

void
limiter_open(struct limiter *lim, const char *var_dir, const char *service,
    int rate_ms, int burst_ms, int waiters, int waiters_per_user)
{
	memset(lim, 0, sizeof(*lim));
	lim->fd = -1;
	lim->me = -1;
	lim->waiters = waiters;
	lim->waiters_per_user = waiters_per_user;
	lim->rate = rate_ms;
	lim->burst_ms = burst_ms;
	if ((lim->shm = shm_map_fd(var_dir, "limits", service,
	    sizeof(struct limiter_shm), &lim->fd)) == NULL)
		return;
	file_lock(lim);
	/* A file of another layout: start over rather than misread it. */
	if (lim->shm->version != LIMITER_VERSION &&
	    table_init(lim->shm) == -1) {
		file_unlock(lim);
		log_warn("limits off: no shared mutex");
		munmap(lim->shm, sizeof(*lim->shm));
		lim->shm = NULL;
		return;
	}
	file_unlock(lim);
	lock(lim);
	lim->me = claim(lim->shm);
	unlock(lim);
	if (lim->me == -1)
		log_warn("limits: more than %d processes; this one counts as "
		    "always busy", LIMITER_PROCS);
}

void
limiter_key(const char *user, const char *remote_addr,
    char key_out[LIMITER_KEY_MAX])
{
	char addr[ADDR_KEY_MAX];

	if (user != NULL && user[0] != '\0')
		snprintf(key_out, LIMITER_KEY_MAX, "u:%s", user);
	else
		snprintf(key_out, LIMITER_KEY_MAX, "a:%s",
		    addr_key(remote_addr, addr));
}

/* key's bucket, found or made; NULL when all its places are in use. */
static struct limiter_bucket *
bucket_of(struct limiter_shm *shm, const char *key, uint64_t h,
    int64_t now_us)
{
	struct limiter_bucket *table = key[0] == 'u' ? shm->users : shm->addrs;
	struct limiter_bucket *b, *spare = NULL;
	int i;

	for (i = 0; i < LIMITER_PROBES; i++) {
		b = &table[(h + (uint64_t)i) % LIMITER_BUCKETS];
		if (b->hash == h && strcmp(b->key, key) == 0)
			return b;
		/* A full bucket is as good as none: its place is free. */
		if (spare == NULL && b->tat_us <= now_us)
			spare = b;
	}
	if (spare != NULL) {
		spare->hash = h;
		spare->tat_us = 0;
		snprintf(spare->key, sizeof(spare->key), "%s", key);
	}
	return spare;
}

/*
 * Other processes working for key now (waiting: holding a wait); live
 * ones only when checked, as each costs a kill(2).
 */
static int
others(const struct limiter_shm *shm, int me, const char *key, uint64_t h,
    int waiting, int checked)
{
	const struct limiter_proc *p;
	int i, n = 0;

	for (i = 0; i < LIMITER_PROCS; i++) {
		p = &shm->procs[i];
		if (i == me || !(waiting ? p->waiting : p->busy))
			continue;
		if ((key == NULL || (p->hash == h && strcmp(p->key, key) == 0))
		    && (!checked || alive(p->pid)))
			n++;
	}
	return n;
}

/*
 * A request of key's beside others of key's: what the bucket says.  The
 * others are taken as live until the bucket would refuse; only then is
 * each checked (a killed process's entry must not refuse anyone).  A
 * client of several connections at once keeps every process busy for
 * it, and checking them all cost up to three kill(2) per request.
 */
static int
take_beside_others(struct limiter *lim, struct limiter_bucket *b,
    const char *key, uint64_t h, int64_t now_us, int64_t depth)
{
	int wait;

	if (lim->me != -1 && others(lim->shm, lim->me, key, h, 0, 0) == 0)
		return 0;
	/* Taking nothing: a refusal leaves the bucket as it was. */
	wait = gcra_take(&b->tat_us, now_us, 0, depth, 0);
	if (wait > 0 && lim->me != -1 &&
	    others(lim->shm, lim->me, key, h, 0, 1) == 0)
		return 0;
	return wait;
}

int
limiter_admit(struct limiter *lim, const char *key, int64_t now_us)
{
	struct limiter_proc *me;
	struct limiter_bucket *b;
	uint64_t h = hash_of(key);
	int wait = 0, rate;

	lim->since_us = now_us;
	lim->waited_us = 0;
	if (lim->shm == NULL)
		return 0;
	lock(lim);
	rate = rate_of(lim);
	b = rate == 0 ? NULL : bucket_of(lim->shm, key, h, now_us);
	if (rate != 0 && b == NULL)
		wait = key[0] == 'u' ? 0 : 1;
	else if (b != NULL)
		wait = take_beside_others(lim, b, key, h, now_us,
		    depth_of(lim, rate));
	if (wait == 0 && lim->me != -1) {
		me = &lim->shm->procs[lim->me];
		me->busy = 1;
		me->hash = h;
		snprintf(me->key, sizeof(me->key), "%s", key);
	}
	unlock(lim);
	if (rate != 0 && b == NULL)
		log_warn("limits: no room for %s", key);
	return wait;
}

void
limiter_done(struct limiter *lim, int64_t now_us)
{
	struct limiter_proc *me;
	struct limiter_bucket *b;
	int rate;

	if (lim->shm == NULL || lim->me == -1)
		return;
	lock(lim);
	me = &lim->shm->procs[lim->me];
	rate = rate_of(lim);
	if (me->busy && rate != 0 &&
	    (b = bucket_of(lim->shm, me->key, me->hash, now_us)) != NULL)
		gcra_charge(&b->tat_us, now_us, bucket_time(rate,
		    now_us - lim->since_us - lim->waited_us));
	me->busy = 0;
	me->waiting = 0;
	unlock(lim);
}

int
limiter_wait_take(struct limiter *lim, int64_t now_us)
{
	struct limiter_proc *me;
	int ok;

	if (lim->shm == NULL)
		return 0;	/* cannot share: no bound (logged at start) */
	if (lim->me == -1)
		return -1;
	lock(lim);
	me = &lim->shm->procs[lim->me];
	ok = others(lim->shm, lim->me, NULL, 0, 1, 1) < lim->waiters &&
	    others(lim->shm, lim->me, me->key, me->hash, 1, 1) <
	    lim->waiters_per_user;
	if (ok)
		me->waiting = 1;
	unlock(lim);
	lim->wait_from_us = now_us;
	return ok ? 0 : -1;
}

void
limiter_wait_give(struct limiter *lim, int64_t now_us)
{
	lim->waited_us += now_us - lim->wait_from_us;
	if (lim->shm == NULL || lim->me == -1)
		return;
	lock(lim);
	lim->shm->procs[lim->me].waiting = 0;
	unlock(lim);
}
