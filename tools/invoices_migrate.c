/*
 * The customers whose invoices are kept as before are found by SCAN
 * (MATCH customer:*:invoices, 1,000 keys a call), and each is moved by
 * FCALL invoices_migrate, CHUNK invoices a call, until it answers that
 * none is left: no call's work grows with the number of invoices, and
 * the services go on meanwhile.
 */
#include <stdio.h>
#include <string.h>

#include "invoices_migrate.h"
#include "log.h"

#define PREFIX	"customer:"
#define SUFFIX	":invoices"

/* One customer's, whose sorted set is key: 0, or -1 (logged). */
static int
customer_migrate(struct redis_conn *rc, const char *stream, const char *key)
{
	char id[32];
	size_t len = strlen(key) - strlen(PREFIX) - strlen(SUFFIX);
	const char *argv[] = { "FCALL", "invoices_migrate", "1", stream,
	    "customer_id", id };
	redisReply *r;
	long long left;

	if (len == 0 || len >= sizeof(id))
		return 0;
	memcpy(id, key + strlen(PREFIX), len);
	id[len] = '\0';
	do {
		r = redis_conn_argv(rc, 6, argv, NULL);
		if (r == NULL || r->type != REDIS_REPLY_INTEGER) {
			log_warn("invoices_migrate customer %s: %s", id,
			    r != NULL && r->type == REDIS_REPLY_ERROR ? r->str :
			    "no answer");
			freeReplyObject(r);
			return -1;
		}
		left = r->integer;
		freeReplyObject(r);
	} while (left > 0);
	return 0;
}

int
invoices_migrate(struct redis_conn *rc, const char *stream)
{
	char cursor[32] = "0";
	const char *argv[] = { "SCAN", cursor, "MATCH", PREFIX "*" SUFFIX,
	    "COUNT", "1000", "TYPE", "zset" };
	redisReply *r;
	size_t i;
	long long customers = 0;

	do {
		r = redis_conn_argv(rc, 8, argv, NULL);
		if (r == NULL || r->type != REDIS_REPLY_ARRAY ||
		    r->elements != 2 ||
		    r->element[0]->type != REDIS_REPLY_STRING ||
		    r->element[0]->len >= sizeof(cursor)) {
			log_warn("invoices_migrate: SCAN failed");
			freeReplyObject(r);
			return -1;
		}
		memcpy(cursor, r->element[0]->str, r->element[0]->len + 1);
		for (i = 0; i < r->element[1]->elements; i++) {
			if (customer_migrate(rc, stream,
			    r->element[1]->element[i]->str) == -1) {
				freeReplyObject(r);
				return -1;
			}
			customers++;
		}
		freeReplyObject(r);
	} while (strcmp(cursor, "0") != 0);
	if (customers > 0)
		log_info("moved the invoices of %lld customers to the compact "
		    "layout", customers);
	return 0;
}
