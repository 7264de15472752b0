/*
 * The Redis roles (ACL users): what each program may do, and the ACL
 * file Redis loads at start (--aclfile).  ACLs are not replicated: every
 * Redis host gets the same file, and every Sentinel host the Sentinels'.
 */
#ifndef REDIS_ACL_H
#define REDIS_ACL_H

#include <stddef.h>

/* The Sentinels' ACL file (their aclfile), beside Redis's. */
#define REDIS_ACL_SENTINEL_FILE	"sentinel-users.acl"

/*
 * Makes each role's password (redis-<role>.pass in dir, 0600, kept if
 * there) and writes the ACL files, atomically, with the passwords'
 * SHA-256: Redis's at acl_path, with the rules for the stream key, and
 * the Sentinels' beside it.  0, or -1 (logged).
 */
int	redis_acl_write(const char *dir, const char *acl_path,
	    const char *stream);

/* The Sentinels' ACL file beside acl_path, into buf: 0, or -1. */
int	redis_acl_sentinel_path(char *buf, size_t len, const char *acl_path);

#endif
