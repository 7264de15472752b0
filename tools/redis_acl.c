/*
 * The Redis roles, each with only what it needs.  A client without a
 * password gets NOAUTH for everything.
 *
 * The admin role is Redis's default user, with a password, not a user of
 * its own with the default user off: Redis 7.0 replays the transactions
 * of its AOF (every Function call is one) as the default user, and
 * silently drops those that user may not run (redis#14541, fixed in 8.4),
 * which with the default user off lost every command on restart.
 *
 * Redis checks the commands a Function runs against the caller's ACL,
 * so a service's role must hold the commands and keys its Functions use
 * (XADD on the stream among them): a role cannot be given FCALL alone.
 * What the roles keep apart: only admin loads Functions, reads every
 * key, or configures Redis; the services reach user:* only through the
 * selector, EXISTS (and, for accounts, HGET: the login's hash); the
 * worker only reads the stream and reports its position; only the
 * archiver trims it.
 *
 * The Sentinels have users of their own (Sentinel has ACLs since 6.2),
 * in a second file: their own, for each other, and the programs', which
 * may only ask where the primary is.  So a program host broken into can
 * neither order a failover nor point the Sentinels elsewhere.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "log.h"
#include "redis.h"
#include "redis_acl.h"
#include "secret.h"

#define PASSWORD_BYTES	32

/* Which file a role is in: Redis's (REDIS_ACL_FILE) or the Sentinels'. */
enum server { ON_REDIS, ON_SENTINEL };

static const struct {
	const char	*role;
	enum server	 on;
	int		 stream;	/* may use the stream key */
	const char	*rules;
} roles[] = {
	{ REDIS_ROLE_ADMIN, ON_REDIS, 0, "~* &* +@all" },
	/* The customer and invoice Functions, PING for /status; the bounds
	 * read-only; gc:* the invoices of deleted customers, going; idem:*
	 * the answers kept for idempotency keys. */
	{ REDIS_ROLE_CUSTOMERS, ON_REDIS, 1, "+ping +fcall +fcall_ro "
	    "~seq:customer ~seq:invoice ~account:* ~customer:* ~invoice:* "
	    "~gc:* ~idem:* %R~config:limits "
	    "+time +incr +get +set +exists +hget +hmget +hset +hincrby +del +expire "
	    "+zadd +zrem +zrange +zcard +zpopmin +rename +rpush +lindex +lpop "
	    "+xadd +wait +role "
	    "(%R~user:* +exists)" },
	/* The account and login Functions (idem:* as above), XINFO and
	 * INFO's memory section alone for /status and /metrics, the users' password hashes for the login
	 * itself, and the names of the user:* keys that change
	 * (cgi/accounts/user_watch.c), and the stream's consumers for
	 * /status and /metrics (retention_state). */
	{ REDIS_ROLE_ACCOUNTS, ON_REDIS, 1, "+ping +fcall +fcall_ro +xinfo|stream "
	    "+info|memory "
	    "+client|id +client|tracking +subscribe &__redis__:invalidate "
	    "~seq:account ~account:* ~login:* ~idem:* "
	    "+time +incr +decr +get +set +exists +hget +hmget +hset +del "
	    "+expire +pexpire +pttl +zadd +zscore +zremrangebyscore "
	    "+zremrangebyrank "
	    "+xadd +wait +role "
	    "(%R~user:* +exists +hget) "
	    "(%R~retention:* %R~config:retention +fcall_ro +time +get +hget "
	    "+hgetall)" },
	/* The stream, read; its own position reported (consumer_report,
	 * db/retention.lua) and the trimmed mark read. */
	{ REDIS_ROLE_WORKER, ON_REDIS, 1,
	    "+ping +xread +xrange +xinfo|stream +xlen +role "
	    "~retention:workers %R~retention:trimmed "
	    "+fcall +time +get +hexists +hlen +hset" },
	/* The stream, read and trimmed (XTRIM is this role's alone, so
	 * stream_trim is too), the retention state, WAIT before a segment
	 * counts. */
	{ REDIS_ROLE_ARCHIVER, ON_REDIS, 1,
	    "+ping +xread +xrange +xrevrange +xinfo|stream +xlen +xtrim +role "
	    "+wait ~retention:* %R~config:retention "
	    "+fcall +time +get +set +hexists +hlen +hset +hget +hmget +hgetall" },
	/* A replica, of its primary: the replication stream only. */
	{ REDIS_ROLE_REPLICA, ON_REDIS, 0, "+psync +replconf +ping" },
	/* Sentinel, of every node: what its documentation lists, and its
	 * hello channel. */
	{ REDIS_ROLE_MONITOR, ON_REDIS, 0, "&__sentinel__:hello +multi +exec "
	    "+slaveof +ping +subscribe +publish +config|rewrite +role +info "
	    "+client|setname +client|kill +script|kill" },
	/* On the Sentinels: their own user, for each other (sentinel-pass)
	 * and whoever runs them; given to the Sentinel hosts only. */
	{ REDIS_ROLE_SENTINEL, ON_SENTINEL, 0, "~* &* +@all" },
	/* The programs (and scripts/redis-cli): where the primary is, and
	 * what a client sends on connecting; no SENTINEL FAILOVER, SET,
	 * REMOVE, MONITOR, nor the Sentinels' configuration. */
	{ REDIS_ROLE_DISCOVERY, ON_SENTINEL, 0, "+auth +hello +ping "
	    "+sentinel|get-master-addr-by-name" },
};

/* The role's password, made now unless its file is there already. */
static int
password(const char *dir, const char *role, char hex[PASSWORD_BYTES * 2 + 1])
{
	unsigned char raw[PASSWORD_BYTES];
	char path[PATH_MAX];
	int fd, n;

	if (secret_password_path(path, sizeof(path), dir, role) == -1)
		return -1;
	if ((n = secret_read(path, hex, PASSWORD_BYTES * 2)) == PASSWORD_BYTES * 2) {
		hex[n] = '\0';
		return 0;
	}
	randombytes_buf(raw, sizeof(raw));
	sodium_bin2hex(hex, PASSWORD_BYTES * 2 + 1, raw, sizeof(raw));
	unlink(path);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) == -1)
		goto fail;
	if (write(fd, hex, PASSWORD_BYTES * 2) != PASSWORD_BYTES * 2 ||
	    fsync(fd) == -1) {
		close(fd);
		goto fail;
	}
	close(fd);
	log_info("made the Redis password of the role %s (%s)", role, path);
	return 0;
fail:
	log_syswarn("%s", path);
	return -1;
}

static int
role_line(FILE *f, const char *dir, size_t i, const char *stream)
{
	unsigned char digest[crypto_hash_sha256_BYTES];
	char hex[PASSWORD_BYTES * 2 + 1], digest_hex[sizeof(digest) * 2 + 1];

	if (password(dir, roles[i].role, hex) == -1)
		return -1;
	crypto_hash_sha256(digest, (const unsigned char *)hex, strlen(hex));
	sodium_bin2hex(digest_hex, sizeof(digest_hex), digest, sizeof(digest));
	fprintf(f, "user %s on #%s resetchannels %s%s%s%s\n",
	    redis_role_user(roles[i].role),
	    digest_hex, roles[i].stream ? "~" : "",
	    roles[i].stream ? stream : "", roles[i].stream ? " " : "",
	    roles[i].rules);
	sodium_memzero(hex, sizeof(hex));
	return 0;
}

/* The roles on one server, to path, atomically; 0, or -1 (logged). */
static int
acl_file(const char *dir, const char *path, enum server on,
    const char *stream)
{
	char tmp[PATH_MAX];
	FILE *f = NULL;
	size_t i;
	int fd, ok;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -1;
	unlink(tmp);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) == -1 || (f = fdopen(fd, "w")) == NULL) {
		if (fd != -1)
			close(fd);
		goto fail;
	}
	for (i = 0, ok = 1; ok && i < sizeof(roles) / sizeof(roles[0]); i++)
		ok = roles[i].on != on || role_line(f, dir, i, stream) == 0;
	ok = ok && fflush(f) == 0 && fsync(fileno(f)) == 0;
	if (fclose(f) != 0 || !ok || rename(tmp, path) == -1)
		goto fail;
	return 0;
fail:
	log_syswarn("ACL file %s", path);
	unlink(tmp);
	return -1;
}

int
redis_acl_sentinel_path(char *buf, size_t len, const char *acl_path)
{
	const char *slash = strrchr(acl_path, '/');
	int dirlen = slash != NULL ? (int)(slash - acl_path + 1) : 0;
	int n = snprintf(buf, len, "%.*s%s", dirlen, acl_path,
	    REDIS_ACL_SENTINEL_FILE);

	return n < 0 || (size_t)n >= len ? -1 : 0;
}

int
redis_acl_write(const char *dir, const char *acl_path, const char *stream)
{
	char sentinel_path[PATH_MAX];

	if (redis_acl_sentinel_path(sentinel_path, sizeof(sentinel_path),
	    acl_path) == -1) {
		log_warn("ACL file %s: too long a path", acl_path);
		return -1;
	}
	return acl_file(dir, acl_path, ON_REDIS, stream) == -1 ||
	    acl_file(dir, sentinel_path, ON_SENTINEL, stream) == -1 ? -1 : 0;
}
