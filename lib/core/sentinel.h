/*
 * Where the Redis primary is, asked of Redis Sentinel: REDIS_SENTINELS
 * ("host:port,host:port,...") and REDIS_MASTER_NAME.  Without them the
 * primary is REDIS_HOST, as it always was.  The Sentinels' password (their
 * requirepass) is the file redis-sentinel.pass in REDIS_AUTH_DIR.
 */
#ifndef SENTINEL_H
#define SENTINEL_H

#include <stddef.h>

#define SENTINELS_MAX		5
#define SENTINEL_HOST_MAX	64
#define SENTINEL_NAME_MAX	64
#define SENTINEL_PASSWORD_MAX	128
/* Not a Redis role: the Sentinels' own password, redis-sentinel.pass. */
#define REDIS_SENTINEL_PASSWORD	"sentinel"

struct sentinels {
	int	n;		/* 0: no Sentinels, REDIS_HOST is the primary */
	struct {
		char	host[SENTINEL_HOST_MAX];
		int	port;
	} at[SENTINELS_MAX];
	char	master[SENTINEL_NAME_MAX];	/* REDIS_MASTER_NAME */
	char	password[SENTINEL_PASSWORD_MAX];	/* "" if none */
};

/* Parses list (NULL or "": none) and the master's name; 0, or -1 logged. */
int	sentinels_parse(struct sentinels *s, const char *list,
	    const char *master);

/* Reads the Sentinels' password from <dir>/redis-sentinel.pass: 0 or -1. */
int	sentinels_auth(struct sentinels *s, const char *dir);

/*
 * The primary as the first Sentinel that answers names it, asking from
 * the Sentinel first on, each within timeout_ms: the index of the one
 * that answered, with host and port set, or -1 (logged).
 */
int	sentinels_primary(const struct sentinels *s, int first, int timeout_ms,
	    char host[SENTINEL_HOST_MAX], int *port);

#endif
