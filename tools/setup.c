/*
 * setup: makes a fresh installation ready, and is safe to run at every
 * start (make run does): the JWT secret file, the Redis Function
 * library, the pre-loaded users and, once in the stream's life, the
 * pre-loaded accounts as AccountCreated events.
 */
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sodium.h>

#include "cli.h"
#include "clock.h"
#include "config.h"
#include "log.h"
#include "redis_conn.h"
#include "privdrop.h"

static const struct {
	const char *name, *password;
} users[] = {
	{ "user1", "password1" },
	{ "user2", "password2" },
};

/* created_date, then owner, name, description of each pre-loaded account */
static const char *seed_accounts[] = {
	"user1", "one", "one",
	"user2", "two", "two",
};

static int
secret_create(const char *path)
{
	unsigned char raw[32];
	char hex[sizeof(raw) * 2 + 1];
	int fd;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0600)) == -1) {
		if (errno == EEXIST)
			return 0;
		log_syswarn("%s", path);
		return -1;
	}
	randombytes_buf(raw, sizeof(raw));
	sodium_bin2hex(hex, sizeof(hex), raw, sizeof(raw));
	if (write(fd, hex, strlen(hex)) != (ssize_t)strlen(hex) ||
	    fsync(fd) == -1) {
		log_syswarn("%s", path);
		close(fd);
		unlink(path);
		return -1;
	}
	close(fd);
	log_info("created JWT secret %s", path);
	return 0;
}

static int
user_create(struct redis_conn *rc, const char *name, const char *password)
{
	char hash[crypto_pwhash_STRBYTES];
	redisReply *r;
	int rcode = -1;

	r = redis_conn_command(rc, "HEXISTS user:%s password_hash", name);
	if (r == NULL || r->type != REDIS_REPLY_INTEGER)
		goto out;
	if (r->integer == 1) {
		rcode = 0;
		goto out;
	}
	freeReplyObject(r);
	if (crypto_pwhash_str(hash, password, strlen(password),
	    crypto_pwhash_OPSLIMIT_INTERACTIVE,
	    crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
		log_warn("password hash: out of memory");
		return -1;
	}
	r = redis_conn_command(rc, "HSETNX user:%s password_hash %s", name,
	    hash);
	if (r != NULL && r->type == REDIS_REPLY_INTEGER) {
		rcode = 0;
		if (r->integer == 1)
			log_info("created user %s", name);
	}
out:
	freeReplyObject(r);
	return rcode;
}

static int
accounts_seed(struct redis_conn *rc, const char *stream)
{
	const char *args[1 + sizeof(seed_accounts) / sizeof(seed_accounts[0])];
	char now[CLOCK_ISO_MAX];
	redisReply *r;
	size_t i, n = sizeof(seed_accounts) / sizeof(seed_accounts[0]);
	int rcode = -1;

	if (clock_iso8601(now) == -1)
		return -1;
	args[0] = now;
	for (i = 0; i < n; i++)
		args[i + 1] = seed_accounts[i];
	r = redis_conn_fcall(rc, "accounts_seed", stream, (int)n + 1, args);
	if (r != NULL && r->type == REDIS_REPLY_ARRAY) {
		for (i = 0; i < r->elements; i++)
			log_info("appended AccountCreated for account %s",
			    r->element[i]->str);
		rcode = 0;
	} else if (r != NULL && r->type == REDIS_REPLY_ERROR)
		log_warn("accounts_seed: %s", r->str);
	freeReplyObject(r);
	return rcode;
}

int
main(int argc, char *argv[])
{
	struct config cfg;
	struct redis_conn rc;
	size_t i;
	int status;

	log_init("setup");
	if ((status = cli_handle(argc, argv, "setup",
	    "usage: setup [--help | --version]\n"
	    "Makes an installation ready; safe at every start: the JWT secret\n"
	    "file, the Redis Function library, the users, and once in the\n"
	    "stream's life the pre-loaded accounts.\n", NULL)) != -1)
		return status;
	status = EXIT_FAILURE;
	if (privdrop() == -1)
		return EXIT_FAILURE;
	if (config_load(&cfg) == -1 || sodium_init() < 0)
		return EXIT_FAILURE;
	if (getenv("JWT_SECRET") == NULL && secret_create(cfg.secret_path) == -1)
		return EXIT_FAILURE;
	redis_conn_init(&rc, cfg.redis_host, cfg.redis_port,
	    cfg.redis_timeout_ms);
	if (redis_conn_load_functions(&rc) == -1)
		goto out;
	for (i = 0; i < sizeof(users) / sizeof(users[0]); i++)
		if (user_create(&rc, users[i].name, users[i].password) == -1)
			goto out;
	if (accounts_seed(&rc, cfg.stream_key) == -1)
		goto out;
	status = EXIT_SUCCESS;
out:
	if (status != EXIT_SUCCESS)
		log_warn("setup failed (redis at %s:%d)", cfg.redis_host,
		    cfg.redis_port);
	redis_conn_close(&rc);
	return status;
}
