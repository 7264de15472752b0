/*
 * The limits per user: the rate rule (gcra.h), and the shared table across two real processes (a principal alone is
 * never refused; with another request in work, its spent time decides;
 * wait slots per principal).
 */
#include <sys/wait.h>

#include <signal.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "gcra.h"
#include "limiter.h"

static void
test_gcra(void)
{
	int64_t tat = 0;
	int i, refused = 0;

	/* 1 point a millisecond, 10 at once. */
	for (i = 0; i < 10; i++)
		refused += gcra_take(&tat, 1000000, 1000, 10000, 0) != 0;
	CHECK("a full bucket serves its burst at once", refused == 0);
	CHECK("one point more is refused, with a wait of at least 1 s",
	    gcra_take(&tat, 1000000, 1000, 10000, 0) == 1);
	CHECK("a refusal charges nothing", tat == 1000000 + 10000);
	CHECK("a point later, one more is served",
	    gcra_take(&tat, 1001000, 1000, 10000, 0) == 0);
	CHECK("forced, it is served and the bucket is only full",
	    gcra_take(&tat, 1001000, 5000, 10000, 1) == 0 &&
	    tat == 1001000 + 10000);
	tat = 0;
	CHECK("a cost over the whole burst waits the difference",
	    gcra_take(&tat, 0, 3500000, 1000000, 0) == 3);
	tat = 0;
	gcra_charge(&tat, 1000000, 5000000);
	CHECK("a charge after the fact may put the bucket in debt",
	    tat == 6000000);
	CHECK("in debt, even a free request waits until it is paid back",
	    gcra_take(&tat, 1000000, 0, 1000000, 0) == 4);
}

/*
 * A child that works for key, in service's table (at the rate of
 * RATE_PER_USER unset there: "share"), until the parent writes to its
 * pipe.
 */
static pid_t
service_child(const char *dir, const char *service, const char *key,
    int take_wait, int *release)
{
	int ready[2], go[2];
	struct limiter lim;
	pid_t pid;
	char c = 0;

	if (pipe(ready) == -1 || pipe(go) == -1)
		return -1;
	if ((pid = fork()) == 0) {
		limiter_open(&lim, dir, service, strcmp(service, "share") == 0 ?
		    -1 : 1000, 10, 2, 1);
		limiter_admit(&lim, key, 0);
		if (take_wait)
			limiter_wait_take(&lim, 0);
		if (write(ready[1], &c, 1) != 1 || read(go[0], &c, 1) != 1)
			_exit(1);
		limiter_done(&lim, 0);
		_exit(0);
	}
	close(ready[1]);
	close(go[0]);
	if (pid == -1 || read(ready[0], &c, 1) != 1)
		return -1;
	close(ready[0]);
	*release = go[1];
	return pid;
}

static pid_t
busy_child(const char *dir, const char *key, int take_wait, int *release)
{
	return service_child(dir, "unit", key, take_wait, release);
}

static void
child_end(pid_t pid, int release)
{
	char c = 0;

	if (write(release, &c, 1) != 1)
		return;
	close(release);
	waitpid(pid, NULL, 0);
}

static void
test_shared(const char *dir)
{
	struct limiter lim;
	int i, refused = 0, release;
	pid_t child;
	int64_t t = 1000000;

	/* One process's time (1,000 ms a second), 10 ms at once. */
	limiter_open(&lim, dir, "unit", 1000, 10, 2, 1);
	for (i = 0; i < 100; i++, t += 5000) {
		refused += limiter_admit(&lim, "u:alice", t) != 0;
		limiter_done(&lim, t + 5000);
	}
	CHECK("a user alone is never refused, 100 requests of 5 ms each",
	    refused == 0);
	child = busy_child(dir, "u:alice", 0, &release);
	limiter_admit(&lim, "u:alice", t);
	limiter_done(&lim, t + 50000);
	CHECK("with another request of hers in work, 50 ms spent at once "
	    "are past her 10: refused for a second",
	    child > 0 && limiter_admit(&lim, "u:alice", t + 50000) == 1);
	CHECK("another user is not", limiter_admit(&lim, "u:bob", t) == 0);
	limiter_done(&lim, t);
	CHECK("40 ms later her debt is paid: served again",
	    limiter_admit(&lim, "u:alice", t + 90000) == 0);
	limiter_done(&lim, t + 90000);
	child_end(child, release);
	CHECK("with her other request answered, she is served at once",
	    limiter_admit(&lim, "u:alice", t + 90000) == 0);
	limiter_done(&lim, t + 190000);

	t += 10000000;
	child = busy_child(dir, "u:carol", 1, &release);
	limiter_admit(&lim, "u:carol", t);
	CHECK("a user holding her one wait slot gets no second",
	    child > 0 && limiter_wait_take(&lim, t) == -1);
	limiter_done(&lim, t);
	limiter_admit(&lim, "u:dave", t);
	CHECK("another user gets the other slot",
	    limiter_wait_take(&lim, t) == 0);
	limiter_wait_give(&lim, t + 2000000);
	limiter_done(&lim, t + 2000000);
	child_end(child, release);
	child = busy_child(dir, "u:dave", 0, &release);
	CHECK("the 2 s he waited were not charged: with another request in "
	    "work, he is served", child > 0 &&
	    limiter_admit(&lim, "u:dave", t + 2000000) == 0);
	limiter_done(&lim, t + 2000000);
	child_end(child, release);
	child = busy_child(dir, "u:carol", 1, &release);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	close(release);
	limiter_admit(&lim, "u:carol", t);
	CHECK("a killed process's wait slot is free again",
	    limiter_wait_take(&lim, t) == 0);
	limiter_done(&lim, t);
}

/*
 * RATE_PER_USER unset: one process (1,000 ms a second) for every four in
 * the table, one at least, and the burst grows alike.  20 ms of work
 * with 10 at once: paid back in 10 ms at 1,000, in 5 at 2,000 (eight
 * processes).
 */
#define SHARE_CHILDREN	7

static void
test_share(const char *dir)
{
	struct limiter lim;
	int release[SHARE_CHILDREN], started = 1;
	pid_t child[SHARE_CHILDREN];
	int64_t t = 1000000;
	int i;

	limiter_open(&lim, dir, "share", -1, 10, 2, 1);
	child[0] = service_child(dir, "share", "u:erin", 0, &release[0]);
	limiter_admit(&lim, "u:erin", t);
	limiter_done(&lim, t + 20000);
	CHECK("two processes: one process's rate, 20 ms of work still owed 5 "
	    "ms later", child[0] > 0 &&
	    limiter_admit(&lim, "u:erin", t + 25000) == 1);
	CHECK("and paid back 10 ms later",
	    limiter_admit(&lim, "u:erin", t + 30000) == 0);
	limiter_done(&lim, t + 30000);
	for (i = 1; i < SHARE_CHILDREN; i++)
		started &= (child[i] = service_child(dir, "share", "u:frank", 0,
		    &release[i])) > 0;
	t += 10000000;
	limiter_admit(&lim, "u:erin", t);
	limiter_done(&lim, t + 20000);
	CHECK("eight processes: 2,000 ms a second, paid back 5 ms later",
	    started && limiter_admit(&lim, "u:erin", t + 25000) == 0);
	limiter_done(&lim, t + 25000);
	t += 10000000;
	limiter_admit(&lim, "u:erin", t);
	limiter_done(&lim, t + 16000);
	CHECK("and the burst grows alike, to 20 ms: 16 ms at once leave room",
	    limiter_admit(&lim, "u:erin", t + 16000) == 0);
	limiter_done(&lim, t + 16000);
	for (i = 0; i < SHARE_CHILDREN; i++)
		if (child[i] > 0)
			child_end(child[i], release[i]);
}

/*
 * Processes killed at random while they admit and finish requests as
 * fast as they can: about half the time inside the table's lock.  Each
 * death inside it must hand the lock on (a robust mutex), or the next
 * admit would wait forever: the alarm fails the test then.
 */
static void
test_killed_inside(const char *dir)
{
	struct limiter lim;
	struct timespec pause = { 0, 3000000 };
	int i, ok;
	pid_t pid;

	for (i = 0; i < 20; i++) {
		if ((pid = fork()) == 0) {
			limiter_open(&lim, dir, "unit", 1000, 10, 2, 1);
			for (;;) {
				limiter_admit(&lim, "u:erin", 0);
				limiter_done(&lim, 0);
			}
		}
		nanosleep(&pause, NULL);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	alarm(10);
	limiter_open(&lim, dir, "unit", 1000, 10, 2, 1);
	ok = limiter_admit(&lim, "u:erin", 0) == 0;
	limiter_done(&lim, 0);
	alarm(0);
	CHECK("20 processes killed while they use the table: it is still "
	    "usable, and they count for nothing", ok);
}

void
test_limiter(void)
{
	char dir[] = "/tmp/unit-limiter.XXXXXX";
	char path[64];

	test_gcra();
	if (mkdtemp(dir) == NULL) {
		CHECK("a temporary folder for the shared table", 0);
		return;
	}
	test_shared(dir);
	test_share(dir);
	test_killed_inside(dir);
	snprintf(path, sizeof(path), "%s/limits-unit.bin", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/limits-share.bin", dir);
	unlink(path);
	rmdir(dir);
}
