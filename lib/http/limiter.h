/*
 * Fairness per user: a request-rate and a concurrent-requests limiter,
 * as the public APIs have them (Stripe's two), in memory that every
 * process of a service shares (shm.h), so that no round trip is added.
 *
 * Cost.  A request costs the time it held this service's process, so a
 * page of 1,000 costs what it takes, more than a POST, and no table of
 * points can fall behind the code (GitHub's secondary limits count CPU
 * time the same way).  The time a read spends waiting for the
 * projection (?after=) is not counted: the wait slots bound it.
 *
 * Rate.  Each principal may spend RATE_PER_USER milliseconds of process
 * time a second (1,000: one process), and RATE_BURST at once: a bucket
 * (gcra.h) charged as each request ends.  Unset, the rate is one
 * process for every LIMITER_SHARE of the pool's processes (counted in
 * the shared table below; each pool of a service, FCGI_POOL, has its
 * own), one at least: 1,000 with accounts' four and
 * its login process, 8,000 with customers' thirty-two, so that a
 * service given more processes does not refuse an honest pool its share
 * of them (8 users of 8 connections each hold 4 of the 32: 4,000); and
 * RATE_BURST grows with it.  The
 * principal is the token's user, or the client's address (addr_key.h)
 * where there is no user: /status, /metrics, /auth/login.
 *
 * Concurrency.  A principal with no other request in this service's
 * processes is never refused: one request at a time holds one process at
 * most, so it cannot starve the others, and a client that waits for each
 * answer is honest by any measure.  Past that, a principal whose bucket
 * is spent gets 429 with Retry-After.  Requests in work are counted per
 * process, so a finished, reset or hung-up request no longer counts, a
 * killed process counts for nothing, and the cost of a request does not
 * grow with the number of open connections (lighttpd holds those).
 *
 * Waits.  Reads that wait for the projection hold a process for up to
 * READ_WAIT_MS: at most READ_WAITERS at once in the service, and at most
 * READ_WAITERS_PER_USER of them one principal's.
 */
#ifndef LIMITER_H
#define LIMITER_H

#include <stdint.h>

#include "addr_key.h"
#include "contract.h"

/* "u:" and a user name, or "a:" and an address key. */
#define LIMITER_KEY_MAX	(2 + (CONTRACT_USER_MAX > ADDR_KEY_MAX ? \
			    CONTRACT_USER_MAX : ADDR_KEY_MAX) + 1)
/* The default rate: one process (1,000 ms a second) for every four. */
#define LIMITER_ONE_MS		1000
#define LIMITER_SHARE		4

struct limiter_shm;

struct limiter {
	struct limiter_shm	*shm;	/* NULL: off (no file) */
	int			 fd;	/* the file, for flock */
	int			 me;	/* this process's entry; -1 none */
	/* ms of work a second; 0: no rate; -1: the default (above) */
	int			 rate;
	int			 burst_ms;
	int			 waiters, waiters_per_user;
	/* The request in hand. */
	int64_t			 since_us, wait_from_us, waited_us;
};

/*
 * Maps $VAR_DIR/limits-<service>.bin and takes an entry for this
 * process.  rate 0 turns the rate off (the wait slots stay), -1 makes it
 * the default, one process for every four of the service's; without the
 * file everything is off, logged.
 */
void	limiter_open(struct limiter *lim, const char *var_dir,
	    const char *service, int rate_ms, int burst_ms, int waiters,
	    int waiters_per_user);

/* The principal's key: key_out gets "u:<user>" or "a:<address key>". */
void	limiter_key(const char *user, const char *remote_addr,
	    char key_out[LIMITER_KEY_MAX]);

/*
 * A request of key's, at now.  0: go on (this process now works for
 * key); n > 0: refused, retry in n seconds.
 */
int	limiter_admit(struct limiter *lim, const char *key, int64_t now_us);
/* The request is answered: its time is charged, and it counts no more. */
void	limiter_done(struct limiter *lim, int64_t now_us);

/* A wait slot for the principal being served: 0, or -1 if none is free. */
int	limiter_wait_take(struct limiter *lim, int64_t now_us);
void	limiter_wait_give(struct limiter *lim, int64_t now_us);

#endif
