#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "log.h"
#include "secret.h"
#include "sentinel.h"

/* "host:port" of at most len bytes into s->at[s->n]; 0 or -1. */
static int
one(struct sentinels *s, const char *item, size_t len)
{
	const char *colon = memchr(item, ':', len);
	char port[8];
	size_t hlen, plen;
	long p;
	char *end;

	if (colon == NULL || s->n == SENTINELS_MAX)
		return -1;
	hlen = (size_t)(colon - item);
	plen = len - hlen - 1;
	if (hlen == 0 || hlen >= SENTINEL_HOST_MAX || plen == 0 ||
	    plen >= sizeof(port))
		return -1;
	memcpy(port, colon + 1, plen);
	port[plen] = '\0';
	p = strtol(port, &end, 10);
	if (*end != '\0' || p < 1 || p > 65535)
		return -1;
	memcpy(s->at[s->n].host, item, hlen);
	s->at[s->n].host[hlen] = '\0';
	s->at[s->n].port = (int)p;
	s->n++;
	return 0;
}

int
sentinels_parse(struct sentinels *s, const char *list, const char *master)
{
	const char *p = list, *comma;
	size_t len;

	memset(s, 0, sizeof(*s));
	if (list == NULL || *list == '\0')
		return 0;
	for (;;) {
		comma = strchr(p, ',');
		len = comma != NULL ? (size_t)(comma - p) : strlen(p);
		if (one(s, p, len) == -1) {
			log_error("config: REDIS_SENTINELS=%s: host:port, comma "
			    "separated, at most %d", list, SENTINELS_MAX);
			return -1;
		}
		if (comma == NULL)
			break;
		p = comma + 1;
	}
	if (strlen(master) >= sizeof(s->master) || *master == '\0') {
		log_error("config: REDIS_MASTER_NAME: 1 to %d characters",
		    SENTINEL_NAME_MAX - 1);
		return -1;
	}
	snprintf(s->master, sizeof(s->master), "%s", master);
	return 0;
}

int
sentinels_auth(struct sentinels *s, const char *dir)
{
	char path[PATH_MAX];
	int n;

	if (s->n == 0)
		return 0;
	if (secret_password_path(path, sizeof(path), dir,
	    REDIS_ROLE_DISCOVERY) == -1 || (n = secret_read(path,
	    s->password, sizeof(s->password) - 1)) == -1) {
		log_error("sentinel: no password (%s); run setup --keys", path);
		return -1;
	}
	s->password[n] = '\0';
	return 0;
}

/* One Sentinel's answer, on an open context: 0 with host and port, or -1. */
static int
ask(redisContext *c, const struct sentinels *s, char host[], int *port)
{
	redisReply *r = NULL;
	int rc = -1;

	if (s->password[0] != '\0') {
		r = redisCommand(c, "AUTH %s %s", REDIS_ROLE_DISCOVERY,
		    s->password);
		if (r == NULL || r->type == REDIS_REPLY_ERROR)
			goto out;
		freeReplyObject(r);
	}
	r = redisCommand(c, "SENTINEL get-master-addr-by-name %s", s->master);
	if (r != NULL && r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
	    r->element[0]->type == REDIS_REPLY_STRING &&
	    r->element[0]->len < SENTINEL_HOST_MAX &&
	    r->element[1]->type == REDIS_REPLY_STRING) {
		snprintf(host, SENTINEL_HOST_MAX, "%s", r->element[0]->str);
		*port = atoi(r->element[1]->str);
		rc = *port > 0 ? 0 : -1;
	}
out:
	freeReplyObject(r);
	return rc;
}

int
sentinels_primary(const struct sentinels *s, int first, int timeout_ms,
    char host[SENTINEL_HOST_MAX], int *port)
{
	struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
	redisContext *c;
	int i, at, found;

	for (i = 0; i < s->n; i++) {
		at = (first + i) % s->n;
		c = redisConnectWithTimeout(s->at[at].host, s->at[at].port, tv);
		found = c != NULL && c->err == 0 &&
		    redisSetTimeout(c, tv) == REDIS_OK &&
		    ask(c, s, host, port) == 0;
		redisFree(c);
		if (found)
			return at;
	}
	log_warn("sentinel: none of %d knows where %s is", s->n, s->master);
	return -1;
}
