/*
 * Where the Redis primary is, asked of Redis Sentinel: REDIS_SENTINELS
 * ("host:port,host:port,...") and REDIS_MASTER_NAME.  Without them the
 * primary is REDIS_HOST, as it always was.  The programs speak to the
 * Sentinels as their user "discovery", which may ask that and nothing
 * else (tools/redis_acl.c); its password is redis-discovery.pass in
 * REDIS_AUTH_DIR.  The Sentinels' own password is not a program's.
 */
#ifndef SENTINEL_H
#define SENTINEL_H

#include <stddef.h>

#define SENTINELS_MAX		5
#define SENTINEL_HOST_MAX	64
#define SENTINEL_NAME_MAX	64
#define SENTINEL_PASSWORD_MAX	128
/*
 * The roles on the Sentinels themselves (sentinel-users.acl), each with
 * its password in redis-<role>.pass: the Sentinels' own, of each other
 * (their user "default"), and the programs', which may only ask where
 * the primary is (its ACL user is its own name).
 */
#define REDIS_ROLE_SENTINEL	"sentinel"
#define REDIS_ROLE_DISCOVERY	"discovery"

struct sentinels {
	int	n;		/* 0: no Sentinels, REDIS_HOST is the primary */
	struct {
		char	host[SENTINEL_HOST_MAX];
		int	port;
	} at[SENTINELS_MAX];
	char	master[SENTINEL_NAME_MAX];	/* REDIS_MASTER_NAME */
	char	password[SENTINEL_PASSWORD_MAX];	/* discovery's; "" if none */
};

/* Parses list (NULL or "": none) and the master's name; 0, or -1 logged. */
int	sentinels_parse(struct sentinels *s, const char *list,
	    const char *master);

/* Reads the discovery password from <dir>/redis-discovery.pass: 0 or -1. */
int	sentinels_auth(struct sentinels *s, const char *dir);

/*
 * The primary as the first Sentinel that answers names it, asking from
 * the Sentinel first on, each within timeout_ms: the index of the one
 * that answered, with host and port set, or -1 (logged).
 */
int	sentinels_primary(const struct sentinels *s, int first, int timeout_ms,
	    char host[SENTINEL_HOST_MAX], int *port);

#endif
