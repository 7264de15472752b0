#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "config.h"
#include "contract.h"
#include "log.h"
#include "secret.h"

static const char *
env_or(const char *name, const char *fallback)
{
	const char *v = getenv(name);

	return (v != NULL && *v != '\0') ? v : fallback;
}

static int
env_number(const char *name, long long fallback, long long min,
    long long max, long long *out)
{
	const char *v = getenv(name);
	char *end;
	long long n;

	if (v == NULL || *v == '\0') {
		*out = fallback;
		return 0;
	}
	errno = 0;
	n = strtoll(v, &end, 10);
	if (errno != 0 || *end != '\0' || n < min || n > max) {
		log_error("config: %s=%s is not a number from %lld to %lld",
		    name, v, min, max);
		return -1;
	}
	*out = n;
	return 0;
}

static int
env_int(const char *name, int fallback, int min, int max, int *out)
{
	long long n;

	if (env_number(name, fallback, min, max, &n) == -1)
		return -1;
	*out = (int)n;
	return 0;
}

/*
 * The stream key goes into the ACL file as a key pattern: letters,
 * digits and ":._-" only, so that it matches itself and nothing else.
 */
static int
stream_key_valid(const char *key)
{
	size_t len = strlen(key);

	if (len == 0 || len > 64 || strspn(key, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:._-") != len) {
		log_error("config: STREAM_KEY=%s: 1 to 64 of letters, digits "
		    "and :._- only", key);
		return 0;
	}
	return 1;
}

static int
path_in_var(char *dst, size_t len, const char *env, const char *var_dir,
    const char *file)
{
	const char *v = getenv(env);
	int n;

	if (v != NULL && *v != '\0')
		n = snprintf(dst, len, "%s", v);
	else
		n = snprintf(dst, len, "%s/%s", var_dir, file);
	if (n < 0 || (size_t)n >= len) {
		log_error("config: %s: path too long", env);
		return -1;
	}
	return 0;
}

/*
 * A unix socket's path must fit sockaddr_un (108 bytes with its NUL):
 * hiredis would cut a longer one short and connect to another path.
 */
static int
socket_path_fits(const char *path)
{
	const size_t max = sizeof(((struct sockaddr_un *)0)->sun_path) - 1;

	if (path != NULL && strlen(path) > max) {
		log_error("config: REDIS_SOCKET=%s: longer than a unix "
		    "socket's path may be (%zu bytes)", path, max);
		return 0;
	}
	return 1;
}

/*
 * A size as Redis reads maxmemory, in the subset both take: digits, then
 * kb, mb or gb (any case, powers of 1024) or nothing (bytes), so that the
 * scripts can hand the same text to redis-server.  16 MiB at least: setup
 * loads the Functions and the users into it (an empty Redis takes about
 * 1 MiB), and less is a typing mistake.
 */
static int
size_parse(const char *name, const char *v, long long *out)
{
	const char *units[] = { "", "kb", "mb", "gb" };
	long long n;
	char *end;
	int u;

	errno = 0;
	n = strtoll(v, &end, 10);
	for (u = 0; u < 4 && strcasecmp(end, units[u]) != 0; u++)
		;
	if (errno != 0 || end == v || *v == '-' || u == 4 ||
	    n > (1LL << 50) >> (10 * u) ||
	    (n <<= 10 * u) < 16LL * 1024 * 1024) {
		log_error("config: %s=%s is not a size from 16mb to 1048576gb "
		    "(digits, then kb, mb, gb or nothing)", name, v);
		return -1;
	}
	*out = n;
	return 0;
}

/*
 * REDIS_MAXMEMORY, 1gb: Redis refuses writes past it (noeviction) rather
 * than grow until the kernel kills it.  1 GiB holds about 1.7 million
 * invoices with a kept Idempotency-Key each (619 bytes of used_memory
 * each, measured over 10,000 POSTs), a week at 2.8 a second before
 * trimming; a host needs as much again free for the fork of an AOF
 * rewrite, so 2 GiB of RAM.
 */
static int
config_memory(struct config *cfg)
{
	return size_parse("REDIS_MAXMEMORY", env_or("REDIS_MAXMEMORY", "1gb"),
	    &cfg->redis_maxmemory);
}

static int
config_redis(struct config *cfg)
{
	cfg->redis_host = env_or("REDIS_HOST", "127.0.0.1");
	cfg->redis_socket = env_or("REDIS_SOCKET", NULL);
	cfg->stream_key = env_or("STREAM_KEY", "event-stream");
	cfg->redis_auth_dir = env_or("REDIS_AUTH_DIR", cfg->var_dir);
	if (!stream_key_valid(cfg->stream_key) ||
	    !socket_path_fits(cfg->redis_socket) ||
	    sentinels_parse(&cfg->sentinels, getenv("REDIS_SENTINELS"),
	    env_or("REDIS_MASTER_NAME", "microsvc")) == -1)
		return -1;
	return config_memory(cfg) == -1 ||
	    env_int("REDIS_PORT", 6379, 1, 65535, &cfg->redis_port) == -1 ||
	    env_int("REDIS_TIMEOUT_MS", 1000, 10, 60000,
	    &cfg->redis_timeout_ms) == -1 ||
	    env_int("REDIS_WAIT_REPLICAS", 0, 0, 16, &cfg->wait_replicas) == -1 ||
	    env_int("REDIS_WAIT_TIMEOUT_MS", 500, 1, 60000,
	    &cfg->wait_timeout_ms) == -1 ? -1 : 0;
}

/*
 * Who is no stranger, and how many strangers' guesses are checked.  4 a
 * second: argon2id takes 90 ms here (143 ms with three at once on the
 * two cores), so the one login process checks 7 to 11 a second; the
 * strangers may take about half of it (db/login.lua has the figures).
 * Raise it with LOGIN_PROCS.
 */
static int
config_known(struct config *cfg)
{
	return env_int("LOGIN_STRANGER_HASHES", 4, 1, 1000,
	    &cfg->login_strangers) == -1 ||
	    env_int("LOGIN_KNOWN_ADDRS", 8, 1, 64, &cfg->login_known_max) == -1 ||
	    env_int("LOGIN_KNOWN_TTL", 30 * 86400, 60, 365 * 86400,
	    &cfg->login_known_ttl) == -1 ? -1 : 0;
}

static int
config_logins(struct config *cfg)
{
	return env_int("TOKEN_TTL", 900, 1, 86400, &cfg->token_ttl) == -1 ||
	    env_int("LOGIN_MAX_FAILURES", 5, 1, 1000000,
	    &cfg->login_max_pair) == -1 ||
	    env_int("LOGIN_MAX_FAILURES_PER_USER", 50, 1, 1000000,
	    &cfg->login_max_user) == -1 ||
	    env_int("LOGIN_MAX_FAILURES_PER_ADDR", 20, 1, 1000000,
	    &cfg->login_max_addr) == -1 ||
	    env_int("LOGIN_MAX_SUCCESSES_PER_USER", 60, 1, 1000000,
	    &cfg->login_max_ok_user) == -1 ||
	    env_int("LOGIN_MAX_SUCCESSES_PER_ADDR", 120, 1, 1000000,
	    &cfg->login_max_ok_addr) == -1 ||
	    env_int("LOGIN_WINDOW", 60, 1, 86400, &cfg->login_window) == -1 ||
	    config_known(cfg) == -1 ? -1 : 0;
}

static int
config_work(struct config *cfg)
{
	return env_int("READ_WAIT_MS", 2000, 0, 60000, &cfg->read_wait_ms) == -1 ||
	    env_int("READ_WAITERS", 2, 1, 64, &cfg->read_waiters) == -1 ||
	    env_int("IDEMPOTENCY_TTL", 86400, 60, 30 * 86400,
	    &cfg->idempotency_ttl) == -1 ||
	    env_int("WORKER_BATCH", 1000, 1, 100000, &cfg->batch_size) == -1 ||
	    env_int("WORKER_BLOCK_MS", 500, 1, 60000, &cfg->block_ms) == -1 ||
	    env_int("WORKER_NICE", 10, 0, 19, &cfg->worker_nice) == -1 ||
	    env_int("WORKER_CATCHUP_SHARE", 25, 1, 100,
	    &cfg->catchup_share) == -1 ? -1 : 0;
}

/*
 * Each user's share of a service's processes (limiter.h), in
 * milliseconds of process time a second, and at once.  Unset (-1), one
 * process for every four (limiter.h), one at least: 1,000 of accounts'
 * four (FCGI_PROCS), 8,000 of customers' thirty-two (CUSTOMERS_PROCS).  A
 * user busy on many connections leaves the others three quarters, and a
 * client that waits for each answer can never spend more, so it is never
 * refused; nor are 8 users of 8 connections each, who hold an eighth.
 * 2,000 at once holds the seed's 200 invoices from 20 connections (1-3
 * ms each under ASan); with the default rate it grows as the rate does.
 */
static int
config_fairness(struct config *cfg)
{
	size_t len;

	/* A file name's part: limits-<service>-<pool>.bin. */
	cfg->fcgi_pool = env_or("FCGI_POOL", NULL);
	if (cfg->fcgi_pool != NULL && ((len = strlen(cfg->fcgi_pool)) > 15 ||
	    strspn(cfg->fcgi_pool, "abcdefghijklmnopqrstuvwxyz") !=
	    len)) {
		log_error("config: FCGI_POOL=%s: 1 to 15 of a to z",
		    cfg->fcgi_pool);
		return -1;
	}
	return env_int("RATE_PER_USER", -1, 0, 1000000,
	    &cfg->rate_per_user) == -1 ||
	    env_int("RATE_BURST", 2000, 1, 3600000, &cfg->rate_burst) == -1 ||
	    env_int("READ_WAITERS_PER_USER", 1, 1, 64,
	    &cfg->read_waiters_per_user) == -1 ? -1 : 0;
}

/* The command's bounds (contract_bounds): each 1 to the contract's max. */
static int
config_limits(struct config *cfg)
{
	const struct bound_spec *b;
	int i;

	for (i = 0; i < CONTRACT_BOUNDS; i++) {
		b = &contract_bounds[i];
		if (env_number(b->env, b->fallback, 1, b->max,
		    &cfg->limits[i]) == -1)
			return -1;
	}
	return 0;
}

static int
config_paths(struct config *cfg)
{
	return path_in_var(cfg->db_path, sizeof(cfg->db_path), "ACCOUNTS_DB",
	    cfg->var_dir, "accounts.db") == -1 ||
	    path_in_var(cfg->checkpoint_path, sizeof(cfg->checkpoint_path),
	    "CHECKPOINT_FILE", cfg->var_dir, "worker.checkpoint") == -1 ||
	    path_in_var(cfg->secret_path, sizeof(cfg->secret_path),
	    "JWT_SECRET_FILE", cfg->var_dir, "jwt.secret") == -1 ||
	    path_in_var(cfg->status_path, sizeof(cfg->status_path),
	    "WORKER_STATUS_FILE", cfg->var_dir, "worker.status") == -1 ||
	    path_in_var(cfg->acl_path, sizeof(cfg->acl_path),
	    "REDIS_ACL_FILE", cfg->var_dir, "redis-users.acl") == -1 ? -1 : 0;
}

/* 1 to CONFIG_NAME_MAX of letters, digits and ._- (db/retention.lua). */
static int
consumer_name_valid(const char *name, size_t len)
{
	return len >= 1 && len <= CONFIG_NAME_MAX &&
	    strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789._-") >= len;
}

/* ARCHIVE_COPIES: names, by spaces; one at least. */
static int
archive_copies_valid(const char *list)
{
	size_t len, n = 0;

	for (; *list != '\0'; list += len) {
		list += strspn(list, " ");
		if ((len = strcspn(list, " ")) == 0)
			break;
		if (!consumer_name_valid(list, len))
			return 0;
		n++;
	}
	return n > 0;
}

/*
 * The archive, and how long the stream keeps what every archive copy
 * and every worker has (docs/archive.md).  Seven days by default: a
 * worker or a replica away for a weekend comes back to the stream, not
 * the archive.
 */
static int
config_retention(struct config *cfg)
{
	const char *name = getenv("CONSUMER_NAME"), *copies;
	char host[CONFIG_NAME_MAX + 1] = "local";

	if (name == NULL || *name == '\0') {
		if (gethostname(host, sizeof(host)) == -1 ||
		    !consumer_name_valid(host, strnlen(host, sizeof(host))))
			snprintf(host, sizeof(host), "local");
		name = host;
	}
	if (!consumer_name_valid(name, strlen(name))) {
		log_error("config: CONSUMER_NAME=%s: 1 to %d of letters, digits "
		    "and ._-", name, CONFIG_NAME_MAX);
		return -1;
	}
	snprintf(cfg->consumer_name, sizeof(cfg->consumer_name), "%s", name);
	copies = env_or("ARCHIVE_COPIES", cfg->consumer_name);
	if (strlen(copies) >= sizeof(cfg->archive_copies) ||
	    !archive_copies_valid(copies)) {
		log_error("config: ARCHIVE_COPIES=%s: names as CONSUMER_NAME's, "
		    "by spaces, %zu bytes at most", copies,
		    sizeof(cfg->archive_copies) - 1);
		return -1;
	}
	snprintf(cfg->archive_copies, sizeof(cfg->archive_copies), "%s",
	    copies);
	return path_in_var(cfg->archive_dir, sizeof(cfg->archive_dir),
	    "ARCHIVE_DIR", cfg->var_dir, "archive") == -1 ||
	    env_int("ARCHIVE_SEGMENT_SECONDS", 3600, 1, 86400,
	    &cfg->archive_segment_s) == -1 ||
	    env_int("STREAM_RETAIN_SECONDS", 7 * 86400, 0, 3650 * 86400,
	    &cfg->retain_s) == -1 ||
	    env_int("CONSUMER_TIMEOUT", 3600, 10, 30 * 86400,
	    &cfg->consumer_timeout_s) == -1 ? -1 : 0;
}

int
config_load(struct config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->var_dir = env_or("VAR_DIR", "var");
	return config_redis(cfg) == -1 || config_logins(cfg) == -1 ||
	    config_work(cfg) == -1 || config_fairness(cfg) == -1 ||
	    config_limits(cfg) == -1 || config_paths(cfg) == -1 ||
	    config_retention(cfg) == -1 ? -1 : 0;
}

int
config_load_secret(const struct config *cfg, unsigned char *key, size_t keymax)
{
	const char *env = getenv("JWT_SECRET");
	size_t len;
	int n;

	if (env != NULL && *env != '\0') {
		len = strlen(env);
		if (len < 32 || len > keymax) {
			log_error("config: JWT_SECRET must be 32 to %zu "
			    "bytes long", keymax);
			return -1;
		}
		memcpy(key, env, len);
		return (int)len;
	}
	if ((n = secret_read(cfg->secret_path, key, keymax)) == -1) {
		log_error("config: %s: %s (run `make run` once, or set "
		    "JWT_SECRET)", cfg->secret_path, strerror(errno));
		return -1;
	}
	if (n < 32) {
		log_error("config: %s: secret shorter than 32 bytes",
		    cfg->secret_path);
		return -1;
	}
	return n;
}
