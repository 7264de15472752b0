#ifndef ACCOUNTS_H
#define ACCOUNTS_H

#include <sys/types.h>

#include <stdint.h>

#include <sqlite3.h>

#include "config.h"
#include "http.h"
#include "metrics.h"
#include "redis_conn.h"
#include "route.h"
#include "stream_id.h"
#include "token.h"

/* The read model as this process sees it: reopened when the file is replaced. */
struct read_model {
	const char	*path;
	sqlite3		*db;
	dev_t		 dev;
	ino_t		 ino;
	sqlite3_stmt	*by_owner;
	sqlite3_stmt	*by_id;
	sqlite3_stmt	*customers;
	sqlite3_stmt	*state;
	sqlite3_stmt	*begin;
	sqlite3_stmt	*commit;
	sqlite3_stmt	*version;
	uint64_t	 generation;	/* opens so far */
};

/* Which contents a read saw: equal versions, equal contents. */
struct read_model_version {
	uint64_t	generation;
	int64_t		data;		/* PRAGMA data_version */
};

/* list_cache.c: 8 answers of at most 32 KiB, 256 KiB at worst. */
#define LIST_CACHE_ENTRIES	8
#define LIST_CACHE_BODY_MAX	(32 * 1024)

struct list_cache_entry {
	char				user[TOKEN_USER_MAX];
	struct read_model_version	version;
	char				*body;	/* owned; NULL if free */
};

struct list_cache {
	struct list_cache_entry	entries[LIST_CACHE_ENTRIES];
	size_t			next;	/* the entry to replace */
};

const char *list_cache_get(struct list_cache *c, const char *user,
	    const struct read_model_version *version);
void	 list_cache_put(struct list_cache *c, const char *user,
	    const struct read_model_version *version, const char *body,
	    size_t len);

struct accounts_app {
	struct config		cfg;
	struct token_key	key;
	struct redis_conn	redis;
	struct read_model	rm;
	struct list_cache	list_cache;
	char			dummy_hash[128];	/* for unknown users */
	struct metrics		metrics;
	const struct route	*routes;
	size_t			 nroutes;
};

/* read_model.c */
sqlite3	*read_model_get(struct read_model *rm);
void	 read_model_close(struct read_model *rm);
int	 read_model_position(struct read_model *rm, struct stream_id *last,
	    long long *seen);
int	 read_model_begin(struct read_model *rm,
	    struct read_model_version *version);
void	 read_model_end(struct read_model *rm);

/* read_wait.c: 0 to go on, -1 after answering (400, 503, 504). */
int	 read_wait_after(struct accounts_app *a, struct http_request *req);

/* handlers */
void	account_list(void *app, struct http_request *req, const char *user,
	    char **args);
void	account_get(void *app, struct http_request *req, const char *user,
	    char **args);
void	account_is_owned_by(void *app, struct http_request *req,
	    const char *user, char **args);
void	account_create(void *app, struct http_request *req,
	    const char *user, char **args);
void	account_delete(void *app, struct http_request *req,
	    const char *user, char **args);
void	auth_login(void *app, struct http_request *req, const char *user,
	    char **args);
void	status_get(void *app, struct http_request *req, const char *user,
	    char **args);
void	metrics_get(void *app, struct http_request *req, const char *user,
	    char **args);

int	login_init(struct accounts_app *a);

/* throttle.c: seconds to wait (0: go on), or -1 when Redis is unreachable. */
int	login_throttle_wait(struct accounts_app *a, const char *user,
	    const char *addr);
void	login_throttle_fail(struct accounts_app *a, const char *user,
	    const char *addr);
void	login_throttle_clear(struct accounts_app *a, const char *user);

#endif
