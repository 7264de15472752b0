/*
 * Redis's memory against its maxmemory, for GET /metrics and GET /status:
 * at maxmemory (noeviction) Redis refuses every write, and the services
 * answer 503, so an operator wants to see it coming.
 *
 * Read with INFO memory, the one section the accounts role may ask for
 * (+info|memory in its ACL: Redis 7 still takes a first argument as a
 * subcommand there; INFO of any other section, or of all, is NOPERM).
 * Measured on Redis 7.0.15: MEMORY STATS gives the used memory
 * (total.allocated) but not maxmemory, CONFIG GET would show the whole
 * configuration, and plain +info the clients, the replicas' addresses
 * and the keyspace.  Redis's ACL documentation says such first-argument
 * rules may go in a later version: then MEMORY STATS (total.allocated)
 * and this program's REDIS_MAXMEMORY would do, less exactly (a CONFIG
 * SET by hand would not show).
 */
#include <stdlib.h>
#include <string.h>

#include "accounts.h"

/* The number after "\nname:" in an INFO text; -1 if it is not there. */
static long long
info_field(const char *info, const char *name)
{
	const char *p = info;
	size_t len = strlen(name);
	char *end;
	long long n;

	while ((p = strstr(p, name)) != NULL) {
		if ((p == info || p[-1] == '\n') && p[len] == ':') {
			n = strtoll(p + len + 1, &end, 10);
			return end != p + len + 1 && n >= 0 ? n : -1;
		}
		p += len;
	}
	return -1;
}

int
redis_memory(struct service *svc, struct redis_memory *m)
{
	redisReply *r = redis_conn_command(&svc->redis, "INFO memory");
	int rc = -1;

	if (r != NULL && r->type == REDIS_REPLY_STRING) {
		m->used = info_field(r->str, "used_memory");
		m->max = info_field(r->str, "maxmemory");
		rc = m->used >= 0 && m->max >= 0 ? 0 : -1;
	}
	freeReplyObject(r);
	return rc;
}

const char *
redis_memory_state(const struct redis_memory *m)
{
	if (m->max == 0)
		return "unbounded";
	if (m->used >= m->max)
		return "full";
	/* 90 %: a tenth left is hours at a steady rate, time to act. */
	if (m->used >= m->max / 10 * 9)
		return "nearly full";
	return "ok";
}

void
memory_metrics(struct service *svc, FILE *out)
{
	struct redis_memory m;

	if (redis_memory(svc, &m) == -1)
		return;
	fprintf(out, "# HELP redis_memory_used_bytes Memory Redis holds for "
	    "its data (INFO used_memory).\n"
	    "# TYPE redis_memory_used_bytes gauge\n"
	    "redis_memory_used_bytes %lld\n", m.used);
	fprintf(out, "# HELP redis_memory_max_bytes Redis's maxmemory: past "
	    "it, writes answer 503 (0: no bound).\n"
	    "# TYPE redis_memory_max_bytes gauge\n"
	    "redis_memory_max_bytes %lld\n", m.max);
}
