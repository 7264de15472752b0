/*
 * Secret files: the JWT signing key and the Redis passwords, each a file
 * of this user's, mode 0600.  Below config, sentinel and redis, which all
 * read them, and needing none of them.
 */
#ifndef SECRET_H
#define SECRET_H

#include <stddef.h>

/*
 * The first max bytes of a secret file, without a final newline: the
 * length (at least 1), or -1 (errno set) if it cannot be read or is empty.
 */
int	secret_read(const char *path, void *buf, size_t max);

/*
 * The password file of a Redis role (or of the Sentinels, "sentinel"):
 * <dir>/redis-<name>.pass (REDIS_AUTH_DIR), made by setup --keys.  0, or
 * -1 if it does not fit in len.
 */
int	secret_password_path(char *buf, size_t len, const char *dir,
	    const char *name);

#endif
