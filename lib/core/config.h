/*
 * Configuration shared by every program, read once from the environment
 * at start.  Defaults suit `make run` on one machine.
 */
#ifndef CONFIG_H
#define CONFIG_H

#include <limits.h>
#include <stddef.h>

#include "contract.h"
#include "sentinel.h"

#define CONFIG_SECRET_MAX 512
#define CONFIG_NAME_MAX	48	/* a consumer's name (CONSUMER_NAME) */

struct config {
	const char	*redis_host;	/* REDIS_HOST, 127.0.0.1 */
	int		 redis_port;	/* REDIS_PORT, 6379 */
	/* REDIS_SOCKET, unset: a unix socket's path, used instead of
	 * REDIS_HOST:REDIS_PORT (make run's Redis listens on no port), but
	 * never with REDIS_SENTINELS, who name a host and port. */
	const char	*redis_socket;
	int		 redis_timeout_ms; /* REDIS_TIMEOUT_MS, 1000 */
	/* REDIS_SENTINELS, REDIS_MASTER_NAME (microsvc): sentinel.h */
	struct sentinels sentinels;
	/* REDIS_WAIT_REPLICAS, 0: a command's answer waits for its event on
	 * that many replicas, at most REDIS_WAIT_TIMEOUT_MS (500), else 503. */
	int		 wait_replicas;
	int		 wait_timeout_ms;
	/* REDIS_MAXMEMORY, 1gb, in bytes: setup sets Redis's maxmemory to it,
	 * with maxmemory-policy noeviction (full: writes refused, 503). */
	long long	 redis_maxmemory;
	const char	*stream_key;	/* STREAM_KEY, event-stream */
	const char	*var_dir;	/* VAR_DIR, var */
	const char	*redis_auth_dir; /* REDIS_AUTH_DIR, $VAR_DIR: redis-<role>.pass */
	char		 db_path[PATH_MAX];	    /* ACCOUNTS_DB */
	char		 checkpoint_path[PATH_MAX]; /* CHECKPOINT_FILE */
	char		 secret_path[PATH_MAX];	    /* JWT_SECRET_FILE */
	char		 status_path[PATH_MAX];	    /* WORKER_STATUS_FILE */
	char		 acl_path[PATH_MAX];	    /* REDIS_ACL_FILE */
	int		 token_ttl;	/* TOKEN_TTL seconds, 900 */
	int		 login_max_pair; /* LOGIN_MAX_FAILURES, 5: one user from one address */
	int		 login_max_user; /* LOGIN_MAX_FAILURES_PER_USER, 50: from anywhere */
	int		 login_max_addr; /* LOGIN_MAX_FAILURES_PER_ADDR, 20: any user */
	int		 login_window;	/* LOGIN_WINDOW seconds, 60 */
	int		 read_wait_ms;	/* READ_WAIT_MS, 2000: longest ?after= wait */
	int		 read_waiters;	/* READ_WAITERS, 2: ?after= waits at once */
	int		 read_waiters_per_user; /* READ_WAITERS_PER_USER, 1 */
	int		 rate_per_user;	/* RATE_PER_USER ms of work/s; 0 off;
					   -1 (unset): limiter.h's default */
	int		 rate_burst;	/* RATE_BURST ms of work, 2000 */
	/* FCGI_POOL, unset: the pool of the service's processes this one
	 * belongs to, which has a limiter table of its own (limiter.h). */
	const char	*fcgi_pool;
	int		 idempotency_ttl; /* IDEMPOTENCY_TTL seconds, 86400: keys kept */
	int		 login_max_ok_user; /* LOGIN_MAX_SUCCESSES_PER_USER, 60 */
	int		 login_max_ok_addr; /* LOGIN_MAX_SUCCESSES_PER_ADDR, 120 */
	/* LOGIN_STRANGER_HASHES, 4: password checks a second, all users
	 * together, for (user, address) pairs not known (db/login.lua). */
	int		 login_strangers;
	int		 login_known_max; /* LOGIN_KNOWN_ADDRS, 8: per user */
	int		 login_known_ttl; /* LOGIN_KNOWN_TTL seconds, 30 days */
	/* LIMIT_*: the command's bounds (contract_bounds), stored by setup. */
	long long	 limits[CONTRACT_BOUNDS];
	int		 batch_size;	/* WORKER_BATCH, 1000 */
	int		 block_ms;	/* WORKER_BLOCK_MS, 500 */
	int		 worker_nice;	/* WORKER_NICE, 10 */
	int		 catchup_share;	/* WORKER_CATCHUP_SHARE %, 25 */
	/* The archive and the stream's retention (db/retention.lua). */
	char		 archive_dir[PATH_MAX];	/* ARCHIVE_DIR, $VAR_DIR/archive */
	/* CONSUMER_NAME, the host's name: this host's archive and worker
	 * report as archive:<name> and worker:<name>. */
	char		 consumer_name[CONFIG_NAME_MAX + 1];
	int		 archive_segment_s; /* ARCHIVE_SEGMENT_SECONDS, 3600 */
	/* Stored by setup in config:retention, read by stream_trim. */
	int		 retain_s;	/* STREAM_RETAIN_SECONDS, 7 days */
	int		 consumer_timeout_s; /* CONSUMER_TIMEOUT, 3600 */
	/* ARCHIVE_COPIES, CONSUMER_NAME: the archives every trimmed entry
	 * must be in, names by spaces. */
	char		 archive_copies[256];
};

/* Fills cfg from the environment; -1 with a message on stderr if a value is bad. */
int	config_load(struct config *cfg);

/*
 * Reads the JWT signing key: JWT_SECRET if set, else the secret file.
 * Returns its length, or -1 with a message on stderr.
 */
int	config_load_secret(const struct config *cfg, unsigned char *key, size_t keymax);

#endif
