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
#include <json-c/json.h>
#include <sodium.h>

#include "cli.h"
#include "command.h"
#include "config.h"
#include "log.h"
#include "privdrop.h"
#include "redis.h"
#include "redis_acl.h"

static const struct {
	const char *name, *password;
} users[] = {
	{ "user1", "password1" },
	{ "user2", "password2" },
};

/* The pre-loaded accounts. */
static const struct {
	const char *owned_by, *name, *description;
} seed_accounts[] = {
	{ "user1", "one", "one" },
	{ "user2", "two", "two" },
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

/* The pre-loaded accounts as accounts_seed takes them: a JSON array. */
static json_object *
seed_json(void)
{
	json_object *list, *a;
	size_t i;

	if ((list = json_object_new_array()) == NULL)
		return NULL;
	for (i = 0; i < sizeof(seed_accounts) / sizeof(seed_accounts[0]); i++) {
		if ((a = json_object_new_object()) == NULL ||
		    json_object_array_add(list, a) != 0) {
			json_object_put(a);
			json_object_put(list);
			return NULL;
		}
		json_object_object_add(a, "owned_by",
		    json_object_new_string(seed_accounts[i].owned_by));
		json_object_object_add(a, "name",
		    json_object_new_string(seed_accounts[i].name));
		json_object_object_add(a, "description",
		    json_object_new_string(seed_accounts[i].description));
	}
	return list;
}

/* Appends them once in the stream's life: accounts_seed knows. */
static int
accounts_seed(struct redis_conn *rc, const char *stream)
{
	struct command_args args = { .n = 0 };
	json_object *seed;
	redisReply *r;
	size_t i;
	int rcode = -1;

	if ((seed = seed_json()) == NULL)
		return -1;
	command_arg(&args, "accounts", json_object_to_json_string_ext(seed,
	    JSON_C_TO_STRING_PLAIN));
	r = command_call(rc, stream, "accounts_seed", NULL, &args);
	if (r != NULL && r->type == REDIS_REPLY_ARRAY) {
		for (i = 0; i < r->elements; i++)
			log_info("appended AccountCreated for account %s",
			    r->element[i]->str);
		rcode = 0;
	} else if (r != NULL && r->type == REDIS_REPLY_ERROR)
		log_warn("accounts_seed: %s", r->str);
	freeReplyObject(r);
	json_object_put(seed);
	return rcode;
}

static const char usage[] =
    "usage: setup [--keys | --help | --version]\n"
    "Makes an installation ready; safe at every start.\n"
    "  --keys      before Redis starts: the JWT secret, each Redis role's\n"
    "              password, the ACL file Redis loads (REDIS_ACL_FILE) and,\n"
    "              beside it, the Sentinels' (sentinel-users.acl)\n"
    "  (no option) against Redis, as admin: maxmemory (REDIS_MAXMEMORY,\n"
    "              noeviction), the Redis Function library,\n"
    "              the users, and once in the stream's life the\n"
    "              pre-loaded accounts\n";

static int
keys(const struct config *cfg)
{
	if (getenv("JWT_SECRET") == NULL && secret_create(cfg->secret_path) == -1)
		return EXIT_FAILURE;
	return redis_acl_write(cfg->redis_auth_dir, cfg->acl_path,
	    cfg->stream_key) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/* HSET argv[1] ...: a configuration hash the Functions read; 0 or -1. */
static int
hash_store(struct redis_conn *rc, int argc, const char **argv)
{
	redisReply *r = redis_conn_argv(rc, argc, argv, NULL);
	int ok = r != NULL && r->type == REDIS_REPLY_INTEGER;

	if (r != NULL && !ok)
		log_warn("%s: %s", argv[1], r->type == REDIS_REPLY_ERROR ?
		    r->str : "unexpected reply");
	freeReplyObject(r);
	return ok ? 0 : -1;
}

/* The command's bounds, where the Functions read them (only admin writes). */
static int
limits_store(struct redis_conn *rc, const struct config *cfg)
{
	const char *argv[2 + 2 * CONTRACT_BOUNDS] = { "HSET", "config:limits" };
	char values[CONTRACT_BOUNDS][24];
	int i;

	for (i = 0; i < CONTRACT_BOUNDS; i++) {
		snprintf(values[i], sizeof(values[i]), "%lld", cfg->limits[i]);
		argv[2 + 2 * i] = contract_bounds[i].field;
		argv[3 + 2 * i] = values[i];
	}
	return hash_store(rc, 2 + 2 * CONTRACT_BOUNDS, argv);
}

/* What stream_trim reads (db/retention.lua); only admin writes it. */
static int
retention_store(struct redis_conn *rc, const struct config *cfg)
{
	char retain[16], timeout[16];
	const char *argv[] = { "HSET", "config:retention", "retain_seconds",
	    retain, "consumer_timeout", timeout, "archives",
	    cfg->archive_copies };

	snprintf(retain, sizeof(retain), "%d", cfg->retain_s);
	snprintf(timeout, sizeof(timeout), "%d", cfg->consumer_timeout_s);
	return hash_store(rc, sizeof(argv) / sizeof(argv[0]), argv);
}

/*
 * REDIS_MAXMEMORY, with noeviction: a full Redis refuses the commands
 * (OOM, before a Function runs: nothing half done), and the services
 * answer 503, rather than evict a key (an invoice, a kept answer) or
 * grow until the kernel kills it.  Set here at every start too, so that
 * a Redis whose own configuration lacks it is bounded all the same; the
 * redis-server lines (deploy/) carry it for a replica that is promoted.
 */
static int
memory_store(struct redis_conn *rc, const struct config *cfg)
{
	redisReply *r;
	int ok;

	r = redis_conn_command(rc, "CONFIG SET maxmemory %lld "
	    "maxmemory-policy noeviction", cfg->redis_maxmemory);
	ok = r != NULL && r->type == REDIS_REPLY_STATUS;
	if (r != NULL && !ok)
		log_warn("CONFIG SET maxmemory: %s", r->type ==
		    REDIS_REPLY_ERROR ? r->str : "unexpected reply");
	freeReplyObject(r);
	return ok ? 0 : -1;
}

/*
 * Redis may still be starting, or loading its append-only file: under
 * systemd, Type=simple orders only its fork before this unit.  So wait
 * for its PONG (LOADING is an error reply), polling every 200 ms, at
 * most SETUP_WAIT_MS; then fail, and the unit says why.
 */
#define SETUP_WAIT_MS	60000

static int
redis_ready(struct redis_conn *rc)
{
	redisReply *r;
	int waited, ok;

	for (waited = 0; waited <= SETUP_WAIT_MS; waited += 200) {
		r = redis_conn_command(rc, "PING");
		ok = r != NULL && r->type == REDIS_REPLY_STATUS;
		freeReplyObject(r);
		if (ok)
			return 0;
		usleep(200 * 1000);
	}
	log_warn("redis gave no PONG in %d s", SETUP_WAIT_MS / 1000);
	return -1;
}

static int
against_redis(struct config *cfg)
{
	struct redis_conn rc;
	size_t i;
	int status = EXIT_FAILURE;

	if (redis_conn_open(&rc, cfg, REDIS_ROLE_ADMIN,
	    cfg->redis_timeout_ms) == -1 || redis_ready(&rc) == -1 ||
	    memory_store(&rc, cfg) == -1 ||
	    command_load_library(&rc) == -1 || limits_store(&rc, cfg) == -1 ||
	    retention_store(&rc, cfg) == -1)
		goto out;
	for (i = 0; i < sizeof(users) / sizeof(users[0]); i++)
		if (user_create(&rc, users[i].name, users[i].password) == -1)
			goto out;
	if (accounts_seed(&rc, cfg->stream_key) == -1)
		goto out;
	status = EXIT_SUCCESS;
out:
	if (status != EXIT_SUCCESS)
		log_warn("setup failed (redis at %s)", redis_conn_where(&rc));
	redis_conn_close(&rc);
	return status;
}

int
main(int argc, char *argv[])
{
	struct config cfg;
	int status;

	log_init("setup");
	if ((status = cli_handle(argc, argv, "setup", usage, "--keys")) != -1)
		return status;
	if (privdrop() == -1 || config_load(&cfg) == -1 || sodium_init() < 0)
		return EXIT_FAILURE;
	return argc == 2 ? keys(&cfg) : against_redis(&cfg);
}
